"""flowsim.taskflow's conversion both ways, on real TaskFlow 6.5 objects and engines: exact
conversions per pattern, retry controller and link kind; every refusal's message; real runs
of the built flows against the simulation; the ``from-taskflow`` command."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import dataclasses
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import flowsim as fs
from flowsim import examples
from flowsim.cli._taskflow import add_parser
from flowsim.errors import CompileError, FlowsimError, ModelError, ScenarioError
from flowsim.files import load_scenario, scenario_to_dict
from flowsim.retries import HistoryEntry

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from taskflow import flow as tf_flow  # type: ignore[import-untyped]
    from taskflow import retry, task
    from taskflow.patterns import (  # type: ignore[import-untyped]
        graph_flow,
        linear_flow,
        unordered_flow,
    )

from flowsim.taskflow import (
    RealFlow,
    SimulatedFailure,
    StaticDecider,
    TaskFlowController,
    engine_options,
    from_taskflow,
    record,
    to_taskflow,
)

T = fs.Task
PARALLEL_POOL = 8


class Step(task.Task):  # type: ignore[misc]
    """A task that fails on the listed execute calls (1-based, over its life)."""

    def __init__(self, name: str, fails_on: tuple[int, ...] = (), **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.fails_on = fails_on
        self.calls = 0

    def execute(self, **kwargs: Any) -> None:
        self.calls += 1
        if self.calls in self.fails_on:
            raise RuntimeError(f"{self.name} fails")

    def revert(self, **kwargs: Any) -> None:
        pass


class Needs(task.Task):  # type: ignore[misc]
    def execute(self, x: Any) -> None:
        pass


@pytest.fixture(scope="module")
def pool() -> Iterator[cf.ThreadPoolExecutor]:
    # The parallel engine's own executor takes ~1 s to shut down after every run; a
    # shared concurrent.futures pool (TaskFlow accepts one as executor=) takes none.
    with cf.ThreadPoolExecutor(PARALLEL_POOL) as p:
        yield p


def _real(engine: Any, scenario: fs.Scenario) -> fs.Result:
    """Run ``engine`` recorded; the run as a Result of ``scenario``'s flow."""
    with record(engine) as rec, contextlib.suppress(Exception):  # REVERTED re-raises
        engine.run()
    assert rec.unrecorded == ()
    return rec.result(fs.compile(scenario.flow, store=scenario.store))


def _outcome(r: fs.Result) -> tuple[Any, ...]:
    return (
        str(r.flow_state),
        {k: str(v) for k, v in r.atom_final_states.items()},
        dict(r.executions),
        dict(r.reverts),
    )


# --------------------------------------------------------------------------- patterns


def test_linear_flow_converts_exactly() -> None:
    flow = linear_flow.Flow("f").add(Step("a", provides="x"), Needs("b"), Step("c"))
    s = from_taskflow(flow, durations={"a": 2, "c": [3, 1]}, failures={"c": [1]})
    assert s == fs.Scenario(
        flow=fs.LinearFlow(
            name="f",
            children=[
                T(name="a", duration=2, provides=["x"]),
                T(name="b", requires=["x"]),
                T(name="c", duration=[3, 1], fails_on=[1]),
            ],
        ),
        options=fs.Options(defer_reverts=False),
        name="f",
    )


def test_unordered_flow_nesting_and_name() -> None:
    flow = unordered_flow.Flow("u").add(
        Step("a"), linear_flow.Flow("sub").add(Step("b"), Step("c")), Step("d")
    )
    s = from_taskflow(flow, name="my scenario")
    assert s.name == "my scenario"
    assert s.flow == fs.UnorderedFlow(
        name="u",
        children=[
            T(name="a"),
            fs.LinearFlow(name="sub", children=[T(name="b"), T(name="c")]),
            T(name="d"),
        ],
    )


def test_graph_flow_inferred_links_stay_implicit_and_explicit_ones_are_kept() -> None:
    g = graph_flow.Flow("g")
    fetch, build, test, docs = (
        Step("fetch", provides="src"),
        Step("build", requires=["src"], provides="bin"),
        Step("test", requires=["bin"]),
        Step("docs"),
    )
    g.add(docs, fetch, build, test)
    g.link(docs, test)  # explicit
    g.link(fetch, build)  # explicit, and inferred too
    s = from_taskflow(g)
    assert s.flow == fs.GraphFlow(
        name="g",
        children=[
            T(name="docs"),
            T(name="fetch", provides=["src"]),
            T(name="build", requires=["src"], provides=["bin"]),
            T(name="test", requires=["bin"]),
        ],
        links=[fs.Link(source="docs", target="test"), fs.Link(source="fetch", target="build")],
    )
    c = fs.compile(s.flow)
    assert c.names == ("docs", "fetch", "build", "test")
    assert c.preds == ((), (), (1,), (0, 2))


def test_a_link_taskflow_infers_and_flowsim_would_not_becomes_explicit() -> None:
    # TaskFlow's linear flow requires "v" (x needs it before y provides it); flowsim's
    # subflow does not (it provides "v" itself), so only an explicit link keeps p -> sub.
    sub = linear_flow.Flow("sub").add(Step("x", requires=["v"]), Step("y", provides="v"))
    g = graph_flow.Flow("g").add(Step("p", provides="v"), sub)
    s = from_taskflow(g)
    assert isinstance(s.flow, fs.GraphFlow)
    assert s.flow.links == (fs.Link(source="p", target="sub"),)
    assert fs.compile(s.flow).preds == ((), (0,), (1,))


def test_graph_children_keep_the_order_they_were_added() -> None:
    g = graph_flow.Flow("g")
    b, a = Step("b", requires=["x"]), Step("a", provides="x")
    g.add(b, a)  # TaskFlow iterates a before b (topologically)
    assert [n.name for n in g] == ["a", "b"]
    assert [c.name for c in from_taskflow(g).flow.children] == ["b", "a"]


def test_requires_rebind_inject_priority_and_store() -> None:
    t = Needs("t", rebind={"x": "y"})
    t.priority = 3
    u = Step("u", requires=["k"], inject={"k": 1})
    s = from_taskflow(linear_flow.Flow("f").add(t, u), store={"y": 5})
    assert s.flow.children == (T(name="t", requires=["y"], priority=3), T(name="u"))
    assert dict(s.store) == {"y": 5}


def test_a_requirement_nothing_provides_is_flowsims_compile_error() -> None:
    with pytest.raises(CompileError) as e:
        from_taskflow(linear_flow.Flow("f").add(Needs("t")))
    assert str(e.value) == (
        "task 't' requires 'x', which nothing before it provides and the store does not "
        "hold; add a task that provides it, or a store value"
    )


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    ("made", "controller"),
    [
        (retry.Times(3, name="r"), fs.Times(attempts=3)),
        (retry.Times(2, name="r", revert_all=True), fs.Times(attempts=2, revert_all=True)),
        (retry.ForEach(["m1", "m2"], name="r"), fs.ForEach(values=["m1", "m2"])),
        (
            retry.ForEach([1, 1], name="r", revert_all=True),
            fs.ForEach(values=[1, 1], revert_all=True),
        ),
        (retry.AlwaysRevert(name="r"), fs.AlwaysRevert()),
        (retry.AlwaysRevertAll(name="r"), fs.AlwaysRevertAll()),
    ],
)
def test_builtin_retry_controllers_with_their_parameters(made: Any, controller: Any) -> None:
    s = from_taskflow(linear_flow.Flow("f", retry=made).add(Step("a")))
    assert s.flow.retry == fs.Retry(name="r", controller=controller)


def test_parameterized_for_each_takes_its_values_from_the_store_key_it_is_rebound_to() -> None:
    r = retry.ParameterizedForEach(name="r", rebind={"values": "hosts"}, provides="host")
    flow = linear_flow.Flow("f", retry=r).add(Step("a", requires=["host"]))
    s = from_taskflow(flow, store={"hosts": ["h1", "h2"]}, durations={"r": 0.5})
    assert s.flow.retry == fs.Retry(
        name="r",
        controller=fs.ParameterizedForEach(values_from="hosts"),
        provides=["host"],
        duration=0.5,
    )
    assert fs.simulate(s, defer_reverts=False).retry_values == {"r": ("h1",)}


def test_an_unnamed_retry_takes_taskflows_name() -> None:
    s = from_taskflow(linear_flow.Flow("f", retry=retry.Times(2)).add(Step("a")))
    assert s.flow.retry is not None and s.flow.retry.name == "f_retry"


class Budget(retry.Retry):  # type: ignore[misc]
    """RETRY while fewer than ``limit`` failures are in the history and "b" never failed;
    then REVERT_ALL (a decision on failure names and a store argument)."""

    def execute(self, history: Any, limit: int) -> int:
        return len(history) * 10

    def on_failure(self, history: Any, limit: int) -> Any:
        failed = [name for name, _ in history.outcomes_iter()]
        if "b" in failed or len(failed) >= limit:
            return retry.REVERT_ALL
        return retry.RETRY


def test_a_custom_retry_controller_is_wrapped_with_its_store_arguments() -> None:
    r = Budget(name="r")
    s = from_taskflow(linear_flow.Flow("f", retry=r).add(Step("a")), store={"limit": 3})
    assert s.flow.retry is not None
    c = s.flow.retry.controller
    assert isinstance(c, TaskFlowController)
    assert c.retry is r and dict(c.arguments) == {"limit": 3}
    assert c.execute((HistoryEntry(10),)) == 10
    assert [
        c.on_failure(h)
        for h in [
            (HistoryEntry(0, ("a",)),),
            (HistoryEntry(0, ("a",)), HistoryEntry(10, ("a",)), HistoryEntry(20, ("a",))),
            (HistoryEntry(0, ("b",)),),
        ]
    ] == [fs.Decision.RETRY, fs.Decision.REVERT_ALL, fs.Decision.REVERT_ALL]


@pytest.mark.parametrize("engine", ["serial", "parallel"])
@pytest.mark.parametrize(("limit", "b_fails"), [(3, ()), (3, (1,)), (2, ())])
def test_a_custom_retry_controller_decides_in_the_simulation_as_on_the_real_engine(
    engine: str, limit: int, b_fails: tuple[int, ...], pool: cf.ThreadPoolExecutor
) -> None:
    def build() -> Any:
        return unordered_flow.Flow("root").add(
            linear_flow.Flow("f", retry=Budget(name="r")).add(
                Step("a", fails_on=(1, 2)), Step("b", fails_on=b_fails)
            ),
            Step("c"),
        )

    failures = {"a": [1, 2], "b": list(b_fails)}
    s = from_taskflow(build(), store={"limit": limit}, failures=failures)
    sim = fs.simulate(s)
    kwargs = {"executor": pool} if engine == "parallel" else {}
    e = __import__("taskflow.engines").engines.load(
        build(), store={"limit": limit}, engine=engine, **kwargs
    )
    assert _outcome(_real(e, s)) == _outcome(sim)
    assert sim.executions["a"] == {(3, ()): 3, (3, (1,)): 3, (2, ()): 2}[(limit, b_fails)]


def test_a_custom_retry_controller_returning_no_decision_is_an_error() -> None:
    class Odd(retry.Retry):  # type: ignore[misc]
        def execute(self, history: Any) -> None:
            pass

        def on_failure(self, history: Any) -> str:
            return "MAYBE"

    flow = linear_flow.Flow("f", retry=Odd(name="r")).add(Step("a"))
    s = from_taskflow(flow, failures={"a": [1]})
    with pytest.raises(ModelError) as e:
        fs.simulate(s)
    assert str(e.value) == (
        "retry 'r': on_failure returned 'MAYBE'; expected a taskflow.retry.Decision "
        "(RETRY, REVERT or REVERT_ALL)"
    )


# --------------------------------------------------------------------------- deciders


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (None, fs.Depth.ALL),
        ("ATOM", fs.Depth.ATOM),
        ("flow", fs.Depth.FLOW),
        ("NEIGHBORS", fs.Depth.NEIGHBORS),
    ],
)
def test_a_decider_that_says_no_becomes_a_static_link_with_its_depth(
    depth: str | None, expected: fs.Depth
) -> None:
    a, b, c = Step("a"), Step("b"), Step("c")
    g = graph_flow.Flow("g").add(a, b, c)
    g.link(a, b, decider=lambda history: False, decider_depth=depth)
    g.link(b, c, decider=StaticDecider(True), decider_depth="ATOM")
    s = from_taskflow(g)
    assert isinstance(s.flow, fs.GraphFlow)
    assert s.flow.links == (
        fs.Link(source="a", target="b", decider=False, depth=expected),
        fs.Link(source="b", target="c", decider=True, depth=fs.Depth.ATOM),
    )


def test_a_decider_into_a_subflow_applies_there() -> None:
    a = Step("a")
    sub = linear_flow.Flow("sub", retry=retry.Times(2, name="r")).add(Step("x"))
    g = graph_flow.Flow("g").add(a, sub)
    g.link(a, sub, decider=lambda history: False, decider_depth="ATOM")
    r = fs.simulate(from_taskflow(g))
    assert {k: str(v) for k, v in r.atom_final_states.items()} == {
        "a": "SUCCESS",
        "r": "IGNORE",
        "x": "SUCCESS",
    }


def test_a_decider_reading_results_is_refused() -> None:
    a, b = Step("a"), Step("b")
    g = graph_flow.Flow("g").add(a, b)
    g.link(a, b, decider=lambda history: history["a"] is None)
    with pytest.raises(ModelError) as e:
        from_taskflow(g)
    assert str(e.value) == (
        "graph flow 'g': link 'a' -> 'b': its decider "
        "test_a_decider_reading_results_is_refused.<locals>.<lambda> reads the results of "
        "the link's source; flowsim has no task results, so its links only take a decider "
        "that always says the same (Link(decider=False)): decide outside the flow which "
        "links say no, and make those deciders constants"
    )


def test_a_decider_that_cannot_be_asked_is_refused() -> None:
    def no_history() -> bool:
        return False

    a, b = Step("a"), Step("b")
    g = graph_flow.Flow("g").add(a, b)
    g.link(a, b, decider=no_history)
    with pytest.raises(ModelError) as e:
        from_taskflow(g)
    assert str(e.value) == (
        "graph flow 'g': link 'a' -> 'b': its decider "
        "test_a_decider_that_cannot_be_asked_is_refused.<locals>.no_history raised "
        "TypeError: test_a_decider_that_cannot_be_asked_is_refused.<locals>.no_history() "
        "got an unexpected keyword argument 'history' when asked without results; expected "
        "a decider that always says the same"
    )


# --------------------------------------------------------------------------- refusals


class OddFlow(tf_flow.Flow):  # type: ignore[misc]
    def add(self, *items: Any) -> OddFlow:
        return self

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def iter_links(self) -> Iterator[Any]:
        return iter(())

    def iter_nodes(self) -> Iterator[Any]:
        return iter(())

    @property
    def requires(self) -> frozenset[str]:
        return frozenset()


def _refusal(flow: Any, **kwargs: Any) -> str:
    with pytest.raises(FlowsimError) as e:
        from_taskflow(flow, **kwargs)
    assert isinstance(e.value, ModelError)
    return str(e.value)


def test_refusals_name_the_atom_and_the_reason() -> None:
    assert _refusal(42) == (
        "from_taskflow() takes a TaskFlow flow (taskflow.patterns linear_flow, "
        "unordered_flow or graph_flow), got 42"
    )
    assert _refusal(linear_flow.Flow("f").add(OddFlow("odd"))) == (
        "flow 'odd': OddFlow is not one of TaskFlow's patterns flowsim models "
        "(linear_flow.Flow, unordered_flow.Flow, graph_flow.Flow)"
    )
    assert _refusal(
        linear_flow.Flow("f").add(Step("a"), linear_flow.Flow("s").add(Step("a")))
    ) == (
        "task 'a': the name is taken by a task; flowsim needs unique names across tasks, "
        "retry controllers and flows (TaskFlow checks atoms only): rename one of them"
    )
    assert _refusal(linear_flow.Flow("a").add(Step("a"))).startswith(
        "task 'a': the name is taken by a flow;"
    )
    assert _refusal(unordered_flow.Flow("f").add(retry.Times(2, name="r"))) == (
        "flow 'f': child 'r' is a retry controller; TaskFlow takes a retry controller only "
        "as a flow's retry="
    )
    r = retry.Times(2, name="r")
    r.priority = 1
    assert _refusal(linear_flow.Flow("f", retry=r).add(Step("a"))) == (
        "retry 'r': priority 1; flowsim's retry controllers run in the engine and have no "
        "priority (expected 0)"
    )
    bad = Step("a")
    bad.priority = 1.5
    assert _refusal(linear_flow.Flow("f").add(bad)) == (
        "task 'a': priority must be a whole number, got 1.5"
    )
    assert _refusal(linear_flow.Flow("f", retry=retry.Times("3", name="r")).add(Step("a"))) == (
        "retry 'r': Times: attempts must be a whole number, got '3'"
    )
    assert _refusal(linear_flow.Flow("f", retry=retry.ForEach({1}, name="r")).add(Step("a"))) == (
        "retry 'r': ForEach: values must be a list, got {1}"
    )


def test_retry_arguments_must_be_in_the_store() -> None:
    pfe = retry.ParameterizedForEach(name="r", rebind={"values": "hosts"})
    assert _refusal(linear_flow.Flow("f", retry=pfe).add(Step("a"))) == (
        "retry 'r': ParameterizedForEach takes its values from 'hosts', which the store does "
        "not hold; flowsim needs them in the store (from_taskflow(..., store={'hosts': [...]}))"
    )
    assert _refusal(linear_flow.Flow("f", retry=Budget(name="r")).add(Step("a"))) == (
        "retry 'r': Budget needs 'limit' (for its argument 'limit'), which the store does not "
        "hold; a simulation has no task results, so a custom retry controller can take its "
        "arguments from the store only"
    )


def test_links_flowsim_would_infer_but_taskflow_did_not_are_refused() -> None:
    g = graph_flow.Flow("g")
    g.add(Step("a", provides="x"), Step("c", requires=["x"]), resolve_requires=False)
    assert _refusal(g, store={"x": 1}) == (
        "graph flow 'g': 'c' requires 'x', which 'a' provides, but TaskFlow did not link "
        "'a' -> 'c' (another provider was linked, the retry controller provides it, or it was "
        "added with resolve_requires=False); flowsim links every provider of a required "
        "value: give the values distinct names"
    )
    g2 = graph_flow.Flow("g2")
    g2.add(Step("a", provides="x"))
    g2.add(Step("m", requires=["x"]))
    g2.add(Step("b", provides="x"))  # TaskFlow links only a -> m
    assert [(u.name, v.name) for u, v, _ in g2.iter_links()] == [("a", "m")]
    assert _refusal(g2).startswith("graph flow 'g2': 'm' requires 'x', which 'b' provides,")


def test_durations_and_failures_are_checked() -> None:
    flow = linear_flow.Flow("f", retry=retry.Times(2, name="r")).add(Step("a"))
    assert _refusal(flow, durations={"zz": 1}) == (
        "durations: the flow has no atom named 'zz'; its atoms are a, r"
    )
    assert _refusal(flow, failures={"f": [1]}) == (
        "failures: the flow has no atom named 'f'; its atoms are a, r"
    )
    assert _refusal(flow, durations={"a": {"duraton": 1}}) == (
        "durations['a']: unknown key 'duraton'; expected a duration or a mapping with "
        "duration and/or revert_duration"
    )
    assert _refusal(flow, failures={"a": {"fails": [1]}}) == (
        "failures['a']: unknown key 'fails'; expected fails_on (a list of call numbers or "
        "'always') or a mapping with fails_on, revert_fails_on and/or fail_probability"
    )
    assert _refusal(flow, durations={"a": -1}) == "task 'a': duration must be >= 0, got -1"
    assert _refusal(flow, durations=[1]) == "from_taskflow(): durations must be a mapping, got [1]"
    s = from_taskflow(
        flow,
        durations={"a": {"duration": fs.Uniform(low=1, high=2), "revert_duration": 3}},
        failures={"a": {"revert_fails_on": "always", "fail_probability": 0.5}, "r": "always"},
    )
    assert s.flow.children == (
        T(
            name="a",
            duration=fs.Uniform(low=1, high=2),
            revert_duration=3,
            revert_fails_on="always",
            fail_probability=0.5,
        ),
    )
    assert s.flow.retry == fs.Retry(name="r", controller=fs.Times(attempts=2), fails_on="always")


# --------------------------------------------------------------------------- to_taskflow


@pytest.mark.parametrize("name", examples.names())
def test_round_trip_gives_back_every_example(name: str) -> None:
    s = examples.load(name)
    rf = to_taskflow(s)
    assert isinstance(rf, RealFlow)
    back = from_taskflow(rf.flow, store=rf.store)
    assert back.flow == s.flow
    assert back.store == s.store


class Coin:
    """A custom flowsim controller: RETRY while the last value is even."""

    def execute(self, history: Any) -> int:
        return len(history)

    def on_failure(self, history: Any) -> fs.Decision:
        return fs.Decision.RETRY if history[-1].value % 2 == 0 else fs.Decision.REVERT


RICH = fs.Scenario(
    flow=fs.GraphFlow(
        name="rich",
        children=[
            T(name="a", duration=[2, 1], provides=["x"], priority=2),
            fs.LinearFlow(
                name="tries",
                retry=fs.Retry(
                    name="pfe",
                    controller=fs.ParameterizedForEach(values_from="hosts", revert_all=True),
                    provides=["host"],
                    duration=0.5,
                ),
                children=[T(name="b", requires=["x", "host"], fails_on=[1])],
            ),
            fs.UnorderedFlow(
                name="u",
                retry=fs.Retry(name="always", controller=fs.AlwaysRetry(), fails_on=[2]),
                children=[T(name="c", duration=fs.Exponential(mean=1), fail_probability=0.25)],
            ),
            fs.LinearFlow(
                name="w",
                retry=fs.Retry(name="coin", controller=Coin()),
                children=[T(name="d", revert_fails_on=[1])],
            ),
            fs.LinearFlow(
                name="z",
                retry=fs.Retry(name="all", controller=fs.AlwaysRevertAll()),
                children=[T(name="e")],
            ),
        ],
        links=[
            fs.Link(source="a", target="u", decider=False, depth=fs.Depth.ATOM),
            fs.Link(source="a", target="w"),
            fs.Link(source="tries", target="z", decider=True, depth=fs.Depth.FLOW),
        ],
    ),
    store={"hosts": ["h1", "h2"]},
)


def test_round_trip_of_every_kind_of_atom_and_link() -> None:
    rf = to_taskflow(RICH)
    back = from_taskflow(rf.flow, store=rf.store)
    assert back.flow == RICH.flow
    assert back.flow.children[3].retry.controller is RICH.flow.children[3].retry.controller  # type: ignore[union-attr]


def test_several_providers_of_a_value_become_explicit_links_on_taskflow() -> None:
    s = fs.Scenario(
        flow=fs.GraphFlow(
            name="g",
            children=[
                T(name="a", provides=["x"]),
                T(name="b", provides=["x"]),
                T(name="c", requires=["x"]),
            ],
        )
    )
    rf = to_taskflow(s)  # TaskFlow's own inference would raise AmbiguousDependency
    assert [(u.name, v.name, m) for u, v, m in rf.flow.iter_links()] == [
        ("a", "c", {"manual": True}),
        ("b", "c", {"manual": True}),
    ]
    back = from_taskflow(rf.flow)
    assert back.flow == dataclasses.replace(
        s.flow, links=[fs.Link(source="a", target="c"), fs.Link(source="b", target="c")]
    )


def _examples_and_options() -> list[tuple[str, fs.Options]]:
    cases = []
    for name in examples.names():
        for o in (
            fs.Options(),
            fs.Options(defer_reverts=False),
            fs.Options(never_resolve=True),
        ):
            cases.append((name, o))
    return cases


@pytest.mark.parametrize("engine", ["parallel", "serial"])
@pytest.mark.parametrize(("name", "options"), _examples_and_options())
def test_a_real_run_of_every_example_ends_as_the_simulation_predicts(
    name: str, options: fs.Options, engine: str, pool: cf.ThreadPoolExecutor
) -> None:
    s = examples.load(name)
    sim = fs.simulate(s, defer_reverts=options.defer_reverts, never_resolve=options.never_resolve)
    kwargs = {"executor": pool} if engine == "parallel" else {}
    e = to_taskflow(s, time_scale=0.002).load(engine=engine, options=options, **kwargs)
    assert _outcome(_real(e, s)) == _outcome(sim)


def test_stop_the_world_has_no_taskflow_engine() -> None:
    with pytest.raises(ModelError) as e:
        to_taskflow(examples.load("blueprint")).load(options=fs.Options(strategy="stop_the_world"))
    assert str(e.value) == (
        "engine_options(): TaskFlow has no stop_the_world strategy (flowsim's model of the "
        "engine the blueprint replaced); only smart runs on TaskFlow: simulate "
        "stop_the_world, or pass strategy='smart'"
    )


def test_engine_options() -> None:
    assert engine_options(None) == {}
    assert engine_options(fs.Options()) == {"defer_reverts": True, "never_resolve": False}
    assert engine_options(fs.Options(workers=3, defer_reverts=False, never_resolve=True)) == {
        "defer_reverts": False,
        "never_resolve": True,
        "max_workers": 3,
    }
    with pytest.raises(ModelError) as e:
        engine_options({"workers": 2})  # type: ignore[arg-type]
    assert str(e.value) == "engine_options() takes flowsim Options or None, got {'workers': 2}"


def test_load_passes_the_options_to_a_real_parallel_engine() -> None:
    e = to_taskflow(examples.load("blueprint"), time_scale=0).load(
        options=fs.Options(workers=2, defer_reverts=False)
    )
    assert type(e).__name__ == "ParallelActionEngine"
    assert dict(e.options) == {"defer_reverts": False, "never_resolve": False, "max_workers": 2}
    e.run()
    assert e.storage.get_flow_state() == "SUCCESS"


@pytest.mark.parametrize("engine", ["parallel", "serial"])
def test_taskflows_workers_limit_threads_not_what_starts(engine: str) -> None:
    # TaskFlow submits every ready task at once (RUNNING) and a queued one runs when a
    # thread frees, even after a failure was resolved meanwhile; flowsim's workers limit
    # what starts. So a real run with max_workers=1 (or the serial engine) ends as the
    # simulation with unlimited workers, not with workers=1: in revert-failure,
    # warm_cache runs and is reverted instead of staying PENDING.
    s = examples.load("revert-failure")
    e = to_taskflow(s, time_scale=0.002).load(engine=engine, options=fs.Options(workers=1))
    real = _outcome(_real(e, s))
    assert real == _outcome(fs.simulate(s, workers=None))
    assert real != _outcome(fs.simulate(s, workers=1))
    assert real[1]["warm_cache"] == "REVERTED"
    assert fs.simulate(s, workers=1).atom_final_states["warm_cache"] == "PENDING"


def test_two_loads_are_two_independent_runs() -> None:
    s = fs.Scenario(
        flow=fs.LinearFlow(
            name="f",
            retry=fs.Retry(name="r", controller=fs.Times(attempts=2)),
            children=[T(name="a", fails_on=[1])],
        )
    )
    rf = to_taskflow(s, time_scale=0)
    first, second = rf.load(engine="serial"), rf.load(engine="serial")
    runs = [_outcome(_real(first, s)), _outcome(_real(second, s))]
    assert runs[0] == runs[1] == _outcome(fs.simulate(s))
    assert runs[0][2] == {"r": 2, "a": 2}


def test_probabilistic_failures_and_random_durations_fail_where_the_simulation_does() -> None:
    def scenario(seed: int) -> fs.Scenario:
        return fs.Scenario(
            flow=fs.LinearFlow(
                name="f",
                retry=fs.Retry(name="r", controller=fs.Times(attempts=6)),
                children=[
                    T(name="a", duration=fs.Uniform(low=0, high=2), fail_probability=0.5),
                    T(name="b", revert_duration=fs.Exponential(mean=1), fail_probability=0.3),
                ],
            ),
            options=fs.Options(seed=seed),
        )

    seen = set()
    for seed in range(6):
        s = scenario(seed)
        sim = fs.simulate(s)
        seen.add((sim.executions["a"], str(sim.flow_state)))
        real = _real(to_taskflow(s, time_scale=0).load(engine="serial"), s)
        assert _outcome(real) == _outcome(sim)
    assert len(seen) >= 3  # the seeds give different runs: the test can tell them apart


def test_every_provided_name_gets_the_whole_result_on_the_real_engine() -> None:
    s = fs.Scenario(
        flow=fs.LinearFlow(
            name="f",
            retry=fs.Retry(
                name="r", controller=fs.ForEach(values=["v1", "v2"]), provides=["p", "q"]
            ),
            children=[T(name="a", provides=["x", "y"]), T(name="b", requires=["x", "p", "q"])],
        )
    )
    e = to_taskflow(s, time_scale=0).load(engine="serial")
    e.run()
    assert e.storage.fetch_all() == {"x": None, "y": None, "p": "v1", "q": "v1"}
    assert from_taskflow(e._flow).flow == s.flow


def test_the_tasks_fail_with_simulated_failure() -> None:
    s = fs.Scenario(flow=fs.LinearFlow(name="f", children=[T(name="a", revert_fails_on=[1])]))
    rf = to_taskflow(s, time_scale=0)
    (a,) = list(rf.flow)
    a.execute()
    with pytest.raises(SimulatedFailure) as e:
        a.revert()
    assert str(e.value) == "a: revert call 1 fails (as the scenario says)"


def test_to_taskflow_refusals() -> None:
    with pytest.raises(ModelError) as e:
        to_taskflow(examples.load("blueprint").flow)  # type: ignore[arg-type]
    assert str(e.value).startswith("to_taskflow() takes a flowsim Scenario, got LinearFlow(")
    for bad in (-1, float("inf"), "1", True):
        with pytest.raises(ModelError) as e:
            to_taskflow(examples.load("blueprint"), time_scale=bad)  # type: ignore[arg-type]
        assert str(e.value) == (
            "to_taskflow(): time_scale must be a finite number >= 0 (seconds per time unit), "
            f"got {bad!r}"
        )


# --------------------------------------------------------------------------- the CLI

FACTORIES = """
from taskflow import retry, task
from taskflow.patterns import linear_flow

class Step(task.Task):
    def execute(self, **kwargs):
        pass

def build():
    return linear_flow.Flow("f", retry=retry.Times(2, name="r")).add(
        Step("a", requires=["k"]), Step("b"))

def boom():
    raise RuntimeError("no flow today")

def number():
    return 42

class Custom(retry.Retry):
    def execute(self, history):
        pass
    def on_failure(self, history):
        return retry.RETRY

def custom():
    return linear_flow.Flow("f", retry=Custom(name="c")).add(Step("a"))

CONSTANT = 3
"""


@pytest.fixture
def factories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "userflows.py").write_text(FACTORIES, encoding="utf-8")
    (tmp_path / "brokenflows.py").write_text("raise ValueError('bad module')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    for mod in ("userflows", "brokenflows"):
        sys.modules.pop(mod, None)


def _cli(*argv: str) -> int:
    p = argparse.ArgumentParser()
    add_parser(p.add_subparsers())
    a = p.parse_args(["from-taskflow", *argv])
    code: int = a.handler(a)
    return code


def test_cli_writes_the_scenario(factories: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("userflows:build", "--store", '{"k": 1}', "-o", "s.json") == 0
    s = load_scenario(factories / "s.json")
    assert s.flow == fs.LinearFlow(
        name="f",
        retry=fs.Retry(name="r", controller=fs.Times(attempts=2)),
        children=[T(name="a", requires=["k"]), T(name="b")],
    )
    assert dict(s.store) == {"k": 1} and s.options == fs.Options(defer_reverts=False)
    assert capsys.readouterr().out == ""
    assert _cli("userflows:build", "--store", '{"k": 1}') == 0
    assert json.loads(capsys.readouterr().out) == scenario_to_dict(s)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["nosuch:build"],
            "nosuch:build: cannot import module 'nosuch': no such module in {cwd} or on sys.path",
        ),
        (
            ["brokenflows:build"],
            "brokenflows:build: importing module 'brokenflows' failed: ValueError: bad module",
        ),
        (["userflows"], "userflows: expected MODULE:FACTORY, e.g. myflows:build_flow"),
        (
            ["userflows:missing"],
            "userflows:missing: module 'userflows' has no attribute 'missing'; expected a "
            "function that returns a TaskFlow flow",
        ),
        (
            ["userflows:CONSTANT"],
            "userflows:CONSTANT: 'CONSTANT' is a int, not callable; expected a function that "
            "returns a TaskFlow flow",
        ),
        (
            ["userflows:boom"],
            "userflows:boom: calling the factory raised RuntimeError: no flow today",
        ),
        (
            ["userflows:number"],
            "userflows:number: the factory returned int 42; expected a TaskFlow flow "
            "(linear_flow, unordered_flow or graph_flow)",
        ),
        (
            ["userflows:build", "--store", "{k: 1}"],
            "--store: not JSON (Expecting property "
            "name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
        (
            ["userflows:build", "--store", "[1]"],
            "--store: expected a JSON object (store key -> value), got list [1]",
        ),
        (
            ["userflows:build"],
            "task 'a' requires 'k', which nothing before it provides and the store does not "
            "hold; add a task that provides it, or a store value",
        ),
        (
            ["userflows:custom"],
            "retry 'c': its controller TaskFlowController is not one of flowsim's built-in "
            "controllers (Times, ForEach, ParameterizedForEach, AlwaysRevert, AlwaysRevertAll, "
            "AlwaysRetry), so it cannot be saved to a scenario file; use a built-in controller "
            "or keep this scenario in Python",
        ),
        (
            ["userflows:build", "--store", '{"k": 1}', "-o", "nodir/s.json"],
            "nodir/s.json: cannot write scenario file: No such file or directory",
        ),
    ],
)
def test_cli_bad_input_is_one_message_and_writes_nothing(
    factories: Path, argv: list[str], message: str
) -> None:
    (factories / "old.json").write_text("keep me", encoding="utf-8")
    before = sorted(p.name for p in factories.iterdir())
    with pytest.raises(FlowsimError) as e:
        _cli(*argv)
    assert str(e.value) == message.format(cwd=factories)
    assert sorted(p.name for p in factories.iterdir() if p.name != "__pycache__") == [
        n for n in before if n != "__pycache__"
    ]
    assert (factories / "old.json").read_text(encoding="utf-8") == "keep me"


def test_cli_never_leaves_a_half_written_file(factories: Path) -> None:
    (factories / "taken").mkdir()
    with pytest.raises(ScenarioError) as e:
        _cli("userflows:build", "--store", '{"k": 1}', "-o", "taken")
    assert str(e.value) == "taken: cannot write scenario file: Is a directory"
    assert sorted(p.name for p in factories.iterdir() if p.name != "__pycache__") == [
        "brokenflows.py",
        "taken",
        "userflows.py",
    ]
    assert list((factories / "taken").iterdir()) == []


def test_cli_without_taskflow_says_what_to_install(
    factories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "taskflow", None)  # what an install without it gives
    monkeypatch.delitem(sys.modules, "flowsim.taskflow")
    with pytest.raises(ScenarioError) as e:
        _cli("userflows:build")
    assert str(e.value) == (
        'from-taskflow: flowsim.taskflow needs TaskFlow: pip install "flowsim[taskflow]"'
    )


def test_the_cli_module_does_not_import_taskflow() -> None:
    code = "import sys, flowsim.cli._taskflow; print('taskflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout == "False\n"
