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
With ``timing=False`` the durations and injected failures of the scenario are not
enforced (a real engine's timings are its own).
"""

from __future__ import annotations

from flowsim.compile import CompiledFlow, compile
from flowsim.errors import ScenarioError
from flowsim.model import Options, Scenario
from flowsim.trace import Result, Trace

from ._replay import _Replay
from ._rules import Rule, Violation

__all__ = ["Rule", "Violation", "check"]


def check(
    subject: Result | Scenario | CompiledFlow,
    trace: Trace | None = None,
    *,
    options: Options | None = None,
    timing: bool = True,
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
        The options the trace ran with (overrides the subject's; defaults to
        ``Options()``).
    timing
        Also require every execute and revert to last the scenario's duration and to fail
        exactly when the scenario says (turn off for a real engine's trace).

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
        compiled, base, trace = subject.compiled, subject.options, trace or subject.traced()
    elif isinstance(subject, Scenario):
        compiled, base = compile(subject.flow, store=subject.store), subject.options
    elif isinstance(subject, CompiledFlow):
        compiled, base = subject, Options()
    else:
        raise TypeError(f"check() takes a result, a scenario or a compiled flow, got {subject!r}")
    if trace is None:
        raise TypeError("check(): give the trace to check (only a result carries its own)")
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
    replay = _Replay(compiled, options or base, timing, recorded)
    found = replay.run(trace.events)
    return sorted(found, key=lambda v: v.events[0].seq if v.events else len(trace.events))
