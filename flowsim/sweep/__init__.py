"""Monte Carlo what-if: run a flow over seeds and a grid of options, on any executor.

>>> import flowsim as fs
>>> from flowsim.sweep import sweep
>>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", fail_probability=0.5)])
>>> len(sweep(flow, seeds=3, grid={"workers": [1, 2]}, executor=False, progress=False).rows)
6
"""

from __future__ import annotations

from ._core import SweepError, SweepResult, sweep
from ._recipe import GRID_KEYS, METRICS, ROW_KEYS

__all__ = ["GRID_KEYS", "METRICS", "ROW_KEYS", "SweepError", "SweepResult", "sweep"]
