"""``flows()``: random nested flows, drawn depth first by ``_Builder``, with their
``requires``/``provides``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from flowsim.compile import compile as compile_flow
from flowsim.model import Flow, GraphFlow, LinearFlow, Link, Retry, Task, UnorderedFlow
from flowsim.retries import Controller, ForEach, ParameterizedForEach, Times

from ._atoms import _BOUNDED, _Hook, _map_atoms
from ._dags import _dag_edges
from ._draws import _BOOLEANS, _chance, _ints, _permutations, _pick, _span
from ._validation import _controllers, _flag, _order, _whole

_PATTERNS = ("linear", "unordered", "graph")


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

    Notes
    -----
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
