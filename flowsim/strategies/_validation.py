"""Argument checks: each raises :class:`hypothesis.errors.InvalidArgument` naming the
strategy, the argument, the value and the fix, when the strategy is called (not when it is
drawn from)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hypothesis.errors import InvalidArgument

from flowsim.model import GraphFlow, LinearFlow, UnorderedFlow
from flowsim.retries import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    ParameterizedForEach,
    Times,
)

_CONTROLLERS: tuple[type[Controller], ...] = (
    Times,
    ForEach,
    ParameterizedForEach,
    AlwaysRevert,
    AlwaysRevertAll,
    AlwaysRetry,
)
# Every built-in controller, in the order examples shrink through (toward Times).


def _whole(fn: str, name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgument(f"{fn}(): {name} must be a whole number >= {low}, got {value!r}")
    return value


def _order(fn: str, low_name: str, low: int, high_name: str, high: int) -> None:
    if low > high:
        raise InvalidArgument(
            f"{fn}(): {low_name}={low} is more than {high_name}={high}; lower {low_name} or "
            f"raise {high_name}"
        )


def _flag(fn: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{fn}(): {name} must be True or False, got {value!r}")
    return value


def _values(fn: str, name: str, given: object, check: Callable[[Any], Any]) -> tuple[Any, ...]:
    """A non-empty sequence of option values, each passed through ``check``."""
    if isinstance(given, str) or not isinstance(given, Sequence) or not given:
        raise InvalidArgument(
            f"{fn}(): {name} must be a non-empty sequence of values to draw from (the first "
            f"is what examples shrink to), got {given!r}"
        )
    out = []
    for value in given:
        try:
            out.append(check(value))
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"{fn}(): {name} holds {value!r}: {exc}") from None
    return tuple(dict.fromkeys(out))


def _controllers(
    fn: str, given: Iterable[type[Controller]] | None, store: bool
) -> tuple[Any, ...]:
    if given is None:
        return tuple(c for c in _CONTROLLERS if store or c is not ParameterizedForEach)
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise InvalidArgument(
            f"{fn}(): controllers must be a collection of controller classes such as "
            f"[Times, ForEach], got {given!r}"
        )
    chosen = set(given)
    for c in chosen:
        if c not in _CONTROLLERS:
            raise InvalidArgument(
                f"{fn}(): controllers holds {c!r}; expected built-in controller classes "
                f"({', '.join(k.__name__ for k in _CONTROLLERS)}); pass [] for no retry "
                "controllers"
            )
    if ParameterizedForEach in chosen and not store:
        raise InvalidArgument(
            f"{fn}(): ParameterizedForEach needs store values, and {fn}() draws flows that "
            "compile without a store; use scenarios(controllers=...), whose store supplies them"
        )
    return tuple(c for c in _CONTROLLERS if c in chosen)


def _check_flow(fn: str, flow: object) -> None:
    if not isinstance(flow, LinearFlow | UnorderedFlow | GraphFlow):
        raise InvalidArgument(
            f"{fn}(): flow must be a flow (LinearFlow, UnorderedFlow or GraphFlow), got "
            f"{flow!r}; to apply it to a strategy of flows use flows().flatmap({fn})"
        )


def _worker_count(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError("expected None (unlimited) or a whole number >= 1")
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected True or False")
    return value
