"""The checker's rules on deciders, attempts, same-time order, workers and stop_the_world:
the engine's own traces are clean (with revert failures and never_resolve too), and each
tampered trace is explained exactly."""

from __future__ import annotations

import pytest
from test_checks import Row, Seen, rows, seen, trace

from flowsim import (
    AtomState,
    GraphFlow,
    LinearFlow,
    Link,
    Options,
    Retry,
    Task,
    Times,
    UnorderedFlow,
    simulate,
)
from flowsim.checks import Rule, check

# a, then b behind a decider that says no (depth atom); c after a, unaffected
DECIDED = GraphFlow(
    name="g",
    children=[Task(name="a"), Task(name="b"), Task(name="c")],
    links=[
        Link(source="a", target="b", decider=False, depth="atom"),
        Link(source="a", target="c"),
    ],
)


def test_decided_runs_are_clean_after_a_revert_failure_and_with_never_resolve() -> None:
    r = simulate(DECIDED)
    assert rows(r) == [
        (0, "g", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "b", "IGNORE", 0, None),
        (1, "c", "RUNNING", 1, 0),
        (2, "c", "SUCCESS", 1, 0),
        (2, "g", "SUCCESS", None, None),
    ]
    assert check(r) == []
    # a checkpointed task fails and its revert fails: b is still ignored when a is done
    retried = LinearFlow(
        name="s",
        retry=Retry(name="r", controller=Times(attempts=2)),
        children=[Task(name="x", fails_on=[1], revert_fails_on=[1])],
    )
    halted = GraphFlow(
        name="g",
        children=[Task(name="a", duration=2.0), Task(name="b"), retried],
        links=[Link(source="a", target="b", decider=False, depth="atom")],
    )
    r = simulate(halted)
    assert [(e.time, e.name, str(e.state)) for e in r.events if e.name in ("a", "b")] == [
        (0, "a", "RUNNING"),
        (2, "a", "SUCCESS"),
        (2, "b", "IGNORE"),
    ]
    assert check(r) == []
    assert check(simulate(halted, never_resolve=True)) == []


def tampered(changed: list[Row]) -> list[tuple[Rule, str, list[int]]]:
    return seen(check(simulate(DECIDED).compiled, trace("g", changed)))


def test_an_atom_a_decider_says_no_to_must_not_execute() -> None:
    ran = [
        (0, "g", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "b", "RUNNING", 1, 0),
        (1, "c", "RUNNING", 1, 1),
        (2, "b", "SUCCESS", 1, 0),
        (2, "c", "SUCCESS", 1, 1),
        (2, "g", "SUCCESS", None, None),
    ]
    assert tampered(ran) == [
        (
            Rule.DECIDER,
            "b executes, but a decider on a link into it says no: it must be IGNORE",
            [3],
        )
    ]


def test_an_ignore_nothing_decided_and_an_ignore_left_late() -> None:
    unexplained = [
        (0, "g", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (0, "c", "IGNORE", 0, None),  # c's only link says yes
        (1, "a", "SUCCESS", 1, 0),
        (1, "b", "IGNORE", 0, None),
        (1, "g", "SUCCESS", None, None),
    ]
    assert tampered(unexplained) == [
        (Rule.DECIDER, "c is ignored, but no decider says no to it", [2])
    ]
    late = [
        (0, "g", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "c", "RUNNING", 1, 0),  # b is ready and decided: it is ignored first
        (2, "c", "SUCCESS", 1, 0),
        (2, "b", "IGNORE", 0, None),
        (2, "g", "SUCCESS", None, None),
    ]
    assert tampered(late) == [
        (
            Rule.DECIDER,
            "b is ready to execute and a decider on a link into it says no, but it is still "
            "PENDING when c starts",
            [3],
        )
    ]
    never = [*late[:5], late[6]]
    assert tampered(never) == [
        (
            Rule.DECIDER,
            "b is ready to execute and a decider on a link into it says no, but it is still "
            "PENDING when c starts",
            [3],
        ),
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [5]),
    ]


def test_a_wider_depth_ignores_its_whole_reach_before_anything_else_starts() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), Task(name="d"), Task(name="c")],
        links=[
            Link(source="a", target="b", decider=False, depth="neighbors"),
            Link(source="b", target="d"),
            Link(source="a", target="c"),
        ],
    )
    r = simulate(flow)
    assert [(e.name, str(e.state)) for e in r.events][3:6] == [
        ("b", "IGNORE"),
        ("d", "IGNORE"),
        ("c", "RUNNING"),
    ]
    assert check(r) == []
    moved = rows(r)
    moved[4], moved[5] = moved[5], moved[4]  # d's IGNORE after c starts
    assert seen(check(r.compiled, trace("g", moved))) == [
        (
            Rule.DECIDER,
            "the decider that ignored b also ignores d, which is still PENDING when c starts",
            [3, 4],
        )
    ]


def test_an_events_attempt_is_its_executes_so_far() -> None:
    r = simulate(LinearFlow(name="f", children=[Task(name="a")]))
    wrong = rows(r)
    wrong[2] = (1, "a", "SUCCESS", 2, 0)
    assert seen(check(r.compiled, trace("f", wrong))) == [
        (Rule.ATTEMPT, "a's event says attempt 2; it has executed 1 time(s)", [2])
    ]


PRIORITIES = UnorderedFlow(
    name="u", children=[Task(name="a"), Task(name="b", priority=1), Task(name="c")]
)


def test_same_time_starts_and_completions_follow_the_same_time_rule() -> None:
    r = simulate(PRIORITIES, workers=2)
    assert rows(r) == [
        (0, "u", "RUNNING", None, None),
        (0, "b", "RUNNING", 1, 0),  # higher priority first
        (0, "a", "RUNNING", 1, 1),
        (1, "b", "SUCCESS", 1, 0),  # completions in start order
        (1, "a", "SUCCESS", 1, 1),
        (1, "c", "RUNNING", 1, 0),
        (2, "c", "SUCCESS", 1, 0),
        (2, "u", "SUCCESS", None, None),
    ]
    assert check(r) == []
    started = rows(r)
    started[1], started[2] = (0, "a", "RUNNING", 1, 0), (0, "b", "RUNNING", 1, 1)
    started[3], started[4] = (1, "a", "SUCCESS", 1, 0), (1, "b", "SUCCESS", 1, 1)
    assert seen(check(r.compiled, trace("u", started), options=r.options)) == [
        (
            Rule.SAME_TIME,
            "b starts after a at t=0, but comes first "
            "(reverts and retry rounds, then higher priority, then compile order)",
            [1, 2],
        )
    ]
    ended = rows(r)
    ended[3], ended[4] = ended[4], ended[3]
    assert seen(check(r.compiled, trace("u", ended), options=r.options)) == [
        (Rule.SAME_TIME, "b's completion comes after a's at t=1, but b started first", [3, 4])
    ]
    # a real engine's clock and worker numbers are its own: by event order both are fine
    assert check(r.compiled, trace("u", started), options=r.options, timing=False) == []
    assert check(r.compiled, trace("u", ended), options=r.options, timing=False) == []


CHECKPOINTED = LinearFlow(
    name="f",
    children=[
        UnorderedFlow(
            name="s",
            retry=Retry(name="r", controller=Times(attempts=2)),
            children=[Task(name="a", fails_on=[1]), Task(name="b", duration=3.0)],
        )
    ],
)


def test_stop_the_world_stays_stopped_until_the_retry_round_has_finished() -> None:
    r = simulate(CHECKPOINTED, strategy="stop_the_world")
    assert [(e.time, e.name, str(e.state)) for e in r.events] == [
        (0, "f", "RUNNING"),
        (0, "r", "RUNNING"),
        (0, "r", "SUCCESS"),
        (0, "a", "RUNNING"),
        (0, "b", "RUNNING"),
        (1, "a", "FAILURE"),
        (1, "f", "REVERTING"),
        (3, "b", "SUCCESS"),
        (3, "a", "REVERTING"),
        (3, "b", "REVERTING"),
        (4, "a", "REVERTED"),
        (4, "b", "REVERTED"),
        (4, "r", "RETRYING"),
        (4, "a", "PENDING"),
        (4, "b", "PENDING"),
        (4, "r", "RUNNING"),
        (4, "r", "SUCCESS"),
        (4, "f", "RUNNING"),
        (4, "a", "RUNNING"),
        (4, "b", "RUNNING"),
        (5, "a", "SUCCESS"),
        (7, "b", "SUCCESS"),
        (7, "f", "SUCCESS"),
    ]
    assert check(r) == []
    early = rows(r)
    early.insert(15, early.pop(17))  # RUNNING again before the controller's execute
    assert seen(check(r.compiled, trace("f", early), options=r.options)) == [
        (
            Rule.STOP_THE_WORLD,
            "the flow is RUNNING again before r's retry round finished",
            [15],
        )
    ]
    late = rows(r)
    late.insert(7, late.pop(6))  # the world stops only when b is done
    late = [
        (3, n, s, a, w) if n == "f" and s == "REVERTING" else (t, n, s, a, w)
        for t, n, s, a, w in late
    ]
    assert seen(check(r.compiled, trace("f", late), options=r.options)) == [
        (
            Rule.STOP_THE_WORLD,
            "the world stops at t=3, not when a failed (t=1)",
            [5, 7],
        )
    ]
    # the flow never reports REVERTING (nor RUNNING again): the world never stopped
    never = [row for row in rows(r) if row[1] != "f" or (row[2] != "REVERTING" and row[0] != 4)]
    assert seen(check(r.compiled, trace("f", never), options=r.options)) == [
        (
            Rule.STOP_THE_WORLD,
            "b starts REVERTING while the flow is RUNNING, not REVERTING",
            [0, 8],
        ),
        (
            Rule.STOP_THE_WORLD,
            "r starts RETRYING while the flow is RUNNING, not REVERTING",
            [0, 11],
        ),
        (
            Rule.STOP_THE_WORLD,
            "a starts REVERTING after a's failure, but the world was not stopped "
            "(the flow never went REVERTING)",
            [5, 7],
        ),
    ]


# --------------------------------------------------------------------------- each part of the
# decider, worker and stop_the_world rules, one trace each (found missing by make mutate)


def explained(flow: GraphFlow | LinearFlow, changed: list[Row], **options: object) -> Seen:
    c = simulate(flow).compiled
    return seen(check(c, trace(flow.name, changed), options=Options(**options)))  # type: ignore[arg-type]


def test_the_widest_depth_among_the_voting_deciders_wins() -> None:
    # "all" from a and "atom" from b: d, after c, is ignored too
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), Task(name="c"), Task(name="d")],
        links=[
            Link(source="a", target="c", decider=False, depth="all"),
            Link(source="b", target="c", decider=False, depth="atom"),
            Link(source="c", target="d"),
        ],
    )
    r = simulate(flow)
    assert rows(r)[5:7] == [(1, "c", "IGNORE", 0, None), (1, "d", "IGNORE", 0, None)]
    assert check(r) == []


def test_a_flow_depth_decider_ignores_the_tasks_its_links_reach() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), Task(name="c"), Task(name="d")],
        links=[
            Link(source="a", target="b", decider=False, depth="flow"),
            Link(source="b", target="c"),
            Link(source="c", target="d"),
        ],
    )
    r = simulate(flow)
    assert [(e.name, str(e.state)) for e in r.events][3:6] == [
        ("b", "IGNORE"),
        ("c", "IGNORE"),
        ("d", "IGNORE"),
    ]
    assert check(r) == []


SOURCE_IGNORED = GraphFlow(
    name="g",
    children=[Task(name="z"), Task(name="a"), Task(name="b")],
    links=[
        Link(source="z", target="a", decider=False, depth="atom"),
        Link(source="a", target="b", decider=False, depth="atom"),
    ],
)


def test_a_decider_whose_source_is_ignored_does_not_vote() -> None:
    r = simulate(SOURCE_IGNORED)  # a is ignored, so its decider on a -> b says nothing
    assert [(e.name, str(e.state)) for e in r.events][3:5] == [("a", "IGNORE"), ("b", "RUNNING")]
    assert check(r) == []
    # z (atom 0) ignored by no decider: its own decider on z -> a is silent too
    silent: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0, "z", "IGNORE", 0, None),
        (0, "a", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "b", "IGNORE", 0, None),
        (1, "g", "SUCCESS", None, None),
    ]
    assert explained(SOURCE_IGNORED, silent) == [
        (Rule.DECIDER, "z is ignored, but no decider says no to it", [1])
    ]


def test_an_ignore_before_the_atom_is_ready() -> None:
    early: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0, "b", "IGNORE", 0, None),
        (0, "a", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "c", "RUNNING", 1, 0),
        (2, "c", "SUCCESS", 1, 0),
        (2, "g", "SUCCESS", None, None),
    ]
    assert explained(DECIDED, early) == [
        (Rule.DECIDER, "b is ignored, but it is not ready to execute", [1])
    ]


NEIGHBORS = GraphFlow(
    name="g",
    children=[Task(name="a"), Task(name="b"), Task(name="d"), Task(name="c"), Task(name="e")],
    links=[
        Link(source="a", target="b", decider=False, depth="neighbors"),
        Link(source="b", target="d"),
        Link(source="a", target="c"),
        Link(source="a", target="e"),
    ],
)


def test_an_atom_in_a_decided_reach_must_not_execute_nor_stay_pending() -> None:
    r = simulate(NEIGHBORS)
    assert rows(r)[3:5] == [(1, "b", "IGNORE", 0, None), (1, "d", "IGNORE", 0, None)]
    assert check(r) == []
    ran = [
        *rows(r)[:4],
        (1, "d", "RUNNING", 1, 0),
        (1, "c", "RUNNING", 1, 1),
        (1, "e", "RUNNING", 1, 2),
        (2, "d", "SUCCESS", 1, 0),
        (2, "c", "SUCCESS", 1, 1),
        (2, "e", "SUCCESS", 1, 2),
        (2, "g", "SUCCESS", None, None),
    ]
    assert explained(NEIGHBORS, ran) == [
        (Rule.DECIDER, "d executes, but the decider that ignored b ignores it too", [3, 4])
    ]
    kept = [row for row in rows(r) if row[1] != "d"]  # flagged once, though c and e start
    assert explained(NEIGHBORS, kept) == [
        (
            Rule.DECIDER,
            "the decider that ignored b also ignores d, which is still PENDING when c starts",
            [3, 4],
        ),
        (Rule.UNFINISHED, "d was ready to execute (every predecessor done) and never ran", [8]),
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [8]),
    ]


def test_every_decided_atom_left_pending_at_the_end_is_named() -> None:
    two = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), Task(name="c")],
        links=[
            Link(source="a", target="b", decider=False),
            Link(source="a", target="c", decider=False),
        ],
    )
    stopped: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "g", "SUCCESS", None, None),
    ]
    end = (
        "is ready to execute and a decider on a link into it says no, "
        "but it is still PENDING at the end"
    )
    ran_b: list[Row] = [*stopped[:3], (1, "b", "RUNNING", 1, 0), (2, "b", "SUCCESS", 1, 0)]
    assert explained(two, [*ran_b, (2, "g", "SUCCESS", None, None)]) == [
        (Rule.DECIDER, f"c {end.replace('at the end', 'when b starts')}", [3]),
        (
            Rule.DECIDER,
            "b executes, but a decider on a link into it says no: it must be IGNORE",
            [3],
        ),
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [5]),
    ]
    assert explained(two, stopped) == [
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [3]),
        (Rule.DECIDER, f"b {end}", []),
        (Rule.DECIDER, f"c {end}", []),
    ]


def test_a_task_takes_worker_0_when_all_are_free() -> None:
    one = LinearFlow(name="f", children=[Task(name="a")])
    on_1: list[Row] = [
        (0, "f", "RUNNING", None, None),
        (0, "a", "RUNNING", 1, 1),
        (1, "a", "SUCCESS", 1, 1),
        (1, "f", "SUCCESS", None, None),
    ]
    assert explained(one, on_1) == [
        (Rule.WORKER, "a starts on worker 1; the lowest free worker is 0", [1])
    ]


def test_stop_the_world_reverting_for_nothing_never_stopping_and_resuming_early() -> None:
    s = simulate(CHECKPOINTED, strategy="stop_the_world")
    at = rows(s)
    nothing: list[Row] = [
        (0, "f", "RUNNING", None, None),
        (0, "f", "REVERTING", None, None),
        (0, "f", "REVERTED", None, None),
    ]
    stw = {"strategy": "stop_the_world"}
    assert explained(CHECKPOINTED, nothing, **stw) == [
        (Rule.STOP_THE_WORLD, "the flow is REVERTING, but nothing failed", [1]),
        (Rule.UNFINISHED, "r was ready to execute (every predecessor done) and never ran", [2]),
    ]
    assert explained(CHECKPOINTED, at[:6], **stw) == [
        (Rule.UNFINISHED, "the flow ends RUNNING, not in a final state", [0]),
        (Rule.UNFINISHED, "b started RUNNING and never ended", [4]),
        (Rule.STOP_THE_WORLD, "a failed, but the world never stopped", [5]),
        (
            Rule.MINIMAL_SET,
            "the RETRY after a's failure at 1 must revert ['a', 'b']; never reverted: a, b",
            [5],
        ),
    ]
    resumed = [*at[:10], at[17], *at[10:17], *at[18:]]  # RUNNING while a and b revert
    assert explained(CHECKPOINTED, resumed, **stw) == [
        (
            Rule.STOP_THE_WORLD,
            "the flow is RUNNING again before a (REVERTING), b (REVERTING) finished",
            [8, 9, 10],
        ),
        (
            Rule.STOP_THE_WORLD,
            "r starts RETRYING while the flow is RUNNING, not REVERTING",
            [10, 13],
        ),
    ]
    ended = [*at[:10], (3, "f", "REVERTED", None, None)]  # the flow ends, not resumes
    assert explained(CHECKPOINTED, ended, **stw) == [
        (Rule.UNFINISHED, "a started REVERTING and never ended", [8]),
        (Rule.UNFINISHED, "b started REVERTING and never ended", [9]),
        (Rule.FINAL_STATE, "with defer_reverts the flow ends REVERTED with r not reverted", [10]),
    ]


def test_a_revert_starts_before_an_execute_of_an_earlier_atom_at_the_same_time() -> None:
    flow = UnorderedFlow(
        name="u",
        children=[
            LinearFlow(name="l1", children=[Task(name="a1"), Task(name="a2")]),
            LinearFlow(
                name="l2",
                retry=Retry(name="r", controller=Times(attempts=2)),
                children=[Task(name="x", fails_on=[1])],
            ),
        ],
    )
    r = simulate(flow)
    assert r.compiled.names == ("a1", "a2", "r", "x")
    assert rows(r)[7:9] == [(1, "x", "REVERTING", 1, 0), (1, "a2", "RUNNING", 1, 1)]
    assert check(r) == []


def test_a_revert_that_always_fails_is_the_scenarios() -> None:
    r = simulate(
        LinearFlow(name="f", children=[Task(name="a", fails_on=[1], revert_fails_on="always")])
    )
    assert [str(e.state) for e in r.events][-2:] == ["REVERT_FAILURE", "FAILURE"]
    assert check(r) == []


def test_a_decided_atom_left_when_its_decider_is_silent_is_stranded() -> None:
    stranded: list[Row] = [
        (0, "g", "RUNNING", None, None),
        (0, "z", "RUNNING", 1, 0),
        (1, "z", "SUCCESS", 1, 0),
        (1, "a", "IGNORE", 0, None),  # so a's decider on a -> b is silent: b must run
        (1, "g", "SUCCESS", None, None),
    ]
    assert explained(SOURCE_IGNORED, stranded) == [
        (Rule.UNFINISHED, "b was ready to execute (every predecessor done) and never ran", [4]),
        (Rule.FINAL_STATE, "the flow ends SUCCESS; its atoms say REVERTED", [4]),
    ]


def test_a_decided_atom_is_ignored_before_time_moves_on() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), Task(name="x", duration=3.0)],
        links=[Link(source="a", target="b", decider=False, depth="atom")],
    )
    r = simulate(flow)
    assert rows(r)[4] == (1, "b", "IGNORE", 0, None)
    waited: list[Row] = [*rows(r)[:4], (3, "x", "SUCCESS", 1, 1), (3, "b", "IGNORE", 0, None)]
    assert explained(flow, [*waited, (3, "g", "SUCCESS", None, None)]) == [
        (
            Rule.DECIDER,
            "b is ready to execute and a decider on a link into it says no, but it is still "
            "PENDING when time moves on to t=3",
            [4],
        )
    ]


def test_an_unknown_state_is_an_error_not_a_violation() -> None:
    bogus: list[Row] = [(0, "g", "RUNNING", None, None), (0, "a", "BOGUS", 1, 0)]
    with pytest.raises(ValueError, match="'BOGUS' is not a valid AtomState"):
        explained(DECIDED, bogus)


def test_a_revert_duration_given_per_call_is_checked_too() -> None:
    r = simulate(
        LinearFlow(name="f", children=[Task(name="a", fails_on=[1], revert_duration=[3.0])])
    )
    assert check(r) == []
    slow = [
        (t + 1 if n == "a" and s == "REVERTED" else t, n, s, a, w) for t, n, s, a, w in rows(r)
    ]
    slow[-1] = (slow[-2][0], "f", "REVERTED", None, None)
    assert seen(check(r.compiled, trace("f", slow))) == [
        (Rule.TIMING, "a's revert took 4; its duration is 3", [3, 4])
    ]


def test_the_replays_state_view_is_a_mapping_of_every_atom() -> None:
    from flowsim.checks._replay import _States

    view = _States({"a": 0, "b": 1}, [AtomState.SUCCESS, AtomState.PENDING])
    assert dict(view) == {"a": AtomState.SUCCESS, "b": AtomState.PENDING} and len(view) == 2


# a checkpoint retries a, b (decided: never executes) and c, which fails its first execute
RETRIED_DECIDED = LinearFlow(
    name="s",
    retry=Retry(name="r", controller=Times(attempts=2)),
    children=[
        GraphFlow(
            name="g",
            children=[Task(name="a"), Task(name="b"), Task(name="c", fails_on=[1])],
            links=[
                Link(source="a", target="b", decider=False, depth="atom"),
                Link(source="a", target="c"),
            ],
        )
    ],
)


def test_an_atom_left_ready_again_after_a_retry_round_is_flagged_again() -> None:
    r = simulate(RETRIED_DECIDED)
    assert check(r) == []
    changed = rows(r)
    assert [changed[k][1:3] for k in (5, 6, 20, 21)] == [
        ("b", "IGNORE"),
        ("c", "RUNNING"),
        ("b", "IGNORE"),
        ("c", "RUNNING"),
    ]
    # b is ignored late in both rounds: once flagged and then ignored, the round's reset
    # makes it ready again, and it is flagged again
    changed[5], changed[6] = changed[6], changed[5]
    changed[20], changed[21] = changed[21], changed[20]
    late = (
        Rule.DECIDER,
        "b is ready to execute and a decider on a link into it says no, but it is still "
        "PENDING when c starts",
    )
    assert seen(check(r.compiled, trace("s", changed))) == [(*late, [5]), (*late, [20])]
    # b executes late in the first round (flagged twice), is reverted with the others,
    # and is left ready again in the second round: flagged again
    executed = [
        (0, "s", "RUNNING", None, None),
        (0, "r", "RUNNING", 1, None),
        (0, "r", "SUCCESS", 1, None),
        (0, "a", "RUNNING", 1, 0),
        (1, "a", "SUCCESS", 1, 0),
        (1, "c", "RUNNING", 1, 0),
        (1, "b", "RUNNING", 1, 1),
        (2, "b", "SUCCESS", 1, 1),
        (2, "c", "FAILURE", 1, 0),
        (2, "c", "REVERTING", 1, 0),
        (2, "b", "REVERTING", 1, 1),
        (3, "c", "REVERTED", 1, 0),
        (3, "b", "REVERTED", 1, 1),
        (3, "a", "REVERTING", 1, 0),
        (4, "a", "REVERTED", 1, 0),
        (4, "r", "RETRYING", 1, None),
        (4, "a", "PENDING", 1, None),
        (4, "b", "PENDING", 1, None),
        (4, "c", "PENDING", 1, None),
        (4, "r", "RUNNING", 2, None),
        (4, "r", "SUCCESS", 2, None),
        (4, "a", "RUNNING", 2, 0),
        (5, "a", "SUCCESS", 2, 0),
        (5, "c", "RUNNING", 2, 0),
        (5, "b", "IGNORE", 1, None),
        (6, "c", "SUCCESS", 2, 0),
        (6, "s", "SUCCESS", None, None),
    ]
    assert seen(check(r.compiled, trace("s", executed), timing=False)) == [
        (*late, [5]),
        (
            Rule.DECIDER,
            "b executes, but a decider on a link into it says no: it must be IGNORE",
            [6],
        ),
        (*late, [23]),
    ]
