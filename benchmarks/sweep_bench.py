"""Sweep throughput: runs/s serial, on 1 and 2 processes (also writing Parquet), on a 2-worker
Dask LocalCluster.

Run: ``.venv/bin/python benchmarks/sweep_bench.py``.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from time import perf_counter  # noqa: TID251 (the benchmark measures wall time)

import flowsim as fs
from flowsim.sweep import sweep

P = 0.05


def flow() -> fs.LinearFlow:
    """About 50 atoms: 4 checkpointed stages, each with a nested checkpointed subflow."""
    stages = []
    for s in range(4):
        inner = fs.LinearFlow(
            name=f"in{s}",
            retry=fs.Retry(name=f"r_in{s}", controller=fs.Times(attempts=2)),
            children=[fs.Task(name=f"i{s}_{k}", fail_probability=P) for k in range(5)],
        )
        par = fs.UnorderedFlow(
            name=f"par{s}",
            children=[fs.Task(name=f"p{s}_{k}", fail_probability=P) for k in range(5)],
        )
        stages.append(
            fs.LinearFlow(
                name=f"st{s}",
                retry=fs.Retry(name=f"r{s}", controller=fs.Times(attempts=3)),
                children=[par, inner],
            )
        )
    return fs.LinearFlow(name="bench", children=stages)


def main() -> None:
    f = flow()
    n = 6000
    grid = {"workers": [2]}
    compiled = fs.compile(f)
    t = perf_counter()
    for seed in range(n):
        fs.simulate(compiled, workers=2, seed=seed, trace=False)
    bare = n / (perf_counter() - t)
    t = perf_counter()
    sweep(f, seeds=n, grid=grid, executor=False, progress=False)
    serial = n / (perf_counter() - t)
    rates = {}
    for jobs in (1, 2):
        with cf.ProcessPoolExecutor(jobs) as pool:
            list(pool.map(abs, range(4 * jobs)))  # start the processes before the clock
            t = perf_counter()
            sweep(f, seeds=n, grid=grid, executor=pool, progress=False)
            rates[jobs] = n / (perf_counter() - t)
    import pyarrow  # type: ignore[import-untyped]  # noqa: F401  (its ~0.4 s import is paid once)

    with cf.ProcessPoolExecutor(2) as pool, tempfile.TemporaryDirectory() as tmp:
        list(pool.map(abs, range(8)))
        t = perf_counter()
        sweep(f, seeds=n, grid=grid, executor=pool, progress=False, out=Path(tmp, "b.parquet"))
        parquet = n / (perf_counter() - t)
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        # Dask's workers are spawned, not forked: import flowsim in them before the clock,
        # as the forked pool's processes have it already (neither has compiled the flow).
        client.run(importlib.import_module, "flowsim.sweep")
        t = perf_counter()
        sweep(f, seeds=n, grid=grid, executor=client, progress=False)
        dask = n / (perf_counter() - t)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"sweep benchmark: {platform.platform()}, {os.cpu_count()} cpus, commit {commit}")
    print(f"flow: {len(fs.model.walk(f))} nodes, p = {P}, {n} runs, workers=2")
    print(f"{'mode':<32}{'runs/s':>10}")
    print(f"{'bare simulate(trace=False)':<32}{bare:>10.0f}")
    print(
        f"{'sweep serial (executor=False)':<32}{serial:>10.0f}  overhead {bare / serial - 1:+.1%}"
    )
    print(f"{'sweep process pool, 1':<32}{rates[1]:>10.0f}  overhead {bare / rates[1] - 1:+.1%}")
    print(f"{'sweep process pool, 2':<32}{rates[2]:>10.0f}  speed-up {rates[2] / rates[1]:.2f}x")
    print(
        f"{'sweep process pool, 2, parquet':<32}{parquet:>10.0f}  "
        f"out cost {rates[2] / parquet - 1:+.1%}"
    )
    print(f"{'sweep Dask LocalCluster, 2':<32}{dask:>10.0f}  pool/dask {rates[2] / dask:.2f}x")


if __name__ == "__main__":
    main()
