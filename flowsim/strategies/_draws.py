"""Small draws shared by the strategies."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from hypothesis import strategies as st

_T = TypeVar("_T")

# Strategies are built once and reused: building one per draw cost most of the time.
_BOOLEANS = st.booleans()


@cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@cache
def _pick(values: tuple[_T, ...]) -> st.SearchStrategy[_T]:
    return st.sampled_from(values)


@cache
def _permutations(n: int) -> st.SearchStrategy[list[int]]:
    return st.permutations(range(n))


@cache
def _calls(max_call: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, max_call), min_size=1, max_size=2, unique=True)


@cache
def _per_call(values: tuple[Any, ...]) -> st.SearchStrategy[list[int]]:
    numbers = tuple(v for v in values if isinstance(v, int))
    return st.lists(st.sampled_from(numbers), min_size=2, max_size=3)


@st.composite
def _span(draw: st.DrawFn, fn: Callable[[st.DrawFn], _T]) -> _T:
    """Draws ``fn(draw)`` as one span of choices, which the shrinker can delete (or reuse)
    as a whole: an atom, a child, a graph flow's links."""
    return fn(draw)


def _chance(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws; shrinks to False."""
    return draw(_ints(0, one_in - 1)) == one_in - 1
