"""A recorded real run of every bundled example on TaskFlow 6.5's parallel engine
(``to_taskflow(scenario).load(...)``, durations in milliseconds): it checks clean under
the example's own options, and its outcome (final flow state, final atom states, execute
and revert counts) is the simulation's. No example shows a documented TaskFlow defect
(docs/taskflow-record.md): none has a decider, and in each the failure that runs
concurrently with a sibling is resolved before anything downstream becomes ready, so the
outcome is the same whatever the real clock says."""

from __future__ import annotations

import pytest

import flowsim as fs
from flowsim import examples
from flowsim.checks import check
from flowsim.taskflow import record, to_taskflow


@pytest.mark.parametrize("name", examples.names())
def test_a_real_run_of_the_example_checks_clean(name: str) -> None:
    scenario = examples.load(name)
    sim = fs.simulate(scenario)
    engine = to_taskflow(scenario).load(engine="parallel", options=scenario.options)
    raised: list[Exception] = []
    with record(engine) as rec:
        try:
            engine.run()
        except Exception as exc:  # a flow that does not end SUCCESS re-raises its failures
            raised.append(exc)
    trace = rec.trace()
    assert check(scenario, trace) == []
    real = rec.result(sim.compiled)
    assert (real.flow_state, real.atom_final_states, real.executions, real.reverts) == (
        sim.flow_state,
        sim.atom_final_states,
        sim.executions,
        sim.reverts,
    )
    assert engine.storage.get_flow_state() == sim.flow_state
    assert bool(raised) == (sim.flow_state != "SUCCESS")
