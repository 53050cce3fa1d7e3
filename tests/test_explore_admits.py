"""flowsim.explore.admits: exact conformance of a trace to the interleavings allowed."""

from __future__ import annotations

import pytest

import flowsim as fs
from flowsim import examples
from flowsim.errors import ScenarioError
from flowsim.explore import Explanation, admits, apply_plan, explore, replay

AB = fs.Scenario(
    flow=fs.LinearFlow(name="f", children=[fs.Task(name="A"), fs.Task(name="B", fails_on=[1])])
)
# flow RUNNING, A RUNNING, A SUCCESS, B RUNNING, B FAILURE, B REVERTING, B REVERTED,
# A REVERTING, A REVERTED, flow REVERTED (every task on worker 0)
EVENTS = list(fs.simulate(AB).events)


def test_a_simulate_trace_is_admitted() -> None:
    assert admits(AB, fs.simulate(AB)) is True
    assert admits(AB, fs.simulate(AB).traced()) is True
    assert admits(AB, EVENTS) is True


def test_a_revert_before_its_successors_is_rejected() -> None:
    swapped = [*EVENTS[:5], EVENTS[7], EVENTS[5], EVENTS[6], *EVENTS[8:]]
    why = admits(AB, swapped)
    assert isinstance(why, Explanation) and not why
    assert (why.index, why.event, why.allowed) == (
        5,
        EVENTS[7],
        ("B REVERTING (attempt 1, worker 0)",),
    )
    assert str(why) == (
        "event #5 (A REVERTING (attempt 1, worker 0)): no allowed continuation matches; "
        "allowed here: B REVERTING (attempt 1, worker 0)"
    )


def test_an_extra_event_is_rejected() -> None:
    why = admits(AB, [*EVENTS[:3], EVENTS[2], *EVENTS[3:]])
    assert str(why) == (
        "event #3 (A SUCCESS (attempt 1, worker 0)): no allowed continuation matches; "
        "allowed here: B RUNNING (attempt 1, worker 0)"
    )
    why = admits(AB, [*EVENTS, EVENTS[-1]])
    assert str(why) == (
        "event #10 (flow f REVERTED): no allowed continuation matches; allowed here: the end "
        "of the trace"
    )


def test_a_cut_trace_is_rejected() -> None:
    why = admits(AB, EVENTS[:-1])
    assert isinstance(why, Explanation)
    assert (why.index, why.event) == (9, None)
    assert str(why) == "the trace ends after 9 events; allowed next: flow f REVERTED"


def test_a_wrong_attempt_or_worker() -> None:
    e = EVENTS[3]
    wrong = [*EVENTS[:3], e._replace(attempt=2), *EVENTS[4:]]
    assert str(admits(AB, wrong)).startswith(
        "event #3 (B RUNNING (attempt 2, worker 0)): no allowed continuation matches; "
        "allowed here: B RUNNING (attempt 1, worker 0)"
    )
    moved = [*EVENTS[:3], e._replace(worker=1), *EVENTS[4:]]
    assert not admits(AB, moved)
    assert admits(AB, moved, workers=False) is True


def test_both_orders_of_parallel_work_are_admitted() -> None:
    scenario = examples.load("blueprint")
    # C (6 long) may complete before the checkpoint (0 long): in flight after A are the
    # checkpoint (started first, 0) and C (1)
    early = replay(scenario, [(0,), (1,), (0,), (0,), (0,), (0,), (0,)])
    assert [e.name for e in early.events if e.state == "SUCCESS"][:3] == ["A", "C", "checkpoint"]
    assert admits(scenario, early) is True
    assert admits(scenario, fs.simulate(scenario)) is True


def test_every_given_run_of_every_plan_is_admitted() -> None:
    for name in examples.names():
        scenario = examples.load(name)
        for plan in explore(scenario, max_failures=1, progress=False).plans:
            planned = apply_plan(scenario, plan)
            assert admits(planned, fs.simulate(planned)) is True, (name, plan)


def test_a_trace_of_another_flow() -> None:
    other = fs.simulate(examples.load("blueprint")).traced()
    with pytest.raises(ScenarioError, match="trace: the trace is of flow 'blueprint', not 'f'"):
        admits(AB, other)
