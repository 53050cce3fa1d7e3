"""Example-based tests that pin the engine's semantics with exact traces.

Each expected trace below was checked by hand against ``taskflow-semantics.md`` and
``DESIGN.md``; the comment above each says what it shows.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from helpers import blueprint, lines, nested_flow, states

from flowsim import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    AtomState,
    Decision,
    EventBudgetExceeded,
    FlowState,
    ForEach,
    GraphFlow,
    HistoryEntry,
    LinearFlow,
    Link,
    ModelError,
    Options,
    ParameterizedForEach,
    Retry,
    Scenario,
    Task,
    Times,
    UnorderedFlow,
    compile,
    simulate,
)
from flowsim.engine import _Run
from flowsim.errors import FlowsimError


def interval(
    result: Any, name: str, start: str, end: tuple[str, ...]
) -> list[tuple[float, float]]:
    out, begin = [], None
    for e in result.events:
        if e.name != name:
            continue
        if e.state == start:
            begin = e.time
        elif e.state in end and begin is not None:
            out.append((begin, e.time))
            begin = None
    return out


# --------------------------------------------------------------------------- blueprint


def test_blueprint_smart_reverts_b_while_c_runs() -> None:
    r = simulate(blueprint())
    assert lines(r) == [
        "0 blueprint RUNNING",
        "0 A RUNNING #1 @0",
        "1 A SUCCESS #1 @0",
        "1 checkpoint RUNNING #1",
        "1 C RUNNING #1 @0",
        "1 checkpoint SUCCESS #1",
        "1 B RUNNING #1 @1",
        "3 B FAILURE #1 @1",
        "3 B REVERTING #1 @1",
        "4 B REVERTED #1 @1",
        "4 checkpoint RETRYING #1",
        "4 B PENDING #1",
        "4 checkpoint RUNNING #2",
        "4 checkpoint SUCCESS #2",
        "4 B RUNNING #2 @1",
        "6 B SUCCESS #2 @1",
        "7 C SUCCESS #1 @0",
        "7 blueprint SUCCESS",
    ]
    assert r.flow_state is FlowState.SUCCESS and r.makespan == 7.0
    # B's revert overlaps C's execute; A and C are never reverted; the flow never REVERTING
    (rb0, rb1), (c0, c1) = interval(r, "B", "REVERTING", ("REVERTED",))[0], (1.0, 7.0)
    assert c0 < rb0 and rb1 < c1
    assert r.reverts == {"A": 0, "checkpoint": 0, "B": 1, "C": 0}
    assert states(r, "blueprint") == ["RUNNING", "SUCCESS"]
    assert r.wasted_work == 2.0
    assert r.retry_values == {"checkpoint": (1, 2)}
    (res,) = r.resolutions
    assert (res.time, res.seq, res.failed, res.chain, res.action, res.retry, res.scope) == (
        3.0,
        7,
        "B",
        (("checkpoint", Decision.RETRY),),
        Decision.RETRY,
        "checkpoint",
        ("B",),
    )


def test_blueprint_stop_the_world_waits_for_c() -> None:
    r = simulate(blueprint(), strategy="stop_the_world")
    assert lines(r) == [
        "0 blueprint RUNNING",
        "0 A RUNNING #1 @0",
        "1 A SUCCESS #1 @0",
        "1 checkpoint RUNNING #1",
        "1 C RUNNING #1 @0",
        "1 checkpoint SUCCESS #1",
        "1 B RUNNING #1 @1",
        "3 B FAILURE #1 @1",
        "3 blueprint REVERTING",
        "7 C SUCCESS #1 @0",
        "7 B REVERTING #1 @0",
        "8 B REVERTED #1 @0",
        "8 checkpoint RETRYING #1",
        "8 B PENDING #1",
        "8 checkpoint RUNNING #2",
        "8 checkpoint SUCCESS #2",
        "8 blueprint RUNNING",
        "8 B RUNNING #2 @0",
        "10 B SUCCESS #2 @0",
        "10 blueprint SUCCESS",
    ]
    # nothing reverts while anything executes
    reverts = interval(r, "B", "REVERTING", ("REVERTED",))
    executes = [
        iv for n in ("A", "B", "C") for iv in interval(r, n, "RUNNING", ("SUCCESS", "FAILURE"))
    ]
    assert all(e1 <= r0 or r1 <= e0 for r0, r1 in reverts for e0, e1 in executes)
    assert r.reverts["A"] == r.reverts["C"] == 0


def test_revert_failure_stops_new_work_but_lets_running_work_drain() -> None:
    r = simulate(blueprint(b=Task(name="B", duration=2, fails_on=[1], revert_fails_on=[1])))
    assert lines(r)[7:] == [
        "3 B FAILURE #1 @1",
        "3 B REVERTING #1 @1",
        "4 B REVERT_FAILURE #1 @1",
        "7 C SUCCESS #1 @0",  # the independent branch finishes and is not reverted
        "7 blueprint FAILURE",
    ]
    assert r.atom_final_states["A"] is AtomState.SUCCESS
    assert r.executions["B"] == 1  # no retry round after a revert failure


def test_revert_failure_leaves_upstream_atoms_unreverted() -> None:
    flow = LinearFlow(
        name="f",
        children=[
            Task(name="A"),
            Task(name="B", revert_fails_on=[1]),
            Task(name="C", fails_on=[1]),
        ],
    )
    r = simulate(flow)
    assert lines(r)[-6:] == [
        "3 C FAILURE #1 @0",
        "3 C REVERTING #1 @0",
        "4 C REVERTED #1 @0",
        "4 B REVERTING #1 @0",
        "5 B REVERT_FAILURE #1 @0",
        "5 f FAILURE",
    ]
    assert r.atom_final_states == {
        "A": AtomState.SUCCESS,
        "B": AtomState.REVERT_FAILURE,
        "C": AtomState.REVERTED,
    }


# --------------------------------------------------------------------------- scopes


def test_running_sibling_in_a_reverted_scope_finishes_then_reverts() -> None:
    flow = UnorderedFlow(
        name="u",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="B", fails_on=[1]), Task(name="D", duration=3)],
    )
    r = simulate(flow)
    assert lines(r) == [
        "0 u RUNNING",
        "0 R RUNNING #1",
        "0 R SUCCESS #1",
        "0 B RUNNING #1 @0",
        "0 D RUNNING #1 @1",
        "1 B FAILURE #1 @0",
        "1 B REVERTING #1 @0",  # the failed task does not wait for its running sibling
        "2 B REVERTED #1 @0",
        "3 D SUCCESS #1 @1",  # not pre-empted
        "3 D REVERTING #1 @0",
        "4 D REVERTED #1 @0",
        "4 R RETRYING #1",  # the retry controller is not reverted
        "4 B PENDING #1",
        "4 D PENDING #1",
        "4 R RUNNING #2",
        "4 R SUCCESS #2",
        "4 B RUNNING #2 @0",
        "4 D RUNNING #2 @1",
        "5 B SUCCESS #2 @0",
        "7 D SUCCESS #2 @1",
        "7 u SUCCESS",
    ]
    assert r.wasted_work == 4.0


def summary(
    r: Any,
) -> list[tuple[float, str, tuple[tuple[str, str], ...], str, Any, tuple[str, ...]]]:
    return [
        (x.time, x.failed, tuple((a, str(d)) for a, d in x.chain), str(x.action), x.retry, x.scope)
        for x in r.resolutions
    ]


def test_nested_retries_escalate_with_defer_reverts() -> None:
    r = simulate(nested_flow())
    assert summary(r) == [
        (2.0, "T", (("R2", "RETRY"),), "RETRY", "R2", ("T", "Z", "after")),
        (
            4.0,
            "T",
            (("R2", "REVERT"), ("R1", "RETRY")),
            "RETRY",
            "R1",
            ("S", "R2", "T", "Z", "after"),
        ),
        (8.0, "T", (("R2", "RETRY"),), "RETRY", "R2", ("T", "Z", "after")),
        (
            10.0,
            "T",
            (("R2", "REVERT"), ("R1", "REVERT")),
            "REVERT_ALL",
            None,
            ("R1", "S", "R2", "T", "Z", "after"),
        ),
    ]
    # the inner history is cleared when the outer retry reverts it
    assert r.retry_values == {"R1": (1, 2), "R2": (1, 2, 1, 2)}
    # with defer_reverts every atom that ever executed ends REVERTED; never-run atoms PENDING
    assert r.atom_final_states == {
        "R1": AtomState.REVERTED,
        "S": AtomState.REVERTED,
        "R2": AtomState.REVERTED,
        "T": AtomState.REVERTED,
        "Z": AtomState.PENDING,
        "after": AtomState.PENDING,
    }
    assert states(r, "Z") == [] and states(r, "after") == []  # never run: silent
    assert lines(r)[-10:] == [
        "10 T FAILURE #4 @0",
        "10 T REVERTING #4 @0",
        "11 T REVERTED #4 @0",
        "11 R2 REVERTING #4",
        "11 R2 REVERTED #4",
        "11 S REVERTING #2 @0",
        "12 S REVERTED #2 @0",
        "12 R1 REVERTING #2",
        "12 R1 REVERTED #2",
        "12 root REVERTED",
    ]
    assert r.flow_state is FlowState.REVERTED and r.makespan == 12.0


def test_nested_retries_without_defer_revert_only_the_exhausted_scope() -> None:
    r = simulate(nested_flow(), defer_reverts=False)
    assert summary(r)[-1] == (
        10.0,
        "T",
        (("R2", "REVERT"), ("R1", "REVERT")),
        "REVERT",
        "R2",
        ("R2", "T", "Z", "after"),
    )
    # TaskFlow's quirk: REVERTED although the outer scope is still SUCCESS
    assert r.flow_state is FlowState.REVERTED
    assert r.atom_final_states["R1"] is AtomState.SUCCESS
    assert r.atom_final_states["S"] is AtomState.SUCCESS
    assert lines(r)[-3:] == ["11 R2 REVERTING #4", "11 R2 REVERTED #4", "11 root REVERTED"]


def test_revert_all_with_nested_retries_asks_no_parent() -> None:
    inner = LinearFlow(
        name="inner",
        retry=Retry(name="R2", controller=Times(attempts=1, revert_all=True)),
        children=[Task(name="T", fails_on=[1])],
    )
    flow = LinearFlow(
        name="outer",
        retry=Retry(name="R1", controller=Times(attempts=3)),
        children=[Task(name="S"), inner],
    )
    r = simulate(flow)
    assert summary(r) == [
        (2.0, "T", (("R2", "REVERT_ALL"),), "REVERT_ALL", None, ("R1", "S", "R2", "T"))
    ]
    assert lines(r)[-9:-1] == [
        "2 T REVERTING #1 @0",
        "3 T REVERTED #1 @0",
        "3 R2 REVERTING #1",
        "3 R2 REVERTED #1",
        "3 S REVERTING #1 @0",
        "4 S REVERTED #1 @0",
        "4 R1 REVERTING #1",
        "4 R1 REVERTED #1",
    ]
    assert r.retry_values["R1"] == (1,)  # the outer retry did not retry


def test_a_later_retry_never_overrides_revert_all() -> None:
    # TaskFlow bug 2043808: a sibling subflow's RETRY must not undo a REVERT_ALL
    s1 = LinearFlow(
        name="s1",
        retry=Retry(name="R1", controller=AlwaysRevertAll()),
        children=[Task(name="p", fails_on=[1])],
    )
    s2 = LinearFlow(
        name="s2",
        retry=Retry(name="R2", controller=Times(attempts=5)),
        children=[Task(name="q", duration=3, fails_on=[1])],
    )
    r = simulate(UnorderedFlow(name="u", children=[s1, s2, Task(name="w", duration=2)]))
    assert [str(x.action) for x in r.resolutions] == ["REVERT_ALL", "RETRY"]
    assert r.flow_state is FlowState.REVERTED
    assert r.executions["q"] == 1 and r.retry_values["R2"] == (1,)
    assert states(r, "R2") == ["RUNNING", "SUCCESS", "REVERTING", "REVERTED"]
    assert all(s is AtomState.REVERTED for s in r.atom_final_states.values())


def test_never_resolve_keeps_the_failure() -> None:
    flow = UnorderedFlow(
        name="u", children=[Task(name="a", fails_on=[1]), Task(name="b", duration=3)]
    )
    r = simulate(flow, never_resolve=True)
    assert lines(r) == [
        "0 u RUNNING",
        "0 a RUNNING #1 @0",
        "0 b RUNNING #1 @1",
        "1 a FAILURE #1 @0",
        "3 b SUCCESS #1 @1",
        "3 u FAILURE",
    ]
    assert r.resolutions == ()


def test_stop_the_world_revert_all_ends_from_reverting() -> None:
    flow = UnorderedFlow(
        name="u",
        children=[
            Task(name="a", fails_on=[1]),
            Task(name="b", duration=3),
            LinearFlow(name="l", children=[Task(name="c", duration=2), Task(name="d")]),
        ],
    )
    r = simulate(flow, strategy="stop_the_world")
    assert lines(r) == [
        "0 u RUNNING",
        "0 a RUNNING #1 @0",
        "0 b RUNNING #1 @1",
        "0 c RUNNING #1 @2",
        "1 a FAILURE #1 @0",
        "1 u REVERTING",
        "2 c SUCCESS #1 @2",  # d is ready now but the world is stopped
        "3 b SUCCESS #1 @1",
        "3 a REVERTING #1 @0",
        "3 b REVERTING #1 @1",
        "3 c REVERTING #1 @2",
        "4 a REVERTED #1 @0",
        "4 b REVERTED #1 @1",
        "4 c REVERTED #1 @2",
        "4 u REVERTED",
    ]
    # the same scenario under smart reverts c and b as soon as each finishes
    smart = simulate(flow)
    assert "1 a REVERTING #1 @0" in lines(smart)
    assert smart.makespan == 4.0 and "REVERTING" not in states(smart, "u")


# --------------------------------------------------------------------------- retry controllers


def retried(controller: Any, task: Task, **retry: Any) -> LinearFlow:
    return LinearFlow(
        name="f", retry=Retry(name="R", controller=controller, **retry), children=[task]
    )


def test_times_makes_n_attempts_in_total() -> None:
    r = simulate(retried(Times(attempts=3), Task(name="a", fails_on="always")))
    assert r.executions == {"R": 3, "a": 3}
    assert r.retry_values == {"R": (1, 2, 3)}
    assert [str(x.chain[0][1]) for x in r.resolutions] == ["RETRY", "RETRY", "REVERT"]
    assert r.flow_state is FlowState.REVERTED


@pytest.mark.parametrize("attempts", [0, 1])
def test_times_zero_behaves_like_one(attempts: int) -> None:
    r = simulate(retried(Times(attempts=attempts), Task(name="a", fails_on="always")))
    assert r.executions == {"R": 1, "a": 1}
    assert r.flow_state is FlowState.REVERTED


def test_times_succeeds_on_the_last_attempt() -> None:
    r = simulate(retried(Times(attempts=3), Task(name="a", fails_on=[1, 2])))
    assert r.flow_state is FlowState.SUCCESS
    assert r.executions == {"R": 3, "a": 3} and r.reverts == {"R": 0, "a": 2}


def test_for_each_tries_every_value_duplicates_included() -> None:
    r = simulate(
        retried(ForEach(values=[3, 2, 3, 5]), Task(name="a", fails_on="always", revert_duration=0))
    )
    assert r.retry_values == {"R": (3, 2, 3, 5)}
    assert r.executions["a"] == 4
    assert lines(r)[-3:] == ["4 R REVERTING #4", "4 R REVERTED #4", "4 f REVERTED"]


def test_for_each_with_no_values_fails_its_own_execute() -> None:
    r = simulate(retried(ForEach(values=[]), Task(name="a")))
    assert lines(r) == [
        "0 f RUNNING",
        "0 R RUNNING #1",
        "0 R FAILURE #1",
        "0 R REVERTING #1",
        "0 R REVERTED #1",
        "0 f REVERTED",
    ]
    assert r.resolutions[0].chain == () and r.resolutions[0].action is Decision.REVERT_ALL


def test_parameterized_for_each_takes_values_from_the_store() -> None:
    flow = retried(ParameterizedForEach(values_from="hosts"), Task(name="a", fails_on=[1, 2]))
    r = simulate(flow, store={"hosts": ["h1", "h2", "h3", "h4"]})
    assert r.retry_values == {"R": ("h1", "h2", "h3")}
    assert r.flow_state is FlowState.SUCCESS


def test_always_revert_reverts_locally_or_escalates() -> None:
    inner = LinearFlow(
        name="inner",
        retry=Retry(name="R2", controller=AlwaysRevert()),
        children=[Task(name="T", fails_on=[1])],
    )
    flow = UnorderedFlow(name="u", children=[inner, Task(name="W", duration=3)])
    local = simulate(flow, defer_reverts=False)
    assert local.atom_final_states == {
        "R2": AtomState.REVERTED,
        "T": AtomState.REVERTED,
        "W": AtomState.SUCCESS,
    }
    assert local.flow_state is FlowState.REVERTED
    escalated = simulate(flow)  # defer_reverts: no ancestor retries, so revert everything
    assert escalated.atom_final_states["W"] is AtomState.REVERTED
    assert escalated.resolutions[0].action is Decision.REVERT_ALL


def test_always_retry_until_it_succeeds_and_a_budget_for_never() -> None:
    r = simulate(retried(AlwaysRetry(), Task(name="a", fails_on=[1, 2, 3])))
    assert r.executions == {"R": 4, "a": 4} and r.retry_values == {"R": (None,) * 4}
    forever = retried(AlwaysRetry(), Task(name="a", fails_on="always"))
    with pytest.raises(EventBudgetExceeded) as e:
        simulate(forever, event_budget=500)
    assert str(e.value) == (
        "flow 'f': the run recorded 500 events by time 125 without finishing; it may never "
        "end (e.g. AlwaysRetry around an atom that always fails): 'a' in the scope of retry "
        "controller 'R' was executed 63 times. If it is just long, raise "
        "event_budget."
    )


def test_a_run_may_record_exactly_its_event_budget() -> None:
    needed = len(simulate(blueprint()).events)
    assert len(simulate(blueprint(), event_budget=needed).events) == needed
    with pytest.raises(EventBudgetExceeded, match=f"recorded {needed - 1} events"):
        simulate(blueprint(), event_budget=needed - 1)


def test_retry_whose_own_execute_fails_is_resolved_by_its_parent() -> None:
    inner = LinearFlow(
        name="inner",
        retry=Retry(name="R2", controller=Times(attempts=1), fails_on=[1]),
        children=[Task(name="T")],
    )
    flow = LinearFlow(
        name="outer",
        retry=Retry(name="R1", controller=Times(attempts=2)),
        children=[Task(name="S"), inner],
    )
    r = simulate(flow)
    assert lines(r) == [
        "0 outer RUNNING",
        "0 R1 RUNNING #1",
        "0 R1 SUCCESS #1",
        "0 S RUNNING #1 @0",
        "1 S SUCCESS #1 @0",
        "1 R2 RUNNING #1",
        "1 R2 FAILURE #1",
        "1 R2 REVERTING #1",
        "1 R2 REVERTED #1",
        "1 S REVERTING #1 @0",
        "2 S REVERTED #1 @0",
        "2 R1 RETRYING #1",
        "2 S PENDING #1",
        "2 R2 PENDING #1",
        "2 R1 RUNNING #2",
        "2 R1 SUCCESS #2",
        "2 S RUNNING #2 @0",
        "3 S SUCCESS #2 @0",
        "3 R2 RUNNING #2",
        "3 R2 SUCCESS #2",
        "3 T RUNNING #1 @0",
        "4 T SUCCESS #1 @0",
        "4 outer SUCCESS",
    ]
    assert summary(r) == [(1.0, "R2", (("R1", "RETRY"),), "RETRY", "R1", ("S", "R2", "T"))]


class Twice:
    """A custom controller: retry once, and remember what it was shown."""

    def __init__(self) -> None:
        self.seen: list[tuple[HistoryEntry, ...]] = []

    def execute(self, history: tuple[HistoryEntry, ...]) -> str:
        return f"try-{len(history)}"

    def on_failure(self, history: tuple[HistoryEntry, ...]) -> Decision:
        self.seen.append(history)
        return Decision.RETRY if len(history) < 2 else Decision.REVERT


def test_custom_controller_sees_taskflow_history() -> None:
    controller = Twice()
    flow = LinearFlow(
        name="f",
        retry=Retry(name="R", controller=controller),
        children=[
            UnorderedFlow(
                name="u", children=[Task(name="a", fails_on=[1]), Task(name="b", fails_on=[1])]
            )
        ],
    )
    r = simulate(flow)
    assert r.retry_values == {"R": ("try-0", "try-1")}
    # both failures of the first attempt are recorded in its entry, in order
    assert controller.seen[0] == (HistoryEntry("try-0", ("a",)),)
    assert controller.seen[1] == (HistoryEntry("try-0", ("a", "b")),)
    assert r.flow_state is FlowState.SUCCESS


def test_a_controller_returning_nonsense_is_a_clear_error() -> None:
    class Bad:
        def execute(self, history: Any) -> None:
            return None

        def on_failure(self, history: Any) -> str:
            return "maybe"

    with pytest.raises(ModelError) as e:
        simulate(retried(Bad(), Task(name="a", fails_on=[1])))
    assert str(e.value) == (
        "retry 'R': on_failure returned 'maybe'; expected a Decision (RETRY, REVERT or REVERT_ALL)"
    )


# --------------------------------------------------------------------------- deciders


def decided(depth: str) -> GraphFlow:
    return GraphFlow(
        name="g",
        children=[Task(name=n) for n in "abcd"],
        links=[
            Link(source="a", target="b", decider=False, depth=depth),
            Link(source="b", target="c"),
            Link(source="c", target="d"),
        ],
    )


@pytest.mark.parametrize(
    ("depth", "ignored", "makespan"),
    [("all", "bcd", 1.0), ("flow", "bcd", 1.0), ("neighbors", "bc", 2.0), ("atom", "b", 3.0)],
)
def test_decider_depths(depth: str, ignored: str, makespan: float) -> None:
    r = simulate(decided(depth))
    assert r.flow_state is FlowState.SUCCESS  # IGNORE counts as success
    assert {n for n, s in r.atom_final_states.items() if s is AtomState.IGNORE} == set(ignored)
    assert r.makespan == makespan


def test_decider_on_a_link_into_a_subflow_ignores_its_retry_first() -> None:
    sub = LinearFlow(
        name="sub",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="x"), Task(name="y")],
    )
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), sub, Task(name="z")],
        links=[
            Link(source="a", target="sub", decider=False, depth="flow"),
            Link(source="sub", target="z"),
        ],
    )
    assert lines(simulate(flow)) == [
        "0 g RUNNING",
        "0 a RUNNING #1 @0",
        "1 a SUCCESS #1 @0",
        "1 R IGNORE #0",
        "1 x IGNORE #0",
        "1 y IGNORE #0",
        "1 z RUNNING #1 @0",
        "2 z SUCCESS #1 @0",
        "2 g SUCCESS",
    ]


def test_a_decider_whose_source_was_ignored_does_not_vote() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name=n) for n in "abc"],
        links=[
            Link(source="a", target="b", decider=False, depth="atom"),
            Link(source="b", target="c", decider=False, depth="atom"),
        ],
    )
    r = simulate(flow)
    assert r.atom_final_states["c"] is AtomState.SUCCESS


def test_ignored_atoms_return_to_pending_on_a_retry_round() -> None:
    body = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), Task(name="c", fails_on=[1])],
        links=[
            Link(source="a", target="b", decider=False, depth="atom"),
            Link(source="b", target="c"),
        ],
    )
    r = simulate(
        LinearFlow(name="f", retry=Retry(name="R", controller=Times(attempts=2)), children=[body])
    )
    assert states(r, "b") == ["IGNORE", "PENDING", "IGNORE"]
    assert r.flow_state is FlowState.SUCCESS


# --------------------------------------------------------------------------- time and workers


def test_workers_priority_and_reverts_first() -> None:
    flow = UnorderedFlow(
        name="u",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[
            Task(name="a"),
            Task(name="b", priority=5),
            Task(name="c", duration=2, fails_on=[1]),
            Task(name="d", priority=-1),
        ],
    )
    r = simulate(flow, workers=2)
    assert lines(r)[:17] == [
        "0 u RUNNING",
        "0 R RUNNING #1",
        "0 R SUCCESS #1",
        "0 b RUNNING #1 @0",  # higher priority first
        "0 a RUNNING #1 @1",
        "1 b SUCCESS #1 @0",
        "1 a SUCCESS #1 @1",
        "1 c RUNNING #1 @0",
        "1 d RUNNING #1 @1",
        "2 d SUCCESS #1 @1",
        "3 c FAILURE #1 @0",
        "3 b REVERTING #1 @0",  # reverts by priority, then compile order
        "3 a REVERTING #1 @1",
        "4 b REVERTED #1 @0",
        "4 a REVERTED #1 @1",
        "4 c REVERTING #1 @0",
        "4 d REVERTING #1 @1",
    ]
    assert r.worker_busy == {0: 8.0, 1: 6.0}
    assert r.makespan == 8.0


def test_reverts_start_before_executes_when_workers_are_short() -> None:
    flow = UnorderedFlow(
        name="u",
        children=[
            LinearFlow(
                name="l",
                retry=Retry(name="R", controller=Times(attempts=2)),
                children=[Task(name="x", fails_on=[1])],
            ),
            LinearFlow(name="m", children=[Task(name="y"), Task(name="z")]),
        ],
    )
    r = simulate(flow, workers=1)
    # z is ready from t=1 on; at t=2 x's revert and z's execute compete for the one worker
    # and the revert wins
    assert lines(r)[5:9] == [
        "1 x RUNNING #1 @0",
        "2 x FAILURE #1 @0",
        "2 x REVERTING #1 @0",
        "3 x REVERTED #1 @0",
    ]
    assert interval(r, "z", "RUNNING", ("SUCCESS",)) == [(3.0, 4.0)]


def test_per_call_durations_and_failed_executes_take_their_full_time() -> None:
    r = simulate(
        retried(
            Times(attempts=3),
            Task(name="a", duration=[5, 2], revert_duration=[1, 3], fails_on=[1, 2]),
        )
    )
    assert interval(r, "a", "RUNNING", ("SUCCESS", "FAILURE")) == [(0, 5), (6, 8), (11, 13)]
    assert interval(r, "a", "REVERTING", ("REVERTED",)) == [(5, 6), (8, 11)]


def test_retry_durations_take_time_but_no_worker() -> None:
    flow = LinearFlow(
        name="f",
        retry=Retry(name="R", controller=Times(attempts=2), duration=0.5, revert_duration=0.25),
        children=[Task(name="a", fails_on="always")],
    )
    r = simulate(flow, workers=1)
    assert interval(r, "R", "RUNNING", ("SUCCESS",)) == [(0, 0.5), (2.5, 3.0)]
    assert interval(r, "R", "REVERTING", ("REVERTED",)) == [(5.0, 5.25)]
    assert all(e.worker is None for e in r.events if e.name == "R")


# --------------------------------------------------------------------------- determinism


def random_flow() -> UnorderedFlow:
    from flowsim import Exponential, LogNormal, Uniform

    return UnorderedFlow(
        name="u",
        retry=Retry(name="R", controller=Times(attempts=4)),
        children=[
            Task(name="a", duration=Uniform(low=1, high=3), fail_probability=0.4),
            Task(
                name="b", duration=Exponential(mean=2), revert_duration=LogNormal(mu=0, sigma=0.5)
            ),
            Task(name="c", duration=LogNormal(mu=0.5, sigma=1), fail_probability=0.3),
        ],
    )


def test_same_seed_same_trace_other_seed_other_trace() -> None:
    runs = {simulate(random_flow(), seed=7, workers=2).trace for _ in range(5)}
    assert len(runs) == 1
    assert simulate(random_flow(), seed=8, workers=2).trace not in runs


def test_an_atoms_draws_do_not_depend_on_other_atoms() -> None:
    base = simulate(random_flow(), seed=3)
    other = UnorderedFlow(
        name="u", retry=random_flow().retry, children=[*random_flow().children, Task(name="extra")]
    )
    with_extra = simulate(other, seed=3)
    first_a = [e.time for e in base.events if e.name == "a"][:2]
    assert [e.time for e in with_extra.events if e.name == "a"][:2] == first_a


def test_empty_flows_succeed_at_once() -> None:
    assert lines(simulate(LinearFlow(name="f"))) == ["0 f RUNNING", "0 f SUCCESS"]
    only_retry = LinearFlow(name="f", retry=Retry(name="R", controller=Times()))
    assert lines(simulate(only_retry)) == [
        "0 f RUNNING",
        "0 R RUNNING #1",
        "0 R SUCCESS #1",
        "0 f SUCCESS",
    ]


def test_simulate_refuses_what_it_cannot_run() -> None:
    with pytest.raises(ModelError, match="simulate\\(\\) takes a flow"):
        simulate(Task(name="a"))  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="workers must be"):
        simulate(LinearFlow(name="f"), workers=0)
    with pytest.raises(ModelError) as e:
        simulate(compile(LinearFlow(name="f")), store={"k": 1})
    assert str(e.value) == "simulate(): a compiled flow has its store already; drop store="


def test_a_store_given_to_simulate_replaces_the_scenarios() -> None:
    flow = LinearFlow(
        name="f",
        retry=Retry(name="R", controller=ParameterizedForEach(values_from="hosts")),
        children=[Task(name="a", fails_on=[1])],
    )
    scenario = Scenario(flow=flow, store={"hosts": ["x", "y"]})
    assert simulate(scenario).retry_values == {"R": ("x", "y")}
    assert simulate(scenario, store={"hosts": ["z", "w"]}).retry_values == {"R": ("z", "w")}
    compiled = compile(flow, store={"hosts": ["c"]})
    assert simulate(compiled).retry_values == {"R": ("c",)}


def test_the_engine_refuses_transitions_outside_its_tables() -> None:
    # an engine bug, never a user error: the guards name the atom (or flow) and the move
    run = _Run(compile(retried(Times(), Task(name="a"))), Options())
    a = run.c.index["a"]
    with pytest.raises(FlowsimError, match=r"^internal error: 'a' cannot go PENDING -> SUCCESS$"):
        run.set_state(a, AtomState.SUCCESS)
    run.set_state(a, AtomState.RUNNING)
    run.set_state(a, AtomState.SUCCESS)
    with pytest.raises(FlowsimError, match=r"^internal error: 'a' cannot go SUCCESS -> RETRYING$"):
        run.set_state(a, AtomState.RETRYING)  # a move only retry controllers make
    with pytest.raises(FlowsimError, match=r"^internal error: flow cannot go PENDING -> SUCCESS$"):
        run.set_flow(FlowState.SUCCESS)
    run.set_flow(FlowState.RUNNING)
    with pytest.raises(
        FlowsimError, match=r"^internal error: flow cannot go RUNNING -> REVERTING$"
    ):
        run.set_flow(FlowState.REVERTING)  # only stop_the_world stops the flow


def test_long_and_wide_ignored_regions_neither_recurse_nor_explode() -> None:
    # a chain of 3,000 tasks ignored at once
    chain = GraphFlow(
        name="g",
        children=[Task(name=f"c{i}") for i in range(3000)],
        links=[Link(source="c0", target="c1", decider=False)]
        + [Link(source=f"c{i}", target=f"c{i + 1}") for i in range(1, 2999)],
    )
    r = simulate(chain)
    assert sum(s is AtomState.IGNORE for s in r.atom_final_states.values()) == 2999
    # a 14 x 14 lattice of ignored tasks (10 million paths through it) after "a", which must
    # look through all of it before it reverts
    n = 14
    grid = [Task(name=f"x{i}_{j}") for i in range(n) for j in range(n)]
    links = [Link(source="a", target="x0_0", decider=False), Link(source="a", target="w")]
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                links.append(Link(source=f"x{i}_{j}", target=f"x{i + 1}_{j}"))
            if j + 1 < n:
                links.append(Link(source=f"x{i}_{j}", target=f"x{i}_{j + 1}"))
    lattice = GraphFlow(
        name="g", children=[Task(name="a"), *grid, Task(name="w", fails_on=[1])], links=links
    )
    r = simulate(lattice)
    assert sum(s is AtomState.IGNORE for s in r.atom_final_states.values()) == n * n
    assert lines(r)[-3:] == ["3 a REVERTING #1 @0", "4 a REVERTED #1 @0", "4 g REVERTED"]


def test_an_ignored_retry_controller_passes_failures_to_its_parent() -> None:
    # A depth-"atom" decider into a subflow ignores only its retry controller R; the
    # subflow still runs, and a failure in it is decided above R (here: nobody, so the
    # whole flow reverts) instead of by an R that can never retry.
    sub = LinearFlow(
        name="sub",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="x", fails_on=[1])],
    )
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), sub],
        links=[Link(source="a", target="sub", decider=False, depth="atom")],
    )
    for defer in (True, False):
        r = simulate(flow, defer_reverts=defer)
        assert lines(r) == [
            "0 g RUNNING",
            "0 a RUNNING #1 @0",
            "1 a SUCCESS #1 @0",
            "1 R IGNORE #0",
            "1 x RUNNING #1 @0",
            "2 x FAILURE #1 @0",
            "2 x REVERTING #1 @0",
            "3 x REVERTED #1 @0",
            "3 a REVERTING #1 @0",
            "4 a REVERTED #1 @0",
            "4 g REVERTED",
        ]
        (res,) = r.resolutions
        assert (res.chain, res.action, res.retry) == ((), Decision.REVERT_ALL, None)


def test_the_widest_of_several_deciders_that_say_no_applies() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name=n) for n in ("a", "b", "x", "y", "z")],
        links=[
            Link(source="a", target="x", decider=False, depth="atom"),
            Link(source="b", target="x", decider=False, depth="all"),
            Link(source="x", target="y"),
            Link(source="y", target="z"),
        ],
    )
    r = simulate(flow)
    assert {n: str(s) for n, s in r.atom_final_states.items()} == {
        "a": "SUCCESS",
        "b": "SUCCESS",
        "x": "IGNORE",
        "y": "IGNORE",
        "z": "IGNORE",
    }


def test_an_atom_after_an_ignored_one_waits_for_the_ignored_ones_other_predecessors() -> None:
    # x's decider ignores i and its neighbour j; m follows j only, but j also follows k,
    # which is still running: m looks through the ignored j and waits for k
    flow = GraphFlow(
        name="g",
        children=[Task(name=n, duration=5.0 if n == "k" else 1.0) for n in "xijkm"],
        links=[
            Link(source="x", target="i", decider=False, depth="neighbors"),
            Link(source="i", target="j"),
            Link(source="k", target="j"),
            Link(source="j", target="m"),
        ],
    )
    assert lines(simulate(flow)) == [
        "0 g RUNNING",
        "0 x RUNNING #1 @0",
        "0 k RUNNING #1 @1",
        "1 x SUCCESS #1 @0",
        "1 i IGNORE #0",
        "1 j IGNORE #0",
        "5 k SUCCESS #1 @1",
        "5 m RUNNING #1 @0",
        "6 m SUCCESS #1 @0",
        "6 g SUCCESS",
    ]


def test_revert_all_from_a_parent_wins_over_a_childs_revert_without_defer() -> None:
    # R2 says REVERT, so R1 is asked; its REVERT_ALL reverts the whole flow even though
    # defer_reverts is off (taskflow-semantics.md section 3)
    inner = LinearFlow(
        name="in",
        retry=Retry(name="R2", controller=AlwaysRevert()),
        children=[Task(name="T", fails_on=[1])],
    )
    outer = LinearFlow(
        name="out",
        retry=Retry(name="R1", controller=AlwaysRevertAll()),
        children=[Task(name="S"), inner],
    )
    r = simulate(
        LinearFlow(name="root", children=[outer, Task(name="after")]), defer_reverts=False
    )
    (res,) = r.resolutions
    assert (res.action, res.retry) == (Decision.REVERT_ALL, None)
    assert lines(r)[-10:] == [
        "2 T FAILURE #1 @0",
        "2 T REVERTING #1 @0",
        "3 T REVERTED #1 @0",
        "3 R2 REVERTING #1",
        "3 R2 REVERTED #1",
        "3 S REVERTING #1 @0",
        "4 S REVERTED #1 @0",
        "4 R1 REVERTING #1",
        "4 R1 REVERTED #1",
        "4 root REVERTED",
    ]


def test_stop_the_world_starts_no_retry_controller_while_reverting() -> None:
    # P finishes while the world is stopped for F's failure: R2 becomes ready then, but
    # runs only once the flow is RUNNING again
    b1 = LinearFlow(
        name="b1",
        retry=Retry(name="R1", controller=Times(attempts=2)),
        children=[Task(name="F", fails_on=[1])],
    )
    sub = LinearFlow(
        name="s", retry=Retry(name="R2", controller=Times()), children=[Task(name="Q")]
    )
    b2 = LinearFlow(name="b2", children=[Task(name="P", duration=2.0), sub])
    r = simulate(UnorderedFlow(name="u", children=[b1, b2]), strategy="stop_the_world")
    assert lines(r) == [
        "0 u RUNNING",
        "0 R1 RUNNING #1",
        "0 P RUNNING #1 @0",
        "0 R1 SUCCESS #1",
        "0 F RUNNING #1 @1",
        "1 F FAILURE #1 @1",
        "1 u REVERTING",
        "2 P SUCCESS #1 @0",
        "2 F REVERTING #1 @0",
        "3 F REVERTED #1 @0",
        "3 R1 RETRYING #1",
        "3 F PENDING #1",
        "3 R1 RUNNING #2",
        "3 R1 SUCCESS #2",
        "3 u RUNNING",
        "3 F RUNNING #2 @0",
        "3 R2 RUNNING #1",
        "3 R2 SUCCESS #1",
        "3 Q RUNNING #1 @1",
        "4 F SUCCESS #2 @0",
        "4 Q SUCCESS #1 @1",
        "4 u SUCCESS",
    ]


def test_stop_the_world_requeues_work_that_was_waiting_for_a_worker_when_it_stopped() -> None:
    # X is ready at 1 but D1 and D2 (higher priority) take the free workers; F's failure
    # stops the world with X still waiting. The retry round resets X; it must run again
    # once Y has (a stale queue entry must not keep it out)
    inner = UnorderedFlow(
        name="par",
        children=[
            Task(name="F", fails_on=[1], duration=3.0),
            LinearFlow(name="yx", children=[Task(name="Y"), Task(name="X", priority=1)]),
        ],
    )
    checkpointed = LinearFlow(
        name="rf", retry=Retry(name="R", controller=Times(attempts=2)), children=[inner]
    )
    later = UnorderedFlow(
        name="ds",
        children=[
            Task(name="D1", priority=5, duration=5.0),
            Task(name="D2", priority=5, duration=5.0),
        ],
    )
    side = LinearFlow(name="side", children=[Task(name="E"), later])
    flow = UnorderedFlow(name="root", children=[checkpointed, side, Task(name="C", duration=10.0)])
    assert lines(simulate(flow, strategy="stop_the_world", workers=4)) == [
        "0 root RUNNING",
        "0 R RUNNING #1",
        "0 E RUNNING #1 @0",
        "0 C RUNNING #1 @1",
        "0 R SUCCESS #1",
        "0 F RUNNING #1 @2",
        "0 Y RUNNING #1 @3",
        "1 E SUCCESS #1 @0",
        "1 Y SUCCESS #1 @3",
        "1 D1 RUNNING #1 @0",
        "1 D2 RUNNING #1 @3",
        "3 F FAILURE #1 @2",
        "3 root REVERTING",
        "6 D1 SUCCESS #1 @0",
        "6 D2 SUCCESS #1 @3",
        "10 C SUCCESS #1 @1",
        "10 F REVERTING #1 @0",
        "10 Y REVERTING #1 @1",
        "11 F REVERTED #1 @0",
        "11 Y REVERTED #1 @1",
        "11 R RETRYING #1",
        "11 F PENDING #1",
        "11 Y PENDING #1",
        "11 R RUNNING #2",
        "11 R SUCCESS #2",
        "11 root RUNNING",
        "11 F RUNNING #2 @0",
        "11 Y RUNNING #2 @1",
        "12 Y SUCCESS #2 @1",
        "12 X RUNNING #1 @1",
        "13 X SUCCESS #1 @1",
        "14 F SUCCESS #2 @0",
        "14 root SUCCESS",
    ]


def test_trace_false_keeps_counts_and_says_why_events_are_missing() -> None:
    both = [Task(name="a1", fails_on=[1]), Task(name="a2", fails_on=[1])]  # fail at once
    flow = LinearFlow(name="f", children=[Task(name="b"), UnorderedFlow(name="u", children=both)])
    light = simulate(flow, trace=False)
    assert light.trace is None
    assert (light.flow_state, light.makespan, light.event_count, light.resolution_count) == (
        FlowState.REVERTED,
        4.0,
        len(simulate(flow).events),
        2,
    )
    with pytest.raises(FlowsimError, match="'f' was simulated with trace=False"):
        _ = light.events
    with pytest.raises(ModelError, match="trace must be True or False, got 'no'"):
        simulate(flow, trace="no")  # type: ignore[arg-type]


def test_the_default_event_budget_is_a_million_events_plus_a_thousand_per_atom() -> None:
    # Options' documented default; a run long enough to reach it would take seconds
    two = compile(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")]))
    assert _Run(two, Options()).budget == 1_002_000
    assert _Run(two, Options(event_budget=7)).budget == 7


def test_the_event_budget_stops_the_written_out_steps_of_the_loop_too() -> None:
    # a, b start at 0 (the general path); a's success at 1 (written out: c still waits)
    # is the 4th event, b's at 2 the 5th, c's start at 2 (written out) the 6th
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b", duration=2), Task(name="c")],
        links=[Link(source="a", target="c"), Link(source="b", target="c")],
    )
    for budget, time in ((3, 1), (4, 2), (5, 2)):
        with pytest.raises(EventBudgetExceeded, match=f"recorded {budget} events by time {time} "):
            simulate(flow, event_budget=budget)
    chain = LinearFlow(name="f", children=[Task(name="a"), Task(name="b"), Task(name="c")])
    with pytest.raises(EventBudgetExceeded, match="recorded 3 events by time 1 "):
        simulate(chain, event_budget=3)  # b's start at 1, not its success at 2


def test_an_atom_after_a_retried_flow_waits_for_all_its_predecessors() -> None:
    # p1 succeeded, then q failed: the retry counts p1 as undone for s again, so that after
    # the retry round s still waits for p2 (not only for p1 and q)
    sub = UnorderedFlow(
        name="sub",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="p1"), Task(name="q", duration=2, fails_on=[1])],
    )
    flow = GraphFlow(
        name="g",
        children=[sub, Task(name="p2", duration=10), Task(name="s")],
        links=[Link(source="sub", target="s"), Link(source="p2", target="s")],
    )
    r = simulate(flow)
    assert [(e.time, str(e.state)) for e in r.events if e.name == "s"] == [
        (10.0, "RUNNING"),
        (11.0, "SUCCESS"),
    ]


def test_a_retry_round_resets_an_ignored_atom_after_its_flow() -> None:
    # with deciders the engine walks a retry's whole scope: x, after sub and ignored (via b)
    # while a ran, is reset to PENDING by R's retry round, and then runs
    flow = GraphFlow(
        name="g",
        children=[
            LinearFlow(
                name="sub",
                retry=Retry(name="R", controller=Times(attempts=2)),
                children=[Task(name="a", duration=2, fails_on=[1])],
            ),
            Task(name="p"),
            Task(name="b"),
            Task(name="x"),
        ],
        links=[
            Link(source="p", target="b", decider=False),
            Link(source="b", target="x"),
            Link(source="sub", target="x"),
        ],
    )
    r = simulate(flow)
    assert [(e.time, str(e.state)) for e in r.events if e.name == "x"] == [
        (1.0, "IGNORE"),
        (3.0, "PENDING"),
        (5.0, "RUNNING"),
        (6.0, "SUCCESS"),
    ]
    assert not _Run(compile(flow), Options()).lazy


def test_a_run_without_deciders_takes_the_lazy_mode() -> None:
    # lazy mode (readiness counts, the written-out steps) is the engine's fast path and
    # gives the same traces as the general one (property_tests/test_engine_modes.py), so
    # only this shows that simulate() takes it: a flow without deciders runs lazy, one
    # with a decider (the test above) does not
    plain = retried(Times(), Task(name="a"))
    assert _Run(compile(plain), Options()).lazy
    assert not _Run(compile(plain), Options(), lazy=False).lazy


def test_a_written_out_step_skips_a_queued_task_put_in_scope_and_starts_the_next() -> None:
    # X was ready and waiting for a worker when F failed: R's RETRY put X in scope
    # (PENDING, intention REVERT), so when A2 frees a worker at 2.5 X must not start, and
    # the next ready task, V (independent), starts instead; X runs after the retry round
    checkpoint = UnorderedFlow(
        name="ck",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="F", priority=1, fails_on=[1], revert_duration=2), Task(name="X")],
    )
    flow = UnorderedFlow(
        name="u",
        children=[
            checkpoint,
            Task(name="A1", priority=1),
            Task(name="A2", priority=1, duration=2.5),
            Task(name="V"),
        ],
    )
    assert lines(simulate(flow, workers=2)) == [
        "0 u RUNNING",
        "0 A1 RUNNING #1 @0",
        "0 A2 RUNNING #1 @1",
        "0 R RUNNING #1",
        "0 R SUCCESS #1",
        "1 A1 SUCCESS #1 @0",
        "1 F RUNNING #1 @0",
        "2 F FAILURE #1 @0",
        "2 F REVERTING #1 @0",
        "2.5 A2 SUCCESS #1 @1",
        "2.5 V RUNNING #1 @1",
        "3.5 V SUCCESS #1 @1",
        "4 F REVERTED #1 @0",
        "4 R RETRYING #1",
        "4 F PENDING #1",
        "4 R RUNNING #2",
        "4 R SUCCESS #2",
        "4 F RUNNING #2 @0",
        "4 X RUNNING #1 @1",
        "5 F SUCCESS #2 @0",
        "5 X SUCCESS #1 @1",
        "5 u SUCCESS",
    ]


def test_a_revert_waiting_for_a_worker_starts_when_a_task_succeeds() -> None:
    # F's failure puts P and F in scope; P's revert takes the free worker, F's waits for B's
    # (B succeeds at 3, a step the loop takes itself, and F's revert starts there)
    checkpoint = UnorderedFlow(
        name="ck",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="P", revert_duration=2), Task(name="F", fails_on=[1])],
    )
    flow = UnorderedFlow(name="u", children=[checkpoint, Task(name="B", priority=1, duration=3)])
    assert lines(simulate(flow, workers=2)) == [
        "0 u RUNNING",
        "0 B RUNNING #1 @0",
        "0 R RUNNING #1",
        "0 R SUCCESS #1",
        "0 P RUNNING #1 @1",
        "1 P SUCCESS #1 @1",
        "1 F RUNNING #1 @1",
        "2 F FAILURE #1 @1",
        "2 P REVERTING #1 @1",
        "3 B SUCCESS #1 @0",
        "3 F REVERTING #1 @0",
        "4 P REVERTED #1 @1",
        "4 F REVERTED #1 @0",
        "4 R RETRYING #1",
        "4 P PENDING #1",
        "4 F PENDING #1",
        "4 R RUNNING #2",
        "4 R SUCCESS #2",
        "4 P RUNNING #2 @0",
        "4 F RUNNING #2 @1",
        "5 P SUCCESS #2 @0",
        "5 F SUCCESS #2 @1",
        "5 u SUCCESS",
    ]


def test_a_task_waiting_for_a_worker_never_starts_once_the_flow_reverts() -> None:
    # no retry controller: F's failure reverts everything; X, waiting for the one worker
    # (PENDING, now with intention REVERT, and no predecessor to wait for), must not take
    # the worker F's revert frees at 2
    flow = UnorderedFlow(name="u", children=[Task(name="F", fails_on=[1]), Task(name="X")])
    assert lines(simulate(flow, workers=1)) == [
        "0 u RUNNING",
        "0 F RUNNING #1 @0",
        "1 F FAILURE #1 @0",
        "1 F REVERTING #1 @0",
        "2 F REVERTED #1 @0",
        "2 u REVERTED",
    ]


def test_simulate_signature_shows_what_a_left_out_keyword_means() -> None:
    # help(simulate) and a notebook's Shift-Tab show these, not <object object at 0x...>
    params = inspect.signature(simulate).parameters
    shown = {name: repr(p.default) for name, p in params.items() if name != "target"}
    assert shown == {
        "store": "None",
        "workers": "<scenario's, else None>",
        "seed": "<scenario's, else 0>",
        "defer_reverts": "<scenario's, else True>",
        "never_resolve": "<scenario's, else False>",
        "strategy": "<scenario's, else 'smart'>",
        "event_budget": "<scenario's, else None>",
        "trace": "True",
    }


def test_neighbors_deciders_into_and_out_of_a_checkpointed_flow() -> None:
    # into: the controller and its direct task successor x are ignored, y (after x) runs;
    # out of: the subflow is the source (it always votes), b and its neighbour z ignored
    checkpointed = LinearFlow(
        name="S",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="x"), Task(name="y")],
    )
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), checkpointed, Task(name="b"), Task(name="z")],
        links=[
            Link(source="a", target="S", decider=False, depth="neighbors"),
            Link(source="S", target="b", decider=False, depth="neighbors"),
            Link(source="b", target="z"),
        ],
    )
    r = simulate(flow)
    assert lines(r) == [
        "0 g RUNNING",
        "0 a RUNNING #1 @0",
        "1 a SUCCESS #1 @0",
        "1 R IGNORE #0",
        "1 x IGNORE #0",
        "1 y RUNNING #1 @0",
        "2 y SUCCESS #1 @0",
        "2 b IGNORE #0",
        "2 z IGNORE #0",
        "2 g SUCCESS",
    ]


def test_a_sibling_running_at_the_failure_finishes_then_reverts_and_its_successor_waits() -> None:
    # b is RUNNING in r's scope when a fails: it runs to its end, is reverted (on the lowest
    # free worker), and its successor c, in the scope too, does not start until b has run
    # again in the retry round; d, after the checkpointed flow, is in the scope and waits
    checkpointed = GraphFlow(
        name="s",
        retry=Retry(name="r", controller=Times(attempts=2)),
        children=[Task(name="a", fails_on=[1]), Task(name="b", duration=3.0), Task(name="c")],
        links=[Link(source="b", target="c")],
    )
    r = simulate(LinearFlow(name="f", children=[checkpointed, Task(name="d")]))
    assert lines(r) == [
        "0 f RUNNING",
        "0 r RUNNING #1",
        "0 r SUCCESS #1",
        "0 a RUNNING #1 @0",
        "0 b RUNNING #1 @1",
        "1 a FAILURE #1 @0",
        "1 a REVERTING #1 @0",
        "2 a REVERTED #1 @0",
        "3 b SUCCESS #1 @1",
        "3 b REVERTING #1 @0",
        "4 b REVERTED #1 @0",
        "4 r RETRYING #1",
        "4 a PENDING #1",
        "4 b PENDING #1",
        "4 r RUNNING #2",
        "4 r SUCCESS #2",
        "4 a RUNNING #2 @0",
        "4 b RUNNING #2 @1",
        "5 a SUCCESS #2 @0",
        "7 b SUCCESS #2 @1",
        "7 c RUNNING #1 @0",
        "8 c SUCCESS #1 @0",
        "8 d RUNNING #1 @0",
        "9 d SUCCESS #1 @0",
        "9 f SUCCESS",
    ]
    assert [(x.failed, x.action, x.scope) for x in r.resolutions] == [
        ("a", "RETRY", ("a", "b", "c", "d"))
    ]


def test_a_queued_execute_whose_predecessor_was_reverted_waits_for_it_again() -> None:
    # stop_the_world: t3's success at 6 queues t0 (priority 1), but t1's failure at 6 stops
    # the world and the retry reverts t3; when the world resumes at 12, t0's queue entry is
    # popped first (priority) and must be skipped until t3 has run again
    flow = GraphFlow(
        name="flow",
        retry=Retry(name="r0", controller=Times(attempts=2), duration=3.0),
        children=[
            Task(name="t1", fails_on=[1]),
            Task(name="t2", duration=2.0, revert_duration=2.0, priority=1),
            Task(name="t3", duration=3.0, revert_duration=0.0),
            Task(name="t0", priority=1),
        ],
        links=[Link(source="t2", target="t1"), Link(source="t3", target="t0")],
    )
    r = simulate(flow, strategy="stop_the_world")
    assert [(e.time, e.name, str(e.state), e.attempt, e.worker) for e in r.events][20:] == [
        (9.0, "r0", "RUNNING", 2, None),
        (12.0, "r0", "SUCCESS", 2, None),
        (12.0, "flow", "RUNNING", None, None),
        (12.0, "t2", "RUNNING", 2, 0),
        (12.0, "t3", "RUNNING", 2, 1),
        (14.0, "t2", "SUCCESS", 2, 0),
        (14.0, "t1", "RUNNING", 2, 0),
        (15.0, "t3", "SUCCESS", 2, 1),
        (15.0, "t1", "SUCCESS", 2, 0),
        (15.0, "t0", "RUNNING", 1, 0),
        (16.0, "t0", "SUCCESS", 1, 0),
        (16.0, "flow", "SUCCESS", None, None),
    ]
    assert [(e.time, e.name, str(e.state)) for e in r.events][7:13] == [
        (6.0, "t3", "SUCCESS"),
        (6.0, "t1", "FAILURE"),
        (6.0, "flow", "REVERTING"),
        (6.0, "t1", "REVERTING"),
        (6.0, "t3", "REVERTING"),
        (6.0, "t3", "REVERTED"),
    ]


def test_a_stale_queue_entry_is_skipped_when_workers_free_up_after_the_retry_round() -> None:
    # smart revert, 3 workers: t3's success at 9 queues t0 (priority 1), but t1's failure
    # at 9 reverts t3. While r0 reverts and retries, the workers are taken by the reverts and
    # then by b1-b3 (priority 2), so t0's queue entry outlives the round. At 15 b1-b3 free
    # all three workers at once; t0's entry is popped first (priority) and must be skipped
    # until t3 has succeeded again
    scope = GraphFlow(
        name="s",
        retry=Retry(name="r0", controller=Times(attempts=2), duration=3.0),
        children=[
            Task(name="t1", duration=6.0, fails_on=[1], revert_duration=1.0),
            Task(name="t3", duration=6.0, revert_duration=1.0),
            Task(name="t0", priority=1),
        ],
        links=[Link(source="t3", target="t0")],
    )
    flow = GraphFlow(
        name="main",
        children=[
            scope,
            Task(name="a", duration=10.0),
            *(Task(name=f"b{k}", duration=5.0, priority=2) for k in (1, 2, 3)),
        ],
        links=[Link(source="a", target=f"b{k}") for k in (1, 2, 3)],
    )
    r = simulate(flow, workers=3)
    assert [(e.time, e.name, str(e.state), e.attempt, e.worker) for e in r.events][6:] == [
        (9.0, "t1", "FAILURE", 1, 1),
        (9.0, "t3", "SUCCESS", 1, 2),
        (9.0, "t1", "REVERTING", 1, 1),
        (9.0, "t3", "REVERTING", 1, 2),
        (10.0, "a", "SUCCESS", 1, 0),
        (10.0, "t1", "REVERTED", 1, 1),
        (10.0, "t3", "REVERTED", 1, 2),
        (10.0, "r0", "RETRYING", 1, None),
        (10.0, "t1", "PENDING", 1, None),
        (10.0, "t3", "PENDING", 1, None),
        (10.0, "r0", "RUNNING", 2, None),
        (10.0, "b1", "RUNNING", 1, 0),
        (10.0, "b2", "RUNNING", 1, 1),
        (10.0, "b3", "RUNNING", 1, 2),
        (13.0, "r0", "SUCCESS", 2, None),
        (15.0, "b1", "SUCCESS", 1, 0),
        (15.0, "b2", "SUCCESS", 1, 1),
        (15.0, "b3", "SUCCESS", 1, 2),
        (15.0, "t1", "RUNNING", 2, 0),
        (15.0, "t3", "RUNNING", 2, 1),
        (21.0, "t1", "SUCCESS", 2, 0),
        (21.0, "t3", "SUCCESS", 2, 1),
        (21.0, "t0", "RUNNING", 1, 0),
        (22.0, "t0", "SUCCESS", 1, 0),
        (22.0, "main", "SUCCESS", None, None),
    ]


def test_a_queued_execute_put_in_scope_is_dropped_when_workers_free_up() -> None:
    # two workers: t2 waits for one; t0's failure at 1 puts the whole flow in scope, t2
    # included (PENDING, nothing before it). At 3 t1 succeeds and t0's revert ends, so two
    # workers are free and t1's revert is queued: start_ready takes t1's revert and then
    # pops t2's queue entry, which must be dropped, not executed
    flow = UnorderedFlow(
        name="flow",
        children=[
            Task(name="t0", fails_on=[1], revert_duration=2.0),
            Task(name="t1", duration=3.0),
            Task(name="t2"),
        ],
    )
    r = simulate(flow, workers=2)
    assert [(e.time, e.name, str(e.state), e.attempt, e.worker) for e in r.events] == [
        (0.0, "flow", "RUNNING", None, None),
        (0.0, "t0", "RUNNING", 1, 0),
        (0.0, "t1", "RUNNING", 1, 1),
        (1.0, "t0", "FAILURE", 1, 0),
        (1.0, "t0", "REVERTING", 1, 0),
        (3.0, "t1", "SUCCESS", 1, 1),
        (3.0, "t0", "REVERTED", 1, 0),
        (3.0, "t1", "REVERTING", 1, 0),
        (4.0, "t1", "REVERTED", 1, 0),
        (4.0, "flow", "REVERTED", None, None),
    ]
    assert r.executions["t2"] == 0


def test_the_budget_error_names_the_atom_executed_most_often() -> None:
    def stopped(flow: LinearFlow | UnorderedFlow, budget: int) -> str:
        with pytest.raises(EventBudgetExceeded) as e:
            simulate(flow, event_budget=budget)
        return str(e.value).split("fails)", 1)[1]

    # nothing executed yet (an empty flow's second event): no atom to name
    assert stopped(LinearFlow(name="e", children=[]), 1) == (
        ". If it is just long, raise event_budget."
    )
    # a tie: the first in compile order
    pair = UnorderedFlow(name="u", children=[Task(name="a"), Task(name="b")])
    assert stopped(pair, 3) == ": 'a' was executed once. If it is just long, raise event_budget."
    # a retry controller executed most: named alone, not as in its parent's scope
    inner = LinearFlow(
        name="s",
        retry=Retry(name="R", controller=AlwaysRetry()),
        children=[Task(name="t", fails_on="always")],
    )
    outer = LinearFlow(
        name="h", retry=Retry(name="O", controller=Times(attempts=2)), children=[inner]
    )
    assert stopped(outer, 11) == (
        ": 'R' was executed 2 times. If it is just long, raise event_budget."
    )
    assert stopped(outer, 13) == (
        ": 't' in the scope of retry controller 'R' was executed 2 times. If it is just long, "
        "raise event_budget."
    )


def test_a_run_whose_makespan_or_wasted_work_alone_overflows_is_refused() -> None:
    message = (
        "the run's times overflow (a sum of durations is beyond the largest float, "
        "about 1.8e308); use smaller durations (e.g. other time units)"
    )
    # a then b on two workers in turn (c holds worker 0 until a is done): each worker's
    # busy time is finite, the makespan 2e308 is not
    chain = GraphFlow(
        name="g",
        children=[
            Task(name="c", duration=0.5e308),
            Task(name="a", duration=1e308),
            Task(name="b", duration=1e308),
        ],
        links=[Link(source="a", target="b")],
    )
    # x fails; a and b, each 1e308, are reverted: the wasted work 2e308 is not finite
    wasted = UnorderedFlow(
        name="u",
        children=[
            Task(name="a", duration=1e308),
            Task(name="b", duration=1e308),
            Task(name="x", duration=1.5e308, fails_on=[1]),
        ],
    )
    for flow in (chain, wasted):
        with pytest.raises(ModelError) as e:
            simulate(flow)
        assert str(e.value) == message


def test_a_left_out_keyword_shows_its_default() -> None:
    shown = {k: repr(p.default) for k, p in inspect.signature(simulate).parameters.items()}
    assert shown["workers"] == "<scenario's, else None>"
    assert shown["strategy"] == "<scenario's, else 'smart'>"
