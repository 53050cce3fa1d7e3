"""The stop_the_world rule of :mod:`flowsim.checks` (private): the baseline's waiting.

Under ``strategy="stop_the_world"`` a resolved execute failure stops the world: the flow
reports REVERTING right after the failure, before anything else starts; work already
running finishes; reverts and retry rounds start only once no execute runs; nothing
executes while the flow is REVERTING; and the flow reports RUNNING again only when
nothing is in flight, the retry round (its controller's execute included) finished. So
the flow is REVERTING for exactly the span in which the world is stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowsim.states import AtomState, FlowState
from flowsim.trace import Event

from ._rules import Rule

if TYPE_CHECKING:
    from ._replay import _Replay


class StopTheWorld:
    """The stop_the_world checks, fed by the replay."""

    def __init__(self, replay: _Replay) -> None:
        self.r = replay
        self.due: Event | None = None  # a resolved failure the world has not stopped for

    def failed(self, e: Event) -> None:
        """An execute failure was resolved (the world must stop, unless it is stopped)."""
        if self.r.flow is FlowState.RUNNING and self.due is None:
            self.due = e

    def flow(self, old: FlowState, new: FlowState, e: Event) -> None:
        r = self.r
        if new is FlowState.REVERTING and old is FlowState.RUNNING:
            if self.due is None:
                r.flag(Rule.STOP_THE_WORLD, "the flow is REVERTING, but nothing failed", e)
            elif r.timing and e.time != self.due.time:
                r.flag(
                    Rule.STOP_THE_WORLD,
                    f"the world stops at t={e.time:g}, not when {self.due.name} failed "
                    f"(t={self.due.time:g})",
                    self.due,
                    e,
                )
            self.due = None
        elif old is FlowState.REVERTING and new is FlowState.RUNNING:
            busy = sorted(r.spans.values(), key=lambda s: s.start.seq)
            left = [f"{s.start.name} ({s.start.state})" for s in busy]
            if r.round is not None:  # RETRYING, its controller's execute not begun
                left.append(f"{r.c.names[r.round[0]]}'s retry round")
            if left:
                r.flag(
                    Rule.STOP_THE_WORLD,
                    f"the flow is RUNNING again before {', '.join(left)} finished",
                    *(s.start for s in busy),
                    e,
                )

    def starts(self, e: Event, new: AtomState) -> None:
        """``e`` starts work: ``new`` is RUNNING, REVERTING or RETRYING."""
        r = self.r
        if self.due is not None:
            r.flag(
                Rule.STOP_THE_WORLD,
                f"{e.name} starts {new} after {self.due.name}'s failure, but the world "
                "was not stopped (the flow never went REVERTING)",
                self.due,
                e,
            )
            self.due = None
        elif new is not AtomState.RUNNING and r.flow is not FlowState.REVERTING:
            r.flag(
                Rule.STOP_THE_WORLD,
                f"{e.name} starts {new} while the flow is {r.flow}, not REVERTING",
                r.flow_event,
                e,
            )
        if new is AtomState.RUNNING and r.flow is FlowState.REVERTING:
            r.flag(
                Rule.STOP_THE_WORLD,
                f"{e.name} executes while the world is stopped",
                r.flow_event,
                e,
            )
        if new is not AtomState.RUNNING and r.executes_at_work:
            busy = [s.start for s in r.spans.values() if s.execute]
            if busy:
                r.flag(
                    Rule.STOP_THE_WORLD,
                    f"{e.name} starts {new} while executes still run",
                    *busy,
                    e,
                )

    def finish(self) -> None:
        if self.due is not None:
            self.r.flag(
                Rule.STOP_THE_WORLD,
                f"{self.due.name} failed, but the world never stopped",
                self.due,
            )
