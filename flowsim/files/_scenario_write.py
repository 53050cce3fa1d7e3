"""Writing a scenario in its JSON form (private; see :mod:`flowsim.files.scenario`).

Each helper turns one part of a scenario into JSON values; only what differs from the
model's defaults is written, except task durations. Anything JSON cannot hold raises
:class:`~flowsim.ModelError` naming where it sits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flowsim.errors import ModelError
from flowsim.model import Flow, GraphFlow, Retry, Task
from flowsim.retries import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    ForEach,
    ParameterizedForEach,
    Times,
)
from flowsim.timing import Duration, Exponential, LogNormal, Uniform

from ._json import _ATOM_KEYS


def _to_json(value: object, what: str) -> Any:
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ModelError(f"{what}: {value!r} cannot be written to JSON (not finite)")
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ModelError(
                    f"{what}: key {key!r} cannot be written to JSON; object keys must be strings"
                )
            out[key] = _to_json(item, f"{what}[{key!r}]")
        return out
    if isinstance(value, list | tuple):
        return [_to_json(item, f"{what}[{i}]") for i, item in enumerate(value)]
    raise ModelError(
        f"{what}: {value!r} cannot be saved to a scenario file; JSON holds null, true/false, "
        "numbers, strings, lists and objects"
    )


def _duration_json(value: Duration) -> Any:
    if isinstance(value, Uniform):
        return {"dist": "uniform", "low": value.low, "high": value.high}
    if isinstance(value, Exponential):
        return {"dist": "exponential", "mean": value.mean}
    if isinstance(value, LogNormal):
        return {"dist": "lognormal", "mu": value.mu, "sigma": value.sigma}
    if isinstance(value, tuple):
        return list(value)
    return value


def _atom_json(atom: Task | Retry, out: dict[str, Any], always_durations: bool) -> None:
    default = Task(name="x") if isinstance(atom, Task) else Retry(name="x", controller=Times())
    for key in _ATOM_KEYS:
        value = getattr(atom, key)
        if value == getattr(default, key) and not (always_durations and "duration" in key):
            continue
        if "duration" in key:
            out[key] = _duration_json(value)
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value


def _controller_json(retry: Retry) -> dict[str, Any]:
    c = retry.controller
    what = f"retry {retry.name!r}"
    if type(c) is Times:
        return {"kind": "times", "attempts": c.attempts, "revert_all": c.revert_all}
    if type(c) is ForEach:
        values = _to_json(c.values, f"{what}: values")
        return {"kind": "for_each", "values": values, "revert_all": c.revert_all}
    if type(c) is ParameterizedForEach:
        return {
            "kind": "parameterized_for_each",
            "values_from": c.values_from,
            "revert_all": c.revert_all,
        }
    kinds = {AlwaysRevert: "always_revert", AlwaysRevertAll: "always_revert_all"}
    kinds[AlwaysRetry] = "always_retry"
    for cls, kind in kinds.items():
        if type(c) is cls:
            return {"kind": kind}
    raise ModelError(
        f"{what}: its controller {type(c).__name__} is not one of flowsim's built-in "
        "controllers (Times, ForEach, ParameterizedForEach, AlwaysRevert, AlwaysRevertAll, "
        "AlwaysRetry), so it cannot be saved to a scenario file; use a built-in controller "
        "or keep this scenario in Python"
    )


def _node_json(node: Task | Flow) -> dict[str, Any]:
    if isinstance(node, Task):
        out: dict[str, Any] = {"kind": "task", "name": node.name}
        _atom_json(node, out, always_durations=True)
        if node.priority != 0:
            out["priority"] = node.priority
        return out
    out = {"kind": node.pattern, "name": node.name}
    if node.retry is not None:
        head = _controller_json(node.retry)
        retry = {"kind": head.pop("kind"), "name": node.retry.name, **head}
        _atom_json(node.retry, retry, always_durations=False)
        out["retry"] = retry
    out["children"] = [_node_json(child) for child in node.children]
    if isinstance(node, GraphFlow):
        out["links"] = [
            {
                "source": link.source,
                "target": link.target,
                "decider": link.decider,
                "depth": link.depth.value,
            }
            for link in node.links
        ]
    return out
