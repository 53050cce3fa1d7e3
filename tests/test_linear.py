"""Issue 14, items 5 and 6: the pieces that make ``check`` and the event budget linear.

Retry histories are O(1) snapshots (``HistoryView`` over a ``HistoryLog``) that behave as
the tuples they stand for; the replay keeps "every predecessor done" and "every
successor clear" as counts (``_reach.Closed``) and walks a closure only to name the
atoms of a violation; the budget error names the atom that was looping. Timing is the
benchmark's job (``benchmarks/check_bench.py``); these tests are exact.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import flowsim as fs
from flowsim import examples
from flowsim.checks import _reach, check
from flowsim.retries import AlwaysRetry, HistoryEntry, HistoryLog, HistoryView, Times
from flowsim.states import Decision
from flowsim.trace import Event, Trace

# --------------------------------------------------------------------------- histories


def test_a_history_view_behaves_as_the_tuple_it_stands_for() -> None:
    log = HistoryLog()
    assert log.view() == () and len(log.view()) == 0 and list(log.view()) == []
    log.append("x")
    log.fail("a")
    log.append("y")
    view = log.view()
    assert isinstance(view, HistoryView) and not isinstance(view, tuple)
    entries = (HistoryEntry("x", ("a",)), HistoryEntry("y"))
    assert view == entries and entries == view and view == log.view()
    assert hash(view) == hash(entries)
    assert (view[0], view[1], view[-1], view[-2]) == (*entries, *reversed(entries))
    assert view[:1] == entries[:1] and view[::-1] == entries[::-1]
    assert list(reversed(view)) == list(reversed(entries))
    assert view + (HistoryEntry("z"),) == (*entries, HistoryEntry("z"))  # noqa: RUF005
    assert (HistoryEntry("w"),) + view == (HistoryEntry("w"), *entries)  # noqa: RUF005
    assert repr(view) == repr(entries)
    assert view != list(entries)  # as a tuple: not equal to a list
    with pytest.raises(IndexError):
        view[2]
    with pytest.raises(IndexError):
        view[-3]


def test_a_view_keeps_what_it_saw_while_the_log_goes_on() -> None:
    log = HistoryLog()
    log.append(1)
    first = log.view()
    log.fail("a")
    log.fail("a")  # the first failure of each atom only
    log.fail("b")
    second = log.view()
    log.append(2)
    third = log.view()
    log.clear()
    assert first == (HistoryEntry(1),)
    assert second == (HistoryEntry(1, ("a", "b")),)
    assert third == (HistoryEntry(1, ("a", "b")), HistoryEntry(2))
    assert log.view() == () and len(log) == 0
    log.fail("c")  # no attempt yet: nothing to report it to
    assert log.view() == ()


class _Recording:
    """A user controller (the Controller protocol) that keeps every history it is given,
    with a tuple copy made at the time."""

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts
        self.seen: list[tuple[str, Any, tuple[HistoryEntry, ...]]] = []

    def execute(self, history: Any) -> int:
        self.seen.append(("execute", history, tuple(history)))
        return len(history) + 1

    def on_failure(self, history: Any) -> Decision:
        self.seen.append(("on_failure", history, tuple(history)))
        return Decision.RETRY if len(history) < self.attempts else Decision.REVERT


def _looped(controller: Any, task: fs.Task) -> fs.LinearFlow:
    retry = fs.Retry(name="R", controller=controller)
    return fs.LinearFlow(name="f", retry=retry, children=[task])


def test_controllers_are_given_histories_that_never_change_afterwards() -> None:
    controller = _Recording(attempts=3)
    result = fs.simulate(_looped(controller, fs.Task(name="a", fails_on=[1, 2])))
    assert result.flow_state is fs.FlowState.SUCCESS
    assert all(history == copy for _, history, copy in controller.seen)
    e1, e2 = HistoryEntry(1, ("a",)), HistoryEntry(2, ("a",))
    assert [(kind, copy) for kind, _, copy in controller.seen] == [
        ("execute", ()),
        ("on_failure", (e1,)),
        ("execute", (e1,)),
        ("on_failure", (e1, e2)),
        ("execute", (e1, e2)),
    ]


def test_the_checker_gives_a_controller_the_histories_the_engine_gave() -> None:
    controller = _Recording(attempts=4)
    result = fs.simulate(_looped(controller, fs.Task(name="a", fails_on=[1, 2, 3])))
    simulated = [(kind, copy) for kind, _, copy in controller.seen]
    controller.seen.clear()
    assert check(result) == []
    assert [(kind, copy) for kind, _, copy in controller.seen] == simulated


# --------------------------------------------------------------------------- the budget


@pytest.mark.parametrize("controller", [AlwaysRetry(), Times(attempts=10**12)])
def test_the_budget_error_names_the_looping_atom_and_its_retry(controller: Any) -> None:
    flow = _looped(controller, fs.Task(name="a", fails_on="always"))
    with pytest.raises(fs.EventBudgetExceeded) as e:
        fs.simulate(flow, event_budget=500)
    assert str(e.value) == (
        "flow 'f': the run recorded 500 events by time 125 without finishing; it may never "
        "end (e.g. AlwaysRetry around an atom that always fails): 'a' in the scope of retry "
        "controller 'R' was executed 63 times. If it is just long, raise event_budget."
    )


def test_the_budget_error_names_the_innermost_retry_of_a_nested_loop() -> None:
    inner = fs.LinearFlow(
        name="in",
        retry=fs.Retry(name="I", controller=Times(attempts=10**12)),
        children=[fs.Task(name="x", fails_on="always")],
    )
    outer = fs.Retry(name="O", controller=AlwaysRetry())
    flow = fs.LinearFlow(name="f", retry=outer, children=[fs.Task(name="ok"), inner])
    with pytest.raises(fs.EventBudgetExceeded) as e:
        fs.simulate(flow, event_budget=300)
    assert str(e.value) == (
        "flow 'f': the run recorded 300 events by time 75 without finishing; it may never "
        "end (e.g. AlwaysRetry around an atom that always fails): 'x' in the scope of retry "
        "controller 'I' was executed 37 times. If it is just long, raise event_budget."
    )


def test_a_budget_of_one_event_names_the_retry_controller_started_once() -> None:
    with pytest.raises(fs.EventBudgetExceeded) as e:
        fs.simulate(_looped(AlwaysRetry(), fs.Task(name="a")), event_budget=1)
    assert str(e.value) == (
        "flow 'f': the run recorded 1 events by time 0 without finishing; it may never "
        "end (e.g. AlwaysRetry around an atom that always fails): 'R' was executed once. "
        "If it is just long, raise event_budget."
    )


# --------------------------------------------------------------------------- the replay


def _brute(links: list[list[int]], good: list[bool], i: int) -> list[int]:
    seen: set[int] = set()
    todo = list(links[i])
    while todo:
        j = todo.pop()
        if j not in seen:
            seen.add(j)
            todo.extend(links[j])
    return sorted(j for j in seen if not good[j])


@pytest.mark.parametrize("seed", range(20))
def test_closed_agrees_with_walking_the_closure_after_every_change(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    succs = [
        sorted(rng.sample(range(i + 1, n), rng.randint(0, min(3, n - i - 1)))) for i in range(n)
    ]
    preds: list[list[int]] = [[] for _ in range(n)]
    for i, ss in enumerate(succs):
        for j in ss:
            preds[j].append(i)
    good = [rng.random() < 0.5 for _ in range(n)]
    down = _reach.Closed(
        tuple(map(tuple, succs)), tuple(map(tuple, preds)), list(good), order=range(n - 1, -1, -1)
    )
    up = _reach.Closed(
        tuple(map(tuple, preds)), tuple(map(tuple, succs)), list(good), order=range(n)
    )
    for _ in range(40):
        for i in range(n):
            assert down.bad_reached(i) == _brute(succs, good, i)
            assert down.all_good(i) is (not _brute(succs, good, i))
            assert up.bad_reached(i) == _brute(preds, good, i)
            assert up.all_good(i) is (not _brute(preds, good, i))
        i = rng.randrange(n)
        good[i] = not good[i]
        down.set_good(i, good[i])
        up.set_good(i, good[i])


def test_an_atom_queued_twice_does_not_end_the_update() -> None:
    # v -> w -> i and x -> p -> i, x -> i: when i turns bad, x is queued once by i and once
    # by p; its second entry finds nothing to change, and w, queued before it, must still
    # be updated, or v would still see everything after it as good
    succs = ((1,), (4,), (3, 4), (4,), ())
    preds = ((), (0,), (), (2,), (1, 2, 3))
    down = _reach.Closed(succs, preds, [True] * 5, order=range(4, -1, -1))
    down.set_good(4, False)
    assert [down.all_good(k) for k in range(5)] == [False, False, False, False, True]
    assert [down.bad_reached(k) for k in range(5)] == [[4], [4], [4], [4], []]


def test_a_clean_trace_walks_no_closure(monkeypatch: pytest.MonkeyPatch) -> None:
    walks: list[int] = []
    real = _reach.Closed.bad_reached

    def counted(self: _reach.Closed, i: int) -> list[int]:
        walks.append(i)
        return real(self, i)

    monkeypatch.setattr(_reach.Closed, "bad_reached", counted)
    result = fs.simulate(examples.load("blueprint"))
    assert check(result) == [] and walks == []
    flow = fs.LinearFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    c = fs.compile(flow)
    events = (
        Event(0.0, 0, "flow", "f", "RUNNING", None, None),
        Event(0.0, 1, "atom", "b", "RUNNING", 1, 0),
        Event(1.0, 2, "atom", "b", "SUCCESS", 1, 0),
        Event(1.0, 3, "atom", "a", "RUNNING", 1, 0),
        Event(2.0, 4, "atom", "a", "SUCCESS", 1, 0),
        Event(2.0, 5, "flow", "f", "SUCCESS", None, None),
    )
    found = check(c, Trace("f", events), options=fs.Options(workers=1), timing=False)
    assert [str(v) for v in found] == ["precedence: b executes before a finished [events #1@0]"]
    assert walks == [c.index["b"]]


def test_an_atom_started_twice_on_two_workers_frees_its_first_worker() -> None:
    # the replay raised KeyError here: worker 0 still pointed at a's overwritten span
    flow = fs.UnorderedFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    events = (
        Event(0.0, 0, "flow", "f", "RUNNING", None, None),
        Event(0.0, 1, "atom", "a", "RUNNING", 1, 0),
        Event(0.0, 2, "atom", "a", "RUNNING", 2, 1),
        Event(1.0, 3, "atom", "a", "SUCCESS", 2, 1),
        Event(1.0, 4, "atom", "b", "RUNNING", 1, 0),
        Event(2.0, 5, "atom", "b", "SUCCESS", 1, 0),
        Event(2.0, 6, "flow", "f", "SUCCESS", None, None),
    )
    found = check(fs.compile(flow), Trace("f", events), options=fs.Options(workers=2))
    assert [str(v) for v in found] == [
        "transition: a RUNNING -> RUNNING is not allowed [events #2@0]",
        "retry-bound: a executes 2 times; its retry controllers allow 1 [events #2@0]",
    ]


def test_an_atom_started_twice_on_one_worker_keeps_its_worker_and_the_executes_running() -> None:
    # stop_the_world: b's revert starts twice on worker 1 while a still executes; c's revert
    # then starts on worker 1 too: worker 1 is still b's, and a's execute still runs
    flow = fs.UnorderedFlow(
        name="f",
        children=[
            fs.Task(name="a", duration=5),
            fs.Task(name="b", fails_on=[1]),
            fs.Task(name="c"),
        ],
    )
    rows = [
        (0, "flow", "f", "RUNNING", None, None),
        (0, "atom", "a", "RUNNING", 1, 0),
        (0, "atom", "b", "RUNNING", 1, 1),
        (0, "atom", "c", "RUNNING", 1, 2),
        (1, "atom", "c", "SUCCESS", 1, 2),
        (1, "atom", "b", "FAILURE", 1, 1),
        (1, "flow", "f", "REVERTING", None, None),
        (1, "atom", "b", "REVERTING", 1, 1),
        (1, "atom", "b", "REVERTING", 1, 1),
        (2, "atom", "c", "REVERTING", 1, 1),
    ]
    events = tuple(Event(float(t), k, *rest) for k, (t, *rest) in enumerate(rows))
    stw = fs.Options(strategy="stop_the_world")
    found = check(fs.compile(flow), Trace("f", events), options=stw, timing=False)
    assert [str(v) for v in found] == [
        "stop-the-world: b starts REVERTING while executes still run [events #1@0, #7@1]",
        "stop-the-world: b starts REVERTING while executes still run [events #1@0, #8@1]",
        "stop-the-world: c starts REVERTING while executes still run [events #1@0, #9@2]",
        "unfinished: a started RUNNING and never ended [events #1@0]",
        "minimal-set: the REVERT_ALL after b's failure at 1 must revert ['a', 'b', 'c']; "
        "never reverted: a [events #5@1]",
        "unfinished: the flow ends REVERTING, not in a final state [events #6@1]",
        "capacity: worker 1 is still busy with b [events #7@1, #8@1]",
        "transition: b REVERTING -> REVERTING is not allowed [events #8@1]",
        "out-of-scope: b is reverted, but no resolution put it in scope since it last "
        "executed [events #8@1]",
        "capacity: worker 1 is still busy with b [events #8@1, #9@2]",
        "unfinished: b started REVERTING and never ended [events #8@1]",
        "unfinished: c started REVERTING and never ended [events #9@2]",
    ]
