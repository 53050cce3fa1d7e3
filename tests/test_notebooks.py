"""The notebooks are committed clean: no outputs, no execution counts, public API only.

``make test`` executes them (``pytest --nbmake notebooks``); this file checks what is
committed.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[dict[str, object]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["nbformat"] == 4
    return list(data["cells"])


def test_the_notebooks_are_there() -> None:
    names = {path.name for path in NOTEBOOKS}
    assert {"01_blueprint.ipynb", "02_explorer.ipynb", "04_what_if.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_notebook_is_committed_without_outputs(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "widgets" not in data["metadata"], "saved widget state: clear it before committing"
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} cell {index} has outputs: strip them"
            assert cell["execution_count"] is None, f"{path.name} cell {index} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_notebook_uses_the_public_api_only(path: Path) -> None:
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        assert isinstance(source, str)
        python = "\n".join(  # IPython magics (%matplotlib inline) are not Python
            line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(python)):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                module, names = "", [alias.name for alias in node.names]
            elif isinstance(node, ast.Attribute):
                module, names = "", [node.attr]
            else:
                continue
            private = [n for n in [*module.split("."), *names] if n.startswith("_")]
            assert not private, f"{path.name} uses private names {private}"
