"""Durations and injected failures, drawn from seeded per-atom random streams.

Randomness is explicit and documented (DESIGN.md, decision 12). Every atom that needs
random numbers gets its own :class:`random.Random`, seeded from the string
``"<scenario seed>:<atom name>"`` (seeding from a string is stable across processes and
Python versions), created the first time the atom needs a number. An atom draws only from
its own stream, in this order:

* on each execute call: the execute duration (if it is a distribution), then the failure
  draw (if ``fail_probability > 0``, even when ``fails_on`` already decides);
* on each revert call: the revert duration (if it is a distribution).

So adding, removing or re-timing other atoms never changes an atom's draws. Only
``Random.random()`` is used: the distributions are computed from it by inverse transform,
so they do not depend on the algorithms of :mod:`random`, which Python may change.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal, TypeGuard

__all__ = [
    "Distribution",
    "Duration",
    "Exponential",
    "FailSpec",
    "LogNormal",
    "Uniform",
    "atom_random",
    "check_duration",
    "check_fail_spec",
    "pick_duration",
]

_NORMAL = NormalDist()
_TINY = 2.0**-53
_MAX_FLOAT = 1.7976931348623157e308
_MAX_LOG = math.log(_MAX_FLOAT)
_MAX_EXP = -math.log(_TINY)  # the longest exponential draw, in means
_MAX_Z = _NORMAL.inv_cdf(1 - _TINY)  # the largest normal draw


def _finite(value: object) -> TypeGuard[int | float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _short(value: object) -> str:
    """``repr(value)``, shortened; an int too long to print is shown by its size."""
    try:
        text = repr(value)
    except ValueError:  # more digits than Python prints
        return "an integer of more than 4300 digits"
    return text if len(text) <= 60 else text[:57] + "..."


def _check_number(owner: str, field: str, value: object, *, positive: bool = False) -> float:
    from .errors import ModelError

    if not _finite(value):
        raise ModelError(f"{owner}: {field} must be a finite number, got {_short(value)}")
    if value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ModelError(f"{owner}: {field} must be {bound}, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Uniform:
    """Durations drawn uniformly from ``[low, high]``.

    >>> Uniform(low=1, high=3).sample(0.5)
    2.0
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low = _check_number("Uniform", "low", self.low)
        high = _check_number("Uniform", "high", self.high)
        if high < low:
            from .errors import ModelError

            raise ModelError(f"Uniform: high must be >= low, got low={low!r}, high={high!r}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def sample(self, u: float) -> float:
        """The duration for a uniform number ``u`` in ``[0, 1)``."""
        return self.low + (self.high - self.low) * u


@dataclass(frozen=True, slots=True, kw_only=True)
class Exponential:
    """Exponentially distributed durations with the given mean.

    >>> round(Exponential(mean=2).sample(0.5), 6)
    1.386294
    """

    mean: float

    def __post_init__(self) -> None:
        mean = _check_number("Exponential", "mean", self.mean)
        if not math.isfinite(mean * _MAX_EXP):
            from .errors import ModelError

            raise ModelError(
                f"Exponential: mean must be at most {_MAX_FLOAT / _MAX_EXP:.3g} (its longest "
                f"draws, {_MAX_EXP:.1f} times the mean, must stay finite), got {mean!r}"
            )
        object.__setattr__(self, "mean", mean)

    def sample(self, u: float) -> float:
        """The duration for a uniform number ``u`` in ``[0, 1)``."""
        return -self.mean * math.log(1.0 - u)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogNormal:
    """Durations ``exp(mu + sigma * Z)`` with ``Z`` standard normal.

    >>> LogNormal(mu=0, sigma=1).sample(0.5)
    1.0
    """

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        from .errors import ModelError

        mu = self.mu
        if not _finite(mu):
            raise ModelError(f"LogNormal: mu must be a finite number, got {_short(mu)}")
        sigma = _check_number("LogNormal", "sigma", self.sigma)
        top = float(mu) + sigma * _MAX_Z
        if not top <= _MAX_LOG:
            raise ModelError(
                f"LogNormal: mu + {_MAX_Z:.2f} * sigma must be at most {_MAX_LOG:.2f} (the "
                f"log of the largest float: longer draws overflow), got mu={mu!r}, "
                f"sigma={sigma!r}"
            )
        object.__setattr__(self, "mu", float(mu))
        object.__setattr__(self, "sigma", sigma)

    def sample(self, u: float) -> float:
        """The duration for a uniform number ``u`` in ``[0, 1)``."""
        return math.exp(self.mu + self.sigma * _NORMAL.inv_cdf(min(max(u, _TINY), 1 - _TINY)))


Distribution = Uniform | Exponential | LogNormal
"""A seeded random duration."""

Duration = float | Sequence[float] | Distribution
"""A fixed duration, one per execute (or revert) call (the last repeats), or a distribution.
Lists are stored as tuples."""

FailSpec = Sequence[int] | Literal["always"]
"""1-based call numbers (over the whole run) that fail, or ``"always"``."""


def check_duration(owner: str, field: str, value: object) -> Duration:
    """Validate and normalise a duration (numbers become floats, lists become tuples)."""
    if type(value) is float and 0 <= value < math.inf:
        return value  # the common case, first
    if type(value) is int and 0 <= value <= _MAX_FLOAT:
        return float(value)
    from .errors import ModelError

    if isinstance(value, Uniform | Exponential | LogNormal):
        return value
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            raise ModelError(f"{owner}: {field} must not be an empty list")
        return tuple(_check_number(owner, f"{field}[{i}]", v) for i, v in enumerate(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelError(
            f"{owner}: {field} must be a number >= 0, a list of them (one per call), or "
            f"a distribution (Uniform, Exponential, LogNormal); got {_short(value)}"
        )
    return _check_number(owner, field, value)


def check_fail_spec(owner: str, field: str, value: object) -> FailSpec:
    """Validate ``fails_on``/``revert_fails_on``: call numbers >= 1, or ``"always"``."""
    if value == ():
        return ()  # the common case, first
    from .errors import ModelError

    if value == "always":
        return "always"
    if isinstance(value, Sequence) and not isinstance(value, str):
        calls = []
        for i, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ModelError(
                    f"{owner}: {field}[{i}] must be a call number >= 1 (1 is the first "
                    f"call), got {_short(v)}"
                )
            calls.append(v)
        return tuple(sorted(set(calls)))
    raise ModelError(
        f'{owner}: {field} must be a list of call numbers (1-based) or "always", '
        f"got {_short(value)}"
    )


def atom_random(seed: int, name: str) -> random.Random:
    """The random stream of atom ``name`` in a run seeded with ``seed``.

    >>> atom_random(1, "B").random() == atom_random(1, "B").random()
    True
    """
    return random.Random(f"{seed}:{name}")


def pick_duration(spec: Duration, call: int, rng: random.Random | None) -> float:
    """The duration of the ``call``-th (1-based) execute or revert call.

    ``rng`` is needed only when ``spec`` is a distribution.

    >>> pick_duration((1.0, 2.0), 3, None)
    2.0
    """
    if isinstance(spec, float):
        return spec
    if isinstance(spec, Uniform | Exponential | LogNormal):
        assert rng is not None
        return spec.sample(rng.random())
    return spec[min(call, len(spec)) - 1]
