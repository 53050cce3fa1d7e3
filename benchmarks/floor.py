"""The pure-Python floor: a bare heapq event loop producing flowsim's schedule.

One heap of completions ``(end time, start number, task, kind)``, an indegree array and a
heap of ready tasks keyed by task index. At each time t:

0. every completion due at t is applied in start order: a successful execute frees its
   worker and counts down its successors' indegrees; a failed first execute keeps its
   worker for the revert, which starts at once; a finished revert frees its worker;
1. the tasks made ready at t that are not wrapped in a checkpoint join the ready heap,
   and free workers go to the lowest task indices waiting;
2. then the wrapped tasks made ready at t (their zero-time checkpoint runs first) and the
   tasks whose revert ended at t join, and free workers again go to the lowest indices.

Start times go to three preallocated lists (see :data:`Starts`); nothing else is recorded.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from heapq import heappop, heappush
from pathlib import Path

from workload import Workload

# (first[i], revert[i], final[i]): the start of task i's failed first execute, of its
# revert (-1.0 when it did not fail) and of its successful execute.
Starts = tuple[list[float], list[float], list[float]]

_OK = 0  # an execute that succeeds
_FAIL = 1  # a first execute that fails
_REV = 2  # a revert


def run_floor(w: Workload, workers: int | None) -> tuple[float, Starts]:
    """Run the workload on ``workers`` workers (None: unlimited); (makespan, starts).

    >>> from workload import make_workload
    >>> makespan, (first, revert, final) = run_floor(make_workload(4, fail_p=0.0), 1)
    >>> final[0], revert[0]
    (0.0, -1.0)
    """
    n = w.n
    succs, dur, rdur, fails = w.succs, w.dur, w.rdur, w.fails
    indeg = [len(p) for p in w.preds]
    first = [-1.0] * n
    revert = [-1.0] * n
    final = [-1.0] * n
    events: list[tuple[float, int, int, int]] = []
    ready: list[int] = []
    free = n if workers is None else workers
    started = 0
    t = 0.0
    late = [i for i in range(n) if not indeg[i] and fails[i]]
    for i in range(n):
        if not indeg[i] and not fails[i]:
            ready.append(i)  # increasing: already a heap
    while True:
        # phase 1 (and, on the second pass, phase 2): free workers to the lowest indices
        for phase in (1, 2):
            if phase == 2:
                for i in late:
                    heappush(ready, i)
            while free and ready:
                i = heappop(ready)
                free -= 1
                started += 1
                if fails[i] and first[i] < 0.0:
                    first[i] = t
                    heappush(events, (t + dur[i], started, i, _FAIL))
                else:
                    final[i] = t
                    heappush(events, (t + dur[i], started, i, _OK))
        if not events:
            return t, (first, revert, final)
        # phase 0: every completion due at the next time
        t = events[0][0]
        late = []
        while events and events[0][0] == t:
            _, _, i, kind = heappop(events)
            if kind == _OK:
                free += 1
                for j in succs[i]:
                    indeg[j] -= 1
                    if not indeg[j]:
                        if fails[j]:
                            late.append(j)
                        else:
                            heappush(ready, j)
            elif kind == _FAIL:  # the revert starts now, on the same worker
                started += 1
                revert[i] = t
                heappush(events, (t + rdur[i], started, i, _REV))
            else:
                free += 1
                late.append(i)


# --------------------------------------------------------------------------- native

NATIVE_SOURCE = Path(__file__).resolve().parent / "native_heap.c"


def build_native(directory: str) -> str:
    """Compile ``native_heap.c`` (``cc -O2``) into ``directory``; the binary's path."""
    binary = str(Path(directory) / "native_heap")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler (cc or gcc) on PATH for the native reference")
    subprocess.run([cc, "-O2", "-o", binary, str(NATIVE_SOURCE)], check=True)
    return binary


def run_native(binary: str, w: Workload, workers: int | None) -> tuple[float, Starts, float, int]:
    """Run the workload through the C loop: (makespan, starts, loop seconds, completions).

    The C program times its own loop (not reading its input).

    >>> import tempfile
    >>> from workload import make_workload
    >>> w = make_workload(200, fail_p=0.1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     makespan, starts, _, completions = run_native(build_native(tmp), w, 4)
    >>> (makespan, starts) == run_floor(w, 4), completions == 200 + 2 * sum(w.fails)
    (True, True)
    """
    lines = [f"{w.n} {-1 if workers is None else workers}"]
    lines += [
        f"{w.dur[i].hex()} {w.rdur[i].hex()} {int(w.fails[i])} {len(w.succs[i])} "
        + " ".join(map(str, w.succs[i]))
        for i in range(w.n)
    ]
    with tempfile.NamedTemporaryFile("r", suffix=".starts") as out:
        proc = subprocess.run(
            [binary, out.name], input="\n".join(lines), capture_output=True, text=True, check=True
        )
        rows = [line.split() for line in out.read().splitlines()]
    makespan, seconds, completions = proc.stdout.split()
    first, revert, final = ([float.fromhex(r[k]) for r in rows] for k in range(3))
    return float.fromhex(makespan), (first, revert, final), float(seconds), int(completions)
