"""flowsim.explore's goals (issue 19): states per second, and two exhaustive searches.

- ``blueprint``: the bundled blueprint, ``max_failures=2``, ``timing="any"``, fully
  explored (goal: under 1 s).
- ``nested10``: :func:`nested10`, a 10-atom flow with two nested checkpoints,
  ``max_failures=2``, ``timing="any"`` (goal: under 60 s).
- ``given``: every bundled example, ``max_failures=2``, ``timing="given"`` (no goal).

Each line reports wall and CPU time, plans, states, transitions computed and spared by
the partial-order reduction (its factor: the unreduced search's transitions over the
computed ones), the search tree's size and the hashing's reduction (tree / states) and
states per second. The two ``"any"`` searches run with the reduction and then without it
(``reduce=False``), side by side. ``--quick`` runs ``nested10`` with ``max_failures=1``.

Usage: ``python benchmarks/explore_bench.py [--quick] [--strict]`` (``--strict``: exit 1
when a goal is not met).
"""

from __future__ import annotations

import argparse
import sys
from time import perf_counter, process_time  # noqa: TID251 (the benchmark measures time)

from run import machine

import flowsim as fs
from flowsim import examples
from flowsim.explore import Exploration, explore
from flowsim.retries import Times


def nested10() -> fs.Scenario:
    """Ten atoms, two nested checkpoints: ``outer`` guards prepare -> (``inner`` guards
    deploy -> verify) -> finalize, beside monitor and audit; then notify."""
    inner = fs.LinearFlow(
        name="rollout",
        retry=fs.Retry(name="inner", controller=Times(attempts=2)),
        children=[fs.Task(name="deploy", duration=2), fs.Task(name="verify")],
    )
    outer = fs.LinearFlow(
        name="release",
        retry=fs.Retry(name="outer", controller=Times(attempts=2)),
        children=[fs.Task(name="prepare"), inner, fs.Task(name="finalize")],
    )
    side = fs.UnorderedFlow(
        name="work",
        children=[outer, fs.Task(name="monitor", duration=8), fs.Task(name="audit", duration=3)],
    )
    flow = fs.LinearFlow(name="nested10", children=[side, fs.Task(name="notify")])
    return fs.Scenario(flow=flow, name="nested10")


def measure(scenario: fs.Scenario, **kwargs: object) -> tuple[Exploration, float, float]:
    t0, c0 = perf_counter(), process_time()
    ex = explore(scenario, progress=False, **kwargs)  # type: ignore[arg-type]
    return ex, perf_counter() - t0, process_time() - c0


def line(label: str, ex: Exploration, wall: float, cpu: float, goal: float | None) -> str:
    rate = ex.states / cpu if cpu else float("inf")
    met = "" if goal is None else f"; goal < {goal:g} s: {'met' if wall < goal else 'NOT met'}"
    return (
        f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU; {len(ex.plans):,} plans, "
        f"{ex.states:,} states, {ex.transitions:,} transitions + {ex.spared:,} spared "
        f"(partial-order reduction {ex.por_reduction:.2f}x), tree {ex.tree:,} "
        f"(hashing {ex.reduction:.1f}x), {ex.interleavings:,} interleavings, "
        f"{rate:,.0f} states/s CPU; {len(ex.violations)} violations; "
        f"complete={ex.complete}{met}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="nested10 with max_failures=1")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    args = parser.parse_args(argv)
    print(machine())
    missed = False
    k = 1 if args.quick else 2
    searches = (
        ("blueprint", examples.load("blueprint"), 2, 1.0),
        ("nested10", nested10(), k, 60.0 if k == 2 else None),
    )
    for label, scenario, failures, goal in searches:
        for reduce in (True, False):
            ex, wall, cpu = measure(scenario, max_failures=failures, timing="any", reduce=reduce)
            name = f"{label}, max_failures={failures}, any{'' if reduce else ', reduce=False'}"
            print(line(name, ex, wall, cpu, goal if reduce else None))
            missed |= reduce and goal is not None and wall >= goal
    for name in examples.names():
        ex, wall, cpu = measure(examples.load(name), max_failures=2)
        print(line(f"{name}, max_failures=2, given", ex, wall, cpu, None))
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
