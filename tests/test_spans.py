"""Spans from events, and the critical path of a run."""

from __future__ import annotations

import itertools

import pytest

from flowsim import (
    AtomState,
    Event,
    GraphFlow,
    LinearFlow,
    Link,
    Result,
    Task,
    examples,
    simulate,
)
from flowsim.spans import Span, critical_path, spans


def blueprint(strategy: str = "smart", workers: int | None = None) -> Result:
    return simulate(examples.load("blueprint"), strategy=strategy, workers=workers)


def brief(items: list[Span] | tuple[Span, ...]) -> list[tuple[str, str, float, float]]:
    return [(s.name, s.kind, s.start, s.end) for s in items]


def test_blueprint_spans() -> None:
    got = [
        (s.name, s.kind, s.start, s.end, s.state, s.attempt, s.worker)
        for s in spans(blueprint().events)
    ]
    # A on worker 0; B fails on worker 1 at 3, reverts [3, 4], runs again [4, 6]; C [1, 7].
    assert got == [
        ("A", "execute", 0.0, 1.0, AtomState.SUCCESS, 1, 0),
        ("checkpoint", "execute", 1.0, 1.0, AtomState.SUCCESS, 1, None),
        ("C", "execute", 1.0, 7.0, AtomState.SUCCESS, 1, 0),
        ("B", "execute", 1.0, 3.0, AtomState.FAILURE, 1, 1),
        ("B", "revert", 3.0, 4.0, AtomState.REVERTED, 1, 1),
        ("checkpoint", "execute", 4.0, 4.0, AtomState.SUCCESS, 2, None),
        ("B", "execute", 4.0, 6.0, AtomState.SUCCESS, 2, 1),
    ]
    failed = [s for s in spans(blueprint().events) if s.failed]
    assert brief(failed) == [("B", "execute", 1.0, 3.0)]


def test_every_span_runs_from_its_start_event_to_its_end_event() -> None:
    r = blueprint("stop_the_world")
    by_seq = {e.seq: e for e in r.events}
    for s in spans(r.events):
        assert s.end_seq is not None
        start, end = by_seq[s.seq], by_seq[s.end_seq]
        assert (start.name, end.name) == (s.name, s.name)
        assert (start.time, end.time) == (s.start, s.end)
        assert start.state == (AtomState.REVERTING if s.revert else AtomState.RUNNING)
        assert end.state == s.state


def test_unfinished_work_is_cut_at_the_last_event() -> None:
    events = [
        Event(0.0, 0, "flow", "f", "RUNNING", None, None),
        Event(0.0, 1, "atom", "a", AtomState.RUNNING, 1, 0),
        Event(2.5, 2, "atom", "b", AtomState.RUNNING, 1, 1),
    ]
    got = spans(events)
    assert brief(got) == [("a", "execute", 0.0, 2.5), ("b", "execute", 2.5, 2.5)]
    assert all(s.state is None and s.end_seq is None and s.ok for s in got)


def test_blueprint_critical_paths() -> None:
    # smart: the end waits for C only (B's retry finishes at 6).
    assert brief(critical_path(blueprint())) == [
        ("A", "execute", 0.0, 1.0),
        ("C", "execute", 1.0, 7.0),
    ]
    # stop_the_world: B's revert waits for C, and the retry waits for B's revert.
    assert brief(critical_path(blueprint("stop_the_world"))) == [
        ("A", "execute", 0.0, 1.0),
        ("C", "execute", 1.0, 7.0),
        ("B", "revert", 7.0, 8.0),
        ("checkpoint", "execute", 8.0, 8.0),
        ("B", "execute", 8.0, 10.0),
    ]


def test_a_critical_path_through_a_busy_worker() -> None:
    # One worker: C takes the worker first (see the README's same-time rule), so B's first
    # attempt waits for C although B does not depend on C.
    assert brief(critical_path(blueprint(workers=1)))[:3] == [
        ("A", "execute", 0.0, 1.0),
        ("C", "execute", 1.0, 7.0),
        ("B", "execute", 7.0, 9.0),
    ]


def test_the_critical_path_prefers_a_dependency() -> None:
    # c and b both end at 2, b's end event last; d depends on c only, so the path to d
    # goes through c.
    flow = GraphFlow(
        name="g",
        children=[Task(name="c", duration=2), Task(name="b", duration=2), Task(name="d")],
        links=[Link(source="c", target="d")],
    )
    r = simulate(flow)
    ends = {s.name: s.end_seq for s in spans(r.events)}
    assert (ends["c"] or 0) < (ends["b"] or 0)
    assert [s.name for s in critical_path(r)] == ["c", "d"]


@pytest.mark.parametrize("name", examples.names())
@pytest.mark.parametrize("strategy", ["smart", "stop_the_world"])
@pytest.mark.parametrize("workers", [None, 1, 2])
def test_critical_path_shape(name: str, strategy: str, workers: int | None) -> None:
    r = simulate(examples.load(name), strategy=strategy, workers=workers)
    path = critical_path(r)
    done = [s for s in spans(r.events) if s.end_seq is not None]
    assert path, "a run with work has a critical path"
    assert path[-1].end == max(s.end for s in done)
    for before, after in itertools.pairwise(path):
        assert before.end == after.start  # no gap: each waited for the one before
        assert before.end_seq is not None and before.end_seq < after.seq
    first = path[0]  # started when nothing it could wait for had just finished
    assert not [s for s in done if s.end == first.start and (s.end_seq or 0) < first.seq]


def test_a_flow_with_nothing_to_do_has_no_critical_path() -> None:
    assert critical_path(simulate(LinearFlow(name="empty"))) == ()
