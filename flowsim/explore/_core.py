"""explore(): every failure plan up to a bound, each run (or searched) and judged."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from flowsim.compile import compile
from flowsim.errors import ModelError
from flowsim.model import GraphFlow, LinearFlow, Scenario, UnorderedFlow

from ._given import Path, run_given
from ._judge import Property
from ._plans import KINDS, Plan, apply_plan, check_kinds, plan_text
from ._result import Counterexample, Exploration, Outcome, Witness

_UNSET: Any = object()


def _scenario(target: object, workers: Any) -> Scenario:
    if isinstance(target, LinearFlow | UnorderedFlow | GraphFlow):
        target = Scenario(flow=target)
    if not isinstance(target, Scenario):
        raise ModelError(f"explore() takes a scenario or a flow, got {target!r}")
    if workers is not _UNSET:
        target = replace(target, options=replace(target.options, workers=workers))
    return target


def _bar(progress: bool) -> Any:
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ModuleNotFoundError:
        return None  # no tqdm: no bar
    return tqdm(unit="plan", desc="explore")


class _Found:
    """Outcomes, worst cases and violations, gathered plan by plan."""

    def __init__(self) -> None:
        self.outcomes: dict[Outcome, set[Plan]] = {}
        self.worst: dict[str, Witness] = {}
        self.violations: list[Counterexample] = []
        self.seen: set[tuple[Plan, str, str]] = set()
        self.runs = 0
        self.by_plan: dict[Plan, dict[Outcome, None]] = {}
        self.makespans: dict[Plan, float] = {}

    def better(self, key: str, value: float | None, plan: Plan, path: Path) -> None:
        if value is None:
            return
        w = self.worst.get(key)
        if w is None or value > w.value:
            self.worst[key] = Witness(value=value, plan=plan, schedule=path.schedule)

    def add(self, plan: Plan, planned: Scenario, path: Path) -> None:
        if path.outcome is not None:
            self.runs += 1
            self.outcomes.setdefault(path.outcome, set()).add(plan)
            self.by_plan.setdefault(plan, {})[path.outcome] = None
            if path.makespan is not None:
                self.makespans[plan] = max(path.makespan, self.makespans.get(plan, path.makespan))
            self.better("executions", path.executions, plan, path)
            self.better("reverts", path.reverts, plan, path)
            self.better("reverted_set", len(path.outcome.reverted), plan, path)
            self.better("makespan", path.makespan, plan, path)
        for rule, message in path.problems:
            if (plan, rule, message) in self.seen:
                continue
            self.seen.add((plan, rule, message))
            self.violations.append(
                Counterexample(
                    plan=plan, rule=rule, message=message, scenario=planned, schedule=path.schedule
                )
            )


def explore(
    target: Scenario | LinearFlow | UnorderedFlow | GraphFlow,
    *,
    max_failures: int = 2,
    kinds: Iterable[str] = KINDS,
    timing: str = "given",
    workers: int | None = _UNSET,
    max_states: int = 1_000_000,
    max_plans: int | None = None,
    properties: Iterable[Property] = (),
    reduce: bool = True,
    progress: bool = True,
) -> Exploration:
    """Run a flow under every failure plan of at most ``max_failures`` injected failures
    and judge every run.

    Parameters
    ----------
    target
        A scenario (or a flow, run with the default options). Its own failures stay: a
        plan's failures come on top.
    max_failures
        The most failures a plan injects (0: the scenario as it is).
    kinds
        Which calls may be made to fail: ``"execute"`` (a task's execute), ``"revert"``
        (any atom's revert), ``"retry"`` (a retry controller's own execute).
    timing
        ``"given"``: the scenario's durations, one :func:`flowsim.simulate` per plan.
        ``"any"``: every order in which the work in flight may complete (see
        :mod:`flowsim.explore._any`; what the search abstracts away is in
        :mod:`flowsim.explore._drive`).
    workers
        Overrides the scenario's ``workers`` option.
    max_states
        The most abstract states (``"any"``) or runs (``"given"``) explored in all; when
        reached, the exploration stops with ``complete=False`` and says how far it got.
    max_plans
        The most plans explored (``None``: no bound).
    properties
        Properties of your own, each a function of a run's :class:`~flowsim.Result`
        that returns ``None`` when it holds, else a message; each broken one is a
        violation of rule ``property <its name>``. Under ``"any"`` the result's times
        are steps, not durations.
    reduce
        ``"any"``: apply the partial-order reduction (ties and orders of completions
        that commute are not computed again; see :mod:`flowsim.explore._any`). ``False``
        computes every subset of the work in flight from every state: the same states,
        tree, interleavings and outcomes, more transitions.
    progress
        A tqdm progress bar, when tqdm is installed.

    Returns
    -------
    Exploration
        Plans explored, runs, outcomes, worst cases, violations, ``complete``.

    Notes
    -----
    Plans are explored smallest first, each extended only by the calls its own run made
    and that succeeded (under ``"given"``: only those starting after the plan's last
    failure started), so that every plan whose failures all take effect is explored
    exactly once and no plan is a duplicate of a smaller one (see
    :mod:`flowsim.explore._plans`). Under ``"any"`` a plan none of whose interleavings has
    all its failures take effect is dropped, and only the interleavings on which they all
    do count. Every run is judged by every rule of :func:`flowsim.checks.check` and by the
    minimal-revert-set property of every resolution.

    Examples
    --------
    >>> import flowsim as fs
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="A"), fs.Task(name="B")])
    >>> ex = explore(flow, max_failures=2, progress=False)
    >>> len(ex.plans), ex.violations, ex.complete
    (6, (), True)
    >>> [(o.flow_state.value, sorted(o.reverted), n) for o, n in ex.outcomes]
    [('FAILURE', ['A'], 1), ('FAILURE', ['A', 'B'], 1), ('FAILURE', ['B'], 1), ('REVERTED', ['A'], 1), ('REVERTED', ['A', 'B'], 1), ('SUCCESS', [], 1)]
    """  # noqa: E501
    scenario = _scenario(target, workers)
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0:
        raise ModelError(
            f"explore(): max_failures must be a whole number >= 0, got {max_failures!r}"
        )
    if timing not in ("given", "any"):
        raise ModelError(f"explore(): timing must be 'given' or 'any', got {timing!r}")
    for name, bound in (("max_states", max_states), ("max_plans", max_plans)):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, int) or bound < 1
        ):
            raise ModelError(f"explore(): {name} must be a whole number >= 1, got {bound!r}")
    if not isinstance(reduce, bool):
        raise ModelError(f"explore(): reduce must be True or False, got {reduce!r}")
    ks = check_kinds(kinds)
    props = tuple(properties)
    for prop in props:
        if not callable(prop):
            raise ModelError(f"explore(): properties must be functions of a result, got {prop!r}")
    compiled = compile(scenario.flow, store=scenario.store)
    is_retry = dict(zip(compiled.names, compiled.is_retry, strict=True))
    frontier: deque[Plan] = deque([()])
    queued: set[Plan] = {()}
    plans: list[Plan] = []
    found = _Found()
    states = transitions = spared = tree = interleavings = 0
    stopped = ""
    bar = _bar(progress)
    try:
        while frontier:
            if max_plans is not None and len(plans) >= max_plans:
                stopped = f"max_plans={max_plans:,} reached"
                break
            if states >= max_states:
                stopped = f"max_states={max_states:,} reached"
                break
            plan = frontier.popleft()
            planned = apply_plan(scenario, plan)
            if timing == "given":
                paths, more, events = run_given(planned, plan, is_retry, ks, props)
                states, transitions, tree = states + 1, transitions + events, tree + 1
                interleavings += len(paths)
                partial = ""
            else:
                from ._any import run_any

                got = run_any(planned, plan, ks, max_states - states, props, reduce)
                paths, more, partial = got.paths, got.more, got.stopped
                states, transitions, spared, tree = (
                    states + got.states,
                    transitions + got.transitions,
                    spared + got.spared,
                    tree + got.tree,
                )
                interleavings += got.interleavings
            if bar is not None:
                bar.update(1)
            if not paths and not partial:
                continue  # a failure of the plan never takes effect: a duplicate
            plans.append(plan)
            for path in paths:
                found.add(plan, planned, path)
            if partial:
                stopped = f"{partial} while searching plan {plan_text(plan)}"
                break
            if len(plan) < max_failures:
                for f in sorted(more):
                    new = tuple(sorted((*plan, f)))
                    if new not in queued and not _same_call(new):
                        queued.add(new)
                        frontier.append(new)
    finally:
        if bar is not None:
            bar.close()
    complete = not stopped
    if not complete:
        stopped += (
            f": {len(plans):,} plans explored, {len(frontier):,} more queued "
            f"(plans of up to {max((len(p) for p in plans), default=0)} failures reached)"
        )
    outcomes = sorted(found.outcomes.items(), key=lambda kv: (-len(kv[1]), _key(kv[0])))
    violations = sorted(found.violations, key=lambda v: (len(v.plan), v.plan))
    return Exploration(
        scenario=scenario,
        timing=timing,
        max_failures=max_failures,
        kinds=ks,
        plans=tuple(plans),
        runs=found.runs,
        states=states,
        transitions=transitions,
        spared=spared,
        tree=tree,
        interleavings=interleavings,
        outcomes=tuple((o, len(ps)) for o, ps in outcomes),
        worst=found.worst,
        plan_outcomes=MappingProxyType({p: tuple(o) for p, o in found.by_plan.items()}),
        makespans=MappingProxyType(found.makespans),
        violations=tuple(violations),
        complete=complete,
        stopped=stopped,
    )


def _same_call(plan: Plan) -> bool:
    """Whether two failures of the plan name one call (never: a call fails once)."""
    return len({(f.atom, f.kind == "revert", f.call) for f in plan}) < len(plan)


def _key(o: Outcome) -> tuple[str, list[str], tuple[tuple[str, int], ...]]:
    return o.flow_state.value, sorted(o.reverted), o.executions
