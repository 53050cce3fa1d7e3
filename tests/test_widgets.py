"""The explorer, driven from plain Python: set a control's value, read the result and the
figures."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from ipywidgets.widgets.widget_link import DirectionalLink
from matplotlib.figure import Figure

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
    Explorer,
    Settings,
    apply_controls,
    draw_flow,
    draw_timeline,
    load_target,
    settings_of,
    summary,
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
    assert dict(s.fails_on) == {"prepare": (), "deploy": (1, 2), "monitor": ()}
    assert dict(s.revert_fails_on) == {"prepare": (), "deploy": (), "monitor": ()}


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
    with pytest.raises(ModelError, match=r"no task named 'nope'.*tasks are allocate, configure"):
        apply_controls(base, Settings(revert_fails_on={"nope": (1,)}))


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
    width, height = png_size(first)
    assert width == 8 * 90 and height > 200


# --------------------------------------------------------------------------- the explorer


def test_the_explorer_starts_from_the_scenario() -> None:
    ex = Explorer("blueprint")
    assert (ex.strategy.value, ex.defer_reverts.value, ex.workers.value, ex.seed.value) == (
        "smart",
        True,
        0,
        0,
    )
    assert list(ex.fails_on) == ["A", "B", "C"]
    assert ex.fails_on["B"].value == (1,) and ex.fails_on["B"].label == "attempt 1"
    assert not any(box.value for box in ex.revert_fails.values())
    assert ex.result.trace == simulate(examples.load("blueprint")).trace
    assert ex.error is None
    assert ex.at == ex.time.max == 7.0 and ex.time.min == 0.0
    assert ex.play.max == 7
    assert ex.summary.value == (
        "<b>blueprint</b>: flow <b>SUCCESS</b>, makespan 7, wasted work 2, reverted: B x1"
    )
    assert png_size(ex.timeline.value)[0] > 0 and png_size(ex.flow.value)[0] > 0
    assert by_gid(ex.timeline_figure, "cursor")[0].get_xdata()[0] == 7.0


def test_a_value_the_scenario_gives_is_offered_as_it_is() -> None:
    flow = LinearFlow(name="f", children=[Task(name="a", fails_on=[2, 5])])
    ex = Explorer(flow)
    assert ex.fails_on["a"].value == (2, 5) and ex.fails_on["a"].label == "as given: 2, 5"
    assert [label for label, _ in ex.fails_on["a"].options][1:] == [
        label for label, _ in FAIL_CHOICES
    ]


def test_each_option_control_reruns_the_flow() -> None:
    ex = Explorer("blueprint")
    ex.strategy.value = "stop_the_world"
    assert ex.result.makespan == 10
    assert ex.scenario.options.strategy == Strategy.STOP_THE_WORLD
    assert "makespan 10," in ex.summary.value
    assert ex.at == ex.time.max == 10.0 and ex.play.max == 10  # the cursor stays at the end
    ex.strategy.value = "smart"
    ex.workers.value = 1
    assert (ex.result.options.workers, ex.result.makespan) == (1, 12)  # C takes the worker
    ex.workers.value = 0
    assert (ex.result.options.workers, ex.result.makespan) == (None, 7)
    ex.seed.value = 9
    assert ex.result.options.seed == 9
    # defer_reverts decides what an exhausted inner checkpoint does.
    nested = Explorer("nested-escalation")
    nested.fails_on["deploy"].value = "always"
    assert nested.result.flow_state == FlowState.REVERTED
    assert nested.result.resolutions[-1].retry is None  # escalated: the whole flow reverts
    assert nested.result.atom_final_states["monitor"] == "REVERTED"
    nested.defer_reverts.value = False
    assert nested.result.options.defer_reverts is False
    assert nested.result.resolutions[-1].retry == "inner"  # only inner's scope reverts
    assert nested.result.atom_final_states["monitor"] == "SUCCESS"


def test_failure_toggles_change_the_injected_failures() -> None:
    ex = Explorer("blueprint")
    ex.fails_on["B"].value = ()
    assert (ex.result.makespan, ex.result.wasted_work, ex.result.resolutions) == (7.0, 0.0, ())
    assert "reverted: nothing" in ex.summary.value
    ex.fails_on["B"].value = (2,)
    assert ex.result.executions["B"] == 1 and ex.result.resolutions == ()
    ex.fails_on["B"].value = "always"
    assert ex.result.flow_state == FlowState.REVERTED
    assert ex.result.reverts["A"] == 1
    ex.revert_fails["A"].value = True
    assert ex.scenario.flow.children[0] == Task(name="A", revert_fails_on=[1])
    assert ex.result.flow_state == FlowState.FAILURE
    assert "A x1 (revert failed)" in ex.summary.value
    ex.revert_fails["A"].value = False
    assert ex.result.flow_state == FlowState.REVERTED


def test_the_time_slider_moves_the_cursor_and_recolours_the_flow() -> None:
    ex = Explorer("blueprint")
    before = ex.timeline.value, ex.flow.value
    ex.time.value = 2.5
    assert ex.at == 2.5
    assert list(by_gid(ex.timeline_figure, "cursor")[0].get_xdata()) == [2.5, 2.5]
    expected = states_at(ex.result, 2.5)
    for name in ex.result.compiled.names:
        assert node_label(ex.flow_figure, name) == f"{name}\n{expected[name]}"
        (node,) = by_gid(ex.flow_figure, f"node:{name}")
        assert node.get_facecolor()[:3] == pytest.approx(_rgb(STATE_COLORS[expected[name]]))
    assert node_label(ex.flow_figure, "B") == "B\nRUNNING"
    assert ex.timeline.value != before[0] and ex.flow.value != before[1]
    assert ex.result.makespan == 7  # moving the cursor does not rerun
    # A shorter run pulls the cursor back inside it; a longer one keeps it where it was.
    ex.time.value = 6.5
    ex.fails_on["B"].value = ()
    assert ex.at == 6.5 and ex.time.max == 7.0
    ex.strategy.value = "stop_the_world"
    ex.fails_on["B"].value = (1,)
    assert ex.time.max == 10.0 and ex.at == 6.5
    ex.strategy.value = "smart"
    assert ex.time.max == 7.0 and ex.at == 6.5


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def test_the_play_button_drives_the_slider_in_the_browser() -> None:
    ex = Explorer("nested-escalation")
    assert isinstance(ex.play_link, DirectionalLink)
    assert ex.play_link.source == (ex.play, "value")
    assert ex.play_link.target == (ex.time, "value")
    assert (ex.play.min, ex.play.max, ex.play.step) == (0, 11, 1)
    # The link sets the slider from the play button as the page loads: both at the end.
    assert ex.play.value == 11 and ex.at == 11.0
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
    ex.fails_on["t"].value = "always"
    assert ex.error is not None and "200" in ex.error
    assert "cannot run these settings" in ex.summary.value
    assert ex.result is good
    ex.fails_on["t"].value = ()
    assert ex.error is None and ex.result.flow_state == FlowState.SUCCESS


def test_the_explorer_is_one_widget_tree() -> None:
    ex = Explorer("wide-graph")
    assert isinstance(ex.widget, ipywidgets.VBox)

    def walk(widget: Any) -> list[Any]:
        out = [widget]
        for child in getattr(widget, "children", ()):
            out += walk(child)
        return out

    inside = walk(ex.widget)
    controls = [ex.strategy, ex.defer_reverts, ex.workers, ex.seed, ex.play, ex.time]
    controls += [*ex.fails_on.values(), *ex.revert_fails.values()]
    assert all(any(c is w for w in inside) for c in controls)
    assert all(any(c is w for w in inside) for c in (ex.timeline, ex.flow, ex.summary))
    bundle = ex._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
