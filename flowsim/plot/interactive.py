"""An interactive timeline: zoom, pan and hover over a run, in a notebook or a web page.

:func:`timeline` builds the Gantt chart of :func:`flowsim.plot.plot_timeline` as a Bokeh
figure: the same rows (one per atom, or one per worker), the same spans (read from
:func:`flowsim.spans.spans`), colours (:data:`flowsim.plot.COLORS`), critical path,
failure marks, decision markers and stopped bands. Drag to pan along time, scroll to
zoom (the wheel-zoom tool in the toolbar turns that off), draw a box to zoom into a part,
reset to see the whole run again. A flow of more than 30 rows shows 30 at a time: drag
up and down to see the others. Hovering over a piece of work shows the atom, what the
work was, its attempt, start, end, worker and state, and for work that was reverted (and
for the revert itself) the failure resolution that reverted it; hovering over a decision
marker shows the failure, the decision, the chain of retry controllers consulted and the
scope. :func:`show` displays it in a notebook, :func:`to_html` and :func:`save_html` make
a page of it (``flowsim run SCENARIO --html FILE`` writes one).

Everything works offline: BokehJS is embedded in the notebook output and in the page
(Bokeh's INLINE resources), nothing is fetched from a CDN. The price is size: a page of
a small flow is 1.3 MB (3.1 MB for 2,000 tasks), and the first :func:`show` in a kernel
adds 1.3 MB to the notebook.

Why Bokeh: it draws zoomable, hoverable Gantt-like charts on an HTML canvas, the way
Dask's task stream (Dask's dashboard is built on Bokeh) shows users the same kind of
picture; it is a mature, well-kept library (NumFOCUS, regular releases, typed); it
renders the same figure in JupyterLab, classic Notebook, VS Code and in a standalone HTML
file with no server and no notebook extension; and it embeds its JavaScript inline, which
is what a machine with no internet access needs. Plotly would also work offline, with a
bundle of 3.5 MB or more per page; Altair (Vega-Lite) loads its scripts from a CDN by
default. The matplotlib pictures of :mod:`flowsim.plot` stay the
default, for papers and PNG export; this module is the optional extra ``interactive``
(``pip install "flowsim[interactive]"``), and neither ``import flowsim`` nor ``import
flowsim.plot`` imports Bokeh.

Examples
--------
>>> from flowsim import examples, simulate
>>> fig = timeline(simulate(examples.load("blueprint")))
>>> spans = fig.select_one({"name": "spans"}).data_source.data
>>> for row in zip(spans["name"], spans["work"], spans["start"], spans["end"]):
...     print(*row)
A execute 0.0 1.0
C execute 1.0 7.0
B failed execute 1.0 3.0
B revert 3.0 4.0
B execute 4.0 6.0
>>> spans["reverted_by"][2]
'B failed at t=3: RETRY (checkpoint)'
"""

from __future__ import annotations

import bisect
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowsim.errors import missing

try:
    from bokeh.embed import file_html
    from bokeh.models import (
        ColumnDataSource,
        FixedTicker,
        HoverTool,
        Range1d,
    )
    from bokeh.models.annotations.legends import Legend, LegendItem
    from bokeh.plotting import figure
    from bokeh.resources import INLINE, Resources
except ModuleNotFoundError as exc:
    raise missing(
        exc, what="flowsim.plot.interactive", extra="interactive", library="Bokeh"
    ) from None

from flowsim.spans import Span, critical_path, spans
from flowsim.trace import Resolution, Result

from ._common import COLORS, PlotError, _check_lanes, _check_result, _ink, _num, _workers
from ._timeline import _LEGEND_TEXT, _bar_text, _decisions, _kind, _rows, _span_of, _stopped

__all__ = ["save_html", "show", "timeline", "to_html"]

_WIDTH = 900  # pixels: the figure's width when it cannot stretch (and for bar labels)
_ROW = 30  # pixels per row
_ROWS = 30  # rows shown at once; drag up and down to see the others
_HEIGHT = 0.62  # a bar's height in rows (atom lanes; 0.72 for worker lanes, as static)
_WORK = {  # what the hover calls each kind of work
    "execute": "execute",
    "revert": "revert",
    "failure": "failed execute",
    "revert_failure": "failed revert",
}
_SPAN_TIPS = [
    ("atom", "@name"),
    ("work", "@work"),
    ("attempt", "@attempt"),
    ("start", "@start_text"),
    ("end", "@end_text"),
    ("worker", "@worker"),
    ("state", "@state"),
    ("reverted by", "@reverted_by"),
]
_RESOLUTION_TIPS = [
    ("failure", "@failed at t=@time_text"),
    ("decision", "@action"),
    ("chain", "@chain"),
    ("scope", "@scope"),
]


def _describe(r: Resolution) -> str:
    """The static timeline's decision label, with the time: ``deploy failed at t=6: REVERT
    (inner) -> RETRY (outer)``."""
    decided = _decisions(r).removeprefix(f"{r.failed} failed: ")
    return f"{r.failed} failed at t={_num(r.time)}: {decided}"


def _reverted_by(result: Result, all_spans: Sequence[Span]) -> dict[int, str]:
    """For each span (by start ``seq``), the resolutions that reverted it.

    A revert was caused by the resolutions that put its atom in scope after the atom's
    previous execute started; the execute it undid was reverted by the same ones. A
    failed execute that was never reverted (``never_resolve``, a revert failure
    elsewhere) names the resolution of its failure if there was one.
    """
    in_scope: dict[str, list[Resolution]] = {}  # per atom, in trace order
    resolved: dict[int, Resolution] = {}  # by the seq of the FAILURE event resolved
    for r in sorted(result.resolutions, key=lambda r: r.seq):
        resolved[r.seq] = r
        for name in r.scope:
            in_scope.setdefault(name, []).append(r)
    last_execute: dict[str, Span] = {}
    out: dict[int, str] = {}
    for s in sorted(all_spans, key=lambda s: s.seq):
        if not s.revert:
            last_execute[s.name] = s
            if s.failed:
                own = resolved.get(s.end_seq) if s.end_seq is not None else None
                out[s.seq] = _describe(own) if own is not None else "not resolved"
            continue
        before = last_execute.pop(s.name, None)
        since = before.seq if before is not None else -1
        mine = in_scope.get(s.name, [])
        first = bisect.bisect_right(mine, since, key=lambda r: r.seq)
        last = bisect.bisect_left(mine, s.seq, key=lambda r: r.seq)
        causes = "; ".join(_describe(r) for r in mine[first:last])
        out[s.seq] = causes or "-"
        if before is not None:
            out[before.seq] = out[s.seq]
    return out


def _columns(
    result: Result,
    chosen: Sequence[Span],
    row_of: Any,
    lanes: str,
    span: float,
    reverted: dict[int, str],
) -> dict[str, list[Any]]:
    """The data of one source: a row per span, the fields the glyphs and hovers read."""
    multi = {n for n, k in result.executions.items() if k > 1}
    height = _HEIGHT if lanes == "atom" else 0.72
    data: dict[str, list[Any]] = {
        k: []
        for k in (
            "name",
            "work",
            "legend",
            "attempt",
            "start",
            "end",
            "start_text",
            "end_text",
            "worker",
            "state",
            "reverted_by",
            "row",
            "height",
            "middle",
            "color",
            "label",
            "ink",
        )
    }
    per_unit = 0.85 * _WIDTH / span  # pixels per time unit in the first view
    for s in chosen:
        kind, text = _kind(s), _bar_text(s, lanes, multi)
        fits = (s.end - s.start) * per_unit >= 7 * len(text) + 6
        values = {
            "name": s.name,
            "work": _WORK[kind],
            "legend": _LEGEND_TEXT[kind],
            "attempt": "-" if s.attempt is None else str(s.attempt),
            "start": s.start,
            "end": s.end,
            "start_text": _num(s.start),
            "end_text": _num(s.end) if s.state is not None else f"{_num(s.end)} (unfinished)",
            "worker": "none (engine-side)" if s.worker is None else str(s.worker),
            "state": "unfinished" if s.state is None else str(s.state),
            "reverted_by": reverted.get(s.seq, "not reverted"),
            "row": row_of(s),
            "height": height,
            "middle": (s.start + s.end) / 2,
            "color": COLORS[kind],
            "label": text if fits and s.start < s.end else "",
            "ink": _ink(COLORS[kind]),
        }
        for k, v in values.items():
            data[k].append(v)
    return data


def _resolution_columns(result: Result) -> dict[str, list[Any]]:
    rs = result.resolutions
    return {
        "time": [r.time for r in rs],
        "time_text": [_num(r.time) for r in rs],
        "failed": [r.failed for r in rs],
        "action": [str(r.action) + (f" ({r.retry})" if r.retry else "") for r in rs],
        "chain": [", ".join(f"{n}: {d}" for n, d in r.chain) or "-" for r in rs],
        "scope": [", ".join(r.scope) or "-" for r in rs],
        "label": [_decisions(r) for r in rs],
    }


def timeline(result: Result, *, lanes: str = "atom") -> Any:
    """The run's timeline as an interactive Bokeh figure (zoom, pan, hover).

    Parameters
    ----------
    result
        What :func:`flowsim.simulate` returned.
    lanes
        ``"atom"``: one row per atom in compile order; ``"worker"``: one row per worker,
        then one per retry controller (as :func:`flowsim.plot.plot_timeline`).

    Returns
    -------
    bokeh.plotting.figure
        Its renderers are named: ``"spans"`` (a bar per execute and revert that took
        time; its data source has one row per span with the fields the hover shows:
        ``name``, ``work``, ``attempt``, ``start``, ``end``, ``worker``, ``state``,
        ``reverted_by``), ``"instants"`` (a diamond per zero-length execute, a retry
        controller's), ``"failures"`` (an ``x`` at each failed execute's end),
        ``"critical"`` (the critical path's outline), ``"resolutions"`` and
        ``"decisions"`` (a dotted line and a marker per failure resolution; its source:
        ``failed``, ``action``, ``chain``, ``scope``), ``"stopped"`` (a grey band while a
        ``stop_the_world`` flow was REVERTING). A legend right of the plot explains the
        marks drawn; the toolbar above holds pan, wheel zoom, box zoom, reset, save (a
        PNG of the current view) and the hover switch.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")]))
    >>> fig = timeline(r, lanes="worker")
    >>> fig.yaxis.major_label_overrides
    {0: 'worker 0'}
    >>> fig.select_one({"name": "spans"}).data_source.data["name"]
    ['a', 'b']
    """
    fn = "timeline"
    _check_result(result, fn)
    lanes = _check_lanes(lanes, fn)
    all_spans = spans(result.events)
    labels, lane = _rows(result, all_spans, lanes)

    def row_of(s: Span) -> int:
        row = lane(s)
        assert row is not None  # only spans with a row are drawn
        return row

    span = _span_of([result], None)
    rows = max(len(labels), 1)
    title = (
        f"{result.compiled.name} ({result.options.strategy}, {_workers(result)}): "
        f"{result.flow_state} at t={_num(result.makespan)}"
    )
    fig = figure(
        title=title,
        width=_WIDTH,
        height=90 + _ROW * min(rows, _ROWS),
        sizing_mode="stretch_width",
        x_range=Range1d(start=-0.015 * span, end=span, bounds=(-0.015 * span, span)),
        y_range=Range1d(start=min(rows, _ROWS) - 0.5, end=-1.0, bounds=(-1.0, rows - 0.5)),
        tools="pan,xwheel_zoom,box_zoom,reset,save",
        active_drag="pan",  # along time; through the rows too when they do not all fit
        active_scroll="xwheel_zoom",
        x_axis_label="time",
        toolbar_location="above",
    )
    fig.yaxis.ticker = FixedTicker(ticks=list(range(len(labels))))
    fig.yaxis.major_label_overrides = dict(enumerate(labels))
    fig.yaxis.major_tick_line_color = None
    fig.yaxis.minor_tick_line_color = None
    fig.ygrid.grid_line_color = None
    fig.xgrid.grid_line_alpha = 0.3

    drawn = [s for s in all_spans if lane(s) is not None]
    reverted = _reverted_by(result, all_spans)
    stopped = _stopped(result)
    band = fig.quad(
        name="stopped",
        left=[lo for lo, _ in stopped],
        right=[hi for _, hi in stopped],
        bottom=rows - 0.5,
        top=-1.0,
        fill_color=COLORS["stopped"],
        line_color=None,
        level="underlay",
    )
    bars = ColumnDataSource(
        _columns(result, [s for s in drawn if s.start < s.end], row_of, lanes, span, reverted)
    )
    instants = ColumnDataSource(
        _columns(result, [s for s in drawn if s.start == s.end], row_of, lanes, span, reverted)
    )
    bar = fig.hbar(
        name="spans",
        source=bars,
        y="row",
        left="start",
        right="end",
        height="height",
        fill_color="color",
        line_color="white",
        line_width=1.2,
    )
    fig.text(
        source=bars,
        x="middle",
        y="row",
        text="label",
        text_color="ink",
        text_align="center",
        text_baseline="middle",
        text_font_size="8pt",
    )
    diamond = fig.scatter(
        name="instants",
        source=instants,
        x="start",
        y="row",
        marker="diamond",
        size=11,
        fill_color="color",
        line_color="white",
    )
    failed = [s for s in drawn if s.failed and not s.revert]
    fig.scatter(
        name="failures",
        x=[s.end for s in failed],
        y=[row_of(s) for s in failed],
        marker="x",
        size=10,
        line_width=2.5,
        line_color="black",
    )
    path = [s for s in critical_path(result) if lane(s) is not None]
    long_path = [s for s in path if s.start < s.end]
    outline = fig.hbar(
        name="critical",
        y=[row_of(s) for s in long_path],
        left=[s.start for s in long_path],
        right=[s.end for s in long_path],
        height=_HEIGHT if lanes == "atom" else 0.72,
        fill_alpha=0,
        line_color=COLORS["critical"],
        line_width=2.2,
    )
    instant_path = [s for s in path if s.start == s.end]
    fig.scatter(
        x=[s.start for s in instant_path],
        y=[row_of(s) for s in instant_path],
        marker="diamond",
        size=15,
        fill_alpha=0,
        line_color=COLORS["critical"],
        line_width=1.8,
    )
    ran = {s.name for s in all_spans}
    never = [n for n in result.compiled.names if n not in ran] if lanes == "atom" else []
    fig.text(
        name="never run",
        x=0,
        y=[result.compiled.index[n] for n in never],  # atom lanes: compile order
        text=[f"never ran ({result.atom_final_states[n]})" for n in never],
        x_offset=4,
        text_baseline="middle",
        text_font_size="8pt",
        text_font_style="italic",
        text_color="#555555",
    )
    decisions = ColumnDataSource(_resolution_columns(result))
    line = fig.segment(
        name="resolutions",
        source=decisions,
        x0="time",
        x1="time",
        y0=-0.5,  # from the first row down: the marker above it has its own hover
        y1=rows - 0.5,
        line_color=COLORS["resolution"],
        line_dash="dotted",
        line_width=1.5,
    )
    marker = fig.scatter(
        name="decisions",
        source=decisions,
        x="time",
        y=-0.75,
        marker="inverted_triangle",
        size=12,
        color=COLORS["resolution"],
    )
    fig.text(
        source=decisions,
        x="time",
        y=-0.75,
        text="label",
        x_offset=9,
        text_baseline="middle",
        text_font_size="7pt",
    )
    fig.add_tools(
        HoverTool(renderers=[bar, diamond], tooltips=_SPAN_TIPS, name="span hover"),
        HoverTool(renderers=[line, marker], tooltips=_RESOLUTION_TIPS, name="decision hover"),
    )
    _add_legend(fig, bars, bar, diamond, outline, marker, band)
    return fig


def _add_legend(
    fig: Any, bars: Any, bar: Any, diamond: Any, outline: Any, marker: Any, band: Any
) -> None:
    """A legend outside the plot, right, of the marks drawn (in the static legend's order)."""
    legend = bars.data["legend"]
    items = [
        LegendItem(label=_LEGEND_TEXT[k], renderers=[bar], index=legend.index(_LEGEND_TEXT[k]))
        for k in ("execute", "revert", "failure", "revert_failure")
        if _LEGEND_TEXT[k] in legend
    ]
    if diamond.data_source.data["name"]:
        items.append(LegendItem(label=_LEGEND_TEXT["instant"], renderers=[diamond], index=0))
    if outline.data_source.data["left"]:
        items.append(LegendItem(label=_LEGEND_TEXT["critical"], renderers=[outline]))
    if marker.data_source.data["time"]:
        items.append(LegendItem(label=_LEGEND_TEXT["resolution"], renderers=[marker]))
    if band.data_source.data["left"]:
        items.append(LegendItem(label=_LEGEND_TEXT["stopped"], renderers=[band]))
    if items:
        fig.add_layout(
            Legend(items=items, label_text_font_size="8pt", border_line_alpha=0), "right"
        )


def _figure(what: object, fn: str, lanes: str) -> Any:
    if isinstance(what, Result):
        return timeline(what, lanes=lanes)
    from bokeh.model import Model

    if isinstance(what, Model):
        return what
    raise PlotError(
        f"{fn}(): expected a flowsim Result (what flowsim.simulate() returns) or a figure "
        f"from timeline(), got {type(what).__name__}"
    )


def to_html(result: Result, *, lanes: str = "atom", title: str | None = None) -> str:
    """A self-contained HTML page of the run's interactive timeline (BokehJS inline).

    The page needs no network and no server: open it from disk in any browser.
    ``title`` is the page's title (default: the flow's name and the strategy).

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> page = to_html(simulate(LinearFlow(name="f", children=[Task(name="a")])))
    >>> page.startswith("<!DOCTYPE html>"), "cdn.bokeh.org" in page, "<title>f (smart)" in page
    (True, False, True)
    """
    fig = _figure(result, "to_html", lanes)
    if title is None:
        title = (
            f"{result.compiled.name} ({result.options.strategy}): flowsim timeline"
            if isinstance(result, Result)
            else "flowsim timeline"
        )
    page: str = file_html(fig, resources=INLINE, title=title)
    return page


def save_html(result: Result, path: str | os.PathLike[str], *, lanes: str = "atom") -> Path:
    """Write :func:`to_html`'s page to ``path`` (UTF-8) and return the path.

    Examples
    --------
    >>> import tempfile
    >>> from flowsim import LinearFlow, Task, simulate
    >>> with tempfile.TemporaryDirectory() as d:
    ...     r = simulate(LinearFlow(name="f", children=[Task(name="a")]))
    ...     out = save_html(r, f"{d}/t.html")
    ...     out.name, out.stat().st_size > 100_000
    ('t.html', True)
    """
    target = Path(path)
    target.write_text(to_html(result, lanes=lanes), encoding="utf-8")
    return target


_loaded: set[int] = set()  # the IPython shells BokehJS has been sent to


def show(result: Result | Any, *, lanes: str = "atom") -> None:
    """Show a run's interactive timeline (or a :func:`timeline` figure) in a notebook.

    The first call in a kernel sends BokehJS itself into the notebook (inline: no CDN);
    JupyterLab and a static HTML export (``jupyter nbconvert --to html``) show the figure
    with no network (``tests/test_interactive.py`` checks both), and so do classic
    Notebook and VS Code, which display Bokeh's notebook output. Outside a notebook this raises
    :class:`~flowsim.plot.PlotError`: use :func:`save_html` there.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> show(simulate(LinearFlow(name="f", children=[Task(name="a")])))
    Traceback (most recent call last):
    ...
    flowsim.plot._common.PlotError: show(): needs a notebook (a running IPython kernel); \
outside one, write a page with save_html(result, "run.html")
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        raise PlotError(
            "show(): needs a notebook (a running IPython kernel); outside one, write a page "
            'with save_html(result, "run.html")'
        )
    fig = _figure(result, "show", lanes)
    from bokeh.io import output_notebook
    from bokeh.io import show as bokeh_show

    if id(shell) not in _loaded:
        # BokehJS's core only (1.3 MB, not all of INLINE's 3.9 MB): all a timeline needs.
        output_notebook(resources=Resources(mode="inline", components=["bokeh"]), hide_banner=True)
        _loaded.add(id(shell))
    bokeh_show(fig)
