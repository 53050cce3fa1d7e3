"""The discrete-event engine: runs a compiled flow under injected failures and timings.

All mutable simulation state lives in one private :class:`_Run` object. Time is virtual;
one heap holds the executes and reverts in flight, keyed ``(end time, start number)`` so
that completions due at the same time are applied in the order they were started.

Same-time rule (DESIGN.md, decision 10). At a time t the engine

1. applies every completion due at t, in the order they were started;
2. resolves the execute failures among them, in that order;
3. checks the atoms those changes may have made ready (in compile order; a static decider
   that says no sets atoms to IGNORE here), then starts ready work: reverts (and retry
   rounds) before executes, then higher ``priority``, then compile order. Retry
   controllers take no worker; a task's execute or revert takes the lowest free worker.

Work that takes no time completes at t too, and is applied in a later round at t.

Readiness (``taskflow-semantics.md`` section 4): an atom may execute when it is PENDING
with intention EXECUTE and every transitive predecessor is SUCCESS or IGNORE (with
intention EXECUTE or IGNORE); it may revert when it is SUCCESS or FAILURE with intention
REVERT (or RETRY, for a retry controller, which then starts a retry round) and every
transitive successor is PENDING, REVERTED or IGNORE. The engine checks direct neighbours
and looks through IGNORE atoms; the two are the same because a revert scope is always
closed under successors and a reset always resets every successor.

Cost. Without deciders (so without IGNORE atoms: "lazy" mode, the common case) the engine
counts each atom's direct predecessors that are not yet SUCCESS with intention EXECUTE
instead of rereading them, and a retry's resolution and round touch only the atoms of the
retry's own flow (see ``_Run.settled``). A property test checks that both change no trace
(``property_tests/test_engine_modes.py``). ``run()`` writes out the two commonest steps
for speed. The cyclic garbage collector is paused while a run builds its trace.

Layout. What a failure's retry controllers decide and what a static decider ignores are
functions of the compiled flow and the atom states, in ``_resolve.py``; ``_Run`` applies
them. ``_Run`` itself stays one class in one module (about 830 lines, past the usual
~500): its methods keep some thirty per-atom arrays (states, intentions, blocked counts,
ready queues, workers) consistent with each other at every step, and cutting it into
mixins or modules would spread one set of invariants over several files. Splitting out
the resolution changed no schedule and no timing beyond noise (``make bench
BENCH_ARGS=--quick`` before and after, back to back: the same makespans, events and start
times in all 8 configurations).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from types import MappingProxyType
from typing import Any

from flowsim._gc import gc_paused
from flowsim.compile import CompiledFlow, compile
from flowsim.errors import EventBudgetExceeded, FlowsimError, ModelError
from flowsim.model import (
    Flow,
    GraphFlow,
    LinearFlow,
    Options,
    Retry,
    Scenario,
    Strategy,
    Task,
    UnorderedFlow,
)
from flowsim.retries import HistoryLog, HistoryView
from flowsim.states import (
    RETRY_TRANSITIONS,
    STOP_THE_WORLD_FLOW_TRANSITIONS,
    TASK_TRANSITIONS,
    AtomState,
    Decision,
    FlowState,
    Intention,
)
from flowsim.timing import Duration, atom_random, pick_duration
from flowsim.trace import AtomMap, Event, LazyNames, Resolution, Result, Trace

from . import _resolve

__all__ = ["simulate"]


class _Default:
    """A keyword left out of :func:`simulate`: the scenario's option, else Options()'s.

    Its repr is what ``help(simulate)`` and a notebook's signature tooltip show, e.g.
    ``workers=<scenario's, else None>``.
    """

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def __repr__(self) -> str:
        default = getattr(Options(), self.field)
        shown = default.value if isinstance(default, Strategy) else default
        return f"<scenario's, else {shown!r}>"


_OPTIONS = Options()  # the options of a flow or compiled flow, before its keywords

_workers: Any = _Default("workers")
_seed: Any = _Default("seed")
_defer_reverts: Any = _Default("defer_reverts")
_never_resolve: Any = _Default("never_resolve")
_strategy: Any = _Default("strategy")
_event_budget: Any = _Default("event_budget")

PENDING = AtomState.PENDING
RUNNING = AtomState.RUNNING
SUCCESS = AtomState.SUCCESS
FAILURE = AtomState.FAILURE
REVERTING = AtomState.REVERTING
REVERTED = AtomState.REVERTED
REVERT_FAILURE = AtomState.REVERT_FAILURE
IGNORE = AtomState.IGNORE
RETRYING = AtomState.RETRYING
EXECUTE = Intention.EXECUTE
REVERT = Intention.REVERT
RETRY = Intention.RETRY
I_IGNORE = Intention.IGNORE

_EXEC = 0  # completion kinds
_REV = 1

_new_event = tuple.__new__  # Event(...) without NamedTuple's Python-level __new__


def simulate(
    target: Flow | CompiledFlow | Scenario,
    *,
    store: Mapping[str, Any] | None = None,
    workers: int | None = _workers,
    seed: int = _seed,
    defer_reverts: bool = _defer_reverts,
    never_resolve: bool = _never_resolve,
    strategy: Strategy | str = _strategy,
    event_budget: int | None = _event_budget,
    trace: bool = True,
) -> Result:
    """Run a flow and return its :class:`~flowsim.Result`.

    ``target`` is a flow (compiled here, with ``store``), a compiled flow, or a scenario
    (its options and store are used; keywords given here override its options). The
    options are those of :class:`~flowsim.Options`. ``trace=False`` keeps only the summary
    and counts (``Result.trace`` is ``None``): a faster run for sweeps. A run whose times
    or sums overflow to infinity raises :class:`~flowsim.ModelError` (no result could
    show it).

    >>> from flowsim import LinearFlow, Task
    >>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")]))
    >>> r.flow_state, r.makespan
    (<FlowState.SUCCESS: 'SUCCESS'>, 2.0)
    """
    base = _OPTIONS
    if isinstance(target, Scenario):
        base = target.options
        compiled = compile(target.flow, store=target.store if store is None else store)
    elif isinstance(target, CompiledFlow):
        if store is not None:
            raise ModelError("simulate(): a compiled flow has its store already; drop store=")
        compiled = target
    elif isinstance(target, LinearFlow | UnorderedFlow | GraphFlow):
        compiled = compile(target, store=store)
    else:
        raise ModelError(f"simulate() takes a flow, a compiled flow or a scenario, got {target!r}")
    given: dict[str, Any] = {
        k: v
        for k, v in (
            ("workers", workers),
            ("seed", seed),
            ("defer_reverts", defer_reverts),
            ("never_resolve", never_resolve),
            ("strategy", strategy),
            ("event_budget", event_budget),
        )
        if not isinstance(v, _Default)
    }
    options = replace(base, **given) if given else base  # (Options are frozen: shared)
    if not isinstance(trace, bool):
        raise ModelError(f"simulate(): trace must be True or False, got {trace!r}")
    with gc_paused():
        result = _Run(compiled, options, record=trace).run()
    finite = math.isfinite
    busy = result.worker_busy.values()
    if not (finite(result.makespan) and finite(result.wasted_work) and all(map(finite, busy))):
        raise ModelError(
            "the run's times overflow (a sum of durations is beyond the largest float, "
            "about 1.8e308); use smaller durations (e.g. other time units)"
        )
    return result


def _scope_names(c: CompiledFlow, r: int, with_r: bool) -> tuple[str, ...]:
    names = c.names
    return tuple(names[a] for a in ([r] if with_r else []) + c.reachable(r))


class _Run:
    """The mutable state of one simulation; never escapes :func:`simulate`."""

    def __init__(
        self, c: CompiledFlow, options: Options, *, record: bool = True, lazy: bool = True
    ) -> None:
        n = len(c)
        self.c = c
        self.atoms, self.is_retry = c.atoms, c.is_retry
        self.may_fail = [bool(a.fails_on) or a.fail_probability > 0.0 for a in c.atoms]
        # run()'s fast path: a task's duration when it is fixed and the task cannot fail
        self.fixed: list[float | None] = [
            a.duration if isinstance(a, Task) and type(a.duration) is float and not may else None
            for a, may in zip(c.atoms, self.may_fail, strict=True)
        ]
        self.options = options
        self.record = record  # keep every event and resolution (else only count them)
        # lazy: touch only a retry's own flow, not the atoms after it (see settled())
        self.lazy = lazy and not any(c.deciders)
        self.now = 0.0
        self.state: list[AtomState] = [PENDING] * n
        self.intent: list[Intention] = [EXECUTE] * n
        self.exec_calls = [0] * n
        self.rev_calls = [0] * n
        self.exec_dur = [0.0] * n  # duration of the latest execute (for wasted work)
        self.fail_seq = [0] * n  # seq of the latest FAILURE event
        self.history: dict[int, HistoryLog] = {i: HistoryLog() for i in range(n) if c.is_retry[i]}
        self.retry_values: dict[int, list[Any]] = {i: [] for i in self.history}
        self.rngs: dict[int, random.Random] = {}
        self.forward: dict[int, list[int]] = {}
        self.exits: dict[int, list[int]] = {}
        # completions in flight: (end time, start number, atom, kind, failed, worker or -1)
        self.heap: list[tuple[float, int, int, int, bool, int]] = []
        self.started = 0
        # ready work, as one int per atom ordered like (class, -priority, atom): class 0 =
        # revert or retry round, 1 = execute; key = (class * R + priority rank) * n + atom
        self.ready_tasks: list[int] = []
        self.ready_retries: list[int] = []
        prios = sorted({a.priority for a in c.atoms}, reverse=True)
        rank = {p: k for k, p in enumerate(prios)}
        self.n = n
        self.rank = [rank[a.priority] * n for a in c.atoms] if len(prios) > 1 else None
        self.exec_base = len(prios) * n  # the first key of class 1
        self.queued = [False] * n
        self.cand: list[int] = []
        self.is_cand = [False] * n
        # lazy mode: how many direct predecessors of each atom are not yet SUCCESS with
        # intention EXECUTE (with no IGNORE, an atom may execute when this is 0)
        self.blocked = [len(p) for p in c.preds] if self.lazy else []
        # workers
        self.limit = options.workers
        self.free_workers: list[int] = list(range(options.workers or 0))
        self.busy: list[float] = [0.0] * (options.workers or 0)  # per worker
        self.wasted = 0.0
        # outcome
        self.events: list[Event] = []
        self.n_events = 0
        self.resolutions: list[Resolution] = []
        self.n_resolutions = 0
        self.retained = False  # an unresolved failure: nothing new starts
        self.flow_state = FlowState.PENDING
        self.halted = False  # stop_the_world: a failure stopped the world
        self.draining = False  # ... and work started before it is still running
        self.stw = options.strategy is Strategy.STOP_THE_WORLD
        budget = options.event_budget
        self.budget = budget if budget is not None else 1_000_000 + 1_000 * n

    # ------------------------------------------------------------------ trace
    def emit(
        self, subject: str, name: str, state: str, attempt: int | None, worker: int | None
    ) -> None:
        n = self.n_events
        if n >= self.budget:
            self.over_budget()
        self.n_events = n + 1
        if self.record:
            self.events.append(
                _new_event(Event, (self.now, n, subject, name, state, attempt, worker))
            )

    def over_budget(self) -> None:
        message = self.budget_message()
        # the run ends here and its trace is lost with it: free the events now, while the
        # cyclic collector is paused, so that it does not scan them all when it resumes
        self.events.clear()
        self.resolutions.clear()
        raise EventBudgetExceeded(message)

    def budget_message(self) -> str:
        return (
            f"flow {self.c.name!r}: the run recorded {self.budget} events by time "
            f"{self.now:g} without finishing; it may never end (e.g. AlwaysRetry around "
            f"an atom that always fails){self.looping()}. If it is just long, raise "
            "event_budget."
        )

    def looping(self) -> str:
        """The atom executed most often (a task before a retry controller, then compile
        order), and the retry controller that retried it, as the budget error says them."""
        c, calls = self.c, self.exec_calls
        if not any(calls):
            return ""
        i = max(range(len(c)), key=lambda a: (calls[a], not c.is_retry[a], -a))
        r = i if c.is_retry[i] else c.retry_of[i]
        by = "" if r < 0 or r == i else f" in the scope of retry controller {c.names[r]!r}"
        times = "once" if calls[i] == 1 else f"{calls[i]} times"
        return f": {c.names[i]!r}{by} was executed {times}"

    def set_state(self, i: int, new: AtomState, worker: int | None = None) -> None:
        old = self.state[i]
        if old is new:
            return
        table = RETRY_TRANSITIONS if self.c.is_retry[i] else TASK_TRANSITIONS
        if (old, new) not in table:  # an engine bug, never a user error
            raise FlowsimError(f"internal error: {self.c.names[i]!r} cannot go {old} -> {new}")
        self.state[i] = new
        self.emit("atom", self.c.names[i], new, self.exec_calls[i], worker)

    def set_flow(self, new: FlowState) -> None:
        if (self.flow_state, new) not in STOP_THE_WORLD_FLOW_TRANSITIONS or (
            new is FlowState.REVERTING and not self.stw
        ):
            raise FlowsimError(f"internal error: flow cannot go {self.flow_state} -> {new}")
        self.flow_state = new
        self.emit("flow", self.c.name, new, None, None)

    # ------------------------------------------------------------------ main loop
    def run(self) -> Result:
        c = self.c
        self.set_flow(FlowState.RUNNING)
        for i in range(len(c)):
            if not c.preds[i]:
                self.add_cand(i)
        self.schedule()
        # The loop takes the two commonest steps itself, written out for speed: a task's
        # execute that succeeds (complete(), then unblock()), and starting ready task
        # executes with fixed durations that cannot fail (start_ready(), execute()).
        # Both only in lazy mode (no deciders) and when nothing else is going on; every
        # other case goes through the general methods.
        heap, state, intent, succs = self.heap, self.state, self.intent, c.succs
        blocked, queued, ready, free_workers = (
            self.blocked,
            self.queued,
            self.ready_tasks,
            self.free_workers,
        )
        names, is_retry, fixed, rank = c.names, c.is_retry, self.fixed, self.rank
        ready_retries = self.ready_retries
        exec_calls, exec_dur, busy, events = self.exec_calls, self.exec_dur, self.busy, self.events
        fast, record, budget, limited = self.lazy, self.record, self.budget, self.limit is not None
        n, exec_base = self.n, self.exec_base
        pop, push = heapq.heappop, heapq.heappush
        while heap:
            t = heap[0][0]
            self.now = t
            failed: list[int] = []
            while heap and heap[0][0] == t:
                _, _, i, kind, fail, worker = pop(heap)
                if not (
                    fast
                    and kind == _EXEC
                    and not fail
                    and not is_retry[i]
                    and intent[i] is EXECUTE
                    and state[i] is RUNNING
                ):
                    self.complete(i, kind, fail, worker, failed)
                    continue
                push(free_workers, worker)  # complete(), for a task that succeeded
                state[i] = SUCCESS
                k = self.n_events
                if k >= budget:
                    self.over_budget()
                self.n_events = k + 1
                if record:
                    events.append(
                        _new_event(Event, (t, k, "atom", names[i], SUCCESS, exec_calls[i], worker))
                    )
                for j in succs[i]:  # unblock(), queue()
                    b = blocked[j] = blocked[j] - 1
                    if b == 0 and state[j] is PENDING and intent[j] is EXECUTE and not queued[j]:
                        queued[j] = True
                        key = exec_base + (rank[j] if rank else 0) + j
                        push(ready_retries if is_retry[j] else ready, key)
            for i in failed:
                if self.options.never_resolve:
                    self.retained = True
                else:
                    self.resolve(i)
            if failed and self.stw and not self.options.never_resolve and not self.halted:
                self.halted = True
                self.draining = True
                self.set_flow(FlowState.REVERTING)
            if not fast or self.cand or self.retained or self.halted or ready_retries:
                self.schedule()
                continue
            free = len(free_workers) if limited else len(ready)
            while ready and free:  # start_ready(), for tasks only
                key = pop(ready)
                i = key % n
                queued[i] = False
                dur = fixed[i]
                if not (
                    dur is not None
                    and key >= exec_base
                    and state[i] is PENDING
                    and intent[i] is EXECUTE
                    and blocked[i] == 0
                ):
                    if not self.valid(i):
                        continue
                    free -= 1
                    if key >= exec_base:
                        self.execute(i)
                    else:
                        self.revert(i)
                    continue
                free -= 1  # execute(), for a fixed duration that cannot fail
                worker = pop(free_workers) if free_workers else self.hire()
                calls = exec_calls[i] = exec_calls[i] + 1
                exec_dur[i] = dur
                state[i] = RUNNING
                k = self.n_events
                if k >= budget:
                    self.over_budget()
                self.n_events = k + 1
                if record:
                    events.append(
                        _new_event(Event, (t, k, "atom", names[i], RUNNING, calls, worker))
                    )
                busy[worker] += dur
                self.started += 1
                push(heap, (t + dur, self.started, i, _EXEC, False, worker))
        return self.result()

    def result(self) -> Result:
        c = self.c
        if self.retained:
            final = FlowState.FAILURE
        elif all(s is SUCCESS or s is IGNORE for s in self.state):
            final = FlowState.SUCCESS
        else:
            final = FlowState.REVERTED
        self.set_flow(final)
        names = c.names
        return Result(
            flow_state=final,
            makespan=self.now,
            executions=AtomMap(c.index, self.exec_calls),
            reverts=AtomMap(c.index, self.rev_calls),
            atom_final_states=AtomMap(c.index, self.state),
            retry_values=MappingProxyType(
                {names[i]: tuple(v) for i, v in self.retry_values.items()}
            ),
            worker_busy=MappingProxyType(dict(enumerate(self.busy))),
            wasted_work=self.wasted,
            trace=Trace(c.name, tuple(self.events), tuple(self.resolutions), self.options)
            if self.record
            else None,
            compiled=c,
            options=self.options,
            event_count=self.n_events,
            resolution_count=self.n_resolutions,
        )

    # ------------------------------------------------------------------ completions
    def complete(self, i: int, kind: int, fail: bool, worker: int, failed: list[int]) -> None:
        c = self.c
        w = None
        if worker >= 0:
            w = worker
            heapq.heappush(self.free_workers, worker)
        if kind == _EXEC:
            if not fail and c.is_retry[i]:
                fail = not self.retry_execute(i)
            if fail:
                self.set_state(i, FAILURE, w)
                self.fail_seq[i] = self.n_events - 1
                failed.append(i)
            else:
                self.state[i] = SUCCESS  # from RUNNING: always allowed, no check needed
                self.emit("atom", c.names[i], SUCCESS, self.exec_calls[i], w)
                if self.intent[i] is not EXECUTE:  # its scope was resolved while it ran
                    self.add_cand(i)  # now it reverts
                elif self.lazy:
                    self.unblock(i)
                else:
                    self.cand_succs(i)
        elif fail:
            self.set_state(i, REVERT_FAILURE, w)
            self.retained = True
        else:
            self.set_state(i, REVERTED, w)
            if c.is_retry[i]:
                self.history[i].clear()
            self.cand_preds(i)

    def retry_execute(self, i: int) -> bool:
        """Run retry controller ``i``'s execute; record the value. False if it failed."""
        controller = self.c.controllers[i]
        assert controller is not None
        try:
            value = controller.execute(self.snapshot(i))
        except Exception:  # the controller's own execute failed: data in the trace, not a crash
            return False
        self.history[i].append(value)
        self.retry_values[i].append(value)
        return True

    def snapshot(self, r: int) -> HistoryView:
        return self.history[r].view()

    # ------------------------------------------------------------------ resolution
    def resolve(self, i: int) -> None:
        c = self.c
        chain: list[tuple[str, Decision]] = []
        action, r, _ = _resolve.determine(
            c, self.state, self.history, self.options.defer_reverts, i, chain
        )
        intent = self.intent
        names: Sequence[str]
        if action is Decision.RETRY:
            if intent[r] is not REVERT:  # a RETRY never overrides a REVERT (bug 2043808)
                self.block(r)
                intent[r] = RETRY
            marked: Sequence[int] = self.settled(r)
            touched: Sequence[int] = [r, *marked]
            names = LazyNames(partial(_scope_names, c, r, False))
        elif action is Decision.REVERT:
            marked = touched = [r, *self.reach(r)]
            names = LazyNames(partial(_scope_names, c, r, True))
        else:
            marked = touched = range(len(c))
            names = c.names
        for a in marked:
            self.block(a)
            intent[a] = REVERT
        for a in touched:
            s = self.state[a]
            if s is SUCCESS or s is FAILURE:
                self.add_cand(a)
        self.n_resolutions += 1
        if self.record:
            self.resolutions.append(
                Resolution(
                    time=self.now,
                    seq=self.fail_seq[i],
                    failed=c.names[i],
                    chain=tuple(chain),
                    action=action,
                    retry=c.names[r] if r >= 0 else None,
                    scope=names,
                )
            )

    def reach(self, r: int) -> list[int]:
        scope = self.forward.get(r)
        if scope is None:
            scope = self.forward[r] = self.c.reachable(r)
        return scope

    def settled(self, r: int) -> Sequence[int]:
        """The atoms of retry ``r``'s scope whose intention a RETRY sets to REVERT, and
        which its retry round resets: the whole scope, or (``lazy``) only ``r``'s flow.

        Without deciders (so without IGNORE) an atom's descendants are PENDING while it
        is PENDING. When ``r`` retries, an atom of its flow has failed; every atom after
        the flow descends from it, so it is PENDING from before the resolution until the
        retry round (it cannot start before the failed atom succeeds again), and marking
        it REVERT and then resetting it to EXECUTE changes nothing anyone reads. Skipping
        those atoms keeps the cost of a retry to the size of its flow, not of everything
        downstream. The atoms right after the flow are checked to be PENDING.
        """
        if not self.lazy:
            return self.reach(r)
        c, state = self.c, self.state
        exits = self.exits.get(r)
        if exits is None:
            own = {r, *c.inside[r]}
            exits = self.exits[r] = sorted({s for a in own for s in c.succs[a] if s not in own})
        for s in exits:
            if state[s] is not PENDING:  # an engine bug, never a user error
                raise FlowsimError(
                    f"internal error: {c.names[s]!r} after the flow of retry "
                    f"{c.names[r]!r} is {state[s]}, not PENDING"
                )
        return c.inside[r]

    # ------------------------------------------------------------------ readiness
    def unblock(self, i: int) -> None:
        """Lazy mode: ``i`` is now SUCCESS with intention EXECUTE; queue what that frees."""
        blocked, state, intent, queued = self.blocked, self.state, self.intent, self.queued
        for s in self.c.succs[i]:
            b = blocked[s] = blocked[s] - 1
            if b == 0 and state[s] is PENDING and intent[s] is EXECUTE and not queued[s]:
                self.queue(s, 1)

    def block(self, i: int) -> None:
        """Lazy mode: before ``i``'s intention changes from EXECUTE, count it as not done
        for its successors if it was SUCCESS."""
        if self.lazy and self.state[i] is SUCCESS and self.intent[i] is EXECUTE:
            blocked = self.blocked
            for s in self.c.succs[i]:
                blocked[s] += 1

    def add_cand(self, i: int) -> None:
        if not self.is_cand[i]:
            self.is_cand[i] = True
            heapq.heappush(self.cand, i)

    def cand_succs(self, i: int) -> None:
        self.cand_near(i, self.c.succs)

    def cand_preds(self, i: int) -> None:
        self.cand_near(i, self.c.preds)

    def cand_near(self, i: int, links: tuple[tuple[int, ...], ...]) -> None:
        """Make ``i``'s neighbours in ``links`` candidates, looking through IGNORE atoms."""
        state = self.state
        stack = list(links[i])
        seen: set[int] | None = None
        while stack:
            j = stack.pop()
            self.add_cand(j)
            if state[j] is IGNORE:
                if seen is None:
                    seen = set()
                if j not in seen:
                    seen.add(j)
                    stack.extend(links[j])

    def preds_done(self, i: int) -> bool:
        state, intent, preds = self.state, self.intent, self.c.preds
        stack = list(preds[i])
        seen: set[int] | None = None
        while stack:
            p = stack.pop()
            s = state[p]
            if s is SUCCESS:
                if intent[p] is not EXECUTE and intent[p] is not I_IGNORE:
                    return False
            elif s is IGNORE:
                if intent[p] is not EXECUTE and intent[p] is not I_IGNORE:
                    return False
                if seen is None:
                    seen = set()
                if p not in seen:  # look through an ignored atom
                    seen.add(p)
                    stack.extend(preds[p])
            else:
                return False
        return True

    def succs_clear(self, i: int) -> bool:
        state, succs = self.state, self.c.succs
        stack = list(succs[i])
        seen: set[int] | None = None
        while stack:
            s = stack.pop()
            st = state[s]
            if st is PENDING or st is REVERTED:
                continue
            if st is not IGNORE:
                return False
            if seen is None:
                seen = set()
            if s not in seen:
                seen.add(s)
                stack.extend(succs[s])
        return True

    def can_execute(self, i: int) -> bool:
        if self.state[i] is not PENDING or self.intent[i] is not EXECUTE:
            return False
        return self.blocked[i] == 0 if self.lazy else self.preds_done(i)

    def can_revert(self, i: int) -> bool:
        s, w = self.state[i], self.intent[i]
        return (
            (s is SUCCESS or s is FAILURE) and (w is REVERT or w is RETRY) and self.succs_clear(i)
        )

    def check_candidates(self) -> None:
        cand, is_cand, c = self.cand, self.is_cand, self.c
        while cand:
            i = heapq.heappop(cand)
            is_cand[i] = False
            if self.queued[i]:
                continue
            if self.can_execute(i):
                if c.deciders[i] and self.decided_no(i):
                    continue
                cls = 1
            elif self.can_revert(i):
                cls = 0
            else:
                continue
            self.queue(i, cls)

    def queue(self, i: int, cls: int) -> None:
        self.queued[i] = True
        key = (self.exec_base if cls else 0) + (self.rank[i] if self.rank else 0) + i
        heapq.heappush(self.ready_retries if self.c.is_retry[i] else self.ready_tasks, key)

    def decided_no(self, i: int) -> bool:
        """Apply the static deciders on links into atom ``i``; True if it was ignored."""
        affected = _resolve.ignored(self.c, self.state, i)
        for a in affected:
            if self.state[a] is PENDING:
                self.set_state(a, IGNORE)
            self.intent[a] = I_IGNORE
        for a in affected:
            self.cand_succs(a)
        return bool(affected)

    # ------------------------------------------------------------------ starting work
    def schedule(self) -> None:
        if self.cand:
            self.check_candidates()
        if self.retained:
            return  # an unresolved failure: running work drains, nothing new starts
        if not self.halted:
            self.start_ready(revert_only=False)
            return
        # stop_the_world: wait for everything running, then revert with nothing else
        # running, then resume
        if self.draining:
            if self.heap:  # work still running
                return
            self.draining = False
        self.start_ready(revert_only=True)
        if self.heap:
            return
        self.halted = False
        if self.has_ready():
            self.set_flow(FlowState.RUNNING)
            self.start_ready(revert_only=False)

    def valid(self, i: int) -> bool:
        if self.state[i] is not PENDING:
            return self.can_revert(i)
        if self.intent[i] is not EXECUTE:
            return False
        return self.blocked[i] == 0 if self.lazy else self.preds_done(i)

    def has_ready(self) -> bool:
        for heap in (self.ready_retries, self.ready_tasks):
            while heap:
                i = heap[0] % self.n
                if self.valid(i):
                    return True
                heapq.heappop(heap)
                self.queued[i] = False
        return False

    def start_ready(self, *, revert_only: bool) -> None:
        todo: list[int] = []
        n, exec_base = self.n, self.exec_base
        stop = exec_base if revert_only else 2 * exec_base
        heap, queued, valid, pop = self.ready_retries, self.queued, self.valid, heapq.heappop
        while heap and heap[0] < stop:
            key = pop(heap)
            queued[key % n] = False
            if valid(key % n):
                todo.append(key)
        heap = self.ready_tasks
        free = len(heap) if self.limit is None else len(self.free_workers)
        state, intent, blocked, lazy = self.state, self.intent, self.blocked, self.lazy
        while heap and free and heap[0] < stop:
            key = pop(heap)
            i = key % n
            queued[i] = False
            if (
                state[i] is PENDING and intent[i] is EXECUTE and lazy and blocked[i] == 0
            ) or valid(i):  # (the first test is valid()'s common case)
                todo.append(key)
                free -= 1
        if len(todo) > 1:
            todo.sort()
        for key in todo:
            i = key % n
            if key >= exec_base:
                self.execute(i)
            elif self.intent[i] is RETRY:
                self.start_round(i)
            else:
                self.revert(i)

    def hire(self) -> int:
        """Unlimited workers: a new one (when none is free)."""
        self.busy.append(0.0)
        return len(self.busy) - 1

    def rng(self, i: int) -> random.Random:
        r = self.rngs.get(i)
        if r is None:
            r = self.rngs[i] = atom_random(self.options.seed, self.c.names[i])
        return r

    def take_worker(self, i: int) -> tuple[int, int | None]:
        """A task takes the lowest free worker, a retry controller none: (worker or -1,
        worker or None)."""
        if self.is_retry[i]:
            return -1, None
        w = heapq.heappop(self.free_workers) if self.free_workers else self.hire()
        return w, w

    def duration(self, i: int, spec: Duration, call: int) -> float:
        if type(spec) is float:
            return spec
        return pick_duration(spec, call, None if type(spec) is tuple else self.rng(i))

    def execute(self, i: int) -> None:
        """Start atom ``i``'s execute."""
        atom: Task | Retry = self.atoms[i]
        worker, w = self.take_worker(i)
        k = self.exec_calls[i] = self.exec_calls[i] + 1
        dur = self.duration(i, atom.duration, k)
        fail = False
        if self.may_fail[i]:
            fs = atom.fails_on
            fail = fs == "always" or k in fs
            if atom.fail_probability > 0.0 and self.rng(i).random() < atom.fail_probability:
                fail = True
        self.exec_dur[i] = dur
        if self.state[i] is PENDING:  # always allowed: skip set_state's check
            self.state[i] = RUNNING
            self.emit("atom", atom.name, RUNNING, k, w)
        else:
            self.set_state(i, RUNNING, w)
        if w is not None:
            self.busy[worker] += dur
        self.started += 1
        heapq.heappush(self.heap, (self.now + dur, self.started, i, _EXEC, fail, worker))

    def revert(self, i: int) -> None:
        """Start atom ``i``'s revert."""
        atom: Task | Retry = self.atoms[i]
        worker, w = self.take_worker(i)
        k = self.rev_calls[i] = self.rev_calls[i] + 1
        dur = self.duration(i, atom.revert_duration, k)
        fs = atom.revert_fails_on
        fail = fs == "always" or k in fs
        self.wasted += self.exec_dur[i]
        self.set_state(i, REVERTING, w)
        if w is not None:
            self.busy[worker] += dur
        self.started += 1
        heapq.heappush(self.heap, (self.now + dur, self.started, i, _REV, fail, worker))

    def start_round(self, r: int) -> None:
        """Retry controller ``r`` decided RETRY and its scope has reverted: run it again."""
        self.set_state(r, RETRYING)
        for a in self.settled(r):
            if self.state[a] is not PENDING:
                self.set_state(a, PENDING)
            self.intent[a] = EXECUTE
        self.intent[r] = EXECUTE
        self.execute(r)
