"""admits(): whether a trace is one of the interleavings ``timing="any"`` allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flowsim.compile import compile
from flowsim.errors import FlowsimError, ScenarioError
from flowsim.model import Scenario
from flowsim.trace import Event, Result, Trace

from ._drive import Entry, _Run, clone, in_flight, key, start, step

_ENDS = frozenset({"SUCCESS", "FAILURE", "REVERTED", "REVERT_FAILURE"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """Why a trace is not admitted: the first event (by index in the trace) at which no
    allowed continuation matches, and what the semantics allow there. False as a bool,
    so that ``if admits(...)`` reads as it should."""

    index: int
    event: Event | None  # None: the trace ended there
    allowed: tuple[str, ...]
    message: str

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.message


def describe(e: Event) -> str:
    """An event in words, times left out: ``'B FAILURE (attempt 1, worker 1)'``.

    >>> describe(Event(3.0, 7, "atom", "B", "FAILURE", 1, 1))
    'B FAILURE (attempt 1, worker 1)'
    >>> describe(Event(7.0, 17, "flow", "blueprint", "SUCCESS", None, None))
    'flow blueprint SUCCESS'
    """
    if e.subject == "flow":
        return f"flow {e.name} {e.state}"
    worker = "" if e.worker is None else f", worker {e.worker}"
    return f"{e.name} {e.state} (attempt {e.attempt}{worker})"


class _Match:
    def __init__(self, events: Sequence[Event], workers: bool) -> None:
        self.trace = [self.shape(e, workers) for e in events]
        self.events = events
        self.workers = workers
        self.best = -1
        self.allowed: set[str] = set()

    @staticmethod
    def shape(e: Event, workers: bool) -> tuple[object, ...]:
        return (e.subject, e.name, str(e.state), e.attempt, e.worker if workers else None)

    def note(self, index: int, allowed: str) -> None:
        if index > self.best:
            self.best, self.allowed = index, {allowed}
        elif index == self.best:
            self.allowed.add(allowed)

    def compare(self, new: Sequence[Event], at: int) -> bool:
        """Whether events ``new`` are the trace's from index ``at`` (else note where not)."""
        for k, e in enumerate(new):
            j = at + k
            if j >= len(self.trace) or self.shape(e, self.workers) != self.trace[j]:
                self.note(j, describe(e))
                return False
        return True


def _batches(
    flight: Sequence[Entry], names: Sequence[str], m: _Match, p: int
) -> list[list[Entry]]:
    """The sets of work in flight whose completions, in start order, are the trace's
    events from ``p`` on: each a prefix of the longest such run (the completion events
    SUCCESS, FAILURE, REVERTED, REVERT_FAILURE come from completions only)."""
    out: list[list[Entry]] = []
    chosen: list[Entry] = []
    last = -1
    j = p
    while j < len(m.events):
        e = m.events[j]
        if e.subject != "atom" or str(e.state) not in _ENDS:
            break
        kind = 1 if str(e.state) in ("REVERTED", "REVERT_FAILURE") else 0
        hit = [
            k for k, f in enumerate(flight) if names[f[2]] == e.name and f[3] == kind and k > last
        ]
        if not hit:
            break
        last = hit[0]
        chosen.append(flight[last])
        out.append(list(chosen))
        j += 1
    return out


def admits(
    scenario: Scenario, trace: Trace | Result | Sequence[Event], *, workers: bool = True
) -> bool | Explanation:
    """Whether ``trace`` is one of the interleavings ``timing="any"`` allows for
    ``scenario``: the same events in the same order, with the same states and attempts
    (and workers, unless ``workers=False``), times ignored.

    Returns ``True``, or an :class:`Explanation` (false as a bool) naming the first event
    at which no allowed continuation matches and what is allowed there.

    Examples
    --------
    >>> import flowsim as fs
    >>> from flowsim import examples
    >>> scenario = examples.load("blueprint")
    >>> admits(scenario, fs.simulate(scenario))
    True
    >>> events = list(fs.simulate(scenario).events)
    >>> print(admits(scenario, events[:3] + events[4:]))  # the checkpoint never starts
    event #3 (C RUNNING (attempt 1, worker 0)): no allowed continuation matches; allowed here: checkpoint RUNNING (attempt 1)
    """  # noqa: E501
    if isinstance(trace, Result):
        trace = trace.traced()
    events = list(trace.events if isinstance(trace, Trace) else trace)
    c = compile(scenario.flow, store=scenario.store)
    if isinstance(trace, Trace) and trace.flow != c.name:
        raise ScenarioError(f"the trace is of flow {trace.flow!r}, not {c.name!r}", where="trace")
    m = _Match(events, workers)
    try:
        root = start(c, scenario.options)
    except FlowsimError as e:
        raise ScenarioError(f"the scenario does not start: {e}") from None
    if m.compare(root.events, 0) and _search(root, m, c.names):
        return True
    index = m.best
    event = events[index] if index < len(events) else None
    allowed = tuple(sorted(m.allowed))
    what = "the trace ends there" if event is None else f"({describe(event)})"
    message = (
        f"event #{index} {what}: no allowed continuation matches; allowed here: "
        f"{', '.join(allowed)}"
    )
    if event is None:
        message = f"the trace ends after {index} events; allowed next: {', '.join(allowed)}"
    return Explanation(index=index, event=event, allowed=allowed, message=message)


def _search(root: _Run, m: _Match, names: Sequence[str]) -> bool:
    seen: set[object] = set()
    stack = [root]
    while stack:
        run = stack.pop()
        p = len(run.events)
        flight = in_flight(run)
        if not flight:
            end = clone(run)
            end.result()
            if m.compare(end.events[p:], p):
                if len(end.events) == len(m.trace):
                    return True
                m.note(len(end.events), "the end of the trace")
            continue
        batches = _batches(flight, names, m, p)
        if not batches:
            for f in flight:  # what could complete here
                probe = clone(run)
                step(probe, [f], 0)
                m.note(p, describe(probe.events[p]))
        for batch in reversed(batches):  # the largest batch is searched last
            child = clone(run)
            try:
                step(child, batch, p)
            except FlowsimError:  # the event budget: this branch never ends
                continue
            if not m.compare(child.events[p:], p):
                continue
            k = (key(child), len(child.events))
            if k not in seen:
                seen.add(k)
                stack.append(child)
    return False
