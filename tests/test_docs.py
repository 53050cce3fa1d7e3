"""The documentation site's generated pages cannot drift from the code: the scenario-file
reference names exactly the keys the reader accepts, the CLI reference every subcommand,
and every page is in the site's navigation. (``make docs`` builds the site itself, strict.)"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scenario_key_table_is_the_readers() -> None:
    h = hooks()
    table = h.scenario_keys()
    for where, keys in h._reader_keys().items():
        for key in keys:
            assert f"| {where} | `{key}` |" in table


def test_a_drifted_key_table_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    h = hooks()
    options = dict(h.SCENARIO_KEYS["options"])
    del options["seed"]
    monkeypatch.setitem(h.SCENARIO_KEYS, "options", {**options, "colour": "red or blue"})
    with pytest.raises(RuntimeError) as e:
        h.scenario_keys()
    assert str(e.value) == (
        "docs/hooks/generate.py is out of date: options: the reader accepts ['seed'], "
        "undescribed; options: described ['colour'], not accepted"
    )


def test_the_cli_reference_has_every_subcommand() -> None:
    text = hooks().cli_reference()
    for name in ("demo", "run", "check", "list", "sweep", "explore", "from-taskflow"):
        assert f"## `flowsim {name}`" in text
        assert f"usage: flowsim {name}" in text


def test_the_site_index_is_the_readme_with_site_links() -> None:
    text = hooks().readme()
    assert "](docs/" not in text
    assert "](concepts.md)" in text and "](changelog.md)" in text


def test_every_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")}
    pages |= {f"reference/{p.name}" for p in (DOCS / "reference").glob("*.md")}
    missing = sorted(p for p in pages if not re.search(rf":\s+{re.escape(p)}\s*$", nav, re.M))
    assert missing == []
