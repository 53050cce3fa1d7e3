"""The oracle's resolution table (taskflow-semantics.md section 3) on a nested flow."""

from __future__ import annotations

import pytest
from helpers import nested_flow

from flowsim import Decision, FlowsimError, compile
from flowsim.oracle import consulted, minimal_revert_set, resolve, scope

RETRY, REVERT, REVERT_ALL = Decision.RETRY, Decision.REVERT, Decision.REVERT_ALL


@pytest.mark.parametrize(
    ("decisions", "defer", "expected"),
    [
        ([RETRY], True, (RETRY, "R2")),
        ([REVERT_ALL], True, (REVERT_ALL, None)),
        ([REVERT, RETRY], True, (RETRY, "R1")),
        ([REVERT, RETRY], False, (RETRY, "R1")),
        ([REVERT, REVERT_ALL], False, (REVERT_ALL, None)),
        ([REVERT, REVERT], True, (REVERT_ALL, None)),
        ([REVERT, REVERT], False, (REVERT, "R2")),
    ],
)
def test_the_resolution_table(
    decisions: list[Decision], defer: bool, expected: tuple[Decision, str | None]
) -> None:
    c = compile(nested_flow())
    assert consulted(c, "T", decisions) == ["R2", "R1"][: len(decisions)]
    assert resolve(c, "T", decisions, defer_reverts=defer) == expected


def test_no_retry_controller_reverts_everything_and_ignored_ones_are_passed_over() -> None:
    c = compile(nested_flow())
    assert resolve(c, "after", [], defer_reverts=False) == (REVERT_ALL, None)
    assert consulted(c, "T", [RETRY], ignored={"R2"}) == ["R1"]
    assert resolve(c, "T", [RETRY], defer_reverts=True, ignored={"R2"}) == (RETRY, "R1")
    assert resolve(c, "T", [REVERT], defer_reverts=False, ignored={"R2"}) == (REVERT, "R1")


def test_an_ignored_outermost_retry_controller_is_passed_over_too() -> None:
    # R1 is atom 0 here: the walk up must not stop above it
    c = compile(nested_flow().children[0])
    assert c.names[0] == "R1"
    assert consulted(c, "T", [REVERT], ignored={"R1"}) == ["R2"]
    assert resolve(c, "T", [REVERT], defer_reverts=False, ignored={"R1"}) == (REVERT, "R2")
    assert consulted(c, "S", [], ignored={"R1"}) == []


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        ([REVERT], "'R2' said REVERT, so its parent is asked too, but no decision is given"),
        ([REVERT, REVERT, REVERT], r"3 decision\(s\) given, but .* are \['R2', 'R1'\]"),
        ([RETRY, RETRY], r"2 decision\(s\) given, but .* are \['R2'\]"),
    ],
)
def test_a_decision_list_that_does_not_fit_the_chain_is_refused(
    decisions: list[Decision], message: str
) -> None:
    with pytest.raises(FlowsimError, match=f"failure of 'T': {message}"):
        resolve(compile(nested_flow()), "T", decisions, defer_reverts=True)


def test_scopes_and_minimal_sets() -> None:
    c = compile(nested_flow())
    assert scope(c, RETRY, "R2") == {"T", "Z", "after"}
    assert scope(c, REVERT, "R2") == {"R2", "T", "Z", "after"}
    assert scope(c, RETRY, "R1") == {"S", "R2", "T", "Z", "after"}
    assert scope(c, REVERT_ALL, None) == set(c.names)
    with pytest.raises(FlowsimError, match="a RETRY resolution names its retry controller"):
        scope(c, RETRY, None)
    states = {"R1": "SUCCESS", "S": "SUCCESS", "R2": "REVERTED", "T": "FAILURE"}
    states |= {"Z": "RUNNING", "after": "PENDING"}
    assert minimal_revert_set(scope(c, REVERT, "R1"), states | {"R1": "SUCCESS"}) == {
        "R1",
        "S",
        "T",
        "Z",
    }
    assert minimal_revert_set(scope(c, RETRY, "R2"), states) == {"T", "Z"}
