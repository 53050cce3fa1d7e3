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

This module imports matplotlib; ``import flowsim`` does not import it.

>>> from flowsim import LinearFlow, Task, simulate
>>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b", fails_on=[1])]))
>>> ax = plot_timeline(r, at=1.5)
>>> [t.get_text() for t in ax.get_yticklabels()]
['a', 'b']
>>> sorted(p.get_gid() for p in ax.patches if p.get_gid() != "critical")
['execute:a:1', 'failure:b:1', 'revert:a:1', 'revert:b:1']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle
from matplotlib.patheffects import withStroke

from .compile import CompiledFlow, Scope
from .errors import ModelError
from .spans import Span, critical_path, spans
from .states import AtomState, FlowState
from .trace import Result

__all__ = [
    "COLORS",
    "STATE_COLORS",
    "PlotError",
    "plot_comparison",
    "plot_comparison_timelines",
    "plot_flow",
    "plot_timeline",
    "states_at",
]

COLORS: Mapping[str, str] = MappingProxyType(
    {
        "execute": "#0072B2",  # blue
        "revert": "#E69F00",  # orange
        "failure": "#D55E00",  # vermillion: a failed execute
        "revert_failure": "#000000",  # black: a failed revert
        "resolution": "#CC79A7",  # reddish purple: a failure resolved; a retry's scope
        "critical": "#000000",  # outline of the critical path
        "cursor": "#009E73",  # bluish green: the time cursor ``at``
        "stopped": "#DDDDDD",  # light grey: the flow is REVERTING (stop_the_world)
    }
)
"""The colour of each kind of work and mark in a timeline (Okabe-Ito palette)."""

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

_LABEL_COLORS = ("#56B4E9", "#CC79A7", "#009E73", "#F0E442", "#0072B2", "#D55E00")
_HATCHES = ("", "//", "..", "xx", "\\\\", "--")
_LANES = ("atom", "worker")
_BAR: dict[str, Any] = {"edgecolor": "white", "linewidth": 1.2, "zorder": 2}
_X: dict[str, Any] = {
    "markersize": 8,
    "mew": 2,
    "color": "black",
    "zorder": 5,
    "path_effects": [withStroke(linewidth=4, foreground="white")],
}
_OUTLINE: dict[str, Any] = {"color": COLORS["critical"], "zorder": 3}


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
    """A time for people: ``7``, ``2.5``, ``0.333``."""
    return str(int(x)) if float(x).is_integer() else f"{x:.3g}"


def _ink(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (a ``#RRGGBB`` colour)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _workers(result: Result) -> str:
    w = result.options.workers
    return "unlimited workers" if w is None else f"{w} worker{'s' if w != 1 else ''}"


def _mark(ax: Axes, x: float, y: float, marker: str, gid: str, **style: Any) -> None:
    ax.plot([x], [y], linestyle="", marker=marker, gid=gid, **style)


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


# -- timelines


def _rows(
    result: Result, all_spans: Sequence[Span], lanes: str
) -> tuple[list[str], Callable[[Span], int | None]]:
    """Row labels, and the row of a span (None: not drawn)."""
    names = result.compiled.names
    order = {n: i for i, n in enumerate(names)}
    if lanes == "atom":
        return list(names), lambda s: order.get(s.name)
    workers = sorted({s.worker for s in all_spans if s.worker is not None})
    engine = sorted(
        {s.name for s in all_spans if s.worker is None}, key=lambda n: (order.get(n, -1), n)
    )
    row: dict[int | str, int] = {
        **{w: i for i, w in enumerate(workers)},
        **{n: len(workers) + i for i, n in enumerate(engine)},
    }
    labels = [f"worker {w}" for w in workers] + [f"{n} (no worker)" for n in engine]
    return labels, lambda s: row[s.worker if s.worker is not None else s.name]


def _stopped(result: Result) -> list[tuple[float, float]]:
    """The intervals during which the flow was REVERTING (the world stopped)."""
    out: list[tuple[float, float]] = []
    since: float | None = None
    for e in result.events:
        if e.subject == "flow" and (e.state == FlowState.REVERTING) != (since is not None):
            if since is None:
                since = e.time
            else:
                out.append((since, e.time))
                since = None
    if since is not None:
        out.append((since, result.makespan))
    return out


def _kind(s: Span) -> str:
    if s.revert:
        return "revert" if s.ok else "revert_failure"
    return "execute" if s.ok else "failure"


_LEGEND_TEXT = {
    "execute": "execute",
    "revert": "revert",
    "failure": "failed execute (x: the failure)",
    "revert_failure": "failed revert",
    "instant": "instant work (retry controller)",
    "critical": "critical path",
    "resolution": "failure resolved: decision",
    "stopped": "flow REVERTING (world stopped)",
    "cursor": "time cursor",
}


def _legend_handle(kind: str) -> Any:
    if kind in ("execute", "revert", "revert_failure", "stopped"):
        return Patch(facecolor=COLORS[kind], edgecolor="none")
    if kind == "failure":
        return (
            Patch(facecolor=COLORS["failure"], edgecolor="none"),
            Line2D([], [], linestyle="", marker="x", **_X),
        )
    if kind == "instant":
        return Line2D([], [], linestyle="", marker="D", color="#777777", markersize=6)
    if kind == "critical":
        return Patch(facecolor="none", edgecolor=COLORS["critical"], linewidth=2)
    if kind == "resolution":
        return Line2D([], [], linestyle=":", marker="v", color=COLORS["resolution"])
    return Line2D([], [], color=COLORS["cursor"], linewidth=2)


def _timeline_kinds(result: Result, at: float | None) -> set[str]:
    all_spans = spans(result.events)
    kinds = {_kind(s) for s in all_spans if s.start < s.end}
    if any(s.start == s.end for s in all_spans):
        kinds.add("instant")
    if all_spans:
        kinds.update(("execute", "critical"))
    if result.resolutions:
        kinds.add("resolution")
    if _stopped(result):
        kinds.add("stopped")
    if at is not None:
        kinds.add("cursor")
    return kinds


def _bar_text(s: Span, lanes: str, multi: set[str]) -> str:
    number = f"#{s.attempt}" if s.name in multi and s.attempt is not None else ""
    if lanes == "atom":
        return "" if s.revert else number
    if s.revert:
        return s.name
    return f"{s.name}{number}" if s.start < s.end else number


def _draw_timeline(
    ax: Axes,
    result: Result,
    *,
    lanes: str,
    at: float | None,
    span: float,
    title: str,
    legend: Iterable[str] | None,
) -> None:
    all_spans = spans(result.events)
    labels, row_of = _rows(result, all_spans, lanes)
    multi = {n for n, k in result.executions.items() if k > 1}
    h = 0.62 if lanes == "atom" else 0.72
    # Roughly how many points one time unit takes, to decide which labels fit.
    per_unit = 0.8 * ax.bbox.width * 72 / ax.figure.dpi / span

    for lo, hi in _stopped(result):
        ax.axvspan(lo, hi, color=COLORS["stopped"], zorder=0, linewidth=0, gid="stopped")
    for s in all_spans:
        row = row_of(s)
        if row is None:
            continue
        gid, fill = f"{_kind(s)}:{s.name}:{s.attempt}", COLORS[_kind(s)]
        if s.start == s.end:
            _mark(ax, s.start, row, "D", gid, ms=6, color=fill, mec="white", zorder=4)
        else:
            box = Rectangle((s.start, row - h / 2), s.end - s.start, h, facecolor=fill, **_BAR)
            box.set_gid(gid)
            ax.add_patch(box)
        if s.failed and not s.revert:
            _mark(ax, s.end, row, "x", f"x:{s.name}:{s.attempt}", **_X)
        text = _bar_text(s, lanes, multi)
        if text and s.start == s.end:
            ax.annotate(
                text,
                (s.start, row),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                zorder=6,
                gid=f"label:{gid}",
            )
        elif text and (s.end - s.start) * per_unit >= 4.6 * len(text) + 6:
            ax.text(
                (s.start + s.end) / 2,
                row,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color=_ink(fill),
                zorder=6,
                gid=f"label:{gid}",
            )
    for s in critical_path(result):
        row = row_of(s)
        if row is None:
            continue
        if s.start == s.end:
            _mark(ax, s.start, row, "D", "critical", ms=10, mfc="none", mew=1.8, **_OUTLINE)
        else:
            box = Rectangle(
                (s.start, row - h / 2), s.end - s.start, h, fill=False, lw=2.2, **_OUTLINE
            )
            box.set_gid("critical")
            ax.add_patch(box)
    levels = _draw_resolutions(ax, result, per_unit)
    if at is not None:
        ax.axvline(at, color=COLORS["cursor"], linewidth=2, zorder=7, gid="cursor")

    ax.set_yticks(range(len(labels)), labels=labels)
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    ax.set_xlim(-0.015 * span, span)
    ax.set_xlabel("time")
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=10, loc="left", pad=6 + 10 * levels)
    if legend is not None:
        kinds = [k for k in _LEGEND_TEXT if k in set(legend)]
        _legend(ax, [_legend_handle(k) for k in kinds], [_LEGEND_TEXT[k] for k in kinds])


def _draw_resolutions(ax: Axes, result: Result, per_unit: float) -> int:
    """A dotted line, a marker and the decision at the top for each failure resolution.

    Labels that would collide go up a level (three at most; beyond that the label is left
    out). Returns the number of levels used."""
    trans = ax.get_xaxis_transform()
    taken: list[list[tuple[float, float]]] = [[], [], []]
    for r in result.resolutions:
        gid = f"resolution:{r.seq}"
        ax.axvline(r.time, color=COLORS["resolution"], ls=":", lw=1.2, zorder=1, gid=gid)
        _mark(
            ax,
            r.time,
            1.0,
            "v",
            gid,
            transform=trans,
            ms=8,
            color=COLORS["resolution"],
            clip_on=False,
            zorder=8,
        )
        text = f"{r.failed} failed: {r.action}" + (f" ({r.retry})" if r.retry else "")
        half = (4.0 * len(text) + 8) / per_unit / 2
        lo, hi = r.time - half, r.time + half
        level = next(
            (i for i, row in enumerate(taken) if all(hi <= a or b <= lo for a, b in row)), None
        )
        if level is None:
            continue
        taken[level].append((lo, hi))
        ax.annotate(
            text,
            (r.time, 1.0),
            xycoords=trans,
            xytext=(0, 6 + 10 * level),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            annotation_clip=False,
            gid=f"label:{gid}",
        )
    return sum(1 for row in taken if row)


def _span_of(results: Iterable[Result], at: float | None) -> float:
    end = max(
        [at or 0.0, *(max([r.makespan, *(s.end for s in spans(r.events))]) for r in results)]
    )
    return end * 1.02 if end > 0 else 1.0


def _row_count(result: Result, lanes: str) -> int:
    return max(1, len(_rows(result, spans(result.events), lanes)[0]))


def plot_timeline(
    result: Result, *, lanes: str = "atom", at: float | None = None, ax: Axes | None = None
) -> Axes:
    """A Gantt chart of a run.

    Parameters
    ----------
    result
        What :func:`flowsim.simulate` returned.
    lanes
        ``"atom"``: one row per atom in compile (topological) order, its executes and later
        reverts on that row. ``"worker"``: one row per worker used, then one row per
        retry controller (they run engine-side, on no worker); bars carry the atom's name.
    at
        Draw a vertical time cursor at this time.
    ax
        The Axes to draw on; None draws on a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Bars: execute blue, revert orange, failed execute vermillion with an ``x`` at the
        failing end, failed revert black; zero-length work (a retry controller's execute)
        is a diamond. An atom run more than once has its executes labelled ``#attempt``.
        Failure resolutions are dotted lines with a marker and the decision at the top;
        grey bands show when a ``stop_the_world`` flow was REVERTING. The critical path
        (:func:`flowsim.spans.critical_path`: the chain of work the end of the run
        waited for) is outlined in black. A legend explains the marks used.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")]))
    >>> ax = plot_timeline(r, lanes="worker")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['worker 0']
    """
    fn = "plot_timeline"
    _check_result(result, fn)
    lanes = _check_lanes(lanes, fn)
    when = _check_at(at, fn)
    _check_ax(ax, fn)
    if ax is None:
        ax = _new_axes(9.0, max(2.4, 1.4 + 0.42 * _row_count(result, lanes)))
    title = (
        f"{result.trace.flow} ({result.options.strategy}, {_workers(result)}): "
        f"{result.flow_state} at t={_num(result.makespan)}"
    )
    legend = _timeline_kinds(result, when)
    span = _span_of([result], when)
    _draw_timeline(ax, result, lanes=lanes, at=when, span=span, title=title, legend=legend)
    return ax


def plot_comparison_timelines(
    results_by_label: Mapping[str, Result], *, lanes: str = "atom", at: float | None = None
) -> Figure:
    """Timelines of several runs stacked on one time axis, e.g. both strategies.

    Parameters
    ----------
    results_by_label
        The runs, by label (e.g. ``{"smart": ..., "stop_the_world": ...}``), top to bottom.
    lanes, at
        As for :func:`plot_timeline`.

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per run (sharing the x axis), titled with the label, the flow's final
        state, the makespan and the wasted work; one legend for all, on the first.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> flow = LinearFlow(name="f", children=[Task(name="a", fails_on=[1])])
    >>> fig = plot_comparison_timelines({"smart": simulate(flow),
    ...     "stop_the_world": simulate(flow, strategy="stop_the_world")})
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['smart: REVERTED at t=2, wasted work 1', 'stop_the_world: REVERTED at t=2, wasted work 1']
    """
    fn = "plot_comparison_timelines"
    results = _check_results(results_by_label, fn)
    lanes = _check_lanes(lanes, fn)
    when = _check_at(at, fn)
    rows = [_row_count(r, lanes) for r in results.values()]
    fig = Figure(figsize=(9.0, 0.9 + sum(1.0 + 0.42 * n for n in rows)), layout="constrained")
    axes = fig.subplots(len(results), 1, sharex=True, height_ratios=rows, squeeze=False)
    span = _span_of(results.values(), when)
    kinds = set().union(*(_timeline_kinds(r, when) for r in results.values()))
    for i, (label, r) in enumerate(results.items()):
        title = (
            f"{label}: {r.flow_state} at t={_num(r.makespan)}, wasted work {_num(r.wasted_work)}"
        )
        _draw_timeline(
            axes[i][0],
            r,
            lanes=lanes,
            at=when,
            span=span,
            title=title,
            legend=kinds if i == 0 else None,
        )
        if i < len(results) - 1:
            axes[i][0].set_xlabel("")
    first = next(iter(results.values()))
    fig.suptitle(f"{first.trace.flow}: {' vs '.join(results)} ({_workers(first)})", fontsize=11)
    return fig


def plot_comparison(results_by_label: Mapping[str, Result], *, ax: Axes | None = None) -> Axes:
    """Grouped bars comparing runs: makespan, wasted work and busy time per label.

    Busy time is the sum over workers of the time they spent executing or reverting.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> flow = LinearFlow(name="f", children=[Task(name="a", fails_on=[1])])
    >>> ax = plot_comparison({"smart": simulate(flow)})
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['makespan', 'wasted work', 'busy time']
    """
    fn = "plot_comparison"
    results = _check_results(results_by_label, fn)
    _check_ax(ax, fn)
    if ax is None:
        ax = _new_axes(max(5.0, 3.0 + 0.8 * len(results)), 3.6)
    metrics = ("makespan", "wasted work", "busy time")
    n = len(results)
    width = 0.8 / n
    for i, (label, r) in enumerate(results.items()):
        values = [r.makespan, r.wasted_work, float(sum(r.worker_busy.values()))]
        xs = [m + (i - (n - 1) / 2) * width for m in range(len(metrics))]
        bars = ax.bar(
            xs,
            values,
            width,
            label=label,
            color=_LABEL_COLORS[i % len(_LABEL_COLORS)],
            edgecolor="black",
            linewidth=0.8,
            hatch=_HATCHES[i % len(_HATCHES)],
            gid=f"bars:{label}",
        )
        ax.bar_label(bars, labels=[_num(v) for v in values], fontsize=8, padding=2)
    ax.set_xticks(range(len(metrics)), labels=list(metrics))
    ax.set_ylabel("time units")
    ax.margins(y=0.15)
    ax.set_axisbelow(True)
    ax.grid(axis="y", alpha=0.3)
    handles, texts = ax.get_legend_handles_labels()
    _legend(ax, handles, texts)
    first = next(iter(results.values()))
    ax.set_title(f"{first.trace.flow}: {' vs '.join(results)}", fontsize=10, loc="left")
    return ax


# -- the flow's graph

_NODE_W = 0.56  # node width, in generations (columns are 1 apart)
_NODE_H = 0.56  # node height, in rows
_PAD_TOP = 0.42  # room for a scope's label, in rows
_PAD_BOTTOM = 0.16


@dataclass(frozen=True, slots=True)
class _Block:
    """A laid-out atom or scope: its generations and height; positions relative to its top."""

    lo: int
    hi: int
    height: float
    nodes: dict[str, float]  # atom -> centre y
    boxes: list[tuple[Scope, float, float, int]]  # scope, top, height, levels of boxes


def _layout(compiled: CompiledFlow) -> tuple[dict[str, tuple[float, float]], list[Any]]:
    """Node centres (x: topological generation, y: row) and scope boxes, outermost first.

    Each scope's children (its retry controller first, then its tasks and subflows in
    declaration order) are stacked greedily: a child goes to the highest place where it
    overlaps no earlier sibling whose generations overlap its own. So a box encloses its
    own atoms only, and boxes never cross.
    """
    import networkx as nx

    generations = nx.topological_generations(compiled.to_networkx())
    gen = {name: g for g, names in enumerate(generations) for name in names}

    def atom(name: str) -> _Block:
        return _Block(gen[name], gen[name], 1.0, {name: 0.5}, [])

    def scope(s: Scope) -> _Block | None:
        parts = [atom(s.retry)] if s.retry is not None else []
        for child in s.children:
            block = atom(child) if isinstance(child, str) else scope(child)
            if block is not None:
                parts.append(block)
        if not parts:
            return None
        placed: list[tuple[_Block, float]] = []
        for block in parts:
            clash = [(b, y) for b, y in placed if b.lo <= block.hi and block.lo <= b.hi]
            top = min(
                t
                for t in {0.0, *(y + b.height for b, y in clash)}
                if all(t + block.height <= y or y + b.height <= t for b, y in clash)
            )
            placed.append((block, top))
        nodes: dict[str, float] = {}
        boxes: list[tuple[Scope, float, float, int]] = []
        for block, top in placed:
            nodes.update({n: _PAD_TOP + top + y for n, y in block.nodes.items()})
            boxes.extend((sc, _PAD_TOP + top + y, h, lv) for sc, y, h, lv in block.boxes)
        height = _PAD_TOP + max(top + b.height for b, top in placed) + _PAD_BOTTOM
        levels = 1 + max((lv for *_, lv in boxes), default=0)
        lo, hi = min(b.lo for b, _ in placed), max(b.hi for b, _ in placed)
        return _Block(lo, hi, height, nodes, [(s, 0.0, height, levels), *boxes])

    root = scope(compiled.root)
    if root is None:
        return {}, []
    return {name: (float(gen[name]), y) for name, y in root.nodes.items()}, root.boxes


def plot_flow(
    compiled_or_result: CompiledFlow | Result, *, at: float | None = None, ax: Axes | None = None
) -> Axes:
    """The flow's graph: atoms by topological generation, flows as nested boxes.

    Parameters
    ----------
    compiled_or_result
        A :class:`~flowsim.CompiledFlow` (every atom drawn PENDING) or a run's
        :class:`~flowsim.Result` (atoms coloured by state).
    at
        With a result: colour atoms by their state at this time (:func:`states_at`);
        default: their final state.
    ax
        The Axes to draw on; None draws on a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Column ``g`` holds topological generation ``g`` (atoms whose longest chain of
        predecessors has ``g`` atoms); arrows are dependencies. Each flow is a box labelled
        with its name and pattern (a flow with a retry controller has a reddish purple
        border, and the controller is the dashed node at its start). Node
        fills are :data:`STATE_COLORS`, and each node also names its state. The layout
        depends only on the compiled flow, so every time ``at`` gives the same positions.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, compile
    >>> ax = plot_flow(compile(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")])))
    >>> sorted(p.get_gid() for p in ax.patches if p.get_gid().startswith("node:"))
    ['node:a', 'node:b']
    """
    fn = "plot_flow"
    if isinstance(compiled_or_result, Result):
        compiled = compiled_or_result.compiled
        when = _check_at(at, fn)
        states = states_at(compiled_or_result, when)
    elif isinstance(compiled_or_result, CompiledFlow):
        if at is not None:
            raise PlotError(
                f"{fn}(): at={at!r} needs a run: pass a Result (what simulate() returns), "
                "or leave at out to draw the compiled flow"
            )
        compiled, when = compiled_or_result, None
        states = dict.fromkeys(compiled.names, AtomState.PENDING)
    else:
        raise PlotError(
            f"{fn}(): expected a CompiledFlow (flowsim.compile(flow)) or a Result "
            f"(flowsim.simulate(flow)), got {type(compiled_or_result).__name__}"
        )
    _check_ax(ax, fn)
    centres, boxes = _layout(compiled)
    columns = 1 + max((int(x) for x, _ in centres.values()), default=0)
    rows = max((top + h for _, top, h, _ in boxes), default=1.0)
    pitch = max(1.3, 0.085 * max((len(n) for n in compiled.names), default=0) / _NODE_W)
    if ax is None:
        ax = _new_axes(pitch * columns + 2.4, max(2.0, 0.62 * rows + 0.8))
    pad_step = min(0.05, 0.2 / max((lv for *_, lv in boxes), default=1))
    is_retry = dict(zip(compiled.names, compiled.is_retry, strict=True))
    corner = "round,pad=0,rounding_size=0.06"

    for k, (sc, top, height, levels) in enumerate(boxes):
        xs = [centres[a][0] for a in sc.atoms]
        x0 = min(xs) - _NODE_W / 2 - pad_step * levels
        x1 = max(xs) + _NODE_W / 2 + pad_step * levels
        edge = COLORS["resolution"] if sc.retry is not None else "#777777"
        styles: tuple[tuple[str, dict[str, Any]], ...] = (
            (f"scope-fill:{sc.name}", {"facecolor": "#000000", "alpha": 0.035, "ec": "none"}),
            (f"scope:{sc.name}", {"facecolor": "none", "ec": edge, "lw": 1.3}),
        )
        for gid, style in styles:
            box = FancyBboxPatch(
                (x0, top + 0.04),
                x1 - x0,
                height - 0.08,
                boxstyle=corner,
                zorder=0.1 + 0.01 * k,
                gid=gid,
                **style,
            )
            ax.add_patch(box)
        # The retry controller is the dashed node inside; the label never leaves the box.
        label = ax.text(
            x0 + 0.04,
            top + 0.1,
            f"{sc.name} ({sc.pattern})",
            ha="left",
            va="top",
            fontsize=7,
            style="italic",
            color="#333333",
            zorder=1,
            gid=f"scope-label:{sc.name}",
        )
        label.set_clip_path(box)
    for i, succ in enumerate(compiled.succs):
        a = compiled.names[i]
        for b in (compiled.names[j] for j in succ):
            (xa, ya), (xb, yb) = centres[a], centres[b]
            ax.add_patch(
                FancyArrowPatch(
                    (xa + _NODE_W / 2, ya),
                    (xb - _NODE_W / 2, yb),
                    arrowstyle="-|>",
                    mutation_scale=10,
                    color="#555555",
                    lw=1,
                    zorder=1.5,
                    shrinkA=0,
                    shrinkB=0,
                    gid=f"edge:{a}->{b}",
                )
            )
    for name in compiled.names:
        (x, y), state = centres[name], states[name]
        ax.add_patch(
            FancyBboxPatch(
                (x - _NODE_W / 2, y - _NODE_H / 2),
                _NODE_W,
                _NODE_H,
                boxstyle="round,pad=0,rounding_size=0.05",
                facecolor=STATE_COLORS[state],
                ec="#333333",
                lw=1.2,
                ls="--" if is_retry[name] else "-",
                zorder=2,
                gid=f"node:{name}",
            )
        )
        ax.text(
            x,
            y,
            f"{name}\n{state}",
            ha="center",
            va="center",
            fontsize=7.5,
            color=_ink(STATE_COLORS[state]),
            zorder=3,
            gid=f"node-label:{name}",
        )

    ax.set_xlim(-0.5 - pad_step, columns - 0.5 + pad_step)
    ax.set_ylim(rows + 0.05, -0.05)
    ax.set_axis_off()
    ax.set_title(
        compiled.name + (f" at t={_num(when)}" if when is not None else ""),
        fontsize=10,
        loc="left",
    )
    shown = [s for s in STATE_COLORS if s in set(states.values())]
    handles: list[Any] = [Patch(facecolor=STATE_COLORS[s], edgecolor="#333333") for s in shown]
    texts = [str(s) for s in shown]
    if any(compiled.is_retry):
        handles.append(Patch(facecolor="white", edgecolor="#333333", linestyle="--"))
        texts.append("retry controller")
    _legend(ax, handles, texts)
    return ax
