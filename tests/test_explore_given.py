"""flowsim.explore: failure plans, timing="given", the Exploration result, properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flowsim as fs
from flowsim import examples
from flowsim.errors import ModelError
from flowsim.explore import Exploration, Failure, apply_plan, explore, plan_text
from flowsim.explore._judge import judge, minimal_set_problems
from flowsim.explore._plans import calls, extensions
from flowsim.model import walk

AB = fs.LinearFlow(name="f", children=[fs.Task(name="A"), fs.Task(name="B")])


def texts(ex: Exploration) -> list[str]:
    return [plan_text(p) for p in ex.plans]


def test_two_tasks_in_a_row_have_six_plans_of_at_most_two_failures() -> None:
    """By hand: the plain run makes A.execute#1 and B.execute#1. Failing A's: A reverts
    (A.revert#1 is the only later call). Failing B's: B reverts, then A (two later calls).
    So 1 + 2 + 1 + 2 plans."""
    ex = explore(AB, max_failures=2, progress=False)
    assert texts(ex) == [
        "no injected failure",
        "A.execute#1",
        "B.execute#1",
        "A.execute#1 + A.revert#1",
        "A.revert#1 + B.execute#1",
        "B.execute#1 + B.revert#1",
    ]
    assert ex.runs == 6 and ex.complete and ex.stopped == "" and ex.violations == ()
    table = [
        (o.flow_state.value, sorted(o.reverted), dict(o.executions), n) for o, n in ex.outcomes
    ]
    assert table == [
        ("FAILURE", ["A"], {"A": 1, "B": 0}, 1),  # A's revert fails
        ("FAILURE", ["A", "B"], {"A": 1, "B": 1}, 1),  # B reverted, A's revert fails
        ("FAILURE", ["B"], {"A": 1, "B": 1}, 1),  # B's revert fails: A is never reverted
        ("REVERTED", ["A"], {"A": 1, "B": 0}, 1),
        ("REVERTED", ["A", "B"], {"A": 1, "B": 1}, 1),
        ("SUCCESS", [], {"A": 1, "B": 1}, 1),
    ]


def test_max_failures_zero_and_one() -> None:
    assert texts(explore(AB, max_failures=0, progress=False)) == ["no injected failure"]
    assert texts(explore(AB, max_failures=1, progress=False)) == [
        "no injected failure",
        "A.execute#1",
        "B.execute#1",
    ]


def test_kinds_limit_the_calls_failed() -> None:
    ex = explore(AB, max_failures=2, kinds=("execute",), progress=False)
    assert texts(ex) == ["no injected failure", "A.execute#1", "B.execute#1"]
    assert ex.kinds == ("execute",)
    ex = explore(AB, max_failures=2, kinds="revert", progress=False)
    assert texts(ex) == ["no injected failure"]  # the plain run reverts nothing


def test_the_blueprints_plans_and_outcome_table() -> None:
    """The plain run makes A#1, checkpoint#1, C#1, B#1 (fails: the scenario's own),
    B.revert#1, checkpoint#2, B#2: six calls that succeed, one plan each."""
    ex = explore(examples.load("blueprint"), max_failures=1, progress=False)
    assert texts(ex) == [
        "no injected failure",
        "A.execute#1",
        "B.execute#2",
        "B.revert#1",
        "C.execute#1",
        "checkpoint.retry#1",
        "checkpoint.retry#2",
    ]
    table = [
        (o.flow_state.value, sorted(o.reverted), dict(o.executions), n) for o, n in ex.outcomes
    ]
    every = ["A", "B", "C", "checkpoint"]
    assert table == [
        # C fails after B's retry succeeded, or B's second attempt fails (the checkpoint
        # gives up; no outer checkpoint, defer_reverts): everything is reverted
        ("REVERTED", every, {"A": 1, "checkpoint": 2, "B": 2, "C": 1}, 2),
        # B's revert fails: the flow halts FAILURE, C runs to its end, nothing else reverts
        ("FAILURE", ["B"], {"A": 1, "checkpoint": 1, "B": 1, "C": 1}, 1),
        ("REVERTED", ["A"], {"A": 1, "checkpoint": 0, "B": 0, "C": 0}, 1),
        # the checkpoint's second execute (its retry round) fails: revert all
        ("REVERTED", every, {"A": 1, "checkpoint": 2, "B": 1, "C": 1}, 1),
        # the checkpoint's first execute fails: B never runs, C is reverted after it ends
        ("REVERTED", ["A", "C", "checkpoint"], {"A": 1, "checkpoint": 1, "B": 0, "C": 1}, 1),
        ("SUCCESS", ["B"], {"A": 1, "checkpoint": 2, "B": 2, "C": 1}, 1),
    ]
    assert ex.makespans[()] == 7.0  # the blueprint's own run
    assert ex.makespans[(Failure("A", "execute", 1),)] == 2.0  # A fails at 1, reverts 1..2
    [only] = ex.plan_outcomes[(Failure("A", "execute", 1),)]
    assert (only.flow_state, only.reverted) == (fs.FlowState.REVERTED, frozenset({"A"}))
    assert len(ex.plan_outcomes) == len(ex.makespans) == 7
    worst = {k: (w.value, plan_text(w.plan)) for k, w in ex.worst.items()}
    assert worst == {
        "executions": (6, "no injected failure"),  # the first plan reaching 6
        "reverts": (5, "B.execute#2"),  # B twice, C, checkpoint, A
        "reverted_set": (4, "B.execute#2"),
        # B fails at 6; B and C revert 7..8 (C ends at 7), A 8..9
        "makespan": (9.0, "B.execute#2"),
    }


def test_each_plan_explored_once_and_every_failure_takes_effect() -> None:
    for name in examples.names():
        scenario = examples.load(name)
        ex = explore(scenario, max_failures=2, progress=False)
        assert len(set(ex.plans)) == len(ex.plans), name
        assert ex.runs == len(ex.plans), name
        c = fs.compile(scenario.flow, store=scenario.store)
        is_retry = dict(zip(c.names, c.is_retry, strict=True))
        for plan in ex.plans:
            run = fs.simulate(apply_plan(scenario, plan))
            assert extensions(plan, calls(run.events, is_retry), ("execute",))[0], (name, plan)
        assert ex.violations == (), name


def test_apply_plan_adds_to_the_scenarios_own_failures() -> None:
    s = apply_plan(
        examples.load("blueprint"),
        (Failure("B", "execute", 3), Failure("B", "revert", 1), Failure("checkpoint", "retry", 2)),
    )
    atoms = {n.name: n for n in walk(s.flow) if isinstance(n, fs.Task | fs.Retry)}
    b, ckpt = atoms["B"], atoms["checkpoint"]
    assert b.fails_on == (1, 3)  # the scenario's own 1, and 3
    assert b.revert_fails_on == (1,)
    assert ckpt.fails_on == (2,)
    assert atoms["A"] == fs.Task(name="A")
    always = fs.Scenario(
        flow=fs.LinearFlow(name="f", children=[fs.Task(name="a", fails_on="always")])
    )
    [a] = apply_plan(always, (Failure("a", "execute", 2),)).flow.children
    assert isinstance(a, fs.Task) and a.fails_on == "always"


def test_calls_and_extensions() -> None:
    r = fs.simulate(AB, strategy="smart")
    made = calls(r.events, {"A": False, "B": False})
    assert [(str(f), seq, ok) for f, seq, ok in made] == [
        ("A.execute#1", 1, True),
        ("B.execute#1", 3, True),
    ]
    b = (Failure("B", "execute", 1),)
    assert extensions(b, made, ("execute",)) == (False, set())  # B#1 succeeded: no effect
    assert extensions((), made, ("execute",)) == (True, {f for f, _, _ in made})


def test_a_bound_is_reported() -> None:
    ex = explore(AB, max_failures=2, max_plans=2, progress=False)
    assert (ex.complete, texts(ex)) == (False, ["no injected failure", "A.execute#1"])
    assert ex.stopped == (
        "max_plans=2 reached: 2 plans explored, 2 more queued (plans of up to 1 failures reached)"
    )
    assert "INCOMPLETE: max_plans=2 reached" in ex.summary()
    ex = explore(AB, max_failures=2, max_states=3, progress=False)
    assert ex.complete is False and ex.stopped.startswith("max_states=3 reached: 3 plans explored")


def test_a_run_that_raises_is_a_violation_with_its_counterexample(tmp_path: Path) -> None:
    flow = fs.LinearFlow(
        name="loop",
        retry=fs.Retry(name="r", controller=fs.AlwaysRetry()),
        children=[fs.Task(name="a", fails_on="always")],
    )
    scenario = fs.Scenario(flow=flow, options=fs.Options(event_budget=50))
    ex = explore(scenario, max_failures=1, progress=False)
    assert texts(ex) == ["no injected failure"]
    [v] = ex.violations
    assert v.rule == "error" and v.plan == ()
    assert v.message.startswith("EventBudgetExceeded: flow 'loop': the run recorded 50 events")
    v.save(tmp_path / "cx.json")
    assert fs.load_scenario(tmp_path / "cx.json") == scenario
    assert json.loads(v.scenario_json())["options"]["event_budget"] == 50
    assert str(v).startswith("error under no injected failure: EventBudgetExceeded")


def test_the_judge_finds_a_broken_trace() -> None:
    r = fs.simulate(apply_plan(fs.Scenario(flow=AB), (Failure("B", "execute", 1),)))
    events = list(r.events)
    assert judge(r.compiled, events, r.resolutions, r.options, timing=True) == []
    # drop A's revert: the flow still "ends REVERTED"
    names = [(e.name, str(e.state)) for e in events]
    cut = [
        e for e in events if (e.name, str(e.state)) not in (("A", "REVERTING"), ("A", "REVERTED"))
    ]
    assert len(cut) == len(names) - 2
    problems = minimal_set_problems(cut, r.resolutions)
    assert problems == [
        "the resolution of 'B''s failure (event #4, REVERT_ALL) reverted ['B'], its minimal "
        "revert set is ['A', 'B']"
    ]
    assert minimal_set_problems(cut, r.resolutions, partial=True) == []
    rules = {rule for rule, _ in judge(r.compiled, cut, r.resolutions, r.options, timing=False)}
    assert "minimal-revert-set" in rules and "minimal-set" in rules


def test_workers_override_and_the_summary() -> None:
    ex = explore(examples.load("blueprint"), max_failures=0, workers=1, progress=False)
    assert ex.scenario.options.workers == 1
    # A 0..1; C takes the worker 1..7 (B waits for its checkpoint, which takes none);
    # B 7..9 fails, reverts 9..10, runs again 10..12
    assert ex.worst["makespan"].value == 12.0
    text = ex.summary().splitlines()
    assert text[0] == (
        "explored 'blueprint': 1 plans (at most 0 injected failures of execute, revert, "
        "retry), timing=given, 1 runs"
    )
    assert text[-1] == "violations: 0"
    d = ex.to_dict()
    assert (d["plans"], d["runs"], d["complete"], d["outcomes"][0]["flow_state"]) == (
        1,
        1,
        True,
        "SUCCESS",
    )


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    ex = explore(AB, max_failures=1, progress=True)
    assert len(ex.plans) == 3
    assert "3plan" in capsys.readouterr().err.replace(" ", "")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_failures": -1}, "explore(): max_failures must be a whole number >= 0, got -1"),
        ({"timing": "some"}, "explore(): timing must be 'given' or 'any', got 'some'"),
        (
            {"kinds": ["exec"]},
            "explore(): kinds: unknown kind 'exec'; expected some of execute, revert, retry",
        ),
        ({"max_states": 0}, "explore(): max_states must be a whole number >= 1, got 0"),
        ({"reduce": "no"}, "explore(): reduce must be True or False, got 'no'"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ModelError) as e:
        explore(AB, progress=False, **kwargs)  # type: ignore[arg-type]
    assert str(e.value) == message


def test_bad_target() -> None:
    with pytest.raises(ModelError, match="explore\\(\\) takes a scenario or a flow, got 3"):
        explore(3, progress=False)  # type: ignore[arg-type]


def c_reverted_only_by_revert_all(result: fs.Result) -> str | None:
    """The issue's example: smart revert never reverts C unless the failure's resolution
    reverts everything (B's checkpoint gave up, or a failure outside it)."""
    if result.reverts["C"] and all(
        r.action is not fs.Decision.REVERT_ALL for r in result.resolutions
    ):
        return "C was reverted without a REVERT_ALL"
    return None


def c_never_reverted(result: fs.Result) -> str | None:
    return "C was reverted" if result.reverts["C"] else None


@pytest.mark.parametrize("timing", ["given", "any"])
def test_a_property_of_your_own(timing: str) -> None:
    blueprint = examples.load("blueprint")
    ex = explore(
        blueprint,
        max_failures=2,
        timing=timing,
        properties=[c_reverted_only_by_revert_all],
        progress=False,
    )
    assert ex.violations == () and ex.complete
    ex = explore(
        blueprint, max_failures=1, timing=timing, properties=[c_never_reverted], progress=False
    )
    first = ex.violations[0]
    # the smallest plans that revert C, in plan order: B's second attempt fails (the
    # checkpoint gives up: revert all); then C itself, then the checkpoint's executes
    assert (first.rule, first.message, plan_text(first.plan)) == (
        "property c_never_reverted",
        "C was reverted",
        "B.execute#2",
    )
    assert [plan_text(v.plan) for v in ex.violations if v.rule.startswith("property")][:4] == [
        "B.execute#2",
        "C.execute#1",
        "checkpoint.retry#1",
        "checkpoint.retry#2",
    ]


def test_a_property_that_raises_is_broken() -> None:
    def broken(result: fs.Result) -> str | None:
        raise KeyError("Z")

    [v] = explore(AB, max_failures=0, properties=[broken], progress=False).violations
    assert (v.rule, v.message) == ("property broken", "raised KeyError: 'Z'")
    with pytest.raises(
        ModelError, match=r"explore\(\): properties must be functions of a result, got 3"
    ):
        explore(AB, properties=[3], progress=False)  # type: ignore[list-item]
