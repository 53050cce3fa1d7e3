"""Traces and results: what a run did, as immutable values with a lossless JSON form.

A trace is the list of state changes of every atom and of the flow, in the order they
happened, plus one record per failure resolution. Conventions are TaskFlow's
notifications: no event for an identity transition; on RETRY the retry controller emits
RETRYING, then each REVERTED (or IGNORE) atom of its scope emits PENDING, then the retry
controller emits RUNNING and SUCCESS; the flow emits RUNNING and then its final state
(and, under ``stop_the_world`` only, REVERTING and RUNNING while the world is stopped).

A trace also says which engine produced it (``"flowsim"``, ``"taskflow"`` for a recorded
TaskFlow run, or any name another engine's exporter gives) and, when known, the
:class:`~flowsim.Options` it ran under, so that checking it needs no flags repeated.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeVar, overload

from .errors import FlowsimError, ModelError, ScenarioError
from .model import Options, _clip, _num, _options_text, _plural, _quoted
from .states import AtomState, Decision, FlowState

if TYPE_CHECKING:
    from .compile import CompiledFlow

__all__ = ["AtomMap", "Event", "LazyNames", "Resolution", "Result", "Trace"]

TRACE_FORMAT = 1


class Event(NamedTuple):
    """One state change.

    ``subject`` is ``"atom"`` or ``"flow"``; ``attempt`` is the atom's execute call number
    (the one being run or reverted; 0 before its first execute; ``None`` for the flow);
    ``worker`` is the worker a task's execute or revert runs on (``None`` otherwise).
    """

    time: float
    seq: int
    subject: str
    name: str
    state: str
    attempt: int | None
    worker: int | None


_V = TypeVar("_V")


class AtomMap(Mapping[str, _V]):
    """A read-only mapping with one value per atom, in compile order: the compiled flow's
    name index and a tuple of values (a fifth of a dict's memory in a large flow).

    >>> m = AtomMap({"a": 0, "b": 1}, (3, 4))
    >>> m["b"], list(m), m == {"a": 3, "b": 4}
    (4, ['a', 'b'], True)
    """

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[str, int], values: Sequence[_V]) -> None:
        self._index = index
        self._values = tuple(values)

    def __getitem__(self, name: str) -> _V:
        return self._values[self._index[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(dict(self))


class LazyNames(Sequence[str]):
    """A tuple of names computed on first use (a resolution's scope in a large flow can
    name most of the flow, and most scopes are never read). It compares and hashes like
    the tuple it stands for, and pickles as that tuple.
    """

    __slots__ = ("_make", "_names")

    def __init__(self, make: Callable[[], tuple[str, ...]]) -> None:
        self._make: Callable[[], tuple[str, ...]] | None = make
        self._names: tuple[str, ...] | None = None

    def _get(self) -> tuple[str, ...]:
        if self._names is None:
            assert self._make is not None
            self._names, self._make = self._make(), None
        return self._names

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[str, ...]: ...
    def __getitem__(self, i: int | slice) -> str | tuple[str, ...]:
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __contains__(self, name: object) -> bool:
        return name in self._get()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyNames):
            other = other._get()
        return self._get() == other

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get())

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self._get(),))


@dataclass(frozen=True, slots=True)
class Resolution:
    """How one execute failure was resolved.

    ``seq`` is the sequence number of the FAILURE event resolved; ``chain`` the retry
    controllers consulted, innermost first, with their decisions; ``action`` what was
    applied: RETRY (``retry``'s scope is reverted and run again), REVERT (``retry`` and its
    scope are reverted) or REVERT_ALL (``retry`` is None); ``scope`` the atoms whose
    intention was set to REVERT, in compile order (a tuple, or from :func:`flowsim.simulate`
    a :class:`LazyNames` that is computed when first read and equals that tuple).
    """

    time: float
    seq: int
    failed: str
    chain: tuple[tuple[str, Decision], ...]
    action: Decision
    retry: str | None
    scope: Sequence[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "seq": self.seq,
            "failed": self.failed,
            "chain": [[r, str(d)] for r, d in self.chain],
            "action": str(self.action),
            "retry": self.retry,
            "scope": list(self.scope),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "<trace>") -> Resolution:
        """Read a resolution from its dict form, strictly (see :meth:`Trace.from_dict`).

        >>> r = Resolution(0.0, 3, "B", (("r", Decision.RETRY),), Decision.RETRY, "r", ("B",))
        >>> Resolution.from_dict(r.to_dict()) == r
        True
        """
        return _Reader(where).resolution(d, "$")


def _event_dict(e: Event) -> dict[str, Any]:
    return {
        "time": e.time,
        "seq": e.seq,
        "subject": e.subject,
        "name": e.name,
        "state": e.state,
        "attempt": e.attempt,
        "worker": e.worker,
    }


_OPTION_KEYS = ("workers", "seed", "defer_reverts", "never_resolve", "strategy", "event_budget")


def _options_dict(o: Options) -> dict[str, Any]:
    return {key: str(o.strategy) if key == "strategy" else getattr(o, key) for key in _OPTION_KEYS}


def _options_from(d: object, where: str) -> Options:
    if not isinstance(d, Mapping):
        raise ScenarioError(
            f"options must be an object, got {type(d).__name__}", where=where, path="$.options"
        )
    unknown = sorted(set(d) - set(_OPTION_KEYS))
    if unknown:
        raise ScenarioError(
            f"unknown option {unknown[0]!r}; expected some of {', '.join(_OPTION_KEYS)}",
            where=where,
            path="$.options",
        )
    try:
        return Options(**d)
    except ModelError as exc:
        raise ScenarioError(str(exc), where=where, path="$.options") from None


_TRACE_KEYS = ("flowsim_trace", "flow", "engine", "options", "events", "resolutions")
_EVENT_KEYS = ("time", "seq", "subject", "name", "state", "attempt", "worker")
_RESOLUTION_KEYS = ("time", "seq", "failed", "chain", "action", "retry", "scope")
_E = TypeVar("_E", AtomState, FlowState, Decision)


def _show(value: object, limit: int = 60) -> str:
    """A value as a file holds it (JSON), shortened, for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON, or an int with too many digits to print
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_EVENT_KEY_SET = frozenset(_EVENT_KEYS)
_STATES: dict[str, dict[str, AtomState | FlowState]] = {
    "atom": {name: AtomState(name) for name in AtomState.__members__},
    "flow": {name: FlowState(name) for name in FlowState.__members__},
}


def _well_formed(e: object) -> Event | None:
    """``e`` as an Event when it is exactly what :meth:`_Reader.event` accepts (a plain
    object, no unknown or duplicate keys, every value of its exact type and range), else
    ``None``: the reader's checks then say what is wrong. Loading a 50 MB trace spends
    most of its time here, so the checks are one expression, not one call per field."""
    if type(e) is not dict or not e.keys() <= _EVENT_KEY_SET:
        return None
    t, seq, name = e.get("time"), e.get("seq"), e.get("name")
    attempt, worker = e.get("attempt"), e.get("worker")
    states = _STATES.get(e.get("subject"))  # type: ignore[arg-type]
    state = states.get(e.get("state")) if states is not None else None  # type: ignore[arg-type]
    if (
        state is None
        or not (
            (type(t) is float and 0.0 <= t < math.inf) or (type(t) is int and 0 <= t < 2**1000)
        )
        or type(seq) is not int
        or seq < 0
        or type(name) is not str
        or not name
        or not (attempt is None or (type(attempt) is int and attempt >= 0))
        or not (worker is None or (type(worker) is int and worker >= 0))
    ):
        return None
    return Event(float(t), seq, e["subject"], name, state, attempt, worker)


@dataclass(frozen=True, slots=True)
class _Reader:
    """Checks the JSON shape of a trace; every failure names the file and the JSON path."""

    where: str

    def fail(self, path: str, message: str) -> NoReturn:
        raise ScenarioError(message, where=self.where, path=path)

    def obj(self, value: object, path: str, what: str, keys: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected {what} (a JSON object); got {_show(value)}")
        for key in getattr(value, "duplicates", ()):  # marked by flowsim.files' JSON parser
            self.fail(f"{path}.{key}", f"key {key!r} appears more than once; keep only one")
        for key in value:
            if key not in keys:
                self.fail(
                    f"{path}.{key}" if isinstance(key, str) else path,
                    f"unknown key {_show(key)} in {what}; allowed keys: {', '.join(keys)}",
                )
        return value

    def get(self, d: Mapping[str, Any], key: str, path: str, what: str) -> Any:
        if key not in d:
            self.fail(path, f"missing required key {key!r} in {what}")
        return d[key]

    def time(self, value: object, path: str) -> float:
        if not isinstance(value, bool) and isinstance(value, int | float) and value >= 0:
            try:
                if math.isfinite(value):
                    return float(value)
            except OverflowError:  # an int too large for a float
                pass
        self.fail(path, f"expected a time (a finite number >= 0); got {_show(value)}")

    def whole(self, value: object, path: str, *, null: bool = False) -> Any:
        if null and value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            tail = " or null" if null else ""
            self.fail(path, f"expected a whole number >= 0{tail}; got {_show(value)}")
        return value

    def name(self, value: object, path: str, *, null: bool = False) -> Any:
        if null and value is None:
            return None
        if not isinstance(value, str) or not value:
            tail = " or null" if null else ""
            self.fail(path, f"expected a name (a non-empty string){tail}; got {_show(value)}")
        return value

    def seq(self, value: object, path: str) -> list[Any] | tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            self.fail(path, f"expected a list (a JSON array); got {_show(value)}")
        return value

    def choice(self, value: object, path: str, enum: type[_E], what: str) -> _E:
        if not isinstance(value, str) or value not in enum.__members__:
            choices = ", ".join(enum.__members__)
            shown = repr(value) if isinstance(value, str) else _show(value)
            self.fail(path, f"unknown {what} {shown}; expected one of {choices}")
        return enum(value)

    def event(self, e: object, path: str) -> Event:
        fast = _well_formed(e)  # the common case, in one pass; else the explaining checks
        if fast is not None:
            return fast
        e = self.obj(e, path, "an event", _EVENT_KEYS)
        time = self.time(self.get(e, "time", path, "an event"), f"{path}.time")
        seq = self.whole(self.get(e, "seq", path, "an event"), f"{path}.seq")
        subject = self.get(e, "subject", path, "an event")
        if subject not in ("atom", "flow"):
            self.fail(f"{path}.subject", f'expected "atom" or "flow"; got {_show(subject)}')
        name = self.name(self.get(e, "name", path, "an event"), f"{path}.name")
        raw = self.get(e, "state", path, "an event")
        state: AtomState | FlowState = (
            self.choice(raw, path, AtomState, "atom state")
            if subject == "atom"
            else self.choice(raw, path, FlowState, "flow state")
        )
        attempt = self.whole(e.get("attempt"), f"{path}.attempt", null=True)
        worker = self.whole(e.get("worker"), f"{path}.worker", null=True)
        return Event(time, seq, subject, name, state, attempt, worker)

    def resolution(self, r: object, path: str) -> Resolution:
        what = "a resolution"
        r = self.obj(r, path, what, _RESOLUTION_KEYS)
        chain = []
        for i, link in enumerate(self.seq(self.get(r, "chain", path, what), f"{path}.chain")):
            at = f"{path}.chain[{i}]"
            if not isinstance(link, list | tuple) or len(link) != 2:
                self.fail(at, f'expected ["retry name", "DECISION"]; got {_show(link)}')
            chain.append(
                (
                    self.name(link[0], f"{at}[0]"),
                    self.choice(link[1], f"{at}[1]", Decision, "decision"),
                )
            )
        scope = self.seq(self.get(r, "scope", path, what), f"{path}.scope")
        return Resolution(
            time=self.time(self.get(r, "time", path, what), f"{path}.time"),
            seq=self.whole(self.get(r, "seq", path, what), f"{path}.seq"),
            failed=self.name(self.get(r, "failed", path, what), f"{path}.failed"),
            chain=tuple(chain),
            action=self.choice(
                self.get(r, "action", path, what), f"{path}.action", Decision, "action"
            ),
            retry=self.name(self.get(r, "retry", path, what), f"{path}.retry", null=True),
            scope=tuple(self.name(a, f"{path}.scope[{i}]") for i, a in enumerate(scope)),
        )

    def trace(self, d: object) -> Trace:
        if isinstance(d, Mapping) and "flowsim" in d and isinstance(d.get("flow"), Mapping):
            self.fail(
                "$",
                'this is a scenario file (it has "flowsim" and a "flow" object), not a '
                "trace; a trace file is what run --trace-out writes",
            )
        what = "a trace"
        d = self.obj(d, "$", what, _TRACE_KEYS)
        if "flowsim_trace" in d and (
            type(d["flowsim_trace"]) is not int or d["flowsim_trace"] != TRACE_FORMAT
        ):
            self.fail(
                "$.flowsim_trace",
                f"unsupported trace format {_show(d['flowsim_trace'])}; this flowsim reads "
                f'format {TRACE_FORMAT} ("flowsim_trace": {TRACE_FORMAT})',
            )
        for key in ("flow", "events"):
            if key not in d:
                self.fail(
                    "$",
                    f"not a flowsim trace: missing required key {key!r}; expected an object "
                    'with "flow", "events" and "resolutions"',
                )
        flow = self.name(d["flow"], "$.flow")
        events = self.seq(d["events"], "$.events")
        resolutions = self.seq(d.get("resolutions", ()), "$.resolutions")
        engine = d.get("engine", "flowsim")
        if not isinstance(engine, str) or not engine:
            self.fail("$.engine", f"engine must be a non-empty string, got {engine!r}")
        return Trace(
            flow=flow,
            events=tuple(self.event(e, f"$.events[{k}]") for k, e in enumerate(events)),
            resolutions=tuple(
                self.resolution(r, f"$.resolutions[{k}]") for k, r in enumerate(resolutions)
            ),
            options=_options_from(d["options"], self.where) if "options" in d else None,
            engine=engine,
        )


@dataclass(frozen=True, slots=True)
class Trace:
    """Every event and resolution of one run of flow ``flow``; ``engine`` names what
    produced it and ``options`` what it ran under (``None``: not recorded).

    >>> t = Trace("f", (), engine="taskflow", options=Options(defer_reverts=False))
    >>> back = Trace.from_dict(t.to_dict())
    >>> back.engine, back.options.defer_reverts
    ('taskflow', False)
    """

    flow: str
    events: tuple[Event, ...]
    resolutions: tuple[Resolution, ...] = ()
    options: Options | None = None
    engine: str = "flowsim"

    def __repr__(self) -> str:
        """One line, whatever the run's size: the flow, the engine, the counts.

        >>> Trace("f", (Event(0.0, 0, "flow", "f", "RUNNING", None, None),))
        <Trace of 'f' (flowsim): 1 event, 0 resolutions>
        """
        return (
            f"<Trace of {_quoted(self.flow)} ({_clip(self.engine, 30)}): "
            f"{_plural(len(self.events), 'event')}, "
            f"{_plural(len(self.resolutions), 'resolution')}>"
        )

    def _repr_html_(self) -> str:
        """A notebook's summary: the counts, the options, the first and last events."""
        options = f"; {escape(_options_text(self.options))}" if self.options else ""
        return (
            f'<div class="flowsim-trace"><p><b>Trace</b> of <code>{_clip(self.flow)}</code> '
            f"({_clip(self.engine, 30)}): {_plural(len(self.events), 'event')}, "
            f"{_plural(len(self.resolutions), 'resolution')}{options}</p>"
            f"{_events_table(self.events)}</div>"
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"flowsim_trace": TRACE_FORMAT, "flow": self.flow}
        d["engine"] = self.engine
        if self.options is not None:
            d["options"] = _options_dict(self.options)
        d["events"] = [_event_dict(e) for e in self.events]
        d["resolutions"] = [r.to_dict() for r in self.resolutions]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "<trace>") -> Trace:
        """Read a trace from its dict form (parsed trace-file JSON), strictly.

        Every value must have its exact JSON type (a time is a number, never the string
        ``"1.0"``), no key may be unknown or (in a dict from :func:`flowsim.load_trace`'s
        parser) repeated, and ``"flowsim_trace"``, when present, must be this flowsim's
        format, 1. ``"engine"``, ``"options"`` and ``"resolutions"`` may be missing (older
        files): the engine is then ``"flowsim"`` and the options ``None``.

        Raises
        ------
        ScenarioError
            For any bad value: ``where`` (the file) and the JSON path of the value, what is
            wrong and what was expected.

        Examples
        --------
        >>> Trace.from_dict({"flow": "f", "events": []}).engine
        'flowsim'
        >>> Trace.from_dict({"flow": "f", "events": [{"time": "1.0"}]}, where="t.json")
        Traceback (most recent call last):
        ...
        flowsim.errors.ScenarioError: t.json: $.events[0].time: expected a time (a finite number >= 0); got "1.0"
        """  # noqa: E501
        return _Reader(where).trace(d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def save(self, path: str | Path) -> None:
        """Write the trace as JSON to ``path``, whole or not at all (a temporary file in
        the same folder, renamed over ``path`` once written)."""
        target = Path(path)
        tmp = target.with_name(f".flowsim-{os.getpid()}-{id(self):x}.tmp")
        try:
            tmp.write_text(self.to_json() + "\n", encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True, eq=False)
class Result:
    """The outcome of :func:`flowsim.simulate`.

    ``executions``/``reverts`` count execute and revert calls per atom;
    ``retry_values`` lists what each retry controller's execute returned, in order;
    ``worker_busy`` is the busy time per worker; ``wasted_work`` is the total duration of
    executes that were later reverted (the execute of the failed atom included);
    ``event_count`` and ``resolution_count`` count the trace's records. ``trace`` is
    ``None`` for a run simulated with ``trace=False`` (counts only, for sweeps).
    """

    flow_state: FlowState
    makespan: float
    executions: Mapping[str, int]
    reverts: Mapping[str, int]
    atom_final_states: Mapping[str, AtomState]
    retry_values: Mapping[str, tuple[Any, ...]]
    worker_busy: Mapping[int, float]
    wasted_work: float
    trace: Trace | None
    compiled: CompiledFlow
    options: Options
    event_count: int
    resolution_count: int

    def __repr__(self) -> str:
        """One line, whatever the run's size: the flow's final state, makespan, counts.

        >>> from flowsim import LinearFlow, Task, simulate
        >>> simulate(LinearFlow(name="f", children=[Task(name="a", fails_on=[1])]))
        <Result of 'f': REVERTED, makespan 2 (smart, unlimited workers, seed 0); 1 atom, 6 events, 1 resolution>
        """  # noqa: E501
        return (
            f"<Result of {_quoted(self.compiled.name)}: {self.flow_state}, makespan "
            f"{_num(self.makespan)} ({_options_text(self.options)}); "
            f"{_plural(len(self.compiled), 'atom')}, {_plural(self.event_count, 'event')}, "
            f"{_plural(self.resolution_count, 'resolution')}>"
        )

    def _repr_html_(self) -> str:
        """A notebook's summary (text only; :mod:`flowsim.plot` adds the timeline): the
        flow's state and makespan, counts, and the resolutions."""
        states = Counter(self.atom_final_states.values())
        finals = ", ".join(f"{n:,} {s}" for s, n in sorted(states.items()))
        executes, reverts = sum(self.executions.values()), sum(self.reverts.values())
        trace = "" if self.trace is not None else " (simulated with trace=False)"
        return (
            f'<div class="flowsim-result"><p><b>Result</b> of '
            f"<code>{_clip(self.compiled.name)}</code>: <b>{self.flow_state}</b>, makespan "
            f"{_num(self.makespan)} ({escape(_options_text(self.options))})</p>"
            f"<p>{_plural(len(self.compiled), 'atom')}: {finals}; "
            f"{_plural(executes, 'execute')}, {_plural(reverts, 'revert')}, wasted work "
            f"{_num(self.wasted_work)}; {_plural(self.event_count, 'event')}, "
            f"{_plural(self.resolution_count, 'resolution')}{trace}</p>"
            f"{_resolutions_table(self.trace.resolutions) if self.trace else ''}</div>"
        )

    def traced(self) -> Trace:
        """The trace; a clear error for a run simulated with ``trace=False``."""
        if self.trace is None:
            raise FlowsimError(
                f"flow {self.compiled.name!r} was simulated with trace=False, which keeps "
                "only the summary and counts; simulate it again without trace=False to "
                "see, check, plot or export its events"
            )
        return self.trace

    @property
    def events(self) -> tuple[Event, ...]:
        return self.traced().events

    @property
    def resolutions(self) -> tuple[Resolution, ...]:
        return self.traced().resolutions

    def to_dict(self) -> dict[str, Any]:
        """The ``flowsim run --json`` object."""
        trace = self.traced()
        return {
            "flow": trace.flow,
            "flow_state": str(self.flow_state),
            "makespan": self.makespan,
            "executions": dict(self.executions),
            "reverts": dict(self.reverts),
            "atom_final_states": {k: str(v) for k, v in self.atom_final_states.items()},
            "retry_values": {k: list(v) for k, v in self.retry_values.items()},
            "worker_busy": {str(k): v for k, v in self.worker_busy.items()},
            "wasted_work": self.wasted_work,
            "events": [_event_dict(e) for e in trace.events],
            "resolutions": [r.to_dict() for r in trace.resolutions],
        }


# --------------------------------------------------------------------------- display
# Text only, bounded whatever the run's size: a repr is one line, an HTML table shows at
# most _HEAD + _TAIL rows. flowsim.plot (in a notebook) adds the pictures to Result.

_HEAD = 5
_TAIL = 5


def _rows(items: Sequence[_V], cells: Callable[[_V], Sequence[str]], width: int, word: str) -> str:
    """Table rows for the first _HEAD and last _TAIL of ``items``, a gap row between."""
    n = len(items)
    if n <= _HEAD + _TAIL:
        picked: list[_V | None] = list(items)
    else:
        picked = [*items[:_HEAD], None, *items[n - _TAIL :]]
    out = []
    for item in picked:
        if item is None:
            gap = _plural(n - _HEAD - _TAIL, f"more {word}")
            out.append(f'<tr><td colspan="{width}">... {gap} ...</td></tr>')
        else:
            out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells(item)) + "</tr>")
    return "".join(out)


def _events_table(events: Sequence[Event]) -> str:
    """The first and last events as an HTML table."""
    if not events:
        return ""
    head = ("time", "seq", "subject", "name", "state", "attempt", "worker")

    def cells(e: Event) -> list[str]:
        return [
            _num(e.time),
            str(e.seq),
            e.subject,
            _clip(e.name),
            str(e.state),
            "" if e.attempt is None else str(e.attempt),
            "" if e.worker is None else str(e.worker),
        ]

    th = "".join(f"<th>{h}</th>" for h in head)
    return f"<table><tr>{th}</tr>{_rows(events, cells, len(head), 'event')}</table>"


def _chain(r: Resolution) -> str:
    """``inner: REVERT, outer: RETRY`` (innermost first), shortened."""
    links = [f"{_clip(name, 30)}: {d}" for name, d in r.chain[:4]]
    more = f", ... ({len(r.chain):,} controllers)" if len(r.chain) > 4 else ""
    return ", ".join(links) + more if links else "(no retry controller)"


def _resolutions_table(resolutions: Sequence[Resolution]) -> str:
    """The first and last resolutions as an HTML table."""
    if not resolutions:
        return ""
    head = ("time", "failed", "chain (innermost first)", "action", "scope")

    def cells(r: Resolution) -> list[str]:
        scope = ", ".join(_clip(a, 30) for a in r.scope[:3])
        if len(r.scope) > 3:
            scope += f", ... ({len(r.scope):,} atoms)"
        action = f"{r.action} <code>{_clip(r.retry, 30)}</code>" if r.retry else str(r.action)
        return [_num(r.time), f"<code>{_clip(r.failed)}</code>", _chain(r), action, scope]

    th = "".join(f"<th>{h}</th>" for h in head)
    return f"<table><tr>{th}</tr>{_rows(resolutions, cells, len(head), 'resolution')}</table>"
