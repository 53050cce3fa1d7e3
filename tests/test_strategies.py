"""flowsim.strategies: what the strategies draw always compiles, simulates, ends and
round-trips through JSON; they reach the interesting outcomes; bad arguments fail at once;
failing examples shrink to a handful of atoms."""

from __future__ import annotations

import doctest
import json
import re
import types
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as hs
from hypothesis.errors import InvalidArgument

import flowsim as fs
from flowsim import strategies as fst
from flowsim.model import Flow, walk

BUDGET = 20_000  # far above any generated run (they record well under 100 events)

# Reachability: the first example found is enough (no shrinking), derandomized so that
# the test cannot flake.
REACH = settings(
    database=None, derandomize=True, max_examples=3000, phases=[Phase.generate], deadline=None
)


QUIET = settings(database=None, derandomize=True, deadline=None)


def test_the_public_names_are_exactly_all() -> None:
    public = {
        name
        for name, value in vars(fst).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(fst.__all__) == {"dags", "failure_plans", "flows", "scenarios", "timings"}


def atoms(flow: Flow) -> list[fs.Task | fs.Retry]:
    return [n for n in walk(flow) if isinstance(n, fs.Task | fs.Retry)]


def depth(flow: Flow) -> int:
    subflows = [c for c in flow.children if not isinstance(c, fs.Task)]
    return 1 + max((depth(c) for c in subflows), default=0)


def simulate(s: fs.Scenario) -> fs.Result:
    return fs.simulate(s, event_budget=BUDGET)


def rebuild(flow: Flow, fn: Callable[[Any], Any]) -> Flow:
    """``flow`` with ``fn`` applied to every atom."""
    retry = fn(flow.retry) if flow.retry is not None else None
    children = [fn(c) if isinstance(c, fs.Task) else rebuild(c, fn) for c in flow.children]
    return replace(flow, retry=retry, children=children)


# --------------------------------------------------------------------------- dags


@settings(max_examples=60, deadline=None)
@given(fst.dags(min_nodes=2, max_nodes=7))
def test_dags_are_graph_flows_of_tasks_whose_links_are_the_edges(flow: fs.GraphFlow) -> None:
    compiled = fs.compile(flow)  # a cycle would raise CompileError
    names = [c.name for c in flow.children]
    assert 2 <= len(names) <= 7
    assert names == [f"t{i}" for i in range(len(names))]
    assert all(isinstance(c, fs.Task) and c == fs.Task(name=c.name) for c in flow.children)
    edges = {(link.source, link.target) for link in flow.links}
    assert len(edges) == len(flow.links) and all(link.decider for link in flow.links)
    compiled_edges = {
        (compiled.names[i], compiled.names[j])
        for i, succs in enumerate(compiled.succs)
        for j in succs
    }
    assert compiled_edges == edges


def test_dag_declaration_order_is_not_a_topological_order() -> None:
    def backwards(flow: fs.GraphFlow) -> bool:
        return any(int(link.source[1:]) > int(link.target[1:]) for link in flow.links)

    flow = find(fst.dags(), backwards, settings=QUIET)
    assert [c.name for c in flow.children] == ["t0", "t1"]  # shrunk to the smallest case
    assert [(link.source, link.target) for link in flow.links] == [("t1", "t0")]


# --------------------------------------------------------------------------- flows


@settings(max_examples=150, deadline=None)
@given(fst.flows(min_atoms=2, max_atoms=9, max_depth=3))
def test_flows_compile_without_a_store_within_their_bounds(flow: Flow) -> None:
    compiled = fs.compile(flow)
    assert 2 <= len(compiled) <= 9
    assert depth(flow) <= 3
    tasks = [a.name for a in atoms(flow) if isinstance(a, fs.Task)]
    retries = [a for a in atoms(flow) if isinstance(a, fs.Retry)]
    assert sorted(tasks) == sorted(f"t{i}" for i in range(len(tasks)))
    assert sorted(r.name for r in retries) == sorted(f"r{i}" for i in range(len(retries)))
    assert not any(isinstance(r.controller, fs.ParameterizedForEach) for r in retries)
    for atom in atoms(flow):  # flows() draws structure and data only
        assert (atom.fails_on, atom.revert_fails_on, atom.fail_probability) == ((), (), 0.0)


@settings(max_examples=40, deadline=None)
@given(fst.flows(max_atoms=6, controllers=[], links=False, data=False))
def test_flows_switches_turn_features_off(flow: Flow) -> None:
    assert not any(isinstance(a, fs.Retry) for a in atoms(flow))
    assert not any(isinstance(n, fs.GraphFlow) and n.links for n in walk(flow))
    assert not any(a.requires or a.provides for a in atoms(flow))


def controllers(flow: Flow) -> set[type]:
    return {type(a.controller) for a in atoms(flow) if isinstance(a, fs.Retry)}


def links(flow: Flow) -> list[fs.Link]:
    return [link for n in walk(flow) if isinstance(n, fs.GraphFlow) for link in n.links]


FLOW_FEATURES: dict[str, Callable[[Flow], bool]] = {
    "Times": lambda f: fs.Times in controllers(f),
    "ForEach": lambda f: fs.ForEach in controllers(f),
    "AlwaysRevert": lambda f: fs.AlwaysRevert in controllers(f),
    "AlwaysRevertAll": lambda f: fs.AlwaysRevertAll in controllers(f),
    "AlwaysRetry": lambda f: fs.AlwaysRetry in controllers(f),
    "empty ForEach": lambda f: any(
        isinstance(a, fs.Retry) and a.controller == fs.ForEach(values=()) for a in atoms(f)
    ),
    "duplicate ForEach values": lambda f: any(
        isinstance(a, fs.Retry)
        and isinstance(a.controller, fs.ForEach)
        and len(set(a.controller.values)) < len(a.controller.values)
        for a in atoms(f)
    ),
    "revert_all": lambda f: any(
        getattr(getattr(a, "controller", None), "revert_all", False) for a in atoms(f)
    ),
    "nested three deep": lambda f: depth(f) == 3,
    "graph link": lambda f: bool(links(f)),
    "decider": lambda f: any(not link.decider for link in links(f)),
    "decider depth atom": lambda f: any(link.depth is fs.Depth.ATOM for link in links(f)),
    "requires": lambda f: any(a.requires for a in atoms(f)),
    "a link into a subflow": lambda f: any(
        not isinstance(c, fs.Task) and any(link.target == c.name for link in n.links)
        for n in walk(f)
        if isinstance(n, fs.GraphFlow)
        for c in n.children
    ),
}


@pytest.mark.parametrize("feature", list(FLOW_FEATURES))
def test_flows_reach_every_feature(feature: str) -> None:
    flow = find(fst.flows(), FLOW_FEATURES[feature], settings=REACH)
    fs.compile(flow)


# --------------------------------------------------------------------------- failure plans


AROUND = fs.LinearFlow(
    name="flow",
    retry=fs.Retry(name="r0", controller=fs.AlwaysRetry()),
    children=[
        fs.Task(name="t0", fails_on=[1]),
        fs.LinearFlow(
            name="f1",
            retry=fs.Retry(name="r1", controller=fs.Times(attempts=2)),
            children=[fs.Task(name="t1")],
        ),
    ],
)
OUTSIDE = fs.UnorderedFlow(name="u", children=[AROUND, fs.Task(name="t2")])


@settings(max_examples=80, deadline=None)
@given(fst.failure_plans(OUTSIDE, probabilities=True))
def test_under_an_always_retry_failures_are_finite(flow: Flow) -> None:
    for atom in atoms(flow):
        if atom.name in ("r1", "t0", "t1"):  # r0 (AlwaysRetry) decides their failures
            assert atom.fails_on != "always" and atom.fail_probability == 0.0
    result = fs.simulate(flow, event_budget=BUDGET)  # ends
    assert result.flow_state in set(fs.FlowState)


def test_outside_an_always_retry_always_and_probabilities_are_drawn() -> None:
    plans = fst.failure_plans(OUTSIDE, probabilities=True)
    t2 = lambda f: next(a for a in atoms(f) if a.name == "t2")  # noqa: E731
    r0 = lambda f: next(a for a in atoms(f) if a.name == "r0")  # noqa: E731
    find(plans, lambda f: t2(f).fails_on == "always", settings=REACH)
    find(plans, lambda f: t2(f).fail_probability > 0, settings=REACH)
    find(plans, lambda f: r0(f).fails_on == "always", settings=REACH)  # its parent decides


@settings(max_examples=60, deadline=None)
@given(hs.data())
def test_a_failure_class_switched_off_keeps_the_flow_s_fields(data: hs.DataObject) -> None:
    flow = data.draw(fst.failure_plans(OUTSIDE))  # a flow that already has failures
    ex, rev, ret = data.draw(hs.tuples(hs.booleans(), hs.booleans(), hs.booleans()))
    planned = data.draw(
        fst.failure_plans(flow, execute_failures=ex, revert_failures=rev, retry_failures=ret)
    )
    for before, after in zip(atoms(flow), atoms(planned), strict=True):
        assert before.name == after.name
        execute_on = ex if isinstance(before, fs.Task) else ret
        if not execute_on:
            assert after.fails_on == before.fails_on
        if not rev:
            assert after.revert_fails_on == before.revert_fails_on
        assert after.fail_probability == before.fail_probability
        assert (after.duration, after.revert_duration) == (before.duration, before.revert_duration)


def test_with_every_class_off_the_flow_is_unchanged() -> None:
    off = dict(execute_failures=False, revert_failures=False, retry_failures=False)
    assert find(fst.failure_plans(OUTSIDE, **off), lambda f: True, settings=QUIET) == OUTSIDE


def test_failure_plans_shrink_to_no_failures() -> None:
    shrunk = find(fst.failure_plans(OUTSIDE), lambda f: True, settings=QUIET)
    assert shrunk == rebuild(OUTSIDE, lambda atom: replace(atom, fails_on=()))


# --------------------------------------------------------------------------- timings


PAIR = fs.UnorderedFlow(
    name="pair",
    retry=fs.Retry(name="r0", controller=fs.Times(attempts=2)),
    children=[fs.Task(name="a"), fs.Task(name="b")],
)


@settings(max_examples=80, deadline=None)
@given(fst.timings(PAIR, max_duration=2))
def test_timings_are_small_whole_numbers(flow: Flow) -> None:
    for atom in atoms(flow):
        for d in (atom.duration, atom.revert_duration):
            calls = d if isinstance(d, tuple) else (d,)
            assert all(isinstance(c, float) and c in (0, 1, 2) for c in calls)
    assert fs.simulate(flow).makespan <= 4  # the retry controller, then the longer task


def test_timings_reach_zeros_ties_lists_distributions_and_priorities() -> None:
    dist = fst.timings(PAIR, distributions=True)
    a = lambda f: f.children[0]  # noqa: E731
    b = lambda f: f.children[1]  # noqa: E731
    find(dist, lambda f: a(f).duration == 0 and b(f).duration == 0, settings=REACH)
    find(dist, lambda f: a(f).duration == b(f).duration == 3, settings=REACH)
    find(dist, lambda f: isinstance(a(f).duration, tuple), settings=REACH)
    find(dist, lambda f: isinstance(a(f).revert_duration, fs.LogNormal), settings=REACH)
    find(dist, lambda f: f.retry.duration == 2, settings=REACH)
    find(dist, lambda f: a(f).priority > b(f).priority, settings=REACH)


def test_timings_shrink_to_the_model_defaults() -> None:
    flow = find(fst.timings(PAIR), lambda f: True, settings=QUIET)
    assert flow == PAIR  # tasks 1 and 1, the retry controller 0 and 0, priority 0


def test_max_duration_zero_makes_everything_instantaneous() -> None:
    @settings(max_examples=20, deadline=None)
    @given(fst.timings(PAIR, max_duration=0))
    def check(flow: Flow) -> None:
        assert fs.simulate(flow).makespan == 0

    check()


# --------------------------------------------------------------------------- scenarios


@settings(max_examples=200, deadline=None)
@given(fst.scenarios(probabilities=True, distributions=True))
def test_scenarios_simulate_end_and_round_trip_through_json(scenario: fs.Scenario) -> None:
    result = simulate(scenario)  # no exception, and far from the event budget
    assert fs.compile(scenario.flow, store=scenario.store).names == result.compiled.names
    text = json.dumps(fs.scenario_to_dict(scenario), allow_nan=False)
    again = fs.scenario_from_dict(json.loads(text))
    assert again == scenario
    assert simulate(again).trace == result.trace


@settings(max_examples=100, deadline=None)
@given(fst.scenarios(controllers=[fs.AlwaysRetry], probabilities=True, max_call=5))
def test_always_retry_scenarios_end(scenario: fs.Scenario) -> None:
    simulate(scenario)


@settings(max_examples=50, deadline=None)
@given(
    fst.scenarios(
        max_atoms=4,
        workers=[2],
        strategies=["stop_the_world"],
        defer_reverts=[False],
        never_resolve=[True],
        max_seed=0,
    )
)
def test_fixed_options_are_kept(scenario: fs.Scenario) -> None:
    o = scenario.options
    assert (o.workers, o.strategy, o.defer_reverts, o.never_resolve, o.seed) == (
        2,
        fs.Strategy.STOP_THE_WORLD,
        False,
        True,
        0,
    )
    assert 1 <= len(fs.compile(scenario.flow, store=scenario.store)) <= 4


def retry_rounds(result: fs.Result) -> int:
    return sum(r.action is fs.Decision.RETRY for r in result.resolutions)


OUTCOMES: dict[str, Callable[[fs.Scenario], bool]] = {
    "SUCCESS": lambda s: simulate(s).flow_state is fs.FlowState.SUCCESS,
    "REVERTED": lambda s: simulate(s).flow_state is fs.FlowState.REVERTED,
    "FAILURE by a revert failure": lambda s: (
        simulate(s).flow_state is fs.FlowState.FAILURE and not s.options.never_resolve
    ),
    "FAILURE by never_resolve": lambda s: (
        simulate(s).flow_state is fs.FlowState.FAILURE and s.options.never_resolve
    ),
    "a retry round": lambda s: retry_rounds(simulate(s)) > 0,
    "SUCCESS after a retry round": lambda s: (
        (r := simulate(s)).flow_state is fs.FlowState.SUCCESS and retry_rounds(r) > 0
    ),
    "two-level escalation": lambda s: any(len(r.chain) >= 2 for r in simulate(s).resolutions),
    "a controller deciding REVERT_ALL": lambda s: any(
        d is fs.Decision.REVERT_ALL for r in simulate(s).resolutions for _, d in r.chain
    ),
    "an atom ignored by a decider": lambda s: (
        fs.AtomState.IGNORE in simulate(s).atom_final_states.values()
    ),
    "stop_the_world REVERTING": lambda s: any(
        e.subject == "flow" and e.state == "REVERTING" for e in simulate(s).events
    ),
    "ParameterizedForEach": lambda s: any(
        isinstance(a, fs.Retry) and isinstance(a.controller, fs.ParameterizedForEach)
        for a in atoms(s.flow)
    ),
    "a requirement only the store satisfies": lambda s: any(
        r in s.store for a in atoms(s.flow) for r in a.requires
    ),
    "a revert overlapping an execute": lambda s: overlap(simulate(s)),
}


def overlap(result: fs.Result) -> bool:
    running: set[str] = set()
    reverting: set[str] = set()
    for e in result.events:
        if e.subject != "atom":
            continue
        running.discard(e.name)
        reverting.discard(e.name)
        if e.state == "RUNNING":
            running.add(e.name)
        elif e.state == "REVERTING":
            reverting.add(e.name)
        if running and reverting:
            return True
    return False


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_scenarios_reach_every_outcome(outcome: str) -> None:
    find(fst.scenarios(), OUTCOMES[outcome], settings=REACH)


def test_a_failing_example_shrinks_to_a_handful_of_atoms() -> None:
    """Hypothesis finds a scenario that ends REVERTED after a retry round, then shrinks it:
    to a retry controller and one task, typically."""

    def reverted_after_a_retry(s: fs.Scenario) -> bool:
        result = simulate(s)
        return result.flow_state is fs.FlowState.REVERTED and retry_rounds(result) > 0

    scenario = find(
        fst.scenarios(),
        reverted_after_a_retry,
        settings=settings(QUIET, max_examples=2000),
    )
    assert len(fs.compile(scenario.flow, store=scenario.store)) <= 4
    assert scenario.options == fs.Options()  # options shrank to the defaults


def test_the_simplest_scenario_is_one_default_task() -> None:
    scenario = find(fst.scenarios(), lambda s: True, settings=QUIET)
    assert scenario == fs.Scenario(flow=fs.LinearFlow(name="flow", children=[fs.Task(name="t0")]))


# --------------------------------------------------------------------------- arguments


FLOW = fs.LinearFlow(name="f", children=[fs.Task(name="a")])

BAD: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
    (fst.dags, {"max_nodes": -1}, "dags(): max_nodes must be a whole number >= 0, got -1"),
    (fst.dags, {"min_nodes": True}, "min_nodes must be a whole number >= 0, got True"),
    (fst.dags, {"min_nodes": 5, "max_nodes": 2}, "lower min_nodes or raise max_nodes"),
    (fst.flows, {"max_atoms": 2.5}, "flows(): max_atoms must be a whole number >= 0"),
    (fst.flows, {"min_atoms": 9}, "min_atoms=9 is more than max_atoms=8"),
    (fst.flows, {"max_depth": 0}, "max_depth must be a whole number >= 1, got 0"),
    (fst.flows, {"links": "yes"}, "links must be True or False"),
    (fst.flows, {"controllers": [fs.ParameterizedForEach]}, "use scenarios(controllers=...)"),
    (fst.flows, {"controllers": [int]}, "pass [] for no retry controllers"),
    (fst.flows, {"controllers": "Times"}, "controllers must be a collection of controller"),
    (fst.scenarios, {"workers": [0]}, "workers holds 0: expected None (unlimited) or a whole"),
    (fst.scenarios, {"workers": []}, "workers must be a non-empty sequence"),
    (fst.scenarios, {"strategies": ["fast"]}, "strategies holds 'fast'"),
    (fst.scenarios, {"defer_reverts": [1]}, "defer_reverts holds 1: expected True or False"),
    (fst.scenarios, {"never_resolve": True}, "never_resolve must be a non-empty sequence"),
    (fst.scenarios, {"max_seed": -1}, "max_seed must be a whole number >= 0"),
    (fst.scenarios, {"max_call": 0}, "scenarios(): max_call must be a whole number >= 1"),
    (fst.scenarios, {"max_duration": None}, "max_duration must be a whole number >= 0"),
    (lambda **kw: fst.failure_plans(42, **kw), {}, "use flows().flatmap(failure_plans)"),
    (lambda **kw: fst.failure_plans(FLOW, **kw), {"always": 1}, "always must be True or"),
    (lambda **kw: fst.timings(fs.Task(name="a"), **kw), {}, "timings(): flow must be a flow"),
    (lambda **kw: fst.timings(FLOW, **kw), {"per_call": None}, "per_call must be True or"),
]


@pytest.mark.parametrize(("fn", "kwargs", "message"), BAD)
def test_bad_arguments_fail_when_the_strategy_is_made(
    fn: Callable[..., Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        fn(**kwargs)  # eagerly: nothing is drawn here


# --------------------------------------------------------------------------- README


def test_the_property_testing_page_example_runs() -> None:
    page = Path(__file__).parent.parent / "docs" / "property-testing.md"
    section = page.read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.*?)```", section, re.S)
    assert blocks, "no pycon example on the page"
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(verbose=False)
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README example {i}", "README.md", 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
