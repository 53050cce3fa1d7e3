"""Hypothesis strategies that draw flows, failure plans, timings and whole scenarios.

They are for property-testing revert semantics in your own tests::

    from hypothesis import given
    import flowsim as fs
    from flowsim import strategies as fst  # keeps "st" free for hypothesis.strategies

    @given(fst.scenarios(max_atoms=8))
    def test_nothing_is_left_running(scenario):
        result = fs.simulate(scenario)
        assert fs.AtomState.RUNNING not in result.atom_final_states.values()

``import flowsim`` does not import this module (nor Hypothesis): import it yourself, as
above or as ``import flowsim.strategies``.

=====================  =====================================================================
strategy               draws
=====================  =====================================================================
:func:`dags`           a :class:`~flowsim.GraphFlow` of tasks joined by links
:func:`flows`          nested linear/unordered/graph flows with retry controllers, links,
                       deciders and requires/provides (compiles without a store)
:func:`failure_plans`  the given flow with ``fails_on``/``revert_fails_on`` drawn
:func:`timings`        the given flow with durations (and priorities) drawn
:func:`scenarios`      a :class:`~flowsim.Scenario`: all of the above, a store and options
=====================  =====================================================================

**Guarantees.** Every drawn flow compiles (:func:`flowsim.compile`, with the scenario's
store for :func:`scenarios`); graph flows are acyclic by construction (their links follow a
drawn topological order of the children) and ``requires`` names only values that an
ancestor atom provides or the store holds. Every drawn scenario simulates without raising,
and :class:`~flowsim.EventBudgetExceeded` cannot happen: an atom whose failures may be
decided by an :class:`~flowsim.AlwaysRetry` (the only built-in controller with no bound on
its attempts) fails only on finitely many listed calls (never ``"always"``, never by
``fail_probability``), and a :class:`~flowsim.ForEach` there has values. Scenarios survive
a JSON round trip (:func:`flowsim.scenario_to_dict`): store and for-each values are small
integers (and lists of them).

**Names.** Tasks are ``t0``, ``t1``, ..., retry controllers ``r0``, ``r1``, ..., flows
``flow`` (the root), ``f1``, ``f2``, ... The atom numbers are a drawn permutation, and graph
flows declare their children in an order that is not their links' topological order, so
neither names nor declaration order give a topological order for free.

**Shrinking.** A failing example shrinks to fewer atoms, shallower nesting, linear flows,
no retry controllers (then ``Times(attempts=2)``), names in declaration order, no links or
deciders, no data, no failures (then failures on the first call), unit task durations
(zero for retry controllers), priority 0, unlimited workers, ``smart``,
``defer_reverts=True``, ``never_resolve=False`` and seed 0: a failing property typically
shrinks to a flow of two to four atoms. The order of the draws is designed for it:

1. the options and the name permutations first, each a fixed number of choices, so that
   they stay put when the shrinker deletes atoms;
2. then the flow depth first, each atom in one piece (its place in the tree, its
   controller, its failures and timings), so that deleting an atom deletes one contiguous
   span of choices; every decision is drawn even where a size bound settles it, so that
   the choices stay aligned; a retry controller costs more choices than a task, since the
   shrinker prefers shorter choice sequences;
3. then ``requires``/``provides`` (they depend on the whole graph).

(Drawing the atom count first and every attribute afterwards, as one might expect, shrank
a two-atom failure to a nine-atom flow: deleting an atom shifted every later choice.)

**Errors.** Every strategy checks its arguments when it is called (not when it is drawn
from) and raises :class:`hypothesis.errors.InvalidArgument` (as Hypothesis's own strategies
do; it is a :class:`TypeError`) naming the argument, the value and the fix.

>>> from hypothesis import find, settings
>>> quiet = settings(database=None, derandomize=True)
>>> [child.name for child in find(flows(), lambda flow: True, settings=quiet).children]
['t0']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from flowsim.compile import compile as compile_flow
from flowsim.model import (
    Depth,
    Flow,
    GraphFlow,
    LinearFlow,
    Link,
    Options,
    Retry,
    Scenario,
    Strategy,
    Task,
    UnorderedFlow,
)
from flowsim.retries import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    ParameterizedForEach,
    Times,
)
from flowsim.timing import Duration, Exponential, FailSpec, LogNormal, Uniform

__all__ = ["dags", "failure_plans", "flows", "scenarios", "timings"]

_T = TypeVar("_T")

_CONTROLLERS: tuple[type[Controller], ...] = (
    Times,
    ForEach,
    ParameterizedForEach,
    AlwaysRevert,
    AlwaysRevertAll,
    AlwaysRetry,
)
# Every built-in controller, in the order examples shrink through (toward Times).

# Controllers whose attempts are bounded: a scope under them is retried finitely often.
_BOUNDED = (Times, ForEach, ParameterizedForEach, AlwaysRevert, AlwaysRevertAll)
_PATTERNS = ("linear", "unordered", "graph")
_PER_CALL = "per call"  # marks a duration draw that becomes a list, one per call
_DISTRIBUTION = "distribution"  # ... or a distribution


# --------------------------------------------------------------------------- validation


def _whole(fn: str, name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgument(f"{fn}(): {name} must be a whole number >= {low}, got {value!r}")
    return value


def _order(fn: str, low_name: str, low: int, high_name: str, high: int) -> None:
    if low > high:
        raise InvalidArgument(
            f"{fn}(): {low_name}={low} is more than {high_name}={high}; lower {low_name} or "
            f"raise {high_name}"
        )


def _flag(fn: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{fn}(): {name} must be True or False, got {value!r}")
    return value


def _values(fn: str, name: str, given: object, check: Callable[[Any], Any]) -> tuple[Any, ...]:
    """A non-empty sequence of option values, each passed through ``check``."""
    if isinstance(given, str) or not isinstance(given, Sequence) or not given:
        raise InvalidArgument(
            f"{fn}(): {name} must be a non-empty sequence of values to draw from (the first "
            f"is what examples shrink to), got {given!r}"
        )
    out = []
    for value in given:
        try:
            out.append(check(value))
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"{fn}(): {name} holds {value!r}: {exc}") from None
    return tuple(dict.fromkeys(out))


def _controllers(
    fn: str, given: Iterable[type[Controller]] | None, store: bool
) -> tuple[Any, ...]:
    if given is None:
        return tuple(c for c in _CONTROLLERS if store or c is not ParameterizedForEach)
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise InvalidArgument(
            f"{fn}(): controllers must be a collection of controller classes such as "
            f"[Times, ForEach], got {given!r}"
        )
    chosen = set(given)
    for c in chosen:
        if c not in _CONTROLLERS:
            raise InvalidArgument(
                f"{fn}(): controllers holds {c!r}; expected built-in controller classes "
                f"({', '.join(k.__name__ for k in _CONTROLLERS)}); pass [] for no retry "
                "controllers"
            )
    if ParameterizedForEach in chosen and not store:
        raise InvalidArgument(
            f"{fn}(): ParameterizedForEach needs store values, and {fn}() draws flows that "
            "compile without a store; use scenarios(controllers=...), whose store supplies them"
        )
    return tuple(c for c in _CONTROLLERS if c in chosen)


# --------------------------------------------------------------------------- small draws


# Strategies are built once and reused: building one per draw cost most of the time.
_BOOLEANS = st.booleans()


@cache
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@cache
def _pick(values: tuple[_T, ...]) -> st.SearchStrategy[_T]:
    return st.sampled_from(values)


@cache
def _permutations(n: int) -> st.SearchStrategy[list[int]]:
    return st.permutations(range(n))


@cache
def _calls(max_call: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, max_call), min_size=1, max_size=2, unique=True)


@cache
def _per_call(values: tuple[Any, ...]) -> st.SearchStrategy[list[int]]:
    numbers = tuple(v for v in values if isinstance(v, int))
    return st.lists(st.sampled_from(numbers), min_size=2, max_size=3)


@st.composite
def _span(draw: st.DrawFn, fn: Callable[[st.DrawFn], _T]) -> _T:
    """Draws ``fn(draw)`` as one span of choices, which the shrinker can delete (or reuse)
    as a whole: an atom, a child, a graph flow's links."""
    return fn(draw)


def _chance(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws; shrinks to False."""
    return draw(_ints(0, one_in - 1)) == one_in - 1


def _dag_edges(draw: st.DrawFn, n: int, deciders: bool) -> list[tuple[int, int, bool, Depth]]:
    """Edges ``(u, v, decider, depth)`` of a DAG on nodes 0..n-1, acyclic by construction:
    every edge goes forward in a drawn permutation (so node order is not a topological
    order). Shrinks to the identity permutation, no edges, no deciders."""
    order = draw(_permutations(n))
    edges: list[tuple[int, int]] = []
    for a in range(n):
        for b in range(a + 1, n):
            if _chance(draw, 3):
                edges.append((order[a], order[b]))
    out = []
    for u, v in edges:
        decider, depth = True, Depth.ALL
        if deciders and _chance(draw, 4):
            decider, depth = False, draw(_pick(tuple(Depth)))
        out.append((u, v, decider, depth))
    return out


# --------------------------------------------------------------------------- dags


def dags(*, min_nodes: int = 1, max_nodes: int = 10) -> st.SearchStrategy[GraphFlow]:
    """Random DAGs, as a :class:`~flowsim.GraphFlow` named ``dag`` of tasks ``t0``, ``t1``,
    ... (declared in that order) joined by :class:`~flowsim.Link` s.

    The links are the edges: ``[(link.source, link.target) for link in flow.links]``.
    Each goes forward in a drawn topological order, so the graph is acyclic by
    construction and the declaration (name) order is not, in general, a topological order.
    Tasks have default attributes; apply :func:`failure_plans` and :func:`timings` to vary
    them. The DAG may have no edges at all.

    Parameters
    ----------
    min_nodes, max_nodes
        Bounds on the number of tasks (``0 <= min_nodes <= max_nodes``).

    Shrinking: toward fewer tasks, the topological order equal to the declaration order,
    and fewer links.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import flowsim as fs
    >>> @settings(max_examples=20, database=None)
    ... @given(dags(min_nodes=2, max_nodes=5))
    ... def test_a_dag_compiles(flow):
    ...     assert 2 <= len(fs.compile(flow)) <= 5
    >>> test_a_dag_compiles()
    """
    _whole("dags", "min_nodes", min_nodes, 0)
    _whole("dags", "max_nodes", max_nodes, 0)
    _order("dags", "min_nodes", min_nodes, "max_nodes", max_nodes)
    return _dags(min_nodes, max_nodes)


@st.composite
def _dags(draw: st.DrawFn, min_nodes: int, max_nodes: int) -> GraphFlow:
    n = draw(_ints(min_nodes, max_nodes))
    names = [f"t{i}" for i in range(n)]
    links = [Link(source=names[u], target=names[v]) for u, v, _, _ in _dag_edges(draw, n, False)]
    return GraphFlow(name="dag", children=[Task(name=name) for name in names], links=links)


# --------------------------------------------------------------------------- flows


@dataclass(frozen=True, slots=True)
class _FlowConfig:
    min_atoms: int
    max_atoms: int
    max_depth: int
    controllers: tuple[Any, ...]
    links: bool
    deciders: bool
    data: bool
    store: bool  # may draw ParameterizedForEach and requirements only the store satisfies


def _flow_config(
    fn: str,
    *,
    min_atoms: int,
    max_atoms: int,
    max_depth: int,
    controllers: Iterable[type[Controller]] | None,
    links: bool,
    deciders: bool,
    data: bool,
    store: bool,
) -> _FlowConfig:
    _whole(fn, "min_atoms", min_atoms, 0)
    _whole(fn, "max_atoms", max_atoms, 0)
    _order(fn, "min_atoms", min_atoms, "max_atoms", max_atoms)
    _whole(fn, "max_depth", max_depth, 1)
    return _FlowConfig(
        min_atoms=min_atoms,
        max_atoms=max_atoms,
        max_depth=max_depth,
        controllers=_controllers(fn, controllers, store),
        links=_flag(fn, "links", links),
        deciders=_flag(fn, "deciders", deciders),
        data=_flag(fn, "data", data),
        store=store,
    )


def flows(
    *,
    min_atoms: int = 1,
    max_atoms: int = 8,
    max_depth: int = 3,
    controllers: Iterable[type[Controller]] | None = None,
    links: bool = True,
    deciders: bool = True,
    data: bool = True,
) -> st.SearchStrategy[Flow]:
    """Random nested flows that compile without a store (``flowsim.compile(flow)``).

    Linear, unordered and graph flows nest up to ``max_depth`` levels; any flow may carry
    a retry controller: ``Times`` (0 to 3 attempts, sometimes ``revert_all``), ``ForEach``
    (0 to 3 values, each 1 or 2, so duplicates are common; no values makes the
    controller's own execute fail, so a ForEach that an AlwaysRetry might retry always
    has values), ``AlwaysRevert``, ``AlwaysRevertAll`` or ``AlwaysRetry``.
    ``ParameterizedForEach`` needs store values: :func:`scenarios` draws it and supplies
    the store. Graph flows get links between their children (with ``links``), some of
    them static deciders that say no with a drawn depth (with ``deciders``). With
    ``data``, atoms provide values (named ``<atom>_out``) and require values that an
    ancestor provides. Atoms have default timings and no failures: see
    :func:`failure_plans` and :func:`timings`.

    Parameters
    ----------
    min_atoms, max_atoms
        Bounds on the number of atoms (tasks plus retry controllers), exactly as
        ``len(flowsim.compile(flow))`` counts them.
    max_depth
        How deeply flows nest: 1 is a single flow of tasks.
    controllers
        The controller classes to draw from (default: all but ``ParameterizedForEach``);
        ``[]`` draws no retry controllers.
    links, deciders, data
        Draw graph-flow links, deciders on them, and ``requires``/``provides``.

    Shrinking: toward fewer atoms, shallower nesting, linear flows, no retry controller
    (then ``Times(attempts=2)``), atoms named in declaration order, no links, no deciders,
    no data.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> import flowsim as fs
    >>> quiet = settings(database=None, derandomize=True)
    >>> flow = find(flows(min_atoms=3), lambda f: f.retry is not None, settings=quiet)
    >>> flow.retry.name, flow.retry.controller, [c.name for c in flow.children]
    ('r0', Times(attempts=2, revert_all=False), ['t0', 't1'])
    >>> len(fs.compile(flow))
    3
    """
    cfg = _flow_config(
        "flows",
        min_atoms=min_atoms,
        max_atoms=max_atoms,
        max_depth=max_depth,
        controllers=controllers,
        links=links,
        deciders=deciders,
        data=data,
        store=False,
    )
    return _flows(cfg).map(lambda pair: pair[0])


_Hook = Callable[[st.DrawFn, Task | Retry, bool], Task | Retry]
"""Draws an atom's attributes: ``hook(draw, atom, unbounded)`` returns the new atom;
``unbounded`` tells whether a controller with unbounded attempts may decide on its
execute failures."""


class _Builder:
    """Draws a flow depth first, in declaration order.

    Each atom is drawn in one piece (its place in the tree, its controller, then what the
    hooks draw: failures, timings), so that the shrinker deletes an atom by deleting one
    contiguous span of choices. Atoms get provisional names in declaration order; the
    final names come from permutations drawn afterwards.
    """

    def __init__(self, draw: st.DrawFn, cfg: _FlowConfig, hooks: Sequence[_Hook]) -> None:
        self.draw = draw
        self.cfg = cfg
        self.hooks = hooks
        self.atoms = 0
        self.tasks = 0
        self.retries = 0
        self.flows = 0
        self.values: dict[str, list[int]] = {}  # ParameterizedForEach values, by retry

    def atom(self, atom: Task | Retry, unbounded: bool) -> Task | Retry:
        for hook in self.hooks:
            atom = hook(self.draw, atom, unbounded)
        self.atoms += 1
        return atom

    def flow(self, depth: int, unbounded: bool) -> Flow:
        draw, cfg = self.draw, self.cfg
        name = f"f{self.flows}" if self.flows else "flow"
        self.flows += 1
        pattern = draw(_pick(_PATTERNS))
        retry = None
        if cfg.controllers:
            retry = draw(_span(lambda _: self.retry(unbounded)))
        inner = unbounded or (retry is not None and not isinstance(retry.controller, _BOUNDED))
        children: list[Task | Flow] = []
        while (child := draw(_span(lambda _: self.child(depth, inner)))) is not None:
            children.append(child)
        if pattern == "linear":
            return LinearFlow(name=name, retry=retry, children=children)
        if pattern == "unordered":
            return UnorderedFlow(name=name, retry=retry, children=children)
        links = []
        if cfg.links:
            names = [c.name for c in children]
            edges = draw(_span(lambda d: _dag_edges(d, len(names), cfg.deciders)))
            for u, v, decider, d in edges:
                links.append(Link(source=names[u], target=names[v], decider=decider, depth=d))
        return GraphFlow(name=name, retry=retry, children=children, links=links)

    # Every decision is drawn even where the size bounds settle it (and then ignored), so
    # that the choices stay aligned when the shrinker deletes atoms elsewhere.

    def retry(self, unbounded: bool) -> Retry | None:
        """The flow's retry controller, or None (shrinks to None)."""
        wanted = self.draw(_BOOLEANS)
        if not wanted or self.atoms >= self.cfg.max_atoms:
            return None
        name = f"r{self.retries}"
        self.retries += 1
        retry = self.atom(Retry(name=name, controller=self.controller(name, unbounded)), unbounded)
        assert isinstance(retry, Retry)
        return retry

    def child(self, depth: int, unbounded: bool) -> Task | Flow | None:
        """The next child, or None for no more: one draw, 0 (no more; never below
        ``min_atoms``, always at ``max_atoms``), 1 or 2 (a task) or 3 (a subflow, or a task
        at ``max_depth``). Shrinks to no more, then to a task."""
        draw, cfg = self.draw, self.cfg
        kind = draw(_ints(0, 3))
        if self.atoms >= cfg.max_atoms or (kind == 0 and self.atoms >= cfg.min_atoms):
            return None
        if kind == 3 and depth < cfg.max_depth:
            return self.flow(depth + 1, unbounded)
        task = self.atom(Task(name=f"t{self.tasks}"), unbounded)
        assert isinstance(task, Task)
        self.tasks += 1
        return task

    def controller(self, name: str, unbounded: bool) -> Controller:
        """A controller for retry ``name``; ``unbounded``: an AlwaysRetry may decide on its
        own failures, so it must not fail on every execute."""
        draw = self.draw
        kind = draw(_pick(self.cfg.controllers))
        # Every kind draws these two, so that a retry controller always costs more choices
        # than a task: the shrinker, which prefers shorter choice sequences, then trades
        # retry controllers for tasks, not the other way round.
        count = draw(_pick((2, 1, 3, 0)))  # attempts, or how many for-each values
        revert_all = _chance(draw, 3)
        if kind is Times:
            return Times(attempts=count, revert_all=revert_all)
        if kind is ForEach or kind is ParameterizedForEach:
            if unbounded:
                count = max(count, 1)  # an empty one fails on every execute
            values = [draw(_ints(1, 2)) for _ in range(count)]
            if kind is ForEach:
                return ForEach(values=values, revert_all=revert_all)
            self.values[name] = values
            return ParameterizedForEach(values_from=name, revert_all=revert_all)
        controller: Controller = kind()
        return controller


def _ranks(values: Sequence[int]) -> list[int]:
    """The rank of each value among ``values``: a permutation of ``range(len(values))``."""
    ranks = [0] * len(values)
    for rank, i in enumerate(sorted(range(len(values)), key=values.__getitem__)):
        ranks[i] = rank
    return ranks


def _ancestors(preds: tuple[tuple[int, ...], ...]) -> list[set[int]]:
    """Each atom's transitive predecessors (``preds`` in compile order)."""
    out: list[set[int]] = []
    for ps in preds:
        acc: set[int] = set()
        for p in ps:
            acc.add(p)
            acc |= out[p]
        out.append(acc)
    return out


def _draw_data(
    draw: st.DrawFn, flow: Flow, store: dict[str, Any], cfg: _FlowConfig
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """``{atom: (provides, requires)}``: each atom may provide one value of its own, and
    require values its ancestors provide (or, with a store, inputs the store holds, which
    are added to ``store``).

    Every value has one provider, which runs before every atom requiring it; the links a
    graph flow derives from requires/provides therefore join children already ordered by
    its links, and cannot make a cycle."""
    compiled = compile_flow(flow, store=store)
    ancestors = _ancestors(compiled.preds)
    inputs = ("in0", "in1") if cfg.store else ()
    provided: dict[int, str] = {}
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def one(i: int, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # one draw for both: requires with 1 in 3, provides with 1 in 3 (shrinks to none)
        wants_requires, wants_provides = divmod(draw(_ints(0, 8)), 3)
        candidates = [provided[a] for a in sorted(ancestors[i]) if a in provided]
        candidates += inputs
        requires: tuple[str, ...] = ()
        if candidates and wants_requires == 2:
            requires = tuple(
                draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=2, unique=True))
            )
        provides: tuple[str, ...] = ()
        if wants_provides == 2:
            provided[i] = f"{name}_out"
            provides = (provided[i],)
        return provides, requires

    for i, name in enumerate(compiled.names):
        provides, requires = draw(_span(lambda _: one(i, name)))  # noqa: B023 (drawn now)
        for value in requires:
            if value in inputs:
                store[value] = 0
        if provides or requires:
            out[name] = (provides, requires)
    return out


@st.composite
def _flows(
    draw: st.DrawFn, cfg: _FlowConfig, hooks: Sequence[_Hook] = ()
) -> tuple[Flow, dict[str, Any]]:
    """A flow and the store it compiles with (empty unless ``cfg.store``); ``hooks`` draw
    each atom's further attributes as it is drawn."""
    # Name permutations first, at a fixed length, so that they stay put when the shrinker
    # deletes atoms; drawing the flow's size first and its attributes afterwards shrank
    # far worse (deleting an atom shifted every later choice).
    task_order = draw(_permutations(cfg.max_atoms))
    retry_order = draw(_permutations(cfg.max_atoms))
    builder = _Builder(draw, cfg, hooks)
    flow = builder.flow(1, unbounded=False)
    names = {f"t{i}": f"t{j}" for i, j in enumerate(_ranks(task_order[: builder.tasks]))}
    names.update((f"r{i}", f"r{j}") for i, j in enumerate(_ranks(retry_order[: builder.retries])))
    store: dict[str, Any] = {}
    for old, values in builder.values.items():
        store[f"{names[old]}_values"] = values

    def rename(atom: Task | Retry, _: bool) -> Task | Retry:
        new = replace(atom, name=names[atom.name])
        if isinstance(new, Retry) and isinstance(new.controller, ParameterizedForEach):
            key = f"{new.name}_values"
            new = replace(new, controller=replace(new.controller, values_from=key))
        return new

    flow = _map_atoms(flow, rename, names=names)
    if cfg.data:
        data = _draw_data(draw, flow, store, cfg)
        if data:

            def add_data(atom: Task | Retry, _: bool) -> Task | Retry:
                if atom.name not in data:
                    return atom
                provides, requires = data[atom.name]
                return replace(atom, provides=provides, requires=requires)

            flow = _map_atoms(flow, add_data)
    return flow, store


def _map_atoms(
    flow: Flow,
    fn: Callable[[Task | Retry, bool], Task | Retry],
    unbounded: bool = False,
    names: Mapping[str, str] | None = None,
) -> Flow:
    """``flow`` with every atom replaced by ``fn(atom, unbounded)``, called in declaration
    order; ``unbounded`` tells whether a controller with unbounded attempts (AlwaysRetry,
    or a custom one) may decide on the atom's execute failures. ``names`` renames link
    ends (when ``fn`` renames atoms)."""
    retry = flow.retry
    inner = unbounded
    if retry is not None:
        inner = unbounded or type(retry.controller) not in _BOUNDED
        new = fn(retry, unbounded)
        assert isinstance(new, Retry)
        retry = new
    children: list[Task | Flow] = []
    for child in flow.children:
        if isinstance(child, Task):
            new_task = fn(child, inner)
            assert isinstance(new_task, Task)
            children.append(new_task)
        else:
            children.append(_map_atoms(child, fn, inner, names))
    if names is not None and isinstance(flow, GraphFlow):
        links = [
            replace(
                link,
                source=names.get(link.source, link.source),
                target=names.get(link.target, link.target),
            )
            for link in flow.links
        ]
        return replace(flow, retry=retry, children=tuple(children), links=tuple(links))
    return replace(flow, retry=retry, children=tuple(children))


# --------------------------------------------------------------------------- failure plans


@dataclass(frozen=True, slots=True)
class _PlanConfig:
    execute: bool
    revert: bool
    retry: bool
    always: bool
    probabilities: bool
    max_call: int


def _plan_config(
    fn: str,
    *,
    execute_failures: bool,
    revert_failures: bool,
    retry_failures: bool,
    always: bool,
    probabilities: bool,
    max_call: int,
) -> _PlanConfig:
    return _PlanConfig(
        execute=_flag(fn, "execute_failures", execute_failures),
        revert=_flag(fn, "revert_failures", revert_failures),
        retry=_flag(fn, "retry_failures", retry_failures),
        always=_flag(fn, "always", always),
        probabilities=_flag(fn, "probabilities", probabilities),
        max_call=_whole(fn, "max_call", max_call, 1),
    )


def _check_flow(fn: str, flow: object) -> None:
    if not isinstance(flow, LinearFlow | UnorderedFlow | GraphFlow):
        raise InvalidArgument(
            f"{fn}(): flow must be a flow (LinearFlow, UnorderedFlow or GraphFlow), got "
            f"{flow!r}; to apply it to a strategy of flows use flows().flatmap({fn})"
        )


def failure_plans(
    flow: Flow,
    *,
    execute_failures: bool = True,
    revert_failures: bool = True,
    retry_failures: bool = True,
    always: bool = True,
    probabilities: bool = False,
    max_call: int = 3,
) -> st.SearchStrategy[Flow]:
    """``flow`` with drawn failures: a new flow (the given one is frozen and unchanged).

    Each failure class that is switched on replaces the corresponding fields of every atom
    it concerns; a class switched off leaves those fields as they are in ``flow``.

    Parameters
    ----------
    flow
        Any flow (drawn by :func:`flows` or your own). To draw from a strategy of flows:
        ``flows().flatmap(failure_plans)``.
    execute_failures
        Draw tasks' ``fails_on``: about one task in three fails, on one or two of the call
        numbers ``1..max_call`` (calls count over the whole run), or ``"always"``.
    retry_failures
        Draw retry controllers' own ``fails_on`` (about one in six), the same way.
    revert_failures
        Draw every atom's ``revert_fails_on`` (about one in eight): a revert failure ends
        the flow FAILURE.
    always
        Allow ``"always"``.
    probabilities
        Also draw ``fail_probability`` (0.25, 0.5 or 1, for about one atom in four) for the
        atoms whose execute failures are drawn.
    max_call
        The highest call number drawn.

    An atom whose execute failure an :class:`~flowsim.AlwaysRetry` (or a custom
    controller) might decide gets neither ``"always"`` nor a ``fail_probability``: it fails
    on finitely many calls, so the retry rounds end (unless ``flow`` itself makes them
    endless, e.g. with a ``ForEach`` without values under an ``AlwaysRetry``, which
    :func:`flows` never draws).

    Shrinking: toward no failures, then single failures on the first call.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> import flowsim as fs
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    >>> quiet = settings(database=None, derandomize=True)
    >>> failed = find(failure_plans(flow, revert_failures=False),
    ...               lambda f: f.children[1].fails_on, settings=quiet)
    >>> failed.children[1].fails_on, fs.simulate(failed).flow_state
    ((1,), <FlowState.REVERTED: 'REVERTED'>)
    """
    _check_flow("failure_plans", flow)
    cfg = _plan_config(
        "failure_plans",
        execute_failures=execute_failures,
        revert_failures=revert_failures,
        retry_failures=retry_failures,
        always=always,
        probabilities=probabilities,
        max_call=max_call,
    )
    return _apply(flow, partial(_plan, cfg))


def _draw_calls(draw: st.DrawFn, one_in: int, cfg: _PlanConfig, always: bool) -> FailSpec:
    if not _chance(draw, one_in):
        return ()
    calls = draw(_calls(cfg.max_call))
    if always and cfg.always and _chance(draw, 4):
        return "always"
    return tuple(calls)


def _plan(cfg: _PlanConfig, draw: st.DrawFn, atom: Task | Retry, unbounded: bool) -> Task | Retry:
    """A failure plan for one atom (a hook, see ``_Hook``)."""
    changes: dict[str, Any] = {}
    is_task = isinstance(atom, Task)
    if cfg.execute if is_task else cfg.retry:
        changes["fails_on"] = _draw_calls(draw, 3 if is_task else 6, cfg, not unbounded)
        if cfg.probabilities:
            p = 0.0
            if not unbounded and _chance(draw, 4):
                p = draw(_pick((0.5, 0.25, 1.0)))
            changes["fail_probability"] = p
    if cfg.revert:
        changes["revert_fails_on"] = _draw_calls(draw, 8, cfg, True)
    return replace(atom, **changes) if changes else atom


@st.composite
def _apply(draw: st.DrawFn, flow: Flow, hook: _Hook) -> Flow:
    """``flow`` with ``hook`` applied to every atom, in declaration order."""
    return _map_atoms(flow, lambda atom, unbounded: hook(draw, atom, unbounded))


# --------------------------------------------------------------------------- timings


@dataclass(frozen=True, slots=True)
class _TimingConfig:
    max_duration: int
    priorities: bool
    task_values: tuple[Any, ...]  # what a task's duration draw picks from
    retry_values: tuple[Any, ...]  # ... and a retry controller's


def _timing_config(
    fn: str, *, max_duration: int, per_call: bool, distributions: bool, priorities: bool
) -> _TimingConfig:
    top = _whole(fn, "max_duration", max_duration, 0)
    markers = (_PER_CALL,) * _flag(fn, "per_call", per_call)
    markers += (_DISTRIBUTION,) * _flag(fn, "distributions", distributions)
    return _TimingConfig(
        max_duration=top,
        priorities=_flag(fn, "priorities", priorities),
        task_values=((1, 0, *range(2, top + 1)) if top else (0,)) + markers,
        retry_values=tuple(range(top + 1)) + markers,
    )


def timings(
    flow: Flow,
    *,
    max_duration: int = 3,
    per_call: bool = True,
    distributions: bool = False,
    priorities: bool = True,
) -> st.SearchStrategy[Flow]:
    """``flow`` with drawn execute and revert durations (and task priorities): a new flow.

    Durations are whole numbers from 0 to ``max_duration``, so zero-length work and ties
    (completions due at the same time) are common. Every atom's ``duration`` and
    ``revert_duration`` are replaced, and with ``priorities`` every task's ``priority``.

    Parameters
    ----------
    flow
        Any flow. To draw from a strategy of flows: ``flows().flatmap(timings)``.
    max_duration
        The longest whole-number duration (0 makes everything instantaneous).
    per_call
        Sometimes draw a list of durations, one per call (the last repeats).
    distributions
        Sometimes draw a seeded distribution (:class:`~flowsim.Uniform`,
        :class:`~flowsim.Exponential`, :class:`~flowsim.LogNormal`); their durations are
        not whole numbers and differ with the scenario seed.
    priorities
        Draw task priorities (mostly 0; sometimes 1, -1 or 2).

    Shrinking: toward unit task durations, zero retry-controller durations (the model's
    defaults), single numbers rather than lists or distributions, and priority 0.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import flowsim as fs
    >>> flow = fs.UnorderedFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    >>> @settings(max_examples=20, database=None)
    ... @given(timings(flow, per_call=False))
    ... def test_makespan_is_the_longest_task(timed):
    ...     assert fs.simulate(timed).makespan == max(t.duration for t in timed.children)
    >>> test_makespan_is_the_longest_task()
    """
    _check_flow("timings", flow)
    cfg = _timing_config(
        "timings",
        max_duration=max_duration,
        per_call=per_call,
        distributions=distributions,
        priorities=priorities,
    )
    return _apply(flow, partial(_time, cfg))


@cache
def _distributions(high: int) -> st.SearchStrategy[Duration]:
    uniform = st.builds(
        lambda low, span: Uniform(low=low, high=low + span),
        st.integers(0, high),
        st.integers(0, high),
    )
    exponential = st.integers(0, high).map(lambda mean: Exponential(mean=mean))
    lognormal = st.sampled_from((0.25, 0.5, 1.0)).map(lambda s: LogNormal(mu=0.0, sigma=s))
    return st.one_of(uniform, exponential, lognormal)


def _draw_duration(draw: st.DrawFn, values: tuple[Any, ...], cfg: _TimingConfig) -> Duration:
    """One draw from ``values`` (whole numbers, then the markers of the complications
    switched on: a list of durations, one per call, or a distribution)."""
    value = draw(_pick(values))
    if value == _PER_CALL:
        return tuple(float(v) for v in draw(_per_call(values)))
    if value == _DISTRIBUTION:
        return draw(_distributions(cfg.max_duration))
    return float(value)


def _time(cfg: _TimingConfig, draw: st.DrawFn, atom: Task | Retry, _: bool) -> Task | Retry:
    """Durations (and a priority) for one atom (a hook, see ``_Hook``)."""
    values = cfg.task_values if isinstance(atom, Task) else cfg.retry_values
    changes: dict[str, Any] = {
        "duration": _draw_duration(draw, values, cfg),
        "revert_duration": _draw_duration(draw, values, cfg),
    }
    if cfg.priorities and isinstance(atom, Task):
        changes["priority"] = draw(_pick((0, 0, 0, 1, -1, 2)))
    return replace(atom, **changes)


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True, slots=True)
class _OptionConfig:
    workers: tuple[int | None, ...]
    strategies: tuple[Strategy, ...]
    defer_reverts: tuple[bool, ...]
    never_resolve: tuple[bool, ...]
    max_seed: int


def _worker_count(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError("expected None (unlimited) or a whole number >= 1")
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected True or False")
    return value


def scenarios(
    *,
    min_atoms: int = 1,
    max_atoms: int = 8,
    max_depth: int = 3,
    controllers: Iterable[type[Controller]] | None = None,
    links: bool = True,
    deciders: bool = True,
    data: bool = True,
    execute_failures: bool = True,
    revert_failures: bool = True,
    retry_failures: bool = True,
    always: bool = True,
    probabilities: bool = False,
    max_call: int = 3,
    max_duration: int = 3,
    per_call: bool = True,
    distributions: bool = False,
    priorities: bool = True,
    workers: Sequence[int | None] = (None, 1, 2, 3),
    strategies: Sequence[Strategy | str] = (Strategy.SMART, Strategy.STOP_THE_WORLD),
    defer_reverts: Sequence[bool] = (True, False),
    never_resolve: Sequence[bool] = (False, True),
    max_seed: int = 2**16 - 1,
) -> st.SearchStrategy[Scenario]:
    """Whole :class:`~flowsim.Scenario` s: a flow (as :func:`flows`, plus
    ``ParameterizedForEach`` and requirements only the store satisfies), its store, a
    failure plan (:func:`failure_plans`), timings (:func:`timings`) and options.

    ``fs.simulate(scenario)`` always returns (no exception, no event-budget overrun), and
    ``fs.scenario_from_dict(fs.scenario_to_dict(scenario))`` equals the scenario.

    Parameters
    ----------
    min_atoms, max_atoms, max_depth, controllers, links, deciders, data
        As for :func:`flows`; ``controllers`` defaults to every built-in controller.
    execute_failures, revert_failures, retry_failures, always, probabilities, max_call
        As for :func:`failure_plans`.
    max_duration, per_call, distributions, priorities
        As for :func:`timings`.
    workers, strategies, defer_reverts, never_resolve
        The option values to draw from; the first is what examples shrink to. Drawn
        uniformly, except ``never_resolve``, whose first value is drawn about seven times
        in eight (``never_resolve=True`` stops at the first failure, so it would
        otherwise hide half of the reverts).
    max_seed
        The seed is drawn from ``0..max_seed`` (it matters only with ``probabilities`` or
        ``distributions``).

    Shrinking: the flow as for :func:`flows`, :func:`failure_plans` and :func:`timings`,
    then unlimited workers, ``smart``, ``defer_reverts=True``, ``never_resolve=False``,
    seed 0.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import flowsim as fs
    >>> @settings(max_examples=30, database=None)
    ... @given(scenarios(max_atoms=5))
    ... def test_json_round_trip(scenario):
    ...     again = fs.scenario_from_dict(fs.scenario_to_dict(scenario))
    ...     assert fs.simulate(again).trace == fs.simulate(scenario).trace
    >>> test_json_round_trip()
    """
    fn = "scenarios"
    fcfg = _flow_config(
        fn,
        min_atoms=min_atoms,
        max_atoms=max_atoms,
        max_depth=max_depth,
        controllers=controllers,
        links=links,
        deciders=deciders,
        data=data,
        store=True,
    )
    pcfg = _plan_config(
        fn,
        execute_failures=execute_failures,
        revert_failures=revert_failures,
        retry_failures=retry_failures,
        always=always,
        probabilities=probabilities,
        max_call=max_call,
    )
    tcfg = _timing_config(
        fn,
        max_duration=max_duration,
        per_call=per_call,
        distributions=distributions,
        priorities=priorities,
    )
    ocfg = _OptionConfig(
        workers=_values(fn, "workers", workers, _worker_count),
        strategies=_values(fn, "strategies", strategies, Strategy),
        defer_reverts=_values(fn, "defer_reverts", defer_reverts, _boolean),
        never_resolve=_values(fn, "never_resolve", never_resolve, _boolean),
        max_seed=_whole(fn, "max_seed", max_seed, 0),
    )
    return _scenarios(fcfg, pcfg, tcfg, ocfg)


@st.composite
def _scenarios(
    draw: st.DrawFn,
    fcfg: _FlowConfig,
    pcfg: _PlanConfig,
    tcfg: _TimingConfig,
    ocfg: _OptionConfig,
) -> Scenario:
    # Options first: a fixed number of choices, which deleting atoms does not shift.
    never = ocfg.never_resolve
    options = Options(
        workers=draw(_pick(ocfg.workers)),
        strategy=draw(_pick(ocfg.strategies)),
        defer_reverts=draw(_pick(ocfg.defer_reverts)),
        never_resolve=never[-1] if len(never) > 1 and _chance(draw, 8) else never[0],
        seed=draw(_ints(0, ocfg.max_seed)),
    )
    flow, store = draw(_flows(fcfg, (partial(_plan, pcfg), partial(_time, tcfg))))
    return Scenario(flow=flow, options=options, store=store)
