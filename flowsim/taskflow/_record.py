"""Recording a real TaskFlow run as a flowsim :class:`~flowsim.Trace` (private; import
:func:`record` and :class:`Recorder` from :mod:`flowsim.taskflow`).

How events are stamped
----------------------
Every notification of the engine's flow notifier and atom notifier becomes one event, in
the order the engine sent them (``seq``), stamped with :func:`time.monotonic` under a lock
when the callback runs, in seconds from the flow's RUNNING notification. That order is the
engine's own order of state changes, and it is the order the checks rely on. The times are
the engine's, not the tasks': TaskFlow notifies a task RUNNING when it *submits* the task to
its executor (the task may wait there for a thread) and SUCCESS/FAILURE when the engine
thread *processes* the completed future, so an event's time is when the engine acted.

With ``wrap_tasks=True`` each task's ``execute`` and ``revert`` are wrapped (on the task
object, for the duration of the recording) to stamp the call's real start and end and the
thread that ran it: :attr:`Recorder.calls` (threads numbered 0, 1, ... in the order of
their first call) and :meth:`Recorder.durations`. The k-th execute call of a task belongs
to its k-th RUNNING event, the k-th revert call to its k-th REVERTING event, and
``trace(workers=True)`` puts the call's worker on those events and on the end events that
close them. It is off by default because it is not sound in notification order: the
engine notifies RUNNING for every task it submits, also those that wait in the executor
for a thread (the serial engine notifies a whole batch RUNNING, then runs it), so one
worker would appear to run several tasks at once and the capacity rule would flag it. For
the same reason :meth:`Recorder.options` says ``workers=None``. Retry controllers run in
the engine thread and carry no worker, as in a simulation.

Attempts follow flowsim's convention: an atom's attempt is the number of RUNNING events it
has had (0 before the first), carried by every later event until the next RUNNING.
"""

from __future__ import annotations

import functools
import threading
import time  # noqa: TID251 (the recorder stamps a real engine's run)
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

with warnings.catch_warnings():  # oslo_utils (a TaskFlow dependency) warns on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from taskflow import flow as tf_flow  # type: ignore[import-untyped]
    from taskflow import retry as tf_retry
    from taskflow import task as tf_task
    from taskflow.engines import base as tf_engine_base  # type: ignore[import-untyped]
    from taskflow.listeners import base as tf_listeners  # type: ignore[import-untyped]

from flowsim.compile import CompiledFlow
from flowsim.errors import ModelError, ScenarioError
from flowsim.model import Options
from flowsim.spans import spans
from flowsim.states import AtomState, FlowState
from flowsim.trace import Event, Result, Trace

__all__ = ["Call", "Recorder", "record"]

#: Flow states of TaskFlow that flowsim does not model: recorded in
#: :attr:`Recorder.unmodelled`, left out of the trace.
UNMODELLED_FLOW_STATES = frozenset({"SUSPENDING", "SUSPENDED", "RESUMING"})
_FINAL = frozenset({"SUCCESS", "FAILURE", "REVERTED"})


@dataclass(frozen=True, slots=True)
class Call:
    """One real call of a task's ``execute`` or ``revert``, as the wrapper saw it.

    ``kind`` is ``"execute"`` or ``"revert"``; ``number`` counts the task's calls of that
    kind from 1; ``start``/``end`` are seconds from the flow's start; ``worker`` numbers
    the thread that ran it (first use first); ``failed`` says whether it raised.
    """

    atom: str
    kind: str
    number: int
    start: float
    end: float
    worker: int
    failed: bool


def _atoms(flow: Any) -> dict[str, Any]:
    """Every atom of a TaskFlow flow (nested flows included) by name, retries first."""
    out: dict[str, Any] = {}
    todo = [flow]
    while todo:
        f = todo.pop()
        if f.retry is not None:
            out[f.retry.name] = f.retry
        for node in f:
            if isinstance(node, tf_flow.Flow):
                todo.append(node)
            else:
                out[node.name] = node
    return out


class Recorder(tf_listeners.Listener):  # type: ignore[misc]
    """A TaskFlow listener that records a run of ``engine`` as a flowsim trace.

    Use it as TaskFlow's own listeners are used: ``with Recorder(engine) as rec:
    engine.run()`` (or :meth:`register` and :meth:`deregister`), then :meth:`trace`. One
    recorder records one run. It never raises into the engine: a notification it cannot
    record (an atom the flow does not have, an event after the flow's final state, an
    internal error) is kept in :attr:`unrecorded`, and :meth:`trace` then raises. Flow
    states flowsim does not model (SUSPENDING, SUSPENDED, RESUMING) are kept in
    :attr:`unmodelled` and left out of the trace. See the module docstring for how events
    are stamped.

    Parameters
    ----------
    engine
        A TaskFlow engine (``taskflow.engines.load(flow, ...)``), not yet run.
    wrap_tasks
        Wrap each task's execute and revert to record real calls and worker threads.

    Raises
    ------
    ModelError
        If ``engine`` is not a TaskFlow engine.

    Examples
    --------
    >>> import taskflow.engines
    >>> from taskflow import task
    >>> from taskflow.patterns import linear_flow
    >>> class Hello(task.Task):
    ...     def execute(self):
    ...         return "hi"
    >>> engine = taskflow.engines.load(linear_flow.Flow("f").add(Hello("a")))
    >>> with Recorder(engine) as rec:
    ...     engine.run()
    >>> for e in rec.trace(workers=True).events:
    ...     print(e.subject, e.name, e.state, e.attempt, e.worker)
    flow f RUNNING None None
    atom a RUNNING 1 0
    atom a SUCCESS 1 0
    flow f SUCCESS None None
    """

    def __init__(self, engine: Any, *, wrap_tasks: bool = True) -> None:
        if not isinstance(engine, tf_engine_base.Engine):
            raise ModelError(
                f"Recorder: {engine!r} is not a TaskFlow engine; expected what "
                "taskflow.engines.load(flow, ...) returns"
            )
        super().__init__(engine)
        self.flow_name: str = engine._flow.name
        self._atoms = _atoms(engine._flow)
        self._wrap = wrap_tasks
        self._lock = threading.Lock()
        self._raw: list[tuple[float, str, str, str]] = []  # (clock, subject, name, state)
        self._calls: list[tuple[str, str, float, float, int, bool]] = []
        self._unrecorded: list[str] = []
        self._unmodelled: list[str] = []
        self._started: float | None = None
        self._ended = False
        self._saved: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------ registration
    def register(self) -> None:
        """Register on the engine's notifiers (and wrap the tasks); TaskFlow's API."""
        super().register()
        if self._wrap and not self._saved:
            for name, atom in self._atoms.items():
                if isinstance(atom, tf_task.Task) and not isinstance(atom, tf_retry.Retry):
                    own = vars(atom)
                    self._saved[name] = {k: own[k] for k in ("execute", "revert") if k in own}
                    atom.execute = self._wrapped(name, "execute", atom.execute)
                    atom.revert = self._wrapped(name, "revert", atom.revert)

    def deregister(self) -> None:
        """Deregister from the engine's notifiers and unwrap the tasks; TaskFlow's API."""
        super().deregister()
        for name, saved in self._saved.items():
            atom = self._atoms[name]
            for k in ("execute", "revert"):
                if k in saved:
                    setattr(atom, k, saved[k])
                else:
                    delattr(atom, k)
        self._saved.clear()

    def _wrapped(self, name: str, kind: str, call: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(call)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ident = threading.get_ident()
            start = time.monotonic()
            failed = True
            try:
                result = call(*args, **kwargs)
                failed = False
                return result
            finally:
                end = time.monotonic()
                with self._lock:
                    self._calls.append((name, kind, start, end, ident, failed))

        return wrapper

    # ------------------------------------------------------------ receivers
    def _note(self, subject: str, name: str, state: str) -> None:
        now = time.monotonic()
        with self._lock:
            try:
                self._take(now, subject, name, state)
            except Exception as exc:  # never into the engine: TaskFlow would swallow it
                self._unrecorded.append(f"{subject} {name!r} {state}: {type(exc).__name__}: {exc}")

    def _take(self, now: float, subject: str, name: str, state: str) -> None:
        if subject == "flow":
            if state in UNMODELLED_FLOW_STATES:
                self._unmodelled.append(f"flow {name!r} {state}")
                return
            if state not in FlowState.__members__:
                self._unrecorded.append(f"flow {name!r} {state}: not a flow state")
                return
        elif name not in self._atoms:
            self._unrecorded.append(
                f"atom {name!r} {state}: flow {self.flow_name!r} has no such atom; expected "
                f"one of {', '.join(sorted(self._atoms))}"
            )
            return
        elif state not in AtomState.__members__:
            self._unrecorded.append(f"atom {name!r} {state}: not an atom state")
            return
        if self._ended:
            self._unrecorded.append(f"{subject} {name!r} {state}: after the flow's final state")
            return
        if self._started is None:
            if subject == "flow" and state == "RUNNING":
                self._started = now
            else:
                self._unmodelled.append(f"{subject} {name!r} {state} before the flow ran")
                return
        self._raw.append((now, subject, name, state))
        if subject == "flow" and state in _FINAL:
            self._ended = True

    def _flow_receiver(self, state: str, details: Mapping[str, Any]) -> None:
        self._note("flow", self.flow_name, state)

    def _task_receiver(self, state: str, details: Mapping[str, Any]) -> None:
        self._note("atom", str(details.get("task_name")), state)

    def _retry_receiver(self, state: str, details: Mapping[str, Any]) -> None:
        self._note("atom", str(details.get("retry_name")), state)

    # ------------------------------------------------------------ results
    @property
    def unrecorded(self) -> tuple[str, ...]:
        """The notifications that could not be recorded (empty for a good recording)."""
        with self._lock:
            return tuple(self._unrecorded)

    @property
    def unmodelled(self) -> tuple[str, ...]:
        """Notifications flowsim does not model (suspension states), left out of the trace."""
        with self._lock:
            return tuple(self._unmodelled)

    @property
    def calls(self) -> tuple[Call, ...]:
        """The real execute and revert calls, by start time (empty without ``wrap_tasks``)."""
        with self._lock:
            raw = sorted(self._calls, key=lambda c: c[2])
        t0 = self._started if self._started is not None else (raw[0][2] if raw else 0.0)
        workers: dict[int, int] = {}
        counts: dict[tuple[str, str], int] = {}
        out = []
        for name, kind, start, end, ident, failed in raw:
            worker = workers.setdefault(ident, len(workers))
            number = counts[name, kind] = counts.get((name, kind), 0) + 1
            out.append(Call(name, kind, number, start - t0, end - t0, worker, failed))
        return tuple(out)

    def durations(self) -> dict[str, tuple[float, ...]]:
        """Each task's measured execute durations in seconds, in call order (needs
        ``wrap_tasks``); what a simulation may borrow from a real run."""
        out: dict[str, list[float]] = {}
        for c in self.calls:
            if c.kind == "execute":
                out.setdefault(c.atom, []).append(c.end - c.start)
        return {k: tuple(v) for k, v in out.items()}

    def options(self) -> Options:
        """The flowsim options to check the recorded trace under: TaskFlow's
        ``defer_reverts`` and ``never_resolve`` (both False unless given) and
        ``workers=None`` (the engine notifies RUNNING on submission, so its executor's
        thread count cannot be checked in notification order)."""
        given = dict(self._engine.options or {})
        return Options(
            workers=None,
            defer_reverts=bool(given.get("defer_reverts", False)),
            never_resolve=bool(given.get("never_resolve", False)),
        )

    def trace(self, *, workers: bool = False) -> Trace:
        """The recorded run as a flowsim trace (times in seconds from the flow's start),
        with ``engine="taskflow"`` and :meth:`options`, so that
        :func:`flowsim.checks.check` judges it under the engine's own options and without
        timing rules; ``workers=True`` puts each real call's worker on its events (see the
        module docstring for why that is off by default).

        Raises
        ------
        ScenarioError
            If the flow never ran, or some notification could not be recorded (the
            message names the first and counts them).
        """
        with self._lock:
            raw = list(self._raw)
            problems = list(self._unrecorded)
            t0 = self._started
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ScenarioError(
                f"{len(problems)} notification(s) could not be recorded: {problems[0]}{more}",
                where=f"recording of flow {self.flow_name!r}",
            )
        if t0 is None:
            raise ScenarioError(
                "the flow never ran: no RUNNING notification was received; expected "
                "engine.run() while the recorder is registered",
                where=f"recording of flow {self.flow_name!r}",
            )
        worker = self._worker_map() if workers else {}
        attempts: dict[str, int] = {}
        reverts: dict[str, int] = {}
        open_call: dict[str, int | None] = {}
        events = []
        for seq, (clock, subject, name, state) in enumerate(raw):
            if subject == "flow":
                events.append(Event(clock - t0, seq, "flow", name, FlowState(state), None, None))
                continue
            w: int | None = None
            if state == "RUNNING":
                attempts[name] = attempts.get(name, 0) + 1
                w = open_call[name] = worker.get((name, "execute", attempts[name]))
            elif state == "REVERTING":
                reverts[name] = reverts.get(name, 0) + 1
                w = open_call[name] = worker.get((name, "revert", reverts[name]))
            elif state in ("SUCCESS", "FAILURE", "REVERTED", "REVERT_FAILURE"):
                w = open_call.pop(name, None)
            events.append(
                Event(clock - t0, seq, "atom", name, AtomState(state), attempts.get(name, 0), w)
            )
        return Trace(
            flow=self.flow_name, events=tuple(events), options=self.options(), engine="taskflow"
        )

    def result(self, compiled: CompiledFlow) -> Result:
        """The recorded run as a :class:`~flowsim.Result` of ``compiled`` (the flowsim
        flow it ran), for :func:`flowsim.plot.plot_timeline` and
        :func:`flowsim.export.to_chrome_trace`. Counts, final states, makespan and busy
        time come from the trace; ``retry_values`` is empty and ``wasted_work`` 0 (the
        recorder does not see return values or which work a resolution wasted).

        Raises
        ------
        ScenarioError
            As :meth:`trace`, or if ``compiled`` is not the recorded flow.
        """
        trace = self.trace()
        if compiled.name != trace.flow:
            raise ScenarioError(
                f"the recording is of flow {trace.flow!r}, not {compiled.name!r}",
                where=f"recording of flow {self.flow_name!r}",
            )
        final = {name: AtomState.PENDING for name in compiled.names}
        executions = dict.fromkeys(compiled.names, 0)
        reverts = dict.fromkeys(compiled.names, 0)
        flow_state = FlowState.RUNNING
        for e in trace.events:
            if e.subject == "flow":
                flow_state = FlowState(e.state)
                continue
            final[e.name] = AtomState(e.state)
            if e.state == "RUNNING":
                executions[e.name] += 1
            elif e.state == "REVERTING":
                reverts[e.name] += 1
        busy: dict[int, float] = {}
        for s in spans(trace.events):
            if s.worker is not None:
                busy[s.worker] = busy.get(s.worker, 0.0) + s.end - s.start
        return Result(
            flow_state=flow_state,
            makespan=trace.events[-1].time,
            executions=executions,
            reverts=reverts,
            atom_final_states=final,
            retry_values={},
            worker_busy=dict(sorted(busy.items())),
            wasted_work=0.0,
            trace=trace,
            compiled=compiled,
            options=self.options(),
            event_count=len(trace.events),
            resolution_count=0,
        )

    def _worker_map(self) -> dict[tuple[str, str, int], int]:
        return {(c.atom, c.kind, c.number): c.worker for c in self.calls}


@contextmanager
def record(engine: Any, *, wrap_tasks: bool = True) -> Iterator[Recorder]:
    """Record what ``engine`` does inside the ``with`` block; the :class:`Recorder` it
    yields gives the trace (see the :class:`Recorder` for what is recorded and how).

    Examples
    --------
    >>> import taskflow.engines
    >>> from taskflow import task
    >>> from taskflow.patterns import linear_flow
    >>> class Boom(task.Task):
    ...     def execute(self):
    ...         raise RuntimeError("boom")
    >>> engine = taskflow.engines.load(linear_flow.Flow("f").add(Boom("a")))
    >>> with record(engine) as rec:
    ...     try:
    ...         engine.run()
    ...     except RuntimeError:
    ...         pass
    >>> [str(e.state) for e in rec.trace().events]
    ['RUNNING', 'RUNNING', 'FAILURE', 'REVERTING', 'REVERTED', 'REVERTED']
    """
    recorder = Recorder(engine, wrap_tasks=wrap_tasks)
    with recorder:
        yield recorder
