"""Compile a flow into one immutable execution graph (TaskFlow's compiler, flattened).

The compiler follows ``taskflow-semantics.md`` section 2. Every flow gets an entry node
and a terminator node; the flow's retry controller (if any) follows the entry and precedes
every child that nothing inside the flow links to; children that link to nothing inside
the flow precede the terminator; a link ``u -> v`` joins u's terminator (or u, for a task)
to v's entry (or v). So an atom placed after a subflow waits for the whole subflow.

Entry and terminator nodes do nothing at run time, so the compiled graph keeps atoms only:
an atom's predecessors are the atoms reachable backwards through entry and terminator
nodes. Most flows are compiled straight to that atom graph (:class:`_FlatBuilder`: each
flow's first and last atoms stand for its entry and terminator); the node graph
(:class:`_Builder`) is built only when a decider (whose walk reads entry nodes) or a flow
with neither children nor a retry (which joins its entry to its terminator) needs it.
``property_tests/test_compile_paths.py`` checks that both give the same compiled flow; the
direct way takes about a quarter less time at 100,000 tasks.

The order of atoms is a topological order that breaks ties by declaration order (a flow's
retry, then its children, depth first); it is the engine's "compile order".

The checks that reject a flow (duplicate names, bad links, cycles, missing requirements and
store values) are in ``_checks.py``. They run where their facts first exist rather than in
one pass before building: names before anything, each graph flow's links (ends, cycles)
while its children are wired, retry parameters and requirements once the flattened graph
gives every atom its predecessors. A separate first pass would have to build that graph
twice (or check requirements without it), so compile stays one walk that checks as it
builds.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from flowsim._gc import gc_paused
from flowsim.errors import CompileError, missing
from flowsim.model import Atom, Depth, Flow, GraphFlow, LinearFlow, Link, Task, UnorderedFlow
from flowsim.retries import Controller

from . import _checks, _display

__all__ = ["CompiledFlow", "Decider", "Scope", "compile", "inferred_links"]

_DEPTH_WIDTH = {Depth.ATOM: 0, Depth.NEIGHBORS: 1, Depth.FLOW: 2, Depth.ALL: 3}


@dataclass(frozen=True, slots=True)
class Decider:
    """A static edge decider that says no (``Link(decider=False)``), applied to an atom when
    it becomes ready; links whose decider says yes are not recorded.

    ``source`` is the link's source: an atom index, or -1 when the source is a subflow
    (a decider whose source atom is IGNORE does not vote, as in TaskFlow).
    """

    source: int
    depth: Depth


@dataclass(frozen=True, slots=True)
class Scope:
    """A flow in the compiled hierarchy: its pattern, retry controller and contents."""

    name: str
    pattern: str
    retry: str | None
    children: tuple[Scope | str, ...]  # nested scopes and task names, in declaration order
    atoms: tuple[str, ...]  # every atom inside, nested ones included, in compile order


@dataclass(frozen=True, slots=True, eq=False)
class CompiledFlow:
    """A flow compiled for the engine: atoms in compile order and their dependencies.

    Atoms are numbered by their position in ``names``; ``preds``/``succs`` hold those
    numbers in increasing order. ``retry_of[i]`` is the innermost retry controller of atom
    ``i`` (for a retry controller: its parent's), or -1. ``inside[r]`` lists, for retry
    controller ``r``, the other atoms of its flow (nested ones included), in compile order;
    its scope (:meth:`reachable`) is these plus the atoms that run after its flow.
    """

    name: str
    flow: Flow
    store: Mapping[str, Any]
    atoms: tuple[Atom, ...]
    names: tuple[str, ...]
    index: Mapping[str, int]
    is_retry: tuple[bool, ...]
    controllers: tuple[Controller | None, ...]
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    near_succs: tuple[tuple[int, ...], ...]  # direct task successors (decider depths)
    retry_of: tuple[int, ...]
    deciders: tuple[tuple[Decider, ...], ...]
    flow_of: tuple[str, ...]  # the name of the flow each atom is declared in
    root: Scope
    inside: tuple[tuple[int, ...], ...]

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        """One line, whatever the flow's size: its name and counts.

        >>> from flowsim import LinearFlow, Task
        >>> compile(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")]))
        <CompiledFlow 'f': 2 atoms (2 tasks, 0 retry controllers), 1 flow, 1 edge>
        """
        return _display.compiled_repr(self)

    def _repr_html_(self) -> str:
        """A notebook's summary (text only; :mod:`flowsim.plot` adds the graph)."""
        return _display.compiled_html(self)

    def descendants(self, name: str) -> tuple[str, ...]:
        """Names of the atoms forward-reachable from ``name``, in compile order."""
        return tuple(self.names[i] for i in self.reachable(self.index[name]))

    def reachable(self, start: int) -> list[int]:
        """Indices of the atoms forward-reachable from atom ``start`` (not itself), sorted."""
        seen = {start}
        stack = [start]
        succs = self.succs
        while stack:
            for s in succs[stack.pop()]:
                if s not in seen:
                    seen.add(s)
                    stack.append(s)
        seen.discard(start)
        return sorted(seen)

    def to_networkx(self) -> Any:
        """The atom graph as a :class:`networkx.DiGraph` (nodes carry ``kind`` and
        ``flow``)."""
        try:
            import networkx as nx
        except ModuleNotFoundError as exc:
            raise missing(exc, what="CompiledFlow.to_networkx", extra="plot") from None

        g: nx.DiGraph[str] = nx.DiGraph(name=self.name)
        for i, name in enumerate(self.names):
            g.add_node(name, kind="retry" if self.is_retry[i] else "task", flow=self.flow_of[i])
        for i, succ in enumerate(self.succs):
            g.add_edges_from((self.names[i], self.names[j]) for j in succ)
        return g


class _Builder:
    """Builds the full node graph (atoms, entries, terminators), then flattens it."""

    def __init__(self, flow: Flow, container: Mapping[str, str]) -> None:
        self.atoms: list[Atom] = []  # declaration order
        self.atom_id: dict[str, int] = {}
        self.flow_of: list[str] = []
        self.retry_of: list[int] = []
        self.n_nodes = 0
        self.succ: list[list[int]] = []
        # predecessors, kept only for the decider walk (when some link has a decider)
        self.pred: list[list[int]] | None = [] if _has_deciders(flow) else None
        self.noop: list[bool] = []
        self.edge_decider: dict[tuple[int, int], Link] = {}
        self.container = container  # item name -> name of the flow holding it
        self.entries: set[int] = set()
        self.memo: dict[int, tuple[int, ...]] = {}
        self.node_to_decl: list[int] = []  # node id -> atom declaration index, or -1

    # -- nodes and edges
    def node(self, noop: bool) -> int:
        self.succ.append([])
        if self.pred is not None:
            self.pred.append([])
        self.noop.append(noop)
        self.n_nodes += 1
        return self.n_nodes - 1

    def edge(self, u: int, v: int, link: Link | None = None) -> None:
        # never twice the same edge: links_of gives each (u, v) once, and the edges from a
        # flow's head and to its terminator join distinct children
        self.succ[u].append(v)
        if self.pred is not None:
            self.pred[v].append(u)
        if link is not None and not link.decider:
            self.edge_decider[(u, v)] = link

    # -- the graph
    def compile_flow(self, flow: Flow, retry: int) -> tuple[int, int]:
        """Add ``flow``'s nodes; return its (entry, terminator) node ids."""
        entry = self.node(noop=True)
        end = self.node(noop=True)
        self.entries.add(entry)
        head = entry
        inner_retry = retry
        if flow.retry is not None:
            r = self.add_atom(flow.retry, flow.name, retry)
            self.edge(entry, r)
            head = r
            inner_retry = r
        ends: dict[str, tuple[int, int]] = {}
        for child in flow.children:
            if isinstance(child, Task):
                a = self.add_atom(child, flow.name, inner_retry)
                ends[child.name] = (a, a)
            else:
                ends[child.name] = self.compile_flow(child, inner_retry)
        links = self.links_of(flow)
        has_in = {v for _, v in links}
        has_out = {u for u, _ in links}
        edge = self.edge
        for (u, v), link in links.items():
            edge(ends[u][1], ends[v][0], link)
        del links
        for child in flow.children:
            first, last = ends[child.name]
            if child.name not in has_in:
                edge(head, first)
            if child.name not in has_out:
                edge(last, end)
        if not flow.children:
            self.edge(head, end)
        return entry, end

    def atoms_after(self, node: int) -> tuple[int, ...]:
        """The atom nodes reachable from ``node`` through no-op nodes only (memoised)."""
        memo = self.memo
        if node in memo:
            return memo[node]
        succ, noop = self.succ[node], self.noop
        if not any(map(noop.__getitem__, succ)):  # only atoms follow (each once): common
            memo[node] = tuple(succ)
            return memo[node]
        acc: dict[int, dict[int, None]] = {node: {}}
        stack = [(node, iter(self.succ[node]))]
        while stack:
            cur, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                memo[cur] = tuple(acc.pop(cur))
                if stack:
                    acc[stack[-1][0]].update(dict.fromkeys(memo[cur]))
            elif not self.noop[nxt]:
                acc[cur][nxt] = None
            elif nxt in memo:
                acc[cur].update(dict.fromkeys(memo[nxt]))
            else:
                acc[nxt] = {}
                stack.append((nxt, iter(self.succ[nxt])))
        return memo[node]

    def add_atom(self, atom: Atom, flow_name: str, retry: int) -> int:
        i = self.node(noop=False)
        self.atom_id[atom.name] = i
        self.atoms.append(atom)
        self.flow_of.append(flow_name)
        self.retry_of.append(retry)
        return i

    def links_of(self, flow: Flow) -> dict[tuple[str, str], Link | None]:
        return _links_of(flow, self.container)

    def flatten(self) -> tuple[list[list[int]], list[list[int]], list[int]]:
        """Per atom in declaration order: its successor atoms (reachable through no-op
        nodes), its direct task successors, and its retry controller (or -1)."""
        atom_nodes = [self.atom_id[a.name] for a in self.atoms]
        node_to_decl = [-1] * self.n_nodes
        for d, node in enumerate(atom_nodes):
            node_to_decl[node] = d
        succ = [[node_to_decl[s] for s in self.atoms_after(node)] for node in atom_nodes]
        self.memo.clear()  # (intermediate structures are dropped as soon as they are used:
        # at 100,000 atoms they would double compile's peak memory)
        noop = self.noop
        near = [[node_to_decl[s] for s in self.succ[node] if not noop[s]] for node in atom_nodes]
        retry_of = [-1 if r < 0 else node_to_decl[r] for r in self.retry_of]
        self.node_to_decl = node_to_decl  # (for the deciders)
        return succ, near, retry_of


class _FlatBuilder:
    """Builds the flattened atom graph directly, without entry and terminator nodes: the
    same graph as :class:`_Builder`'s, for flows without deciders and without a flow that
    has neither children nor a retry controller (such a flow passes its predecessors
    through to its successors, which only the node graph says simply).

    Each flow returns its heads (the atoms its entry leads to: its retry, else the heads
    of its children that nothing inside the flow links to) and its tails (the atoms that
    lead to its terminator: the tails of its children that link to nothing inside it). A
    link ``u -> v`` makes every tail of u a predecessor of every head of v; the tails of
    a flow get their successors where that flow is linked, so each pair once.
    """

    def __init__(self, container: Mapping[str, str]) -> None:
        self.atoms: list[Atom] = []  # declaration order
        self.flow_of: list[str] = []
        self.retry_of: list[int] = []
        self.succ: list[list[int]] = []
        self.near: list[list[int]] = []  # direct task successors
        self.container = container

    def add_atom(self, atom: Atom, flow_name: str, retry: int) -> int:
        self.atoms.append(atom)
        self.flow_of.append(flow_name)
        self.retry_of.append(retry)
        self.succ.append([])
        self.near.append([])
        return len(self.atoms) - 1

    def compile_flow(self, flow: Flow, retry: int) -> tuple[list[int], list[int]]:
        """Add ``flow``'s atoms; return its (heads, tails)."""
        r = inner_retry = retry
        if flow.retry is not None:
            r = inner_retry = self.add_atom(flow.retry, flow.name, retry)
        ends: dict[str, tuple[list[int], list[int], bool]] = {}  # (heads, tails, is a task)
        for child in flow.children:
            if isinstance(child, Task):
                one = [self.add_atom(child, flow.name, inner_retry)]
                ends[child.name] = (one, one, True)
            else:
                ends[child.name] = (*self.compile_flow(child, inner_retry), False)
        links = _links_of(flow, self.container)
        has_in = {v for _, v in links}
        has_out = {u for u, _ in links}
        succ, near = self.succ, self.near
        for u, v in links:
            heads, _, v_task = ends[v]
            _, tails, u_task = ends[u]
            for a in tails:
                succ[a] += heads
            if u_task and v_task:  # the node graph's edge joins two atoms
                near[tails[0]].append(heads[0])
        del links
        heads, tails = [], []
        for child in flow.children:
            first, last, task = ends[child.name]
            if child.name not in has_in:
                heads += first
                if task and flow.retry is not None:
                    near[r].append(first[0])
            if child.name not in has_out:
                tails += last
        if flow.retry is None:
            return heads, tails
        succ[r] += heads
        return [r], tails if flow.children else [r]


def _links_of(flow: Flow, container: Mapping[str, str]) -> dict[tuple[str, str], Link | None]:
    """The links between ``flow``'s children (with their Link, if explicit)."""
    names = [c.name for c in flow.children]
    if isinstance(flow, LinearFlow):
        return dict.fromkeys(itertools.pairwise(names))
    if not isinstance(flow, GraphFlow):
        return {}
    children = set(names)
    out: dict[tuple[str, str], Link | None] = {}
    for link in flow.links:
        u, v = link.source, link.target
        if u not in children or v not in children or u == v:
            _checks.bad_link(flow, link, children, container)
        out[(u, v)] = link
    for pair in inferred_links(flow):
        out.setdefault(pair, None)
    _checks.check_acyclic(flow.name, names, list(out))
    return out


def _needs_nodes(flow: Flow) -> bool:
    """Whether ``flow`` needs :class:`_Builder`'s node graph: a link of it or of a flow
    inside it has a decider, or a flow inside it has neither children nor a retry."""
    if not flow.children:
        return flow.retry is None
    if isinstance(flow, GraphFlow) and not all(link.decider for link in flow.links):
        return True
    return any(_needs_nodes(c) for c in flow.children if not isinstance(c, Task))


def _has_deciders(flow: Flow) -> bool:
    """Whether a link of ``flow`` or of a flow inside it has a decider."""
    if isinstance(flow, GraphFlow) and not all(link.decider for link in flow.links):
        return True
    return any(_has_deciders(c) for c in flow.children if not isinstance(c, Task))


def inferred_links(flow: GraphFlow) -> dict[tuple[str, str], str]:
    """The links :func:`compile` infers between ``flow``'s children from
    ``requires``/``provides``: ``(provider, requirer)`` -> the first value (sorted) that
    makes it (every child that provides a value a sibling requires is linked before it).

    >>> from flowsim import GraphFlow, Task
    >>> inferred_links(GraphFlow(name="g", children=[
    ...     Task(name="a", provides=["x"]), Task(name="b", requires=["x"])]))
    {('a', 'b'): 'x'}
    """
    providers: dict[str, list[str]] = {}
    for child in flow.children:
        if isinstance(child, Task) and not child.provides:
            continue  # the common case, first
        for value in sorted(_provides(child)):
            providers.setdefault(value, []).append(child.name)
    out: dict[tuple[str, str], str] = {}
    for child in flow.children if providers else ():
        for value in sorted(_requires(child)):
            for other in providers.get(value, ()):
                if other != child.name:
                    out.setdefault((other, child.name), value)
    return out


def _provides(item: Task | Flow) -> set[str]:
    if isinstance(item, Task):
        return set(item.provides)
    out = set(item.retry.provides) if item.retry is not None else set()
    for child in item.children:
        out |= _provides(child)
    return out


def _requires(item: Task | Flow) -> set[str]:
    if isinstance(item, Task):
        return set(item.requires)
    out = set(item.retry.requires) if item.retry is not None else set()
    for child in item.children:
        out |= _requires(child)
    return out - _provides(item)


def compile(flow: Flow, *, store: Mapping[str, Any] | None = None) -> CompiledFlow:
    """Compile ``flow`` (with ``store`` values for requirements) into a :class:`CompiledFlow`.

    Raises :class:`~flowsim.CompileError` for duplicate names, cycles, unknown link ends,
    links into nested flows, requirements nothing upstream provides, and
    :class:`~flowsim.ParameterizedForEach` keys missing from the store.

    >>> from flowsim import LinearFlow, Task
    >>> c = compile(LinearFlow(name="f", children=[Task(name="b"), Task(name="a")]))
    >>> c.names, c.preds
    (('b', 'a'), ((), (0,)))
    """
    if not isinstance(flow, LinearFlow | UnorderedFlow | GraphFlow):
        raise CompileError(
            f"compile() takes a flow (LinearFlow, UnorderedFlow or GraphFlow), got {flow!r}"
        )
    with gc_paused():
        return _compile(flow, dict(store or {}))


def _compile(flow: Flow, store: dict[str, Any], *, nodes: bool = False) -> CompiledFlow:
    """Compile ``flow``; ``nodes``: through the node graph even when it is not needed (the
    tests compare both ways)."""
    container = _checks.check_names(flow)
    b: _Builder | _FlatBuilder
    if nodes or _needs_nodes(flow):
        b = _Builder(flow, container)
        b.compile_flow(flow, -1)
        succ_decl, near_decl, retry_decl = b.flatten()
    else:
        b = _FlatBuilder(container)
        b.compile_flow(flow, -1)
        succ_decl, near_decl, retry_decl = b.succ, b.near, b.retry_of
    n_decl = len(b.atoms)
    indeg = [0] * n_decl
    heap: list[int] = []
    order: list[int] = []
    if all(d < s for d in range(n_decl) for s in succ_decl[d]):
        order = list(range(n_decl))  # declaration order is topological: the loop would keep it
    else:
        for d in range(n_decl):
            for s in succ_decl[d]:
                indeg[s] += 1
        heap = [d for d in range(n_decl) if indeg[d] == 0]
    while heap:
        d = heapq.heappop(heap)
        order.append(d)
        for s in succ_decl[d]:
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(heap, s)
    if len(order) != n_decl:  # cannot happen when every graph flow is acyclic
        stuck = sorted(b.atoms[d].name for d in range(n_decl) if indeg[d] > 0)
        raise CompileError(f"the flow has a cycle through {stuck}")
    pos = [0] * n_decl
    for p, d in enumerate(order):
        pos[d] = p

    atoms = tuple(b.atoms[d] for d in order)
    names = tuple(a.name for a in atoms)
    index = {name: i for i, name in enumerate(names)}
    succs = tuple(tuple(sorted([pos[s] for s in succ_decl[d]])) for d in order)
    del succ_decl, indeg
    pred_lists: list[list[int]] = [[] for _ in order]
    for i, ss in enumerate(succs):
        for s in ss:
            pred_lists[s].append(i)
    preds = tuple(tuple(p) for p in pred_lists)
    del pred_lists
    is_task = tuple(isinstance(a, Task) for a in atoms)
    near = tuple(tuple(sorted([pos[s] for s in near_decl[d] if is_task[pos[s]]])) for d in order)
    del near_decl
    retry_of = tuple(-1 if retry_decl[d] < 0 else pos[retry_decl[d]] for d in order)
    deciders: tuple[tuple[Decider, ...], ...] = ((),) * len(order)
    if isinstance(b, _Builder) and b.edge_decider:
        deciders = _deciders(b, order, pos, b.node_to_decl)
    controllers = tuple(_checks.bind_controller(a, store) for a in atoms)
    _checks.check_requires(atoms, preds, store)
    root = _scope(flow, index)
    inside: list[tuple[int, ...]] = [()] * len(atoms)
    scopes = [root]
    while scopes:
        sc = scopes.pop()
        if sc.retry is not None:
            r = index[sc.retry]
            inside[r] = tuple(index[a] for a in sc.atoms if a != sc.retry)
        scopes.extend(ch for ch in sc.children if isinstance(ch, Scope))
    return CompiledFlow(
        name=flow.name,
        flow=flow,
        store=MappingProxyType(store),
        atoms=atoms,
        names=names,
        index=MappingProxyType(index),
        is_retry=tuple(not t for t in is_task),
        controllers=controllers,
        preds=preds,
        succs=succs,
        near_succs=near,
        retry_of=retry_of,
        deciders=deciders,
        flow_of=tuple(b.flow_of[d] for d in order),
        root=root,
        inside=tuple(inside),
    )


def _deciders(
    b: _Builder, order: list[int], pos: list[int], node_to_decl: list[int]
) -> tuple[tuple[Decider, ...], ...]:
    """TaskFlow's ``_walk_edge_deciders``: deciders on edges into the atom, and on edges
    into the entry nodes of the flows it starts (walking back through entry nodes)."""
    out: list[tuple[Decider, ...]] = []
    for d in order:
        atom = b.atom_id[b.atoms[d].name]
        found: list[Decider] = []
        assert b.pred is not None  # kept when a link has a decider
        queue = [(u, atom) for u in b.pred[atom]]
        visited: set[int] = set()
        while queue:
            u, v = queue.pop(0)
            link = b.edge_decider.get((u, v))
            if link is not None:
                src = pos[node_to_decl[u]] if not b.noop[u] else -1
                found.append(Decider(source=src, depth=link.depth))
            # walk back through flow entry nodes only (not atoms, not terminators)
            if u in b.entries and u not in visited:
                visited.add(u)
                queue.extend((uu, u) for uu in b.pred[u])
        out.append(tuple(found))
    return tuple(out)


def _scope(flow: Flow, index: Mapping[str, int]) -> Scope:
    children: list[Scope | str] = []
    atoms: list[str] = []
    if flow.retry is not None:
        atoms.append(flow.retry.name)
    for child in flow.children:
        if isinstance(child, Task):
            children.append(child.name)
            atoms.append(child.name)
        else:
            sub = _scope(child, index)
            children.append(sub)
            atoms.extend(sub.atoms)
    return Scope(
        name=flow.name,
        pattern=flow.pattern,
        retry=flow.retry.name if flow.retry is not None else None,
        children=tuple(children),
        atoms=tuple(sorted(atoms, key=index.__getitem__)),
    )
