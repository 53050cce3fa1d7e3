"""From a flowsim scenario to a runnable TaskFlow flow (private; see :mod:`flowsim.taskflow`).

What a built flow does
----------------------
Each task's ``execute`` sleeps for its duration times ``time_scale`` and raises
:class:`~flowsim.taskflow.SimulatedFailure` when the scenario says that call fails; its
``revert`` likewise. Retry controllers are TaskFlow's own classes (``Times``,
``ForEach``, ``ParameterizedForEach``, ``AlwaysRevert``, ``AlwaysRevertAll``) whose
``execute`` and ``revert`` first sleep and fail in the same way; ``AlwaysRetry`` and custom
controllers become a retry that asks the flowsim controller (with its history in
flowsim's form). Graph flows have the same links: TaskFlow's own inference where it
gives flowsim's links, explicit links otherwise; ``Link(decider=False)`` becomes a link
with a :class:`~flowsim.taskflow.StaticDecider` and its depth.

What is reproduced, and what is not
-----------------------------------
Every atom decides its failures and durations exactly as :func:`flowsim.simulate` does
(:mod:`flowsim.timing`): calls are numbered per atom over the whole run (``fails_on``,
``revert_fails_on``), and distributions and ``fail_probability`` draw from the atom's own
stream seeded ``"<scenario seed>:<atom name>"`` in the simulator's order (execute
duration, then the failure draw; revert duration). These draws depend only on the atom's
own sequence of calls, never on time or on other atoms, so the k-th execute of an atom
fails in the real run exactly when it fails in the simulation. What is not reproduced is
time: real durations are the sleeps plus the engine's overhead, the engine's executor
decides which ready task starts first, and a race the simulation decides by its same-time
rule (two completions at one instant, a sibling still running when a failure is resolved)
may go either way. The scenario's ``workers`` is an engine option
(:func:`engine_options`), not part of the flow.
"""

from __future__ import annotations

import collections
import math
import threading
import time  # noqa: TID251 (the built tasks really sleep)
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowsim.compile import inferred_links
from flowsim.errors import ModelError
from flowsim.model import (
    Depth,
    Flow,
    GraphFlow,
    LinearFlow,
    Options,
    Retry,
    Scenario,
    Strategy,
    Task,
)
from flowsim.retries import (
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    History,
    HistoryEntry,
    ParameterizedForEach,
    Times,
)
from flowsim.timing import Exponential, LogNormal, Uniform, atom_random, pick_duration

from ._common import (
    SimulatedFailure,
    StaticDecider,
    graph_flow,
    linear_flow,
    tf_exceptions,
    tf_retry,
    tf_task,
    unordered_flow,
)

__all__ = ["RealFlow", "engine_options", "to_taskflow"]


# --------------------------------------------------------------------------- behaviour


class _Calls:
    """One atom's calls in a real run: numbered, timed and failed as the simulator does."""

    def __init__(self, atom: Task | Retry, seed: int, time_scale: float) -> None:
        self.atom = atom
        self.seed = seed
        self.scale = time_scale
        self.lock = threading.Lock()
        self.executes = 0
        self.reverts = 0
        self.rng: Any = None

    def _stream(self) -> Any:
        if self.rng is None:
            self.rng = atom_random(self.seed, self.atom.name)
        return self.rng

    def _duration(self, spec: Any, call: int) -> float:
        random = isinstance(spec, Uniform | Exponential | LogNormal)
        return pick_duration(spec, call, self._stream() if random else None)

    def execute(self) -> None:
        a = self.atom
        with self.lock:
            k = self.executes = self.executes + 1
            duration = self._duration(a.duration, k)
            fail = a.fails_on == "always" or k in a.fails_on
            if a.fail_probability > 0.0 and self._stream().random() < a.fail_probability:
                fail = True
        time.sleep(duration * self.scale)
        if fail:
            raise SimulatedFailure(f"{a.name}: execute call {k} fails (as the scenario says)")

    def revert(self) -> None:
        a = self.atom
        with self.lock:
            k = self.reverts = self.reverts + 1
            duration = self._duration(a.revert_duration, k)
            fail = a.revert_fails_on == "always" or k in a.revert_fails_on
        time.sleep(duration * self.scale)
        if fail:
            raise SimulatedFailure(f"{a.name}: revert call {k} fails (as the scenario says)")


class _SimTask(tf_task.Task):  # type: ignore[misc]
    """A task of a flow built by ``to_taskflow`` (``flowsim_atom`` is its flowsim task)."""

    def __init__(self, atom: Task, calls: _Calls) -> None:
        super().__init__(
            name=atom.name, provides=_provides(atom), requires=list(atom.requires) or None
        )
        self.priority = atom.priority
        self.flowsim_atom = atom
        self._calls = calls
        _whole_result(self, atom)

    def execute(self, **kwargs: Any) -> None:
        self._calls.execute()

    def revert(self, **kwargs: Any) -> None:
        self._calls.revert()


def _provides(atom: Task | Retry) -> list[str] | None:
    return list(atom.provides) or None


def _whole_result(made: Any, atom: Task | Retry) -> Any:
    """Every name the atom provides gets its whole result (TaskFlow's ``provides=[a, b]``
    would take item 0 and item 1 of it; flowsim's values are not indexed)."""
    made.save_as = collections.OrderedDict.fromkeys(atom.provides)
    return made


def _fs_history(history: Any) -> History:
    return tuple(HistoryEntry(value, tuple(failures)) for value, failures in history)


class _ControllerRetry(tf_retry.Retry):  # type: ignore[misc]
    """A retry that asks a flowsim controller (``AlwaysRetry``, custom controllers)."""

    def __init__(self, atom: Retry, calls: _Calls, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flowsim_controller = atom.controller
        self._calls = calls

    def execute(self, history: Any, *args: Any, **kwargs: Any) -> Any:
        self._calls.execute()
        return self.flowsim_controller.execute(_fs_history(history))

    def revert(self, history: Any, *args: Any, **kwargs: Any) -> None:
        self._calls.revert()

    def on_failure(self, history: Any, *args: Any, **kwargs: Any) -> Any:
        return tf_retry.Decision(str(self.flowsim_controller.on_failure(_fs_history(history))))


def _timed(retry: Any, calls: _Calls) -> Any:
    """Make a built-in TaskFlow retry sleep and fail as the scenario says, on the instance
    (its class, and so its decisions, stay TaskFlow's own)."""
    execute, revert = retry.execute, retry.revert

    def timed_execute(*args: Any, **kwargs: Any) -> Any:
        calls.execute()
        return execute(*args, **kwargs)

    def timed_revert(*args: Any, **kwargs: Any) -> Any:
        calls.revert()
        return revert(*args, **kwargs)

    retry.execute, retry.revert = timed_execute, timed_revert
    return retry


def _retry(atom: Retry, calls: _Calls) -> Any:
    c: Controller = atom.controller
    common: dict[str, Any] = {
        "name": atom.name,
        "provides": _provides(atom),
        "requires": list(atom.requires) or None,
    }
    made: Any
    if type(c) is Times:
        made = tf_retry.Times(attempts=c.attempts, revert_all=c.revert_all, **common)
    elif type(c) is ForEach:
        made = tf_retry.ForEach(values=list(c.values), revert_all=c.revert_all, **common)
    elif type(c) is ParameterizedForEach:
        made = tf_retry.ParameterizedForEach(
            revert_all=c.revert_all, rebind={"values": c.values_from}, **common
        )
    elif type(c) is AlwaysRevert:
        made = tf_retry.AlwaysRevert(**common)
    elif type(c) is AlwaysRevertAll:
        made = tf_retry.AlwaysRevertAll(**common)
    else:
        made = _ControllerRetry(atom, calls, **common)
        made.flowsim_atom = atom
        return _whole_result(made, atom)
    made.flowsim_atom = atom
    return _timed(_whole_result(made, atom), calls)


# --------------------------------------------------------------------------- flows


class _Builder:
    def __init__(self, scenario: Scenario, time_scale: float) -> None:
        self.seed = scenario.options.seed
        self.scale = time_scale

    def calls(self, atom: Task | Retry) -> _Calls:
        return _Calls(atom, self.seed, self.scale)

    def flow(self, flow: Flow) -> Any:
        retry = None if flow.retry is None else _retry(flow.retry, self.calls(flow.retry))
        kids = [
            _SimTask(c, self.calls(c)) if isinstance(c, Task) else self.flow(c)
            for c in flow.children
        ]
        if isinstance(flow, LinearFlow):
            return linear_flow.Flow(flow.name, retry=retry).add(*kids)
        if not isinstance(flow, GraphFlow):
            return unordered_flow.Flow(flow.name, retry=retry).add(*kids)
        return self.graph(flow, retry, kids)

    def graph(self, flow: GraphFlow, retry: Any, kids: list[Any]) -> Any:
        by_name = {k.name: k for k in kids}
        ours = inferred_links(flow)
        g = graph_flow.Flow(flow.name, retry=retry)
        try:  # TaskFlow's own inference, where it links what flowsim links
            g.add(*kids)
            same = {(u.name, v.name) for u, v, _ in g.iter_links()} == set(ours)
        except tf_exceptions.AmbiguousDependency:  # several providers of one value
            same = False
        if not same:
            g = graph_flow.Flow(flow.name, retry=retry)
            g.add(*kids, resolve_requires=False, resolve_existing=False)
            for u, v in ours:
                g.link(by_name[u], by_name[v])
        for link in flow.links:
            if link.decider and link.depth is Depth.ALL:
                g.link(by_name[link.source], by_name[link.target])
            else:
                g.link(
                    by_name[link.source],
                    by_name[link.target],
                    decider=StaticDecider(link.decider),
                    decider_depth=link.depth.value.upper(),
                )
        return g


@dataclass(frozen=True)
class RealFlow:
    """A runnable TaskFlow flow built from a scenario, with its store.

    ``flow`` is a freshly built ``taskflow.flow.Flow``; :meth:`load` loads a *fresh copy*
    of it each call (its own tasks, so its own call counters), so two loads are two
    independent runs that behave the same, and may even run at the same time. ``flow``
    itself runs too (``taskflow.engines.load(rf.flow, store=dict(rf.store))``); its
    tasks' call counters then count over every run of that one object.
    """

    flow: Any
    store: Mapping[str, Any]
    build: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    def load(
        self, *, engine: str = "parallel", options: Options | None = None, **kwargs: Any
    ) -> Any:
        """A TaskFlow engine for a fresh copy of the flow:
        ``taskflow.engines.load(flow, store=dict(store), engine=engine,
        **engine_options(options), **kwargs)``.

        >>> import flowsim as fs
        >>> rf = to_taskflow(fs.Scenario(flow=fs.LinearFlow(name="f", children=[
        ...     fs.Task(name="a")])), time_scale=0)
        >>> e = rf.load(engine="serial")
        >>> e.run(); e.storage.get_flow_state()
        'SUCCESS'
        """
        import taskflow.engines  # type: ignore[import-untyped]

        flow = self.build() if self.build is not None else self.flow
        return taskflow.engines.load(
            flow, store=dict(self.store), engine=engine, **engine_options(options), **kwargs
        )


def engine_options(options: Options | None) -> dict[str, Any]:
    """TaskFlow engine options that match flowsim ``options``: ``defer_reverts``,
    ``never_resolve`` and (for the parallel engine) ``max_workers`` = ``workers`` (left
    out when unlimited). ``None`` gives ``{}``, TaskFlow's defaults. ``seed`` is not an
    engine option: it is fixed when the flow is built (:func:`to_taskflow`).

    ``max_workers`` limits TaskFlow's threads, not what starts: the engine submits every
    ready task at once and a queued one runs when a thread frees, even after a failure
    was resolved meanwhile. So a real run ends as the simulation with ``workers=None``
    (the serial engine too); limited workers change only its timing.

    Raises
    ------
    ModelError
        For ``strategy="stop_the_world"``: TaskFlow has no such strategy (it is flowsim's
        model of the engine the blueprint replaced).

    Examples
    --------
    >>> import flowsim as fs
    >>> engine_options(fs.Options(workers=2))
    {'defer_reverts': True, 'never_resolve': False, 'max_workers': 2}
    >>> engine_options(None)
    {}
    """
    if options is None:
        return {}
    if not isinstance(options, Options):
        raise ModelError(f"engine_options() takes flowsim Options or None, got {options!r}")
    if options.strategy is Strategy.STOP_THE_WORLD:
        raise ModelError(
            "engine_options(): TaskFlow has no stop_the_world strategy (flowsim's model of "
            "the engine the blueprint replaced); only smart runs on TaskFlow: simulate "
            "stop_the_world, or pass strategy='smart'"
        )
    out: dict[str, Any] = {
        "defer_reverts": options.defer_reverts,
        "never_resolve": options.never_resolve,
    }
    if options.workers is not None:
        out["max_workers"] = options.workers
    return out


def to_taskflow(scenario: Scenario, *, time_scale: float = 0.001) -> RealFlow:
    """A runnable TaskFlow flow that does what ``scenario`` says: its tasks sleep for their
    durations times ``time_scale`` (seconds per time unit) and fail when the scenario
    says (see the module docstring of ``flowsim.taskflow._to`` for what is and is not
    reproduced).

    Raises
    ------
    ModelError
        If ``scenario`` is not a Scenario or ``time_scale`` is not a finite number >= 0.

    Examples
    --------
    >>> import flowsim as fs
    >>> s = fs.Scenario(flow=fs.LinearFlow(name="f", children=[fs.Task(name="a", fails_on=[1])]))
    >>> rf = to_taskflow(s, time_scale=0)
    >>> e = rf.load()
    >>> try:
    ...     e.run()
    ... except SimulatedFailure as exc:
    ...     print(exc)
    a: execute call 1 fails (as the scenario says)
    >>> e.storage.get_flow_state()
    'REVERTED'
    """
    if not isinstance(scenario, Scenario):
        raise ModelError(f"to_taskflow() takes a flowsim Scenario, got {scenario!r}")
    scale = time_scale
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 <= scale < math.inf:
        raise ModelError(
            f"to_taskflow(): time_scale must be a finite number >= 0 (seconds per time unit), "
            f"got {time_scale!r}"
        )
    builder = _Builder(scenario, float(scale))

    def build() -> Any:
        return builder.flow(scenario.flow)

    return RealFlow(flow=build(), store=dict(scenario.store), build=build)
