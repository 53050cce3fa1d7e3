"""mkdocs hooks: the pages that are generated from the code, so that they cannot drift.

- ``index.md`` is README.md, and ``contributing.md`` CONTRIBUTING.md, their links
  rewritten for the site.
- ``<!-- generated: cli-reference -->`` becomes the help of every ``flowsim`` subcommand,
  from the argparse parser itself.
- ``<!-- generated: scenario-keys -->`` becomes the table of every key a scenario file may
  hold, from the key tables the reader checks files against (flowsim/files/_json.py) and
  the descriptions of flowsim/files/schema.py (the scenario files' JSON Schema); a key the
  reader accepts with no description, or a description of a key it does not accept, fails
  the build.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from flowsim.files import schema as _schema

ROOT = Path(__file__).resolve().parents[2]

# One line per key, by where it appears, from flowsim/files/schema.py (the JSON Schema's
# descriptions are the same lines). The build fails if these and the reader disagree.
SCENARIO_KEYS: dict[str, dict[str, str]] = _schema._KEY_DOCS


def _reader_keys() -> dict[str, set[str]]:
    return _schema._reader_keys()


def scenario_keys() -> str:
    reader = _reader_keys()
    problems = []
    for where, keys in reader.items():
        described = set(SCENARIO_KEYS.get(where, {}))
        if keys - described:
            problems.append(f"{where}: the reader accepts {sorted(keys - described)}, undescribed")
        if described - keys:
            problems.append(f"{where}: described {sorted(described - keys)}, not accepted")
    if problems:
        raise RuntimeError("docs/hooks/generate.py is out of date: " + "; ".join(problems))
    rows = ["| where | key | value |", "|---|---|---|"]
    for where, keys in SCENARIO_KEYS.items():
        for key, text in keys.items():
            rows.append(f"| {where} | `{key}` | {text} |")
    return "\n".join(rows)


def cli_reference() -> str:
    os.environ["COLUMNS"] = "100"
    from flowsim.cli import _parser

    parser = _parser()
    out = ["```text", parser.format_help().rstrip(), "```"]
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        out += ["", f"## `flowsim {name}`", "", "```text", p.format_help().rstrip(), "```"]
    return "\n".join(out)


def _site_links(text: str) -> str:
    """Links of a page at the top of the repository, rewritten for the site's docs/."""
    text = text.replace("](docs/", "](").replace("](CHANGELOG.md)", "](changelog.md)")
    text = text.replace("](CONTRIBUTING.md)", "](contributing.md)")
    return re.sub(r"\(\[LICENSE\]\(LICENSE\)\)", "(LICENSE in the repository)", text)


def readme() -> str:
    return _site_links((ROOT / "README.md").read_text(encoding="utf-8"))


def contributing() -> str:
    return _site_links((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8"))


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if page.file.src_uri == "index.md":
        return readme()
    if page.file.src_uri == "contributing.md":
        return contributing()
    if "<!-- generated: cli-reference -->" in markdown:
        markdown = markdown.replace("<!-- generated: cli-reference -->", cli_reference())
    if "<!-- generated: scenario-keys -->" in markdown:
        markdown = markdown.replace("<!-- generated: scenario-keys -->", scenario_keys())
    return markdown
