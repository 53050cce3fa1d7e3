"""``timing="given"``: one deterministic :func:`flowsim.simulate` per plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from flowsim.engine import simulate
from flowsim.errors import FlowsimError
from flowsim.model import Scenario
from flowsim.states import FlowState
from flowsim.trace import Result

from ._judge import Property, judge, own
from ._plans import Failure, Kind, Plan, calls, extensions
from ._result import Outcome


class Path(NamedTuple):
    """One explored run of a plan (under ``"any"``: one terminal state of its search)."""

    outcome: Outcome | None  # None: the run raised (``problems`` says why)
    makespan: float | None
    executions: int
    reverts: int
    problems: list[tuple[str, str]]
    schedule: tuple[tuple[int, ...], ...] | None


def outcome_of(result: Result) -> Outcome:
    """The :class:`Outcome` of a result."""
    names = result.compiled.names
    return Outcome(
        flow_state=result.flow_state,
        reverted=frozenset(a for a in names if result.reverts[a]),
        executions=tuple((a, result.executions[a]) for a in names),
    )


def run_given(
    planned: Scenario,
    plan: Plan,
    is_retry: dict[str, bool],
    kinds: Sequence[Kind],
    properties: Sequence[Property] = (),
) -> tuple[list[Path], set[Failure], int]:
    """Run the planned scenario once: its path (none when a failure of the plan did not
    take effect: the plan is a duplicate), the calls worth failing next, its events."""
    try:
        result = simulate(planned)
    except FlowsimError as e:  # e.g. the event budget: a run that may never end
        path = Path(None, None, 0, 0, [("error", f"{type(e).__name__}: {e}")], None)
        return [path], set(), 0
    events = result.events
    effective, more = extensions(plan, calls(events, is_retry), kinds)
    if not effective:
        return [], set(), len(events)
    problems = judge(
        result.compiled, events, result.resolutions, result.options, timing=True, finished=True
    ) + own(result, properties)
    if result.flow_state is FlowState.PENDING:  # pragma: no cover - never: a run ends
        problems.append(("unfinished", "the run did not end"))
    path = Path(
        outcome_of(result),
        result.makespan,
        sum(result.executions.values()),
        sum(result.reverts.values()),
        problems,
        None,
    )
    return [path], more, len(events)
