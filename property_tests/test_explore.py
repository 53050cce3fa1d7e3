"""flowsim.explore cross-checks: every trace simulate gives for drawn durations is one of
the interleavings timing="any" allows, and "any" reaches every outcome "given" does."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from support import replayable
from test_known_bugs import BUGS, _search

import flowsim as fs
from flowsim import strategies as fst
from flowsim.explore import _any, admits, apply_plan, explore
from flowsim.explore._given import outcome_of


@given(fst.scenarios(max_atoms=6, probabilities=True, distributions=True))
def test_every_simulated_trace_is_admitted(scenario: fs.Scenario) -> None:
    """Durations drawn by the strategy: the trace simulate gives, times left out, is one
    an engine with unknown durations may give."""
    with replayable(scenario, "explore-admits"):
        result = fs.simulate(scenario)
        assert admits(scenario, result) is True


@settings(max_examples=40)
@given(fst.scenarios(max_atoms=4, max_call=2))
def test_any_reaches_every_given_run(scenario: fs.Scenario) -> None:
    """Each plan's simulate run (timing="given", the same runs as simulate) is reached by
    the "any" search of that plan: its outcome is among the outcomes "any" finds, and
    neither finds a violation."""
    with replayable(scenario, "explore-any-given"):
        exact = explore(scenario, max_failures=1, progress=False)
        anyway = explore(scenario, max_failures=1, timing="any", progress=False)
        assert exact.violations == () and anyway.violations == ()
        assert set(exact.plans) <= set(anyway.plans)
        assert {o for o, _ in exact.outcomes} <= {o for o, _ in anyway.outcomes}
        for plan in exact.plans:  # "given" is simulate, run for run, and "any" admits it
            planned = apply_plan(scenario, plan)
            run = fs.simulate(planned)
            assert outcome_of(run) in {o for o, _ in exact.outcomes}
            assert admits(planned, run) is True


@settings(max_examples=150)
@given(fst.scenarios(max_atoms=5, max_call=2))
def test_the_partial_order_reduction_changes_only_the_transitions_computed(
    scenario: fs.Scenario,
) -> None:
    """With and without the reduction: the same plans, states, tree, interleavings,
    outcomes, no violation in either; fewer or as many transitions, and every choice spared
    computed anyway (``CHECK``) reaches the state the reduction assumed."""
    with replayable(scenario, "explore-por"):
        _any.CHECK = True
        try:
            reduced = explore(scenario, max_failures=1, timing="any", progress=False)
        finally:
            _any.CHECK = False
        full = explore(scenario, max_failures=1, timing="any", reduce=False, progress=False)
        same = ("plans", "states", "tree", "interleavings", "outcomes", "plan_outcomes", "runs")
        assert [getattr(reduced, a) for a in same] == [getattr(full, a) for a in same]
        assert reduced.violations == full.violations == ()
        assert (full.spared, reduced.transitions + reduced.spared) == (0, full.transitions)


def _without_failures(scenario: fs.Scenario) -> tuple[fs.Scenario, int]:
    """The scenario with every injected failure taken out, and how many listed calls
    failed in it (``"always"`` counts as one)."""
    listed = 0

    def clean(node: Any) -> Any:
        nonlocal listed
        if isinstance(node, fs.Task | fs.Retry):
            for spec in (node.fails_on, node.revert_fails_on):
                listed += 1 if spec == "always" else len(spec)
            return dataclasses.replace(node, fails_on=(), revert_fails_on=(), fail_probability=0.0)
        retry = None if node.retry is None else clean(node.retry)
        return dataclasses.replace(node, retry=retry, children=[clean(c) for c in node.children])

    flow = clean(scenario.flow)
    return dataclasses.replace(scenario, flow=flow), listed


PLANTED = (
    "forget to revert the failed task",
    "revert in forward order",
    "the highest free worker",
)


@pytest.mark.parametrize("name", PLANTED)
def test_a_planted_bug_is_found_on_a_flow_no_larger(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypothesis finds and shrinks a counterexample to a known engine bug; explore, run
    on that flow with its failures taken out, finds a violation under some plan of at most
    as many injected failures (two at least), on a flow of the same size."""
    bug = next(b for b in BUGS if b.name == name)
    shrunk, _ = _search(bug, monkeypatch)
    bare, listed = _without_failures(shrunk)
    ex = explore(bare, max_failures=max(listed, 2), progress=False)
    assert ex.violations, f"{name}: explore found nothing on\n{fs.scenario_to_dict(bare)}"
    first = ex.violations[0]
    assert len(fs.compile(first.scenario.flow, store=first.scenario.store)) == len(
        fs.compile(shrunk.flow, store=shrunk.store)
    )
    assert len(first.plan) <= max(listed, 2)
