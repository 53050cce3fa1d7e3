"""Small flows, run thousands of times (property tests, the explorer, sweeps): flowsim
against a plain SimPy model of the same flow (``make bench``).

The workload (``workload.make_small``): 1, 5 and 20 blocks of 10 atoms, each block a
checkpointed linear flow of 3 parallel tasks and a nested checkpointed chain of 5, with
seeded durations and failures (one chain task per block fails once, fails twice so that
the outer checkpoint retries the whole block, or never). The SimPy model
(``simpy_model.run_simpy_small``) walks the same schedule with one process and records the
same counts; before timing, the script checks that flowsim and SimPy give the same
makespan and the same execute and revert counts for every atom (exactly, ``==``).

Per size, one round times each implementation for about ``--batch`` seconds of runs, the
implementations interleaved within the round (``light``, ``full``, ``simulate(flow)``,
``simpy``, then the next round), so that a shared machine's load falls on all of them
alike. The table gives the median runs/s over ``--rounds`` rounds and the median
(min-max) of the per-round ratios to SimPy:

- ``light``: compiled once, ``simulate(compiled, trace=False)``;
- ``full``: compiled once, ``simulate(compiled)`` (the full trace);
- ``compile+full``: ``simulate(flow)``, which compiles every run;
- ``simpy``: a fresh environment and process per run, ``env.run()``.

The fixed per-run cost and the cost per event are a least-squares line through the three
sizes' (events, seconds per run) points, separately for ``light`` and ``full``.

Usage: ``python benchmarks/small_bench.py [--quick] [--rounds 5] [--batch 0.2]``;
``--profile 10`` prints a cProfile of 20,000 trace-light runs of the 10-atom flow.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from time import perf_counter  # noqa: TID251 (the benchmark measures wall time)

from run import machine
from workload import SMALL_CHAIN, SMALL_PAR, SmallWorkload, build_small_flow, make_small

import flowsim as fs

SIZES = (10, 50, 200)
IMPLS = ("light", "full", "compile+full", "simpy")
GOALS = {"light": 2.0, "full": 1.3, "compile+full": 1.0}  # x SimPy's runs/s (10 and 50 atoms)


def block_names(k: int) -> list[str]:
    """The atoms of block ``k`` in the order of the SimPy model's counts."""
    xs = [f"x{k}_{j}" for j in range(SMALL_PAR)]
    ys = [f"y{k}_{j}" for j in range(SMALL_CHAIN)]
    return [f"R{k}", *xs, f"r{k}", *ys]


def same_counts(w: SmallWorkload, compiled: fs.CompiledFlow) -> str | None:
    """None if flowsim and the SimPy model agree exactly; else the first difference."""
    result = fs.simulate(compiled)
    from simpy_model import run_simpy_small  # (the bench extra: not needed to collect this)

    makespan, (execs, revs) = run_simpy_small(w)
    if result.flow_state is not fs.FlowState.SUCCESS:
        return f"flowsim ended {result.flow_state}, expected SUCCESS"
    if result.makespan != makespan:
        return f"makespan: flowsim {result.makespan!r}, SimPy {makespan!r}"
    for k in range(w.blocks):
        for i, name in enumerate(block_names(k)):
            got = (result.executions[name], result.reverts[name])
            if got != (execs[k][i], revs[k][i]):
                return (
                    f"{name}: flowsim (executions, reverts) {got}, SimPy {execs[k][i], revs[k][i]}"
                )
    return None


def runner(impl: str, w: SmallWorkload, compiled: fs.CompiledFlow) -> Callable[[], object]:
    flow = compiled.flow
    simulate = fs.simulate
    if impl == "light":
        return lambda: simulate(compiled, trace=False)
    if impl == "full":
        return lambda: simulate(compiled)
    if impl == "compile+full":
        return lambda: simulate(flow)
    from simpy_model import run_simpy_small

    return lambda: run_simpy_small(w)


def rate(fn: Callable[[], object], batch: float) -> float:
    """Runs per second of ``fn`` over about ``batch`` seconds (whole runs)."""
    runs = 0
    t0 = perf_counter()
    t = t0
    while t - t0 < batch:
        for _ in range(10):
            fn()
        runs += 10
        t = perf_counter()
    return runs / (t - t0)


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (intercept, slope) of seconds against events."""
    xs, ys = [float(p[0]) for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return my - slope * mx, slope


def ratio_cell(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=float, default=0.2, help="seconds of runs per measurement")
    ap.add_argument("--quick", action="store_true", help="2 rounds of 0.1 s")
    ap.add_argument("--profile", type=int, metavar="ATOMS", help="cProfile trace-light runs")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.batch = 2, 0.1
    if args.profile:
        import cProfile
        import pstats

        compiled = fs.compile(build_small_flow(make_small(args.profile)))
        with cProfile.Profile() as prof:
            for _ in range(20_000):
                fs.simulate(compiled, trace=False)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return 0
    rows, fits_light, fits_full, misses = [], [], [], []
    started = perf_counter()
    for atoms in SIZES:
        w = make_small(atoms)
        compiled = fs.compile(build_small_flow(w))
        problem = same_counts(w, compiled)
        if problem:
            print(f"small flows, {atoms} atoms: MISMATCH {problem}")
            return 1
        events = fs.simulate(compiled, trace=False).event_count
        fns = {impl: runner(impl, w, compiled) for impl in IMPLS}
        got: dict[str, list[float]] = {impl: [] for impl in IMPLS}
        for _ in range(args.rounds):
            for impl in IMPLS:
                got[impl].append(rate(fns[impl], args.batch))
        med = {impl: statistics.median(v) for impl, v in got.items()}
        vs = {
            impl: [a / b for a, b in zip(got[impl], got["simpy"], strict=True)] for impl in GOALS
        }
        fits_light.append((events, 1 / med["light"]))
        fits_full.append((events, 1 / med["full"]))
        cells = [f"{len(compiled)}", f"{events}"]
        cells += [f"{med[i]:,.0f}" for i in IMPLS]
        cells += [ratio_cell(vs[i]) for i in GOALS]
        rows.append("| " + " | ".join(cells) + " |")
        if atoms <= 50:
            misses += [
                f"{atoms} atoms {i}: {statistics.median(vs[i]):.2f}x < {g:g}x"
                for i, g in GOALS.items()
                if statistics.median(vs[i]) < g
            ]
    print(
        "| atoms | events | light runs/s | full runs/s | compile+full runs/s | SimPy runs/s "
        "| light/SimPy | full/SimPy | compile+full/SimPy |"
    )
    print("|" + "---:|" * 9)
    print("\n".join(rows))
    print()
    for label, points in (("trace=False", fits_light), ("full trace", fits_full)):
        a, b = fit(points)
        print(
            f"{label}: fixed cost per run {a * 1e6:.1f} us, {b * 1e6:.2f} us per event "
            f"(least squares over {len(points)} sizes)"
        )
    print(
        f"Runs/s are medians of {args.rounds} rounds of about {args.batch:g} s per "
        "implementation, interleaved; a ratio is the median (min-max) of the per-round "
        "ratios. Goals at 10 and 50 atoms: light >= 2x SimPy, full >= 1.3x, compile+full "
        ">= 1x: " + ("all met" if not misses else "NOT met: " + "; ".join(misses)) + "."
    )
    print("Counts check: OK (makespan, executions and reverts of every atom equal to SimPy's)")
    print(machine())
    print(f"Benchmark wall time: {perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
