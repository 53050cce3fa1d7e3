"""The core stays light: importing flowsim or its CLI loads no plotting, widget or
property-testing library, and no wall clock."""

from __future__ import annotations

import subprocess
import sys

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
