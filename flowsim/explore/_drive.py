"""Drive the engine's private ``_Run`` from outside, with the explorer choosing what
completes: the same general methods ``_Run.run()`` calls, never its fast path.

One step of :func:`step` is the body of the engine's loop for one time: the chosen
completions are applied in start order (``complete``), then each execute failure among
them is resolved (``resolve``, or ``retained`` under ``never_resolve``), then under
stop_the_world the world halts, then ready work starts (``schedule``). ``now`` is an
abstract step counter (0 at the start, +1 per step), so the trace's times are step
numbers, not durations.

What :func:`key` abstracts away: the durations (the heap's end times, the workers' busy
times, wasted work, the latest execute's duration), the absolute start numbers (only the
start order of the work in flight is kept), the trace and resolution logs, the sequence
numbers of failures, and the retry controllers' returned values beyond their histories
(a controller decides on its history only). Kept exactly: every atom's state and
intention, execute and revert call counts, each retry controller's history, the work in
flight as ``(atom, kind, fails, worker)`` in start order, the ready queues, the free
workers and how many were hired, the readiness counts, the retained / halted / draining
flags, the flow's state, and the random streams' states when an atom draws from one.
Workers are kept exact: the engine gives a task the lowest free worker, so which worker
is a function of the abstract state and the choice, and the checker's worker rule reads
it.
"""

from __future__ import annotations

import copy
import heapq
import random
from collections.abc import Hashable, Sequence

from flowsim.compile import CompiledFlow
from flowsim.engine import _Run as _Run
from flowsim.errors import FlowsimError
from flowsim.model import Options
from flowsim.retries import HistoryLog
from flowsim.states import AtomState, FlowState

Entry = tuple[float, int, int, int, bool, int]  # (end, start number, atom, kind, fail, worker)

_LISTS = (
    "state",
    "intent",
    "exec_calls",
    "rev_calls",
    "exec_dur",
    "fail_seq",
    "heap",
    "ready_tasks",
    "ready_retries",
    "queued",
    "cand",
    "is_cand",
    "blocked",
    "free_workers",
    "busy",
    "events",
    "resolutions",
)
_SHARED = (  # read-only, or caches filled the same way on every branch
    "c",
    "atoms",
    "is_retry",
    "may_fail",
    "fixed",
    "options",
    "record",
    "lazy",
    "rank",
    "n",
    "exec_base",
    "limit",
    "stw",
    "budget",
    "forward",
    "exits",
)
_SCALARS = (
    "now",
    "started",
    "wasted",
    "n_events",
    "n_resolutions",
    "retained",
    "flow_state",
    "halted",
    "draining",
)
_KNOWN = frozenset((*_LISTS, *_SHARED, *_SCALARS, "history", "retry_values", "rngs"))


def start(c: CompiledFlow, options: Options) -> _Run:
    """A run that has started: the flow RUNNING and the first work scheduled."""
    run = _Run(c, options, record=True)
    unknown = set(vars(run)) - _KNOWN
    if unknown:  # the engine grew state this module does not copy: refuse, do not guess
        raise FlowsimError(
            f"internal error: flowsim.explore does not know the engine's state {sorted(unknown)}"
        )
    run.set_flow(FlowState.RUNNING)
    for i in range(len(c)):
        if not c.preds[i]:
            run.add_cand(i)
    run.schedule()
    return run


def clone(run: _Run) -> _Run:
    """An independent copy of ``run`` (the compiled flow and the options shared)."""
    new = copy.copy(run)
    for name in _LISTS:
        setattr(new, name, list(getattr(run, name)))
    history = {}
    for r, log in run.history.items():
        fresh = HistoryLog()
        fresh._entries = list(log._entries)  # a copy of the engine's log
        history[r] = fresh
    new.history = history
    new.retry_values = {r: list(v) for r, v in run.retry_values.items()}
    rngs = {}
    for i, stream in run.rngs.items():
        fresh_rng = random.Random()
        fresh_rng.setstate(stream.getstate())
        rngs[i] = fresh_rng
    new.rngs = rngs
    return new


def in_flight(run: _Run) -> list[Entry]:
    """The work in flight, in start order."""
    return sorted(run.heap, key=lambda e: e[1])


def step(run: _Run, chosen: Sequence[Entry], now: int) -> list[tuple[int, int, bool]]:
    """Complete the ``chosen`` work (a nonempty part of :func:`in_flight`, in start
    order) at step ``now``, as the engine's loop body does for one time. Returns each
    completion as ``(atom, kind, succeeded)``."""
    run.now = float(now)
    gone = {e[1] for e in chosen}
    run.heap = [e for e in run.heap if e[1] not in gone]
    heapq.heapify(run.heap)
    failed: list[int] = []
    done: list[tuple[int, int, bool]] = []
    for _, _, i, kind, fail, worker in chosen:
        run.complete(i, kind, fail, worker, failed)
        s = run.state[i]
        done.append((i, kind, s is AtomState.SUCCESS or s is AtomState.REVERTED))
    never = run.options.never_resolve
    for i in failed:
        if never:
            run.retained = True
        else:
            run.resolve(i)
    if failed and run.stw and not never and not run.halted:
        run.halted = True
        run.draining = True
        run.set_flow(FlowState.REVERTING)
    run.schedule()
    return done


def key(run: _Run) -> Hashable:
    """The abstract state of ``run`` (see the module's docstring for what it leaves out)."""
    flight = tuple((e[2], e[3], e[4], e[5]) for e in in_flight(run))
    history = tuple((r, _hashable(tuple(log.view()))) for r, log in sorted(run.history.items()))
    rngs = tuple((i, r.getstate()) for i, r in sorted(run.rngs.items())) if run.rngs else ()
    return (
        tuple(run.state),
        tuple(run.intent),
        tuple(run.exec_calls),
        tuple(run.rev_calls),
        history,
        flight,
        tuple(sorted(run.ready_tasks)),
        tuple(sorted(run.ready_retries)),
        tuple(run.queued),
        tuple(sorted(run.cand)),
        tuple(run.blocked),
        tuple(sorted(run.free_workers)),
        len(run.busy),
        run.retained,
        run.halted,
        run.draining,
        run.flow_state,
        rngs,
    )


def _hashable(value: object) -> Hashable:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
