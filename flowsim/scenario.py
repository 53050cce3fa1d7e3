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

import difflib
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeGuard, TypeVar

from .compile import compile as compile_flow
from .errors import CompileError, ModelError, ScenarioError
from .model import (
    Depth,
    Flow,
    GraphFlow,
    LinearFlow,
    Link,
    Options,
    Retry,
    Scenario,
    Strategy,
    Task,
    UnorderedFlow,
)
from .retries import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    ParameterizedForEach,
    Times,
)
from .timing import Duration, Exponential, FailSpec, LogNormal, Uniform

__all__ = [
    "FORMAT",
    "load_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
]

FORMAT = 1
"""The scenario format version this flowsim reads and writes (the ``"flowsim"`` key)."""

_T = TypeVar("_T")

_TOP_KEYS = ("flowsim", "name", "description", "options", "store", "flow")
_OPTION_KEYS = ("workers", "seed", "defer_reverts", "never_resolve", "strategy", "event_budget")
_FLOWS: dict[str, type[LinearFlow] | type[UnorderedFlow] | type[GraphFlow]] = {
    "linear": LinearFlow,
    "unordered": UnorderedFlow,
    "graph": GraphFlow,
}
_NODE_KINDS = ("linear", "unordered", "graph", "task")
_RETRY_KINDS = (
    "times",
    "for_each",
    "parameterized_for_each",
    "always_revert",
    "always_revert_all",
    "always_retry",
)
_ATOM_KEYS = (
    "duration",
    "revert_duration",
    "fails_on",
    "revert_fails_on",
    "fail_probability",
    "provides",
    "requires",
)
_TASK_KEYS = ("kind", "name", *_ATOM_KEYS, "priority")
_CONTROLLER_KEYS: dict[str, tuple[str, ...]] = {
    "times": ("attempts", "revert_all"),
    "for_each": ("values", "revert_all"),
    "parameterized_for_each": ("values_from", "revert_all"),
    "always_revert": (),
    "always_revert_all": (),
    "always_retry": (),
}
_CONTROLLER_REQUIRED: dict[str, tuple[str, ...]] = {
    "for_each": ("values",),
    "parameterized_for_each": ("values_from",),
}
_LINK_KEYS = ("source", "target", "decider", "depth")
_DISTS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "exponential": ("mean",),
    "lognormal": ("mu", "sigma"),
}
_DURATION_EXPECTED = 'expected a number >= 0, a list of them (one per call), or {"dist": ...}'
_FAILS_EXPECTED = 'expected a list of call numbers >= 1 (1 is the first call) or "always"'


# --------------------------------------------------------------------------- small helpers


def _q(text: str) -> str:
    """A name as it is written in JSON: ``"B"``."""
    return json.dumps(text, ensure_ascii=False)


def _show(value: object, limit: int = 60) -> str:
    """A value as JSON (as the user wrote it), shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        try:
            text = repr(value)
        except ValueError:  # e.g. an int with more digits than Python will print
            text = f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _choices(options: Sequence[str], word: str = "or") -> str:
    """``"a", "b" or "c"``."""
    quoted = [_q(o) for o in options]
    if len(quoted) <= 2:
        return f" {word} ".join(quoted)
    return ", ".join(quoted[:-1]) + f" {word} " + quoted[-1]


def _a(what: str) -> str:
    """``"a linear flow"``, ``"an unordered flow"``."""
    vowel = what[0] in "aeio" or what.startswith("unordered")
    return f"{'an' if vowel else 'a'} {what}"


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{_q(key)}]"


def _is_number(value: object) -> TypeGuard[int | float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_list(value: object) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    return isinstance(value, list | tuple)


class _DuplicateKeys(dict[str, Any]):
    """A JSON object in which a key appeared more than once (json keeps only the last)."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    dupes: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in dupes:
            dupes.append(key)
        seen.add(key)
    marked = _DuplicateKeys(out)
    marked.duplicates = tuple(dupes)
    return marked


class _BadConstant(ValueError):
    pass


def _bad_constant(name: str) -> NoReturn:
    raise _BadConstant(name)


@dataclass(frozen=True, slots=True)
class _Seen:
    path: str
    kind: str  # "task", "retry controller", "linear flow", ...


@dataclass(frozen=True, slots=True)
class _PendingLink:
    flow: str
    children: tuple[str, ...]
    path: str
    link: Link


# --------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Reader:
    """What one read of a scenario needs to remember: the file, and every name's path."""

    where: str
    seen: dict[str, _Seen] = field(default_factory=dict)
    links: list[_PendingLink] = field(default_factory=list)

    def fail(self, path: str, message: str) -> NoReturn:
        raise ScenarioError(message, where=self.where, path=path)

    def make(self, path: str, build: Callable[[], _T]) -> _T:
        """Build a model value, turning its :class:`ModelError` into a ScenarioError."""
        try:
            return build()
        except ModelError as exc:
            self.fail(path, str(exc))

    # -- generic shapes
    def obj(
        self,
        value: object,
        path: str,
        what: str,
        *,
        required: Sequence[str],
        allowed: Sequence[str],
        hints: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected {what} (a JSON object); got {_show(value)}")
        for key in getattr(value, "duplicates", ()):
            self.fail(
                _key_path(path, key),
                f"key {_q(key)} appears more than once in {what}; keep only one",
            )
        for key in value:
            if not isinstance(key, str):
                self.fail(path, f"keys must be strings; got {key!r} in {what}")
            if key not in allowed:
                hint = (hints or {}).get(key)
                if hint is None:
                    close = difflib.get_close_matches(key, allowed, n=1)
                    hint = f"did you mean {_q(close[0])}?" if close else ""
                self.fail(
                    _key_path(path, key),
                    f"unknown key {_q(key)} in {what}; {hint + ' ' if hint else ''}"
                    f"allowed keys: {', '.join(_q(k) for k in allowed)}",
                )
        for key in required:
            if key not in value:
                self.fail(
                    path,
                    f"missing required key {_q(key)} in {what}; it needs "
                    f"{_choices(required, 'and')}",
                )
        return value

    def kind(self, value: Mapping[str, Any], path: str, kinds: Sequence[str], hint: str) -> str:
        if "kind" not in value:
            self.fail(path, f'missing required key "kind"; expected one of {_choices(kinds)}')
        kind = value["kind"]
        if not isinstance(kind, str) or kind not in kinds:
            self.fail(
                f"{path}.kind",
                f"unknown kind {_show(kind)}; expected one of {_choices(kinds)}"
                + (hint if isinstance(kind, str) and kind in _RETRY_KINDS + _NODE_KINDS else ""),
            )
        return kind

    def name(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a name (a non-empty string); got {_show(value)}")
        return value

    def register(self, name: str, path: str, kind: str) -> None:
        first = self.seen.get(name)
        if first is not None:
            self.fail(
                f"{path}.name",
                f"duplicate name {_q(name)}: already used by the {first.kind} at {first.path}; "
                "every task, retry controller and flow needs its own name",
            )
        self.seen[name] = _Seen(path, kind)

    def boolean(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false; got {_show(value)}")
        return value

    def whole(
        self, value: object, path: str, *, low: int | None = None, null: bool = False
    ) -> Any:
        if null and value is None:
            return None
        if not _is_whole(value) or (low is not None and value < low):
            bound = f" >= {low}" if low is not None else ""
            self.fail(
                path,
                f"expected a whole number{bound}{' or null' if null else ''}; got {_show(value)}",
            )
        return value

    def names(self, value: object, path: str) -> tuple[str, ...]:
        if isinstance(value, str) and value:
            return (value,)
        if not _is_list(value):
            self.fail(path, f"expected a list of value names (strings); got {_show(value)}")
        for i, v in enumerate(value):
            if not isinstance(v, str) or not v:
                self.fail(f"{path}[{i}]", f"expected a value name (a string); got {_show(v)}")
        return tuple(value)

    def json_value(self, value: object, path: str) -> Any:
        """Check a free JSON value (store values, for-each values); return it as read."""
        stack = [(value, path)]
        while stack:
            v, p = stack.pop()
            if isinstance(v, Mapping):
                for key in getattr(v, "duplicates", ()):
                    self.fail(_key_path(p, key), f"key {_q(key)} appears more than once")
                for key, item in v.items():
                    if not isinstance(key, str):
                        self.fail(p, f"object keys must be strings; got {key!r}")
                    stack.append((item, _key_path(p, key)))
            elif _is_list(v):
                stack.extend((item, f"{p}[{i}]") for i, item in enumerate(v))
            elif isinstance(v, float) and not math.isfinite(v):
                self.fail(p, f"expected a finite number; got {v!r}")
            elif v is not None and not isinstance(v, str | int | float):
                self.fail(p, f"expected a JSON value; got {v!r}")
        return value

    # -- timing
    def duration(self, value: object, path: str) -> Duration:
        if isinstance(value, Mapping):
            return self.distribution(value, path)
        if _is_list(value):
            if not value:
                self.fail(path, f"{_DURATION_EXPECTED}; got an empty list")
            for i, v in enumerate(value):
                if not _is_number(v) or v < 0:
                    self.fail(
                        f"{path}[{i}]",
                        f"expected a number >= 0 (the duration of call {i + 1}); got {_show(v)}",
                    )
            return tuple(float(v) for v in value)
        if not _is_number(value) or value < 0:
            self.fail(path, f"{_DURATION_EXPECTED}; got {_show(value)}")
        return float(value)

    def distribution(self, value: Mapping[str, Any], path: str) -> Duration:
        if "dist" not in value:
            self.fail(
                path,
                f'a distribution needs "dist": one of {_choices(list(_DISTS))}; '
                f"{_DURATION_EXPECTED}; got {_show(value)}",
            )
        dist = value["dist"]
        if not isinstance(dist, str) or dist not in _DISTS:
            self.fail(
                f"{path}.dist",
                f"unknown distribution {_show(dist)}; expected {_choices(list(_DISTS))}",
            )
        params = _DISTS[dist]
        self.obj(
            value,
            path,
            _a(f"{dist} distribution"),
            required=("dist", *params),
            allowed=("dist", *params),
        )
        got: dict[str, float] = {}
        for p in params:
            v = value[p]
            if p == "mu":
                if not _is_number(v):
                    self.fail(f"{path}.mu", f"expected a number; got {_show(v)}")
            elif not _is_number(v) or v < 0:
                self.fail(f"{path}.{p}", f"expected a number >= 0; got {_show(v)}")
            got[p] = float(v)
        if dist == "uniform":
            if got["high"] < got["low"]:
                self.fail(
                    path,
                    f"a uniform distribution needs high >= low; got low={_show(value['low'])}, "
                    f"high={_show(value['high'])}",
                )
            return self.make(path, lambda: Uniform(low=got["low"], high=got["high"]))
        if dist == "exponential":
            return self.make(path, lambda: Exponential(mean=got["mean"]))
        return self.make(path, lambda: LogNormal(mu=got["mu"], sigma=got["sigma"]))

    def fail_spec(self, value: object, path: str) -> FailSpec:
        if value == "always":
            return "always"
        if not _is_list(value):
            self.fail(path, f"{_FAILS_EXPECTED}; got {_show(value)}")
        for i, v in enumerate(value):
            if not _is_whole(v) or v < 1:
                self.fail(
                    f"{path}[{i}]",
                    f"expected a call number >= 1 (1 is the first call); got {_show(v)}",
                )
        return tuple(value)

    def atom_fields(self, value: Mapping[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("duration", "revert_duration"):
            if key in value:
                out[key] = self.duration(value[key], f"{path}.{key}")
        for key in ("fails_on", "revert_fails_on"):
            if key in value:
                out[key] = self.fail_spec(value[key], f"{path}.{key}")
        if "fail_probability" in value:
            p = value["fail_probability"]
            if not _is_number(p) or not 0 <= p <= 1:
                self.fail(
                    f"{path}.fail_probability", f"expected a number in [0, 1]; got {_show(p)}"
                )
            out["fail_probability"] = float(p)
        for key in ("provides", "requires"):
            if key in value:
                out[key] = self.names(value[key], f"{path}.{key}")
        return out

    # -- nodes
    def node(self, value: object, path: str, *, top: bool = False) -> Task | Flow:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a flow or a task (a JSON object); got {_show(value)}")
        kind = self.kind(
            value,
            path,
            _NODE_KINDS,
            '; retry controllers go in a flow\'s "retry", not in "children"',
        )
        if kind == "task" and top:
            self.fail(
                f"{path}.kind",
                'the top-level flow must be a flow ("linear", "unordered" or "graph"), not a '
                'task; wrap the task: {"kind": "linear", "name": ..., "children": [...]}',
            )
        if kind == "task":
            return self.task(value, path)
        return self.flow(value, path, kind)

    def task(self, value: Mapping[str, Any], path: str) -> Task:
        self.obj(value, path, "a task", required=("kind", "name"), allowed=_TASK_KEYS)
        name = self.name(value["name"], f"{path}.name")
        self.register(name, path, "task")
        fields = self.atom_fields(value, path)
        if "priority" in value:
            fields["priority"] = self.whole(value["priority"], f"{path}.priority")
        return self.make(path, lambda: Task(name=name, **fields))

    def retry(self, value: object, path: str) -> Retry:
        if not isinstance(value, Mapping):
            self.fail(
                path, f"expected a retry controller (a JSON object) or null; got {_show(value)}"
            )
        kind = self.kind(value, path, _RETRY_KINDS, '; tasks and flows go in "children"')
        extra = _CONTROLLER_KEYS[kind]
        self.obj(
            value,
            path,
            _a(f"{kind} retry controller"),
            required=("kind", "name", *_CONTROLLER_REQUIRED.get(kind, ())),
            allowed=("kind", "name", *extra, *_ATOM_KEYS),
            hints={"priority": "a retry controller has no priority (it takes no worker);"},
        )
        name = self.name(value["name"], f"{path}.name")
        self.register(name, path, "retry controller")
        revert_all = False
        if "revert_all" in value:
            revert_all = self.boolean(value["revert_all"], f"{path}.revert_all")
        controller: Controller
        if kind == "times":
            attempts = 1
            if "attempts" in value:
                attempts = self.whole(value["attempts"], f"{path}.attempts", low=0)
            controller = self.make(path, lambda: Times(attempts=attempts, revert_all=revert_all))
        elif kind == "for_each":
            values = value["values"]
            if not _is_list(values):
                self.fail(f"{path}.values", f"expected a list of values; got {_show(values)}")
            self.json_value(values, f"{path}.values")
            controller = self.make(
                path, lambda: ForEach(values=tuple(values), revert_all=revert_all)
            )
        elif kind == "parameterized_for_each":
            key = value["values_from"]
            if not isinstance(key, str) or not key:
                self.fail(
                    f"{path}.values_from",
                    f"expected the name of a store key (a string); got {_show(key)}",
                )
            controller = self.make(
                path, lambda: ParameterizedForEach(values_from=key, revert_all=revert_all)
            )
        elif kind == "always_revert":
            controller = AlwaysRevert()
        elif kind == "always_revert_all":
            controller = AlwaysRevertAll()
        else:
            controller = AlwaysRetry()
        fields = self.atom_fields(value, path)
        return self.make(path, lambda: Retry(name=name, controller=controller, **fields))

    def flow(self, value: Mapping[str, Any], path: str, kind: str) -> Flow:
        allowed: tuple[str, ...] = ("kind", "name", "retry", "children")
        if kind == "graph":
            allowed += ("links",)
        self.obj(
            value,
            path,
            _a(f"{kind} flow"),
            required=("kind", "name"),
            allowed=allowed,
            hints={"links": 'only graph flows have links (use "kind": "graph");'},
        )
        name = self.name(value["name"], f"{path}.name")
        self.register(name, path, f"{kind} flow")
        retry = None
        if value.get("retry") is not None:
            retry = self.retry(value["retry"], f"{path}.retry")
        raw_children = value.get("children", [])
        if not _is_list(raw_children):
            self.fail(
                f"{path}.children",
                f"expected a list of tasks and flows; got {_show(raw_children)}",
            )
        children = tuple(
            self.node(child, f"{path}.children[{i}]") for i, child in enumerate(raw_children)
        )
        if kind != "graph":
            cls = _FLOWS[kind]
            return self.make(path, lambda: cls(name=name, children=children, retry=retry))
        raw_links = value.get("links", [])
        if not _is_list(raw_links):
            self.fail(f"{path}.links", f"expected a list of links; got {_show(raw_links)}")
        links = []
        child_names = tuple(c.name for c in children)
        for i, raw in enumerate(raw_links):
            link = self.link(raw, f"{path}.links[{i}]")
            self.links.append(_PendingLink(name, child_names, f"{path}.links[{i}]", link))
            links.append(link)
        return self.make(
            path, lambda: GraphFlow(name=name, children=children, retry=retry, links=tuple(links))
        )

    def link(self, value: object, path: str) -> Link:
        value = self.obj(value, path, "a link", required=("source", "target"), allowed=_LINK_KEYS)
        source = self.name(value["source"], f"{path}.source")
        target = self.name(value["target"], f"{path}.target")
        decider = True
        if "decider" in value:
            decider = self.boolean(value["decider"], f"{path}.decider")
        depth = Depth.ALL
        if "depth" in value:
            raw = value["depth"]
            if not isinstance(raw, str) or raw not in Depth.__members__.values():
                self.fail(
                    f"{path}.depth",
                    f"expected one of {_choices([d.value for d in Depth])}; got {_show(raw)}",
                )
            depth = Depth(raw)
        return self.make(
            path, lambda: Link(source=source, target=target, decider=decider, depth=depth)
        )

    def check_links(self) -> None:
        for pending in self.links:
            link = pending.link
            for end in ("source", "target"):
                name = getattr(link, end)
                if name in pending.children:
                    continue
                seen = self.seen.get(name)
                if seen is None:
                    self.fail(
                        f"{pending.path}.{end}",
                        f"graph flow {_q(pending.flow)} has no child named {_q(name)}; its "
                        f"children are {', '.join(map(_q, pending.children)) or '(none)'}",
                    )
                self.fail(
                    f"{pending.path}.{end}",
                    f"{_q(name)} is not a direct child of graph flow {_q(pending.flow)}: it "
                    f"is the {seen.kind} at {seen.path}; links may only join direct children, "
                    "so link the child flow that holds it",
                )
            if link.source == link.target:
                self.fail(
                    pending.path,
                    f"link joins {_q(link.source)} to itself; a link joins two different children",
                )

    # -- the rest
    def options(self, value: object) -> Options:
        path = "$.options"
        value = self.obj(value, path, "the options", required=(), allowed=_OPTION_KEYS)
        got: dict[str, Any] = {}
        if "workers" in value:
            got["workers"] = self.whole(value["workers"], f"{path}.workers", low=1, null=True)
        if "seed" in value:
            got["seed"] = self.whole(value["seed"], f"{path}.seed")
        for flag in ("defer_reverts", "never_resolve"):
            if flag in value:
                got[flag] = self.boolean(value[flag], f"{path}.{flag}")
        if "strategy" in value:
            raw = value["strategy"]
            if not isinstance(raw, str) or raw not in Strategy.__members__.values():
                self.fail(
                    f"{path}.strategy",
                    f"expected {_choices([s.value for s in Strategy])}; got {_show(raw)}",
                )
            got["strategy"] = Strategy(raw)
        if "event_budget" in value:
            got["event_budget"] = self.whole(
                value["event_budget"], f"{path}.event_budget", low=1, null=True
            )
        return self.make(path, lambda: Options(**got))

    def scenario(self, data: object) -> Scenario:
        if not isinstance(data, Mapping):
            self.fail(
                "$",
                'expected a scenario: a JSON object like {"flowsim": 1, "flow": {...}}; got '
                + _show(data),
            )
        if "flowsim" in data:
            version = data["flowsim"]
            if not _is_whole(version) or version != FORMAT:
                self.fail(
                    "$.flowsim",
                    f"unsupported scenario format {_show(version)}; this flowsim reads "
                    f'format {FORMAT} ("flowsim": {FORMAT})',
                )
        self.obj(data, "$", "a scenario", required=("flowsim", "flow"), allowed=_TOP_KEYS)
        texts: dict[str, str] = {}
        for key in ("name", "description"):
            if key in data:
                text = data[key]
                if not isinstance(text, str):
                    self.fail(f"$.{key}", f"expected a string; got {_show(text)}")
                texts[key] = text
        options = self.options(data["options"]) if "options" in data else Options()
        store: Mapping[str, Any] = {}
        if "store" in data:
            store = data["store"]
            if not isinstance(store, Mapping):
                self.fail("$.store", f"expected a JSON object of values; got {_show(store)}")
            self.json_value(store, "$.store")
            store = dict(store)
        flow = self.node(data["flow"], "$.flow", top=True)
        assert not isinstance(flow, Task)  # node() refuses a top-level task
        self.check_links()
        try:
            compile_flow(flow, store=store)
        except CompileError as exc:
            seen = self.seen.get(exc.node)
            self.fail(seen.path if seen is not None else "$.flow", str(exc))
        return self.make("$", lambda: Scenario(flow=flow, options=options, store=store, **texts))


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
    try:
        data = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_bad_constant)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=where
        ) from None
    except _BadConstant as exc:
        raise ScenarioError(
            f"not JSON: {exc} is not a JSON number; use a number or null", where=where
        ) from None
    except RecursionError:
        raise ScenarioError("not JSON flowsim can read: nested too deeply", where=where) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python allows
        raise ScenarioError(f"not JSON flowsim can read: {exc}", where=where) from None
    return scenario_from_dict(data, where=where)


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
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(
            f"cannot read scenario file: {exc.strerror or exc}", where=where
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not a UTF-8 text file (byte {exc.start}: {exc.reason}); a scenario file is JSON "
            "text",
            where=where,
        ) from None
    return _parse_text(text, where)


# --------------------------------------------------------------------------- writing


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
