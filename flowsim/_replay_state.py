"""The state of one replay of a trace (private to :mod:`flowsim.checks`): what
:class:`flowsim._replay._Replay` knows and its lookups, the judgement of a failure's
resolution and the checks at the end of the trace."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from . import oracle
from ._rules import Rule, Violation
from .compile import CompiledFlow
from .model import Options
from .retries import AlwaysRevert, AlwaysRevertAll, ForEach, HistoryEntry, Times
from .states import AtomState, Decision, FlowState
from .timing import atom_random
from .trace import Event, Resolution

A = AtomState
_DONE_BEFORE = frozenset({A.SUCCESS, A.IGNORE})  # what a predecessor must be
_CLEAR_AFTER = frozenset({A.PENDING, A.REVERTED, A.IGNORE})  # what a successor must be
_BUSY = frozenset({A.RUNNING, A.REVERTING, A.RETRYING})
_FINAL = frozenset({FlowState.SUCCESS, FlowState.REVERTED, FlowState.FAILURE})


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


class _ReplayState:
    """The state of one replay: atom states, spans, retry histories, pending reverts."""

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
        self.history: dict[int, list[tuple[Any, list[str]]]] = {
            i: [] for i in range(n) if self.c.is_retry[i]
        }
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
        self.ancestors: dict[int, list[int]] = {}
        self.descendants: dict[int, list[int]] = {}

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

    def closure(
        self, i: int, links: tuple[tuple[int, ...], ...], cache: dict[int, list[int]]
    ) -> list[int]:
        got = cache.get(i)
        if got is None:
            seen: set[int] = set()
            todo = list(links[i])
            while todo:
                j = todo.pop()
                if j not in seen:
                    seen.add(j)
                    todo.extend(links[j])
            got = cache[i] = sorted(seen)
        return got

    def rng(self, i: int) -> random.Random:
        r = self.rngs.get(i)
        if r is None:
            r = self.rngs[i] = atom_random(self.options.seed, self.c.names[i])
        return r

    def snapshot(self, r: int) -> tuple[HistoryEntry, ...]:
        return tuple(HistoryEntry(v, tuple(f)) for v, f in self.history[r])

    # ---------------------------------------------------------------- resolution
    def resolve(self, i: int, e: Event) -> None:
        """Ask the retry controllers as the engine must, and judge the resolution."""
        c = self.c
        chain: list[tuple[str, Decision]] = []
        ignored = frozenset(c.names[a] for a, s in enumerate(self.state) if s is A.IGNORE)
        atom, r = i, c.retry_of[i]
        while r >= 0 and self.state[r] is A.IGNORE:
            r = c.retry_of[r]
        while r >= 0:
            entries = self.history[r]
            if entries and c.names[atom] not in entries[-1][1]:
                entries[-1][1].append(c.names[atom])
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
        states = {c.names[a]: s for a, s in enumerate(self.state)}
        must = oracle.minimal_revert_set(in_scope, states)
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

    # ---------------------------------------------------------------- the end
    def finish(self) -> None:
        c = self.c
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
