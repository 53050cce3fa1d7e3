"""What every flowsim picture shares: the palette, the argument checks, small helpers.

Private: the public names are re-exported by :mod:`flowsim.plot`. The pictures draw
with the helpers here: a run's timeline in ``_timeline.py``, comparisons of runs in
``_compare.py``, the flow's graph in ``_flow.py``, sweeps in ``_sweep.py``.
This module imports matplotlib; ``import flowsim`` does not import it.

In a notebook (a running IPython), :func:`show_in_ipython` teaches IPython to show the
Figures and Axes the plot functions return as PNG pictures, with no ``%matplotlib``
magic and no pyplot: flowsim draws on plain :class:`~matplotlib.figure.Figure` objects,
which IPython otherwise shows as text.
"""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flowsim.errors import ModelError
from flowsim.states import AtomState
from flowsim.trace import Result


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def show_in_ipython() -> bool:
    """Register, in the running IPython (if any), a PNG formatter for matplotlib Figures
    and Axes; return whether there was one. IPython is never imported here: outside a
    notebook or an IPython shell this does nothing.

    >>> show_in_ipython()  # a doctest runs outside IPython
    False
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    png = shell.display_formatter.formatters["image/png"]
    png.for_type(Figure, _png)
    png.for_type(Axes, lambda ax: _png(ax.figure))
    return True


COLORS: Mapping[str, str] = MappingProxyType(
    {
        "execute": "#0072B2",  # blue
        "revert": "#E69F00",  # orange
        # a failed execute: dark vermillion (Okabe-Ito's #D55E00 darkened), which keeps a
        # luminance contrast of 3 or more with the revert orange, also in greyscale and for
        # protan, deutan and tritan vision (tests/test_plot.py computes it)
        "failure": "#993300",
        "revert_failure": "#000000",  # black: a failed revert
        "resolution": "#CC79A7",  # reddish purple: a failure resolved; a retry's scope
        "critical": "#000000",  # outline of the critical path
        "cursor": "#009E73",  # bluish green: the time cursor ``at``
        "stopped": "#DDDDDD",  # light grey: the flow is REVERTING (stop_the_world)
    }
)
"""The colour of each kind of work and mark in a timeline (Okabe-Ito palette, the
failure darkened)."""

STATE_COLORS: Mapping[AtomState, str] = MappingProxyType(
    {
        AtomState.PENDING: "#FFFFFF",
        AtomState.RUNNING: COLORS["execute"],
        AtomState.SUCCESS: "#009E73",  # bluish green
        AtomState.FAILURE: COLORS["failure"],
        AtomState.REVERTING: COLORS["revert"],
        AtomState.REVERTED: "#F0E442",  # yellow
        AtomState.REVERT_FAILURE: COLORS["revert_failure"],
        AtomState.IGNORE: "#BBBBBB",  # grey
        AtomState.RETRYING: COLORS["resolution"],
    }
)
"""The fill of a node in :func:`plot_flow` for each atom state."""

_LANES = ("atom", "worker")


class PlotError(ModelError):
    """A plot function was given a bad argument (the message names it and the fix).

    A :class:`~flowsim.ModelError`, like the text views' argument errors, hence also a
    :class:`ValueError`.
    """


# -- arguments


def _check_result(result: object, fn: str) -> Result:
    if not isinstance(result, Result):
        raise PlotError(
            f"{fn}(): expected a flowsim Result (what flowsim.simulate() returns), "
            f"got {type(result).__name__}"
        )
    return result


def _check_results(results_by_label: object, fn: str) -> dict[str, Result]:
    if not isinstance(results_by_label, Mapping) or not results_by_label:
        raise PlotError(
            f"{fn}(): expected a non-empty mapping of labels to results, e.g. "
            f"{{'smart': result}}, got {results_by_label!r:.60}"
        )
    for label, result in results_by_label.items():
        if not isinstance(result, Result):
            raise PlotError(
                f"{fn}(): the value for label {label!r} must be a flowsim Result, "
                f"got {type(result).__name__}"
            )
    return {str(k): v for k, v in results_by_label.items()}


def _check_at(at: object, fn: str) -> float | None:
    if at is None:
        return None
    if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
        raise PlotError(f"{fn}(): at must be a time (a finite number >= 0) or None, got {at!r}")
    if at < 0:
        raise PlotError(f"{fn}(): at must be a time >= 0, got {at!r}")
    return float(at)


def _check_lanes(lanes: object, fn: str) -> str:
    if lanes not in _LANES:
        raise PlotError(
            f"{fn}(): lanes must be 'atom' (one row per atom) or 'worker' (one row per "
            f"worker), got {lanes!r}"
        )
    return str(lanes)


def _check_ax(ax: object, fn: str) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise PlotError(
            f"{fn}(): ax must be a matplotlib Axes or None (None draws on a new figure), "
            f"got {type(ax).__name__}"
        )


# -- small helpers


def _new_axes(width: float, height: float) -> Axes:
    return Figure(figsize=(width, height), layout="constrained").add_subplot()


def _num(x: float) -> str:
    """A time for people: ``7``, ``2.5``, ``0.333``, ``2e+300`` (never 301 digits)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.3g}"


def _ink(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (a ``#RRGGBB`` colour)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _workers(result: Result) -> str:
    w = result.options.workers
    return "unlimited workers" if w is None else f"{w} worker{'s' if w != 1 else ''}"


def _legend(ax: Axes, handles: Sequence[Any], texts: Sequence[str]) -> None:
    if handles:
        ax.legend(
            handles,
            texts,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            frameon=False,
        )


# -- states at a time


def states_at(result: Result, at: float | None = None) -> dict[str, AtomState]:
    """The state of every atom at time ``at`` (default: at the end), in compile order.

    An atom's state at ``at`` is the state of its last event with ``time <= at`` (so at a
    time where several things happen, the state after all of them), or PENDING if it had
    no event yet.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b", fails_on=[1])]))
    >>> {name: str(state) for name, state in states_at(r, 1.5).items()}
    {'a': 'SUCCESS', 'b': 'RUNNING'}
    >>> {name: str(state) for name, state in states_at(r).items()}
    {'a': 'REVERTED', 'b': 'REVERTED'}
    """
    _check_result(result, "states_at")
    when = _check_at(at, "states_at")
    out = dict.fromkeys(result.compiled.names, AtomState.PENDING)
    for e in result.events:
        if when is not None and e.time > when:
            break
        if e.subject == "atom" and e.name in out:
            out[e.name] = AtomState(e.state)
    return out
