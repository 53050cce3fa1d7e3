"""The benchmark workload: a seeded, layered random DAG, and the same DAG as a flowsim flow.

``n`` tasks numbered 0..n-1 in layer order, ``round(sqrt(n))`` per layer (the last layer
may be shorter). Every task outside the last layer links to 2 or 3 distinct tasks of the
next layer (3 with probability 0.4: mean out-degree 2.4). Execute durations are uniform
on [1, 10], revert durations uniform on [0.5, 2]. A task fails with probability
``fail_p``: then it is wrapped in its own checkpoint (``Times(attempts=2)``), its first
execute fails, it is reverted and executed again, and the second execute succeeds.

Edges, durations and failures come from three separate seeded streams, so the workloads
for ``fail_p=0`` and ``fail_p=0.1`` share their graph and durations.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import flowsim as fs


@dataclass(frozen=True, slots=True)
class Workload:
    """A layered DAG with durations and failures, as plain lists indexed by task."""

    n: int
    fail_p: float
    seed: int
    width: int  # tasks per layer
    succs: list[list[int]]  # sorted; every edge goes to a higher index
    preds: list[list[int]]  # sorted
    dur: list[float]  # execute duration (each execute call)
    rdur: list[float]  # revert duration
    fails: list[bool]  # the first execute fails (the task is wrapped in a checkpoint)

    @property
    def edges(self) -> int:
        return sum(len(s) for s in self.succs)


def make_workload(n: int, *, fail_p: float, seed: int = 1) -> Workload:
    """The seeded workload of ``n`` tasks.

    >>> w = make_workload(9, fail_p=0.0)
    >>> w.width, w.succs[0][0] >= 3, w.succs[8]
    (3, True, [])
    """
    if n < 1:
        raise ValueError(f"make_workload: n must be >= 1, got {n}")
    width = max(1, round(math.sqrt(n)))
    erng = random.Random(seed * 3)
    drng = random.Random(seed * 3 + 1)
    frng = random.Random(seed * 3 + 2)
    succs: list[list[int]] = []
    for i in range(n):
        lo = (i // width + 1) * width  # the next layer is [lo, hi)
        hi = min(lo + width, n)
        k = 3 if erng.random() < 0.4 else 2
        succs.append(sorted(erng.sample(range(lo, hi), min(k, hi - lo))) if lo < hi else [])
    preds: list[list[int]] = [[] for _ in range(n)]
    for i, ss in enumerate(succs):
        for j in ss:
            preds[j].append(i)  # i increases, so each list comes out sorted
    dur = [0.0] * n
    rdur = [0.0] * n
    for i in range(n):
        dur[i] = drng.uniform(1.0, 10.0)
        rdur[i] = drng.uniform(0.5, 2.0)
    fails = [frng.random() < fail_p for _ in range(n)]
    return Workload(n, fail_p, seed, width, succs, preds, dur, rdur, fails)


def build_flow(w: Workload) -> fs.GraphFlow:
    """The workload as one graph flow named ``bench``; a failing task sits in a linear flow
    ``c{i}`` guarded by its own checkpoint ``r{i}`` (``Times(attempts=2)``).

    >>> flow = build_flow(make_workload(4, fail_p=0.0))
    >>> [c.name for c in flow.children], len(flow.links)
    (['t0', 't1', 't2', 't3'], 4)
    """
    children: list[fs.Task | fs.LinearFlow] = []
    for i in range(w.n):
        task = fs.Task(
            name=f"t{i}",
            duration=w.dur[i],
            revert_duration=w.rdur[i],
            fails_on=[1] if w.fails[i] else (),
        )
        if w.fails[i]:
            retry = fs.Retry(name=f"r{i}", controller=fs.Times(attempts=2))
            children.append(fs.LinearFlow(name=f"c{i}", retry=retry, children=[task]))
        else:
            children.append(task)
    names = [child.name for child in children]  # (the same strings: less memory)
    links = [fs.Link(source=names[i], target=names[j]) for i in range(w.n) for j in w.succs[i]]
    return fs.GraphFlow(name="bench", children=children, links=links)
