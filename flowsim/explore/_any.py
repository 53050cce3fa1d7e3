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
again.

The partial-order reduction: completions that commute are not also tried together. Let
``S`` be a choice of two or more pieces of work, none of which fails, and ``a`` one of
them whose completion alone is *quiet*: it succeeds, and the step changes no atom's
state or intention but ``a``'s, starts no work, drops no queue entry, and leaves the
flow's state and the halted / draining / retained flags as they were. Then completing
``S`` together reaches the same state as completing ``a`` and then the rest of ``S``: a
success's completion only sets its own atom's state, frees its worker and counts down
and names candidates, which commute with the other completions; the engine's step
between the two only checked candidates and queued some (none could start, since
nothing started; none was dropped); and with no failure in ``S`` no resolution changes
an intention in between, so an atom executable or revertable then still is after the
rest, and the step after the rest finds the same queue either way. (A step that drops
an entry no longer valid is not quiet: completing ``S`` together may start other work
first and leave that entry in the queue, a different state.) So ``S`` is not computed:
its edge goes to the state the state after ``a`` reaches by the rest of ``S`` (a state's
single completions are tried before its larger choices), and ``spared`` counts it.

It follows that two quiet completions commute in order too: if ``a`` and ``b`` are both
quiet from state ``s``, then ``b`` then ``a`` and ``a`` then ``b`` both reach the state of
``{a, b}`` together; so from the state after ``b`` the search does not compute ``a``
when ``a`` was tried from ``s`` before ``b`` (a sleep set, without its inheritance), and
its edge goes to the state after ``a`` then ``b``.

The states, the tree, the interleavings and the outcomes are those of the unreduced
search (``reduce=False``); a spared choice's own events are not judged, its state is,
on the runs through it. The property suite compares the two searches on drawn scenarios
and, with :data:`CHECK`, computes every spared choice anyway and compares its state.
What is not reduced: orders and ties of completions that are not quiet (a task takes
the lowest free worker and completions due together are applied in start order, so such
orders often reach different states; where they reach the same one, hashing merges it),
and choices with a failure in them.

The search tree's size (every path from the start to every state, counted without
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

from ._drive import Entry, _Run, clone, in_flight, key, start, step
from ._given import Path
from ._judge import Property, judge, own
from ._plans import Failure, Kind, Plan
from ._result import Outcome

Schedule = tuple[tuple[int, ...], ...]
Pick = tuple[int, ...]

CHECK = False
"""Compute every choice the reduction spares too, and raise if its state is not the one
the reduction assumed (the property suite sets it)."""


@dataclass
class Searched:
    """What the search of one plan found."""

    paths: list[Path] = field(default_factory=list)
    more: set[Failure] = field(default_factory=set)
    states: int = 0
    transitions: int = 0
    spared: int = 0
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
    reduce: bool = True,
) -> Searched:
    """Search every interleaving of the planned scenario, at most ``budget`` states
    (``reduce``: with the partial-order reduction)."""
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
    edges: list[dict[Pick, int]] = [{}]  # each state's choices computed, to their states
    spared: dict[tuple[int, Pick], tuple[int, Pick]] = {}  # (state, S) -> (after a, rest)
    final: list[bool] = [False]
    order: list[int] = []  # postorder
    on_path: set[int] = {0}
    checked: dict[tuple[int, Pick], object] = {}  # CHECK: each spared choice's state
    # a frame: (state id, run, schedule to it, its choices left, whether it found a new
    # state, its quiet singles: the place of each in flight to the state it reaches, and
    # its singles asleep: each place to the choice from another state that it equals)
    frames: list[
        tuple[
            int,
            _Run,
            Schedule,
            list[Pick],
            list[bool],
            dict[int, int],
            dict[int, tuple[int, Pick]],
        ]
    ] = []

    def push(sid: int, run: _Run, schedule: Schedule, asleep: dict[int, tuple[int, Pick]]) -> None:
        flight = in_flight(run)
        if not flight:
            final[sid] = True
            if _effective(run, plan, index):
                out.paths.append(_path(run, schedule, properties))
            order.append(sid)
            return
        on_path.add(sid)
        frames.append((sid, run, schedule, choices(len(flight))[::-1], [False], {}, asleep))

    push(0, root, (), {})
    while frames:
        sid, run, schedule, todo, grew, quiet, asleep = frames[-1]
        if not todo:
            frames.pop()
            on_path.discard(sid)
            order.append(sid)
            if not grew[0]:  # a leaf of the search tree: judge a whole run through it
                out.paths.extend(_through(run, schedule, properties))
            continue
        pick = todo.pop()
        flight = in_flight(run)
        chosen = [flight[k] for k in pick]
        same: tuple[int, Pick] | None = None  # (state, choice): what the reduction says pick is
        if len(pick) == 1:
            same = asleep.get(pick[0])
        elif reduce and not any(e[4] for e in chosen):
            a = next((k for k in pick if k in quiet), -1)
            if a >= 0:
                same = (quiet[a], tuple(k - (k > a) for k in pick if k != a))
        if same is not None:
            spared[sid, pick] = same
            out.spared += 1
            if CHECK:
                computed = clone(run)
                step(computed, chosen, len(schedule) + 1)
                checked[sid, pick] = key(computed)
            continue
        out.transitions += 1
        child = clone(run)
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
        elif len(ids) >= budget:
            out.stopped = f"max_states reached ({len(ids):,} states of this plan)"
            break
        b = -1
        if len(pick) == 1 and _quiet(run, child, chosen[0], done):
            b = pick[0]
            quiet[b] = cid if cid is not None else len(ids)
        if cid is not None:
            succ[sid].append(cid)
            edges[sid][pick] = cid
            continue
        cid = ids[k] = len(ids)
        succ.append([])
        edges.append({})
        final.append(False)
        succ[sid].append(cid)
        edges[sid][pick] = cid
        grew[0] = True
        # b quiet: for each quiet a tried before it, "b then a" is "a then b"
        then_b: Pick = (b - 1,)
        asleep_next = {a: (quiet[a], then_b) for a in quiet if a < b} if reduce and b >= 0 else {}
        push(cid, child, (*schedule, pick), asleep_next)
    out.states = len(ids)
    if not out.stopped:
        for (sid, _), (via, rest) in spared.items():
            target = _target(edges, spared, via, rest)
            if target is not None:
                succ[sid].append(target)
        for (sid, pick), k in checked.items():  # CHECK: each spared choice's own state
            if _target(edges, spared, sid, pick) != ids.get(k):
                raise FlowsimError(
                    "internal error: the partial-order reduction spared a choice whose "
                    "state differs"
                )
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


def _quiet(run: _Run, child: _Run, chosen: Entry, done: list[tuple[int, int, bool]]) -> bool:
    """Whether completing ``chosen`` alone took ``run`` to ``child`` quietly: it
    succeeded, nothing started, no queue entry was dropped, no other atom's state or
    intention changed, and the flow's state and flags stayed."""
    i = chosen[2]
    if chosen[4] or not done[0][2] or len(child.heap) != len(run.heap) - 1:
        return False
    if not (
        set(run.ready_tasks) <= set(child.ready_tasks)
        and set(run.ready_retries) <= set(child.ready_retries)
    ):
        return False  # the step dropped an entry no longer valid, which a later one may not
    if (child.flow_state, child.halted, child.draining, child.retained) != (
        run.flow_state,
        run.halted,
        run.draining,
        run.retained,
    ):
        return False
    state, intent, was, meant = child.state, child.intent, run.state, run.intent
    return all((state[j] is was[j] and intent[j] is meant[j]) or j == i for j in range(len(state)))


def _target(
    edges: list[dict[Pick, int]],
    spared: dict[tuple[int, Pick], tuple[int, Pick]],
    sid: int,
    pick: Pick,
) -> int | None:
    """The state a choice from state ``sid`` reaches, through choices spared in turn
    (``None``: its run raised, and that run's error is a violation already)."""
    while True:
        target = edges[sid].get(pick)
        if target is not None:
            return target
        nxt = spared.get((sid, pick))
        if nxt is None:
            return None
        sid, pick = nxt


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
