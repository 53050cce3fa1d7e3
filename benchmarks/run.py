"""flowsim's performance benchmark (``make bench``): flowsim, a SimPy model and a bare heapq
loop on the same seeded workload (see ``workload.py``), side by side.

For every size N, workers W in (4, unlimited) and failure probability p in (0, 0.1), the
implementations run interleaved (flowsim, flowsim-light, simpy, simpy-tuned, heapq,
native, flowsim, ...) for ``--reps`` rounds, each measurement in a fresh subprocess (so that its
peak RSS is its own). The table reports medians, and the median (min-max) of the
per-round ratios.

flowsim is timed in three steps: build (the Task/flow objects), compile, simulate (with
the full trace; ``flowsim-light`` is ``simulate(..., trace=False)``). The SimPy time is
the model's construction plus ``env.run()`` (``simpy``: as a user would write and run
it, PriorityResource as shipped; ``simpy-tuned``: its queue kept as a heap, see
``simpy_model.py``, and the cyclic garbage collector paused while it runs, as flowsim's
compile and simulate pause it); the heapq time is its loop (GC paused too). Building
the workload's plain lists is timed apart and reported in the details. ``native`` is the
heapq loop in C (``native_heap.c``, compiled with ``cc -O2`` into the run's temporary
directory), which times its own loop: the machine's reference point.

The first round of each configuration also writes every task's start times (after the
measurements); the parent then checks that flowsim, the SimPy models, heapq and the C
loop produced the same makespan and start times (exactly, with ``==``), and exits non-zero
on a mismatch. A separate untimed child per N measures with tracemalloc the memory a
trace-light simulation allocates per atom.

Usage: ``python benchmarks/run.py [--quick] [--sizes 1000,10000] [--reps 3]``;
``--profile 100000`` prints a pyinstrument profile of one run (build, compile, simulate).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import marshal
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from time import perf_counter  # noqa: TID251 (the benchmark measures wall time)
from typing import Any

from floor import Starts, build_native, run_floor, run_native
from workload import build_flow, make_workload

import flowsim as fs

HERE = Path(__file__).resolve().parent
IMPLS = ("flowsim", "flowsim-light", "simpy", "simpy-tuned", "heapq", "native")
SIZES = (1_000, 10_000, 100_000, 1_000_000)


def has_light_mode() -> bool:
    """Whether this flowsim's ``simulate`` takes ``trace=False``."""
    return "trace" in inspect.signature(fs.simulate).parameters


def maxrss_kib() -> int:
    """This process's peak RSS in KiB: VmHWM from /proc/self/status on Linux.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries it over from the parent
    through fork and exec, so a child would report at least the harness's own peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


# --------------------------------------------------------------------------- children


def flowsim_starts(fails: list[bool], result: fs.Result) -> Starts:
    """Task start times from a full trace (retry controllers ``r{i}`` left out)."""
    n = len(fails)
    first, revert, final = [-1.0] * n, [-1.0] * n, [-1.0] * n
    for e in result.events:
        if e.subject != "atom" or e.name[0] != "t":
            continue
        i = int(e.name[1:])
        if e.state == "RUNNING":
            if fails[i] and e.attempt == 1:
                first[i] = e.time
            else:
                final[i] = e.time
        elif e.state == "REVERTING":
            revert[i] = e.time
    return first, revert, final


def time_flowsim(
    n: int, p: float, workers: int | None, light: bool, out: dict[str, Any]
) -> tuple[fs.Result, list[bool]]:
    """Make the workload, then build, compile and simulate; fill ``out``; return the result
    and which tasks fail.

    The workload's lists are dropped once the flow is built (a user has only the flow),
    so that the peak RSS is flowsim's own; ``rss_*_kib`` are the peaks after each step.
    """
    t0 = perf_counter()
    w = make_workload(n, fail_p=p)
    out["workload_s"] = perf_counter() - t0
    out["rss_workload_kib"] = maxrss_kib()
    fails = w.fails
    t0 = perf_counter()
    flow = build_flow(w)
    t1 = perf_counter()
    out["rss_build_kib"] = maxrss_kib()
    del w
    t1b = perf_counter()
    compiled = fs.compile(flow)
    t2 = perf_counter()
    out["rss_compile_kib"] = maxrss_kib()
    kwargs: dict[str, Any] = {"trace": False} if light else {}
    result = fs.simulate(compiled, workers=workers, **kwargs)
    t3 = perf_counter()
    out |= {"build_s": t1 - t0, "compile_s": t2 - t1b, "simulate_s": t3 - t2}
    out |= {"atoms": len(compiled), "makespan": result.makespan}
    if result.flow_state is not fs.FlowState.SUCCESS:
        raise SystemExit(f"flowsim ended {result.flow_state}, expected SUCCESS")
    if not light:
        out["events"] = len(result.events)
    return result, fails


def child_time(impl: str, n: int, workers: int | None, p: float, dump: str | None) -> None:
    """Time one implementation on one configuration; print one JSON line; with ``dump``,
    write (makespan, starts) there after every measurement."""
    out: dict[str, Any] = {"impl": impl, "rss0_kib": maxrss_kib()}
    starts: Starts | None = None
    if impl in ("flowsim", "flowsim-light"):
        if impl == "flowsim-light" and not has_light_mode():
            print(json.dumps({"impl": impl, "na": True}))
            return
        result, fails = time_flowsim(n, p, workers, impl == "flowsim-light", out)
        out["rss_kib"] = maxrss_kib()
        if dump and impl == "flowsim":
            starts = flowsim_starts(fails, result)
    else:
        t0 = perf_counter()
        w = make_workload(n, fail_p=p)
        out["workload_s"] = perf_counter() - t0
        if impl != "simpy":
            gc.disable()  # as flowsim's compile and simulate do
        if impl in ("simpy", "simpy-tuned"):
            from simpy_model import build_simpy  # SimPy is imported by this child only

            t0 = perf_counter()
            run = build_simpy(w, workers, heap_queue=impl == "simpy-tuned")
            t1 = perf_counter()
            out["makespan"], starts = run()
            t2 = perf_counter()
            out |= {"construct_s": t1 - t0, "run_s": t2 - t1, "simulate_s": t2 - t0}
        elif impl == "heapq":
            t0 = perf_counter()
            out["makespan"], starts = run_floor(w, workers)
            out["simulate_s"] = perf_counter() - t0
        elif impl == "native":  # the C loop times itself (not reading its input)
            binary = os.environ["FLOWSIM_NATIVE_HEAP"]
            out["makespan"], starts, out["simulate_s"], out["completions"] = run_native(
                binary, w, workers
            )
        else:
            raise SystemExit(f"unknown implementation {impl!r}")
        out["rss_kib"] = maxrss_kib()
    if dump and starts is not None:
        with open(dump, "wb") as f:
            marshal.dump((out["makespan"], starts), f)
    print(json.dumps(out))


def child_mem(n: int) -> None:
    """Peak memory a simulation allocates per atom (W=4, p=0.1), above the compiled flow."""
    w = make_workload(n, fail_p=0.1)
    compiled = fs.compile(build_flow(w))
    light = has_light_mode()
    kwargs: dict[str, Any] = {"trace": False} if light else {}
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    result = fs.simulate(compiled, workers=4, **kwargs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.flow_state is fs.FlowState.SUCCESS
    per_atom = (peak - before) / len(compiled)
    print(json.dumps({"bytes_per_atom": per_atom, "atoms": len(compiled), "light": light}))


def child_profile(n: int) -> None:
    """Print a pyinstrument profile of build, compile and a full-trace simulation (W=4,
    p=0.1); each step is one branch of the tree."""
    from pyinstrument import Profiler

    w = make_workload(n, fail_p=0.1)
    profiler = Profiler(interval=0.0005)
    with profiler:
        fs.simulate(fs.compile(build_flow(w)), workers=4)
    print(profiler.output_text(unicode=False, color=False))


# --------------------------------------------------------------------------- parent


def spawn(args: list[str], timeout: float) -> dict[str, Any] | None:
    """Run this script as a child; its JSON line, or None if it timed out."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"  timed out after {timeout:g} s: {' '.join(args)}", file=sys.stderr)
        return None
    if proc.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}" if x < 100 else f"{x:,.0f}"


def fmt_ratio(values: list[float]) -> str:
    if not values:
        return "n/a"
    med = f"{statistics.median(values):.1f}"
    if len(values) == 1:
        return med
    return f"{med} ({min(values):.1f}-{max(values):.1f})"


def compare(name: str, a: tuple[float, Starts], b: tuple[float, Starts]) -> str | None:
    """None if ``a`` (flowsim) and ``b`` agree exactly; else the first difference."""
    if a[0] != b[0]:
        return f"makespan: flowsim {a[0]!r}, {name} {b[0]!r}"
    what = ("failed first execute start", "revert start", "successful execute start")
    for k in range(3):
        xs, ys = a[1][k], b[1][k]
        if xs != ys:
            i = next(i for i in range(len(xs)) if xs[i] != ys[i])
            return f"task t{i} {what[k]}: flowsim {xs[i]!r}, {name} {ys[i]!r}"
    return None


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import simpy

        simpy_version = simpy.__version__
    except ImportError:
        simpy_version = "not installed"

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE)
        return proc.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " (dirty)"
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"SimPy {simpy_version}; flowsim commit {commit}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated N")
    ap.add_argument("--reps", type=int, help="rounds per configuration (default 3, 1 for 1M)")
    ap.add_argument(
        "--simpy-max",
        type=int,
        default=100_000,
        help="largest N for the plain SimPy model with W=4 (quadratic: ~45 min at 1M)",
    )
    ap.add_argument("--quick", action="store_true", help="N = 1,000 and 10,000, one round")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per measurement")
    ap.add_argument(
        "--profile", type=int, metavar="N", help="profile build, compile, simulate of N tasks"
    )
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        if kind == "time":
            impl, n, wk, p, dump = rest
            workers = None if wk == "none" else int(wk)
            child_time(impl, int(n), workers, float(p), dump or None)
        elif kind == "mem":
            child_mem(int(rest[0]))
        else:
            child_profile(int(rest[0]))
        return 0
    if args.profile:
        script = str(Path(__file__).resolve())
        return subprocess.call([sys.executable, script, "--child", "profile", str(args.profile)])
    sizes = [1_000, 10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    light = has_light_mode()
    started = perf_counter()
    rows: list[str] = []
    details: list[str] = []
    everything: dict[tuple[int, int | None, float], Runs] = {}
    memory: list[str] = []
    problems: list[str] = []
    checked: list[str] = []
    skipped: list[str] = []
    native_note = ""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            os.environ["FLOWSIM_NATIVE_HEAP"] = build_native(tmp)  # (the children inherit it)
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            native_note = f"native reference not run: {exc}"
            print(native_note, file=sys.stderr)
        for n in sizes:
            reps = args.reps or (1 if args.quick or n > 100_000 else 3)
            full_runs: list[dict[str, Any]] = []
            light_runs: list[dict[str, Any]] = []
            for workers in (4, None):
                for p in (0.0, 0.1):
                    label = f"N={n:,} W={'inf' if workers is None else workers} p={p:g}"
                    impls = [i for i in IMPLS if i != "flowsim-light" or light]
                    if "FLOWSIM_NATIVE_HEAP" not in os.environ:
                        impls.remove("native")
                    if workers is not None and n > args.simpy_max:
                        impls.remove("simpy")
                        skipped.append(label)
                    print(f"{label}: {reps} round(s) of {', '.join(impls)}", file=sys.stderr)
                    wk = "none" if workers is None else str(workers)
                    got: dict[str, list[dict[str, Any] | None]] = {i: [] for i in impls}
                    dumps = {i: str(Path(tmp) / f"{i}.marshal") for i in impls}
                    for k in range(reps):
                        for impl in impls:
                            dump = dumps[impl] if k == 0 else ""
                            t0 = perf_counter()
                            r = spawn(["time", impl, str(n), wk, str(p), dump], args.timeout)
                            got[impl].append(r)
                            sim = fmt(r.get("simulate_s")) if r else "timeout"
                            print(
                                f"  {impl}: simulate {sim} s (child {perf_counter() - t0:.1f} s)",
                                file=sys.stderr,
                            )
                    rows.append(table_row(n, workers, p, got))
                    details.append(details_row(n, workers, p, got))
                    everything[n, workers, p] = got
                    full_runs += [r for r in got["flowsim"] if r]
                    light_runs += [r for r in got.get("flowsim-light", []) if r and "rss_kib" in r]
                    problem = check(label, impls, dumps, got)
                    if problem:
                        problems.append(problem)
                        print(f"  MISMATCH {problem}", file=sys.stderr)
                    else:
                        checked.append(label)
            mem = spawn(["mem", str(n)], args.timeout)
            memory.append(memory_row(n, full_runs, light_runs, mem))
    elapsed = perf_counter() - started
    print_tables(rows, details, memory, light)
    print()
    print_scaling(everything)
    print()
    print(machine())
    print(f"Benchmark wall time: {elapsed:.0f} s")
    if native_note:
        print(native_note)
    if skipped:
        print(f"Plain SimPy (W=4) not run above N={args.simpy_max:,}: {'; '.join(skipped)}")
    if problems:
        print(f"schedule check: MISMATCH in {len(problems)} configuration(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print(
        f"schedule check: OK ({len(checked)} configurations: makespan and every task's start "
        "times exactly equal (==) in flowsim (full trace), SimPy, SimPy-tuned, heapq and C, "
        "wherever they ran; the trace-light makespan equal too)"
    )
    return 0


def check(
    label: str, impls: list[str], dumps: dict[str, str], got: dict[str, list[Any]]
) -> str | None:
    """Compare the first round's start times; None if all agree, else the difference."""
    if got["flowsim"][0] is None:
        return f"{label}: flowsim timed out, nothing to compare"
    with open(dumps["flowsim"], "rb") as f:
        ref = marshal.load(f)
    for impl in ("simpy", "simpy-tuned", "heapq", "native"):
        if impl in impls and got[impl][0] is not None:
            with open(dumps[impl], "rb") as f:
                diff = compare(impl, ref, marshal.load(f))
            if diff:
                return f"{label}: {diff}"
    if "flowsim-light" in impls and got["flowsim-light"][0] is not None:
        light = got["flowsim-light"][0]["makespan"]
        if light != ref[0]:
            return f"{label}: makespan: flowsim {ref[0]!r}, flowsim-light {light!r}"
    return None


Runs = dict[str, list[dict[str, Any] | None]]


def times(got: Runs, impl: str, key: str = "simulate_s") -> list[float | None]:
    """One value per round (None where the run timed out or the implementation is n/a)."""
    return [r[key] if r and key in r else None for r in got.get(impl, [])]


def med(got: Runs, impl: str, key: str = "simulate_s") -> float | None:
    return median([x for x in times(got, impl, key) if x is not None])


def ratios(a: list[float | None], b: list[float | None]) -> list[float]:
    """Per-round ratios a_k / b_k."""
    return [x / y for x, y in zip(a, b, strict=False) if x is not None and y]


def table_row(n: int, workers: int | None, p: float, got: Runs) -> str:
    full = times(got, "flowsim")
    sim = med(got, "flowsim")
    rss = median([r["rss_kib"] / 1024 for r in got["flowsim"] if r])
    cells = [
        f"{n:,}",
        "inf" if workers is None else str(workers),
        f"{p:g}",
        fmt(med(got, "flowsim", "build_s")),
        fmt(med(got, "flowsim", "compile_s")),
        fmt(sim),
        fmt(med(got, "flowsim-light")),
        f"{n / sim:,.0f}" if sim else "n/a",
        fmt(med(got, "simpy")),
        fmt(med(got, "simpy-tuned")),
        fmt(med(got, "heapq")),
        fmt(med(got, "native"), 4),
        fmt_ratio(ratios(times(got, "simpy"), full)),
        fmt_ratio(ratios(times(got, "simpy-tuned"), full)),
        fmt_ratio(ratios(full, times(got, "heapq"))),
        fmt_ratio(ratios(times(got, "heapq"), times(got, "native"))),
        fmt_ratio(ratios(full, times(got, "flowsim-light"))),
        fmt(rss, 0),
    ]
    return "| " + " | ".join(cells) + " |"


def per_event(seconds: float | None, events: int | None, unit: float, digits: int) -> str:
    if seconds is None or not events:
        return "n/a"
    return f"{seconds / events * unit:.{digits}f}"


def details_row(n: int, workers: int | None, p: float, got: Runs) -> str:
    first = got["flowsim"][0] or {}
    completions = next((r["completions"] for r in got.get("native", []) if r), None)
    cells = [
        f"{n:,}",
        "inf" if workers is None else str(workers),
        f"{p:g}",
        fmt(med(got, "flowsim", "workload_s")),
        fmt(med(got, "simpy", "construct_s")),
        fmt(med(got, "simpy", "run_s")),
        fmt(med(got, "simpy-tuned", "construct_s")),
        fmt(med(got, "simpy-tuned", "run_s")),
        f"{first.get('atoms', 0):,}",
        f"{first.get('events', 0):,}",
        f"{first.get('makespan', float('nan')):,.2f}",
        str(len(got["flowsim"])),
        per_event(med(got, "flowsim"), first.get("events"), 1e6, 2),
        per_event(med(got, "heapq"), completions, 1e9, 0),
        per_event(med(got, "native"), completions, 1e9, 0),
    ]
    return "| " + " | ".join(cells) + " |"


def memory_row(
    n: int, full: list[dict[str, Any]], light: list[dict[str, Any]], mem: dict[str, Any] | None
) -> str:
    """Peak RSS (MB, the largest over W, p and rounds) after each step of the flowsim
    children, RSS per task and the simulation's own allocations per atom."""

    def peak(runs: list[dict[str, Any]], key: str) -> str:
        values = [r[key] for r in runs if key in r]
        return f"{max(values) / 1024:.0f}" if values else "n/a"

    per_task = max(((r["rss_kib"] - r["rss0_kib"]) * 1024 / n for r in full), default=0)
    state = f"{mem['bytes_per_atom']:.0f}" if mem else "n/a"
    if mem and not mem["light"]:
        state += " (full trace: trace=False not available)"
    cells = [
        f"{n:,}",
        peak(full, "rss0_kib"),
        peak(full, "rss_workload_kib"),
        peak(full, "rss_build_kib"),
        peak(full, "rss_compile_kib"),
        peak(full, "rss_kib"),
        peak(light, "rss_kib"),
        f"{per_task:,.0f}",
        state,
    ]
    return "| " + " | ".join(cells) + " |"


def print_header(header: str) -> None:
    """A markdown table's header row and its right-aligned separator row."""
    print(header)
    print("|" + "---:|" * (header.count("|") - 1))


def print_scaling(everything: dict[tuple[int, int | None, float], Runs]) -> None:
    """Per-task cost of build + compile + simulate (full trace) at each N, and its growth
    from the previous N of the same W and p."""
    print_header(
        "| N | W | p | build + compile + simulate s | us/task (all three) | us/task (simulate) "
        "| per-task growth vs previous N (all three) | (simulate) |"
    )
    previous: dict[tuple[int | None, float], tuple[float, float]] = {}
    for (n, workers, p), got in sorted(
        everything.items(), key=lambda kv: (kv[0][1] is None, kv[0][1] or 0, kv[0][2], kv[0][0])
    ):
        steps = [med(got, "flowsim", k) for k in ("build_s", "compile_s", "simulate_s")]
        if any(x is None for x in steps):
            continue
        total = sum(x for x in steps if x is not None)
        sim = steps[2] or 0.0
        now = (total / n * 1e6, sim / n * 1e6)
        before = previous.get((workers, p))
        growth = ["", ""]
        if before:
            growth = [f"{now[0] / before[0]:.2f}", f"{now[1] / before[1]:.2f}"]
        previous[workers, p] = now
        cells = [
            f"{n:,}",
            "inf" if workers is None else str(workers),
            f"{p:g}",
            fmt(total),
            f"{now[0]:.1f}",
            f"{now[1]:.1f}",
            *growth,
        ]
        print("| " + " | ".join(cells) + " |")


def print_tables(rows: list[str], details: list[str], memory: list[str], light: bool) -> None:
    print_header(
        "| N | W | p | build s | compile s | simulate s (full) | simulate s (light) "
        "| tasks/s (full) | SimPy s | SimPy-tuned s | heapq s | native s | SimPy/flowsim "
        "| SimPy-tuned/flowsim | flowsim/heapq | heapq/native | full/light "
        "| peak RSS MB (full) |"
    )
    print("\n".join(rows))
    print()
    print(
        "Times are medians over the rounds; a ratio is the median (min-max) of the per-round "
        "ratios; tasks/s = N / simulate s (full). SimPy: the model as a user would write and "
        "run it (PriorityResource as shipped, which re-sorts its whole queue on every "
        "request; default garbage collection). SimPy-tuned: the same model with that queue "
        "kept as a heap and the cyclic GC paused while it runs, as flowsim's compile and "
        "simulate pause it; heapq runs with the GC paused too. native: the heapq loop in C "
        "(benchmarks/native_heap.c, cc -O2, built by the run), timing its own loop; "
        "heapq/native is how far pure Python is from the machine on the same schedule. "
        "A completion is an execute or revert ending (N plus 2 per failing task)."
    )
    if not light:
        print("flowsim-light: n/a, this flowsim's simulate() has no trace= keyword.")
    print()
    print_header(
        "| N | W | p | workload s | SimPy construct s | SimPy run s | SimPy-tuned construct s "
        "| SimPy-tuned run s | atoms | trace events | makespan | rounds "
        "| flowsim us/trace event (full) | heapq ns/completion | native ns/completion |"
    )
    print("\n".join(details))
    print()
    print_header(
        "| N | RSS MB at start | after workload | after build | after compile "
        "| peak RSS MB (full trace) | peak RSS MB (trace-light) "
        "| full-trace RSS above start per task, bytes "
        "| simulation state bytes/atom (tracemalloc, W=4, p=0.1, trace-light) |"
    )
    print("\n".join(memory))
    print()
    print(
        "RSS: VmHWM (the high-water mark) of the flowsim children after each step, the "
        "largest over W, p and rounds; the workload's lists are dropped after the build."
    )


if __name__ == "__main__":
    sys.exit(main())
