"""Text views: golden timelines of the blueprint, summaries, comparisons, edge cases."""

from __future__ import annotations

import dataclasses

import pytest

from flowsim import (
    LinearFlow,
    ModelError,
    Result,
    Retry,
    Task,
    Times,
    UnorderedFlow,
    examples,
    simulate,
)
from flowsim.textview import comparison, summary, timeline


def blueprint(strategy: str) -> Result:
    return simulate(examples.load("blueprint"), strategy=strategy)


# Checked by eye: A runs [0, 1]; B fails [1, 3]; under smart B reverts [3, 4] while C
# runs [1, 7], and the checkpoint re-runs B [4, 6]. Under stop_the_world nothing starts from
# 3 until C is done at 7; then B reverts [7, 8] and runs again [8, 10]. One column = 0.2.
SMART = """\
blueprint (smart, unlimited workers): 1 column = 0.2 time units
time        0    1    2    3    4    5    6    7
A           =====..............................
checkpoint  .....|..............|..............  (values: 1, 2)
B           .....xxxxxxxxxx<<<<<==========.....  (2 attempts)
C           .....==============================
flow: RUNNING@0 SUCCESS@7"""

STOP_THE_WORLD = """\
blueprint (stop_the_world, unlimited workers): 1 column = 0.2 time units
time        0    1    2    3    4    5    6    7    8    9    10
A           =====.............................................
checkpoint  .....|..................................|.........  (values: 1, 2)
B           .....xxxxxxxxxx....................<<<<<==========  (2 attempts)
C           .....==============================...............
flow: RUNNING@0 REVERTING@3 RUNNING@8 SUCCESS@10"""


def test_blueprint_timeline_smart() -> None:
    assert timeline(blueprint("smart")) == SMART


def test_blueprint_timeline_stop_the_world() -> None:
    assert timeline(blueprint("stop_the_world")) == STOP_THE_WORLD


def test_a_common_span_draws_two_runs_at_one_scale() -> None:
    smart = timeline(blueprint("smart"), span=10)
    assert smart.splitlines()[1] == STOP_THE_WORLD.splitlines()[1]
    assert (
        smart.splitlines()[5] == "C           .....==============================..............."
    )


def test_a_narrow_timeline() -> None:
    assert timeline(blueprint("smart"), width=20, span=10) == (
        "blueprint (smart, unlimited workers): 1 column = 0.5 time units\n"
        "time        0   2   4   6   8   10\n"
        "A           ==..................\n"
        "checkpoint  ..|.....|...........  (values: 1, 2)\n"
        "B           ..xxxx<<====........  (2 attempts)\n"
        "C           ..============......\n"
        "flow: RUNNING@0 SUCCESS@7"
    )


def test_the_timeline_is_deterministic() -> None:
    assert len({timeline(blueprint("smart")) for _ in range(5)}) == 1


def test_blueprint_summary() -> None:
    assert summary(blueprint("smart")) == (
        "flow blueprint: SUCCESS (smart, unlimited workers, seed 0)\n"
        "makespan: 7\n"
        "wasted work: 2\n"
        "busy time: 12\n"
        "executions: A 1, checkpoint 2, B 2, C 1\n"
        "reverts: B 1\n"
        "retry values: checkpoint 1, 2\n"
        "resolutions:\n"
        "  t=3 B failed -> checkpoint: RETRY; reverted scope: B"
    )


def test_blueprint_comparison() -> None:
    results = {s: blueprint(s) for s in ("smart", "stop_the_world")}
    assert comparison(results) == (
        "label           flow     makespan  wasted work  busy time  reverted\n"
        "smart           SUCCESS  7         2            12         B x1\n"
        "stop_the_world  SUCCESS  10        2            12         B x1\n"
        "smart: B's revert [3, 4] overlaps C's execute [1, 7]\n"
        "stop_the_world: no revert overlaps an execute"
    )


def test_a_failed_revert_and_escalation() -> None:
    flow = LinearFlow(
        name="f",
        retry=Retry(name="outer", controller=Times(attempts=1)),
        children=[
            Task(name="a"),
            UnorderedFlow(
                name="u",
                retry=Retry(name="inner", controller=Times(attempts=1)),
                children=[Task(name="t", fails_on=[1], revert_fails_on=[1]), Task(name="c")],
            ),
        ],
    )
    r = simulate(flow)
    assert timeline(r, width=10) == (
        "f (smart, unlimited workers): 1 column = 0.5 time units\n"
        "time   0   2\n"
        "outer  |.....  (values: 1)\n"
        "a      ==....\n"
        "inner  ..|...  (values: 1)\n"
        "t      ..xx!!  (REVERT_FAILURE)\n"
        "c      ..==<<  (REVERTED)\n"
        "flow: RUNNING@0 FAILURE@3"
    )
    assert summary(r) == (
        "flow f: FAILURE (smart, unlimited workers, seed 0)\n"
        "makespan: 3\n"
        "wasted work: 2\n"
        "busy time: 5\n"
        "executions: outer 1, a 1, inner 1, t 1, c 1\n"
        "reverts: t 1, c 1\n"
        "retry values: outer 1; inner 1\n"
        "resolutions:\n"
        "  t=2 t failed -> inner: REVERT, outer: REVERT -> REVERT_ALL; reverted: c; revert "
        "failed: t; not reverted: outer, a, inner"
    )  # t's revert failed at 3 and stopped the flow: a and the controllers stayed done
    # t's revert [2, 3] only touches c's execute [1, 2]: no overlap
    assert comparison({"run": r}).splitlines()[-1] == "run: no revert overlaps an execute"


def resolutions(result: Result) -> list[str]:
    lines = summary(result).splitlines()
    return lines[lines.index("resolutions:") + 1 :]


def test_a_resolution_names_the_atoms_that_had_not_run() -> None:
    """b is in the checkpoint's scope but had not started when a failed: it is reset, not
    reverted (its revert count stays 0)."""
    flow = LinearFlow(
        name="f",
        retry=Retry(name="r", controller=Times(attempts=2)),
        children=[Task(name="a", fails_on=[1]), Task(name="b")],
    )
    r = simulate(flow)
    assert (r.reverts["a"], r.reverts["b"]) == (1, 0)
    assert resolutions(r) == ["  t=1 a failed -> r: RETRY; reverted: a; nothing to revert: b"]


def test_a_sibling_still_running_in_the_scope_is_reverted_after_it_ends() -> None:
    """Under smart, b and c run on when a fails; each is reverted when it ends, so the
    whole scope was reverted."""
    flow = UnorderedFlow(
        name="u",
        retry=Retry(name="r", controller=Times(attempts=2)),
        children=[
            Task(name="a", fails_on=[1]),
            Task(name="b", duration=3),
            Task(name="c", duration=0.5),
        ],
    )
    r = simulate(flow)
    assert (r.reverts["a"], r.reverts["b"], r.reverts["c"]) == (1, 1, 1)
    assert resolutions(r) == ["  t=1 a failed -> r: RETRY; reverted scope: a, b, c"]


def test_each_resolution_names_its_own_reverts() -> None:
    """a fails twice; each failure's resolution reverted a once, and b, which never ran
    before either failure, had nothing to revert each time."""
    flow = LinearFlow(
        name="f",
        retry=Retry(name="r", controller=Times(attempts=3)),
        children=[Task(name="a", fails_on=[1, 2]), Task(name="b")],
    )
    r = simulate(flow)
    assert (r.reverts["a"], r.reverts["b"]) == (2, 0)
    assert resolutions(r) == [
        "  t=1 a failed -> r: RETRY; reverted: a; nothing to revert: b",
        "  t=3 a failed -> r: RETRY; reverted: a; nothing to revert: b",
    ]


def test_a_revert_the_trace_does_not_finish_is_still_reverting() -> None:
    """A trace cut short in a revert (as a recorded run can be): the revert has no end."""
    flow = LinearFlow(
        name="f",
        children=[Task(name="a"), Task(name="b", fails_on=[1], revert_duration=5)],
    )
    r = simulate(flow)
    trace = r.traced()
    cut = [e for e in trace.events if e.time <= 2]
    assert [(e.name, str(e.state)) for e in cut[-2:]] == [("b", "FAILURE"), ("b", "REVERTING")]
    short = dataclasses.replace(r, trace=dataclasses.replace(trace, events=tuple(cut)))
    assert resolutions(short) == [
        "  t=2 b failed -> no retry controller -> REVERT_ALL; still reverting: b; not reverted: a"
    ]


def test_several_reverts_overlapping_one_execute() -> None:
    flow = UnorderedFlow(
        name="u",
        children=[
            LinearFlow(
                name="l",
                retry=Retry(name="r", controller=Times(attempts=3)),
                children=[Task(name="b", duration=2, fails_on=[1, 2])],
            ),
            Task(name="c", duration=10),
            Task(name="d", duration=3.5),
        ],
    )
    assert comparison({"x": simulate(flow)}).splitlines()[2:] == [
        "x: b's reverts [2, 3], [5, 6] overlap c's execute [0, 10]",
        "x: b's revert [2, 3] overlaps d's execute [0, 3.5]",
    ]


def test_instant_atoms_and_a_flow_without_retry() -> None:
    r = simulate(LinearFlow(name="z", children=[Task(name="a", duration=0, fails_on=[1])]))
    assert timeline(r) == (
        "z (smart, unlimited workers): 1 column = 0.02 time units\n"
        "time  0    0.1  0.2  0.3  0.4  0.5  0.6  0.7  0.8  0.9  1\n"
        "a     x<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<  (REVERTED)\n"
        "flow: RUNNING@0 REVERTED@1"
    )
    assert summary(r).endswith(
        "resolutions:\n  t=0 a failed -> no retry controller -> REVERT_ALL; reverted scope: a"
    )


def test_an_empty_flow() -> None:
    r = simulate(LinearFlow(name="empty"))
    assert timeline(r) == (
        "empty (smart, unlimited workers): 1 column = 1 time unit\ntime  0\nflow: RUNNING@0 "
        "SUCCESS@0"
    )
    assert "executions: none\nreverts: none\nresolutions: none" in summary(r)


def test_bad_arguments() -> None:
    r = blueprint("smart")
    with pytest.raises(ModelError, match="width must be a whole number >= 1"):
        timeline(r, width=0)
    with pytest.raises(ModelError, match="span must be a number >= 0"):
        timeline(r, span=-1)
    with pytest.raises(ModelError, match="at least one result"):
        comparison({})
