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


# --------------------------------------------------------------------------- small flows


@dataclass(frozen=True, slots=True)
class SmallWorkload:
    """The small-flow workload: ``blocks`` blocks of 10 atoms run one after the other.

    Block k is a linear flow ``b{k}`` guarded by checkpoint ``R{k}`` (``Times(attempts=2)``):
    first 3 tasks in parallel (``x{k}_{j}``), then a linear flow ``c{k}`` guarded by the
    nested checkpoint ``r{k}`` (``Times(attempts=2)``) around a chain of 5 tasks
    (``y{k}_{j}``). One chain task ``fail_at[k]`` fails by kind ``kind[k]``: ``"inner"``
    fails its first execute (``r{k}`` retries the chain), ``"escalate"`` its first two
    (``r{k}`` gives up, ``R{k}`` retries the whole block), ``"none"`` never. Kinds cycle
    escalate, inner, none; the failing positions and all durations are seeded.
    """

    blocks: int
    seed: int
    xdur: list[list[float]]  # [block][j] execute durations of the parallel tasks
    xrdur: list[list[float]]  # ... and their revert durations
    ydur: list[list[float]]  # [block][j] execute durations of the chain
    yrdur: list[list[float]]
    kind: list[str]  # "escalate", "inner" or "none", per block
    fail_at: list[int]  # the chain position that fails, per block

    @property
    def atoms(self) -> int:
        return 10 * self.blocks


SMALL_PAR = 3  # parallel tasks per block
SMALL_CHAIN = 5  # chain tasks per block
FAILS_ON = {"escalate": (1, 2), "inner": (1,), "none": ()}


def make_small(atoms: int, *, seed: int = 1) -> SmallWorkload:
    """The seeded small-flow workload of about ``atoms`` atoms (10 per block).

    >>> w = make_small(50)
    >>> w.blocks, w.atoms, w.kind[:4]
    (5, 50, ['escalate', 'inner', 'none', 'escalate'])
    """
    blocks = max(1, round(atoms / 10))
    rng = random.Random(seed)
    xdur, xrdur, ydur, yrdur, fail_at = [], [], [], [], []
    for _ in range(blocks):
        xdur.append([rng.uniform(1.0, 10.0) for _ in range(SMALL_PAR)])
        xrdur.append([rng.uniform(0.5, 2.0) for _ in range(SMALL_PAR)])
        ydur.append([rng.uniform(1.0, 10.0) for _ in range(SMALL_CHAIN)])
        yrdur.append([rng.uniform(0.5, 2.0) for _ in range(SMALL_CHAIN)])
        fail_at.append(rng.randrange(SMALL_CHAIN))
    kind = [("escalate", "inner", "none")[k % 3] for k in range(blocks)]
    return SmallWorkload(blocks, seed, xdur, xrdur, ydur, yrdur, kind, fail_at)


def build_small_flow(w: SmallWorkload) -> fs.LinearFlow:
    """The small workload as one linear flow ``small`` of the blocks ``b0``, ``b1``, ...

    >>> flow = build_small_flow(make_small(10))
    >>> [c.name for c in flow.children[0].children], len(fs.compile(flow))
    (['p0', 'c0'], 10)
    """
    blocks = []
    for k in range(w.blocks):
        par = fs.UnorderedFlow(
            name=f"p{k}",
            children=[
                fs.Task(name=f"x{k}_{j}", duration=w.xdur[k][j], revert_duration=w.xrdur[k][j])
                for j in range(SMALL_PAR)
            ],
        )
        chain = [
            fs.Task(
                name=f"y{k}_{j}",
                duration=w.ydur[k][j],
                revert_duration=w.yrdur[k][j],
                fails_on=FAILS_ON[w.kind[k]] if j == w.fail_at[k] else (),
            )
            for j in range(SMALL_CHAIN)
        ]
        inner = fs.LinearFlow(
            name=f"c{k}",
            retry=fs.Retry(name=f"r{k}", controller=fs.Times(attempts=2)),
            children=chain,
        )
        blocks.append(
            fs.LinearFlow(
                name=f"b{k}",
                retry=fs.Retry(name=f"R{k}", controller=fs.Times(attempts=2)),
                children=[par, inner],
            )
        )
    return fs.LinearFlow(name="small", children=blocks)
