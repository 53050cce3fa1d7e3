"""Deliberately broken engines: the property suite must catch each one.

Each bug is a small patch of the engine's private run object (as a buggy engine would
be written); the test searches generated scenarios, under the active profile's settings,
for one whose trace breaks a rule, and reports the shrunk counterexample's size and how
many examples the search drew before the first failing one. Under the derandomized
``ci`` profile that count is fixed; it must stay within the profile's example count
(``python property_tests/first_failure.py`` prints the table README quotes).

The first six are the original known bugs; the rest are one per class of hole the
checker had (worker and same-time order, deciders, stop_the_world), written as a buggy
engine would be.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import Phase, find, settings
from hypothesis.errors import NoSuchExample
from support import describe

import flowsim as fs
from flowsim import strategies as fst
from flowsim.checks import Rule, Violation, check
from flowsim.engine import _resolve, _Run
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


_RAN_AT_RESOLUTION: dict[int, set[int]] = {}  # id(run) -> atoms running at a resolution


def forget_a_sibling_that_ran_on(patch: pytest.MonkeyPatch) -> None:
    def extra(run: _Run, i: int) -> None:
        running = {a for a, s in enumerate(run.state) if s is fs.AtomState.RUNNING}
        _RAN_AT_RESOLUTION.setdefault(id(run), set()).update(running)

    _after_resolve(patch, extra)
    add_cand = _Run.add_cand

    def patched(self: _Run, i: int) -> None:
        ran = _RAN_AT_RESOLUTION.get(id(self), set())
        if i in ran and self.state[i] is fs.AtomState.SUCCESS:
            ran.discard(i)  # the bug: a task that ran on past the failure is left SUCCESS
            return
        add_cand(self, i)

    patch.setattr(_Run, "add_cand", patched)
    patch.setattr(_Run, "result", _forgetting(_Run.result))


def _forgetting(result: Callable[[_Run], fs.Result]) -> Callable[[_Run], fs.Result]:
    def patched(self: _Run) -> fs.Result:
        _RAN_AT_RESOLUTION.pop(id(self), None)
        return result(self)

    return patched


def no_deciders_after_a_retained_failure(patch: pytest.MonkeyPatch) -> None:
    schedule = _Run.schedule

    def patched(self: _Run) -> None:
        if not self.retained:  # the bug: an unresolved failure also stops the deciders
            schedule(self)

    patch.setattr(_Run, "schedule", patched)


def decider_ignores_everything_after(patch: pytest.MonkeyPatch) -> None:
    ignored = _resolve.ignored

    def wide(c: fs.CompiledFlow, state: list[fs.AtomState], i: int) -> list[int]:
        return [i, *c.reachable(i)] if ignored(c, state, i) else []  # every depth as "all"

    patch.setattr(_resolve, "ignored", wide)


def highest_free_worker(patch: pytest.MonkeyPatch) -> None:
    init = _Run.__init__

    def patched(self: _Run, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        self.free_workers.reverse()  # the bug: the free list starts in the wrong order

    patch.setattr(_Run, "__init__", patched)


def priority_forgotten(patch: pytest.MonkeyPatch) -> None:
    init = _Run.__init__

    def patched(self: _Run, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        self.rank = None  # the bug: ready work is started in compile order only

    patch.setattr(_Run, "__init__", patched)


def resume_before_the_round_ends(patch: pytest.MonkeyPatch) -> None:
    start_ready = _Run.start_ready

    def patched(self: _Run, *, revert_only: bool) -> None:
        start_ready(self, revert_only=revert_only)
        if revert_only and not any(entry[3] == 1 for entry in self.heap):
            # the bug: the world resumes when no revert runs, though the retry round's
            # controller execute still may
            self.halted = False
            self.set_flow(fs.FlowState.RUNNING)
            start_ready(self, revert_only=False)

    patch.setattr(_Run, "start_ready", patched)


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
    Bug(
        "forget a sibling that ran on past the failure",
        forget_a_sibling_that_ran_on,
        frozenset({Rule.MINIMAL_SET, Rule.UNFINISHED, Rule.FINAL_STATE, Rule.RESET}),
    ),
    Bug(
        "no deciders after a retained failure",
        no_deciders_after_a_retained_failure,
        frozenset({Rule.DECIDER}),
    ),
    Bug(
        "a decider ignores everything after",
        decider_ignores_everything_after,
        frozenset({Rule.DECIDER}),
    ),
    Bug("the highest free worker", highest_free_worker, frozenset({Rule.WORKER})),
    Bug("priority forgotten", priority_forgotten, frozenset({Rule.SAME_TIME})),
    Bug(
        "resume before the retry round ends",
        resume_before_the_round_ends,
        frozenset({Rule.STOP_THE_WORLD}),
    ),
]


def _violations(scenario: fs.Scenario) -> list[Violation]:
    try:
        return check(fs.simulate(scenario))
    except fs.FlowsimError as exc:  # the engine's own guard tripped: caught too
        return [Violation(Rule.TRANSITION, (), f"the engine raised: {exc}")]


def _search(
    bug: Bug, patch: pytest.MonkeyPatch, *, shrink: bool = True
) -> tuple[fs.Scenario, int]:
    """The (shrunk) counterexample ``bug`` gives, and the examples drawn until the first."""
    bug.patch(patch)
    profile = settings()  # the active profile (ci under make test)
    drawn: list[bool] = []

    def fails(s: fs.Scenario) -> bool:
        bad = bool(_violations(s))
        if not any(drawn):
            drawn.append(bad)
        return bad

    found = find(
        fst.scenarios(),
        fails,
        settings=settings(
            profile,
            database=None,
            max_examples=max(profile.max_examples, 300),
            phases=Phase if shrink else [Phase.generate],
        ),
    )
    return found, len(drawn)


def first_failure(bug: Bug, patch: pytest.MonkeyPatch) -> int | None:
    """How many examples the test's search draws until the first that fails (None: no
    failing example within the search's examples); the same search without shrinking."""
    try:
        return _search(bug, patch, shrink=False)[1]
    except NoSuchExample:
        return None


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_the_property_suite_catches(bug: Bug, monkeypatch: pytest.MonkeyPatch) -> None:
    found, first = _search(bug, monkeypatch)
    size = len(fs.compile(found.flow, store=found.store))
    got = _violations(found)
    print(
        f"{bug.name}: caught at example {first}; the shrunk counterexample has "
        f"{size} atoms:\n{describe(got)}"
    )
    assert {v.rule for v in got} & bug.rules, describe(got)
    assert size <= 6
    assert first <= settings().max_examples
