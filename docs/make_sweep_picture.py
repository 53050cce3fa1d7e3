"""Make docs/sweep-risk.png: the risk of stop_the_world against smart as failures grow.

Run: ``.venv/bin/python docs/make_sweep_picture.py`` (about 10,000 runs; seconds on two
cores). The picture is the same whatever the executor: the rows depend only on the
scenario, the grid and the seeds. It also prints the ``describe()`` table the README shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flowsim as fs
from flowsim.plot import plot_risk
from flowsim.sweep import sweep

BUILDS = 6
SEEDS = 1000
GRID: dict[str, list[Any]] = {
    "strategy": ["smart", "stop_the_world"],
    "fail_probability": [0, 0.05, 0.1, 0.2, 0.3],
}
OUT = Path(__file__).with_name("sweep-risk.png")


def checkpoint(name: str, task: fs.Task) -> fs.LinearFlow:
    """``task`` guarded by its own retry controller (3 attempts)."""
    return fs.LinearFlow(
        name=f"checkpoint_{name}",
        children=[task],
        retry=fs.Retry(name=f"retry_{name}", controller=fs.Times(attempts=3)),
    )


def pipeline() -> fs.Scenario:
    """The build pipeline of notebooks/04_what_if.ipynb: fetch, six builds, package."""
    builds = [
        checkpoint(
            f"build_{i}",
            fs.Task(
                name=f"build_{i}",
                duration=fs.Uniform(low=1, high=4),
                revert_duration=0.5,
                requires=["source"],
                provides=[f"artifact_{i}"],
            ),
        )
        for i in range(BUILDS)
    ]
    flow = fs.GraphFlow(
        name="pipeline",
        children=[
            checkpoint("fetch", fs.Task(name="fetch", duration=1, provides=["source"])),
            *builds,
            checkpoint(
                "package",
                fs.Task(
                    name="package",
                    duration=1,
                    requires=[f"artifact_{i}" for i in range(BUILDS)],
                ),
            ),
        ],
    )
    return fs.Scenario(flow=flow, name="pipeline", options=fs.Options(workers=3))


def main() -> None:
    res = sweep(pipeline(), seeds=SEEDS, grid=GRID, progress=False)
    figure: Any = plot_risk(res).figure
    figure.savefig(OUT, dpi=120)
    table = res.describe()
    keys = ["strategy", "fail_probability", "makespan_mean", "makespan_p50", "makespan_p90"]
    keys += ["makespan_p99", "share_success", "share_reverted"]
    print("  ".join(keys))
    for d in table:
        print("  ".join(f"{d[k]:.2f}" if isinstance(d[k], float) else str(d[k]) for k in keys))
    print(f"picture: {OUT}")


if __name__ == "__main__":
    main()
