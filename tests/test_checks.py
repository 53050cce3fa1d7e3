"""flowsim.checks: clean traces pass; each tampered trace breaks the rule it should."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from helpers import blueprint, nested_flow

from flowsim import (
    AlwaysRevert,
    AlwaysRevertAll,
    Decision,
    Depth,
    Event,
    Exponential,
    ForEach,
    GraphFlow,
    HistoryEntry,
    LinearFlow,
    Link,
    LogNormal,
    Options,
    Resolution,
    Result,
    Retry,
    Scenario,
    ScenarioError,
    Task,
    Times,
    Trace,
    Uniform,
    UnorderedFlow,
    compile,
    examples,
    simulate,
)
from flowsim.checks import Rule, Violation, check
from flowsim.timing import atom_random

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
    assert rules(found) == {Rule.REVERSE_ORDER, Rule.WORKER}  # (a took worker 1, 0 was free)
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
    assert found[0].message == (
        "the failure of B was resolved as RETRY checkpoint scope ['B', 'C'] chain "
        "[checkpoint: RETRY]; expected RETRY checkpoint scope ['B'] chain [checkpoint: RETRY]"
    )


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


# ---------------------------------------------------------------- exact violations
Seen = list[tuple[Rule, str, list[int]]]


def seen(found: list[Violation]) -> Seen:
    """Each violation as ``(rule, explanation, seqs of its events)``, in check()'s order."""
    return [(v.rule, v.message, [e.seq for e in v.events]) for v in found]


def test_a_repeated_seq_and_a_step_back_in_time_name_both_events_in_seq_order() -> None:
    same = list(trace("f", PAIR_ROWS).events)
    same[3] = same[3]._replace(seq=2)  # b starts with a's seq
    assert seen(check(compile(PAIR), Trace("f", tuple(same)))) == [
        (Rule.TIME, "events go back in time (or seq does not increase)", [2, 2])
    ]
    back = [*PAIR_ROWS[:3], (0.5, "b", "RUNNING", 1, 0), *PAIR_ROWS[4:]]
    assert seen(tampered(back)) == [
        (Rule.TIME, "events go back in time (or seq does not increase)", [2, 3]),
        (Rule.TIMING, "b's execute took 1.5; its duration is 1", [3, 4]),
    ]


def test_an_event_after_the_end_and_flow_transitions() -> None:
    after = [*PAIR_ROWS, (5, "f", "RUNNING", None, None)]
    assert seen(tampered(after)) == [
        (Rule.TIME, "an event after the flow's final state", [9, 10]),
        (Rule.TRANSITION, "flow REVERTED -> RUNNING is not allowed", [9, 10]),
        (Rule.UNFINISHED, "the flow ends RUNNING, not in a final state", [10]),
    ]
    stopped = [
        *PAIR_ROWS[:-1],
        (4, "f", "REVERTING", None, None),
        (4, "f", "REVERTED", None, None),
    ]
    assert seen(tampered(stopped)) == [
        (
            Rule.TRANSITION,
            "flow RUNNING -> REVERTING is not allowed (under smart the flow is never REVERTING)",
            [0, 9],
        ),
        (Rule.TRANSITION, "flow REVERTING -> REVERTED is not allowed", [9, 10]),
    ]
    ended_at_once = [(0, "f", "SUCCESS", None, None)]
    assert seen(tampered(ended_at_once)) == [
        (Rule.TRANSITION, "flow PENDING -> SUCCESS is not allowed", [0]),
        (Rule.UNFINISHED, "a was ready to execute (every predecessor done) and never ran", [0]),
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [0]),
    ]


def test_an_empty_trace_never_ran_and_its_violation_has_no_events() -> None:
    found = check(compile(PAIR), Trace("f", ()))
    assert seen(found) == [(Rule.UNFINISHED, "the flow ends PENDING, not in a final state", [])]
    assert str(found[0]) == "unfinished: the flow ends PENDING, not in a final state"


def test_atom_transitions_are_the_tables_of_a_task() -> None:
    skipped = [PAIR_ROWS[0], (0, "a", "SUCCESS", 1, 0), *PAIR_ROWS[3:]]
    assert seen(tampered(skipped)) == [
        (Rule.TRANSITION, "a PENDING -> SUCCESS is not allowed", [1]),
        (Rule.ATTEMPT, "a's event says attempt 1; it has executed 0 time(s)", [1]),
    ]
    # a task is no retry controller: it has no retry round
    rounds = [*PAIR_ROWS[:3], (1, "a", "RETRYING", 1, None), *PAIR_ROWS[3:]]
    assert seen(tampered(rounds)) == [
        (Rule.TRANSITION, "a SUCCESS -> RETRYING is not allowed", [3]),
        (Rule.RESET, "a starts a retry round it did not decide", [3]),
        (Rule.PRECEDENCE, "b executes before a finished", [4]),
        (Rule.TRANSITION, "a RETRYING -> REVERTING is not allowed", [8]),
        (
            Rule.OUT_OF_SCOPE,
            "a is reverted, but no resolution put it in scope since it last executed",
            [8],
        ),
    ]


TRIO = UnorderedFlow(name="u", children=[Task(name="a"), Task(name="b"), Task(name="c")])


def trio(rows: list[Row], **options: object) -> list[Violation]:
    return check(compile(TRIO), trace("u", rows), options=Options(**options))  # type: ignore[arg-type]


def test_capacity_counts_the_tasks_at_work_and_checks_each_worker() -> None:
    clean = simulate(TRIO, workers=2)
    assert check(clean) == []
    assert seen(trio(rows(clean), workers=2)) == []
    crowd: list[Row] = [
        (0, "u", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (0, "b", "RUNNING", 1, None),
        (0, "c", "RUNNING", 1, None),
        (1, "a", "SUCCESS", 1, 0),
        (1, "b", "SUCCESS", 1, None),
        (1, "c", "SUCCESS", 1, None),
        (1, "u", "SUCCESS", None, None),
    ]
    assert seen(trio(crowd, workers=1)) == [
        (Rule.CAPACITY, "b starts while 1 tasks are at work on 1 worker(s)", [1, 2]),
        (Rule.CAPACITY, "c starts while 2 tasks are at work on 1 worker(s)", [1, 2, 3]),
    ]
    assert seen(trio(crowd, workers=3)) == []
    off_by_one: list[Row] = [
        (0, "u", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (0, "b", "RUNNING", 1, 1),
        (1, "a", "SUCCESS", 1, 0),
        (1, "c", "RUNNING", 1, 2),
        (1, "b", "SUCCESS", 1, 1),
        (2, "c", "SUCCESS", 1, 2),
        (2, "u", "SUCCESS", None, None),
    ]
    # worker 0 is free again when c starts: the lowest free worker is the one it takes
    assert seen(trio(off_by_one, workers=2)) == [
        (Rule.WORKER, "c starts on worker 2; the lowest free worker is 0", [4]),
        (Rule.CAPACITY, "c runs on worker 2; the workers are 0..1", [4]),
    ]
    assert seen(trio(off_by_one, workers=3)) == [
        (Rule.WORKER, "c starts on worker 2; the lowest free worker is 0", [4])
    ]
    real = check(compile(TRIO), trace("u", off_by_one), options=Options(workers=3), timing=False)
    assert seen(real) == []  # a real engine numbers its workers its own way


def test_a_worker_runs_one_task_at_a_time() -> None:
    # b joins a on worker 0; a leaves, c joins b there: both are caught
    shared: list[Row] = [
        (0, "u", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (0, "b", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "c", "RUNNING", 1, 0),
        (1, "b", "SUCCESS", 1, 0),
        (2, "c", "SUCCESS", 1, 0),
        (2, "u", "SUCCESS", None, None),
    ]
    assert seen(trio(shared)) == [
        (Rule.CAPACITY, "worker 0 is still busy with a", [1, 2]),
        (Rule.WORKER, "b starts on worker 0; the lowest free worker is 1", [2]),
        (Rule.CAPACITY, "worker 0 is still busy with b", [2, 4]),
        (Rule.WORKER, "c starts on worker 0; the lowest free worker is 1", [4]),
    ]


def test_work_that_moves_fails_or_succeeds_against_the_scenario_is_caught() -> None:
    moved = [*PAIR_ROWS[:2], (1, "a", "SUCCESS", 1, 1), *PAIR_ROWS[3:]]
    assert seen(tampered(moved)) == [
        (Rule.PREEMPTION, "a started on worker 0 and ended on worker 1", [1, 2])
    ]
    a_fails: list[Row] = [
        *PAIR_ROWS[:2],
        (1, "a", "FAILURE", 1, 0),
        (1, "a", "REVERTING", 1, 0),
        (2, "a", "REVERTED", 1, 0),
        (2, "f", "REVERTED", None, None),
    ]
    assert seen(tampered(a_fails)) == [
        (Rule.TIMING, "a's execute failed; the scenario says it succeeds", [1, 2])
    ]
    b_succeeds = [*PAIR_ROWS[:4], (2, "b", "SUCCESS", 1, 0), (2, "f", "SUCCESS", None, None)]
    assert seen(tampered(b_succeeds)) == [
        (Rule.TIMING, "b's execute succeeded; the scenario says it fails", [3, 4])
    ]
    revert_fails = [
        *PAIR_ROWS[:6],
        (3, "b", "REVERT_FAILURE", 1, 0),
        (3, "f", "FAILURE", None, None),
    ]
    assert seen(tampered(revert_fails)) == [
        (Rule.TIMING, "b's revert failed; the scenario says it succeeds", [5, 6])
    ]
    stuck = LinearFlow(
        name="f", children=[Task(name="a"), Task(name="b", fails_on=[1], revert_fails_on=[1])]
    )
    assert seen(check(compile(stuck), trace("f", PAIR_ROWS))) == [
        (Rule.TIMING, "b's revert succeeded; the scenario says it fails", [5, 6])
    ]


@pytest.mark.parametrize(
    ("cut", "shift", "rule", "message"),
    [
        (2, 1, Rule.TIMING, "a's execute took 2; its duration is 1"),
        (2, -0.5, Rule.PREEMPTION, "a's execute took 0.5; its duration is 1"),
        (6, 1, Rule.TIMING, "b's revert took 2; its duration is 1"),
        (6, -0.5, Rule.PREEMPTION, "b's revert took 0.5; its duration is 1"),
    ],
)
def test_work_must_take_its_duration(cut: int, shift: float, rule: Rule, message: str) -> None:
    moved = [*PAIR_ROWS[:cut]] + [(t + shift, *rest) for t, *rest in PAIR_ROWS[cut:]]
    assert seen(tampered(moved)) == [(rule, message, [cut - 1, cut])]  # type: ignore[arg-type]


def test_a_trace_with_plain_string_states_is_judged_as_one_with_enum_states() -> None:
    # Event.state is a str: a trace built by hand (or by another engine) need not use the
    # enums. The stop_the_world start checks once compared e.state by identity.
    for strategy in ("smart", "stop_the_world"):
        r = simulate(blueprint(), strategy=strategy)
        assert check(r.compiled, trace("blueprint", rows(r), r), options=r.options) == []


def test_never_resolve_halts_at_the_first_failure_and_the_flow_fails() -> None:
    r = simulate(PAIR, never_resolve=True)
    assert check(r) == []
    assert seen(tampered(rows(r), never_resolve=True)) == []
    reverted = [*rows(r)[:-1], (2, "f", "REVERTED", None, None)]
    assert seen(tampered(reverted, never_resolve=True)) == [
        (Rule.FINAL_STATE, "the flow ends REVERTED; its atoms say FAILURE", [5])
    ]
    more = [*rows(r)[:-1], (2, "a", "REVERTING", 1, 0), (3, "a", "REVERTED", 1, 0)]
    assert seen(tampered([*more, (3, "f", "FAILURE", None, None)], never_resolve=True)) == [
        (Rule.HALT, "a starts after an unresolved failure", [4, 5]),
        (Rule.REVERSE_ORDER, "a reverts before b", [5]),
        (
            Rule.OUT_OF_SCOPE,
            "a is reverted, but no resolution put it in scope since it last executed",
            [5],
        ),
    ]
    # without a failure nothing is unresolved: the flow succeeds
    single = simulate(LinearFlow(name="f", children=[Task(name="a")]), never_resolve=True)
    assert [str(e.state) for e in single.events][-1] == "SUCCESS"
    assert check(single) == []


def test_stop_the_world_violations_are_explained() -> None:
    smart = simulate(blueprint())
    assert seen(
        check(smart.compiled, smart.trace, options=Options(strategy="stop_the_world"))
    ) == [
        (
            Rule.STOP_THE_WORLD,
            "checkpoint starts RETRYING while the flow is RUNNING, not REVERTING",
            [0, 10],
        ),
        (Rule.STOP_THE_WORLD, "B starts REVERTING while executes still run", [4, 8]),
        (Rule.STOP_THE_WORLD, "checkpoint starts RETRYING while executes still run", [4, 10]),
        (
            Rule.STOP_THE_WORLD,
            "B starts REVERTING after B's failure, but the world was not stopped "
            "(the flow never went REVERTING)",
            [7, 8],
        ),
    ]
    stw = simulate(blueprint(), strategy="stop_the_world")
    assert seen(check(stw.compiled, stw.trace, options=Options())) == [
        (
            Rule.TRANSITION,
            "flow RUNNING -> REVERTING is not allowed (under smart the flow is never REVERTING)",
            [0, 8],
        ),
        (Rule.TRANSITION, "flow REVERTING -> RUNNING is not allowed", [8, 16]),
    ]
    early = rows(stw)
    early[16], early[17] = early[17], early[16]  # B runs again before the world resumes
    found = check(stw.compiled, trace("blueprint", early, stw), options=stw.options)
    assert seen(found) == [
        (Rule.STOP_THE_WORLD, "B executes while the world is stopped", [8, 16]),
        (
            Rule.STOP_THE_WORLD,
            "the flow is RUNNING again before B (RUNNING) finished",
            [16, 17],
        ),
    ]


BLUEPRINT = simulate(blueprint())  # B fails once; checkpoint retries it
BP = rows(BLUEPRINT)


def blueprint_check(rows: list[Row], **options: object) -> Seen:
    return seen(check(BLUEPRINT.compiled, trace("blueprint", rows, BLUEPRINT), **options))  # type: ignore[arg-type]


def test_retry_rounds_are_decided_ordered_and_reset_their_scope() -> None:
    assert blueprint_check(BP) == []
    assert blueprint_check([*BP[:11], *BP[12:]]) == [
        (Rule.RESET, "checkpoint's retry round did not reset B", [11]),
        (Rule.TRANSITION, "B REVERTED -> RUNNING is not allowed", [13]),
    ]
    early: list[Row] = [
        *BP[:9],
        (3, "checkpoint", "RETRYING", 1, None),  # before B's revert ended
        (4, "B", "REVERTED", 1, 1),
        (4, "B", "PENDING", 1, None),  # in the round by order, but not at its time
        *BP[12:],
    ]
    assert blueprint_check(early) == [
        (
            Rule.SAME_TIME,
            "checkpoint starts after B at t=3, but comes first "
            "(reverts and retry rounds, then higher priority, then compile order)",
            [8, 9],
        ),
        (Rule.REVERSE_ORDER, "checkpoint starts a retry round before B reverted", [9]),
        (Rule.RESET, "B is reset at t=4, not at its retry round's time t=3", [11]),
    ]
    # A real engine's clock: the same round, by event order, is clean without timing.
    assert blueprint_check(early, timing=False) == [
        (Rule.REVERSE_ORDER, "checkpoint starts a retry round before B reverted", [9]),
    ]
    # ... but a reset after the controller's next RUNNING is outside the round, clock or not.
    late: list[Row] = [*BP[:11], *BP[12:14], BP[11], *BP[14:]]
    assert blueprint_check(late, timing=False) == [
        (Rule.RESET, "checkpoint's retry round did not reset B", [11]),
        (Rule.RESET, "B is reset outside a retry round of a retry controller above it", [13]),
    ]
    again: list[Row] = [
        *BP[:16],
        (6, "checkpoint", "RETRYING", 2, None),  # a second round nobody decided
        (6, "checkpoint", "RUNNING", 3, None),
        (6, "checkpoint", "SUCCESS", 3, None),
        *BP[16:],
    ]
    assert blueprint_check(again) == [
        (Rule.REVERSE_ORDER, "checkpoint starts a retry round before B reverted", [16]),
        (Rule.RESET, "checkpoint starts a retry round it did not decide", [16]),
        (Rule.RESET, "checkpoint's retry round did not reset B", [17]),
        (Rule.RETRY_BOUND, "checkpoint executes 3 times; its retry controllers allow 2", [17]),
    ]
    stray = [*PAIR_ROWS[:7], (3, "b", "PENDING", 1, None), *PAIR_ROWS[7:]]
    assert seen(tampered(stray)) == [
        (Rule.RESET, "b is reset outside a retry round of a retry controller above it", [7])
    ]


def test_a_retry_that_decided_retry_is_not_reverted_nor_is_a_reset_atom() -> None:
    reverted: list[Row] = [
        *BP[:10],
        (4, "checkpoint", "REVERTING", 1, None),
        (4, "checkpoint", "REVERTED", 1, None),
        (7, "C", "SUCCESS", 1, 0),
        (7, "blueprint", "REVERTED", None, None),
    ]
    assert blueprint_check(reverted) == [
        (Rule.RETRY_REVERTED, "checkpoint decided RETRY but is reverted", [10]),
        (
            Rule.FINAL_STATE,
            "with defer_reverts the flow ends REVERTED with A, C not reverted",
            [13],
        ),
    ]
    # the round reset B's intention: reverting its second (successful) run is out of scope
    undone: list[Row] = [
        *BP[:16],
        (6, "B", "REVERTING", 2, 1),
        (7, "C", "SUCCESS", 1, 0),
        (7, "B", "REVERTED", 2, 1),
        (7, "blueprint", "SUCCESS", None, None),
    ]
    assert blueprint_check(undone) == [
        (
            Rule.OUT_OF_SCOPE,
            "B is reverted, but no resolution put it in scope since it last executed",
            [16],
        ),
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [19]),
    ]
    # a second revert of a reverted atom is out of scope too
    twice = [*PAIR_ROWS[:-1], (4, "a", "REVERTING", 1, 0), (5, "a", "REVERTED", 1, 0)]
    assert seen(tampered([*twice, (5, "f", "REVERTED", None, None)])) == [
        (Rule.TRANSITION, "a REVERTED -> REVERTING is not allowed", [9]),
        (
            Rule.OUT_OF_SCOPE,
            "a is reverted, but no resolution put it in scope since it last executed",
            [9],
        ),
    ]


def test_a_retry_controllers_execute_must_do_what_its_policy_does() -> None:
    failed = [*BP[:13], (4, "checkpoint", "FAILURE", 2, None), *BP[14:]]
    after = [
        (
            Rule.RESOLUTION,
            "the failure of checkpoint has no recorded resolution; expected REVERT_ALL "
            "scope ['A', 'B', 'C', 'checkpoint'] chain []",
            [13],
        ),
        (
            Rule.MINIMAL_SET,
            "the REVERT_ALL after checkpoint's failure at 4 must revert "
            "['A', 'C', 'checkpoint']; never reverted: A, C, checkpoint",
            [13],
        ),
        (Rule.PRECEDENCE, "B executes before checkpoint finished", [14]),
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [17]),
    ]
    assert blueprint_check(failed) == [
        (
            Rule.TIMING,
            "retry controller checkpoint's execute failed, but its policy succeeds here",
            [12, 13],
        ),
        *after,
    ]
    assert blueprint_check(failed, timing=False) == after  # a real engine may fail anywhere
    # with no value to try, a for-each controller's execute fails, and the trace must say so
    none_left = LinearFlow(
        name="g", retry=Retry(name="r", controller=ForEach(values=[])), children=[Task(name="t")]
    )
    r = simulate(none_left)
    assert [f"{e.name} {e.state}" for e in r.events][1:3] == ["r RUNNING", "r FAILURE"]
    assert check(r) == []
    ok: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0, "r", "RUNNING", 1, None),
        (0, "r", "SUCCESS", 1, None),
        (0, "t", "RUNNING", 1, 0),
        (1, "t", "SUCCESS", 1, 0),
        (1, "g", "SUCCESS", None, None),
    ]
    assert seen(check(r.compiled, trace("g", ok), timing=False)) == [
        (Rule.TIMING, "retry controller r's execute succeeded, but its policy fails here", [1, 2])
    ]


def test_executions_are_bounded_by_every_retry_controller_once_each() -> None:
    thrice = blueprint(b=Task(name="B", duration=2, fails_on=[1, 2]), attempts=3)
    r = simulate(thrice)  # B and checkpoint run three times each
    assert check(r) == []
    found = check(compile(blueprint(attempts=1)), Trace(r.trace.flow, r.events), timing=False)
    assert seen(found) == [
        (Rule.RESET, "checkpoint starts a retry round it did not decide", [10]),
        (Rule.RETRY_BOUND, "checkpoint executes 2 times; its retry controllers allow 1", [12]),
        (Rule.RETRY_BOUND, "B executes 2 times; its retry controllers allow 1", [14]),
        (
            Rule.MINIMAL_SET,
            "the REVERT_ALL after B's failure at 6 must revert ['A', 'B', 'C', 'checkpoint']; "
            "never reverted: A, C, checkpoint",
            [15],
        ),
        (Rule.RESET, "checkpoint starts a retry round it did not decide", [19]),
    ]


def guarded(controller: object, **task: object) -> LinearFlow:
    return LinearFlow(
        name="g",
        retry=Retry(name="r", controller=controller),  # type: ignore[arg-type]
        children=[Task(name="t", **task)],  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "controller", [AlwaysRevert(), AlwaysRevertAll(), ForEach(values=[1]), ForEach(values=[])]
)
def test_a_controller_without_a_second_attempt_allows_one_execution(controller: object) -> None:
    twice = simulate(guarded(Times(attempts=2), fails_on=[1]))  # r and t run twice
    found = check(compile(guarded(controller)), Trace("g", twice.events), timing=False)
    bounds = [(v.message, [e.seq for e in v.events]) for v in found if v.rule is Rule.RETRY_BOUND]
    assert bounds == [
        ("r executes 2 times; its retry controllers allow 1", [9]),
        ("t executes 2 times; its retry controllers allow 1", [11]),
    ]


@pytest.mark.parametrize("fails", [[1], [1, 2], "always"])
def test_for_each_histories_are_replayed_with_their_values(fails: object) -> None:
    r = simulate(guarded(ForEach(values=["x", "y"]), fails_on=fails))
    assert check(r) == []
    assert len(r.resolutions) == (1 if fails == [1] else 2)


def test_nested_retries_replay_clean_and_each_failure_needs_its_resolution() -> None:
    r = simulate(nested_flow())  # R2 retries T, then R1 retries all, then everything reverts
    assert [res.action for res in r.resolutions] == ["RETRY", "RETRY", "RETRY", "REVERT_ALL"]
    assert check(r) == []
    assert check(r.compiled, Trace(r.trace.flow, r.events)) == []
    assert check(r.compiled, Trace(r.trace.flow, r.events), options=Options(seed=3)) == []
    dropped = Trace(r.trace.flow, r.events, r.resolutions[1:])
    assert seen(check(r.compiled, dropped)) == [
        (
            Rule.RESOLUTION,
            "the failure of T has no recorded resolution; expected RETRY R2 scope "
            "['T', 'Z', 'after'] chain [R2: RETRY]",
            [8],
        )
    ]
    escalated = Trace(r.trace.flow, r.events, (r.resolutions[0], *r.resolutions[2:]))
    assert seen(check(r.compiled, escalated)) == [
        (
            Rule.RESOLUTION,
            "the failure of T has no recorded resolution; expected RETRY R1 scope "
            "['R2', 'S', 'T', 'Z', 'after'] chain [R2: REVERT, R1: RETRY]",
            [16],
        )
    ]


def test_a_recorded_resolution_is_compared_in_full_and_strays_are_reported() -> None:
    r = simulate(PAIR)
    narrow = Trace("f", r.events, (replace(r.resolutions[0], scope=("b",)),))
    assert seen(check(r.compiled, narrow)) == [
        (
            Rule.RESOLUTION,
            "the failure of b was resolved as REVERT_ALL scope ['b'] chain []; "
            "expected REVERT_ALL scope ['a', 'b'] chain []",
            [4],
        )
    ]
    stray = replace(r.resolutions[0], seq=2, failed="a")
    found = check(r.compiled, Trace("f", r.events, (*r.resolutions, stray)))
    assert seen(found) == [
        (
            Rule.RESOLUTION,
            "a resolution is recorded for event #2 (a), which is no resolved failure",
            [],
        )
    ]
    assert str(found[0]) == (
        "resolution: a resolution is recorded for event #2 (a), which is no resolved failure"
    )


def test_violations_are_sorted_by_their_first_event_those_without_last() -> None:
    cut = [*PAIR_ROWS[:6], (3, "b", "REVERTED", 1, 0), (2, "a", "REVERTING", 1, 0)]
    found = tampered(cut)
    assert seen(found) == [
        (Rule.UNFINISHED, "the flow ends RUNNING, not in a final state", [0]),
        (Rule.TIME, "events go back in time (or seq does not increase)", [6, 7]),
        (Rule.UNFINISHED, "a started REVERTING and never ended", [7]),
    ]


def flaky(**task: object) -> LinearFlow:
    return guarded(Times(attempts=4), **task)


@pytest.mark.parametrize(
    "task",
    [
        {"duration": Uniform(low=1, high=3), "revert_duration": Exponential(mean=2.0)},
        {"duration": Uniform(low=1, high=3), "fails_on": [1, 2]},
        {"duration": LogNormal(mu=0.0, sigma=0.5), "fail_probability": 0.5},
        {"revert_duration": Uniform(low=1, high=3), "fail_probability": 0.5},
        {"fails_on": "always", "revert_duration": (1.0, 2.0), "revert_fails_on": [3]},
    ],
)
@pytest.mark.parametrize("seed", range(4))
def test_random_durations_and_failures_are_drawn_as_the_engine_draws_them(
    task: dict[str, object], seed: int
) -> None:
    r = simulate(flaky(**task), seed=seed)
    assert check(r) == []
    assert check(r.compiled, Trace("g", r.events), options=r.options) == []


def test_random_draws_depend_on_the_seed() -> None:
    task = {"duration": Uniform(low=1, high=3), "fail_probability": 0.5}
    runs = [simulate(flaky(**task), seed=seed) for seed in range(4)]
    assert any(len(r.resolutions) > 0 for r in runs)  # some seed fails t
    other = [check(r.compiled, r.trace, options=Options(seed=r.options.seed + 1)) for r in runs]
    assert all(Rule.TIMING in rules(found) for found in other)


def test_an_execute_fails_when_the_draw_is_below_the_fail_probability() -> None:
    draw = atom_random(0, "t").random()  # t's first draw (its duration is fixed)
    at = simulate(LinearFlow(name="g", children=[Task(name="t", fail_probability=draw)]))
    assert [str(e.state) for e in at.events] == ["RUNNING", "RUNNING", "SUCCESS", "SUCCESS"]
    assert check(at) == []
    always = simulate(LinearFlow(name="g", children=[Task(name="t", fail_probability=1.0)]))
    assert check(always) == []
    never = compile(LinearFlow(name="g", children=[Task(name="t")]))
    assert seen(check(never, always.trace)) == [
        (Rule.TIMING, "t's execute failed; the scenario says it succeeds", [1, 2])
    ]


def test_a_duration_is_met_up_to_float_noise() -> None:
    flow = LinearFlow(name="g", children=[Task(name="t", duration=0.0)])
    end = 0.1 + 0.2  # 0.30000000000000004
    noisy: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0.3, "t", "RUNNING", 1, 0),
        (end, "t", "SUCCESS", 1, 0),  # it took 5.6e-17
        (end, "g", "SUCCESS", None, None),
    ]
    assert check(compile(flow), trace("g", noisy)) == []
    late = [*noisy[:2], (0.3 + 1e-6, "t", "SUCCESS", 1, 0), (0.4, "g", "SUCCESS", None, None)]
    assert seen(check(compile(flow), trace("g", late))) == [
        (Rule.TIMING, "t's execute took 1e-06; its duration is 0", [1, 2])
    ]


def test_a_violation_prints_its_rule_explanation_and_events() -> None:
    crowd: list[Row] = [
        (0, "u", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, None),
        (0, "b", "RUNNING", 1, None),
        (0.5, "c", "RUNNING", 1, None),
        (1, "a", "SUCCESS", 1, None),
        (1, "b", "SUCCESS", 1, None),
        (1.5, "c", "SUCCESS", 1, None),
        (1.5, "u", "SUCCESS", None, None),
    ]
    assert [str(v) for v in trio(crowd, workers=2)] == [
        "capacity: c starts while 2 tasks are at work on 2 worker(s) [events #1@0, #2@0, #3@0.5]"
    ]


def test_check_explains_bad_input() -> None:
    with pytest.raises(TypeError, match=r"^check\(\) takes a result, a scenario or a compiled "):
        check("f")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match=r"^check\(\): give the trace to check \(only a result carries its own\)$",
    ):
        check(compile(PAIR))
    with pytest.raises(ScenarioError) as other:
        check(compile(PAIR), trace("g", []))
    assert (other.value.where, other.value.path, other.value.reason) == (
        "trace",
        "",
        "the trace is of flow 'g', not 'f'",
    )
    with pytest.raises(ScenarioError) as unknown:
        check(
            compile(PAIR), trace("f", [(0, "f", "RUNNING", None, None), (0, "x", "RUNNING", 1, 0)])
        )
    assert (unknown.value.where, unknown.value.path, unknown.value.reason) == (
        "trace",
        "$.events[1].name",
        "flow 'f' has no atom 'x'",
    )


@dataclass(frozen=True)
class Culprit:
    """RETRY (twice at most) when the latest failure of the attempt is ``t``'s, else REVERT:
    a controller that reads the failures its history records."""

    def execute(self, history: tuple[HistoryEntry, ...]) -> int:
        return len(history) + 1

    def on_failure(self, history: tuple[HistoryEntry, ...]) -> Decision:
        last = history[-1].failures[-1:] if history else ()
        return Decision.RETRY if len(history) < 3 and last == ("t",) else Decision.REVERT


def culprit(t: float, u: float) -> LinearFlow:
    """t and u fail in parallel under r; the one with the shorter duration fails first."""
    both = [Task(name="t", duration=t, fails_on=[1]), Task(name="u", duration=u, fails_on=[1])]
    return LinearFlow(
        name="g",
        retry=Retry(name="r", controller=Culprit()),
        children=[UnorderedFlow(name="p", children=both)],
    )


def test_a_controller_is_asked_with_the_failures_of_its_attempt() -> None:
    t_first = simulate(culprit(1, 3))
    u_first = simulate(culprit(3, 1))
    chains = [
        [(x.failed, x.chain[0][1], x.action) for x in r.resolutions] for r in (t_first, u_first)
    ]
    assert chains == [
        [("t", "RETRY", "RETRY"), ("u", "REVERT", "REVERT_ALL")],
        [("u", "REVERT", "REVERT_ALL"), ("t", "RETRY", "RETRY")],
    ]
    assert check(t_first) == []
    assert check(u_first) == []
    # t's RETRY came after u's REVERT of the same scope: it does not start a round
    rows_ = rows(u_first)
    rows_[11:] = [
        (4, "r", "RETRYING", 1, None),
        (4, "t", "PENDING", 1, None),
        (4, "u", "PENDING", 1, None),
        (4, "r", "RUNNING", 2, None),
        (4, "r", "SUCCESS", 2, None),
        (4, "t", "RUNNING", 2, 0),
        (4, "u", "RUNNING", 2, 1),
        (7, "t", "SUCCESS", 2, 0),
        (7, "u", "SUCCESS", 2, 1),
        (7, "g", "SUCCESS", None, None),
    ]
    assert seen(check(u_first.compiled, trace("g", rows_, u_first), timing=False)) == [
        (
            Rule.MINIMAL_SET,
            "the REVERT_ALL after u's failure at 1 must revert ['r', 't', 'u']; never reverted: r",
            [5],
        ),
        (Rule.RESET, "r starts a retry round it did not decide", [11]),
    ]


def test_a_failure_before_its_controller_ran_is_judged_with_an_empty_history() -> None:
    early: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0, "t", "RUNNING", 1, 0),
        (1, "t", "FAILURE", 1, 0),
        (1, "t", "REVERTING", 1, 0),
        (2, "t", "REVERTED", 1, 0),
        (2, "g", "REVERTED", None, None),
    ]
    found = check(compile(guarded(Culprit(), fails_on=[1])), trace("g", early))
    assert seen(found) == [(Rule.PRECEDENCE, "t executes before r finished", [1])]


def test_a_controller_reset_after_it_was_ignored_is_asked_again() -> None:
    # r is IGNORE in o's first round (no decider says so: flagged), reset by o's round, and
    # then, PENDING, passed by t, which runs before it (flagged) and fails: r is asked
    # again, as a controller that is not IGNORE (the replay forgets that it was ignored)
    inner = LinearFlow(
        name="s",
        retry=Retry(name="r", controller=AlwaysRevert()),
        children=[Task(name="t", fails_on=[1, 2])],
    )
    nested = LinearFlow(
        name="h", retry=Retry(name="o", controller=Times(attempts=3)), children=[inner]
    )
    reset: list[Row] = [
        (0, "h", "RUNNING", None, None),
        (0, "o", "RUNNING", 1, None),
        (0, "o", "SUCCESS", 1, None),
        (0, "r", "IGNORE", 0, None),
        (0, "t", "RUNNING", 1, 0),
        (1, "t", "FAILURE", 1, 0),
        (1, "t", "REVERTING", 1, 0),
        (2, "t", "REVERTED", 1, 0),
        (2, "o", "RETRYING", 1, None),
        (2, "r", "PENDING", 0, None),
        (2, "t", "PENDING", 1, None),
        (2, "o", "RUNNING", 2, None),
        (2, "o", "SUCCESS", 2, None),
        (2, "t", "RUNNING", 2, 0),
        (3, "t", "FAILURE", 2, 0),
        (3, "t", "REVERTING", 2, 0),
        (4, "t", "REVERTED", 2, 0),
        (4, "o", "RETRYING", 2, None),
    ]
    assert seen(check(compile(nested), trace("h", reset), timing=False)) == [
        (Rule.UNFINISHED, "the flow ends RUNNING, not in a final state", [0]),
        (Rule.DECIDER, "r is ignored, but no decider says no to it", [3]),
        (Rule.PRECEDENCE, "t executes before r finished", [13]),
    ]


def test_an_ignored_retry_controller_is_not_asked() -> None:
    # the trace sets the outermost controller (the first atom) to IGNORE, as a decider would
    flat = guarded(Times(attempts=2), fails_on=[1])
    only: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0, "r", "IGNORE", 0, None),
        (0, "t", "RUNNING", 1, 0),
        (1, "t", "FAILURE", 1, 0),
        (1, "t", "REVERTING", 1, 0),
        (2, "t", "REVERTED", 1, 0),
        (2, "g", "REVERTED", None, None),
    ]
    revert_all = Resolution(1, 3, "t", (), Decision.REVERT_ALL, None, ("r", "t"))
    # (no decider here says no to r: the decider rule says so, and nothing else is wrong)
    assert seen(check(compile(flat), Trace("g", trace("g", only).events, (revert_all,)))) == [
        (Rule.DECIDER, "r is ignored, but no decider says no to it", [1])
    ]
    inner = LinearFlow(
        name="s",
        retry=Retry(name="r", controller=AlwaysRevert()),
        children=[Task(name="t", fails_on=[1])],
    )
    nested = LinearFlow(
        name="h", retry=Retry(name="o", controller=Times(attempts=2)), children=[inner]
    )
    above: list[Row] = [
        (0, "h", "RUNNING", None, None),
        (0, "o", "IGNORE", 0, None),
        (0, "r", "RUNNING", 1, None),
        (0, "r", "SUCCESS", 1, None),
        (0, "t", "RUNNING", 1, 0),
        (1, "t", "FAILURE", 1, 0),
        (1, "t", "REVERTING", 1, 0),
        (2, "t", "REVERTED", 1, 0),
        (2, "r", "REVERTING", 1, None),
        (2, "r", "REVERTED", 1, None),
        (2, "h", "REVERTED", None, None),
    ]
    chain = (("r", Decision.REVERT),)
    up = Resolution(1, 5, "t", chain, Decision.REVERT_ALL, None, ("o", "r", "t"))
    assert seen(check(compile(nested), Trace("h", trace("h", above).events, (up,)))) == [
        (Rule.DECIDER, "o is ignored, but no decider says no to it", [1])
    ]
    # a decider that ignores a retried subflow's controller: its parent is asked instead
    sub = LinearFlow(
        name="sub",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="t", fails_on=[1])],
    )
    skip = Link(source="s", target="sub", decider=False, depth=Depth.ATOM)
    graph = GraphFlow(
        name="top",
        retry=Retry(name="O", controller=Times(attempts=2)),
        children=[sub, Task(name="s")],
        links=[skip],
    )
    r = simulate(graph)
    assert [(x.chain, x.action, x.retry) for x in r.resolutions] == [
        ((("O", "RETRY"),), "RETRY", "O")
    ]
    assert check(r) == []


def test_a_retry_round_is_its_controllers_own_and_ends_when_it_runs_again() -> None:
    n = simulate(nested_flow())
    # R1's RETRY covers R2's scope, yet R2 may not start a round of its own
    early = rows(n)
    early.insert(23, (6, "R2", "RETRYING", 2, None))
    assert seen(check(n.compiled, trace("root", early))) == [
        (Rule.TRANSITION, "R2 REVERTED -> RETRYING is not allowed", [23]),
        (Rule.RESET, "R2 starts a retry round it did not decide", [23]),
        (
            Rule.SAME_TIME,
            "R1 starts after R2 at t=6, but comes first "
            "(reverts and retry rounds, then higher priority, then compile order)",
            [23, 24],
        ),
        (Rule.REVERSE_ORDER, "R1 starts a retry round before R2 reverted", [24]),
        (Rule.TRANSITION, "R2 RETRYING -> PENDING is not allowed", [26]),
    ]
    # B runs again inside checkpoint's round, before checkpoint itself
    inside = [*BP[:11], (4, "B", "RUNNING", 2, 1), *BP[12:14], (6, "B", "SUCCESS", 2, 1), *BP[16:]]
    assert blueprint_check(inside, timing=False) == [
        (Rule.TRANSITION, "B REVERTED -> RUNNING is not allowed", [11]),
        (Rule.PRECEDENCE, "B executes before checkpoint finished", [11]),
        (Rule.RESET, "checkpoint's retry round did not reset B", [12]),
    ]


TRIPLE = LinearFlow(name="l", children=[Task(name="a"), Task(name="b"), Task(name="c")])


def test_explanations_name_every_atom_in_the_way() -> None:
    jump: list[Row] = [
        (0, "l", "RUNNING", None, None),
        (0, "c", "RUNNING", 1, 0),
        (1, "c", "SUCCESS", 1, 0),
        (1, "a", "RUNNING", 1, 0),
        (2, "a", "SUCCESS", 1, 0),
        (2, "b", "RUNNING", 1, 0),
        (3, "b", "SUCCESS", 1, 0),
        (3, "l", "SUCCESS", None, None),
    ]
    assert seen(check(compile(TRIPLE), trace("l", jump))) == [
        (Rule.PRECEDENCE, "c executes before a, b finished", [1])
    ]
    back = [*rows(simulate(TRIPLE))[:-1], (3, "a", "REVERTING", 1, 0), (4, "a", "REVERTED", 1, 0)]
    assert seen(check(compile(TRIPLE), trace("l", [*back, (4, "l", "REVERTED", None, None)]))) == [
        (Rule.REVERSE_ORDER, "a reverts before b, c", [7]),
        (
            Rule.OUT_OF_SCOPE,
            "a is reverted, but no resolution put it in scope since it last executed",
            [7],
        ),
        (
            Rule.FINAL_STATE,
            "with defer_reverts the flow ends REVERTED with b, c not reverted",
            [9],
        ),
    ]
    # r rushes a round while t has failed and u still runs
    u = simulate(culprit(1, 3))
    rush = [
        *rows(u)[:6],
        (1, "r", "RETRYING", 1, None),
        (1, "r", "RUNNING", 2, None),
        (1, "r", "SUCCESS", 2, None),
    ]
    assert seen(check(u.compiled, trace("g", rush))) == [
        (Rule.UNFINISHED, "the flow ends RUNNING, not in a final state", [0]),
        (Rule.UNFINISHED, "u started RUNNING and never ended", [4]),
        (
            Rule.MINIMAL_SET,
            "the RETRY after t's failure at 1 must revert ['t', 'u']; never reverted: t, u",
            [5],
        ),
        (Rule.REVERSE_ORDER, "r starts a retry round before t, u reverted", [6]),
        (Rule.RESET, "r's retry round did not reset t, u", [7]),
    ]


def test_a_trace_is_judged_under_its_own_options_else_the_taskflow_preset() -> None:
    from flowsim.checks import TASKFLOW, options_for

    ran = simulate(nested_flow(), defer_reverts=False, workers=2)
    assert ran.trace is not None
    own = ran.trace
    bare = replace(own, options=None)  # a trace file written before traces had options
    recorded = replace(own, options=None, engine="taskflow")
    c = ran.compiled
    assert options_for(c, own) == (ran.options, "the trace's own (recorded by flowsim)")
    assert options_for(c, recorded) == (
        TASKFLOW,
        "the TaskFlow preset (the trace is from taskflow and carries no options)",
    )
    assert options_for(c, bare) == (Options(), "the defaults (the trace carries none)")
    given = Options(workers=1)
    assert options_for(c, own, given) == (given, "given")
    assert options_for(ran, bare) == (ran.options, "the result's")
    scenario = Scenario(flow=nested_flow(), options=ran.options)
    assert options_for(scenario, bare) == (
        ran.options,
        "the scenario's (the trace carries none)",
    )
    # check() itself judges a bare trace under the scenario's options: clean, where the
    # defaults (below) find it wrong
    assert check(scenario, bare) == []
    assert check(c, own) == [] and check(c, recorded) == []
    # judged under flowsim's default defer_reverts=True, the same events are wrong:
    assert seen(check(c, bare)) == [
        (
            Rule.RESOLUTION,
            "the failure of T was resolved as REVERT R2 scope ['R2', 'T', 'Z', 'after'] "
            "chain [R2: REVERT, R1: REVERT]; expected REVERT_ALL scope "
            "['R1', 'R2', 'S', 'T', 'Z', 'after'] chain [R2: REVERT, R1: REVERT]",
            [42],
        ),
        (
            Rule.MINIMAL_SET,
            "the REVERT_ALL after T's failure at 10 must revert ['R1', 'R2', 'S', 'T']; "
            "never reverted: R1, S",
            [42],
        ),
        (
            Rule.FINAL_STATE,
            "with defer_reverts the flow ends REVERTED with R1, S not reverted",
            [47],
        ),
    ]


def test_timing_rules_default_off_for_another_engines_trace() -> None:
    ran = simulate(blueprint())
    assert ran.trace is not None
    slow = [e._replace(time=e.time * 2) for e in ran.trace.events]  # every work twice as long
    flowsim_clock = replace(ran.trace, events=tuple(slow))
    assert Rule.TIMING in rules(check(ran.compiled, flowsim_clock))
    assert check(ran.compiled, replace(flowsim_clock, engine="taskflow")) == []
    assert check(ran.compiled, replace(flowsim_clock, engine="taskflow"), timing=True) != []


@pytest.mark.parametrize("wrong", ["trace.json", {"events": []}, 3])
def test_check_names_a_trace_of_the_wrong_kind(wrong: object) -> None:
    ran = simulate(blueprint())
    with pytest.raises(TypeError) as e:
        check(ran, wrong)  # type: ignore[arg-type]
    assert str(e.value) == (
        "check(): trace must be a flowsim Trace (flowsim.load_trace reads a file), got "
        f"{type(wrong).__name__}"
    )
