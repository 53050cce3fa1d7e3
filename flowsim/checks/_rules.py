"""The vocabulary of :mod:`flowsim.checks`: the rules it enforces and the violations it
reports (defined here so that the checker and its replay share them without an import
cycle; import them from :mod:`flowsim.checks`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flowsim.trace import Event


class Rule(StrEnum):
    """The rules :func:`check` enforces (README "Checking traces" explains each)."""

    TRANSITION = "transition"  # state changes allowed by the tables; no flow REVERTING (smart)
    TIME = "time"  # seq increases, time never goes backwards, nothing after the flow ended
    PRECEDENCE = "precedence"  # execute only after every transitive predecessor is done
    REVERSE_ORDER = "reverse-order"  # revert only after every transitive successor is clear
    RESOLUTION = "resolution"  # a recorded resolution is the one its decisions imply
    MINIMAL_SET = "minimal-set"  # every atom of a minimal revert set is reverted
    OUT_OF_SCOPE = "out-of-scope"  # no revert without a resolution putting the atom in scope
    RETRY_REVERTED = "retry-reverted"  # a retry controller that decided RETRY is not reverted
    RESET = "reset"  # atoms are reset only by a retry round of a retry that decided RETRY
    PREEMPTION = "preemption"  # work runs its full duration on one worker
    CAPACITY = "capacity"  # never more tasks at work than workers
    TIMING = "timing"  # durations and injected failures are the scenario's
    UNFINISHED = "unfinished"  # every started execute or revert ends; the flow ends
    HALT = "halt"  # nothing new starts after an unresolved failure
    STOP_THE_WORLD = "stop-the-world"  # the baseline's waiting rules
    RETRY_BOUND = "retry-bound"  # executions within the attempts the retries allow
    FINAL_STATE = "final-state"  # the flow's final state follows from its atoms
    DECIDER = "decider"  # an atom is IGNOREd exactly when a decider says so, when it says
    ATTEMPT = "attempt"  # an atom event's attempt is its number of executes so far
    SAME_TIME = "same-time"  # same-time completions in start order; starts in their order
    WORKER = "worker"  # a task takes the lowest free worker


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which, the events involved (oldest first) and why."""

    rule: Rule
    events: tuple[Event, ...]
    message: str

    def __str__(self) -> str:
        where = ", ".join(f"#{e.seq}@{e.time:g}" for e in self.events)
        return f"{self.rule}: {self.message}" + (f" [events {where}]" if where else "")
