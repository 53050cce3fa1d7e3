"""The explorer, driven from plain Python: set a control's value, read the result and the
figures."""

from __future__ import annotations

import asyncio
import gc
import io
import struct
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from ipywidgets.widgets.widget_link import DirectionalLink
from matplotlib.figure import Figure
from PIL import Image

from flowsim import (
    AlwaysRetry,
    CompileError,
    FlowState,
    LinearFlow,
    ModelError,
    Options,
    Retry,
    Scenario,
    ScenarioError,
    Strategy,
    Task,
    examples,
    save_scenario,
    simulate,
)
from flowsim.plot import COLORS, STATE_COLORS, states_at
from flowsim.widgets import (
    FAIL_CHOICES,
    TIMELINE_MAX_HEIGHT,
    Explorer,
    Settings,
    apply_controls,
    describe_failures,
    draw_flow,
    draw_timeline,
    fail_choices,
    first_failure,
    load_target,
    settings_of,
    start_time,
    summary,
    timeline_height,
    to_png,
)

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def by_gid(fig: Figure | None, gid: str) -> list[Any]:
    """Every artist of ``fig``'s axes with this gid."""
    assert fig is not None
    out = []
    for ax in fig.axes:
        out += [a for a in (*ax.lines, *ax.patches, *ax.texts) if a.get_gid() == gid]
    return out


def count_figures() -> int:
    gc.collect()
    return sum(isinstance(o, Figure) for o in gc.get_objects())


def pixels(png: bytes) -> bytes:
    """The RGB pixels of a PNG (the explorer's and savefig's PNGs encode them differently)."""
    with Image.open(io.BytesIO(png)) as image:
        return bytes(image.convert("RGB").tobytes())


def node_label(fig: Figure | None, name: str) -> str:
    (text,) = by_gid(fig, f"node-label:{name}")
    return str(text.get_text())


# --------------------------------------------------------------------------- what it explores


def test_load_target_takes_names_files_flows_and_scenarios(tmp_path: Path) -> None:
    blueprint = examples.load("blueprint")
    assert load_target("blueprint") == blueprint
    assert load_target(blueprint) is blueprint
    save_scenario(blueprint, tmp_path / "b.json")
    assert load_target(tmp_path / "b.json") == blueprint
    assert load_target(str(tmp_path / "b.json")) == blueprint
    flow = LinearFlow(name="f", children=[Task(name="a")])
    assert load_target(flow) == Scenario(flow=flow)


def test_load_target_refuses_what_it_cannot_explore(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no bundled example or scenario file named 'nope'"):
        load_target("nope")
    with pytest.raises(ScenarioError, match="the examples are: blueprint, foreach-alternatives"):
        load_target("nope")
    with pytest.raises(ScenarioError, match="cannot read scenario file") as missing:
        load_target(tmp_path / "missing.json")
    assert missing.value.where == str(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"flowsim": 1, "flow": {"kind": "linear", "name": "f", "retries": null}}')
    with pytest.raises(ScenarioError, match='unknown key "retries"') as info:
        Explorer(bad)
    assert info.value.path == "$.flow.retries"
    with pytest.raises(ModelError, match="Explorer takes a bundled example's name"):
        load_target(42)
    with pytest.raises(ModelError, match="pass the flow itself"):
        Explorer(simulate(examples.load("blueprint")).compiled)


def test_a_flow_that_does_not_compile_is_refused() -> None:
    flow = LinearFlow(name="f", children=[Task(name="a"), Task(name="a")])
    with pytest.raises(CompileError, match="'a'"):
        Explorer(flow)


# --------------------------------------------------------------------------- pure functions


def test_settings_of_reads_the_scenario() -> None:
    s = settings_of(examples.load("nested-escalation"))
    assert (s.strategy, s.defer_reverts, s.workers, s.seed) == (Strategy.SMART, True, None, 0)
    assert dict(s.fails_on) == {
        "outer": (),
        "prepare": (),
        "inner": (),
        "deploy": (1, 2),
        "monitor": (),
    }
    assert dict(s.revert_fails_on) == dict.fromkeys(s.fails_on, ())


def test_settings_are_validated() -> None:
    with pytest.raises(ModelError, match="strategy must be 'smart' or 'stop_the_world'"):
        Settings(strategy="fast")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match=r"fails_on\['B'\].*call number >= 1"):
        Settings(fails_on={"B": (0,)})
    assert Settings(fails_on={"B": [2, 1]}).fails_on["B"] == (1, 2)


def test_apply_controls_changes_options_and_failures_only() -> None:
    base = examples.load("revert-failure")
    settings = Settings(
        strategy=Strategy.STOP_THE_WORLD,
        defer_reverts=False,
        workers=2,
        seed=5,
        fails_on={"configure": ()},
        revert_fails_on={"allocate": ()},
    )
    changed = apply_controls(base, settings)
    assert changed.options == Options(
        strategy=Strategy.STOP_THE_WORLD, defer_reverts=False, workers=2, seed=5
    )
    assert (changed.name, changed.description, changed.store) == (
        base.name,
        base.description,
        base.store,
    )
    after = settings_of(changed)
    assert after.fails_on["configure"] == () and after.revert_fails_on["allocate"] == ()
    assert after.fails_on["warm_cache"] == settings_of(base).fails_on["warm_cache"]
    assert simulate(changed).flow_state == FlowState.SUCCESS
    assert apply_controls(base, settings_of(base)) == base
    with pytest.raises(ModelError, match=r"no atom named 'nope'.*atoms are allocate, configure"):
        apply_controls(base, Settings(revert_fails_on={"nope": (1,)}))


def test_apply_controls_sets_a_retry_controllers_failures() -> None:
    base = examples.load("blueprint")
    changed = apply_controls(base, Settings(fails_on={"checkpoint": (1,)}))
    retry = changed.flow.children[1].children[0].retry
    assert retry is not None and (retry.name, retry.fails_on) == ("checkpoint", (1,))
    assert settings_of(changed).fails_on["checkpoint"] == (1,)
    result = simulate(changed)
    assert result.flow_state == FlowState.REVERTED
    assert [(r.failed, r.action) for r in result.resolutions] == [("checkpoint", "REVERT_ALL")]


def test_describe_failures_and_fail_choices() -> None:
    assert describe_failures(settings_of(examples.load("revert-failure"))) == (
        "allocate's revert fails on call 1; configure fails on attempt 1"
    )
    settings = Settings(
        fails_on={"a": "always", "b": (1, 3)}, revert_fails_on={"b": "always", "c": (2,)}
    )
    assert describe_failures(settings) == (
        "a fails always; b fails on attempts 1, 3; b's revert fails always; "
        "c's revert fails on call 2"
    )
    assert describe_failures(Settings(fails_on={"a": ()})) == "none"
    assert fail_choices((1, 2)) == list(FAIL_CHOICES)
    assert fail_choices((2, 5)) == [("as given: 2, 5", (2, 5)), *FAIL_CHOICES]


def test_the_cursor_starts_at_the_first_failure() -> None:
    blueprint = simulate(examples.load("blueprint"))
    assert first_failure(blueprint) == 3.0 and start_time(blueprint) == 3.0
    revert = simulate(examples.load("revert-failure"))
    assert first_failure(revert) == 3.0  # configure's execute, before allocate's revert
    clean = simulate(LinearFlow(name="f", children=[Task(name="a", duration=2)]))
    assert first_failure(clean) is None and start_time(clean) == 2.0  # nothing fails: the end
    late = simulate(LinearFlow(name="f", children=[Task(name="a", duration=2.5, fails_on=[1])]))
    assert first_failure(late) == 2.5 and start_time(late) == 3.0  # a whole unit, for play
    quick = Task(name="a", duration=0.3, revert_duration=0.1, fails_on=[1])
    assert start_time(simulate(LinearFlow(name="f", children=[quick]))) == 0.4  # the end


def test_timeline_height_is_capped() -> None:
    assert timeline_height(4) == 3.28  # 0.42 inches a row
    assert timeline_height(24) == 11.68
    assert timeline_height(30) == 12.0 and timeline_height(52) == 12.0  # squeezed to fit
    assert timeline_height(80) == 17.6  # 0.2 inches a row at least: then it grows
    assert TIMELINE_MAX_HEIGHT == 12.0


def test_summary() -> None:
    assert summary(simulate(examples.load("wide-graph"))) == (
        "flow SUCCESS, makespan 8, wasted work 2, reverted: build_b x1"
    )
    assert summary(simulate(examples.load("revert-failure"))) == (
        "flow FAILURE, makespan 8, wasted work 7, reverted: allocate x1 (revert failed), "
        "configure x1, warm_cache x1"
    )
    flow = LinearFlow(name="f", children=[Task(name="a", duration=0.5)])
    assert (
        summary(simulate(flow)) == "flow SUCCESS, makespan 0.5, wasted work 0, reverted: nothing"
    )


def test_figures_show_the_cursor_and_the_states_at_that_time() -> None:
    result = simulate(examples.load("blueprint"))
    timeline = draw_timeline(result, at=2.5)
    (cursor,) = by_gid(timeline, "cursor")
    assert list(cursor.get_xdata()) == [2.5, 2.5]
    assert by_gid(draw_timeline(result), "cursor") == []
    flow = draw_flow(result, at=2.5)
    assert node_label(flow, "B") == "B\nRUNNING" and node_label(flow, "A") == "A\nSUCCESS"
    first = to_png(timeline)
    assert first == to_png(draw_timeline(result, at=2.5))  # no timestamp: the same bytes
    assert png_size(first) == (8 * 90, round(3.28 * 90))


# --------------------------------------------------------------------------- the explorer


def test_the_explorer_starts_from_the_scenario() -> None:
    ex = Explorer("blueprint")
    assert (ex.strategy.value, ex.defer_reverts.value, ex.workers.value, ex.seed.value) == (
        "smart",
        True,
        0,
        0,
    )
    assert ex.settings() == settings_of(examples.load("blueprint"))
    assert ex.result.trace == simulate(examples.load("blueprint")).trace
    assert ex.error is None and ex.runs == 1
    # The cursor starts at the first failure (B's, at 3), not at the end.
    assert ex.at == 3.0 and ex.time.max == 7.0 and ex.time.min == 0.0
    assert ex.play.max == 7 and ex.play.value == 3  # the page load keeps the slider at 3
    assert ex.summary.value == (
        "<b>blueprint</b>: flow <b>SUCCESS</b>, makespan 7, wasted work 2, reverted: B x1"
    )
    assert ex.failures.value == "injected failures: B fails on attempt 1"
    assert png_size(ex.timeline.value) == (720, round(3.28 * 90))
    assert ex.flow_figure is not None
    width, height = ex.flow_figure.get_size_inches()  # plot_flow's own size
    assert png_size(ex.flow.value) == ex.flow_figure.canvas.get_width_height()
    assert png_size(ex.flow.value) == (int(width * 90), int(height * 90))
    assert height >= 2.6  # room for the legend of every state
    assert by_gid(ex.timeline_figure, "cursor")[0].get_xdata()[0] == 3.0
    assert node_label(ex.flow_figure, "B") == "B\nREVERTING"  # what the failure starts
    assert node_label(ex.flow_figure, "C") == "C\nRUNNING"


def test_one_compact_selector_holds_every_atoms_failures() -> None:
    ex = Explorer("nested-escalation")
    assert ex.atom.options == (
        ("outer (retry controller)", "outer"),
        ("prepare", "prepare"),
        ("inner (retry controller)", "inner"),
        ("deploy", "deploy"),
        ("monitor", "monitor"),
    )
    assert ex.atom.value == "deploy"  # the atom with an injected failure is shown first
    assert ex.fails_on.options == tuple(FAIL_CHOICES)
    assert (ex.fails_on.value, ex.fails_on.label) == ((1, 2), "attempts 1-2")
    assert ex.revert_fails.value is False
    # Picking an atom shows its failures and does not rerun.
    ex.atom.value = "monitor"
    assert (ex.fails_on.value, ex.revert_fails.value, ex.runs) == ((), False, 1)
    ex.fails_on.value = (1,)
    assert ex.runs == 2 and ex.result.flow_state == FlowState.REVERTED  # no checkpoint
    assert ex.failures.value == (
        "injected failures: deploy fails on attempts 1, 2; monitor fails on attempt 1"
    )
    ex.atom.value = "deploy"
    assert (ex.fails_on.value, ex.runs) == ((1, 2), 2)
    ex.atom.value = "monitor"
    assert ex.fails_on.value == (1,)  # each atom keeps its own setting
    assert ex.settings().fails_on == {
        "outer": (),
        "prepare": (),
        "inner": (),
        "deploy": (1, 2),
        "monitor": (1,),
    }
    # One row of failure controls, whatever the number of atoms.
    wide = Explorer(wide_flow(40))
    assert len(wide.atom.options) == 40
    assert sum(isinstance(w, ipywidgets.Dropdown) for w in walk(wide.widget)) == 3


def wide_flow(tasks: int) -> LinearFlow:
    return LinearFlow(
        name="wide",
        children=[Task(name=f"t{i}", fails_on=[1] if i == 7 else []) for i in range(tasks)],
    )


def test_a_value_the_scenario_gives_is_offered_as_it_is() -> None:
    flow = LinearFlow(name="f", children=[Task(name="b"), Task(name="a", fails_on=[2, 5])])
    ex = Explorer(flow)
    assert ex.atom.value == "a"
    assert ex.fails_on.value == (2, 5) and ex.fails_on.label == "as given: 2, 5"
    assert ex.fails_on.options == (("as given: 2, 5", (2, 5)), *FAIL_CHOICES)
    ex.atom.value = "b"
    assert ex.fails_on.options == tuple(FAIL_CHOICES) and ex.fails_on.value == ()
    ex.atom.value = "a"
    assert ex.fails_on.label == "as given: 2, 5" and ex.runs == 1


def test_each_option_control_reruns_the_flow() -> None:
    ex = Explorer("blueprint")
    ex.time.value = 7.0
    ex.strategy.value = "stop_the_world"
    assert ex.result.makespan == 10 and ex.runs == 2
    assert ex.scenario.options.strategy == Strategy.STOP_THE_WORLD
    assert "makespan 10," in ex.summary.value
    assert ex.at == ex.time.max == 10.0 and ex.play.max == 10  # the cursor stays at the end
    ex.strategy.value = "smart"
    ex.workers.value = 1
    assert (ex.result.options.workers, ex.result.makespan) == (1, 12)  # C takes the worker
    ex.workers.value = 0
    assert (ex.result.options.workers, ex.result.makespan) == (None, 7)
    ex.seed.value = 9
    assert ex.result.options.seed == 9 and ex.runs == 6
    # defer_reverts decides what an exhausted inner checkpoint does.
    nested = Explorer("nested-escalation")
    nested.fails_on.value = "always"  # deploy's
    assert nested.result.flow_state == FlowState.REVERTED
    assert nested.result.resolutions[-1].retry is None  # escalated: the whole flow reverts
    assert nested.result.atom_final_states["monitor"] == "REVERTED"
    nested.defer_reverts.value = False
    assert nested.result.options.defer_reverts is False
    assert nested.result.resolutions[-1].retry == "inner"  # only inner's scope reverts
    assert nested.result.atom_final_states["monitor"] == "SUCCESS"


def test_failure_controls_change_the_injected_failures() -> None:
    ex = Explorer("blueprint")
    ex.fails_on.value = ()  # B's
    assert (ex.result.makespan, ex.result.wasted_work, ex.result.resolutions) == (7.0, 0.0, ())
    assert "reverted: nothing" in ex.summary.value
    assert ex.failures.value == "injected failures: none"
    ex.fails_on.value = (2,)
    assert ex.result.executions["B"] == 1 and ex.result.resolutions == ()
    ex.fails_on.value = "always"
    assert ex.result.flow_state == FlowState.REVERTED
    assert ex.result.reverts["A"] == 1
    ex.atom.value = "A"
    ex.revert_fails.value = True
    assert ex.scenario.flow.children[0] == Task(name="A", revert_fails_on=[1])
    assert ex.result.flow_state == FlowState.FAILURE
    assert "A x1 (revert failed)" in ex.summary.value
    assert ex.failures.value == "injected failures: A's revert fails on call 1; B fails always"
    ex.revert_fails.value = False
    assert ex.result.flow_state == FlowState.REVERTED


def test_a_retry_controllers_failures_are_controllable() -> None:
    ex = Explorer("blueprint")
    ex.atom.value = "checkpoint"
    assert (ex.fails_on.value, ex.revert_fails.value) == ((), False)
    ex.fails_on.value = (1,)  # the checkpoint's own execute fails: nothing retries it
    retry = ex.scenario.flow.children[1].children[0].retry
    assert retry is not None and retry.fails_on == (1,)
    assert ex.result.flow_state == FlowState.REVERTED
    assert [(r.failed, r.action) for r in ex.result.resolutions] == [("checkpoint", "REVERT_ALL")]
    assert ex.at == 1.0  # the new first failure: the checkpoint's, at 1
    ex.fails_on.value = ()
    ex.atom.value = "B"
    ex.fails_on.value = "always"  # B exhausts the checkpoint: its scope is reverted...
    ex.atom.value = "checkpoint"
    ex.revert_fails.value = True  # ...and the checkpoint's revert fails
    assert ex.result.flow_state == FlowState.FAILURE
    assert ex.result.atom_final_states["checkpoint"] == "REVERT_FAILURE"
    assert ex.failures.value == (
        "injected failures: checkpoint's revert fails on call 1; B fails always"
    )


def test_a_cursor_step_redraws_only_the_cursor_and_the_colours() -> None:
    ex = Explorer("blueprint")
    timeline, flow, runs = ex.timeline_figure, ex.flow_figure, ex.runs
    (cursor,) = by_gid(timeline, "cursor")
    nodes = {name: by_gid(flow, f"node:{name}")[0] for name in ex.result.compiled.names}
    bars = by_gid(timeline, "execute:C:1")
    figures = count_figures()
    before = ex.timeline.value, ex.flow.value
    for at in (2.5, 0.5, 6.0, 2.5):
        ex.time.value = at
    assert ex.runs == runs  # no simulate
    assert count_figures() == figures  # no figure made
    assert ex.timeline_figure is timeline and ex.flow_figure is flow
    assert by_gid(timeline, "cursor") == [cursor] and by_gid(timeline, "execute:C:1") == bars
    assert {n: by_gid(flow, f"node:{n}")[0] for n in nodes} == nodes
    assert list(cursor.get_xdata()) == [2.5, 2.5]
    expected = states_at(ex.result, 2.5)
    for name in ex.result.compiled.names:
        assert node_label(flow, name) == f"{name}\n{expected[name]}"
        assert nodes[name].get_facecolor()[:3] == pytest.approx(_rgb(STATE_COLORS[expected[name]]))
    assert node_label(flow, "B") == "B\nRUNNING"
    assert ex.timeline.value != before[0] and ex.flow.value != before[1]
    # What was redrawn in part is what a full drawing of the same figures gives.
    assert pixels(ex.timeline.value) == pixels(to_png(timeline))
    assert pixels(ex.flow.value) == pixels(to_png(flow))


def test_a_rerun_keeps_the_graph_and_draws_a_new_timeline() -> None:
    ex = Explorer("nested-escalation")
    timeline, flow = ex.timeline_figure, ex.flow_figure
    nodes = [by_gid(flow, f"node:{name}")[0] for name in ex.result.compiled.names]
    ex.time.value = 5.0
    ex.strategy.value = "stop_the_world"
    assert ex.flow_figure is flow  # the graph's layout depends only on the compiled flow
    assert [by_gid(flow, f"node:{name}")[0] for name in ex.result.compiled.names] == nodes
    assert ex.timeline_figure is not timeline
    assert "stop_the_world" in ex.timeline_figure.axes[0].get_title(loc="left")
    assert pixels(ex.timeline.value) == pixels(to_png(ex.timeline_figure))
    assert pixels(ex.flow.value) == pixels(to_png(flow))
    # Back to smart: the margins, row labels and legend of the first run are reused.
    ex.strategy.value = "smart"
    assert pixels(ex.timeline.value) == pixels(to_png(ex.timeline_figure))
    ex.workers.value = 1
    assert pixels(ex.timeline.value) == pixels(to_png(ex.timeline_figure))
    # The graph's legend names every state, whatever the cursor shows.
    legend = flow.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [
        *(str(state) for state in STATE_COLORS),
        "retry controller",
    ]


def test_the_cursor_follows_the_first_failure_until_it_is_moved() -> None:
    ex = Explorer("blueprint")
    assert ex.at == 3.0
    ex.fails_on.value = ()  # nothing fails: the cursor goes to the end
    assert ex.at == 7.0 and ex.play.value == 7
    ex.fails_on.value = (1,)
    assert ex.at == 3.0 and ex.play.value == 3
    # Moved, it stays; a shorter run pulls it back inside; at the end it stays at the end.
    ex.time.value = 6.5
    ex.fails_on.value = ()
    assert ex.at == 6.5 and ex.time.max == 7.0
    ex.strategy.value = "stop_the_world"
    ex.fails_on.value = (1,)
    assert ex.time.max == 10.0 and ex.at == 6.5
    ex.time.value = 10.0
    ex.strategy.value = "smart"
    assert ex.time.max == 7.0 and ex.at == 7.0


def test_browser_changes_are_debounced_python_changes_are_not() -> None:
    ex = Explorer("blueprint")
    ex.debounce = 0.05

    async def burst() -> list[int]:
        seen = [ex.runs]
        # What the widget manager calls for each change sent by the browser.
        for workers in (1, 2, 3):
            ex.workers.set_state({"value": workers})
        ex.strategy.set_state({"index": 1})  # a dropdown sends its index: stop_the_world
        seen.append(ex.runs)  # not yet
        await asyncio.sleep(0.3)
        seen.append(ex.runs)  # once, with the last values
        ex.seed.value = 4  # from Python, inside the loop too: at once
        seen.append(ex.runs)
        return seen

    assert asyncio.run(burst()) == [1, 1, 2, 3]
    assert ex.result.options.workers == 3 and ex.result.options.strategy == "stop_the_world"
    assert ex.result.options.seed == 4
    # Without a running event loop (plain Python), a browser change reruns at once.
    ex.workers.set_state({"value": 1})
    assert ex.runs == 4 and ex.result.options.workers == 1


def test_a_large_flows_timeline_is_capped_and_scrolls() -> None:
    ex = Explorer(wide_flow(80))
    assert ex.timeline_figure is not None
    assert list(ex.timeline_figure.get_size_inches()) == [8.0, 17.6]
    assert png_size(ex.timeline.value) == (720, round(17.6 * 90))
    assert (ex.timeline_box.layout.max_height, ex.timeline_box.layout.overflow) == (
        "1080px",
        "auto",
    )
    assert ex.timeline_box.children == (ex.timeline,)
    assert (ex.flow_box.layout.max_height, ex.flow_box.layout.overflow) == ("1080px", "auto")
    assert ex.flow_box.children == (ex.flow,)
    assert ex.at == 8.0  # t7 fails at the end of its first attempt


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def test_the_play_button_drives_the_slider_in_the_browser() -> None:
    ex = Explorer("nested-escalation")
    assert isinstance(ex.play_link, DirectionalLink)
    assert ex.play_link.source == (ex.play, "value")
    assert ex.play_link.target == (ex.time, "value")
    assert (ex.play.min, ex.play.max, ex.play.step) == (0, 11, 1)
    # The link sets the slider from the play button as the page loads: both at 3.
    assert ex.play.value == 3 and ex.at == 3.0
    ex.time.value = 11.0
    ex.strategy.value = "stop_the_world"
    assert ex.play.value == ex.play.max == 16 and ex.at == 16.0
    ex.time.value = 5.5
    ex.strategy.value = "smart"
    assert ex.play.max == 11 and ex.at == 5.5
    assert ex.time.step == 0.2
    assert COLORS["cursor"]  # the same cursor colour as every flowsim picture


def test_settings_that_cannot_run_are_reported_not_raised() -> None:
    looping = Scenario(
        flow=LinearFlow(
            name="loop",
            retry=Retry(name="again", controller=AlwaysRetry()),
            children=[Task(name="t")],
        ),
        options=Options(event_budget=200),
    )
    ex = Explorer(looping)
    good = ex.result
    ex.atom.value = "t"
    ex.fails_on.value = "always"
    assert ex.error is not None and "200" in ex.error
    assert "cannot run these settings" in ex.summary.value
    assert ex.failures.value == "injected failures: t fails always"
    assert ex.result is good
    ex.fails_on.value = ()
    assert ex.error is None and ex.result.flow_state == FlowState.SUCCESS


def walk(widget: Any) -> list[Any]:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += walk(child)
    return out


def test_the_explorer_is_one_widget_tree() -> None:
    ex = Explorer("wide-graph")
    assert isinstance(ex.widget, ipywidgets.VBox)
    inside = walk(ex.widget)
    controls = [ex.strategy, ex.defer_reverts, ex.workers, ex.seed, ex.play, ex.time]
    controls += [ex.atom, ex.fails_on, ex.revert_fails, ex.failures]
    assert all(any(c is w for w in inside) for c in controls)
    pictures = (ex.timeline, ex.flow, ex.timeline_box, ex.flow_box, ex.summary)
    assert all(any(c is w for w in inside) for c in pictures)
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
