"""Comparisons of several runs: stacked timelines on one time axis, grouped bars.

Private: :func:`plot_comparison_timelines` and :func:`plot_comparison` are re-exported by
:mod:`flowsim.plot`. This module imports matplotlib; ``import flowsim`` does not import it.
"""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flowsim.trace import Result

from ._common import (
    _check_at,
    _check_ax,
    _check_lanes,
    _check_results,
    _legend,
    _new_axes,
    _num,
    _workers,
)
from ._timeline import _draw_timeline, _row_count, _span_of, _timeline_kinds

_LABEL_COLORS = ("#56B4E9", "#CC79A7", "#009E73", "#F0E442", "#0072B2", "#D55E00")
_HATCHES = ("", "//", "..", "xx", "\\\\", "--")


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
    fig.suptitle(f"{first.compiled.name}: {' vs '.join(results)} ({_workers(first)})", fontsize=11)
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
    ax.set_title(f"{first.compiled.name}: {' vs '.join(results)}", fontsize=10, loc="left")
    return ax
