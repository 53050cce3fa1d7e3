"""Pictures of runs with matplotlib: a Gantt timeline, the flow's graph, comparisons.

Every function draws on the Axes ``ax`` it is given, or on a new figure when ``ax`` is
None, and returns the Axes (or the Figure). Figures are built with
:class:`matplotlib.figure.Figure`, not pyplot: nothing is shown and no global state is
touched. Save one with ``ax.figure.savefig("run.png")``; in a notebook, make ``ax.figure``
the last expression of the cell to see it.

The colours are the Okabe-Ito colour-blind-safe palette, the same in every flowsim
picture (:data:`COLORS` for work, :data:`STATE_COLORS` for atom states), and every colour
has a second cue: failed executes carry an ``x`` at the failing end, bars and nodes carry
text. Every artist drawn for the run has a ``gid`` naming what it shows (``"execute:B:2"``,
``"critical"``, ``"cursor"``, ``"node:B"``, ``"scope:checkpointed"``, ...).

Imported in a notebook, it also shows a :class:`~flowsim.Result` as its summary with its
timeline, and a :class:`~flowsim.Scenario` or :class:`~flowsim.CompiledFlow` with its graph
(see ``_display.py`` for how the layers share that work).

This module imports matplotlib; ``import flowsim`` does not import it.

For a timeline to zoom, pan and hover over (in a notebook, or as a page that works
offline), see :mod:`flowsim.plot.interactive` (Bokeh, the ``interactive`` extra; neither
``import flowsim`` nor ``import flowsim.plot`` imports it).

Examples
--------
>>> from flowsim import LinearFlow, Task, simulate
>>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b", fails_on=[1])]))
>>> ax = plot_timeline(r, at=1.5)
>>> [t.get_text() for t in ax.get_yticklabels()]
['a', 'b']
>>> sorted(p.get_gid() for p in ax.patches if p.get_gid() != "critical")
['execute:a:1', 'failure:b:1', 'revert:a:1', 'revert:b:1']
"""

from __future__ import annotations

from flowsim.errors import missing

try:
    import matplotlib  # noqa: F401
    import networkx  # noqa: F401
except ModuleNotFoundError as exc:
    raise missing(exc, what="flowsim.plot", extra="plot") from None

from ._common import COLORS, STATE_COLORS, PlotError, states_at
from ._compare import plot_comparison, plot_comparison_timelines
from ._display import show_in_ipython as _show_in_ipython
from ._flow import plot_flow
from ._sweep import plot_risk, plot_sweep
from ._timeline import plot_timeline

_show_in_ipython()  # in a notebook: pictures as pictures, results with their timeline

__all__ = [
    "COLORS",
    "STATE_COLORS",
    "PlotError",
    "plot_comparison",
    "plot_comparison_timelines",
    "plot_flow",
    "plot_risk",
    "plot_sweep",
    "plot_timeline",
    "states_at",
]
