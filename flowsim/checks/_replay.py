"""The replay of a trace event by event (private to :mod:`flowsim.checks`): each event
is checked against the state it finds, and every broken rule is flagged; a failure's
resolution is judged with :mod:`flowsim.checks.oracle`, and the end of the trace is
checked last.

One module, past the usual ~500 lines: every check reads and updates the same replayed
state (atom states, open spans, workers, histories, pending reverts), so the replay is one
class whose methods follow the events; the rules' vocabulary (``_rules.py``) and the judge
of resolutions (``oracle.py``) are already apart."""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowsim.compile import CompiledFlow
from flowsim.model import Options, Strategy
from flowsim.retries import AlwaysRevert, AlwaysRevertAll, ForEach, HistoryLog, HistoryView, Times
from flowsim.states import (
    FLOW_TRANSITIONS,
    RETRY_TRANSITIONS,
    STOP_THE_WORLD_FLOW_TRANSITIONS,
    TASK_TRANSITIONS,
    AtomState,
    Decision,
    FlowState,
)
from flowsim.timing import Exponential, LogNormal, Uniform, atom_random, pick_duration
from flowsim.trace import Event, Resolution

from . import oracle
from ._deciders import DeciderWatch
from ._order import SameTime
from ._reach import Closed
from ._rules import Rule, Violation
from ._stw import StopTheWorld

A = AtomState
_DONE_BEFORE = frozenset({A.SUCCESS, A.IGNORE})  # what a predecessor must be
_CLEAR_AFTER = frozenset({A.PENDING, A.REVERTED, A.IGNORE})  # what a successor must be
_BUSY = frozenset({A.RUNNING, A.REVERTING, A.RETRYING})
_FINAL = frozenset({FlowState.SUCCESS, FlowState.REVERTED, FlowState.FAILURE})
_STATES: dict[str, AtomState] = {s.value: s for s in AtomState}  # AtomState(x), faster
_DRAWN = Uniform | Exponential | LogNormal  # the durations pick_duration draws for


def _attempts(controller: Any) -> int | None:
    """How many attempts a retry controller allows its scope (None: no bound known)."""
    if isinstance(controller, Times):
        return max(1, controller.attempts)
    if isinstance(controller, ForEach):
        return max(1, len(tuple(controller.values)))
    if isinstance(controller, AlwaysRevert | AlwaysRevertAll):
        return 1
    return None


@dataclass(slots=True)
class _Span:
    start: Event
    execute: bool
    duration: float | None  # the scenario's, when timing is checked
    fails: bool | None


def _resolution_text(
    action: Decision,
    retry: str | None,
    scope: Collection[str],
    chain: Sequence[tuple[str, Decision | str]],
) -> str:
    who = f"{action} {retry}" if retry else str(action)
    asked = ", ".join(f"{name}: {decision}" for name, decision in chain)
    return f"{who} scope {sorted(scope)} chain [{asked}]"


class _States(Mapping[str, AtomState]):
    """The replayed atom states by name, read through (no copy per resolution)."""

    __slots__ = ("index", "state")

    def __init__(self, index: Mapping[str, int], state: list[AtomState]) -> None:
        self.index, self.state = index, state

    def __getitem__(self, name: str) -> AtomState:
        return self.state[self.index[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


class _Replay:
    """One replay of a trace: atom states, spans, retry histories and pending reverts,
    updated event by event, with each broken rule flagged."""

    def __init__(
        self,
        c: CompiledFlow,
        options: Options,
        timing: bool,
        recorded: dict[int, Resolution] | None,
    ) -> None:
        self.c, self.options, self.timing, self.recorded = c, options, timing, recorded
        self.out: list[Violation] = []
        n = len(self.c)
        self.state = [A.PENDING] * n
        self.flow = FlowState.PENDING
        self.flow_event: Event | None = None
        self.spans: dict[int, _Span] = {}
        self.worker_of: dict[int, int] = {}  # worker -> atom at work on it
        self.execs = [0] * n
        self.revs = [0] * n
        self.rngs: dict[int, random.Random] = {}
        self.history = {i: HistoryLog() for i in range(n) if self.c.is_retry[i]}
        self.owner: list[int | None] = [None] * n  # resolution an atom must be reverted for
        self.marked = [False] * n  # intention REVERT (set by a resolution, cleared by a reset)
        self.round_due = [False] * n  # a retry decided RETRY and will run a round
        self.last_decision: dict[int, Decision] = {}
        self.resolutions: list[tuple[Event, str, frozenset[str]]] = []
        self.round: tuple[int, set[int], float] | None = None
        self.halt: Event | None = None
        self.failed_any = False
        self.over_bound = [False] * n
        self.bound = [self._bound(i) for i in range(n)]
        # every transitive predecessor done / every transitive successor clear, kept up
        # to date per state change (``_reach.Closed``), so no start walks a closure
        self.done = Closed(c.preds, c.succs, [False] * n, order=range(n))
        self.clear = Closed(c.succs, c.preds, [True] * n, order=range(n - 1, -1, -1))
        self.ignored: set[str] = set()  # the atoms now IGNORE
        self.tasks_at_work = 0  # spans of tasks (not retry controllers)
        self.executes_at_work = 0  # spans of executes
        self.every_name: frozenset[str] | None = None  # a REVERT_ALL's scope, made once
        self.stw = options.strategy is Strategy.STOP_THE_WORLD
        self.index = dict(c.index)  # (a plain dict: the fastest lookup per event)
        self.decide = DeciderWatch(self)
        self.miscounted: set[int] = set()  # atoms flagged for a wrong attempt
        self.same = SameTime(self) if timing else None
        self.stop = StopTheWorld(self) if self.stw else None

    # ---------------------------------------------------------------- helpers
    def flag(self, rule: Rule, message: str, *events: Event | None) -> None:
        evs = tuple(sorted((e for e in events if e is not None), key=lambda e: e.seq))
        self.out.append(Violation(rule, evs, message))

    def _bound(self, i: int) -> int | None:
        total = 1
        r = i if self.c.is_retry[i] else self.c.retry_of[i]
        while r >= 0:
            n = _attempts(self.c.controllers[r])
            if n is None:
                return None
            total *= n
            r = self.c.retry_of[r]
        return total

    def reached(self, i: int) -> list[int]:
        """The atoms forward-reachable from ``i`` (any order)."""
        succs = self.c.succs
        seen: set[int] = set()
        todo = list(succs[i])
        while todo:
            j = todo.pop()
            if j not in seen:
                seen.add(j)
                todo.extend(succs[j])
        return list(seen)

    def rng(self, i: int) -> random.Random:
        r = self.rngs.get(i)
        if r is None:
            r = self.rngs[i] = atom_random(self.options.seed, self.c.names[i])
        return r

    def snapshot(self, r: int) -> HistoryView:
        return self.history[r].view()

    # ---------------------------------------------------------------- resolution
    def resolve(self, i: int, e: Event) -> None:
        """Ask the retry controllers as the engine must, and judge the resolution."""
        c = self.c
        chain: list[tuple[str, Decision]] = []
        ignored = frozenset(self.ignored)
        atom, r = i, c.retry_of[i]
        while r >= 0 and self.state[r] is A.IGNORE:
            r = c.retry_of[r]
        while r >= 0:
            self.history[r].fail(c.names[atom])
            controller = c.controllers[r]
            assert controller is not None
            decision = Decision(controller.on_failure(self.snapshot(r)))
            chain.append((c.names[r], decision))
            self.last_decision[r] = decision
            if decision is not Decision.REVERT:
                break
            atom, r = r, c.retry_of[r]
            while r >= 0 and self.state[r] is A.IGNORE:
                r = c.retry_of[r]
        decisions = [d for _, d in chain]
        action, retry = oracle.resolve(
            c, e.name, decisions, defer_reverts=self.options.defer_reverts, ignored=ignored
        )
        if action is Decision.REVERT_ALL:  # oracle.scope's, made once
            if self.every_name is None:
                self.every_name = oracle.scope(c, action, retry)
            in_scope = self.every_name
        else:
            in_scope = oracle.scope(c, action, retry)
        if self.recorded is not None:
            got = self.recorded.pop(e.seq, None)
            expected = _resolution_text(action, retry, in_scope, chain)
            if got is None:
                self.flag(
                    Rule.RESOLUTION,
                    f"the failure of {e.name} has no recorded resolution; expected {expected}",
                    e,
                )
            elif (list(got.chain), got.action, got.retry, frozenset(got.scope)) != (
                chain,
                action,
                retry,
                in_scope,
            ):
                self.flag(
                    Rule.RESOLUTION,
                    f"the failure of {e.name} was resolved as "
                    f"{_resolution_text(got.action, got.retry, got.scope, list(got.chain))}; "
                    f"expected {expected}",
                    e,
                )
        must = oracle.minimal_revert_set(in_scope, _States(c.index, self.state))
        number = len(self.resolutions)
        self.resolutions.append((e, action, must))
        for name in must:
            self.owner[c.index[name]] = number
        if action is Decision.RETRY and retry is not None:
            r = c.index[retry]
            if not self.marked[r]:  # a RETRY never overrides a REVERT (bug 2043808)
                self.round_due[r] = True
        for name in in_scope:
            a = c.index[name]
            self.marked[a] = True
            self.round_due[a] = False
        if self.stop is not None:
            self.stop.failed(e)

    # ---------------------------------------------------------------- the end
    def finish(self) -> None:
        c = self.c
        if self.stop is not None:
            self.stop.finish()
        if self.decide.atoms or self.decide.due:
            self.decide.settle(None, "at the end")
        for span in self.spans.values():
            self.flag(
                Rule.UNFINISHED,
                f"{span.start.name} started {span.start.state} and never ended",
                span.start,
            )
        if self.flow not in _FINAL:
            self.flag(
                Rule.UNFINISHED,
                f"the flow ends {self.flow}, not in a final state",
                self.flow_event,
            )
        if self.halt is None:
            for number, (e, action, must) in enumerate(self.resolutions):
                left = sorted(a for a in must if self.owner[c.index[a]] == number)
                if left:
                    self.flag(
                        Rule.MINIMAL_SET,
                        f"the {action} after {e.name}'s failure at "
                        f"{e.time:g} must revert {sorted(must)}; never reverted: "
                        f"{', '.join(left)}",
                        e,
                    )
        if self.halt is None and self.flow in _FINAL:
            for i, s in enumerate(self.state):
                ready = s is A.PENDING and not self.marked[i] and self.done.all_good(i)
                if ready and (not c.deciders[i] or self.decide.voting(i) is None):
                    self.flag(
                        Rule.UNFINISHED,
                        f"{c.names[i]} was ready to execute (every predecessor done) "
                        "and never ran",
                        self.flow_event,
                    )
        if self.recorded:
            for seq, res in sorted(self.recorded.items()):
                self.flag(
                    Rule.RESOLUTION,
                    f"a resolution is recorded for event #{seq} "
                    f"({res.failed}), which is no resolved failure",
                )
        if self.flow not in _FINAL:
            return
        states = self.state
        unresolved = any(s is A.REVERT_FAILURE for s in states) or (
            self.options.never_resolve and self.failed_any
        )
        if unresolved:
            expected = FlowState.FAILURE
        elif all(s in _DONE_BEFORE for s in states):
            expected = FlowState.SUCCESS
        else:
            expected = FlowState.REVERTED
        if self.flow is not expected:
            self.flag(
                Rule.FINAL_STATE,
                f"the flow ends {self.flow}; its atoms say {expected}",
                self.flow_event,
            )
        elif expected is FlowState.REVERTED and self.options.defer_reverts:
            kept = [c.names[a] for a, s in enumerate(states) if s in (A.SUCCESS, A.FAILURE)]
            if kept:
                self.flag(
                    Rule.FINAL_STATE,
                    "with defer_reverts the flow ends REVERTED with "
                    f"{', '.join(kept)} not reverted",
                    self.flow_event,
                )

    # ---------------------------------------------------------------- the replay
    def run(self, events: Sequence[Event]) -> list[Violation]:
        previous: Event | None = None
        ended: Event | None = None
        for e in events:
            if previous is not None and (e.seq <= previous.seq or e.time < previous.time):
                self.flag(
                    Rule.TIME, "events go back in time (or seq does not increase)", previous, e
                )
            if ended is not None:
                self.flag(Rule.TIME, "an event after the flow's final state", ended, e)
            if (
                self.timing
                and previous is not None
                and e.time > previous.time
                and (self.decide.atoms or self.decide.due)
            ):
                self.decide.settle(e, f"when time moves on to t={e.time:g}")
            previous = e
            if e.subject == "flow":
                self.on_flow(e)
                if self.flow in _FINAL:
                    ended = e
            else:
                self.on_atom(e)
        self.finish()
        return self.out

    def on_flow(self, e: Event) -> None:
        new = FlowState(e.state)
        stw = self.options.strategy is Strategy.STOP_THE_WORLD
        table = STOP_THE_WORLD_FLOW_TRANSITIONS if stw else FLOW_TRANSITIONS
        if (self.flow, new) not in table:
            why = (
                " (under smart the flow is never REVERTING)" if new is FlowState.REVERTING else ""
            )
            self.flag(
                Rule.TRANSITION,
                f"flow {self.flow} -> {new} is not allowed{why}",
                self.flow_event,
                e,
            )
        if self.stop is not None:
            self.stop.flow(self.flow, new, e)
        self.flow, self.flow_event = new, e

    def on_atom(self, e: Event) -> None:
        c = self.c
        i = self.index[e.name]
        old = self.state[i]
        try:
            new = _STATES[e.state]
        except (KeyError, TypeError):
            new = AtomState(e.state)  # (its error)
        if (old, new) not in (RETRY_TRANSITIONS if c.is_retry[i] else TASK_TRANSITIONS):
            self.flag(Rule.TRANSITION, f"{e.name} {old} -> {new} is not allowed", e)
        starts = (new in _BUSY and new is not A.RUNNING) or (
            new is A.RUNNING and old is not A.RETRYING
        )
        if starts:
            if self.decide.atoms or self.decide.due:
                self.decide.settle(e, f"when {e.name} starts")
            if new is A.RUNNING:
                self.decide.executes(i, e)
            if self.halt is not None:
                self.flag(Rule.HALT, f"{e.name} starts after an unresolved failure", self.halt, e)
            if self.stop is not None:
                self.stop.starts(e, new)
        elif new is A.IGNORE and old is A.PENDING:
            self.decide.ignored(i, e)
        self.state[i] = new  # and the closures that read it (set_state(), written out)
        done, clear = self.done, self.clear
        good = new in _DONE_BEFORE
        if done.good[i] is not good:
            done.set_good(i, good)
        good = new in _CLEAR_AFTER
        if clear.good[i] is not good:
            clear.set_good(i, good)
        if new is A.IGNORE:
            self.ignored.add(e.name)
        elif self.ignored:
            self.ignored.discard(e.name)
        if new is A.RUNNING:
            self.execute_starts(i, e, old)
        elif new is A.SUCCESS or new is A.FAILURE or new is A.REVERTED:
            self.ends(i, e, new)
        elif new is A.REVERTING:
            self.revert_starts(i, e)
        elif new is A.RETRYING:
            self.round_starts(i, e)
        elif new is A.REVERT_FAILURE:
            self.ends(i, e, new)
        elif new is A.PENDING:
            self.reset(i, e)
        if e.attempt is not None and e.attempt != self.execs[i] and i not in self.miscounted:
            self.miscounted.add(i)  # (once an atom: every later event would repeat it)
            self.flag(
                Rule.ATTEMPT,
                f"{e.name}'s event says attempt {e.attempt}; it has executed "
                f"{self.execs[i]} time(s)",
                e,
            )

    def begin(
        self, i: int, e: Event, execute: bool, duration: float | None, fails: bool | None
    ) -> None:
        w = e.worker
        if not self.c.is_retry[i]:
            limit = self.options.workers
            if limit is not None and self.tasks_at_work >= limit:
                at_work = [s.start for j, s in self.spans.items() if not self.c.is_retry[j]]
                self.flag(
                    Rule.CAPACITY,
                    f"{e.name} starts while {len(at_work)} tasks are at work on {limit} worker(s)",
                    *at_work,
                    e,
                )
            if w is not None:
                if self.same is not None:
                    self.same.worker(e, self.worker_of)
                if limit is not None and not 0 <= w < limit:
                    self.flag(
                        Rule.CAPACITY,
                        f"{e.name} runs on worker {w}; the workers are 0..{limit - 1}",
                        e,
                    )
                other = self.worker_of.get(w)
                if other is not None:
                    self.flag(
                        Rule.CAPACITY,
                        f"worker {w} is still busy with {self.c.names[other]}",
                        self.spans[other].start,
                        e,
                    )
                self.worker_of[w] = i
        old = self.spans.get(i)
        if old is None:
            self.tasks_at_work += not self.c.is_retry[i]
        else:  # started again before it ended (a TRANSITION violation says so)
            self.executes_at_work -= old.execute
            was = old.start.worker
            if was is not None and was != w and self.worker_of.get(was) == i:
                del self.worker_of[was]  # its worker now is w: the old one is free
        self.executes_at_work += execute
        self.spans[i] = _Span(e, execute, duration, fails)

    def execute_starts(self, i: int, e: Event, old: AtomState) -> None:
        c = self.c
        if self.done.bad[i]:  # not done.all_good(i)
            blocked = [c.names[p] for p in self.done.bad_reached(i)]
            self.flag(
                Rule.PRECEDENCE, f"{e.name} executes before {', '.join(blocked)} finished", e
            )
        if old is A.RETRYING and self.round is not None:
            left = [c.names[a] for a in sorted(self.round[1]) if self.state[a] is not A.PENDING]
            if left:
                self.flag(Rule.RESET, f"{e.name}'s retry round did not reset {', '.join(left)}", e)
            self.round = None
        elif self.same is not None:
            self.same.starts(i, e, True)
        self.execs[i] += 1
        bound = self.bound[i]
        if bound is not None and self.execs[i] > bound and not self.over_bound[i]:
            self.over_bound[i] = True
            self.flag(
                Rule.RETRY_BOUND,
                f"{e.name} executes {self.execs[i]} times; its retry controllers allow {bound}",
                e,
            )
        duration = fails = None
        if self.timing:
            atom = c.atoms[i]
            k = self.execs[i]
            spec = atom.duration
            # draws only for a distribution (and only then makes the atom's generator)
            if type(spec) is float:
                duration = spec
            else:
                duration = pick_duration(
                    spec, k, self.rng(i) if isinstance(spec, _DRAWN) else None
                )
            fs = atom.fails_on
            fails = fs == "always" or k in fs
            if atom.fail_probability > 0.0 and self.rng(i).random() < atom.fail_probability:
                fails = True
        self.begin(i, e, True, duration, fails)

    def revert_starts(self, i: int, e: Event) -> None:
        c = self.c
        if not self.clear.all_good(i):
            busy = [c.names[s] for s in self.clear.bad_reached(i)]
            self.flag(Rule.REVERSE_ORDER, f"{e.name} reverts before {', '.join(busy)}", e)
        owner = self.owner[i]
        if owner is None:
            if self.last_decision.get(i) is Decision.RETRY:
                self.flag(Rule.RETRY_REVERTED, f"{e.name} decided RETRY but is reverted", e)
            else:
                self.flag(
                    Rule.OUT_OF_SCOPE,
                    f"{e.name} is reverted, but no resolution put "
                    "it in scope since it last executed",
                    e,
                )
        self.owner[i] = None
        self.revs[i] += 1
        if self.same is not None:
            self.same.starts(i, e, False)
        duration = fails = None
        if self.timing:
            atom = c.atoms[i]
            k = self.revs[i]
            spec = atom.revert_duration
            # draws only for a distribution (and only then makes the atom's generator)
            if type(spec) is float:
                duration = spec
            else:
                duration = pick_duration(
                    spec, k, self.rng(i) if isinstance(spec, _DRAWN) else None
                )
            fs = atom.revert_fails_on
            fails = fs == "always" or k in fs
        self.begin(i, e, False, duration, fails)

    def round_starts(self, r: int, e: Event) -> None:
        c = self.c
        scope = self.reached(r)
        if not self.clear.all_good(r):
            busy = [c.names[s] for s in self.clear.bad_reached(r)]
            self.flag(
                Rule.REVERSE_ORDER,
                f"{e.name} starts a retry round before {', '.join(busy)} reverted",
                e,
            )
        if not self.round_due[r]:
            self.flag(Rule.RESET, f"{e.name} starts a retry round it did not decide", e)
        if self.same is not None:
            self.same.starts(r, e, False)
        for a in (r, *scope):  # the round sets every intention in its scope to EXECUTE
            self.round_due[a] = False
            self.marked[a] = False
        self.round = (r, set(scope), e.time)

    def reset(self, i: int, e: Event) -> None:
        """A reset belongs to a retry round by event order: after the controller's
        RETRYING and before its next RUNNING. Only a simulated clock also puts it at the
        RETRYING event's time (a real engine stamps them apart)."""
        rnd = self.round
        if rnd is None or i not in rnd[1]:
            self.flag(
                Rule.RESET,
                f"{e.name} is reset outside a retry round of a retry controller above it",
                e,
            )
        elif self.timing and rnd[2] != e.time:
            self.flag(
                Rule.RESET,
                f"{e.name} is reset at t={e.time:g}, not at its retry round's time t={rnd[2]:g}",
                e,
            )
        self.marked[i] = False
        self.owner[i] = None

    def ends(self, i: int, e: Event, new: AtomState) -> None:
        span = self.spans.pop(i, None)
        if span is None:
            return  # not started: a TRANSITION violation already says so
        c = self.c
        self.tasks_at_work -= not c.is_retry[i]
        self.executes_at_work -= span.execute
        start = span.start
        if self.same is not None:
            self.same.ends(start, e)
        w = start.worker
        if w is not None and self.worker_of.get(w) == i:
            del self.worker_of[w]
        if e.worker != w:
            self.flag(
                Rule.PREEMPTION,
                f"{e.name} started on worker {w} and ended on worker {e.worker}",
                start,
                e,
            )
        failed = new is A.FAILURE or new is A.REVERT_FAILURE
        if span.execute and c.is_retry[i]:
            self.retry_ends(i, e, failed, span)
        elif span.fails is not None and span.fails != failed:
            self.flag(
                Rule.TIMING,
                f"{e.name}'s {'execute' if span.execute else 'revert'} "
                f"{'failed' if failed else 'succeeded'}; the scenario says it "
                f"{'fails' if span.fails else 'succeeds'}",
                span.start,
                e,
            )
        if span.duration is not None:
            took = e.time - start.time
            if took != span.duration and not math.isclose(
                took, span.duration, rel_tol=1e-9, abs_tol=1e-9
            ):
                rule = Rule.PREEMPTION if took < span.duration else Rule.TIMING
                self.flag(
                    rule,
                    f"{e.name}'s {'execute' if span.execute else 'revert'} took "
                    f"{took:g}; its duration is {span.duration:g}",
                    span.start,
                    e,
                )
        if new is A.REVERTED and c.is_retry[i]:
            self.history[i].clear()
        if new is A.REVERT_FAILURE and self.halt is None:
            self.halt = e
        if new is A.FAILURE and span.execute:
            self.failed_any = True
            if self.options.never_resolve:
                if self.halt is None:
                    self.halt = e
            else:
                self.resolve(i, e)

    def retry_ends(self, r: int, e: Event, failed: bool, span: _Span) -> None:
        """Run retry controller ``r``'s execute as the engine does, and compare."""
        if span.fails:  # an injected failure: the policy is not run
            expected = True
        else:
            controller = self.c.controllers[r]
            assert controller is not None
            try:
                value = controller.execute(self.snapshot(r))
            except Exception:
                expected = True
            else:
                expected = False
                if not failed:
                    self.history[r].append(value)
        if expected != failed and (self.timing or not failed):
            self.flag(
                Rule.TIMING,
                f"retry controller {e.name}'s execute "
                f"{'failed' if failed else 'succeeded'}, but its policy "
                f"{'fails' if expected else 'succeeds'} here",
                span.start,
                e,
            )
