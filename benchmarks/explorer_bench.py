"""How fast the notebook explorer follows its controls (issue 16, item 3), as one table.

For each bundled example and for an 80-atom flow (:func:`flow80`: 8 checkpointed groups
of 9 tasks, 6 workers, three injected failures), one :class:`flowsim.widgets.Explorer`
is built and then timed, in this process:

- a **cursor step**: setting ``time.value`` (the timeline's cursor moves, the graph is
  recoloured, both PNGs re-encoded), at ``--steps`` times spread over the run; goal:
  50 ms on the examples;
- a **control change**: setting a control that reruns the flow (strategy, workers,
  ``defer_reverts``, the shown atom's ``fails_on``, in turn, ``--changes`` times):
  simulate, the new timeline drawn and encoded, the graph recoloured; goals: 150 ms on
  the examples, 400 ms at 80 atoms.

Each row gives the median wall time (``perf_counter``) and the median CPU time of this
process (``process_time``): on a shared machine the wall time includes waiting for a
core, the CPU time does not. The goal column judges the wall time, and says when only the
CPU time meets the goal.

Usage: ``python benchmarks/explorer_bench.py [--quick] [--steps 40] [--changes 16]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from time import perf_counter, process_time  # noqa: TID251 (the benchmark measures time)

from run import machine

import flowsim as fs
from flowsim import examples
from flowsim.widgets import Explorer

STEP_GOAL_MS = 50.0
CHANGE_GOAL_MS = {"example": 150.0, "80 atoms": 400.0}


def flow80() -> fs.Scenario:
    """80 atoms: 8 checkpointed groups (a retry controller, 3 tasks in a row, then 6 in
    parallel), run side by side on 6 workers; three tasks fail their first attempt.

    >>> scenario = flow80()
    >>> len(fs.compile(scenario.flow).names), scenario.options.workers
    (80, 6)
    """
    groups = []
    for g in range(8):
        tasks = [
            fs.Task(
                name=f"g{g}t{i}",
                duration=1 + (i * 7 + g) % 4,
                fails_on=[1] if (g + i) % 11 == 3 else [],
            )
            for i in range(9)
        ]
        groups.append(
            fs.LinearFlow(
                name=f"g{g}",
                retry=fs.Retry(name=f"g{g}ck", controller=fs.Times(attempts=3)),
                children=[*tasks[:3], fs.UnorderedFlow(name=f"g{g}par", children=tasks[3:])],
            )
        )
    return fs.Scenario(
        flow=fs.UnorderedFlow(name="flow80", children=groups),
        options=fs.Options(workers=6),
        name="flow80",
    )


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one call."""
    w0, c0 = perf_counter(), process_time()
    action()
    return (perf_counter() - w0) * 1000, (process_time() - c0) * 1000


def bench(target: object, steps: int, changes: int) -> dict[str, float]:
    ex = Explorer(target)
    end = ex.result.makespan
    step = [
        timed(lambda t=end * (k + 0.5) / steps: setattr(ex.time, "value", t)) for k in range(steps)
    ]
    shown = ex.atom.value
    given = ex.fails_on.value
    other = () if given else (1,)
    flips: list[Callable[[], object]] = [
        lambda: setattr(ex.strategy, "value", "stop_the_world"),
        lambda: setattr(ex.strategy, "value", "smart"),
        lambda: setattr(ex.workers, "value", 2),
        lambda: setattr(ex.workers, "value", 0),
        lambda: setattr(ex.defer_reverts, "value", not ex.defer_reverts.value),
        lambda: setattr(ex.defer_reverts, "value", not ex.defer_reverts.value),
        lambda: setattr(ex.fails_on, "value", other),
        lambda: setattr(ex.fails_on, "value", given),
    ]
    assert ex.atom.value == shown
    runs = ex.runs
    change = [timed(flips[k % len(flips)]) for k in range(changes)]
    assert ex.runs == runs + changes and ex.error is None, "every change must rerun"
    return {
        "atoms": len(ex.result.compiled.names),
        "step_wall": statistics.median(w for w, _ in step),
        "step_cpu": statistics.median(c for _, c in step),
        "change_wall": statistics.median(w for w, _ in change),
        "change_cpu": statistics.median(c for _, c in change),
    }


def verdict(wall: float, cpu: float, goal: float) -> str:
    if wall <= goal:
        return f"<= {goal:g} ms: met"
    if cpu <= goal:
        return f"<= {goal:g} ms: met in CPU time only"
    return f"<= {goal:g} ms: NOT met"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps and changes")
    ap.add_argument("--steps", type=int, help="cursor steps per target (default 40)")
    ap.add_argument("--changes", type=int, help="control changes per target (default 16)")
    args = ap.parse_args()
    steps = args.steps or (10 if args.quick else 40)
    changes = args.changes or (8 if args.quick else 16)
    print(machine())
    print(f"explorer benchmark: medians of {steps} cursor steps and {changes} control changes")
    header = ("target", "atoms", "step wall", "step CPU", "step goal", "change wall",
              "change CPU", "change goal")  # fmt: skip
    rows = [header]
    targets: list[tuple[str, object, str]] = [(n, n, "example") for n in examples.names()]
    targets.append(("flow80 (generated)", flow80(), "80 atoms"))
    for label, target, kind in targets:
        got = bench(target, steps, changes)
        goal = CHANGE_GOAL_MS[kind]
        rows.append(
            (
                label,
                str(int(got["atoms"])),
                f"{got['step_wall']:.0f} ms",
                f"{got['step_cpu']:.0f} ms",
                verdict(got["step_wall"], got["step_cpu"], STEP_GOAL_MS)
                if kind == "example"
                else "(none)",
                f"{got['change_wall']:.0f} ms",
                f"{got['change_cpu']:.0f} ms",
                verdict(got["change_wall"], got["change_cpu"], goal),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
