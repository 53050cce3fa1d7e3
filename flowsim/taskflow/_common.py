"""What both directions of the conversion share (private; see :mod:`flowsim.taskflow`).

- :class:`SimulatedFailure`, the exception a flow built by ``to_taskflow`` raises where
  the scenario says an execute or a revert fails, and the exception of the failures a
  custom TaskFlow retry controller sees in a simulation (``TaskFlowController``);
- :class:`StaticDecider`, the decider ``to_taskflow`` puts on a link with
  ``Link(decider=False)``;
- :class:`TaskFlowController`, a custom TaskFlow retry controller deciding in a simulation.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

with warnings.catch_warnings():  # oslo_utils (a TaskFlow dependency) warns on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from taskflow import exceptions as tf_exceptions  # type: ignore[import-untyped]
    from taskflow import flow as tf_flow
    from taskflow import retry as tf_retry
    from taskflow import task as tf_task
    from taskflow.patterns import (  # type: ignore[import-untyped]
        graph_flow,
        linear_flow,
        unordered_flow,
    )
    from taskflow.types import failure as tf_failure  # type: ignore[import-untyped]

from flowsim.errors import ModelError
from flowsim.model import Depth
from flowsim.retries import History
from flowsim.states import Decision

__all__ = [
    "DEPTHS",
    "SimulatedFailure",
    "StaticDecider",
    "TaskFlowController",
    "decider_answer",
    "graph_flow",
    "linear_flow",
    "simulated_failure",
    "tf_exceptions",
    "tf_flow",
    "tf_retry",
    "tf_task",
    "unordered_flow",
]


class SimulatedFailure(Exception):
    """A failure the scenario injects: raised by the tasks of a flow built by
    :func:`~flowsim.taskflow.to_taskflow`, and the exception of every failure a custom
    TaskFlow retry controller finds in its history during a simulation.

    >>> str(SimulatedFailure("B: execute call 1 fails"))
    'B: execute call 1 fails'
    """


def simulated_failure(atom: str) -> Any:
    """A ``taskflow.types.failure.Failure`` of a :class:`SimulatedFailure` of ``atom``."""
    return tf_failure.Failure.from_exception(SimulatedFailure(f"{atom} failed (simulated)"))


@dataclass(frozen=True, slots=True)
class StaticDecider:
    """A TaskFlow edge decider that always answers ``allow``, whatever the results.

    ``to_taskflow`` puts ``StaticDecider(False)`` on the TaskFlow link of a
    ``Link(decider=False)``; ``from_taskflow`` reads any decider that answers without
    looking at its history the same way.

    >>> StaticDecider(False)(history={"a": 1})
    False
    """

    allow: bool

    def __call__(self, history: Any) -> bool:
        return self.allow


@dataclass(frozen=True, eq=False)
class TaskFlowController:
    """A custom TaskFlow retry controller, deciding in a simulation.

    flowsim's controller protocol (``execute(history)``, ``on_failure(history)``) over
    the real ``retry``: each call builds a ``taskflow.retry.History`` from flowsim's
    history (one ``(value, {atom: Failure})`` entry per attempt, the failures in the
    order they were reported, each a ``Failure`` of a
    :class:`~flowsim.taskflow.SimulatedFailure`: in a simulation every failure is an
    injected one) and calls the retry's own method with it and with ``arguments``, the
    store values its ``rebind`` names. It decides as in TaskFlow whenever ``on_failure``
    depends only on its history and arguments (not on the exception type of a real
    failure, its own call count, time or randomness).

    >>> from taskflow import retry
    >>> class Twice(retry.Retry):
    ...     def execute(self, history):
    ...         return len(history)
    ...     def on_failure(self, history):
    ...         return retry.RETRY if len(history) < 2 else retry.REVERT_ALL
    >>> from flowsim.retries import HistoryEntry
    >>> c = TaskFlowController(Twice(name="r"))
    >>> c.on_failure((HistoryEntry(0, ("a",)),)), c.on_failure((HistoryEntry(0), HistoryEntry(1)))
    (<Decision.RETRY: 'RETRY'>, <Decision.REVERT_ALL: 'REVERT_ALL'>)
    """

    retry: Any
    arguments: Mapping[str, Any] = field(default_factory=dict)

    def _history(self, history: History) -> Any:
        contents = [
            (e.value, {name: simulated_failure(name) for name in e.failures}) for e in history
        ]
        return tf_retry.History(contents)

    def execute(self, history: History) -> Any:
        """The retry's ``execute`` with a TaskFlow history; its value is the attempt's."""
        return self.retry.execute(history=self._history(history), **self.arguments)

    def on_failure(self, history: History) -> Decision:
        """The retry's ``on_failure`` with a TaskFlow history, as a flowsim Decision."""
        raw = self.retry.on_failure(history=self._history(history), **self.arguments)
        try:
            return Decision(raw)
        except ValueError:
            raise ModelError(
                f"retry {self.retry.name!r}: on_failure returned {raw!r}; expected a "
                "taskflow.retry.Decision (RETRY, REVERT or REVERT_ALL)"
            ) from None


class _NeedsResults(Exception):
    """A decider read its history (the results of the link's source)."""


class _Probe(Mapping[str, Any]):
    """A decider's history that refuses to be read."""

    def __getitem__(self, key: str) -> Any:
        raise _NeedsResults

    def __iter__(self) -> Iterator[str]:
        raise _NeedsResults

    def __len__(self) -> int:
        raise _NeedsResults

    def __contains__(self, key: object) -> bool:
        raise _NeedsResults


DEPTHS = {"ALL": Depth.ALL, "FLOW": Depth.FLOW, "NEIGHBORS": Depth.NEIGHBORS, "ATOM": Depth.ATOM}


def decider_answer(where: str, decider: Any) -> bool:
    """What a decider that does not look at its history answers; refuse the others."""
    if isinstance(decider, StaticDecider):
        return decider.allow
    what = getattr(decider, "__qualname__", type(decider).__qualname__)
    try:
        answer = decider(history=_Probe())
    except _NeedsResults:
        raise ModelError(
            f"{where}: its decider {what} reads the results of the link's source; "
            "flowsim has no task results, so its links only take a decider that always "
            "says the same (Link(decider=False)): decide outside the flow which links say "
            "no, and make those deciders constants"
        ) from None
    except Exception as exc:
        raise ModelError(
            f"{where}: its decider {what} raised {type(exc).__name__}: {exc} when "
            "asked without results; expected a decider that always says the same"
        ) from None
    return bool(answer)
