"""The bundled example scenarios load, run, and do what their descriptions say."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import pytest
from helpers import states

import flowsim
from flowsim import AtomState, Decision, FlowState, GraphFlow, Task, examples, simulate
from flowsim.cli import main
from flowsim.model import Flow, walk

NAMES = ["blueprint", "foreach-alternatives", "nested-escalation", "revert-failure", "wide-graph"]


def test_the_bundled_names() -> None:
    assert examples.names() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_example_is_described_and_runs_the_same_from_its_file(name: str) -> None:
    scenario = examples.load(name)
    assert scenario.name == name
    assert len(scenario.description) > 40
    raw = json.loads(resources.files(examples).joinpath(f"{name}.json").read_text("utf-8"))
    assert raw["name"] == name and raw["description"] == scenario.description
    first, again = simulate(scenario), simulate(scenario)
    assert first.trace == again.trace
    assert first.flow_state in (FlowState.SUCCESS, FlowState.REVERTED, FlowState.FAILURE)


@pytest.mark.parametrize("name", NAMES)
def test_every_example_runs_from_the_command_line(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", name, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["flow_state"] == str(simulate(examples.load(name)).flow_state)


def without_failures(flow: Flow) -> Flow:
    """``flow`` with every task's ``fails_on`` cleared."""

    def rebuild(node: Task | Flow) -> Task | Flow:
        if isinstance(node, Task):
            return dataclasses.replace(node, fails_on=())
        return dataclasses.replace(node, children=[rebuild(child) for child in node.children])

    out = rebuild(flow)
    assert not isinstance(out, Task)
    return out


def test_nested_escalation() -> None:
    scenario = examples.load("nested-escalation")
    assert "SUCCESS at 11" in scenario.description and "ends at 16" in scenario.description
    smart = simulate(scenario)
    assert (smart.flow_state, smart.makespan) == (FlowState.SUCCESS, 11.0)
    first, second = smart.resolutions
    # deploy's first failure: the inner checkpoint retries it.
    assert (first.failed, first.chain, first.scope) == (
        "deploy",
        (("inner", Decision.RETRY),),
        ("deploy",),
    )
    # The second: inner gives up and the failure escalates to outer, which retries all.
    assert second.failed == "deploy"
    assert second.chain == (("inner", Decision.REVERT), ("outer", Decision.RETRY))
    assert (second.action, second.retry) == (Decision.RETRY, "outer")
    assert second.scope == ("prepare", "inner", "deploy")
    assert dict(smart.executions) == {
        "outer": 2,
        "prepare": 2,
        "inner": 3,
        "deploy": 3,
        "monitor": 1,
    }
    assert dict(smart.reverts) == {"outer": 0, "prepare": 1, "inner": 1, "deploy": 2, "monitor": 0}
    assert states(smart, "monitor") == ["RUNNING", "SUCCESS"]
    assert states(smart, "nested-escalation") == ["RUNNING", "SUCCESS"]
    stop = simulate(scenario, strategy="stop_the_world")
    assert (stop.flow_state, stop.makespan) == (FlowState.SUCCESS, 16.0)
    assert "REVERTING" in states(stop, "nested-escalation")


def test_revert_failure() -> None:
    scenario = examples.load("revert-failure")
    assert "ends FAILURE at 8" in scenario.description
    result = simulate(scenario)
    assert (result.flow_state, result.makespan) == (FlowState.FAILURE, 8.0)
    (resolution,) = result.resolutions
    assert (resolution.failed, resolution.chain, resolution.action) == (
        "configure",
        (),
        Decision.REVERT_ALL,
    )
    assert dict(result.atom_final_states) == {
        "allocate": AtomState.REVERT_FAILURE,
        "configure": AtomState.REVERTED,
        "warm_cache": AtomState.REVERTED,
        "serve": AtomState.PENDING,
    }
    assert states(result, "warm_cache") == ["RUNNING", "SUCCESS", "REVERTING", "REVERTED"]
    assert result.executions["serve"] == 0


def test_wide_graph() -> None:
    scenario = examples.load("wide-graph")
    assert "ends at 8" in scenario.description and "at 10" in scenario.description
    compiled = flowsim.compile(scenario.flow)
    assert isinstance(scenario.flow, GraphFlow) and not scenario.flow.links  # data only
    builds = ["build_a", "build_b", "build_c", "build_d"]
    assert {n.name for n in walk(scenario.flow) if isinstance(n, Task)} >= set(builds)

    def before(name: str) -> set[str]:
        """Every atom that ``name`` transitively waits for."""
        seen: set[int] = set()
        stack = list(compiled.preds[compiled.names.index(name)])
        while stack:
            index = stack.pop()
            if index not in seen:
                seen.add(index)
                stack.extend(compiled.preds[index])
        return {compiled.names[i] for i in seen}

    assert all(
        before(build) <= {"fetch", "retry_b"} and "fetch" in before(build) for build in builds
    )
    assert before("package") == {"fetch", "retry_b", *builds}
    assert before("publish") == {"package", *before("package")}
    smart = simulate(scenario)
    assert (smart.flow_state, smart.makespan) == (FlowState.SUCCESS, 8.0)
    (resolution,) = smart.resolutions
    assert (resolution.failed, resolution.chain) == ("build_b", (("retry_b", Decision.RETRY),))
    assert dict(smart.reverts) == {name: int(name == "build_b") for name in compiled.names}
    clean = simulate(dataclasses.replace(scenario, flow=without_failures(scenario.flow)))
    assert clean.makespan == 7.0
    stop = simulate(scenario, strategy="stop_the_world")
    assert (stop.flow_state, stop.makespan) == (FlowState.SUCCESS, 10.0)


def test_foreach_alternatives() -> None:
    scenario = examples.load("foreach-alternatives")
    assert "SUCCESS at 9 (12 under stop_the_world)" in scenario.description
    smart = simulate(scenario)
    assert (smart.flow_state, smart.makespan) == (FlowState.SUCCESS, 9.0)
    assert smart.retry_values == {"mirrors": ("mirror-1", "mirror-2", "mirror-3")}
    assert [(r.failed, r.chain) for r in smart.resolutions] == [
        ("download", (("mirrors", Decision.RETRY),)),
        ("download", (("mirrors", Decision.RETRY),)),
    ]
    assert (smart.executions["download"], smart.reverts["download"]) == (3, 2)
    assert states(smart, "compile_docs") == ["RUNNING", "SUCCESS"]
    stop = simulate(scenario, strategy="stop_the_world")
    assert (stop.flow_state, stop.makespan) == (FlowState.SUCCESS, 12.0)
