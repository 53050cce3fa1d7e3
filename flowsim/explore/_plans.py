"""Failure plans: which calls of which atoms are made to fail, on top of the scenario's own.

A :class:`Failure` names one call: an atom, the kind of call (``"execute"`` for a task's
execute, ``"retry"`` for a retry controller's own execute, ``"revert"`` for any atom's
revert) and its 1-based call number, counted over the whole run as ``fails_on`` counts
it. A plan is a tuple of failures in canonical order; :func:`apply_plan` injects them
through the model's own ``fails_on`` / ``revert_fails_on``.

Which calls are worth failing. A run consults ``fails_on`` only at the calls it makes, so
a failure at a call the run never makes changes nothing: the plan is a duplicate of the
plan without it. The explorer therefore extends a plan only by calls its own run (under
``timing="any"``: some interleaving of it) actually made and that succeeded
(:func:`candidates`). Every plan whose failures all take effect is still reached: order
its failures by when they happen in its run; the run with the first ``j`` of them is the
same as its run up to the ``j+1``-th (a run's past depends only on the failure outcomes
of the calls it made so far), so that call is made, and succeeds, in the smaller plan's
run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Literal

from flowsim.errors import ModelError
from flowsim.model import Flow, Retry, Scenario, Task
from flowsim.trace import Event

Kind = Literal["execute", "revert", "retry"]
KINDS: tuple[Kind, ...] = ("execute", "revert", "retry")


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Failure:
    """One injected failure: call number ``call`` of ``atom``'s ``kind`` fails.

    Examples
    --------
    >>> str(Failure("B", "execute", 1))
    'B.execute#1'
    """

    atom: str
    kind: Kind
    call: int

    def __str__(self) -> str:
        return f"{self.atom}.{self.kind}#{self.call}"


Plan = tuple[Failure, ...]


def plan_text(plan: Plan) -> str:
    """A plan in words: ``"no injected failure"`` or ``"B.execute#1 + B.revert#1"``.

    Examples
    --------
    >>> plan_text(()), plan_text((Failure("A", "revert", 2),))
    ('no injected failure', 'A.revert#2')
    """
    return " + ".join(map(str, plan)) if plan else "no injected failure"


def check_kinds(kinds: Iterable[str]) -> tuple[Kind, ...]:
    """The kinds, validated, in :data:`KINDS` order."""
    if isinstance(kinds, str):
        kinds = (kinds,)
    given = tuple(kinds)
    for k in given:
        if k not in KINDS:
            raise ModelError(
                f"explore(): kinds: unknown kind {k!r}; expected some of {', '.join(KINDS)}"
            )
    return tuple(k for k in KINDS if k in given)


def _add(spec: object, call: int) -> object:
    if spec == "always":
        return spec
    assert isinstance(spec, tuple)
    return tuple(sorted({*spec, call}))


def _atom(a: Task | Retry, fails: Sequence[Failure]) -> Task | Retry:
    changes: dict[str, object] = {}
    for f in fails:
        field = "revert_fails_on" if f.kind == "revert" else "fails_on"
        changes[field] = _add(changes.get(field, getattr(a, field)), f.call)
    return dataclasses.replace(a, **changes) if changes else a  # type: ignore[arg-type]


def _flow(f: Flow, by_atom: dict[str, list[Failure]]) -> Flow:
    children: list[Task | Flow] = []
    for c in f.children:
        if isinstance(c, Task):
            new = _atom(c, by_atom.get(c.name, []))
            assert isinstance(new, Task)
            children.append(new)
        else:
            children.append(_flow(c, by_atom))
    retry = f.retry
    if retry is not None:
        retry = _atom(retry, by_atom.get(retry.name, []))  # type: ignore[assignment]
    return dataclasses.replace(f, children=children, retry=retry)


def apply_plan(scenario: Scenario, plan: Plan) -> Scenario:
    """``scenario`` with the plan's failures added to its atoms' ``fails_on`` and
    ``revert_fails_on``.

    Examples
    --------
    >>> from flowsim import examples
    >>> s = apply_plan(examples.load("blueprint"), (Failure("C", "execute", 1),))
    >>> s.flow.children[1].children[1].fails_on
    (1,)
    """
    if not plan:
        return scenario
    by_atom: dict[str, list[Failure]] = {}
    for f in plan:
        by_atom.setdefault(f.atom, []).append(f)
    return dataclasses.replace(scenario, flow=_flow(scenario.flow, by_atom))


def calls(events: Iterable[Event], is_retry: dict[str, bool]) -> list[tuple[Failure, int, bool]]:
    """Every execute and revert call a run made: ``(call, seq of its start, succeeded)``.

    An execute call is the ``attempt`` of its RUNNING event and succeeded if the atom's
    next event is SUCCESS; a revert call is counted by the atom's REVERTING events and
    succeeded if it ended REVERTED. A call still in flight at the end is left out.

    >>> import flowsim as fs
    >>> r = fs.simulate(fs.LinearFlow(name="f", children=[fs.Task(name="a", fails_on=[1])]))
    >>> [(str(f), seq, ok) for f, seq, ok in calls(r.events, {"a": False})]
    [('a.execute#1', 1, False), ('a.revert#1', 3, True)]
    """
    out: list[tuple[Failure, int, bool]] = []
    open_call: dict[str, tuple[Failure, int]] = {}
    reverts: dict[str, int] = {}
    for e in events:
        if e.subject != "atom":
            continue
        s, name = e.state, e.name
        if s == "RUNNING":
            kind: Kind = "retry" if is_retry[name] else "execute"
            open_call[name] = (Failure(name, kind, e.attempt or 0), e.seq)
        elif s == "REVERTING":
            k = reverts[name] = reverts.get(name, 0) + 1
            open_call[name] = (Failure(name, "revert", k), e.seq)
        elif s in ("SUCCESS", "REVERTED", "FAILURE", "REVERT_FAILURE"):
            made = open_call.pop(name, None)
            if made is not None:
                out.append((made[0], made[1], s in ("SUCCESS", "REVERTED")))
    return out


def extensions(
    plan: Plan, made: Sequence[tuple[Failure, int, bool]], kinds: Sequence[Kind]
) -> tuple[bool, set[Failure]]:
    """Whether every failure of ``plan`` took effect in the run that made ``made``, and the
    calls worth failing next: those of ``kinds`` that succeeded and started after the
    last of the plan's failures started (earlier ones would change whether the plan's
    own failures happen; the plan they make is reached from a smaller plan instead).

    >>> made = [(Failure("a", "execute", 1), 1, False), (Failure("a", "revert", 1), 3, True)]
    >>> extensions((Failure("a", "execute", 1),), made, KINDS)
    (True, {Failure(atom='a', kind='revert', call=1)})
    """
    failed = {f: seq for f, seq, ok in made if not ok}
    if not all(f in failed for f in plan):
        return False, set()
    last = max((failed[f] for f in plan), default=-1)
    return True, {f for f, seq, ok in made if ok and seq > last and f.kind in kinds}
