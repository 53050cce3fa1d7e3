"""The benchmark's workload runs the same schedule in flowsim and in the bare heapq loop.

``benchmarks/floor.py`` is an independent, small model of flowsim's same-time rule for
the benchmark's layered DAGs (see its docstring); ``make bench`` compares flowsim, SimPy
and that loop at every size. Here, at small sizes and without SimPy (a benchmark-only
extra), every task's start times and the makespan must be equal, exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import flowsim as fs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from floor import run_floor
from run import flowsim_starts
from workload import build_flow, make_workload


@pytest.mark.parametrize("n", [1, 50, 2_000])
@pytest.mark.parametrize("fail_p", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("workers", [1, 4, None])
def test_flowsim_and_the_heapq_loop_agree(n: int, fail_p: float, workers: int | None) -> None:
    w = make_workload(n, fail_p=fail_p, seed=7)
    result = fs.simulate(build_flow(w), workers=workers)
    assert result.flow_state is fs.FlowState.SUCCESS
    makespan, starts = run_floor(w, workers)
    assert (result.makespan, flowsim_starts(w.fails, result)) == (makespan, starts)
    assert sum(w.fails) == result.resolution_count
