"""Scenario JSON: the format's keys and kinds, and checked values (private).

The keys and kinds of scenario format version 1 (see :mod:`flowsim.files.scenario`), small
helpers that quote and show JSON values in error messages, the JSON parsing hooks
(duplicate keys, ``NaN``), and :class:`_JsonReader`, which checks the JSON shape of one
value (an object and its keys, a name, a boolean, a whole number, a free JSON value, a
duration, a failure spec) and fails with the file and the JSON path of the bad value.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeGuard, TypeVar

from flowsim.errors import ModelError, ScenarioError
from flowsim.model import GraphFlow, LinearFlow, UnorderedFlow
from flowsim.timing import Duration, Exponential, FailSpec, LogNormal, Uniform

FORMAT = 1
"""The scenario format version this flowsim reads and writes (the ``"flowsim"`` key)."""

_T = TypeVar("_T")

# "$schema" names the JSON Schema an editor checks the file against; flowsim ignores it
_TOP_KEYS = ("$schema", "flowsim", "name", "description", "options", "store", "flow")
_OPTION_KEYS = ("workers", "seed", "defer_reverts", "never_resolve", "strategy", "event_budget")
_FLOWS: dict[str, type[LinearFlow] | type[UnorderedFlow] | type[GraphFlow]] = {
    "linear": LinearFlow,
    "unordered": UnorderedFlow,
    "graph": GraphFlow,
}
_NODE_KINDS = ("linear", "unordered", "graph", "task")
_FLOW_KEYS = ("kind", "name", "retry", "children")
_GRAPH_KEYS = (*_FLOW_KEYS, "links")
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


# --------------------------------------------------------------------------- checked shapes


@dataclass(slots=True)
class _JsonReader:
    """Checks JSON shapes; every failure names the file (``where``) and the JSON path."""

    where: str

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

    def name(self, value: object, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a name (a non-empty string); got {_show(value)}")
        return value

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
