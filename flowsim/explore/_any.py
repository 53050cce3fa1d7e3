"""``timing="any"``: every order in which the work in flight may complete.

A depth-first search over the engine's abstract state (:mod:`flowsim.explore._drive`).
From a state, every nonempty subset of the work in flight may complete next, together
(ties included), applied in start order as the engine's same-time rule applies
completions due at one time. That is every trace an engine with unknown durations could
produce under the same semantics: durations only decide which work completes first, and
any subset of what is in flight can be made to complete first, together, by some choice
of durations (zero-duration work included: the engine applies it in a later round at the
same time, which is one more step here). Conversely every trace the search gives is one
some durations give: let the work chosen at step k end at time k (each ends after it
started, since it was in flight before step k).

States reached again (the same :func:`~flowsim.explore._drive.key`) are not searched
again. The search tree's size (every path from the start to every state, counted without
merging) is computed afterwards over the graph of states, as is the number of complete
interleavings (paths to a final state).

Judging. Each state is reached first by one path of the search (a depth-first tree).
Every leaf of that tree is judged on a whole run: a final state on the path that reached
it, a leaf whose every successor was visited before on that path continued to the end
(the earliest started work completing alone, step after step). Each whole run is judged
by every rule of :func:`flowsim.checks.check` (``timing=False``: the times are steps) and
the minimal-revert-set property. So every state and every transition of the tree lies on
a judged run; a transition into a state visited before is judged only as far as the
runs through that state are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from flowsim.compile import compile
from flowsim.errors import FlowsimError, ScenarioError
from flowsim.model import Scenario
from flowsim.trace import Result

from ._drive import _Run, clone, in_flight, key, start, step
from ._given import Path
from ._judge import Property, judge, own
from ._plans import Failure, Kind, Plan
from ._result import Outcome

Schedule = tuple[tuple[int, ...], ...]


@dataclass
class Searched:
    """What the search of one plan found."""

    paths: list[Path] = field(default_factory=list)
    more: set[Failure] = field(default_factory=set)
    states: int = 0
    transitions: int = 0
    tree: int = 0
    interleavings: int = 0
    stopped: str = ""


def choices(n: int) -> list[tuple[int, ...]]:
    """Every nonempty subset of ``range(n)``, as sorted tuples, smallest first.

    >>> choices(2)
    [(0,), (1,), (0, 1)]
    """
    return [s for k in range(1, n + 1) for s in combinations(range(n), k)]


def _effective(run: _Run, plan: Plan, index: Mapping[str, int]) -> bool:
    for f in plan:
        i = index[f.atom]
        made = run.rev_calls[i] if f.kind == "revert" else run.exec_calls[i]
        if made < f.call:
            return False
    return True


def _path(run: _Run, schedule: Schedule, properties: Sequence[Property]) -> Path:
    result = run.result()
    names = result.compiled.names
    outcome = Outcome(
        flow_state=result.flow_state,
        reverted=frozenset(a for a in names if result.reverts[a]),
        executions=tuple((a, result.executions[a]) for a in names),
    )
    problems = judge(
        run.c, result.events, result.resolutions, run.options, timing=False, finished=True
    ) + own(result, properties)
    return Path(
        outcome,
        None,
        sum(result.executions.values()),
        sum(result.reverts.values()),
        problems,
        schedule,
    )


def _through(run: _Run, schedule: Schedule, properties: Sequence[Property]) -> list[Path]:
    """The problems of a whole run through ``run``'s state: from there, the earliest
    started work completes alone, step after step, to the end."""
    run = clone(run)
    steps = list(schedule)
    try:
        while run.heap:
            step(run, in_flight(run)[:1], len(steps) + 1)
            steps.append((0,))
    except FlowsimError as e:
        return [Path(None, None, 0, 0, [("error", f"{type(e).__name__}: {e}")], tuple(steps))]
    result = run.result()
    problems = judge(
        run.c, result.events, result.resolutions, run.options, timing=False, finished=True
    ) + own(result, properties)
    return [Path(None, None, 0, 0, [p], tuple(steps)) for p in problems]


def run_any(
    planned: Scenario,
    plan: Plan,
    kinds: Sequence[Kind],
    budget: int,
    properties: Sequence[Property] = (),
) -> Searched:
    """Search every interleaving of the planned scenario, at most ``budget`` states."""
    c = compile(planned.flow, store=planned.store)
    index, is_retry, names = c.index, c.is_retry, c.names
    out = Searched()
    try:
        root = start(c, planned.options)
    except FlowsimError as e:
        out.paths.append(Path(None, None, 0, 0, [("error", f"{type(e).__name__}: {e}")], ()))
        return out
    ids: dict[object, int] = {key(root): 0}
    succ: list[list[int]] = [[]]
    final: list[bool] = [False]
    order: list[int] = []  # postorder
    on_path: set[int] = {0}
    # a frame: (state id, run, schedule to it, its choices left, whether it found a new state)
    frames: list[tuple[int, _Run, Schedule, list[tuple[int, ...]], list[bool]]] = []

    def push(sid: int, run: _Run, schedule: Schedule) -> None:
        flight = in_flight(run)
        if not flight:
            final[sid] = True
            if _effective(run, plan, index):
                out.paths.append(_path(run, schedule, properties))
            order.append(sid)
            return
        on_path.add(sid)
        frames.append((sid, run, schedule, choices(len(flight))[::-1], [False]))

    push(0, root, ())
    while frames:
        sid, run, schedule, todo, grew = frames[-1]
        if not todo:
            frames.pop()
            on_path.discard(sid)
            order.append(sid)
            if not grew[0]:  # a leaf of the search tree: judge a whole run through it
                out.paths.extend(_through(run, schedule, properties))
            continue
        pick = todo.pop()
        child = clone(run)
        flight = in_flight(child)
        chosen = [flight[k] for k in pick]
        out.transitions += 1
        try:
            done = step(child, chosen, len(schedule) + 1)
        except FlowsimError as e:  # the event budget: a run that may never end
            out.paths.append(
                Path(None, None, 0, 0, [("error", f"{type(e).__name__}: {e}")], (*schedule, pick))
            )
            continue
        for i, kind, ok in done:
            if ok:
                if kind:
                    f = Failure(names[i], "revert", child.rev_calls[i])
                else:
                    f = Failure(
                        names[i], "retry" if is_retry[i] else "execute", child.exec_calls[i]
                    )
                if f.kind in kinds:
                    out.more.add(f)
        k = key(child)
        cid = ids.get(k)
        if cid is not None:
            if cid in on_path:  # never: every step completes work for good
                raise FlowsimError("internal error: the abstract state graph has a cycle")
            succ[sid].append(cid)
            continue
        if len(ids) >= budget:
            out.stopped = f"max_states reached ({len(ids):,} states of this plan)"
            break
        cid = ids[k] = len(ids)
        succ.append([])
        final.append(False)
        succ[sid].append(cid)
        grew[0] = True
        push(cid, child, (*schedule, pick))
    out.states = len(ids)
    if not out.stopped:
        paths = [0] * len(ids)  # paths from the start to each state
        paths[0] = 1
        for s in reversed(order):  # a topological order of the state graph
            for t in succ[s]:
                paths[t] += paths[s]
        out.tree = sum(paths)
        out.interleavings = sum(p for p, f in zip(paths, final, strict=True) if f)
    else:
        out.tree = out.states
    if any(p.outcome is None and not p.problems for p in out.paths):  # pragma: no cover
        raise FlowsimError("internal error: a path without outcome or problem")
    return out


def replay(scenario: Scenario, schedule: Sequence[Sequence[int]]) -> Result:
    """Run ``scenario`` with the work completing as ``schedule`` says: each step names the
    work in flight that completes together, by its place in start order (0 is the
    earliest started). The result's times are step numbers.

    Raises
    ------
    ScenarioError
        If a step names no work in flight, or the schedule ends with work in flight.

    Examples
    --------
    >>> import flowsim as fs
    >>> flow = fs.UnorderedFlow(name="f", children=[fs.Task(name="A"), fs.Task(name="B")])
    >>> r = replay(fs.Scenario(flow=flow), [(1,), (0,)])  # B completes first, then A
    >>> [(e.name, e.state.value) for e in r.events if e.state == "SUCCESS"]
    [('B', 'SUCCESS'), ('A', 'SUCCESS'), ('f', 'SUCCESS')]
    """
    run = start(compile(scenario.flow, store=scenario.store), scenario.options)
    for k, pick in enumerate(schedule):
        flight = in_flight(run)
        picked = sorted(set(pick))
        if not picked or not all(isinstance(p, int) and 0 <= p < len(flight) for p in picked):
            raise ScenarioError(
                f"step {k + 1} picks {list(pick)}, but {len(flight)} piece(s) of work are in "
                f"flight (pick some of 0..{len(flight) - 1})",
                where="schedule",
            )
        step(run, [flight[p] for p in picked], k + 1)
    if run.heap:
        raise ScenarioError(
            f"the schedule ends after {len(schedule)} step(s) with {len(run.heap)} piece(s) "
            "of work in flight",
            where="schedule",
        )
    return run.result()
