"""Plots: structure, colours, labels and layout of the pictures (no pixel baselines)."""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from flowsim import (
    AtomState,
    FlowsimError,
    GraphFlow,
    LinearFlow,
    Link,
    ModelError,
    Result,
    Retry,
    Task,
    Times,
    UnorderedFlow,
    compile,
    examples,
    simulate,
)
from flowsim.plot import (
    COLORS,
    STATE_COLORS,
    PlotError,
    plot_comparison,
    plot_comparison_timelines,
    plot_flow,
    plot_timeline,
    states_at,
)
from flowsim.spans import critical_path


def blueprint(strategy: str = "smart", workers: int | None = None) -> Result:
    return simulate(examples.load("blueprint"), strategy=strategy, workers=workers)


def by_gid(ax: Axes, prefix: str) -> list[Any]:
    """Every patch, line and text of ``ax`` whose gid starts with ``prefix``."""
    artists = [*ax.patches, *ax.lines, *ax.texts]
    return [a for a in artists if (a.get_gid() or "").startswith(prefix)]


def bar(ax: Axes, gid: str) -> Rectangle:
    (found,) = [p for p in ax.patches if p.get_gid() == gid]
    assert isinstance(found, Rectangle)
    return found


def legend_texts(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


# -- timeline, atom lanes


def test_timeline_rows_are_atoms_in_compile_order() -> None:
    ax = plot_timeline(blueprint())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "checkpoint", "B", "C"]
    assert isinstance(ax.figure, Figure)
    assert ax.get_title(loc="left") == "blueprint (smart, unlimited workers): SUCCESS at t=7"


def test_timeline_bars_colours_and_places() -> None:
    ax = plot_timeline(blueprint())
    expected = {
        # gid: (row, start, end, colour)
        "execute:A:1": (0, 0, 1, COLORS["execute"]),
        "failure:B:1": (2, 1, 3, COLORS["failure"]),
        "revert:B:1": (2, 3, 4, COLORS["revert"]),
        "execute:B:2": (2, 4, 6, COLORS["execute"]),
        "execute:C:1": (3, 1, 7, COLORS["execute"]),
    }
    bars = [p for p in ax.patches if p.get_gid() in expected]
    assert len(bars) == len(expected)
    for gid, (row, start, end, colour) in expected.items():
        box = bar(ax, gid)
        assert (box.get_x(), box.get_x() + box.get_width()) == (start, end)
        assert box.get_y() < row < box.get_y() + box.get_height()
        assert to_hex(box.get_facecolor()) == colour.lower()
    # The retry controller's executes take no time: diamonds at 1 and 4 on its row.
    diamonds = [line for line in by_gid(ax, "execute:checkpoint:") if isinstance(line, Line2D)]
    assert sorted((list(d.get_xdata()), list(d.get_ydata())) for d in diamonds) == [
        ([1.0], [1]),
        ([4.0], [1]),
    ]
    assert all(d.get_marker() == "D" for d in diamonds)


def test_a_failed_execute_has_an_x_at_its_failing_end() -> None:
    ax = plot_timeline(blueprint())
    (x,) = by_gid(ax, "x:")
    assert x.get_gid() == "x:B:1"
    assert (list(x.get_xdata()), list(x.get_ydata()), x.get_marker()) == ([3.0], [2], "x")


def test_retried_executes_are_labelled_with_their_attempt() -> None:
    ax = plot_timeline(blueprint())
    labels = {t.get_gid(): t.get_text() for t in by_gid(ax, "label:")}
    assert labels["label:failure:B:1"] == "#1"
    assert labels["label:execute:B:2"] == "#2"
    assert labels["label:execute:checkpoint:2"] == "#2"
    assert "label:execute:C:1" not in labels  # C ran once: its row says who it is


def test_a_failed_revert_is_black() -> None:
    flow = LinearFlow(name="f", children=[Task(name="t", fails_on=[1], revert_fails_on=[1])])
    ax = plot_timeline(simulate(flow))
    box = bar(ax, "revert_failure:t:1")
    assert to_hex(box.get_facecolor()) == COLORS["revert_failure"].lower()
    assert "failed revert" in legend_texts(ax)


def test_the_critical_path_is_outlined() -> None:
    r = blueprint("stop_the_world")
    ax = plot_timeline(r)
    outlines = by_gid(ax, "critical")
    path = critical_path(r)
    assert len(outlines) == len(path) == 5
    boxes = sorted(
        (o.get_x(), o.get_x() + o.get_width()) for o in outlines if isinstance(o, Rectangle)
    )
    assert boxes == [(0, 1), (1, 7), (7, 8), (8, 10)]
    assert all(not o.get_fill() for o in outlines if isinstance(o, Rectangle))
    (diamond,) = [o for o in outlines if isinstance(o, Line2D)]  # the checkpoint at 8
    assert list(diamond.get_xdata()) == [8.0]


def test_resolutions_are_marked_with_their_decision() -> None:
    r = blueprint()
    ax = plot_timeline(r)
    marks = by_gid(ax, "resolution:")
    assert len(marks) == 2 * len(r.resolutions)  # a dotted line and a marker each
    assert {float(m.get_xdata()[0]) for m in marks} == {3.0}
    (label,) = by_gid(ax, "label:resolution:")
    assert label.get_text() == "B failed: RETRY (checkpoint)"  # one decision, as applied


def test_the_cursor_is_drawn_at_at() -> None:
    ax = plot_timeline(blueprint(), at=3.5)
    (cursor,) = by_gid(ax, "cursor")
    assert list(cursor.get_xdata()) == [3.5, 3.5]
    assert to_hex(cursor.get_color()) == COLORS["cursor"].lower()
    assert "time cursor" in legend_texts(ax)
    assert by_gid(plot_timeline(blueprint()), "cursor") == []
    far = plot_timeline(blueprint(), at=20)
    assert far.get_xlim()[1] >= 20


def test_the_legend_explains_the_marks_used() -> None:
    assert legend_texts(plot_timeline(blueprint())) == [
        "execute",
        "revert",
        "failed execute (x: the failure)",
        "instant work (retry controller)",
        "critical path",
        "failure resolved: decision",
    ]
    stopped = legend_texts(plot_timeline(blueprint("stop_the_world")))
    assert "flow REVERTING (world stopped)" in stopped
    calm = legend_texts(plot_timeline(simulate(LinearFlow(name="f", children=[Task(name="a")]))))
    assert calm == ["execute", "critical path"]


def _drawn_colour(artist: Any) -> str:
    if isinstance(artist, Line2D):
        return to_hex(
            artist.get_markerfacecolor() if artist.get_marker() != "None" else artist.get_color()
        )
    return to_hex(artist.get_facecolor())


def test_legend_glyphs_are_in_the_colours_drawn() -> None:
    """Each legend glyph has the colour (and marker) of the artists it explains."""
    flow = LinearFlow(
        name="f",
        retry=Retry(name="r", controller=Times(attempts=2)),
        children=[Task(name="w"), Task(name="t", fails_on=[1, 2], revert_fails_on=[2])],
    )
    ax = plot_timeline(simulate(flow, strategy="stop_the_world"), at=1)
    legend = ax.get_legend()
    glyphs = dict(zip(legend_texts(ax), legend.legend_handles, strict=True))
    drawn = {
        "execute": "execute:w:1",
        "revert": "revert:t:1",
        "failed execute (x: the failure)": "failure:t:1",
        "failed revert": "revert_failure:t:2",
        "instant work (retry controller)": "execute:r:1",
        "failure resolved: decision": "resolution:",
        "flow REVERTING (world stopped)": "stopped",
        "time cursor": "cursor",
    }
    assert sorted(glyphs) == sorted([*drawn, "critical path"])
    for text, gid in drawn.items():
        artists = by_gid(ax, gid)
        marks = [a for a in artists if isinstance(a, Line2D) and a.get_marker() != "None"]
        artist = (marks or artists)[-1]
        glyph = glyphs[text]
        assert _drawn_colour(glyph) == _drawn_colour(artist), text
        if isinstance(artist, Line2D) and isinstance(glyph, Line2D):
            assert glyph.get_marker() == artist.get_marker(), text
    # the critical path: an unfilled black outline, as drawn
    (outline, *_) = [a for a in by_gid(ax, "critical") if isinstance(a, Rectangle)]
    glyph = glyphs["critical path"]
    assert (glyph.get_fill(), to_hex(glyph.get_edgecolor())) == (False, "#000000")
    assert (outline.get_fill(), to_hex(outline.get_edgecolor())) == (False, "#000000")


def test_a_never_run_atom_is_labelled() -> None:
    flow = LinearFlow(name="f", children=[Task(name="a", fails_on=[1]), Task(name="b")])
    ax = plot_timeline(simulate(flow))
    (label,) = by_gid(ax, "never-run:")
    assert (label.get_gid(), label.get_text()) == ("never-run:b", "never ran (PENDING)")
    assert label.xy == (ax.get_xlim()[0], 1)  # on b's row, at the left edge
    assert by_gid(plot_timeline(blueprint()), "never-run:") == []
    assert by_gid(plot_timeline(simulate(flow), lanes="worker"), "never-run:") == []


def test_decision_markers_show_the_whole_chain() -> None:
    r = simulate(examples.load("nested-escalation"))
    ax = plot_timeline(r)
    labels = [t.get_text() for t in by_gid(ax, "label:resolution:")]
    assert labels == [
        "deploy failed: RETRY (inner)",
        "deploy failed: REVERT (inner) \N{RIGHTWARDS ARROW} RETRY (outer)",
    ]
    flow = LinearFlow(name="f", children=[Task(name="a", fails_on=[1])])
    (label,) = by_gid(plot_timeline(simulate(flow)), "label:resolution:")
    assert label.get_text() == "a failed: REVERT_ALL"


def _extent(artist: Any) -> tuple[float, float, float, float]:
    box = artist.get_window_extent()
    return (box.x0, box.y0, box.x1, box.y1)


AT_ZERO = LinearFlow(  # fails at time 0: its decision's label would be centred on the edge
    name="at-zero",
    children=[Task(name="a", duration=0, fails_on=[1]), Task(name="b")],
)


@pytest.mark.parametrize("name", [*examples.names(), "at-zero"])
def test_labels_are_never_cut_by_the_frame(name: str) -> None:
    """Drawn, every label of a timeline lies within the figure, the labels on the plot
    (attempts, never ran, decisions) within the axes' width, and every diamond whole."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    flow = AT_ZERO if name == "at-zero" else examples.load(name)
    ax = plot_timeline(simulate(flow))
    FigureCanvasAgg(ax.figure).draw()
    fig_box = (0.0, 0.0, ax.figure.bbox.x1, ax.figure.bbox.y1)
    ax_box = ax.get_window_extent()
    labels = [*by_gid(ax, "label:"), *by_gid(ax, "never-run:")]
    assert labels
    for text in [*labels, *ax.get_yticklabels(), ax.title, ax.xaxis.label]:
        x0, y0, x1, y1 = _extent(text)
        assert fig_box[0] <= x0 and x1 <= fig_box[2] and fig_box[1] <= y0 and y1 <= fig_box[3]
    for text in labels:
        x0, _, x1, _ = _extent(text)
        assert ax_box.x0 <= x0 and x1 <= ax_box.x1, text.get_text()
    points = ax.figure.dpi / 72
    for mark in [*by_gid(ax, "execute:"), *by_gid(ax, "critical")]:
        if isinstance(mark, Line2D):  # a diamond: instant work, or its critical outline
            x = ax.transData.transform((mark.get_xdata()[0], 0))[0]
            half = (mark.get_markersize() / 2 + mark.get_markeredgewidth()) * points
            assert ax_box.x0 <= x - half, mark.get_gid()


def _luminance(colour: str, vision: str) -> float:
    """WCAG relative luminance of ``colour`` as seen with ``vision`` (Machado et al. 2009
    simulations at full severity, applied in linear RGB)."""
    matrices = {
        "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
        "protan": (
            (0.152286, 1.052583, -0.204868),
            (0.114503, 0.786281, 0.099216),
            (-0.003882, -0.048116, 1.051998),
        ),
        "deutan": (
            (0.367322, 0.860646, -0.227968),
            (0.280085, 0.672501, 0.047413),
            (-0.011820, 0.042940, 0.968881),
        ),
        "tritan": (
            (1.255528, -0.076749, -0.178779),
            (-0.078411, 0.930809, 0.147602),
            (0.004733, 0.691367, 0.303900),
        ),
    }
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    seen = [
        min(1.0, max(0.0, sum(m * c for m, c in zip(row, linear, strict=True))))
        for row in matrices[vision]
    ]
    return 0.2126 * seen[0] + 0.7152 * seen[1] + 0.0722 * seen[2]


@pytest.mark.parametrize("vision", ["normal", "protan", "deutan", "tritan"])
def test_failed_execute_and_revert_differ_in_lightness(vision: str) -> None:
    """A contrast ratio of at least 3 (WCAG's for graphics) between a failed execute and
    a revert, so the two read apart in greyscale and for colour-blind readers."""
    lum = sorted((_luminance(COLORS["failure"], vision), _luminance(COLORS["revert"], vision)))
    assert (lum[1] + 0.05) / (lum[0] + 0.05) >= 3
    # the old pair (vermillion and orange) fails the same check: the test can fail
    old = sorted((_luminance("#D55E00", vision), _luminance(COLORS["revert"], vision)))
    assert (old[1] + 0.05) / (old[0] + 0.05) < 2


def test_stop_the_world_shades_the_stopped_time() -> None:
    ax = plot_timeline(blueprint("stop_the_world"))
    (band,) = by_gid(ax, "stopped")
    assert (band.get_x(), band.get_x() + band.get_width()) == (3, 8)
    assert by_gid(plot_timeline(blueprint()), "stopped") == []


def test_the_timeline_is_deterministic() -> None:
    def layout() -> list[tuple[Any, ...]]:
        ax = plot_timeline(blueprint("stop_the_world"), lanes="worker", at=2)
        return [
            (p.get_gid(), tuple(p.get_bbox().bounds), to_hex(p.get_facecolor()))
            for p in ax.patches
        ] + [(t.get_gid(), t.get_text(), t.get_position()) for t in ax.texts]

    assert layout() == layout()


def test_drawing_on_a_given_axes() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_timeline(blueprint(), ax=ax) is ax
    assert fig.axes == [ax]


# -- timeline, worker lanes


@pytest.mark.parametrize(("workers", "rows"), [(None, 2), (1, 1), (2, 2), (5, 2)])
def test_worker_lanes_are_the_workers_used(workers: int | None, rows: int) -> None:
    r = blueprint(workers=workers)
    ax = plot_timeline(r, lanes="worker")
    used = sorted({e.worker for e in r.events if e.worker is not None})
    assert len(used) == rows
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"worker {w}" for w in used] + ["checkpoint (no worker)"]


def test_worker_lanes_name_the_work_and_keep_neighbours_apart() -> None:
    ax = plot_timeline(blueprint("stop_the_world"), lanes="worker")
    on_worker_0 = sorted(
        (p.get_x(), p.get_gid()) for p in ax.patches if p.get_gid() != "critical" and p.get_y() < 0
    )
    assert [gid for _, gid in on_worker_0] == [
        "execute:A:1",
        "execute:C:1",
        "revert:B:1",
        "execute:B:2",
    ]
    assert all(to_hex(bar(ax, gid).get_edgecolor()) == "#ffffff" for _, gid in on_worker_0)
    labels = {t.get_gid(): t.get_text() for t in by_gid(ax, "label:")}
    assert labels["label:execute:C:1"] == "C"
    assert labels["label:execute:B:2"] == "B#2"
    assert labels["label:failure:B:1"] == "B#1"


# -- bad input


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"lanes": "task"}, "lanes must be 'atom' (one row per atom) or 'worker'"),
        ({"lanes": None}, "got None"),
        ({"at": -1}, "at must be a time >= 0, got -1"),
        ({"at": "3"}, "at must be a time (a finite number >= 0) or None, got '3'"),
        ({"at": True}, "got True"),
        ({"at": float("nan")}, "got nan"),
        ({"ax": "axes"}, "ax must be a matplotlib Axes or None"),
    ],
)
def test_bad_timeline_arguments(kwargs: dict[str, Any], phrase: str) -> None:
    with pytest.raises(PlotError) as info:
        plot_timeline(blueprint(), **kwargs)
    assert phrase in str(info.value)
    assert str(info.value).startswith("plot_timeline(): ")
    assert isinstance(info.value, ValueError) and isinstance(info.value, FlowsimError)
    assert isinstance(info.value, ModelError)


def test_bad_results() -> None:
    with pytest.raises(PlotError, match=r"plot_timeline\(\): expected a flowsim Result"):
        plot_timeline(blueprint().trace)  # type: ignore[arg-type]
    with pytest.raises(PlotError, match="non-empty mapping of labels to results"):
        plot_comparison({})
    with pytest.raises(PlotError, match="the value for label 'x' must be a flowsim Result"):
        plot_comparison_timelines({"x": 3})  # type: ignore[dict-item]
    with pytest.raises(PlotError, match="expected a CompiledFlow"):
        plot_flow(examples.load("blueprint").flow)  # type: ignore[arg-type]
    with pytest.raises(PlotError, match="at=2 needs a run"):
        plot_flow(compile(examples.load("blueprint").flow), at=2)


# -- states and the flow's graph


def test_states_at() -> None:
    r = blueprint()
    assert states_at(r, 0) == {
        "A": AtomState.RUNNING,
        "checkpoint": AtomState.PENDING,
        "B": AtomState.PENDING,
        "C": AtomState.PENDING,
    }
    assert states_at(r, 3.5) == {
        "A": AtomState.SUCCESS,
        "checkpoint": AtomState.SUCCESS,
        "B": AtomState.REVERTING,
        "C": AtomState.RUNNING,
    }
    # At 4 B reverted, was reset, and runs again: the state after all of it.
    assert states_at(r, 4)["B"] == AtomState.RUNNING
    assert states_at(r) == dict(r.atom_final_states) == states_at(r, 100)


def centres(ax: Axes) -> dict[str, tuple[float, float]]:
    out = {}
    for p in by_gid(ax, "node:"):
        x, y, w, h = p.get_bbox().bounds
        out[p.get_gid().removeprefix("node:")] = (x + w / 2, y + h / 2)
    return out


def boxes(ax: Axes) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for p in by_gid(ax, "scope:"):
        x, y, w, h = p.get_bbox().bounds
        out[p.get_gid().removeprefix("scope:")] = (x, y, x + w, y + h)
    return out


def inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] < point[0] < box[2] and box[1] < point[1] < box[3]


def test_flow_columns_are_topological_generations() -> None:
    ax = plot_flow(blueprint())
    xs = {name: x for name, (x, _) in centres(ax).items()}
    assert xs == {"A": 0, "checkpoint": 1, "C": 1, "B": 2}
    edges = sorted(p.get_gid() for p in by_gid(ax, "edge:"))
    assert edges == ["edge:A->C", "edge:A->checkpoint", "edge:checkpoint->B"]
    assert ax.get_title(loc="left") == "blueprint"


def test_flow_nodes_are_coloured_by_state_at_a_time() -> None:
    r = blueprint()
    ax = plot_flow(r, at=3.5)
    fills = {p.get_gid(): to_hex(p.get_facecolor()) for p in by_gid(ax, "node:")}
    for name, state in states_at(r, 3.5).items():
        assert fills[f"node:{name}"] == STATE_COLORS[state].lower()
    texts = {t.get_gid(): t.get_text() for t in by_gid(ax, "node-label:")}
    assert texts["node-label:B"] == "B\nREVERTING"  # the state in words too
    assert legend_texts(ax) == ["RUNNING", "SUCCESS", "REVERTING", "retry controller"]
    assert ax.get_title(loc="left") == "blueprint at t=3.5"
    pending = plot_flow(compile(examples.load("blueprint").flow))
    assert {to_hex(p.get_facecolor()) for p in by_gid(pending, "node:")} == {"#ffffff"}


def test_retry_controllers_are_dashed() -> None:
    ax = plot_flow(blueprint())
    styles = {p.get_gid(): p.get_linestyle() for p in by_gid(ax, "node:")}
    assert styles["node:checkpoint"] == "--"
    assert {styles["node:A"], styles["node:B"], styles["node:C"]} == {"-"}


def nested() -> LinearFlow:
    """Two checkpointed subflows in parallel, one nested in another checkpointed flow."""
    inner = LinearFlow(
        name="inner",
        retry=Retry(name="r_inner", controller=Times(attempts=2)),
        children=[Task(name="deep", fails_on=[1])],
    )
    left = LinearFlow(
        name="left",
        retry=Retry(name="r_left", controller=Times(attempts=2)),
        children=[Task(name="l1"), inner, Task(name="l2")],
    )
    right = LinearFlow(
        name="right",
        retry=Retry(name="r_right", controller=Times(attempts=2)),
        children=[Task(name="r1"), Task(name="r2")],
    )
    return LinearFlow(
        name="root",
        children=[Task(name="start"), UnorderedFlow(name="both", children=[left, right])],
    )


@pytest.mark.parametrize("flow", [nested(), *(examples.load(n).flow for n in examples.names())])
def test_scope_boxes_enclose_their_atoms_only(flow: Any) -> None:
    compiled = compile(flow)
    ax = plot_flow(compiled)
    points, scope_boxes = centres(ax), boxes(ax)
    scopes = {}
    stack = [compiled.root]
    while stack:
        scope = stack.pop()
        scopes[scope.name] = scope
        stack.extend(c for c in scope.children if not isinstance(c, str))
    assert set(scope_boxes) == {name for name, s in scopes.items() if s.atoms}
    for name, box in scope_boxes.items():
        members = set(scopes[name].atoms)
        for atom, point in points.items():
            assert inside(point, box) == (atom in members), (name, atom)
    # Boxes nest or stay apart; they never cross.
    for a, box_a in scope_boxes.items():
        for b, box_b in scope_boxes.items():
            if a == b:
                continue
            apart = box_a[2] <= box_b[0] or box_b[2] <= box_a[0]
            apart = apart or box_a[3] <= box_b[1] or box_b[3] <= box_a[1]
            a_in_b = all(box_b[i] <= box_a[i] for i in (0, 1))
            a_in_b = a_in_b and all(box_a[i] <= box_b[i] for i in (2, 3))
            b_in_a = all(box_a[i] <= box_b[i] for i in (0, 1))
            b_in_a = b_in_a and all(box_b[i] <= box_a[i] for i in (2, 3))
            assert apart or a_in_b or b_in_a, (a, b)


def random_graph(seed: int, atoms: int = 40) -> GraphFlow:
    """A graph flow of ``atoms`` atoms: tasks and checkpointed linear subflows, linked at
    random (each child after up to two earlier ones), so that many edges skip columns."""
    rng = random.Random(seed)
    children: list[Task | LinearFlow] = []
    k = 0
    while k < atoms:
        if rng.random() < 0.3 and atoms - k >= 2:
            size = rng.randint(2, min(4, atoms - k))
            retry = Retry(name=f"r{k}", controller=Times(attempts=2))
            tasks = [Task(name=f"t{k}_{j}") for j in range(size - 1)]
            children.append(LinearFlow(name=f"f{k}", retry=retry, children=tasks))
            k += size
        else:
            children.append(Task(name=f"t{k}"))
            k += 1
    names = [c.name for c in children]
    links = [
        Link(source=names[i], target=names[j])
        for j in range(1, len(names))
        for i in sorted(rng.sample(range(j), min(j, rng.choice([0, 1, 1, 2]))))
    ]
    return GraphFlow(name=f"random{seed}", children=children, links=links)


def _crosses(p: Any, q: Any, box: tuple[float, float, float, float]) -> bool:
    """Whether the segment p-q meets the inside of ``box`` (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p, q
    lo, hi = 0.0, 1.0
    for d, low, high in ((x1 - x0, box[0] - x0, box[2] - x0), (y1 - y0, box[1] - y0, box[3] - y0)):
        if d == 0:
            if not low < 0 < high:
                return False
            continue
        t0, t1 = sorted((low / d, high / d))
        lo, hi = max(lo, t0), min(hi, t1)
    return lo < hi


@pytest.mark.parametrize("seed", range(5))
def test_edges_cross_no_node_at_40_atoms(seed: int) -> None:
    """Read back: every edge's drawn path (arrow head included) stays out of every node box
    but its own two; without the routing, a straight edge that skips a column crosses the
    nodes there (each of these flows has some)."""
    compiled = compile(random_graph(seed))
    assert len(compiled) == 40
    ax = plot_flow(compiled)
    nodes = {}
    for p in by_gid(ax, "node:"):
        x, y, w, h = p.get_bbox().bounds
        nodes[p.get_gid().removeprefix("node:")] = (x, y, x + w, y + h)
    edges = by_gid(ax, "edge:")
    assert len(edges) == sum(map(len, compiled.succs))
    skipping = 0
    for edge in edges:
        a, b = edge.get_gid().removeprefix("edge:").split("->")
        others = [box for name, box in nodes.items() if name not in (a, b)]
        for line in edge.get_path().to_polygons(closed_only=False):  # the line, the head
            for p, q in itertools.pairwise(line):
                hit = [box for box in others if _crosses(p, q, box)]
                assert hit == [], (edge.get_gid(), p, q)
        (xa, ya), (xb, yb) = centres(ax)[a], centres(ax)[b]
        straight = ((xa, ya), (xb, yb))
        skipping += any(_crosses(*straight, box) for box in others)
    assert skipping > 0  # the test has straight lines to avoid


def test_the_flow_layout_is_deterministic_and_the_same_at_every_time() -> None:
    r = simulate(nested())
    first = centres(plot_flow(r, at=0))
    assert first == centres(plot_flow(r, at=0)) == centres(plot_flow(r, at=r.makespan))
    assert first == centres(plot_flow(r.compiled))
    assert len({y for _, y in first.values()}) > 1  # parallel branches on separate rows


# -- comparisons


def test_comparison_bars() -> None:
    results = {"smart": blueprint(), "stop_the_world": blueprint("stop_the_world")}
    ax = plot_comparison(results)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["makespan", "wasted work", "busy time"]
    assert legend_texts(ax) == ["smart", "stop_the_world"]
    for label, r in results.items():
        heights = [p.get_height() for p in ax.patches if p.get_gid() == f"bars:{label}"]
        assert heights == [r.makespan, r.wasted_work, sum(r.worker_busy.values())]
    values = sorted(t.get_text() for t in ax.texts)
    assert values == sorted(["7", "2", "12", "10", "2", "12"])


def test_comparison_timelines_share_one_time_axis() -> None:
    results = {"smart": blueprint(), "stop_the_world": blueprint("stop_the_world")}
    fig = plot_comparison_timelines(results, at=5)
    top, bottom = fig.axes
    assert top.get_xlim() == bottom.get_xlim()
    assert top.get_xlim()[1] >= 10
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "smart: SUCCESS at t=7, wasted work 2",
        "stop_the_world: SUCCESS at t=10, wasted work 2",
    ]
    assert "flow REVERTING (world stopped)" in legend_texts(top)  # one legend for both
    assert bottom.get_legend() is None
    assert len(by_gid(top, "cursor")) == len(by_gid(bottom, "cursor")) == 1
    worker = plot_comparison_timelines(results, lanes="worker")
    assert worker.axes[1].get_yticklabels()[0].get_text() == "worker 0"


def test_pictures_save_without_pyplot() -> None:
    code = (
        "import io, sys\n"
        "import flowsim as fs\n"
        "from flowsim import examples\n"
        "from flowsim.plot import plot_timeline, plot_flow\n"
        "r = fs.simulate(examples.load('blueprint'))\n"
        "for ax in (plot_timeline(r), plot_flow(r)):\n"
        "    buf = io.BytesIO(); ax.figure.savefig(buf, format='png')\n"
        "    assert buf.getvalue().startswith(b'\\x89PNG')\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
PICTURES = (Path(__file__).parent.parent / "docs" / "pictures.md").read_text(encoding="utf-8")


def test_the_pictures_page_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    match = re.search(r"```python\n(.*?)```", PICTURES, re.S)
    assert match
    monkeypatch.chdir(tmp_path)
    exec(match.group(1), {})
    names = ["both.png", "graph.png", "numbers.png", "smart.png", "workers.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in tmp_path.iterdir())


def test_readme_shows_the_demo_picture() -> None:
    assert "![The blueprint under smart and stop_the_world](docs/blueprint-timeline.png)" in README
    assert "![The blueprint under smart and stop_the_world](blueprint-timeline.png)" in PICTURES
    picture = Path(__file__).parent.parent / "docs" / "blueprint-timeline.png"
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_an_empty_flow_draws_without_error() -> None:
    from flowsim import LinearFlow, simulate
    from flowsim.plot import plot_flow, plot_timeline

    r = simulate(LinearFlow(name="empty"))
    assert plot_timeline(r).get_xlim()[1] > 0
    assert plot_flow(r) is not None


def test_a_plot_shows_as_a_picture_in_a_fresh_kernel_with_no_magic() -> None:
    """The first thing a notebook user tries: the returned Axes (or Figure) is a picture."""
    import nbformat
    from nbclient import NotebookClient

    cells = [
        "import flowsim as fs\nfrom flowsim import examples\n"
        "from flowsim.plot import plot_timeline\n"
        'plot_timeline(fs.simulate(examples.load("blueprint")))',
        "_.figure",
        "import sys\nprint(sorted(m for m in ('matplotlib.pyplot',) if m in sys.modules))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    for cell in nb.cells[:2]:
        (out,) = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert out.data["image/png"]  # base64 PNG
        assert set(out.data) == {"image/png", "text/plain"}
    assert nb.cells[2].outputs[0].text == "[]\n"  # and pyplot was never imported
