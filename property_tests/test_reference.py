"""Differential agreement: flowsim's engine and the reference interpreter give the same run.

The scenarios come from :func:`flowsim.strategies.scenarios` (with random durations and
failure probabilities switched on), from a generator of this module that also draws runs
the engine refuses, from the bundled examples under every option, and from a few corner
cases. Example counts come from the Hypothesis profile (``property_tests/conftest.py``).

For every generated scenario both must agree on the final flow state, the makespan, the
per-atom final states, execution and revert counts, retry values, worker busy time, every
resolution, and every event (time, subject, name, state, attempt, worker), in order. A
run that one of them refuses (event budget, a bad controller) must be refused by both.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from reference import RefResult, run

from flowsim import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Depth,
    EventBudgetExceeded,
    FlowsimError,
    ForEach,
    GraphFlow,
    LinearFlow,
    Link,
    Options,
    ParameterizedForEach,
    Result,
    Retry,
    Scenario,
    Strategy,
    Task,
    Times,
    Uniform,
    UnorderedFlow,
    examples,
    scenario_to_dict,
    simulate,
)
from flowsim import strategies as fst

_BUDGET = 4000  # events; AlwaysRetry around an always-failing task must stop soon


# --------------------------------------------------------------------------- comparison


def _engine_side(result: Result) -> dict[str, Any]:
    return {
        "flow_state": result.flow_state,
        "makespan": result.makespan,
        "executions": dict(result.executions),
        "reverts": dict(result.reverts),
        "atom_final_states": dict(result.atom_final_states),
        "retry_values": dict(result.retry_values),
        "worker_busy": dict(result.worker_busy),
        "events": [
            (e.time, e.subject, e.name, e.state, e.attempt, e.worker) for e in result.events
        ],
        "resolutions": [
            (r.time, r.seq, r.failed, r.chain, r.action, r.retry, r.scope)
            for r in result.resolutions
        ],
    }


def _reference_side(result: RefResult) -> dict[str, Any]:
    return {
        "flow_state": result.flow_state,
        "makespan": result.makespan,
        "executions": result.executions,
        "reverts": result.reverts,
        "atom_final_states": result.atom_final_states,
        "retry_values": result.retry_values,
        "worker_busy": result.worker_busy,
        "events": [tuple(e) for e in result.events],
        "resolutions": [
            (r.time, r.seq, r.failed, r.chain, r.action, r.retry, r.scope)
            for r in result.resolutions
        ],
    }


def _per_atom(events: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for time, _, name, state, attempt, _ in events:
        out.setdefault(name, []).append((time, state, attempt))
    return out


def _replay(scenario: Scenario) -> str:
    text = json.dumps(scenario_to_dict(scenario), indent=1)
    return (
        f"scenario:\n{text}\n"
        "replay: save it as s.json and run `flowsim run s.json` "
        "(reference: `python -c 'import reference, flowsim; "
        'print(reference.run(flowsim.load_scenario("s.json")))\'` in property_tests/)'
    )


def assert_agree(scenario: Scenario) -> None:
    """Run both implementations on ``scenario`` and fail with a replayable report if they
    disagree."""
    try:
        mine: dict[str, Any] | type[BaseException] = _engine_side(simulate(scenario))
    except FlowsimError as exc:
        mine = type(exc)
    try:
        ref: dict[str, Any] | type[BaseException] = _reference_side(run(scenario))
    except FlowsimError as exc:
        ref = type(exc)
    if isinstance(mine, type) or isinstance(ref, type):
        assert mine == ref, f"engine: {mine!r}, reference: {ref!r}\n{_replay(scenario)}"
        return
    # the most readable differences first
    for key in ("flow_state", "atom_final_states", "executions", "reverts", "retry_values"):
        assert mine[key] == ref[key], f"{key} differ\n{_replay(scenario)}"
    engine_atoms, ref_atoms = _per_atom(mine["events"]), _per_atom(ref["events"])
    for name in sorted(set(engine_atoms) | set(ref_atoms)):
        assert engine_atoms.get(name) == ref_atoms.get(name), (
            f"state sequence of {name!r} differs:\n engine    {engine_atoms.get(name)}\n"
            f" reference {ref_atoms.get(name)}\n{_replay(scenario)}"
        )
    for key in ("events", "resolutions", "makespan", "worker_busy"):
        assert mine[key] == ref[key], f"{key} differ\n{_replay(scenario)}"


# --------------------------------------------------------------------------- generator
#
# Small nested flows: every pattern, every built-in controller, execute and revert
# failures, zero and tied durations, per-call and random durations, priorities, links and
# static deciders. Sizes are drawn first, so failing examples shrink to a few atoms.

_small = st.integers(min_value=0, max_value=3).map(float)
_durations = st.one_of(
    _small,
    st.lists(_small, min_size=1, max_size=3),
    st.builds(Uniform, low=st.just(0.0), high=st.sampled_from([1.0, 2.0])),
)
_calls = st.lists(st.integers(min_value=1, max_value=3), max_size=2)


@st.composite
def _scenarios(draw: st.DrawFn, max_atoms: int = 8, max_depth: int = 3) -> Scenario:
    names = (f"n{k}" for k in itertools.count())
    budget = draw(st.integers(min_value=1, max_value=max_atoms))
    store: dict[str, Any] = {}

    def task() -> Task:
        fails: Any = draw(
            st.one_of(_calls, st.just("always")) if draw(st.booleans()) else st.just(())
        )
        return Task(
            name=next(names),
            duration=draw(_durations),
            revert_duration=draw(_durations),
            fails_on=fails,
            revert_fails_on=draw(_calls) if draw(st.integers(0, 5)) == 0 else (),
            fail_probability=draw(st.sampled_from([0.0, 0.0, 0.0, 0.5])),
            priority=draw(st.integers(min_value=-1, max_value=1)),
        )

    def retry() -> Retry:
        kind = draw(
            st.sampled_from(
                ["times", "times", "for_each", "param", "revert", "revert_all", "always_retry"]
            )
        )
        revert_all = draw(st.booleans())
        name = next(names)
        controller: Any
        if kind == "times":
            controller = Times(attempts=draw(st.integers(0, 3)), revert_all=revert_all)
        elif kind == "for_each":
            controller = ForEach(
                values=draw(st.lists(st.integers(0, 2), max_size=3)), revert_all=revert_all
            )
        elif kind == "param":
            store[f"values_{name}"] = draw(st.lists(st.integers(0, 2), max_size=3))
            controller = ParameterizedForEach(values_from=f"values_{name}", revert_all=revert_all)
        elif kind == "revert":
            controller = AlwaysRevert()
        elif kind == "revert_all":
            controller = AlwaysRevertAll()
        else:
            controller = AlwaysRetry()
        return Retry(
            name=name,
            controller=controller,
            duration=draw(st.sampled_from([0.0, 0.0, 1.0])),
            revert_duration=draw(st.sampled_from([0.0, 0.0, 1.0])),
            fails_on=draw(_calls) if draw(st.integers(0, 6)) == 0 else (),
            revert_fails_on=draw(_calls) if draw(st.integers(0, 8)) == 0 else (),
        )

    def flow(depth: int) -> Any:
        nonlocal budget
        pattern = draw(st.sampled_from(["linear", "unordered", "graph"]))
        name = next(names)
        guard = retry() if draw(st.booleans()) else None
        children: list[Any] = []
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            if budget <= 0:
                break
            if depth < max_depth and draw(st.integers(0, 2)) == 0:
                children.append(flow(depth + 1))
            else:
                budget -= 1
                children.append(task())
        if pattern == "linear":
            return LinearFlow(name=name, retry=guard, children=children)
        if pattern == "unordered":
            return UnorderedFlow(name=name, retry=guard, children=children)
        # acyclic by construction: links go forward in a drawn permutation of the children
        order = draw(st.permutations([c.name for c in children]))
        links = []
        for a, b in itertools.combinations(range(len(order)), 2):
            if draw(st.integers(0, 2)) == 0:
                no = draw(st.integers(0, 4)) == 0
                depth_ = draw(st.sampled_from(list(Depth)))
                links.append(Link(source=order[a], target=order[b], decider=not no, depth=depth_))
        return GraphFlow(name=name, retry=guard, children=children, links=links)

    root = flow(0)
    options = Options(
        workers=draw(st.sampled_from([None, 1, 2, 3])),
        seed=draw(st.integers(min_value=0, max_value=3)),
        defer_reverts=draw(st.booleans()),
        never_resolve=draw(st.integers(0, 4)) == 0,
        strategy=draw(st.sampled_from(list(Strategy))),
        event_budget=_BUDGET,
    )
    return Scenario(flow=root, options=options, store=store)


# --------------------------------------------------------------------------- properties


@given(fst.scenarios(max_atoms=8, probabilities=True, distributions=True))
def test_engine_and_reference_agree_on_generated_scenarios(scenario: Scenario) -> None:
    event(f"flow {simulate(scenario).flow_state}")
    assert_agree(scenario)


@given(_scenarios())
def test_engine_and_reference_agree_also_on_runs_they_refuse(scenario: Scenario) -> None:
    # flowsim.strategies never draws a run that overruns its event budget; this generator
    # does (AlwaysRetry around "always", fail_probability under any controller), so a
    # refusal must be the same on both sides.
    assert_agree(scenario)


@pytest.mark.parametrize("name", examples.names())
@pytest.mark.parametrize("workers", [None, 1, 2])
@pytest.mark.parametrize("strategy", list(Strategy))
@pytest.mark.parametrize("defer_reverts", [True, False])
@pytest.mark.parametrize("never_resolve", [False, True])
def test_engine_and_reference_agree_on_bundled_examples(
    name: str, workers: int | None, strategy: Strategy, defer_reverts: bool, never_resolve: bool
) -> None:
    base = examples.load(name)
    options = replace(
        base.options,
        workers=workers,
        strategy=strategy,
        defer_reverts=defer_reverts,
        never_resolve=never_resolve,
    )
    assert_agree(replace(base, options=options))


def _ignored_checkpoint(defer_reverts: bool) -> Scenario:
    # A decider with depth "atom" on a link into a subflow ignores only its retry
    # controller; the subflow still runs, and its failure is decided by the ignored
    # controller, which says RETRY but, being IGNORE, can never retry.
    sub = LinearFlow(
        name="sub",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="x", fails_on=[1])],
    )
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), sub],
        links=[Link(source="a", target="sub", decider=False, depth=Depth.ATOM)],
    )
    return Scenario(flow=flow, options=Options(defer_reverts=defer_reverts))


def _budget_overrun() -> Scenario:
    flow = LinearFlow(
        name="f",
        retry=Retry(name="R", controller=AlwaysRetry()),
        children=[Task(name="x", fails_on="always")],
    )
    return Scenario(flow=flow, options=Options(event_budget=50))


@pytest.mark.parametrize(
    "scenario",
    [_ignored_checkpoint(True), _ignored_checkpoint(False), _budget_overrun()],
    ids=["ignored-checkpoint-deferred", "ignored-checkpoint-local", "budget-overrun"],
)
def test_engine_and_reference_agree_on_corner_cases(scenario: Scenario) -> None:
    assert_agree(scenario)


def test_the_reference_tells_the_blueprint_story() -> None:
    # Not only agreement: the reference on its own reproduces README's numbers.
    smart = run(examples.load("blueprint"))
    stopped = run(examples.load("blueprint"), strategy="stop_the_world")
    assert (str(smart.flow_state), smart.makespan) == ("SUCCESS", 7.0)
    assert (str(stopped.flow_state), stopped.makespan) == ("SUCCESS", 10.0)
    assert smart.retry_values == {"checkpoint": (1, 2)}
    assert [e.state for e in stopped.events if e.subject == "flow"] == [
        "RUNNING",
        "REVERTING",
        "RUNNING",
        "SUCCESS",
    ]
    with pytest.raises(EventBudgetExceeded):
        run(_budget_overrun())
