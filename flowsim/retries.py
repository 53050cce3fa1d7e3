"""Retry controllers: the policies that decide what a failure in their scope leads to.

A controller is any object with ``execute(history)`` and ``on_failure(history)``
(:class:`Controller`). The built-in ones are frozen values, as TaskFlow's ``Times``,
``ForEach``, ``ParameterizedForEach`` and the always-deciding policies.

>>> Times(attempts=3).on_failure((HistoryEntry(1),))
<Decision.RETRY: 'RETRY'>
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from .errors import ModelError
from .states import Decision

__all__ = [
    "AlwaysRetry",
    "AlwaysRevert",
    "AlwaysRevertAll",
    "Controller",
    "ForEach",
    "History",
    "HistoryEntry",
    "NoValuesLeft",
    "ParameterizedForEach",
    "Times",
]


# --------------------------------------------------------------------------- retry history


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One attempt of a retry controller's scope, as its controller sees it.

    ``value`` is what the controller's ``execute`` returned for the attempt; ``failures``
    names the atoms whose failure was reported to this controller during the attempt, in
    the order they were reported (the first failure of each atom only, as in TaskFlow).
    """

    value: Any
    failures: tuple[str, ...] = ()


History = tuple[HistoryEntry, ...]
"""What a controller is given: one entry per attempt, oldest first (kept across retry rounds,
cleared when the retry controller itself is reverted)."""


# --------------------------------------------------------------------------- controllers


@runtime_checkable
class Controller(Protocol):
    """What a retry controller policy must do; any object with these two methods will do.

    ``execute`` runs when the retry controller runs (first in its scope, and again on every
    retry round); what it returns is recorded as the attempt's value. If it raises, the
    retry controller's own execute fails and its parent decides. ``on_failure`` is asked
    when an atom of the scope fails.
    """

    def execute(self, history: History) -> Any: ...

    def on_failure(self, history: History) -> Decision: ...


def _exhausted(revert_all: bool) -> Decision:
    return Decision.REVERT_ALL if revert_all else Decision.REVERT


@dataclass(frozen=True, slots=True, kw_only=True)
class Times:
    """Make ``attempts`` attempts in total (TaskFlow's counting: ``Times(0)`` is ``Times(1)``).

    ``execute`` returns the attempt number 1, 2, ...

    >>> Times(attempts=2).on_failure((HistoryEntry(1),))
    <Decision.RETRY: 'RETRY'>
    >>> Times(attempts=2).on_failure((HistoryEntry(1), HistoryEntry(2)))
    <Decision.REVERT: 'REVERT'>
    """

    kind: ClassVar[str] = "times"
    attempts: int = 1
    revert_all: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):
            raise ModelError(f"Times: attempts must be a whole number, got {self.attempts!r}")
        if self.attempts < 0:
            raise ModelError(f"Times: attempts must be >= 0, got {self.attempts!r}")
        if not isinstance(self.revert_all, bool):
            raise ModelError(f"Times: revert_all must be true or false, got {self.revert_all!r}")

    def execute(self, history: History) -> int:
        return len(history) + 1

    def on_failure(self, history: History) -> Decision:
        if len(history) < self.attempts:
            return Decision.RETRY
        return _exhausted(self.revert_all)


class NoValuesLeft(LookupError):
    """Raised by a for-each controller's ``execute`` when every value has been tried."""


def _remaining(values: tuple[Any, ...], history: History) -> list[Any]:
    # Multiset difference, as TaskFlow's misc.sequence_minus: duplicates are consumed one
    # at a time, in order.
    left = list(values)
    for entry in history:
        for i, v in enumerate(left):
            if v == entry.value:
                del left[i]
                break
    return left


@dataclass(frozen=True, slots=True, kw_only=True)
class ForEach:
    """One attempt per element of ``values`` (duplicates included), in order.

    ``execute`` returns the next untried element; with none left (or empty ``values``) it
    fails, so the retry controller itself fails.

    >>> ForEach(values=[3, 2, 3]).execute((HistoryEntry(3),))
    2
    """

    kind: ClassVar[str] = "for_each"
    values: Sequence[Any]
    revert_all: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.values, str) or not isinstance(self.values, Sequence):
            raise ModelError(f"ForEach: values must be a list, got {self.values!r}")
        object.__setattr__(self, "values", tuple(self.values))
        if not isinstance(self.revert_all, bool):
            raise ModelError(f"ForEach: revert_all must be true or false, got {self.revert_all!r}")

    def execute(self, history: History) -> Any:
        left = _remaining(tuple(self.values), history)
        if not left:
            raise NoValuesLeft(f"no values left to try out of {list(self.values)!r}")
        return left[0]

    def on_failure(self, history: History) -> Decision:
        if _remaining(tuple(self.values), history):
            return Decision.RETRY
        return _exhausted(self.revert_all)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterizedForEach:
    """Like :class:`ForEach`, with the values taken from the store key ``values_from``.

    The store is bound when the flow is compiled (:func:`flowsim.compile`).
    """

    kind: ClassVar[str] = "parameterized_for_each"
    values_from: str
    revert_all: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.values_from, str) or not self.values_from:
            raise ModelError(
                "ParameterizedForEach: values_from must name a store key, got "
                f"{self.values_from!r}"
            )
        if not isinstance(self.revert_all, bool):
            raise ModelError(
                f"ParameterizedForEach: revert_all must be true or false, got {self.revert_all!r}"
            )

    def bind(self, values: Sequence[Any]) -> ForEach:
        """The :class:`ForEach` this controller is once its values are known."""
        return ForEach(values=tuple(values), revert_all=self.revert_all)

    def execute(self, history: History) -> Any:
        raise TypeError("ParameterizedForEach runs only once compiled (its store is bound then)")

    def on_failure(self, history: History) -> Decision:
        raise TypeError("ParameterizedForEach runs only once compiled (its store is bound then)")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlwaysRevert:
    """Always decide REVERT (the parent may still override)."""

    kind: ClassVar[str] = "always_revert"

    def execute(self, history: History) -> None:
        return None

    def on_failure(self, history: History) -> Decision:
        return Decision.REVERT


@dataclass(frozen=True, slots=True, kw_only=True)
class AlwaysRevertAll:
    """Always decide REVERT_ALL: the whole flow is reverted."""

    kind: ClassVar[str] = "always_revert_all"

    def execute(self, history: History) -> None:
        return None

    def on_failure(self, history: History) -> Decision:
        return Decision.REVERT_ALL


@dataclass(frozen=True, slots=True, kw_only=True)
class AlwaysRetry:
    """Always decide RETRY. Around a task that always fails, the run never ends: the
    engine's event budget turns that into :class:`~flowsim.EventBudgetExceeded`."""

    kind: ClassVar[str] = "always_retry"

    def execute(self, history: History) -> None:
        return None

    def on_failure(self, history: History) -> Decision:
        return Decision.RETRY
