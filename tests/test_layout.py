"""The package tree is the pipeline: model -> compile -> engine -> trace -> checks / plot /
files / widgets / CLI. Each module imports only what sits below it, the core imports no
third-party library, and each public module's ``__all__`` is exactly what it exports."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import flowsim

ROOT = Path(flowsim.__file__).parent

#: Every unit of the package, bottom first. A unit may import units listed before it (and
#: itself), never one after it. Units on one line are siblings: they import each other
#: never. ``taskflow`` and ``sweep`` are optional extras, ``cli`` and the shims the top.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "_gc"),
    ("states",),
    ("timing",),
    ("retries",),
    ("model",),
    ("trace",),
    ("spans",),
    ("compile",),
    ("engine",),
    ("checks", "files", "textview"),
    ("examples",),
    ("explore", "plot", "strategies", "sweep", "taskflow"),
    ("widgets",),
    ("cli", "scenario", "export", "oracle", "__init__"),
    ("__main__",),
]
RANK = {unit: k for k, layer in enumerate(LAYERS) for unit in layer}

#: Third-party libraries only the units above the core may use (networkx is a core
#: dependency, imported lazily where compile draws on it; test_imports pins that).
OPTIONAL = ("matplotlib", "hypothesis", "ipywidgets", "taskflow", "dask", "pandas", "tqdm")
CORE = max(RANK[u] for u in ("engine", "checks", "files"))


def modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def unit(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def dotted(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _nodes(node: ast.AST) -> list[ast.AST]:
    """Every node under ``node`` except what ``if TYPE_CHECKING:`` guards (annotations
    only: a type may name a unit above, as Result names the CompiledFlow it holds)."""
    out = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":
            out.extend(n for s in child.orelse for n in [s, *_nodes(s)])
            continue
        out.append(child)
        out.extend(_nodes(child))
    return out


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (also inside functions), absolute."""
    here = dotted(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            found.add(name)
            if node.module is None:  # from . import x
                found.update(f"{name}.{a.name}" for a in node.names)
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_one_above_it(path: Path) -> None:
    mine = unit(path)
    above = []
    for name in sorted(imports(path)):
        parts = name.split(".")
        if parts[0] == "flowsim" and len(parts) > 1:
            other = parts[1]
            if other != mine and RANK[other] >= RANK[mine]:
                above.append(name)
        elif parts[0] in OPTIONAL and RANK[mine] <= CORE:
            above.append(name)
    assert above == [], f"{path.relative_to(ROOT)} ({mine}) imports {above}"


def test_the_layers_name_every_unit() -> None:
    assert {unit(p) for p in modules()} == set(RANK)


def test_the_check_sees_an_import_from_above(tmp_path: Path) -> None:
    """The layering check is not vacuous: it reads relative and function-level imports."""
    fake = ROOT / "compile" / "_probe_for_test.py"
    source = (
        "def f():\n    from flowsim.plot import plot_timeline\nfrom ..engine import x\n"
        "if TYPE_CHECKING:\n    from flowsim.widgets import Explorer\n"
    )
    assert imports_of(source, fake) == {"flowsim.plot", "flowsim.engine"}


def imports_of(source: str, where: Path) -> set[str]:
    where.write_text(source, encoding="utf-8")
    try:
        return imports(where)
    finally:
        where.unlink()


def public_modules() -> list[str]:
    names = []
    for path in modules():
        name = dotted(path)
        if not any(part.startswith("_") for part in name.split(".")[1:]):
            names.append(name)
    return names


def defined_in(module: str, obj: object) -> bool:
    """Whether ``obj`` is a function or class of ``module`` or of its private parts."""
    home = getattr(obj, "__module__", None)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)) or home is None:
        return False
    return home == module or home.startswith(f"{module}._")


OPTIONAL_MODULES = {"flowsim.taskflow", "flowsim.sweep", "flowsim.widgets", "flowsim.plot"}


@pytest.mark.parametrize("name", public_modules())
def test_all_is_what_the_module_exports(name: str) -> None:
    if name in ("flowsim.__main__",):
        return  # runs the CLI on import
    module = importlib.import_module(name)
    listed = getattr(module, "__all__", None)
    assert listed is not None, f"{name} has no __all__"
    assert sorted(set(listed)) == sorted(listed), f"{name}.__all__ repeats a name"
    missing = [n for n in listed if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ names what it does not have: {missing}"
    unlisted = sorted(
        n
        for n, obj in vars(module).items()
        if not n.startswith("_") and n not in listed and defined_in(name, obj)
    )
    assert unlisted == [], f"{name} defines public {unlisted} that __all__ leaves out"
