"""The same-time rules of :mod:`flowsim.checks` (private; only a simulated clock meets
them, so they are on with ``timing`` only).

README's same-time rule: at a time t the engine applies every completion due at t in the
order the work started, then (at the scheduling point) starts ready work ordered by
reverts and retry rounds first, then higher priority, then compile order; a task takes
the lowest-numbered free worker. Completions and starts alternate at one time only when
zero-duration work completes in a further step, so each unbroken run of completions (or
of starts) at one time is checked on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowsim.trace import Event

from ._rules import Rule

if TYPE_CHECKING:
    from ._replay import _Replay


class SameTime:
    """The last completion or start seen, to compare the next one with."""

    def __init__(self, replay: _Replay) -> None:
        self.r = replay
        # the last completion or start: (is it a completion, its time, its key, its event)
        self.last: tuple[bool, float, tuple[int, ...], Event] | None = None

    def _follows(self, ending: bool, key: tuple[int, ...], e: Event) -> Event | None:
        """Record ``e``; return the event it should have come before, if any."""
        last, self.last = self.last, (ending, e.time, key, e)
        if last is not None and last[:2] == (ending, e.time) and key < last[2]:
            return last[3]
        return None

    def ends(self, start: Event, e: Event) -> None:
        """Work begun at ``start`` completes at ``e``."""
        before = self._follows(True, (start.seq,), e)
        if before is not None:
            self.r.flag(
                Rule.SAME_TIME,
                f"{e.name}'s completion comes after {before.name}'s at t={e.time:g}, "
                f"but {e.name} started first",
                before,
                e,
            )

    def starts(self, i: int, e: Event, execute: bool) -> None:
        """Atom ``i`` starts an execute (or a revert or a retry round)."""
        key = (int(execute), -self.r.c.atoms[i].priority, i)
        before = self._follows(False, key, e)
        if before is not None:
            self.r.flag(
                Rule.SAME_TIME,
                f"{e.name} starts after {before.name} at t={e.time:g}, but comes first "
                "(reverts and retry rounds, then higher priority, then compile order)",
                before,
                e,
            )

    def worker(self, e: Event, taken: dict[int, int]) -> None:
        """A task starts on ``e.worker``; ``taken`` maps busy workers to their atoms."""
        lowest = 0
        while lowest in taken:
            lowest += 1
        if e.worker is not None and e.worker != lowest:
            self.r.flag(
                Rule.WORKER,
                f"{e.name} starts on worker {e.worker}; the lowest free worker is {lowest}",
                e,
            )
