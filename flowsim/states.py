"""States, intentions and decisions, and the transition tables that bound them.

The tables are TaskFlow's (``taskflow/states.py``), minus suspension. The engine checks
every change against them and the checks module checks every trace against them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "FLOW_TRANSITIONS",
    "RETRY_TRANSITIONS",
    "STOP_THE_WORLD_FLOW_TRANSITIONS",
    "TASK_TRANSITIONS",
    "AtomState",
    "Decision",
    "FlowState",
    "Intention",
]


class AtomState(StrEnum):
    """What happened to an atom (a task or a retry controller)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    REVERTING = "REVERTING"
    REVERTED = "REVERTED"
    REVERT_FAILURE = "REVERT_FAILURE"
    IGNORE = "IGNORE"
    RETRYING = "RETRYING"  # retry controllers only


class FlowState(StrEnum):
    """The state of a whole flow. Under ``smart`` it is never REVERTING."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    REVERTED = "REVERTED"
    FAILURE = "FAILURE"
    REVERTING = "REVERTING"  # only the ``stop_the_world`` baseline shows it


class Intention(StrEnum):
    """What the engine plans to do with an atom; failure resolution rewrites only these."""

    EXECUTE = "EXECUTE"
    REVERT = "REVERT"
    RETRY = "RETRY"  # retry controllers only
    IGNORE = "IGNORE"


class Decision(StrEnum):
    """A retry controller's answer to a failure in its scope."""

    RETRY = "RETRY"  # revert the scope (not the retry) and run it again
    REVERT = "REVERT"  # revert the scope and the retry; the parent may override
    REVERT_ALL = "REVERT_ALL"  # revert the whole flow; parents are not asked


_S = AtomState

TASK_TRANSITIONS: frozenset[tuple[AtomState, AtomState]] = frozenset(
    {
        (_S.PENDING, _S.RUNNING),  # execute starts
        (_S.PENDING, _S.IGNORE),  # a decider said no
        (_S.RUNNING, _S.SUCCESS),  # execute returned
        (_S.RUNNING, _S.FAILURE),  # execute failed
        (_S.FAILURE, _S.REVERTING),  # the failed atom itself is reverted
        (_S.SUCCESS, _S.REVERTING),  # revert of a finished atom starts
        (_S.REVERTING, _S.REVERTED),  # revert returned
        (_S.REVERTING, _S.REVERT_FAILURE),  # revert failed: terminal
        (_S.REVERTED, _S.PENDING),  # reset by a retry round
        (_S.IGNORE, _S.PENDING),  # reset by a retry round
    }
)

RETRY_TRANSITIONS: frozenset[tuple[AtomState, AtomState]] = TASK_TRANSITIONS | {
    (_S.SUCCESS, _S.RETRYING),  # the retry decided RETRY and its scope has reverted
    (_S.RETRYING, _S.RUNNING),  # ... and it executes again
}

_F = FlowState

FLOW_TRANSITIONS: frozenset[tuple[FlowState, FlowState]] = frozenset(
    {
        (_F.PENDING, _F.RUNNING),
        (_F.RUNNING, _F.SUCCESS),
        (_F.RUNNING, _F.REVERTED),
        (_F.RUNNING, _F.FAILURE),
    }
)

STOP_THE_WORLD_FLOW_TRANSITIONS: frozenset[tuple[FlowState, FlowState]] = FLOW_TRANSITIONS | {
    (_F.RUNNING, _F.REVERTING),  # a failure stopped the world
    (_F.REVERTING, _F.RUNNING),  # the failure's scope is reverted: scheduling resumes
    (_F.REVERTING, _F.REVERTED),  # the revert was the end of the flow
    (_F.REVERTING, _F.FAILURE),  # a revert failed while the world was stopped
}
