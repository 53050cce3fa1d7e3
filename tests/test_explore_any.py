"""flowsim.explore under timing="any": the search over completion orders, replay."""

from __future__ import annotations

import pytest

import flowsim as fs
from flowsim import examples
from flowsim.errors import ScenarioError
from flowsim.explore import _any, apply_plan, explore, plan_text, replay
from flowsim.explore._any import choices

PAR = fs.UnorderedFlow(name="f", children=[fs.Task(name="A"), fs.Task(name="B")])
SEQ = fs.LinearFlow(name="f", children=[fs.Task(name="A"), fs.Task(name="B")])


def test_two_parallel_tasks() -> None:
    """A and B start together. A alone, B alone or both together complete first: the
    start, "A done", "B done" and the end (reached three ways) are four states, five
    transitions, a tree of 1 + 1 + 1 + 3 = 6 and three interleavings. Each completion
    alone starts nothing (is quiet), so the partial-order reduction does not compute
    "both together" (it is "A, then B") nor, after B, A (A was tried first: "B, then A"
    is "A, then B"): three transitions are computed."""
    full = explore(PAR, max_failures=0, timing="any", reduce=False, progress=False)
    assert (full.states, full.transitions, full.spared, full.tree, full.interleavings) == (
        (4, 5, 0, 6, 3)
    )
    assert (full.reduction, full.por_reduction) == (1.5, 1.0)
    ex = explore(PAR, max_failures=0, timing="any", progress=False)
    assert (ex.states, ex.transitions, ex.spared, ex.tree, ex.interleavings, ex.runs) == (
        (4, 3, 2, 6, 3, 1)
    )
    assert (ex.reduction, round(ex.por_reduction, 3)) == (1.5, 1.667)
    assert ex.summary().splitlines()[1] == (
        "4 states, 3 transitions (partial-order reduction 1.67x: 2 spared), search tree 6 "
        "(hashing 1.50x), 3 interleavings"
    )
    [(outcome, n)] = ex.outcomes
    assert (outcome.flow_state, outcome.reverted, n) == (fs.FlowState.SUCCESS, frozenset(), 1)


def test_the_reduction_spares_a_tie_through_any_quiet_completion_but_none_with_a_failure() -> None:
    """A -> C beside B. At the start A and B run: A's completion alone starts C (not
    quiet), B's alone starts nothing, so "A and B together" is "B, then A"; after B, A is
    computed (A is not quiet). With A done, B and C run, both quiet: "B and C together"
    is "B, then C", and after C, B is not computed ("C, then B" is "B, then C"). Three of
    nine choices are spared; the states, tree and interleavings are the unreduced
    search's."""
    flow = fs.GraphFlow(
        name="g",
        children=[fs.Task(name="A"), fs.Task(name="B"), fs.Task(name="C")],
        links=[fs.Link(source="A", target="C")],
    )
    full = explore(flow, max_failures=0, timing="any", reduce=False, progress=False)
    ex = explore(flow, max_failures=0, timing="any", progress=False)
    assert [(e.states, e.transitions, e.spared, e.tree, e.interleavings) for e in (full, ex)] == [
        (6, 9, 0, 12, 5),
        (6, 6, 3, 12, 5),
    ]
    # B fails: "A and B together" holds a failure and is computed, and so is A after B
    # (B is not quiet); after the failure, choices among the reverts are spared
    failing = fs.UnorderedFlow(
        name="f", children=[fs.Task(name="A"), fs.Task(name="B", fails_on=[1])]
    )
    full = explore(failing, max_failures=0, timing="any", reduce=False, progress=False)
    ex = explore(failing, max_failures=0, timing="any", progress=False)
    assert [(e.states, e.transitions, e.spared, e.tree, e.interleavings) for e in (full, ex)] == [
        (9, 16, 0, 26, 11),
        (9, 12, 4, 26, 11),
    ]
    assert ex.outcomes == full.outcomes


def test_a_completion_that_drops_a_stale_queue_entry_is_not_quiet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One worker; under a plan, t1's and r0's reverts are in flight while t2 waits with
    a queue entry a failure made stale. t1's revert alone frees the worker, and the step
    drops t2's entry; both together start t0's revert first and leave t2's entry queued.
    So t1's completion is not quiet there, and the tie is computed. (The property suite
    found this state; the reduction first counted the drop as quiet.) With every spared
    choice computed anyway (CHECK), the reduced search matches the full one."""
    f2 = fs.LinearFlow(
        name="f2", children=[], retry=fs.Retry(name="r0", controller=fs.Times(attempts=2))
    )
    flow = fs.LinearFlow(
        name="flow",
        children=[
            fs.Task(name="t0"),
            fs.UnorderedFlow(name="f1", children=[fs.Task(name="t1"), fs.Task(name="t2"), f2]),
        ],
    )
    scenario = fs.Scenario(flow=flow, options=fs.Options(workers=1))
    monkeypatch.setattr(_any, "CHECK", True)
    ex = explore(scenario, max_failures=1, timing="any", progress=False)
    full = explore(scenario, max_failures=1, timing="any", reduce=False, progress=False)
    assert [(e.states, e.tree, e.interleavings, e.outcomes) for e in (ex, full)] == [
        (full.states, full.tree, full.interleavings, full.outcomes)
    ] * 2
    assert (ex.transitions + ex.spared, ex.spared > 0) == (full.transitions, True)


def test_one_worker_leaves_one_order() -> None:
    ex = explore(
        fs.Scenario(flow=PAR, options=fs.Options(workers=1)),
        max_failures=0,
        timing="any",
        progress=False,
    )
    assert (ex.states, ex.transitions, ex.tree, ex.interleavings) == (3, 2, 3, 1)
    ex = explore(SEQ, max_failures=0, timing="any", progress=False)
    assert (ex.states, ex.transitions, ex.tree, ex.interleavings) == (3, 2, 3, 1)


def test_a_failure_in_parallel() -> None:
    """B fails: A may complete before B fails (then both revert), or together with it,
    or after it (A's completion then finds it already marked REVERT): in every order
    both A and B are reverted."""
    ex = explore(PAR, max_failures=1, kinds=("execute",), timing="any", progress=False)
    assert [plan_text(p) for p in ex.plans] == [
        "no injected failure",
        "A.execute#1",
        "B.execute#1",
    ]
    table = [(o.flow_state.value, sorted(o.reverted), n) for o, n in ex.outcomes]
    assert table == [("REVERTED", ["A", "B"], 2), ("SUCCESS", [], 1)]
    assert [len(ex.plan_outcomes[p]) for p in ex.plans] == [1, 1, 1]
    assert ex.makespans == {}  # no durations under "any"
    assert ex.violations == ()


def test_any_reaches_every_outcome_given_reaches() -> None:
    for name in ("blueprint", "nested-escalation", "revert-failure", "foreach-alternatives"):
        scenario = examples.load(name)
        given = explore(scenario, max_failures=1, progress=False)
        anyway = explore(scenario, max_failures=1, timing="any", progress=False)
        assert set(given.plans) <= set(anyway.plans), name
        assert {o for o, _ in given.outcomes} <= {o for o, _ in anyway.outcomes}, name
        assert anyway.violations == () and anyway.complete, name
        assert "makespan" not in anyway.worst


def test_the_blueprint_under_any_order() -> None:
    ex = explore(examples.load("blueprint"), max_failures=0, timing="any", progress=False)
    assert ex.states == 20
    [(outcome, n)] = ex.outcomes  # whatever the durations, B is retried and all succeeds
    assert n == 1
    assert str(outcome) == "SUCCESS  reverted {B}; executes A=1 checkpoint=2 B=2 C=1"
    # C may complete at any point of B's retry: before B starts, while B runs, ...
    assert ex.interleavings > ex.runs > 0 and ex.complete


def test_stop_the_world_and_never_resolve_are_searched() -> None:
    for options in (
        fs.Options(strategy=fs.Strategy.STOP_THE_WORLD),
        fs.Options(never_resolve=True),
    ):
        scenario = fs.Scenario(flow=examples.load("nested-escalation").flow, options=options)
        ex = explore(scenario, max_failures=1, timing="any", progress=False)
        assert ex.violations == () and ex.complete


def test_a_state_bound_is_reported() -> None:
    ex = explore(
        examples.load("blueprint"), max_failures=1, timing="any", max_states=30, progress=False
    )
    # the plain plan has 20 states (test above), A.execute#1 three (A runs, A reverts, the
    # end): 7 are left for B.execute#2
    assert not ex.complete
    assert ex.stopped == (
        "max_states reached (7 states of this plan) while searching plan B.execute#2: 3 plans "
        "explored, 4 more queued (plans of up to 1 failures reached)"
    )


def test_witnesses_carry_their_schedule() -> None:
    ex = explore(examples.load("blueprint"), max_failures=1, timing="any", progress=False)
    w = ex.worst["reverts"]
    assert w.schedule is not None
    result = replay(apply_plan(ex.scenario, w.plan), w.schedule)
    assert sum(result.reverts.values()) == w.value


def test_choices() -> None:
    assert choices(1) == [(0,)]
    assert choices(3) == [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]


def test_replay_reproduces_simulate_on_the_blueprint() -> None:
    """With its real durations the blueprint's completions are: A; checkpoint (0 long);
    B fails at 3; B's revert; the checkpoint's second execute; B at 6; C at 7."""
    scenario = examples.load("blueprint")
    r = replay(scenario, [(0,), (0,), (1,), (1,), (1,), (1,), (0,)])
    real = fs.simulate(scenario)
    strip = [(e.subject, e.name, e.state, e.attempt, e.worker) for e in r.events]
    assert strip == [(e.subject, e.name, e.state, e.attempt, e.worker) for e in real.events]
    assert [e.time for e in r.events][-3:] == [6.0, 7.0, 7.0]  # steps, not durations


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ([(2,)], "step 1 picks [2], but 2 piece(s) of work are in flight (pick some of 0..1)"),
        ([()], "step 1 picks [], but 2 piece(s) of work are in flight (pick some of 0..1)"),
        ([(0,)], "the schedule ends after 1 step(s) with 1 piece(s) of work in flight"),
    ],
)
def test_replay_rejects_a_bad_schedule(schedule: list[tuple[int, ...]], message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        replay(fs.Scenario(flow=PAR), schedule)
    assert str(e.value) == f"schedule: {message}"
