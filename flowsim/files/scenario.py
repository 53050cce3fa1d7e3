"""Scenario files: a flow, its store values and its run options, as JSON.

A scenario file (format version 1) is one JSON object::

    {"flowsim": 1, "name": "...", "description": "...",
     "options": {"workers": null, "seed": 0, "defer_reverts": true, "never_resolve": false,
                 "strategy": "smart", "event_budget": null},
     "store": {...any JSON...},
     "flow": <node>}

A node is a flow ``{"kind": "linear" | "unordered" | "graph", "name", "retry", "children",
"links"}`` (``links`` for graph flows only: ``{"source", "target", "decider", "depth"}``) or
a task ``{"kind": "task", "name", "duration", "revert_duration", "fails_on",
"revert_fails_on", "fail_probability", "priority", "provides", "requires"}``. A retry
controller is ``{"kind": "times" | "for_each" | "parameterized_for_each" | "always_revert"
| "always_revert_all" | "always_retry", "name", "attempts" | "values" | "values_from",
"revert_all", ...}`` with the same timing keys as a task (but no ``priority``). A duration is
a number, a list of numbers (one per call) or ``{"dist": "uniform", "low", "high"}``,
``{"dist": "exponential", "mean"}``, ``{"dist": "lognormal", "mu", "sigma"}``;
``fails_on`` is a list of 1-based call numbers or ``"always"``. Only ``"flowsim"``,
``"flow"``, ``"kind"`` and the names are required; everything else has the model's defaults.

Every bad input raises :class:`~flowsim.ScenarioError` naming the file (``where``), the JSON
path of the bad value (``path``, e.g. ``$.flow.children[1].duration``), what is wrong and
what was expected. A scenario is compiled (:func:`flowsim.compile`) when it is loaded, so
a file that loads also runs.

>>> s = scenario_from_dict(
...     {"flowsim": 1, "flow": {"kind": "linear", "name": "f", "children": [
...         {"kind": "task", "name": "a", "duration": 2}]}})
>>> s.name, s.flow.children[0].duration
('f', 2.0)
>>> scenario_from_dict(scenario_to_dict(s)) == s
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowsim.errors import ScenarioError
from flowsim.model import Scenario

from ._input import parse_json, read_json
from ._json import FORMAT
from ._scenario_read import _Reader
from ._scenario_write import _node_json, _to_json

__all__ = [
    "FORMAT",
    "load_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
]


def scenario_from_dict(data: Mapping[str, Any], *, where: str = "<scenario>") -> Scenario:
    """Build and validate a :class:`~flowsim.Scenario` from its JSON form (a dict).

    The flow is compiled with the store to check it (duplicate names, cycles, link ends,
    requirements, ``values_from`` keys).

    Parameters
    ----------
    data
        The parsed JSON object (see the module docstring for the format).
    where
        Names the source in error messages (a file name).

    Raises
    ------
    ScenarioError
        For any bad input, with ``where`` and the JSON ``path`` of the bad value.

    Examples
    --------
    >>> flow = {"kind": "unordered", "name": "u", "children": [{"kind": "task", "name": "a"}]}
    >>> scenario_from_dict({"flowsim": 1, "flow": flow}).flow.children[0].name
    'a'
    >>> scenario_from_dict({"flowsim": 1, "flow": {**flow, "kind": "parallel"}})
    Traceback (most recent call last):
    ...
    flowsim.errors.ScenarioError: <scenario>: $.flow.kind: unknown kind "parallel"; expected one of "linear", "unordered", "graph" or "task"
    """  # noqa: E501
    reader = _Reader(where)
    try:
        return reader.scenario(data)
    except RecursionError:
        raise ScenarioError("the scenario nests too deeply to read", where=where) from None


def _parse_text(text: str, where: str) -> Scenario:
    """The scenario in the JSON text ``text`` (for :mod:`flowsim.examples`)."""
    return scenario_from_dict(parse_json(text, where, "scenario file"), where=where)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        A JSON file in the scenario format (see the module docstring).

    Raises
    ------
    ScenarioError
        If the file cannot be read, is not JSON, or holds a bad scenario; the error names
        the file and the JSON path of the bad value.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "s.json"
    ...     _ = path.write_text('{"flowsim": 1, "flow": {"kind": "linear", "name": "f"}}')
    ...     load_scenario(path).name
    'f'
    """
    return scenario_from_dict(read_json(path, "scenario file"), where=os.fspath(path))


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The JSON form of a scenario; :func:`scenario_from_dict` reads it back equal.

    Tasks always carry ``duration`` and ``revert_duration``; other fields are written only
    when they differ from the defaults.

    Raises
    ------
    ModelError
        If the scenario holds something JSON cannot: a custom retry controller, or store or
        for-each values that are not JSON values. (Tuples are written as lists, so they read
        back as lists.)

    Examples
    --------
    >>> from flowsim import LinearFlow, Task
    >>> d = scenario_to_dict(Scenario(flow=LinearFlow(name="f", children=[Task(name="a")])))
    >>> d["flow"]["children"]
    [{'kind': 'task', 'name': 'a', 'duration': 1.0, 'revert_duration': 1.0}]
    """
    o = scenario.options
    return {
        "flowsim": FORMAT,
        "name": scenario.name,
        "description": scenario.description,
        "options": {
            "workers": o.workers,
            "seed": o.seed,
            "defer_reverts": o.defer_reverts,
            "never_resolve": o.never_resolve,
            "strategy": o.strategy.value,
            "event_budget": o.event_budget,
        },
        "store": _to_json(scenario.store, "store"),
        "flow": _node_json(scenario.flow),
    }


def save_scenario(scenario: Scenario, path: str | os.PathLike[str]) -> None:
    """Write ``scenario`` as a JSON scenario file (see :func:`scenario_to_dict`).

    Raises
    ------
    ModelError
        If the scenario cannot be written as JSON (e.g. a custom retry controller).
    ScenarioError
        If the file cannot be written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from flowsim import LinearFlow, Task
    >>> s = Scenario(flow=LinearFlow(name="f", children=[Task(name="a", fails_on=[1])]))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_scenario(s, pathlib.Path(d) / "s.json")
    ...     load_scenario(pathlib.Path(d) / "s.json") == s
    True
    """
    text = json.dumps(scenario_to_dict(scenario), indent=2, ensure_ascii=False, allow_nan=False)
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            f"cannot write scenario file: {exc.strerror or exc}", where=str(path)
        ) from None
