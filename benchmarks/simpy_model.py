"""The workload as a plain SimPy 4 model: one process per task, a PriorityResource for the
workers (none when the workers are unlimited), a timeout per execute and revert.

A task's process waits with ``env.all_of`` for its predecessors' ``done`` events, gets a
worker, executes; if its first execute fails it keeps the worker for its revert, releases
it, and asks again for the second execute. To reproduce flowsim's same-time rule exactly
(a worker freed at t goes to the lowest-index task among all those waiting at t, tasks
made ready at t included; a task wrapped in a checkpoint, or back from its revert, joins
only after that), the model orders what happens at one time with SimPy's event priorities
(the environment's heap key is (time, priority, event id); NORMAL = 1 is used by
timeouts, done events, conditions and granted requests):

- 2 + i: task i (not wrapped), ready at t, requests a worker with priority i;
- 2 + n: a task whose execute or revert ended at t releases its worker; the release
  grants the queued request with the smallest key (priority, time, not preempt), so the
  lowest index waits least;
- 3 + n + i: task i, wrapped and ready at t, or back from its revert, requests.

SimPy's PriorityResource keeps its waiting requests in a ``SortedQueue``, a list that is
sorted again (with a Python key function) on every request: O(q) per request for q
waiting. Here about 9% of the tasks have no predecessor (e**-2.4) and are ready at time
0, so with W=4 q grows with N and the model is quadratic (about 30 s at N=100,000).
``heap_queue=True`` swaps in :class:`HeapQueue`, a binary heap over the same keys (a
resource's ``PutQueue`` is SimPy's documented place to customise it): same schedule,
O(log q) per request.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Generator, MutableSequence
from typing import Any

import simpy
from floor import Starts
from simpy.events import Event, EventPriority
from workload import FAILS_ON, SMALL_CHAIN, SMALL_PAR, SmallWorkload, Workload


class _At(Event):
    """An event that fires at the current time with the given heap priority."""

    def __init__(self, env: simpy.Environment, priority: int) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, EventPriority(priority))


class HeapQueue(MutableSequence[Any]):
    """A put queue for a PriorityResource kept as a binary heap of (key, number, request).

    SimPy only looks at the head (``queue[0]``), pops it (``pop(0)``), appends and, when a
    request is cancelled, removes one; that is all this supports.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[Any, int, Any]] = []
        self._count = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def __getitem__(self, index: Any) -> Any:
        if index != 0:
            raise IndexError("HeapQueue: only the head (index 0) can be read")
        return self._heap[0][2]

    def append(self, value: Any) -> None:
        heapq.heappush(self._heap, (value.key, next(self._count), value))

    def pop(self, index: int = -1) -> Any:
        if index != 0:
            raise IndexError("HeapQueue: only the head (index 0) can be popped")
        return heapq.heappop(self._heap)[2]

    def remove(self, value: Any) -> None:
        self._heap = [item for item in self._heap if item[2] is not value]
        heapq.heapify(self._heap)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise NotImplementedError("HeapQueue: use append")

    def __delitem__(self, index: Any) -> None:
        raise NotImplementedError("HeapQueue: use pop(0) or remove")

    def insert(self, index: int, value: Any) -> None:
        raise NotImplementedError("HeapQueue: use append")


class HeapPriorityResource(simpy.PriorityResource):
    """A PriorityResource whose waiting requests sit in a :class:`HeapQueue`."""

    PutQueue = HeapQueue  # type: ignore[assignment]  # SimPy types it as SortedQueue


def run_simpy(
    w: Workload, workers: int | None, *, heap_queue: bool = False
) -> tuple[float, Starts]:
    """Build and run the model on ``workers`` workers (None: unlimited); (makespan, starts).

    >>> from workload import make_workload
    >>> makespan, (first, revert, final) = run_simpy(make_workload(4, fail_p=0.0), 1)
    >>> final[0], revert[0]
    (0.0, -1.0)
    >>> run_simpy(make_workload(40, fail_p=0.2), 2, heap_queue=True) == run_simpy(
    ...     make_workload(40, fail_p=0.2), 2
    ... )
    True
    """
    return build_simpy(w, workers, heap_queue=heap_queue)()


def build_simpy(
    w: Workload, workers: int | None, *, heap_queue: bool = False
) -> Callable[[], tuple[float, Starts]]:
    """Construct the environment, the resource and one process per task; return the
    function that runs the model and returns (makespan, starts)."""
    n = w.n
    env = simpy.Environment(initial_time=0.0)
    done = [env.event() for _ in range(n)]
    first = [-1.0] * n
    revert = [-1.0] * n
    final = [-1.0] * n
    dur, rdur, fails = w.dur, w.rdur, w.fails

    def unlimited(i: int, preds: list[Event]) -> Generator[Event, Any, None]:
        if preds:
            yield env.all_of(preds)
        if fails[i]:
            first[i] = env.now
            yield env.timeout(dur[i])
            revert[i] = env.now
            yield env.timeout(rdur[i])
        final[i] = env.now
        yield env.timeout(dur[i])
        done[i].succeed()

    def limited(
        i: int, preds: list[Event], res: simpy.PriorityResource
    ) -> Generator[Event, Any, None]:
        if preds:
            yield env.all_of(preds)
        if fails[i]:
            yield _At(env, 3 + n + i)
            req = res.request(priority=i)
            yield req
            first[i] = env.now
            yield env.timeout(dur[i])
            revert[i] = env.now  # the revert keeps the worker
            yield env.timeout(rdur[i])
            yield _At(env, 2 + n)
            yield res.release(req)
            yield _At(env, 3 + n + i)
        else:
            yield _At(env, 2 + i)
        req = res.request(priority=i)
        yield req
        final[i] = env.now
        yield env.timeout(dur[i])
        done[i].succeed()
        yield _At(env, 2 + n)
        yield res.release(req)

    if workers is None:
        for i in range(n):
            env.process(unlimited(i, [done[p] for p in w.preds[i]]))
    else:
        kind = HeapPriorityResource if heap_queue else simpy.PriorityResource
        res = kind(env, capacity=workers)
        for i in range(n):
            env.process(limited(i, [done[p] for p in w.preds[i]], res))

    def run() -> tuple[float, Starts]:
        env.run()
        return env.now, (first, revert, final)

    return run


# --------------------------------------------------------------------------- small flows

SmallCounts = tuple[list[list[int]], list[list[int]]]  # (executions, reverts)[block][atom]


def run_simpy_small(w: SmallWorkload) -> tuple[float, SmallCounts]:
    """One run of the small-flow workload as a plain SimPy model: one process walks the
    blocks; a block's parallel tasks are timeouts joined with ``env.all_of``, its chain
    timeouts one after the other. Returns (makespan, (executions, reverts)), the counts
    per block in the order R, x0..x2, r, y0..y4 (the checkpoints take no time, as in
    flowsim, but are counted).

    >>> from workload import make_small
    >>> makespan, (execs, revs) = run_simpy_small(make_small(10))
    >>> execs[0], revs[0]
    ([2, 2, 2, 2, 3, 3, 3, 1, 1, 1], [0, 1, 1, 1, 1, 2, 2, 0, 0, 0])
    """
    env = simpy.Environment(initial_time=0.0)
    timeout, all_of = env.timeout, env.all_of
    execs = [[0] * 10 for _ in range(w.blocks)]
    revs = [[0] * 10 for _ in range(w.blocks)]

    def flow() -> Generator[Event, Any, None]:
        for k in range(w.blocks):
            ex, rv = execs[k], revs[k]
            xdur, xrdur, ydur, yrdur = w.xdur[k], w.xrdur[k], w.ydur[k], w.yrdur[k]
            fails_on, at = FAILS_ON[w.kind[k]], w.fail_at[k]
            while True:  # R{k}'s attempts
                ex[0] += 1
                for j in range(SMALL_PAR):
                    ex[1 + j] += 1
                yield all_of([timeout(d) for d in xdur])
                inner_tries = 0
                while True:  # r{k}'s attempts
                    ex[4] += 1
                    inner_tries += 1
                    failed = -1
                    for j in range(SMALL_CHAIN):
                        ex[5 + j] += 1
                        yield timeout(ydur[j])
                        if j == at and ex[5 + j] in fails_on:
                            failed = j
                            break
                    if failed < 0:
                        break
                    for j in range(failed, -1, -1):  # the chain reverts backwards
                        rv[5 + j] += 1
                        yield timeout(yrdur[j])
                    if inner_tries < 2:
                        continue  # r{k} retries the chain
                    rv[4] += 1  # r{k} gives up: it reverts, then the parallel tasks
                    for j in range(SMALL_PAR):
                        rv[1 + j] += 1
                    yield all_of([timeout(d) for d in xrdur])
                    break
                if failed < 0:
                    break  # the block succeeded
                # R{k} retries the block

    env.process(flow())
    env.run()
    return env.now, (execs, revs)
