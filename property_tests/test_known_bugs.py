"""Deliberately broken engines: the property suite must catch each one.

Each bug is a small patch of the engine's private run object (as a buggy engine would
be written); the test searches generated scenarios, under the active profile's settings,
for one whose trace breaks a rule, and reports the shrunk counterexample's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import find, settings
from support import describe

import flowsim as fs
from flowsim import strategies as fst
from flowsim.checks import Rule, Violation, check
from flowsim.engine import _Run
from flowsim.states import Intention


def _unchecked(patch: pytest.MonkeyPatch) -> None:
    """A buggy engine does not check its own transitions: let the trace show them."""

    def set_state(self: _Run, i: int, new: fs.AtomState, worker: int | None = None) -> None:
        if self.state[i] is not new:
            self.state[i] = new
            self.emit("atom", self.c.names[i], new, self.exec_calls[i], worker)

    def set_flow(self: _Run, new: fs.FlowState) -> None:
        self.flow_state = new
        self.emit("flow", self.c.name, new, None, None)

    patch.setattr(_Run, "set_state", set_state)
    patch.setattr(_Run, "set_flow", set_flow)


def _after_resolve(patch: pytest.MonkeyPatch, extra: Callable[[_Run, int], None]) -> None:
    resolve = _Run.resolve

    def patched(self: _Run, i: int) -> None:
        resolve(self, i)
        extra(self, i)

    patch.setattr(_Run, "resolve", patched)


def revert_outside_scope(patch: pytest.MonkeyPatch) -> None:
    def extra(run: _Run, i: int) -> None:
        scope = set(run.resolutions[-1].scope)
        for a, name in enumerate(run.c.names):
            if name not in scope and run.state[a] is fs.AtomState.SUCCESS:
                run.intent[a] = Intention.REVERT
                run.add_cand(a)

    _after_resolve(patch, extra)


def revert_in_forward_order(patch: pytest.MonkeyPatch) -> None:
    _unchecked(patch)
    patch.setattr(_Run, "succs_clear", lambda self, i: True)


def preempt_running_sibling(patch: pytest.MonkeyPatch) -> None:
    def extra(run: _Run, i: int) -> None:
        scope = {run.c.index[a] for a in run.resolutions[-1].scope}
        run.heap[:] = [
            (run.now, *rest) if rest[1] in scope and rest[2] == 0 else (t, *rest)
            for t, *rest in run.heap
        ]
        heapq.heapify(run.heap)

    _after_resolve(patch, extra)


def retry_without_reverting(patch: pytest.MonkeyPatch) -> None:
    _unchecked(patch)
    clear = _Run.succs_clear
    patch.setattr(
        _Run,
        "succs_clear",
        lambda self, i: self.intent[i] is Intention.RETRY or clear(self, i),
    )


def flow_reverting_under_smart(patch: pytest.MonkeyPatch) -> None:
    _unchecked(patch)

    def extra(run: _Run, i: int) -> None:
        if not run.stw:
            run.set_flow(fs.FlowState.REVERTING)
            run.set_flow(fs.FlowState.RUNNING)

    _after_resolve(patch, extra)


def forget_failed_task(patch: pytest.MonkeyPatch) -> None:
    def extra(run: _Run, i: int) -> None:
        run.intent[i] = Intention.EXECUTE

    _after_resolve(patch, extra)


@dataclass(frozen=True)
class Bug:
    name: str
    patch: Callable[[pytest.MonkeyPatch], None]
    rules: frozenset[Rule]  # one of these must flag the shrunk counterexample


BUGS = [
    Bug(
        "revert outside the scope",
        revert_outside_scope,
        frozenset({Rule.OUT_OF_SCOPE, Rule.RETRY_REVERTED}),
    ),
    Bug("revert in forward order", revert_in_forward_order, frozenset({Rule.REVERSE_ORDER})),
    Bug("pre-empt a running sibling", preempt_running_sibling, frozenset({Rule.PREEMPTION})),
    Bug(
        "retry without reverting",
        retry_without_reverting,
        frozenset({Rule.REVERSE_ORDER, Rule.TRANSITION, Rule.MINIMAL_SET}),
    ),
    Bug("set the flow REVERTING", flow_reverting_under_smart, frozenset({Rule.TRANSITION})),
    Bug("forget to revert the failed task", forget_failed_task, frozenset({Rule.MINIMAL_SET})),
]


def _violations(scenario: fs.Scenario) -> list[Violation]:
    try:
        return check(fs.simulate(scenario))
    except fs.FlowsimError as exc:  # the engine's own guard tripped: caught too
        return [Violation(Rule.TRANSITION, (), f"the engine raised: {exc}")]


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_the_property_suite_catches(bug: Bug, monkeypatch: pytest.MonkeyPatch) -> None:
    bug.patch(monkeypatch)
    profile = settings()  # the active profile (ci under make test)
    found = find(
        fst.scenarios(),
        lambda s: bool(_violations(s)),
        settings=settings(profile, database=None, max_examples=max(profile.max_examples, 300)),
    )
    size = len(fs.compile(found.flow, store=found.store))
    got = _violations(found)
    print(f"{bug.name}: caught; the shrunk counterexample has {size} atoms:\n{describe(got)}")
    assert {v.rule for v in got} & bug.rules, describe(got)
    assert size <= 6
