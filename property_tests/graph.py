"""The execution graph of a flow, derived a second time straight from the model.

:mod:`flowsim.compile` builds entry and terminator nodes for every flow and flattens them
away afterwards. This module never builds a node that is not an atom: it places each item
of a flow after the set of atoms that directly precede it, and returns the set of atoms
that directly follow it (an empty flow lets its predecessors through). It reads only the
:mod:`flowsim.model` values and uses networkx for orders and closures, so that a compiler
bug (a wrong edge, a wrong scope, a retry linked to the wrong atoms, a decider on the
wrong atom) cannot hide behind the engine, the reference interpreter and the checker all
reading the same :class:`~flowsim.CompiledFlow`.

The rules, from ``taskflow-semantics.md`` section 2 and ``compile``'s docstring, worded
for atoms:

* A flow's retry controller follows whatever precedes the flow and precedes each child
  that no link inside the flow points to; without a controller those children follow
  whatever precedes the flow directly.
* A link ``u -> v`` between children makes every atom that ends ``u`` precede every atom
  that starts ``v``; the atoms that end a flow are those that end its children with no
  outgoing link (its controller, or what precedes it, when it has no children).
* A linear flow links each child to the next; a graph flow has its explicit links plus a
  link from each child that provides a value to each sibling that requires it (a nested
  flow provides what anything inside it provides, and requires what something inside it
  requires and nothing inside it provides).
* Compile order: a topological order of the atoms that breaks ties by declaration order
  (a flow's controller, then its children, depth first).
* A decider on a link ``u -> v`` applies to the atoms that start ``v``, found through
  nested flows' starts but not through an empty flow (TaskFlow walks back through flow
  entries only); its source is ``u`` when ``u`` is a task, else none.
* ``near[a]``: the tasks with a direct edge from ``a`` (no flow in between): a sibling task
  a task links to, or a task child of the flow ``a`` controls that nothing links to.

>>> from flowsim import LinearFlow, Retry, Task, Times, UnorderedFlow
>>> g = derive(LinearFlow(name="f", children=[
...     Task(name="a"),
...     UnorderedFlow(name="u", retry=Retry(name="r", controller=Times(attempts=2)),
...                   children=[Task(name="b"), Task(name="c")]),
...     Task(name="d")]))
>>> g.order
('a', 'r', 'b', 'c', 'd')
>>> sorted(g.edges)
[('a', 'r'), ('b', 'd'), ('c', 'd'), ('r', 'b'), ('r', 'c')]
>>> g.retry_of["b"], g.retry_of["r"], g.inside["r"]
('r', None, ('b', 'c'))
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

from flowsim.compile import CompiledFlow
from flowsim.model import Depth, Flow, GraphFlow, LinearFlow, Retry, Task

__all__ = ["Graph", "derive", "from_compiled"]


@dataclass(frozen=True)
class Graph:
    """A flow's atom graph, by atom name.

    ``deciders[a]`` lists ``(source or None, depth)`` sorted; ``near[a]`` and every other
    tuple of names are in compile order.
    """

    order: tuple[str, ...]
    edges: frozenset[tuple[str, str]]
    retry_of: dict[str, str | None]
    inside: dict[str, tuple[str, ...]]  # retry -> the other atoms of its flow
    scope: dict[str, tuple[str, ...]]  # retry -> the atoms forward-reachable from it
    near: dict[str, tuple[str, ...]]
    deciders: dict[str, tuple[tuple[str | None, str], ...]]


def _links(flow: Flow) -> list[tuple[str, str, bool, Depth]]:
    """``(source, target, decider, depth)`` for each link between ``flow``'s children."""
    names = [c.name for c in flow.children]
    if isinstance(flow, LinearFlow):
        return [(u, v, True, Depth.ALL) for u, v in itertools.pairwise(names)]
    if not isinstance(flow, GraphFlow):
        return []
    out = [(k.source, k.target, k.decider, k.depth) for k in flow.links]
    explicit = {(k.source, k.target) for k in flow.links}
    for v in flow.children:
        for u in flow.children:
            if u is not v and _provided(u) & _required(v) and (u.name, v.name) not in explicit:
                out.append((u.name, v.name, True, Depth.ALL))
    return out


def _atoms(item: Task | Flow) -> list[Task | Retry]:
    if isinstance(item, Task):
        return [item]
    head: list[Task | Retry] = [item.retry] if item.retry is not None else []
    return head + [a for child in item.children for a in _atoms(child)]


def _provided(item: Task | Flow) -> set[str]:
    return {value for atom in _atoms(item) for value in atom.provides}


def _required(item: Task | Flow) -> set[str]:
    return {value for atom in _atoms(item) for value in atom.requires} - _provided(item)


def _declared(item: Task | Flow) -> list[str]:
    """Atom names in declaration order: a flow's controller, then its children, depth first."""
    return [atom.name for atom in _atoms(item)]


class _Deriver:
    def __init__(self) -> None:
        self.edges: set[tuple[str, str]] = set()
        self.retry_of: dict[str, str | None] = {}
        self.inside: dict[str, list[str]] = {}
        self.near: dict[str, set[str]] = {}
        self.deciders: dict[str, list[tuple[str | None, str]]] = {}

    def atom(self, name: str, before: set[str], retry: str | None) -> None:
        self.edges.update((p, name) for p in before)
        self.retry_of[name] = retry
        self.near.setdefault(name, set())
        self.deciders.setdefault(name, [])

    def place(self, item: Task | Flow, before: set[str], retry: str | None) -> set[str]:
        """Place ``item`` after the atoms ``before``; return the atoms that end it."""
        if isinstance(item, Task):
            self.atom(item.name, before, retry)
            return {item.name}
        start = before
        if item.retry is not None:
            r = item.retry.name
            self.atom(r, before, retry)
            self.inside[r] = _declared(item)[1:]
            start, retry = {r}, r
        links = _links(item)
        by_name = {c.name: c for c in item.children}
        into: dict[str, list[str]] = {}
        for u, v, decider, depth in links:
            into.setdefault(v, []).append(u)
            if isinstance(by_name[u], Task) and isinstance(by_name[v], Task):
                self.near.setdefault(u, set()).add(v)
            if not decider:
                source = u if isinstance(by_name[u], Task) else None
                for a in _starts(by_name[v]):
                    self.deciders.setdefault(a, []).append((source, depth.value))
        children: nx.DiGraph[str] = nx.DiGraph()
        children.add_nodes_from(by_name)
        children.add_edges_from((u, v) for u, v, _, _ in links)
        ends: dict[str, set[str]] = {}
        for name in nx.topological_sort(children):
            pre = set().union(*(ends[u] for u in into[name])) if name in into else start
            ends[name] = self.place(by_name[name], pre, retry)
        if item.retry is not None:
            self.near.setdefault(item.retry.name, set()).update(
                {c.name for c in item.children if isinstance(c, Task) and c.name not in into}
            )
        if not item.children:
            return start
        sources = {u for u, _, _, _ in links}
        return set().union(*(ends[c] for c in by_name if c not in sources))


def _starts(item: Task | Flow) -> list[str]:
    """The atoms a link into ``item`` reaches through flow starts only."""
    if isinstance(item, Task):
        return [item.name]
    if item.retry is not None:
        return [item.retry.name]
    linked_to = {v for _, v, _, _ in _links(item)}
    out: list[str] = []
    for child in item.children:
        if child.name not in linked_to:
            out.extend(_starts(child))
    return out


def derive(flow: Flow) -> Graph:
    """The atom graph of ``flow``, derived from the model alone (see the module docstring)."""
    d = _Deriver()
    d.place(flow, set(), None)
    declared = _declared(flow)
    rank = {name: i for i, name in enumerate(declared)}
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_nodes_from(declared)
    g.add_edges_from(d.edges)
    order = tuple(nx.lexicographical_topological_sort(g, key=rank.__getitem__))
    pos = {name: i for i, name in enumerate(order)}

    def sort(names: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(names, key=pos.__getitem__))

    return Graph(
        order=order,
        edges=frozenset(d.edges),
        retry_of=d.retry_of,
        inside={r: sort(a) for r, a in d.inside.items()},
        scope={r: sort(nx.descendants(g, r)) for r in d.inside},
        near={a: sort(s) for a, s in d.near.items()},
        deciders={
            a: tuple(sorted(v, key=lambda x: (x[0] or "", x[1]))) for a, v in d.deciders.items()
        },
    )


def from_compiled(c: CompiledFlow) -> Graph:
    """The same facts read from a compiled flow, to compare with :func:`derive`."""
    names = c.names
    retries = [i for i in range(len(names)) if c.is_retry[i]]
    return Graph(
        order=names,
        edges=frozenset((names[i], names[j]) for i, ss in enumerate(c.succs) for j in ss),
        retry_of={names[i]: names[r] if r >= 0 else None for i, r in enumerate(c.retry_of)},
        inside={names[r]: tuple(names[a] for a in c.inside[r]) for r in retries},
        scope={names[r]: tuple(names[a] for a in c.reachable(r)) for r in retries},
        near={names[i]: tuple(names[j] for j in ss) for i, ss in enumerate(c.near_succs)},
        deciders={
            names[i]: tuple(
                sorted(
                    ((names[d.source] if d.source >= 0 else None, d.depth.value) for d in ds),
                    key=lambda x: (x[0] or "", x[1]),
                )
            )
            for i, ds in enumerate(c.deciders)
        },
    )
