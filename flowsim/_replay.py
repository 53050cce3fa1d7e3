"""The replay of a trace event by event (private to :mod:`flowsim.checks`): each event
is checked against the state it finds, and every broken rule is flagged."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ._replay_state import _BUSY, _CLEAR_AFTER, _DONE_BEFORE, _FINAL, A, _ReplayState, _Span
from ._rules import Rule, Violation
from .model import Strategy
from .states import (
    FLOW_TRANSITIONS,
    RETRY_TRANSITIONS,
    STOP_THE_WORLD_FLOW_TRANSITIONS,
    TASK_TRANSITIONS,
    AtomState,
    Decision,
    FlowState,
)
from .timing import pick_duration
from .trace import Event


class _Replay(_ReplayState):
    """Replay a trace event by event on a :class:`_ReplayState`, flagging each broken rule."""

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
        self.flow, self.flow_event = new, e

    def on_atom(self, e: Event) -> None:
        c = self.c
        i = c.index[e.name]
        old, new = self.state[i], AtomState(e.state)
        table = RETRY_TRANSITIONS if c.is_retry[i] else TASK_TRANSITIONS
        if (old, new) not in table:
            self.flag(Rule.TRANSITION, f"{e.name} {old} -> {new} is not allowed", e)
        if (new in _BUSY and new is not A.RUNNING) or (new is A.RUNNING and old is not A.RETRYING):
            self.starting(e, new)
        self.state[i] = new
        if new is A.RUNNING:
            self.execute_starts(i, e, old)
        elif new is A.REVERTING:
            self.revert_starts(i, e)
        elif new is A.RETRYING:
            self.round_starts(i, e)
        elif new in (A.SUCCESS, A.FAILURE, A.REVERTED, A.REVERT_FAILURE):
            self.ends(i, e, new)
        elif new is A.PENDING:
            self.reset(i, e)

    def starting(self, e: Event, new: AtomState) -> None:
        """Checks common to every start (``new``: RUNNING, REVERTING or RETRYING): halt,
        stop_the_world."""
        if self.halt is not None:
            self.flag(Rule.HALT, f"{e.name} starts after an unresolved failure", self.halt, e)
        if self.options.strategy is Strategy.STOP_THE_WORLD:
            if new is A.RUNNING and self.flow is FlowState.REVERTING:
                self.flag(
                    Rule.STOP_THE_WORLD,
                    f"{e.name} executes while the world is stopped",
                    self.flow_event,
                    e,
                )
            if new is not A.RUNNING and self.flow is not FlowState.REVERTING:
                self.flag(
                    Rule.STOP_THE_WORLD,
                    f"{e.name} starts {new} while the flow is {self.flow}, not REVERTING",
                    self.flow_event,
                    e,
                )
            if new is not A.RUNNING:
                busy = [s.start for s in self.spans.values() if s.execute]
                if busy:
                    self.flag(
                        Rule.STOP_THE_WORLD,
                        f"{e.name} starts {new} while executes still run",
                        *busy,
                        e,
                    )

    def begin(
        self, i: int, e: Event, execute: bool, duration: float | None, fails: bool | None
    ) -> None:
        w = e.worker
        if not self.c.is_retry[i]:
            limit = self.options.workers
            at_work = [s.start for j, s in self.spans.items() if not self.c.is_retry[j]]
            if limit is not None and len(at_work) >= limit:
                self.flag(
                    Rule.CAPACITY,
                    f"{e.name} starts while {len(at_work)} tasks are at work on {limit} worker(s)",
                    *at_work,
                    e,
                )
            if w is not None:
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
        self.spans[i] = _Span(e, execute, duration, fails)

    def execute_starts(self, i: int, e: Event, old: AtomState) -> None:
        c = self.c
        blocked = [
            c.names[p]
            for p in self.closure(i, c.preds, self.ancestors)
            if self.state[p] not in _DONE_BEFORE
        ]
        if blocked:
            self.flag(
                Rule.PRECEDENCE, f"{e.name} executes before {', '.join(blocked)} finished", e
            )
        if old is A.RETRYING and self.round is not None:
            left = [c.names[a] for a in sorted(self.round[1]) if self.state[a] is not A.PENDING]
            if left:
                self.flag(Rule.RESET, f"{e.name}'s retry round did not reset {', '.join(left)}", e)
            self.round = None
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
            duration = pick_duration(spec, k, self.rng(i))  # draws only for a distribution
            fs = atom.fails_on
            fails = fs == "always" or k in fs
            if atom.fail_probability > 0.0 and self.rng(i).random() < atom.fail_probability:
                fails = True
        self.begin(i, e, True, duration, fails)

    def revert_starts(self, i: int, e: Event) -> None:
        c = self.c
        busy = [
            c.names[s]
            for s in self.closure(i, c.succs, self.descendants)
            if self.state[s] not in _CLEAR_AFTER
        ]
        if busy:
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
        duration = fails = None
        if self.timing:
            atom = c.atoms[i]
            k = self.revs[i]
            spec = atom.revert_duration
            duration = pick_duration(spec, k, self.rng(i))  # draws only for a distribution
            fs = atom.revert_fails_on
            fails = fs == "always" or k in fs
        self.begin(i, e, False, duration, fails)

    def round_starts(self, r: int, e: Event) -> None:
        c = self.c
        scope = self.closure(r, c.succs, self.descendants)
        busy = [c.names[s] for s in scope if self.state[s] not in _CLEAR_AFTER]
        if busy:
            self.flag(
                Rule.REVERSE_ORDER,
                f"{e.name} starts a retry round before {', '.join(busy)} reverted",
                e,
            )
        if not self.round_due[r]:
            self.flag(Rule.RESET, f"{e.name} starts a retry round it did not decide", e)
        for a in (r, *scope):  # the round sets every intention in its scope to EXECUTE
            self.round_due[a] = False
            self.marked[a] = False
        self.round = (r, set(scope), e.time)

    def reset(self, i: int, e: Event) -> None:
        rnd = self.round
        if rnd is None or i not in rnd[1] or rnd[2] != e.time:
            self.flag(
                Rule.RESET,
                f"{e.name} is reset outside a retry round of a retry controller above it",
                e,
            )
        self.marked[i] = False
        self.owner[i] = None

    def ends(self, i: int, e: Event, new: AtomState) -> None:
        span = self.spans.pop(i, None)
        if span is None:
            return  # not started: a TRANSITION violation already says so
        c = self.c
        if span.start.worker is not None and self.worker_of.get(span.start.worker) == i:
            del self.worker_of[span.start.worker]
        if e.worker != span.start.worker:
            self.flag(
                Rule.PREEMPTION,
                f"{e.name} started on worker {span.start.worker} and ended on worker {e.worker}",
                span.start,
                e,
            )
        failed = new in (A.FAILURE, A.REVERT_FAILURE)
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
            took = e.time - span.start.time
            if not math.isclose(took, span.duration, rel_tol=1e-9, abs_tol=1e-9):
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
                    self.history[r].append((value, []))
        if expected != failed and (self.timing or not failed):
            self.flag(
                Rule.TIMING,
                f"retry controller {e.name}'s execute "
                f"{'failed' if failed else 'succeeded'}, but its policy "
                f"{'fails' if expected else 'succeeds'} here",
                span.start,
                e,
            )
