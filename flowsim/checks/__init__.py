"""Invariants over any trace: flowsim's own, or events another engine produced.

:func:`check` replays a trace against its compiled flow and returns the violations it
finds, each naming its :class:`Rule`, the events involved and a one-line explanation. An
empty list means the trace obeys every rule. The rules are DESIGN.md's semantics stated
over events only; resolutions are judged by the independent :mod:`flowsim.checks.oracle`.

>>> import flowsim as fs
>>> from flowsim import examples
>>> result = fs.simulate(examples.load("blueprint"))
>>> check(result)
[]

A trace from elsewhere is checked the same way, against the scenario it ran
(``check(scenario, trace)``); its ``resolutions`` may be absent, they are recomputed.
With ``timing=False`` the rules only a simulated clock can meet are off: durations,
injected failures, and resets at their retry round's exact time (a real engine's clock is
its own); every other rule is stated by event order and holds on a real engine too.

The options a trace is judged under are, first to last: the ``options`` argument, the
options the trace carries (:attr:`~flowsim.Trace.options`), :data:`TASKFLOW` for a trace
whose ``engine`` is ``"taskflow"``, the subject's options, ``Options()``.
:func:`options_for` says which applies; ``timing`` defaults to on for a flowsim trace and
off for any other engine's.
"""

from __future__ import annotations

from flowsim.compile import CompiledFlow, compile
from flowsim.errors import ScenarioError
from flowsim.model import Options, Scenario
from flowsim.trace import Result, Trace

from ._replay import _Replay
from ._rules import Rule, Violation

__all__ = ["TASKFLOW", "Rule", "Violation", "check", "options_for"]

#: TaskFlow's semantics as flowsim options, for a TaskFlow trace that carries none:
#: reverts are not deferred (a retry that gives up reverts only its own scope), failures
#: are resolved, and the number of workers is not checked (TaskFlow notifies RUNNING when
#: it submits a task to its executor, not when a worker starts it).
TASKFLOW = Options(workers=None, defer_reverts=False, never_resolve=False)


def options_for(
    subject: Result | Scenario | CompiledFlow, trace: Trace, options: Options | None = None
) -> tuple[Options, str]:
    """The options :func:`check` judges ``trace`` under, and where they come from.

    >>> import flowsim as fs
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a")])
    >>> options_for(fs.compile(flow), fs.Trace("f", (), engine="taskflow"))[1]
    'the TaskFlow preset (the trace is from taskflow and carries no options)'
    """
    if options is not None:
        return options, "given"
    if trace.options is not None:
        return trace.options, f"the trace's own (recorded by {trace.engine})"
    if trace.engine == "taskflow":
        return TASKFLOW, "the TaskFlow preset (the trace is from taskflow and carries no options)"
    if isinstance(subject, Result):
        return subject.options, "the result's"
    if isinstance(subject, Scenario):
        return subject.options, "the scenario's (the trace carries none)"
    return Options(), "the defaults (the trace carries none)"


def check(
    subject: Result | Scenario | CompiledFlow,
    trace: Trace | None = None,
    *,
    options: Options | None = None,
    timing: bool | None = None,
) -> list[Violation]:
    """Check a trace against every :class:`Rule`; return the violations (empty: clean).

    Parameters
    ----------
    subject
        A :class:`~flowsim.Result` (its trace and options are used), a scenario (its flow
        is compiled with its store; its options are used) or a compiled flow.
    trace
        The trace to check; defaults to the result's. Its ``resolutions`` are compared
        with the oracle's when present, and recomputed when the list is empty.
    options
        The options the trace ran with; by default the trace's own, else the subject's
        (see :func:`options_for`).
    timing
        Also require every execute and revert to last the scenario's duration and to fail
        exactly when the scenario says, and resets at their round's exact time. Defaults
        to ``True`` for a trace whose ``engine`` is ``"flowsim"``, else ``False``.

    Raises
    ------
    ScenarioError
        If the trace is for another flow (its flow name or an atom name is unknown).

    >>> import flowsim as fs
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    >>> r = fs.simulate(flow)
    >>> cut = fs.Trace(r.compiled.name, r.events[:-1])  # the final flow event is lost
    >>> for v in check(r.compiled, cut):
    ...     print(v)
    unfinished: the flow ends RUNNING, not in a final state [events #0@0]
    """
    if isinstance(subject, Result):
        compiled, trace = subject.compiled, trace or subject.traced()
    elif isinstance(subject, Scenario):
        compiled = compile(subject.flow, store=subject.store)
    elif isinstance(subject, CompiledFlow):
        compiled = subject
    else:
        raise TypeError(f"check() takes a result, a scenario or a compiled flow, got {subject!r}")
    if trace is None:
        raise TypeError("check(): give the trace to check (only a result carries its own)")
    if not isinstance(trace, Trace):
        raise TypeError(
            f"check(): trace must be a flowsim Trace (flowsim.load_trace reads a file), got "
            f"{type(trace).__name__}"
        )
    if trace.flow != compiled.name:
        raise ScenarioError(
            f"the trace is of flow {trace.flow!r}, not {compiled.name!r}", where="trace"
        )
    for k, e in enumerate(trace.events):
        if e.subject == "atom" and e.name not in compiled.index:
            raise ScenarioError(
                f"flow {compiled.name!r} has no atom {e.name!r}",
                where="trace",
                path=f"$.events[{k}].name",
            )
    recorded = {r.seq: r for r in trace.resolutions} if trace.resolutions else None
    used, _ = options_for(subject, trace, options)
    if timing is None:
        timing = trace.engine == "flowsim"
    replay = _Replay(compiled, used, timing, recorded)
    found = replay.run(trace.events)
    return sorted(found, key=lambda v: v.events[0].seq if v.events else len(trace.events))
