"""The engine's shortcuts change nothing: every run equals the run without them.

* ``lazy``: without deciders, a retry's resolution and retry round touch only the atoms of
  the retry's own flow, not the (PENDING) atoms after it (``engine._Run.settled``).
  Checked against the same engine touching the whole scope.
* ``simulate(trace=False)`` keeps the same summary and counts as a full-trace run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from support import replayable

import flowsim as fs
from flowsim import strategies as fst
from flowsim.engine import _Run


def _everything(result: fs.Result) -> dict[str, Any]:
    return {
        "summary": _summary(result),
        "trace": result.traced().to_dict(),
    }


def _summary(result: fs.Result) -> dict[str, Any]:
    return {
        "flow_state": result.flow_state,
        "makespan": result.makespan,
        "executions": dict(result.executions),
        "reverts": dict(result.reverts),
        "atom_final_states": dict(result.atom_final_states),
        "retry_values": dict(result.retry_values),
        "worker_busy": dict(result.worker_busy),
        "wasted_work": result.wasted_work,
        "event_count": result.event_count,
        "resolution_count": result.resolution_count,
    }


@given(fst.scenarios(deciders=False, probabilities=True, max_atoms=10))
def test_lazy_scopes_change_no_trace(scenario: fs.Scenario) -> None:
    with replayable(scenario, "lazy-scopes"):
        compiled = fs.compile(scenario.flow, store=scenario.store)
        lazy = _Run(compiled, scenario.options, lazy=True)
        assert lazy.lazy
        full = _Run(compiled, scenario.options, lazy=False)
        assert _everything(lazy.run()) == _everything(full.run())


@given(fst.scenarios(probabilities=True))
def test_trace_false_keeps_summary_and_counts(scenario: fs.Scenario) -> None:
    with replayable(scenario, "trace-false"):
        full = fs.simulate(scenario)
        light = fs.simulate(scenario, trace=False)
        assert light.trace is None
        assert _summary(light) == _summary(full)
        assert full.event_count == len(full.events)
        assert full.resolution_count == len(full.resolutions)
        assert replace(light, trace=full.trace).to_dict() == full.to_dict()
