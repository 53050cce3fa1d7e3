"""flowsim.explore cross-checks: every trace simulate gives for drawn durations is one of
the interleavings timing="any" allows, and "any" reaches every outcome "given" does."""

from __future__ import annotations

from hypothesis import given, settings
from support import replayable

import flowsim as fs
from flowsim import strategies as fst
from flowsim.explore import admits, apply_plan, explore
from flowsim.explore._given import outcome_of


@given(fst.scenarios(max_atoms=6))
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
