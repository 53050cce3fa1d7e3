"""Pictures of a sweep: the empirical CDF per combination, a metric's risk against a knob.

Private: :func:`plot_sweep` and :func:`plot_risk` are re-exported by :mod:`flowsim.plot`.
They read a :class:`flowsim.sweep.SweepResult`'s rows, grid and ``describe()`` (never
pandas), and import nothing from :mod:`flowsim.sweep` (a sibling unit). This module imports
matplotlib; ``import flowsim`` does not import it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from flowsim.errors import ScenarioError

from ._common import COLORS, _check_ax, _legend, _new_axes, _num

if TYPE_CHECKING:
    from flowsim.sweep import SweepResult

#: The numeric row columns (flowsim.sweep.METRICS; a test keeps the two equal).
_METRICS = (
    "makespan",
    "wasted_work",
    "busy_time",
    "executions",
    "reverts",
    "resolutions",
    "events",
)

#: Okabe-Ito, in the order the series take them: blue, orange, bluish green, reddish
#: purple, vermillion, black.
_SERIES = tuple(
    COLORS[k] for k in ("execute", "revert", "cursor", "resolution", "failure", "critical")
)
_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _check(result: object, fn: str, metric: object, by: object) -> tuple[Any, list[str]]:
    """The result, checked, and its combination keys (``by`` first)."""
    if not all(hasattr(result, a) for a in ("rows", "grid", "scenarios", "describe")):
        raise ScenarioError(
            f"{fn}(): expected a SweepResult (what flowsim.sweep.sweep() returns), "
            f"got {type(result).__name__}"
        )
    res: Any = result
    if metric not in _METRICS:
        raise ScenarioError(
            f"{fn}(): unknown metric {metric!r}; expected one of {', '.join(_METRICS)}"
        )
    grid = list(res.grid)
    if by != "scenario" and by not in grid:
        raise ScenarioError(
            f"{fn}(): by={by!r}: expected 'scenario' or a key of this sweep's grid "
            f"({', '.join(grid) or 'the grid is empty'})"
        )
    n = len(res.rows)
    if not any(r["error"] is None and r[metric] is not None for r in res.rows):
        raise ScenarioError(
            f"{fn}(): nothing to draw: the sweep has {n} run{'s' if n != 1 else ''} "
            "and none finished without an error"
        )
    varying = (["scenario"] if len(res.scenarios) > 1 else []) + grid
    return res, [str(by)] + [k for k in varying if k != by]


def _text(key: str, v: Any) -> str:
    if v is None:
        return "unlimited" if key == "workers" else "scenario's own"
    if isinstance(v, float):
        return _num(v)
    return str(v)


def _label(keys: Sequence[str], values: Sequence[Any]) -> str:
    first = _text(keys[0], values[0])
    rest = [f"{k}={_text(k, v)}" for k, v in zip(keys[1:], values[1:], strict=True)]
    return ", ".join([first, *rest])


def _index(seen: list[Any], value: Any) -> int:
    if value not in seen:
        seen.append(value)
    return seen.index(value)


def _by_first(combos: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The combinations grouped by their first value (the ``by`` value), else in order."""
    firsts = list(dict.fromkeys(c[0] for c in combos))
    return sorted(combos, key=lambda c: firsts.index(c[0]))


def _name(res: Any) -> str:
    return ", ".join(res.scenarios)


def plot_sweep(
    result: SweepResult, *, metric: str = "makespan", by: str = "strategy", ax: Axes | None = None
) -> Axes:
    """The empirical CDF of a metric, one curve per combination of the sweep's grid.

    Parameters
    ----------
    result
        What :func:`flowsim.sweep.sweep` returned.
    metric
        The row column drawn (:data:`flowsim.sweep.METRICS`); runs that raised (e.g. the
        event budget) are left out, and the title says how many.
    by
        The grid key (or ``"scenario"``) that picks a curve's colour; the other grid keys
        pick its line style. It must be in the sweep's grid.
    ax
        The Axes to draw on; None draws on a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Step curves: at each value ``x``, the share of the combination's runs whose metric
        is ``<= x``. A curve's data is its sorted values, after a first point at height 0;
        its ``gid`` is ``"cdf:<label>"``, the label its legend entry.

    Examples
    --------
    >>> import flowsim as fs
    >>> from flowsim.sweep import sweep
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", fail_probability=0.5)])
    >>> res = sweep(flow, seeds=4, grid={"strategy": ["smart"]}, executor=False, progress=False)
    >>> ax = plot_sweep(res)
    >>> (line,) = ax.lines
    >>> line.get_gid(), line.get_xdata().tolist(), line.get_ydata().tolist()
    ('cdf:smart', [1.0, 1.0, 1.0, 2.0, 2.0], [0.0, 0.25, 0.5, 0.75, 1.0])
    """
    fn = "plot_sweep"
    res, keys = _check(result, fn, metric, by)
    _check_ax(ax, fn)
    groups: dict[tuple[Any, ...], list[float]] = {}
    runs: dict[tuple[Any, ...], int] = {}
    for r in res.rows:
        combo = tuple(r[k] for k in keys)
        values = groups.setdefault(combo, [])
        runs[combo] = runs.get(combo, 0) + 1
        if r["error"] is None and r[metric] is not None:
            values.append(r[metric])
    if ax is None:
        ax = _new_axes(8.5, 4.2)
    colours: list[Any] = []
    styles: list[Any] = []
    handles, texts = [], []
    for combo in _by_first(list(groups)):
        values = groups[combo]
        if not values:
            continue
        xs = sorted(values)
        n = len(xs)
        label = _label(keys, combo)
        (line,) = ax.step(
            [xs[0], *xs],
            [0.0, *((i + 1) / n for i in range(n))],
            where="post",
            color=_SERIES[_index(colours, combo[0]) % len(_SERIES)],
            linestyle=_STYLES[_index(styles, combo[1:]) % len(_STYLES)],
            linewidth=1.8,
            gid=f"cdf:{label}",
        )
        handles.append(line)
        texts.append(label)
    errors = sum(r["error"] is not None for r in res.rows)
    left_out = f"; {errors} run{'s' if errors != 1 else ''} that raised left out" if errors else ""
    ax.set_xlabel(metric.replace("_", " "))
    ax.set_ylabel(f"share of runs with {metric.replace('_', ' ')} <= x")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(
        f"{_name(res)}: {metric.replace('_', ' ')}, empirical CDF ({max(runs.values())} runs per "
        f"combination{left_out})",
        fontsize=10,
        loc="left",
    )
    _legend(ax, handles, texts)
    return ax


def _positions(values: Sequence[Any]) -> tuple[list[float], bool]:
    """Where each x value sits: itself when every value is a number, else its index."""
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return ([float(v) for v in values] if numeric else [float(i) for i in range(len(values))]), (
        numeric
    )


def plot_risk(
    result: SweepResult,
    *,
    x: str = "fail_probability",
    metric: str = "makespan",
    by: str = "strategy",
    ax: Axes | None = None,
) -> Axes:
    """A metric's median and 90th percentile against a grid key: the risk as it grows.

    Parameters
    ----------
    result
        What :func:`flowsim.sweep.sweep` returned.
    x
        The grid key along the x axis (a number axis when its values are numbers, else one
        tick per value in grid order).
    metric
        The row column summarised (:data:`flowsim.sweep.METRICS`).
    by
        The grid key (or ``"scenario"``) with one colour per value; any other grid key
        gives more series, told apart by their markers.
    ax
        The Axes to draw on; None draws on a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Per series, a solid line through the p50 of each x value (``gid`` ``"p50:<label>"``),
        a dashed line through the p90 (``"p90:<label>"``), and the band between them shaded
        (``"band:<label>"``): the values are exactly ``result.describe(metric)``'s
        ``<metric>_p50`` and ``<metric>_p90`` (nearest rank, over runs without an error).

    Examples
    --------
    >>> import flowsim as fs
    >>> from flowsim.sweep import sweep
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=2)])
    >>> grid = {"strategy": ["smart"], "fail_probability": [0, 1]}
    >>> res = sweep(flow, seeds=3, grid=grid, executor=False, progress=False)
    >>> ax = plot_risk(res)
    >>> [(line.get_gid(), line.get_ydata().tolist()) for line in ax.lines]
    [('p50:smart', [2.0, 3.0]), ('p90:smart', [2.0, 3.0])]
    """
    fn = "plot_risk"
    res, keys = _check(result, fn, metric, by)
    grid = list(res.grid)
    if x not in grid:
        raise ScenarioError(
            f"{fn}(): x={x!r}: expected a key of this sweep's grid "
            f"({', '.join(grid) or 'the grid is empty'})"
        )
    if x == by:
        raise ScenarioError(
            f"{fn}(): x and by are both {x!r}; give by another key of this sweep's grid "
            "or 'scenario'"
        )
    _check_ax(ax, fn)
    xvalues = list(dict.fromkeys(res.grid[x]))
    pos, numeric = _positions(xvalues)
    where = dict(zip(xvalues, pos, strict=True))
    series: dict[tuple[Any, ...], dict[float, tuple[float, float]]] = {}
    keys = [k for k in keys if k != x]
    table = res.describe(metric=metric)
    for d in table:
        lo, hi = d[f"{metric}_p50"], d[f"{metric}_p90"]
        cell = (math.nan, math.nan) if lo is None else (float(lo), float(hi))
        series.setdefault(tuple(d.get(k, None) for k in keys), {})[where[d.get(x)]] = cell
    if ax is None:
        ax = _new_axes(8.5, 4.2)
    colours: list[Any] = []
    markers: list[Any] = []
    handles: list[Any] = []
    texts: list[str] = []
    for combo in _by_first(list(series)):
        cells = series[combo]
        xs = sorted(cells)
        p50 = [cells[v][0] for v in xs]
        p90 = [cells[v][1] for v in xs]
        label = _label(keys, combo)
        colour = _SERIES[_index(colours, combo[0]) % len(_SERIES)]
        marker = _MARKERS[_index(markers, combo[1:]) % len(_MARKERS)]
        ax.fill_between(xs, p50, p90, color=colour, alpha=0.15, linewidth=0, gid=f"band:{label}")
        ax.plot(xs, p50, color=colour, marker=marker, linewidth=2, gid=f"p50:{label}")
        ax.plot(
            xs, p90, color=colour, marker=marker, ls="--", lw=1.4, mfc="white", gid=f"p90:{label}"
        )
        handles.append(Line2D([], [], color=colour, marker=marker, linewidth=2))
        texts.append(label)
    handles += [
        Line2D([], [], color="black", linewidth=2),
        Line2D([], [], color="black", ls="--", lw=1.4),
        Patch(facecolor="black", alpha=0.15, edgecolor="none"),
    ]
    texts += ["p50 (median)", "p90", "between p50 and p90"]
    if not numeric:
        ax.set_xticks(pos, labels=[_text(x, v) for v in xvalues])
    elif len(pos) <= 12:
        ax.set_xticks(pos, labels=[_num(v) for v in pos])
    name = metric.replace("_", " ")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(name)
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    runs = max(d["runs"] for d in table)
    ax.set_title(
        f"{_name(res)}: {name}, p50 and p90 against {x.replace('_', ' ')} ({runs} runs per point)",
        fontsize=10,
        loc="left",
    )
    _legend(ax, handles, texts)
    return ax
