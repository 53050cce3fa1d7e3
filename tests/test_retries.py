"""The built-in retry controllers: their decisions, their values and their argument checks."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from flowsim import Decision, ModelError
from flowsim.retries import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    HistoryEntry,
    HistoryLog,
    NoValuesLeft,
    ParameterizedForEach,
    Times,
)

RETRY, REVERT, REVERT_ALL = Decision.RETRY, Decision.REVERT, Decision.REVERT_ALL


def history(*values: Any) -> tuple[HistoryEntry, ...]:
    return tuple(HistoryEntry(v) for v in values)


@pytest.mark.parametrize(
    ("attempts", "tried", "expected"),
    [(0, 1, REVERT), (1, 1, REVERT), (2, 1, RETRY), (2, 2, REVERT), (3, 2, RETRY)],
)
def test_times_counts_attempts_as_taskflow_does(
    attempts: int, tried: int, expected: Decision
) -> None:
    assert Times(attempts=attempts).on_failure(history(*range(1, tried + 1))) is expected


def test_times_values_are_attempt_numbers_and_exhaustion_can_revert_all() -> None:
    assert [Times(attempts=3).execute(history(*range(1, n + 1))) for n in range(3)] == [1, 2, 3]
    assert Times(attempts=1, revert_all=True).on_failure(history(1)) is REVERT_ALL
    assert Times(attempts=2, revert_all=True).on_failure(history(1)) is RETRY


def test_for_each_tries_each_value_once_duplicates_included() -> None:
    c = ForEach(values=[3, 2, 3])
    assert c.values == (3, 2, 3)
    assert c.execute(history()) == 3
    assert c.execute(history(3)) == 2
    assert c.execute(history(3, 2)) == 3
    assert c.on_failure(history(3, 2)) is RETRY
    assert c.on_failure(history(3, 2, 3)) is REVERT
    assert ForEach(values=[1], revert_all=True).on_failure(history(1)) is REVERT_ALL
    assert ForEach(values=[1, 2], revert_all=True).on_failure(history(1)) is RETRY


def test_for_each_with_nothing_left_fails_to_execute() -> None:
    with pytest.raises(NoValuesLeft, match=r"^no values left to try out of \[1, 2\]$"):
        ForEach(values=[1, 2]).execute(history(2, 1))
    with pytest.raises(NoValuesLeft, match=r"^no values left to try out of \[\]$"):
        ForEach(values=[]).execute(history())


def test_parameterized_for_each_becomes_a_for_each_when_bound() -> None:
    c = ParameterizedForEach(values_from="hosts", revert_all=True)
    assert c.bind(["a", "b"]) == ForEach(values=("a", "b"), revert_all=True)
    assert ParameterizedForEach(values_from="hosts").bind([]) == ForEach(values=())
    for ask in (c.execute, c.on_failure):
        with pytest.raises(
            TypeError,
            match=r"^ParameterizedForEach runs only once compiled \(its store is bound then\)$",
        ):
            ask(history())


def test_the_always_deciding_controllers() -> None:
    for controller, decision in [
        (AlwaysRetry(), RETRY),
        (AlwaysRevert(), REVERT),
        (AlwaysRevertAll(), REVERT_ALL),
    ]:
        assert isinstance(controller, Controller)
        assert controller.execute(history(None)) is None
        assert controller.on_failure(history(None, None)) is decision


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Times(attempts="2"), "Times: attempts must be a whole number, got '2'"),
        (lambda: Times(attempts=True), "Times: attempts must be a whole number, got True"),
        (lambda: Times(attempts=-1), "Times: attempts must be >= 0, got -1"),
        (lambda: Times(revert_all=1), "Times: revert_all must be true or false, got 1"),
        (lambda: ForEach(values="ab"), "ForEach: values must be a list, got 'ab'"),
        (lambda: ForEach(values=3), "ForEach: values must be a list, got 3"),
        (
            lambda: ForEach(values=[], revert_all="no"),
            "ForEach: revert_all must be true or false, got 'no'",
        ),
        (
            lambda: ParameterizedForEach(values_from=""),
            "ParameterizedForEach: values_from must name a store key, got ''",
        ),
        (
            lambda: ParameterizedForEach(values_from=["hosts"]),
            r"ParameterizedForEach: values_from must name a store key, got \['hosts'\]",
        ),
        (
            lambda: ParameterizedForEach(values_from="k", revert_all=None),
            "ParameterizedForEach: revert_all must be true or false, got None",
        ),
    ],
)
def test_bad_arguments_are_refused_when_made(make: Any, message: str) -> None:
    with pytest.raises(ModelError, match=f"^{message}$"):
        make()


def test_a_view_keeps_its_own_entries_while_the_log_goes_on() -> None:
    log = HistoryLog()
    log.append(1)
    view = log.view()
    log.fail("a")  # replaces the log's last entry: the view keeps its own
    log.append(2)  # the log's list grows past the view
    assert len(view) == 1
    assert view[0] == view[-1] == HistoryEntry(1) and log.view()[0] == HistoryEntry(1, ("a",))
    for k in (1, -2):
        with pytest.raises(IndexError) as e:
            view[k]
        assert str(e.value) == "history index out of range"
    assert view != () and view != log.view() and view == (HistoryEntry(1),)
    copied = pickle.loads(pickle.dumps(view))
    assert copied == (HistoryEntry(1),) and type(copied) is tuple
