"""Spans: every execute and revert of a run, as intervals of time, and its critical path.

A trace records state changes; the pictures and exports need intervals. An atom's execute
runs from its RUNNING event to its SUCCESS or FAILURE event, a revert from REVERTING to
REVERTED or REVERT_FAILURE. The text timeline, the matplotlib plots and the Chrome trace
export all read spans from here, so they agree on what ran when.

>>> from flowsim import LinearFlow, Task, simulate
>>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b", fails_on=[1])]))
>>> for s in spans(r.events):
...     print(s.name, s.kind, s.start, s.end, s.state)
a execute 0.0 1.0 SUCCESS
b execute 1.0 2.0 FAILURE
b revert 2.0 3.0 REVERTED
a revert 3.0 4.0 REVERTED
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .states import AtomState
from .trace import Event, Result

__all__ = ["Span", "critical_path", "spans"]

_ENDS = frozenset(
    {AtomState.SUCCESS, AtomState.FAILURE, AtomState.REVERTED, AtomState.REVERT_FAILURE}
)


@dataclass(frozen=True, slots=True)
class Span:
    """One execute or revert of one atom, from its start event to its end event.

    ``seq`` and ``end_seq`` are the sequence numbers of the start and end events;
    ``attempt`` the atom's execute call number (the one run or reverted); ``worker`` the
    worker it ran on (``None`` for a retry controller, which runs engine-side); ``state``
    the atom's state at the end (SUCCESS, FAILURE, REVERTED or REVERT_FAILURE), or
    ``None`` for work the trace never finished (then ``end`` is the trace's last time and
    ``end_seq`` is ``None``).
    """

    name: str
    revert: bool
    start: float
    end: float
    ok: bool
    seq: int
    attempt: int | None = None
    worker: int | None = None
    state: AtomState | None = None
    end_seq: int | None = None

    @property
    def kind(self) -> str:
        """``"execute"`` or ``"revert"``."""
        return "revert" if self.revert else "execute"

    @property
    def failed(self) -> bool:
        """True for an execute that ended FAILURE or a revert that ended REVERT_FAILURE."""
        return not self.ok


def spans(events: Iterable[Event]) -> list[Span]:
    """Every execute and revert in ``events``, ordered by start time (then start event).

    Work still running at the end of the events (a trace cut short) ends at the last
    event's time, with ``state=None``.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> r = simulate(LinearFlow(name="f", children=[Task(name="a", duration=2)]))
    >>> spans(r.events)  # doctest: +NORMALIZE_WHITESPACE
    [Span(name='a', revert=False, start=0.0, end=2.0, ok=True, seq=1, attempt=1, worker=0,
          state=<AtomState.SUCCESS: 'SUCCESS'>, end_seq=2)]
    """
    open_: dict[str, Event] = {}
    out: list[Span] = []
    last = 0.0
    for e in events:
        last = max(last, e.time)
        if e.subject != "atom":
            continue
        state = e.state
        if state in (AtomState.RUNNING, AtomState.REVERTING):
            open_[e.name] = e
        elif state in _ENDS:
            started = open_.pop(e.name, None)
            if started is not None:
                out.append(
                    Span(
                        name=e.name,
                        revert=started.state == AtomState.REVERTING,
                        start=started.time,
                        end=e.time,
                        ok=state in (AtomState.SUCCESS, AtomState.REVERTED),
                        seq=started.seq,
                        attempt=started.attempt,
                        worker=started.worker,
                        state=AtomState(state),
                        end_seq=e.seq,
                    )
                )
    for started in open_.values():  # unfinished: cut at the end
        out.append(
            Span(
                name=started.name,
                revert=started.state == AtomState.REVERTING,
                start=started.time,
                end=last,
                ok=True,
                seq=started.seq,
                attempt=started.attempt,
                worker=started.worker,
            )
        )
    out.sort(key=lambda s: (s.start, s.seq))
    return out


def critical_path(result: Result) -> tuple[Span, ...]:
    """The chain of work that the run's end waited for, earliest first.

    It starts from the span that finished last and walks back: the span before ``s`` is
    one that finished exactly when ``s`` started (its end event coming before ``s``'s
    start event), preferring the same atom or an atom connected to it in the graph (one it
    depends on, or one that depends on it: a revert waits for the atoms after it), then
    the most recent end event. The walk stops at
    a span that started when nothing finished (the flow's start, usually). Every span on
    it was waited for: the run cannot end earlier unless one of them does. Under
    ``stop_the_world`` the path runs through the work everyone waited for while the world
    was stopped, even where it is unrelated to the failure.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, UnorderedFlow, simulate
    >>> flow = LinearFlow(name="f", children=[
    ...     Task(name="a"),
    ...     UnorderedFlow(name="u", children=[Task(name="b", duration=2), Task(name="c")]),
    ... ])
    >>> [s.name for s in critical_path(simulate(flow))]
    ['a', 'b']
    """
    all_spans = spans(result.events)
    done = [s for s in all_spans if s.end_seq is not None]
    if not done:
        return ()
    compiled = result.compiled
    index = compiled.index
    ends: dict[float, list[Span]] = {}
    for s in done:
        ends.setdefault(s.end, []).append(s)

    def related(before: Span, after: Span) -> bool:
        if before.name == after.name:
            return True
        a, b = index.get(before.name), index.get(after.name)
        if a is None or b is None:
            return False
        # An execute waits for the atoms before it, a revert for the atoms after it, and
        # a retry controller's next attempt for its scope's reverts.
        return b in compiled.reachable(a) or a in compiled.reachable(b)

    current = max(done, key=lambda s: (s.end, s.end_seq or 0))
    path = [current]
    while True:  # each step goes to an earlier end event, so this ends
        candidates = [
            p
            for p in ends.get(current.start, ())
            if p.end_seq is not None and p.end_seq < current.seq
        ]
        if not candidates:
            break
        current = max(candidates, key=lambda p: (related(p, current), p.end_seq or 0))
        path.append(current)
    path.reverse()
    return tuple(path)
