"""The execution timeline of one run: a Gantt chart, by atom or by worker.

Private: :func:`plot_timeline` is re-exported by :mod:`flowsim.plot`; the drawing
(:func:`_draw_timeline`) is shared with the comparisons in :mod:`flowsim._plot_compare`.
This module imports matplotlib; ``import flowsim`` does not import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.ticker import FixedFormatter, FixedLocator

from flowsim.spans import Span, critical_path, spans
from flowsim.states import FlowState
from flowsim.trace import Resolution, Result

from ._common import (
    COLORS,
    _check_at,
    _check_ax,
    _check_lanes,
    _check_result,
    _ink,
    _legend,
    _new_axes,
    _num,
    _workers,
)

_BAR: dict[str, Any] = {"edgecolor": "white", "linewidth": 1.2, "zorder": 2}
_X: dict[str, Any] = {
    "markersize": 8,
    "mew": 2,
    "color": "black",
    "zorder": 5,
    "path_effects": [withStroke(linewidth=4, foreground="white")],
}
_OUTLINE: dict[str, Any] = {"color": COLORS["critical"], "zorder": 3}
_LEFT_ROOM = 12.0  # points left of time 0: half a diamond and half its "#1" label


def _mark(ax: Axes, x: float, y: float, marker: str, gid: str, **style: Any) -> None:
    ax.plot([x], [y], linestyle="", marker=marker, gid=gid, **style)


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
    if kind == "instant":  # as drawn: an execute's colour, a white rim
        return Line2D([], [], linestyle="", marker="D", color=COLORS["execute"], mec="white", ms=6)
    if kind == "critical":
        return Patch(fill=False, edgecolor=COLORS["critical"], linewidth=2)
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
    # Room left of time 0 for half a diamond and its "#1" label, so neither is cut.
    left = -max(0.015 * span, _LEFT_ROOM / per_unit)

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
            ax.add_artist(box)  # not add_patch: the limits are set below, and it is faster
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
            ax.add_artist(box)
    if lanes == "atom":
        _label_never_run(ax, result, {s.name for s in all_spans}, left)
    levels = _draw_resolutions(ax, result, per_unit, (left, span))
    if at is not None:
        ax.axvline(at, color=COLORS["cursor"], linewidth=2, zorder=7, gid="cursor")

    # one row label per row, made when drawn (not now): the explorer can then skip them
    ax.yaxis.set_major_locator(FixedLocator(range(len(labels))))
    ax.yaxis.set_major_formatter(FixedFormatter(labels))
    ax.set_ylim(max(len(labels), 1) - 0.5, -0.5)
    ax.set_xlim(left, span)
    ax.set_xlabel("time")
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(title, fontsize=10, loc="left", pad=6 + 10 * levels)
    if legend is not None:
        kinds = [k for k in _LEGEND_TEXT if k in set(legend)]
        _legend(ax, [_legend_handle(k) for k in kinds], [_LEGEND_TEXT[k] for k in kinds])


def _label_never_run(ax: Axes, result: Result, ran: set[str], left: float) -> None:
    """Write "never ran" and the atom's final state (PENDING, IGNORE) in an empty row."""
    for row, name in enumerate(result.compiled.names):
        if name not in ran:
            ax.annotate(
                f"never ran ({result.atom_final_states[name]})",
                (left, row),
                xytext=(4, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=8,
                style="italic",
                color="#555555",
                gid=f"never-run:{name}",
            )


def _decisions(r: Resolution) -> str:
    """What a resolution decided, the whole chain innermost first, then what was applied
    when that differs from the last decision: ``deploy failed: REVERT (inner) -> RETRY
    (outer)``, ``B failed: RETRY (checkpoint)``, ``a failed: REVERT_ALL``."""
    steps = [f"{d} ({name})" for name, d in r.chain]
    applied = f"{r.action}" + (f" ({r.retry})" if r.retry else "")
    if not r.chain or (r.chain[-1][1], r.chain[-1][0]) != (r.action, r.retry):
        steps.append(applied)
    return f"{r.failed} failed: " + " \N{RIGHTWARDS ARROW} ".join(steps)


def _draw_resolutions(ax: Axes, result: Result, per_unit: float, xlim: tuple[float, float]) -> int:
    """A dotted line, a marker and the decisions at the top for each failure resolution.

    Labels that would collide go up a level (three at most; beyond that the label is left
    out); a label near either end is moved inwards so the frame never cuts it. Returns
    the number of levels used."""
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
        text = _decisions(r)
        half = (4.0 * len(text) + 8) / per_unit / 2
        lo_x, hi_x = xlim[0] + half, xlim[1] - half
        x = min(max(r.time, lo_x), hi_x) if lo_x <= hi_x else (xlim[0] + xlim[1]) / 2
        lo, hi = x - half, x + half
        level = next(
            (i for i, row in enumerate(taken) if all(hi <= a or b <= lo for a, b in row)), None
        )
        if level is None:
            continue
        taken[level].append((lo, hi))
        ax.annotate(
            text,
            (x, 1.0),
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
        Bars: execute blue, revert orange, failed execute dark vermillion with an ``x`` at the
        failing end, failed revert black; zero-length work (a retry controller's execute)
        is a diamond. An atom run more than once has its executes labelled ``#attempt``;
        an atom that never ran says so in its row (``never ran (PENDING)``).
        Failure resolutions are dotted lines with a marker and the decisions at the top,
        the whole chain innermost first (``deploy failed: REVERT (inner) -> RETRY (outer)``);
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
        f"{result.compiled.name} ({result.options.strategy}, {_workers(result)}): "
        f"{result.flow_state} at t={_num(result.makespan)}"
    )
    legend = _timeline_kinds(result, when)
    span = _span_of([result], when)
    _draw_timeline(ax, result, lanes=lanes, at=when, span=span, title=title, legend=legend)
    return ax
