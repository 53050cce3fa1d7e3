"""Model values: validation at construction, with messages that say what was expected."""

from __future__ import annotations

import types
from typing import Any

import pytest

import flowsim
from flowsim import (
    Exponential,
    Link,
    LogNormal,
    ModelError,
    Options,
    Retry,
    Task,
    Times,
    Uniform,
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "name must be a non-empty string"),
        ({"name": "a", "duration": -1}, "task 'a': duration must be >= 0, got -1"),
        ({"name": "a", "duration": "slow"}, "duration must be a number >= 0, a list of them"),
        ({"name": "a", "duration": []}, "duration must not be an empty list"),
        ({"name": "a", "revert_duration": [1, -2]}, r"revert_duration\[1\] must be >= 0"),
        ({"name": "a", "fails_on": [0]}, r"fails_on\[0\] must be a call number >= 1"),
        ({"name": "a", "fails_on": "sometimes"}, 'or "always"'),
        ({"name": "a", "fail_probability": 1.5}, r"fail_probability must be a number in \[0, 1\]"),
        ({"name": "a", "priority": 1.5}, "priority must be a whole number"),
        ({"name": "a", "requires": [3]}, "requires must be a list of names"),
    ],
)
def test_task_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        Task(**kwargs)


def test_values_are_normalised_and_frozen() -> None:
    t = Task(name="a", duration=[1, 2], fails_on=[3, 1, 3], provides="x")
    assert t.duration == (1.0, 2.0) and t.fails_on == (1, 3) and t.provides == ("x",)
    with pytest.raises(AttributeError):
        t.name = "b"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Uniform(low=2, high=1), "high must be >= low"),
        (lambda: Exponential(mean=-1), "mean must be >= 0"),
        (lambda: LogNormal(mu=float("nan"), sigma=1), "mu must be a finite number"),
        (lambda: Times(attempts=-1), "attempts must be >= 0"),
        (lambda: Retry(name="r", controller=object()), "controller must have execute"),  # type: ignore[arg-type]
        (lambda: Link(source="a", target="b", depth="deep"), "depth must be one of all, flow"),  # type: ignore[arg-type]
        (lambda: Options(workers=0), "workers must be a whole number >= 1 or None"),
        (lambda: Options(strategy="fast"), "strategy must be 'smart' or 'stop_the_world'"),  # type: ignore[arg-type]
        (lambda: Options(event_budget=0), "event_budget must be a whole number >= 1"),
    ],
)
def test_other_validation(build: Any, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        build()


def test_model_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        Task(name="a", duration=-1)


def test_public_api_matches_all() -> None:
    public = {
        name
        for name, value in vars(flowsim).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(flowsim.__all__)
    assert sorted(flowsim.__all__) == flowsim.__all__
