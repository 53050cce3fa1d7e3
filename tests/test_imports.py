"""The core stays light: importing flowsim or its CLI loads no plotting, widget or
property-testing library, and no wall clock."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"

HEAVY = (
    "matplotlib",
    "networkx",
    "hypothesis",
    "ipywidgets",
    "numpy",
    "taskflow",
    "dask",
    "pandas",
    "tqdm",
)


def test_import_flowsim_loads_nothing_heavy() -> None:
    code = (
        "import sys, flowsim, flowsim.cli; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_interactive_extra_brings_the_plot_extra() -> None:
    """flowsim.plot.interactive (Bokeh) imports matplotlib through flowsim.plot's package
    init, so its extra must bring the plot extra with it."""
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "try:\n    import flowsim.plot.interactive\n"
        "except ImportError as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (
        out.stdout
        == 'MissingDependencyError flowsim.plot needs matplotlib: pip install "flowsim[plot]"\n'
    )
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    assert project["optional-dependencies"]["interactive"] == ["flowsim[plot]", "bokeh>=3.4"]
