"""What a failure's retry controllers decide, and what a static decider ignores: functions
of the compiled flow and the run's atom states (private to :mod:`flowsim.engine`).

The engine's :class:`_Run` keeps the state and applies what these return (intentions,
blocked counts, candidates, the trace); these only read it. The one write is TaskFlow's:
:func:`determine` records the failure in the deciding controller's history before asking
it, so that ``on_failure`` sees it. The checker judges resolutions with its own,
independent :mod:`flowsim.checks.oracle`; nothing here is shared with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowsim.compile import CompiledFlow
from flowsim.errors import ModelError
from flowsim.model import Depth
from flowsim.retries import HistoryLog
from flowsim.states import AtomState, Decision

_IGNORE = AtomState.IGNORE
_WIDTH = ("atom", "neighbors", "flow", "all")


def determine(
    c: CompiledFlow,
    state: Sequence[AtomState],
    history: dict[int, HistoryLog],
    defer_reverts: bool,
    atom: int,
    chain: list[tuple[str, Decision]],
) -> tuple[Decision, int, bool]:
    """TaskFlow's ``_determine_resolution`` for the failure of ``atom``: the action, the
    retry controller it applies to (``-1`` for REVERT_ALL) and whether no controller
    decided. Each controller asked is appended to ``chain`` with its decision.

    >>> import flowsim as fs
    >>> retry = fs.Retry(name="r", controller=fs.Times(attempts=2))
    >>> flow = fs.LinearFlow(name="f", retry=retry, children=[fs.Task(name="a")])
    >>> c = fs.compile(flow)
    >>> chain = []
    >>> log = HistoryLog()
    >>> log.append(1)
    >>> determine(c, [AtomState.SUCCESS] * 2, {0: log}, True, 1, chain)
    (<Decision.RETRY: 'RETRY'>, 0, False)
    >>> chain
    [('r', <Decision.RETRY: 'RETRY'>)]
    """
    r = c.retry_of[atom]
    while r >= 0 and state[r] is _IGNORE:  # an ignored controller does not decide
        r = c.retry_of[r]
    if r < 0:
        return Decision.REVERT_ALL, -1, True
    log = history[r]
    assert len(log)  # r ran before anything in its scope could fail
    log.fail(c.names[atom])
    controller = c.controllers[r]
    assert controller is not None
    raw = controller.on_failure(log.view())
    try:
        decision = Decision(raw)
    except ValueError:
        raise ModelError(
            f"retry {c.names[r]!r}: on_failure returned {raw!r}; expected a Decision "
            "(RETRY, REVERT or REVERT_ALL)"
        ) from None
    chain.append((c.names[r], decision))
    if decision is Decision.RETRY:
        return Decision.RETRY, r, False
    if decision is Decision.REVERT_ALL:
        return Decision.REVERT_ALL, -1, False
    parent = determine(c, state, history, defer_reverts, r, chain)
    if defer_reverts:
        return parent
    if not parent[2] and parent[0] is not Decision.REVERT:
        return parent
    return Decision.REVERT, r, False


def ignored(c: CompiledFlow, state: Sequence[AtomState], i: int) -> list[int]:
    """The atoms a static decider's "no" on a link into ``i`` ignores (``i`` first), or
    ``[]`` when no decider on those links says no (a decider whose source was ignored
    does not speak); the widest depth of the deciders that speak wins.

    >>> import flowsim as fs
    >>> flow = fs.GraphFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")],
    ...                     links=[fs.Link(source="a", target="b", decider=False)])
    >>> c = fs.compile(flow)
    >>> ignored(c, [AtomState.SUCCESS, AtomState.PENDING], c.index["b"])
    [1]
    """
    nays = [d.depth for d in c.deciders[i] if not (d.source >= 0 and state[d.source] is _IGNORE)]
    if not nays:
        return []
    widest = max(nays, key=_WIDTH.index)
    if widest is Depth.ALL:
        return [i, *c.reachable(i)]
    if widest is Depth.FLOW:
        seen = {i}
        stack = [i]
        while stack:
            for s in c.near_succs[stack.pop()]:
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        return [i, *sorted(seen - {i})]
    if widest is Depth.NEIGHBORS:
        return [i, *c.near_succs[i]]
    return [i]
