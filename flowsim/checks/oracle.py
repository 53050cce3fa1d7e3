"""An independent oracle for failure resolutions: who decides, what is in scope, what reverts.

Written from ``DESIGN.md`` (decisions 4 and 5, "Words for verification") and TaskFlow's
``_determine_resolution``, without the engine: this module imports the compiled flow's
types and the state enums only. :mod:`flowsim.checks` uses it to judge every resolution
in a trace, flowsim's own or another engine's.

Given the decisions the consulted retry controllers made (innermost first), the oracle
says which resolution applies (:func:`resolve`), which atoms it puts in scope
(:func:`scope`), and which of those must be reverted (:func:`minimal_revert_set`).

>>> import flowsim as fs
>>> from flowsim.retries import Times
>>> flow = fs.LinearFlow(name="f", children=[
...     fs.Task(name="A"),
...     fs.UnorderedFlow(name="sub", retry=fs.Retry(name="r", controller=Times(attempts=2)),
...                      children=[fs.Task(name="B"), fs.Task(name="C")]),
...     fs.Task(name="D")])
>>> c = fs.compile(flow)
>>> resolve(c, "B", [fs.Decision.RETRY], defer_reverts=True)
(<Decision.RETRY: 'RETRY'>, 'r')
>>> sorted(scope(c, fs.Decision.RETRY, "r"))
['B', 'C', 'D']
>>> states = {"A": "SUCCESS", "r": "SUCCESS", "B": "FAILURE", "C": "RUNNING", "D": "PENDING"}
>>> sorted(minimal_revert_set(scope(c, fs.Decision.RETRY, "r"), states))
['B', 'C']
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from flowsim.compile import CompiledFlow
from flowsim.errors import FlowsimError
from flowsim.states import AtomState, Decision

__all__ = ["EXECUTED", "consulted", "minimal_revert_set", "resolve", "scope"]

EXECUTED = frozenset({AtomState.RUNNING, AtomState.SUCCESS, AtomState.FAILURE})
"""The states of an atom that has executed since its last reset and is not reverting yet
(a RUNNING atom is not pre-empted: it finishes, then reverts)."""


def _retry_above(c: CompiledFlow, name: str, ignored: Collection[str]) -> str | None:
    r = c.retry_of[c.index[name]]
    while r >= 0 and c.names[r] in ignored:
        r = c.retry_of[r]
    return None if r < 0 else c.names[r]


def consulted(
    c: CompiledFlow,
    failed: str,
    decisions: Sequence[Decision],
    *,
    ignored: Collection[str] = (),
) -> list[str]:
    """The retry controllers asked about a failure of ``failed``, innermost first.

    The innermost retry controller of ``failed`` is asked first (for a failed retry
    controller, its parent); each one that says REVERT passes the question to its parent.
    ``decisions`` are their answers, in that order; the list stops at the first RETRY or
    REVERT_ALL, or at the outermost retry controller. Retry controllers in ``ignored``
    (atoms a decider set to IGNORE when the failure happened) are passed over.

    >>> import flowsim as fs
    >>> c = fs.compile(fs.LinearFlow(name="f", children=[fs.Task(name="a")]))
    >>> consulted(c, "a", [])
    []
    """
    asked: list[str] = []
    r = _retry_above(c, failed, ignored)
    for d in decisions:
        if r is None:
            break
        asked.append(r)
        if d is not Decision.REVERT:
            break
        r = _retry_above(c, r, ignored)
    return asked


def resolve(
    c: CompiledFlow,
    failed: str,
    decisions: Sequence[Decision],
    *,
    defer_reverts: bool,
    ignored: Collection[str] = (),
) -> tuple[Decision, str | None]:
    """The resolution of a failure of ``failed``: ``(action, retry controller or None)``.

    ``decisions`` are the answers of the retry controllers :func:`consulted`, innermost
    first (pass exactly as many as were asked; ``ignored`` as for :func:`consulted`). With
    no retry controller above ``failed``
    the whole flow is reverted. A RETRY or REVERT_ALL answer wins. When every controller
    up to the outermost said REVERT: with ``defer_reverts`` the whole flow is reverted
    (REVERT_ALL); without it only the innermost controller's scope (REVERT).

    Raises
    ------
    FlowsimError
        If ``decisions`` does not match the chain of controllers (too few or too many).
    """
    asked = consulted(c, failed, decisions, ignored=ignored)
    if len(asked) != len(decisions):
        raise FlowsimError(
            f"failure of {failed!r}: {len(decisions)} decision(s) given, but the retry "
            f"controllers consulted are {asked}"
        )
    if not asked:
        return Decision.REVERT_ALL, None
    if _retry_above(c, asked[-1], ignored) is None and decisions[-1] is Decision.REVERT:
        if defer_reverts:
            return Decision.REVERT_ALL, None
        return Decision.REVERT, asked[0]
    top = decisions[-1]
    if top is Decision.RETRY:
        return Decision.RETRY, asked[-1]
    if top is Decision.REVERT_ALL:
        return Decision.REVERT_ALL, None
    raise FlowsimError(
        f"failure of {failed!r}: {asked[-1]!r} said REVERT, so its parent is asked too, "
        "but no decision is given for it"
    )


def _forward(c: CompiledFlow, start: str) -> set[str]:
    succs = c.succs
    seen: set[int] = set()
    todo = [c.index[start]]
    while todo:
        for j in succs[todo.pop()]:
            if j not in seen:
                seen.add(j)
                todo.append(j)
    names = c.names
    return {names[j] for j in seen}


def scope(c: CompiledFlow, action: Decision, retry: str | None) -> frozenset[str]:
    """The atoms a resolution sets to REVERT.

    RETRY: everything forward-reachable from ``retry`` (its subflow and what follows it),
    not ``retry`` itself. REVERT: the same plus ``retry``. REVERT_ALL: every atom.
    """
    if action is Decision.REVERT_ALL:
        return frozenset(c.names)
    if retry is None:
        raise FlowsimError(f"a {action} resolution names its retry controller")
    reached = _forward(c, retry)
    if action is Decision.REVERT:
        reached.add(retry)
    return frozenset(reached)


def minimal_revert_set(
    in_scope: Collection[str], states: Mapping[str, AtomState | str]
) -> frozenset[str]:
    """The atoms of ``in_scope`` that a correct engine must revert for this resolution.

    ``states`` are the atom states when the failure happened: the atoms that executed
    since their last reset (:data:`EXECUTED`) are reverted; atoms never started stay
    PENDING, and atoms already reverting or reverted are not reverted again.
    """
    return frozenset(a for a in in_scope if states[a] in EXECUTED)
