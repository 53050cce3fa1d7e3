"""The JSON Schema of scenario files (draft 2020-12), so that editors can complete and
check them.

:func:`scenario_schema` builds the schema from the key tables the reader checks files
against (``_json.py``), with a value shape and a one-line description for every key; a key
the reader accepts with no shape or description here, or one described here that the
reader does not accept, raises :class:`RuntimeError`, so the schema cannot drift from the
reader. ``flowsim/files/scenario.schema.json`` is this schema, committed and installed
with the package (``tests/test_schema.py`` checks that it is current); regenerate it with::

    python -m flowsim.files.schema > flowsim/files/scenario.schema.json

The schema checks the shape of each value (keys, kinds, types, bounds, enumerations).
Only the reader checks what needs the whole file or exact JSON types: unique names, link
ends that are children of their graph flow, cycles, ``requires`` that something
provides, ``values_from`` keys in the store, ``high >= low``, the bounds of a lognormal
distribution, and that a whole number is written without a decimal point (JSON Schema
counts ``2.0`` as an integer; the reader refuses it). A file the reader accepts always
validates against the schema.

Examples
--------
>>> schema = scenario_schema()
>>> schema["$schema"]
'https://json-schema.org/draft/2020-12/schema'
>>> schema["required"]
['flowsim', 'flow']
>>> sorted(schema["$defs"]["options"]["properties"]["strategy"]["enum"])
['smart', 'stop_the_world']
"""

from __future__ import annotations

import json
from typing import Any

from flowsim.model import MAX_WORKERS, Depth, Strategy

from ._json import (
    _ATOM_KEYS,
    _CONTROLLER_KEYS,
    _CONTROLLER_REQUIRED,
    _DISTS,
    _FLOW_KEYS,
    _GRAPH_KEYS,
    _LINK_KEYS,
    _NODE_KINDS,
    _OPTION_KEYS,
    _RETRY_KINDS,
    _TASK_KEYS,
    _TOP_KEYS,
    FORMAT,
)

__all__ = ["scenario_schema"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# One line per key, by where it appears (Markdown: docs/hooks/generate.py makes the table
# of docs/scenario-files.md from it; the schema's descriptions drop the backquotes).
_KEY_DOCS: dict[str, dict[str, str]] = {
    "top level": {
        "$schema": "the JSON Schema an editor checks the file against; flowsim ignores it",
        "flowsim": "the format version; must be 1 (required)",
        "name": "the scenario's name (default: the flow's)",
        "description": "one line of text, shown by `flowsim run`",
        "options": "the run options (below)",
        "store": "an object: values for `requires` and `values_from`",
        "flow": "the flow (required)",
    },
    "options": {
        "workers": "an int >= 1, or null for unlimited (default null)",
        "seed": "an int seeding every random draw (default 0)",
        "defer_reverts": "a bool (default true): an exhausted checkpoint escalates",
        "never_resolve": "a bool (default false): do not resolve execute failures",
        "strategy": '`"smart"` (default) or `"stop_the_world"`',
        "event_budget": "an int, or null for 1,000,000 + 1,000 per atom",
    },
    "flow node": {
        "kind": '`"linear"`, `"unordered"` or `"graph"` (required)',
        "name": "a name unique in the scenario (required)",
        "retry": "a retry controller (below), or null",
        "children": "a list of flow and task nodes",
        "links": "graph flows only: a list of links (below)",
    },
    "link": {
        "source": "a direct child of the graph flow (required)",
        "target": "another direct child (required)",
        "decider": "a bool (default true); false is a static decider that says no",
        "depth": '`"all"` (default), `"flow"`, `"neighbors"` or `"atom"`: what it ignores',
    },
    "task node": {
        "kind": '`"task"` (required)',
        "name": "a name unique in the scenario (required)",
        "duration": "the execute's duration (a duration, below; default 1)",
        "revert_duration": "the revert's duration (default 1)",
        "fails_on": 'the execute calls that fail: a list of 1-based call numbers, or `"always"`',
        "revert_fails_on": "the revert calls that fail, likewise",
        "fail_probability": "a number in [0, 1]: each execute call fails with it (seeded)",
        "priority": "an int; higher starts first among ready work",
        "provides": "a list of the names of the values it provides",
        "requires": "a list of the names of the values it requires",
    },
    "retry": {
        "kind": ", ".join(f'`"{k}"`' for k in _RETRY_KINDS) + " (required)",
        "name": "a name unique in the scenario (required)",
        "attempts": "times: the number of attempts in total (default 1)",
        "values": "for_each: the list of values, one attempt each (required)",
        "values_from": "parameterized_for_each: the store key holding the values (required)",
        "revert_all": "times, for_each, parameterized_for_each: give up with REVERT_ALL",
        "duration": "the controller's execute duration (default 0)",
        "revert_duration": "its revert duration (default 0)",
        "fails_on": "its execute calls that fail",
        "revert_fails_on": "its revert calls that fail",
        "fail_probability": "the chance that each execute call fails",
        "provides": "the names of the values it provides",
        "requires": "the names of the values it requires",
    },
    "duration": {
        "uniform": '`{"dist": "uniform", "low": a, "high": b}`',
        "exponential": '`{"dist": "exponential", "mean": m}`',
        "lognormal": '`{"dist": "lognormal", "mu": m, "sigma": s}`',
    },
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


_NUMBER_GE_0 = {"type": "number", "minimum": 0}

# The shape of every key's value, by where it appears (as _KEY_DOCS).
_SHAPES: dict[str, dict[str, dict[str, Any]]] = {
    "top level": {
        "$schema": {"type": "string"},
        "flowsim": {"const": FORMAT},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "options": _ref("options"),
        "store": {"type": "object"},
        "flow": _ref("flow"),
    },
    "options": {
        "workers": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_WORKERS},
        "seed": {"type": "integer"},
        "defer_reverts": {"type": "boolean"},
        "never_resolve": {"type": "boolean"},
        "strategy": {"enum": [s.value for s in Strategy]},
        "event_budget": {"type": ["integer", "null"], "minimum": 1},
    },
    "flow node": {
        "kind": {"enum": [k for k in _NODE_KINDS if k != "task"]},
        "name": _ref("name"),
        "retry": {"type": ["object", "null"], "if": {"type": "object"}, "then": _ref("retry")},
        "children": {"type": "array", "items": _ref("node")},
        "links": {"type": "array", "items": _ref("link")},
    },
    "link": {
        "source": _ref("name"),
        "target": _ref("name"),
        "decider": {"type": "boolean"},
        "depth": {"enum": [d.value for d in Depth]},
    },
    "task node": {
        "kind": {"const": "task"},
        "name": _ref("name"),
        "duration": _ref("duration"),
        "revert_duration": _ref("duration"),
        "fails_on": _ref("fails_on"),
        "revert_fails_on": _ref("fails_on"),
        "fail_probability": {"type": "number", "minimum": 0, "maximum": 1},
        "priority": {"type": "integer"},
        "provides": _ref("names"),
        "requires": _ref("names"),
    },
    "retry": {
        "kind": {"enum": list(_RETRY_KINDS)},
        "name": _ref("name"),
        "attempts": {"type": "integer", "minimum": 0},
        "values": {"type": "array"},
        "values_from": {"type": "string", "minLength": 1},
        "revert_all": {"type": "boolean"},
        "duration": _ref("duration"),
        "revert_duration": _ref("duration"),
        "fails_on": _ref("fails_on"),
        "revert_fails_on": _ref("fails_on"),
        "fail_probability": {"type": "number", "minimum": 0, "maximum": 1},
        "provides": _ref("names"),
        "requires": _ref("names"),
    },
    "duration": {
        "low": _NUMBER_GE_0,
        "high": _NUMBER_GE_0,
        "mean": _NUMBER_GE_0,
        "mu": {"type": "number"},
        "sigma": _NUMBER_GE_0,
    },
}


def _reader_keys() -> dict[str, set[str]]:
    """Every key the reader accepts, by where it appears (as :data:`_KEY_DOCS`)."""
    retry = {"kind", "name", *_ATOM_KEYS}
    for extra in _CONTROLLER_KEYS.values():
        retry |= set(extra)
    return {
        "top level": set(_TOP_KEYS),
        "options": set(_OPTION_KEYS),
        "flow node": set(_GRAPH_KEYS),
        "link": set(_LINK_KEYS),
        "task node": set(_TASK_KEYS),
        "retry": retry,
        "duration": set(_DISTS),
    }


def _drift() -> list[str]:
    """How :data:`_KEY_DOCS` and :data:`_SHAPES` disagree with the reader (empty: not)."""
    problems = []
    params = {p for ps in _DISTS.values() for p in ps}
    for where, keys in _reader_keys().items():
        described = set(_KEY_DOCS.get(where, {}))
        if keys - described:
            problems.append(f"{where}: the reader accepts {sorted(keys - described)}, undescribed")
        if described - keys:
            problems.append(f"{where}: described {sorted(described - keys)}, not accepted")
        shaped = set(_SHAPES.get(where, {}))
        wanted = params if where == "duration" else keys  # a distribution's parameters
        if shaped != wanted:
            problems.append(f"{where}: shapes for {sorted(shaped)}, not {sorted(wanted)}")
    return problems


def _text(where: str, key: str) -> str:
    return _KEY_DOCS[where][key].replace("`", "")


def _object(
    where: str,
    keys: tuple[str, ...],
    *,
    required: tuple[str, ...],
    fixed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An object holding exactly ``keys`` (their shapes and descriptions from the tables)."""
    properties = {}
    for key in keys:
        shape = (fixed or {}).get(key, _SHAPES[where][key])
        properties[key] = {**shape, "description": _text(where, key)}
    return {
        "type": "object",
        "required": list(required),
        "properties": properties,
        "additionalProperties": False,
    }


def _by(tag: str, cases: dict[str, str], what: str) -> dict[str, Any]:
    """One of several object kinds told apart by the value of key ``tag``."""
    return {
        "type": "object",
        "description": what,
        "required": [tag],
        "properties": {tag: {"enum": list(cases)}},
        "allOf": [
            {
                "if": {"properties": {tag: {"const": case}}, "required": [tag]},
                "then": _ref(definition),
            }
            for case, definition in cases.items()
        ],
    }


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of scenario files, format version 1.

    Raises
    ------
    RuntimeError
        If the tables here and the reader's disagree about the keys (see the module
        docstring); it cannot happen in a released flowsim (the tests check it).

    Examples
    --------
    >>> task = scenario_schema()["$defs"]["task"]
    >>> task["required"], task["additionalProperties"]
    (['kind', 'name'], False)
    >>> task["properties"]["fail_probability"]["maximum"]
    1
    """
    problems = _drift()
    if problems:
        raise RuntimeError("flowsim/files/schema.py is out of date: " + "; ".join(problems))
    flows = {k: f"{k}_flow" for k in _NODE_KINDS if k != "task"}
    retries = {k: f"{k}_retry" for k in _RETRY_KINDS}
    defs: dict[str, Any] = {
        "name": {"type": "string", "pattern": "\\S", "description": "a non-empty name"},
        # Several types in one: each keyword checks only the values of its type.
        "names": {
            "description": "value names: one name, or a list of them",
            "type": ["string", "array"],
            "minLength": 1,
            "items": {"type": "string", "minLength": 1},
        },
        "options": _object("options", _OPTION_KEYS, required=()),
        "flow": _by("kind", flows, "a flow: linear, unordered or graph"),
        "node": _by("kind", {**flows, "task": "task"}, "a flow or a task"),
        "task": _object("task node", _TASK_KEYS, required=("kind", "name")),
        "retry": _by("kind", retries, "a retry controller"),
        "link": _object("link", _LINK_KEYS, required=("source", "target")),
        "duration": {
            "description": "a number >= 0, a list of them (one per call; the last repeats), "
            'or {"dist": ...}',
            "type": ["number", "array", "object"],
            "minimum": 0,
            "items": _NUMBER_GE_0,
            "minItems": 1,
            "if": {"type": "object"},
            "then": _by("dist", {d: d for d in _DISTS}, "a distribution of durations"),
        },
        "fails_on": {
            "description": 'a list of call numbers >= 1 (1 is the first call), or "always"',
            "type": ["string", "array"],
            "items": {"type": "integer", "minimum": 1},
            "if": {"type": "string"},
            "then": {"const": "always"},
        },
    }
    for kind, definition in flows.items():
        fixed = {"kind": {"const": kind}}
        keys: tuple[str, ...] = _GRAPH_KEYS if kind == "graph" else _FLOW_KEYS
        defs[definition] = _object("flow node", keys, required=("kind", "name"), fixed=fixed)
    for kind, definition in retries.items():
        keys = ("kind", "name", *_CONTROLLER_KEYS[kind], *_ATOM_KEYS)
        required = ("kind", "name", *_CONTROLLER_REQUIRED.get(kind, ()))
        fixed = {"kind": {"const": kind}}
        defs[definition] = _object("retry", keys, required=required, fixed=fixed)
    for dist, params in _DISTS.items():
        defs[dist] = {
            "type": "object",
            "description": _text("duration", dist),
            "required": ["dist", *params],
            "properties": {"dist": {"const": dist}, **{p: _SHAPES["duration"][p] for p in params}},
            "additionalProperties": False,
        }
    top = _object("top level", _TOP_KEYS, required=("flowsim", "flow"))
    return {
        "$schema": DRAFT,
        "title": "flowsim scenario file",
        "description": f"A flowsim scenario (format {FORMAT}): a flow, its store values and "
        "its run options. flowsim's reader also checks what a schema cannot: unique names, "
        "link ends, cycles and requirements.",
        **top,
        "$defs": defs,
    }


def _main() -> None:
    print(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    _main()
