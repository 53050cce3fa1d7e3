"""Retry controllers: the policies that decide what a failure in their scope leads to.

A controller is any object with ``execute(history)`` and ``on_failure(history)``
(:class:`Controller`). The built-in ones are frozen values, as TaskFlow's ``Times``,
``ForEach``, ``ParameterizedForEach`` and the always-deciding policies.

A controller is given its history as a :data:`History`: a tuple, or (from the engine
and the checker) a :class:`HistoryView`, an immutable sequence that compares, hashes,
adds and prints as the tuple it stands for. A view costs O(1) to take whatever the
number of attempts (a :class:`HistoryLog` keeps the entries and shares them between
views), so a retry controller looping a million times stays linear.

>>> Times(attempts=3).on_failure((HistoryEntry(1),))
<Decision.RETRY: 'RETRY'>
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, ClassVar, Protocol, overload, runtime_checkable

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
    "HistoryLog",
    "HistoryView",
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


History = Sequence[HistoryEntry]
"""What a controller is given: one entry per attempt, oldest first (kept across retry rounds,
cleared when the retry controller itself is reverted). A tuple, or a :class:`HistoryView`
that behaves as one."""


class HistoryView(Sequence[HistoryEntry]):
    """An immutable snapshot of a :class:`HistoryLog`, taken in O(1).

    It shares the log's entries: those before its last one never change (the log only
    appends, replaces its last entry, or starts a new list when cleared), and it keeps
    its last entry itself. It compares equal to (and hashes as) the tuple of its entries,
    adds to tuples as one and prints as one.

    >>> log = HistoryLog()
    >>> log.append(1)
    >>> view = log.view()
    >>> log.fail("a")
    >>> log.append(2)
    >>> view, len(log.view())
    ((HistoryEntry(value=1, failures=()),), 2)
    >>> log.view() == (HistoryEntry(1, ("a",)), HistoryEntry(2))
    True
    """

    __slots__ = ("_entries", "_last", "_n")

    def __init__(self, entries: list[HistoryEntry], n: int, last: HistoryEntry | None) -> None:
        self._entries, self._n, self._last = entries, n, last

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> HistoryEntry: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[HistoryEntry, ...]: ...
    def __getitem__(self, i: int | slice) -> HistoryEntry | tuple[HistoryEntry, ...]:
        if isinstance(i, slice):
            return tuple(self)[i]
        n = self._n
        k = i + n if i < 0 else i
        if not 0 <= k < n:
            raise IndexError("history index out of range")
        if k == n - 1:
            assert self._last is not None
            return self._last
        return self._entries[k]

    def __iter__(self) -> Iterator[HistoryEntry]:
        if self._n:
            yield from islice(self._entries, self._n - 1)
            assert self._last is not None
            yield self._last

    def __reversed__(self) -> Iterator[HistoryEntry]:
        return reversed(tuple(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HistoryView | tuple):
            return len(other) == self._n and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: object) -> tuple[HistoryEntry, ...]:
        if isinstance(other, HistoryView | tuple):
            return (*self, *other)
        return NotImplemented

    def __radd__(self, other: object) -> tuple[HistoryEntry, ...]:
        if isinstance(other, tuple):
            return (*other, *self)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (tuple(self),))


class HistoryLog:
    """A retry controller's history as the engine and the checker keep it: appended to,
    its last entry updated, cleared; :meth:`view` snapshots it in O(1).

    >>> log = HistoryLog()
    >>> log.append("x")
    >>> log.fail("a"); log.fail("a"); log.fail("b")
    >>> log.view()
    (HistoryEntry(value='x', failures=('a', 'b')),)
    >>> log.clear(); len(log)
    0
    """

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[HistoryEntry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def append(self, value: Any) -> None:
        """Start an attempt whose ``execute`` returned ``value``."""
        self._entries.append(HistoryEntry(value))

    def fail(self, name: str) -> None:
        """Report the failure of atom ``name`` to the latest attempt (its first failure
        only; nothing when there is no attempt yet)."""
        entries = self._entries
        if entries:
            last = entries[-1]
            if name not in last.failures:
                entries[-1] = HistoryEntry(last.value, (*last.failures, name))

    def clear(self) -> None:
        """Forget every attempt (views taken before keep theirs)."""
        self._entries = []

    def view(self) -> HistoryView:
        """The history as it is now, as an immutable sequence (O(1))."""
        entries = self._entries
        return HistoryView(entries, len(entries), entries[-1] if entries else None)


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
