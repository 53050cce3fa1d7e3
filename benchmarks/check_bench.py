"""Linear-time goals of issue 14 (``check`` and the event budget), as one table.

Each measurement runs in a fresh subprocess (its peak RSS is its own, nothing is warm) and
is repeated ``--reps`` times; the table reports medians. The workloads:

- ``bench N``: the benchmark DAG of ``benchmarks/workload.py`` (N tasks, W=4, failure
  probability p), simulated with the full trace; ``check(result)`` is timed against the
  ``simulate`` that produced it (goal: at most 2x).
- ``file``: the benchmark DAG of 180,000 tasks (p=0, W=4) saved as a scenario file and a
  trace file of about 50 MB (made once, untimed); timed as ``flowsim check`` runs them:
  ``load_trace``, ``compile``, ``check`` in one child (goal: under 10 s and 1 GB peak
  RSS, the scenario built in Python), and ``load_scenario`` of the file in another
  (one run, so that a slow reader cannot hide the rest).
- ``parallel N``: one unordered flow of N one-second tasks, unlimited workers; ``check``.
- ``rounds K``: a retry controller ``Times(K + 1)`` around a task that fails its first K
  executes (K retry rounds, then success); ``check``.
- ``budget always`` / ``budget times``: ``AlwaysRetry`` / ``Times(10**12)`` around a task
  that always fails, simulated until the default event budget stops it (goal: under 5 s).

Usage: ``python benchmarks/check_bench.py [--quick] [--reps 3] [--timeout 300] [--strict]``
(``--quick``: one rep, without the DAG with failures; ``--strict``: exit 1 when a goal is
not met, else the table's last column says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter, process_time  # noqa: TID251 (the benchmark measures time)
from typing import Any

from workload import build_flow, make_workload

import flowsim as fs
from flowsim.checks import check
from flowsim.files import load_scenario, load_trace, save_scenario

HERE = Path(__file__).resolve().parent
FILE_TASKS = 180_000


def maxrss_mib() -> float:
    """This process's peak RSS in MiB (VmHWM: not inherited from the parent)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------- children


def timed_check(subject: fs.Result) -> dict[str, Any]:
    t0, c0 = perf_counter(), process_time()
    found = check(subject)
    return {
        "check_s": perf_counter() - t0,
        "check_cpu_s": process_time() - c0,
        "violations": len(found),
    }


def child_bench(n: int, p: float) -> dict[str, Any]:
    compiled = fs.compile(build_flow(make_workload(n, fail_p=p)))
    t0, c0 = perf_counter(), process_time()
    result = fs.simulate(compiled, workers=4)
    out = {
        "simulate_s": perf_counter() - t0,
        "simulate_cpu_s": process_time() - c0,
        "events": len(result.events),
    }
    out |= timed_check(result)
    out["scope_names"] = sum(len(r.scope) for r in result.resolutions)
    return out


def child_make_file(folder: str) -> dict[str, Any]:
    w = make_workload(FILE_TASKS, fail_p=0.0)
    scenario = fs.Scenario(flow=build_flow(w), options=fs.Options(workers=4))
    result = fs.simulate(scenario)
    save_scenario(scenario, Path(folder, "scenario.json"))
    result.traced().save(Path(folder, "trace.json"))
    return {"trace_mb": Path(folder, "trace.json").stat().st_size / 1e6}


def child_file(folder: str) -> dict[str, Any]:
    """``flowsim check``'s steps after reading the scenario file: the scenario is built in
    Python (reading the file is timed apart, by ``child_file_scenario``)."""
    scenario = fs.Scenario(flow=build_flow(make_workload(FILE_TASKS, fail_p=0.0)))
    t0 = perf_counter()
    trace = load_trace(Path(folder, "trace.json"))
    t1 = perf_counter()
    compiled = fs.compile(scenario.flow, store=scenario.store)
    t2 = perf_counter()
    found = check(compiled, trace)
    t3 = perf_counter()
    return {
        "load_trace_s": t1 - t0,
        "compile_s": t2 - t1,
        "check_s": t3 - t2,
        "total_s": t3 - t0,
        "events": len(trace.events),
        "violations": len(found),
    }


def child_file_scenario(folder: str) -> dict[str, Any]:
    t0 = perf_counter()
    load_scenario(Path(folder, "scenario.json"))
    return {"load_scenario_s": perf_counter() - t0}


def child_parallel(n: int) -> dict[str, Any]:
    flow = fs.UnorderedFlow(name="par", children=[fs.Task(name=f"t{i}") for i in range(n)])
    t0 = perf_counter()
    result = fs.simulate(flow)
    return {"simulate_s": perf_counter() - t0} | timed_check(result)


def child_rounds(k: int) -> dict[str, Any]:
    retry = fs.Retry(name="r", controller=fs.Times(attempts=k + 1))
    task = fs.Task(name="a", fails_on=list(range(1, k + 1)))
    flow = fs.LinearFlow(name="f", retry=retry, children=[task])
    t0 = perf_counter()
    result = fs.simulate(flow)
    assert result.executions["a"] == k + 1
    return {"simulate_s": perf_counter() - t0} | timed_check(result)


def child_budget(kind: str) -> dict[str, Any]:
    controller: fs.Controller = fs.AlwaysRetry() if kind == "always" else fs.Times(attempts=10**12)
    retry = fs.Retry(name="r", controller=controller)
    flow = fs.LinearFlow(name="f", retry=retry, children=[fs.Task(name="a", fails_on="always")])
    t0, c0 = perf_counter(), process_time()
    try:
        fs.simulate(flow)
    except fs.EventBudgetExceeded as e:
        return {
            "simulate_s": perf_counter() - t0,
            "simulate_cpu_s": process_time() - c0,
            "message": str(e),
        }
    raise SystemExit("the run ended within its event budget")


def child(args: list[str]) -> None:
    what = args[0]
    if what == "bench":
        out = child_bench(int(args[1]), float(args[2]))
    elif what == "make-file":
        out = child_make_file(args[1])
    elif what == "file":
        out = child_file(args[1])
    elif what == "file-scenario":
        out = child_file_scenario(args[1])
    elif what == "parallel":
        out = child_parallel(int(args[1]))
    elif what == "rounds":
        out = child_rounds(int(args[1]))
    elif what == "budget":
        out = child_budget(args[1])
    else:
        raise SystemExit(f"unknown child {what!r}")
    out["rss_mib"] = maxrss_mib()
    print(json.dumps(out))


# --------------------------------------------------------------------------- parent


def spawn(args: list[str], timeout: float) -> dict[str, Any] | None:
    """Run this script as a child; its JSON line, or None if it timed out."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise SystemExit(f"child {' '.join(args)} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE)
        return proc.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no", "--", "flowsim"):
        commit += " (flowsim/ dirty)"
    return (
        f"Machine: {platform.platform()}, {cpu}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; flowsim commit {commit}"
    )


def med(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def fmt(x: float | None, unit: str = "s") -> str:
    if x is None:
        return "n/a"
    return f"{x:.2f} {unit}" if x < 100 else f"{x:,.0f} {unit}"


def measure(args: list[str], reps: int, timeout: float) -> list[dict[str, Any]] | None:
    """``reps`` fresh runs; None as soon as one times out (the row says so)."""
    runs = []
    for _ in range(reps):
        got = spawn(args, timeout)
        if got is None:
            return None
        runs.append(got)
    return runs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one rep, smaller sizes")
    ap.add_argument("--reps", type=int, help="fresh runs per row (default 3; --quick: 1)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per child run")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return 0
    reps = args.reps or (1 if args.quick else 3)
    timeout = args.timeout
    print(machine())
    print(f"medians of {reps} fresh process(es) per row; a child is stopped after {timeout:g} s")
    rows: list[tuple[str, str, str, str, str]] = []
    notes: list[str] = []  # printed after the table
    failed = False

    def row(
        what: str,
        runs: list[dict[str, Any]] | None,
        key: str,
        goal: str,
        ok: bool,
        limit: float = timeout,
    ) -> None:
        nonlocal failed
        if runs is None:
            rows.append((what, f"> {limit:g} s", "n/a", goal, "no (timed out)"))
            failed = True
            return
        failed = failed or not ok
        rss = fmt(med(runs, "rss_mib"), "MiB")
        rows.append((what, fmt(med(runs, key)), rss, goal, "yes" if ok else "NO"))

    configs = [(100_000, 0.0)] if args.quick else [(100_000, 0.0), (10_000, 0.1)]
    for n, p in configs:
        runs = measure(["bench", str(n), str(p)], reps, timeout)
        sim = med(runs, "simulate_s") if runs else None
        chk = med(runs, "check_s") if runs else None
        ratio = chk / sim if chk is not None and sim else None
        if runs:
            cpu = (med(runs, "simulate_cpu_s"), med(runs, "check_cpu_s"))
            notes.append(
                f"bench {n:,} p={p:g}: CPU time simulate {fmt(cpu[0])}, check {fmt(cpu[1])}"
            )
        label = f"bench {n:,} W=4 p={p:g}: check ({fmt(sim)} simulate"
        label += f", {ratio:.1f}x)" if ratio is not None else ")"
        if p == 0.0:
            row(label, runs, "check_s", "<= 2x simulate", ratio is not None and ratio <= 2.0)
        else:
            names = med(runs, "scope_names") if runs else None
            scopes = f"{names:,.0f} scope names" if names is not None else "scopes"
            row(label, runs, "check_s", f"(linear in events + {scopes})", True)
    with tempfile.TemporaryDirectory() as folder:
        made = spawn(["make-file", folder], 10 * timeout)
        size = made["trace_mb"] if made else float("nan")
        runs = measure(["file", folder], reps, timeout)
        total, rss = (med(runs, "total_s"), med(runs, "rss_mib")) if runs else (None, None)
        ok = total is not None and rss is not None and total < 10.0 and rss < 1024
        what = f"file {FILE_TASKS:,} tasks, {size:.0f} MB trace: load_trace + compile + check"
        row(what, runs, "total_s", "< 10 s, < 1 GiB", ok)
        if runs:
            parts = ", ".join(
                f"{k[:-2]} {fmt(med(runs, k))}" for k in ("load_trace_s", "compile_s", "check_s")
            )
            rows.append(("  of which", parts, "", "", ""))
        cap = min(timeout, 60.0)
        runs = measure(["file-scenario", folder], 1, cap)
        ok = runs is not None and runs[0]["load_scenario_s"] < 10.0
        row(
            "  and load_scenario of its scenario file",
            runs,
            "load_scenario_s",
            "(in the 10 s)",
            ok,
            cap,
        )
    for n in (5_000, 10_000, 20_000):
        row(
            f"parallel {n:,} tasks: check",
            measure(["parallel", str(n)], reps, timeout),
            "check_s",
            "(linear)",
            True,
        )
    row(
        "rounds 8,000: check",
        measure(["rounds", "8000"], reps, timeout),
        "check_s",
        "(linear)",
        True,
    )
    for kind, label in (("always", "AlwaysRetry"), ("times", "Times(10**12)")):
        runs = measure(["budget", kind], reps, timeout)
        took = med(runs, "simulate_s") if runs else None
        row(
            f"budget {label}: simulate to the default budget",
            runs,
            "simulate_s",
            "< 5 s",
            took is not None and took < 5.0,
        )
        if runs:
            notes.append(f"{label}: CPU time {fmt(med(runs, 'simulate_cpu_s'))}")
            notes.append(f"{label}: {runs[0]['message']}")
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    head = ("workload", "time", "peak RSS", "goal", "met")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    for note in notes:
        print(note)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
