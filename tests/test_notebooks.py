"""The notebooks are committed clean: no outputs, no execution counts, public API only;
each shows the picture it is about within its first three cells.

``make test`` executes them (``pytest --nbmake notebooks``); this file checks what is
committed, and executes the first three cells of each.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

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


def _pictures(outputs: list[Any]) -> list[str]:
    """What in a cell's outputs is a picture: a PNG or SVG image, an HTML output holding
    an ``<img>`` (a Result's rich display), or a widget (the explorer, whose pictures are
    Image widgets)."""
    found = []
    for out in outputs:
        data = out.get("data", {})
        for kind in ("image/png", "image/svg+xml", "application/vnd.jupyter.widget-view+json"):
            if kind in data:
                found.append(kind)
        if "<img " in data.get("text/html", ""):
            found.append("text/html <img>")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_notebook_shows_its_picture_within_its_first_three_cells(path: Path) -> None:
    """Executed alone, the first three cells show a picture (what the notebook is about)."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = notebook.cells[:3]
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    shown = [kind for cell in notebook.cells for kind in _pictures(cell.get("outputs", []))]
    widget = path.name == "02_explorer.ipynb"
    expected = "application/vnd.jupyter.widget-view+json" if widget else "image/png"
    assert shown == [expected], f"{path.name}: its first three cells show {shown}"
