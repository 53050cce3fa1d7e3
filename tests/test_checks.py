"""flowsim.checks: clean traces pass; each tampered trace breaks the rule it should."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import blueprint

from flowsim import (
    Event,
    LinearFlow,
    Options,
    Result,
    ScenarioError,
    Task,
    Trace,
    compile,
    examples,
    simulate,
)
from flowsim.checks import Rule, Violation, check

Row = tuple[float, str, str, int | None, int | None]


def trace(flow: str, rows: list[Row], result: Result | None = None) -> Trace:
    """Events from ``(time, name, state, attempt, worker)`` rows (the flow's own name marks
    flow events), numbered in order."""
    events = tuple(
        Event(t, k, "flow" if name == flow else "atom", name, state, attempt, worker)
        for k, (t, name, state, attempt, worker) in enumerate(rows)
    )
    return Trace(flow, events, result.resolutions if result else ())


def rows(result: Result) -> list[Row]:
    return [(e.time, e.name, str(e.state), e.attempt, e.worker) for e in result.events]


def rules(found: list[Violation]) -> set[Rule]:
    return {v.rule for v in found}


# a, then b, which fails: everything is reverted
PAIR = LinearFlow(name="f", children=[Task(name="a"), Task(name="b", fails_on=[1])])
PAIR_ROWS: list[Row] = [
    (0, "f", "RUNNING", None, None),
    (0, "a", "RUNNING", 1, 0),
    (1, "a", "SUCCESS", 1, 0),
    (1, "b", "RUNNING", 1, 0),
    (2, "b", "FAILURE", 1, 0),
    (2, "b", "REVERTING", 1, 0),
    (3, "b", "REVERTED", 1, 0),
    (3, "a", "REVERTING", 1, 0),
    (4, "a", "REVERTED", 1, 0),
    (4, "f", "REVERTED", None, None),
]


def test_the_hand_written_pair_trace_is_the_engines_and_is_clean() -> None:
    r = simulate(PAIR)
    assert rows(r) == PAIR_ROWS
    assert check(r) == []
    assert check(compile(PAIR), trace("f", PAIR_ROWS)) == []  # resolutions recomputed


@pytest.mark.parametrize("name", examples.names())
@pytest.mark.parametrize("strategy", ["smart", "stop_the_world"])
@pytest.mark.parametrize("workers", [None, 1, 2])
def test_every_bundled_example_is_clean(name: str, strategy: str, workers: int | None) -> None:
    r = simulate(examples.load(name), strategy=strategy, workers=workers)
    assert check(r) == []
    assert check(examples.load(name), r.trace, options=r.options) == []


def tampered(rows: list[Row], **options: object) -> list[Violation]:
    return check(compile(PAIR), trace("f", rows), options=Options(**options))  # type: ignore[arg-type]


def test_reverting_before_a_successor_breaks_reverse_order() -> None:
    bad = [*PAIR_ROWS[:5]]
    bad += [
        (2, "a", "REVERTING", 1, 1),
        (2, "b", "REVERTING", 1, 0),
        (3, "a", "REVERTED", 1, 1),
        (3, "b", "REVERTED", 1, 0),
        (3, "f", "REVERTED", None, None),
    ]
    found = tampered(bad)
    assert rules(found) == {Rule.REVERSE_ORDER}
    assert str(found[0]) == "reverse-order: a reverts before b [events #5@2]"


def test_an_atom_left_unreverted_breaks_the_minimal_set() -> None:
    bad = [*PAIR_ROWS[:7], (3, "f", "REVERTED", None, None)]
    assert rules(tampered(bad)) == {Rule.MINIMAL_SET, Rule.FINAL_STATE}
    # without defer_reverts a REVERTED flow may keep a SUCCESS atom, not skip a revert
    assert rules(tampered(bad, defer_reverts=False)) == {Rule.MINIMAL_SET}


def test_executing_before_a_predecessor_finished_breaks_precedence() -> None:
    bad = [(0, "f", "RUNNING", None, None), (0, "a", "RUNNING", 1, 0), (0, "b", "RUNNING", 1, 1)]
    bad += [(1, "a", "SUCCESS", 1, 0), (1, "b", "SUCCESS", 1, 1), (1, "f", "SUCCESS", None, None)]
    found = tampered(bad)
    assert Rule.PRECEDENCE in rules(found)
    assert Rule.TIMING in rules(found)  # b succeeded, but the scenario says it fails


def test_work_that_ends_early_or_late_or_moves_worker_is_caught() -> None:
    early = [*PAIR_ROWS[:2], (0.5, "a", "SUCCESS", 1, 0)] + [
        (t - 0.5, *rest) for t, *rest in PAIR_ROWS[3:]
    ]
    assert Rule.PREEMPTION in rules(tampered(early))  # type: ignore[arg-type]
    late = [*PAIR_ROWS[:2]] + [(t + 1, *rest) for t, *rest in PAIR_ROWS[2:]]
    assert rules(tampered(late)) == {Rule.TIMING}  # type: ignore[arg-type]
    assert tampered(late, seed=0) != []  # type: ignore[arg-type]
    moved = [*PAIR_ROWS[:2], (1, "a", "SUCCESS", 1, 1), *PAIR_ROWS[3:]]
    assert rules(tampered(moved)) == {Rule.PREEMPTION}
    # a real engine's timings are its own
    assert check(compile(PAIR), trace("f", late), timing=False) == []  # type: ignore[arg-type]


def test_more_tasks_at_work_than_workers_breaks_capacity() -> None:
    r = simulate(blueprint())
    assert rules(check(r.compiled, r.trace, options=Options(workers=1))) == {Rule.CAPACITY}


def test_a_revert_outside_every_scope_and_a_stray_reset_are_caught() -> None:
    r = simulate(blueprint())
    end = rows(r)
    extra = [(7, "C", "REVERTING", 1, 0), (8, "C", "REVERTED", 1, 0), (8, "C", "PENDING", 1, None)]
    found = check(r.compiled, trace("blueprint", [*end[:-1], *extra], r))
    assert {Rule.OUT_OF_SCOPE, Rule.RESET, Rule.UNFINISHED} <= rules(found)


def test_a_recorded_resolution_must_be_the_oracles() -> None:
    r = simulate(blueprint())
    wrong = replace(r.resolutions[0], scope=("B", "C"))
    found = check(r.compiled, Trace(r.trace.flow, r.events, (wrong,)))
    assert rules(found) == {Rule.RESOLUTION}
    assert "expected RETRY checkpoint scope ['B']" in found[0].message


def test_more_executions_than_the_retry_controllers_allow() -> None:
    r = simulate(blueprint())  # B runs twice; with attempts=1 it may run once
    found = check(compile(blueprint(attempts=1)), r.trace)
    assert Rule.RETRY_BOUND in rules(found)


def test_the_flow_state_must_follow_from_the_atoms() -> None:
    bad = [*PAIR_ROWS[:-1], (4, "f", "SUCCESS", None, None)]
    assert rules(tampered(bad)) == {Rule.FINAL_STATE}


def test_nothing_starts_after_a_revert_failure() -> None:
    assert check(simulate(examples.load("revert-failure"))) == []
    failed = [*PAIR_ROWS[:6], (3, "b", "REVERT_FAILURE", 1, 0)]
    end = [(4, "f", "FAILURE", None, None)]
    assert check(compile(PAIR), trace("f", failed + end), timing=False) == []
    more = [(3, "a", "REVERTING", 1, 0), (4, "a", "REVERTED", 1, 0)]
    found = check(compile(PAIR), trace("f", failed + more + end), timing=False)
    assert rules(found) == {Rule.HALT, Rule.REVERSE_ORDER}  # b never finished reverting


def test_stop_the_world_rules_and_no_reverting_flow_under_smart() -> None:
    smart = simulate(blueprint())
    stw = simulate(blueprint(), strategy="stop_the_world")
    as_stw = check(smart.compiled, smart.trace, options=Options(strategy="stop_the_world"))
    assert rules(as_stw) == {Rule.STOP_THE_WORLD}
    as_smart = check(stw.compiled, stw.trace, options=Options())
    assert Rule.TRANSITION in rules(as_smart)
    assert "never REVERTING" in str(as_smart[0])


def test_events_out_of_order_and_unfinished_work() -> None:
    swapped = [PAIR_ROWS[0], PAIR_ROWS[2], PAIR_ROWS[1], *PAIR_ROWS[3:]]
    assert {Rule.TIME, Rule.TRANSITION} <= rules(tampered(swapped))
    cut = PAIR_ROWS[:6]
    assert rules(tampered(cut)) >= {Rule.UNFINISHED}


def test_a_trace_of_another_flow_is_bad_input() -> None:
    with pytest.raises(ScenarioError, match="no atom 'x'"):
        check(compile(PAIR), trace("f", [(0, "x", "RUNNING", 1, 0)]))
    with pytest.raises(ScenarioError, match="flow 'g'"):
        check(compile(PAIR), trace("g", []))
    with pytest.raises(TypeError):
        check(compile(PAIR))
