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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload

from .errors import FlowsimError, ModelError, ScenarioError
from .model import Options
from .states import AtomState, Decision, FlowState

if TYPE_CHECKING:
    from .compile import CompiledFlow

__all__ = ["AtomMap", "Event", "LazyNames", "Resolution", "Result", "Trace", "load_trace"]

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
    def from_dict(cls, d: Mapping[str, Any]) -> Resolution:
        return cls(
            time=float(d["time"]),
            seq=int(d["seq"]),
            failed=str(d["failed"]),
            chain=tuple((str(r), Decision(x)) for r, x in d["chain"]),
            action=Decision(d["action"]),
            retry=None if d["retry"] is None else str(d["retry"]),
            scope=tuple(str(a) for a in d["scope"]),
        )


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

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"flowsim_trace": TRACE_FORMAT, "flow": self.flow}
        d["engine"] = self.engine
        if self.options is not None:
            d["options"] = _options_dict(self.options)
        d["events"] = [_event_dict(e) for e in self.events]
        d["resolutions"] = [r.to_dict() for r in self.resolutions]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "trace") -> Trace:
        """Load a trace from its dict form, with a clear error for a malformed one."""
        try:
            events = []
            for k, e in enumerate(d["events"]):
                state = e["state"]
                subject = e["subject"]
                if subject not in ("atom", "flow"):
                    raise ScenarioError(
                        f"subject must be 'atom' or 'flow', got {subject!r}",
                        where=where,
                        path=f"$.events[{k}].subject",
                    )
                enum = AtomState if subject == "atom" else FlowState
                if state not in enum.__members__:
                    raise ScenarioError(
                        f"unknown {subject} state {state!r}", where=where, path=f"$.events[{k}]"
                    )
                time = float(e["time"])
                if not math.isfinite(time):
                    raise ScenarioError("time must be finite", where=where, path=f"$.events[{k}]")
                events.append(
                    Event(
                        time,
                        int(e["seq"]),
                        subject,
                        str(e["name"]),
                        enum(state),
                        None if e.get("attempt") is None else int(e["attempt"]),
                        None if e.get("worker") is None else int(e["worker"]),
                    )
                )
            resolutions = tuple(Resolution.from_dict(r) for r in d.get("resolutions", ()))
            engine = d.get("engine", "flowsim")
            if not isinstance(engine, str) or not engine:
                raise ScenarioError(
                    f"engine must be a non-empty string, got {engine!r}",
                    where=where,
                    path="$.engine",
                )
            options = _options_from(d["options"], where) if "options" in d else None
            return cls(
                flow=str(d["flow"]),
                events=tuple(events),
                resolutions=resolutions,
                options=options,
                engine=engine,
            )
        except ScenarioError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ScenarioError(
                f"not a flowsim trace ({type(exc).__name__}: {exc}); expected an object with "
                '"flow", "events" and "resolutions"',
                where=where,
            ) from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def save(self, path: str | Path) -> None:
        """Write the trace as JSON to ``path``."""
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")


def load_trace(path: str | Path) -> Trace:
    """Load a trace written by :meth:`Trace.save` (or ``flowsim run --trace-out``)."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read trace file: {exc.strerror}", where=where) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=where
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError("a trace file holds one JSON object", where=where, path="$")
    return Trace.from_dict(data, where=where)


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
