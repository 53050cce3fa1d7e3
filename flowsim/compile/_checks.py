"""Compile-time checks of a flow: names, links, cycles, requirements and store values.

Each check raises one :class:`~flowsim.CompileError` that names the flow or atom, says what
is wrong and what was expected. :mod:`flowsim.compile` calls them while it builds the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from flowsim.errors import CompileError
from flowsim.model import Atom, Flow, GraphFlow, Link, Retry, Task, walk
from flowsim.retries import Controller, ParameterizedForEach


def _fail(message: str, node: str) -> CompileError:
    return CompileError(message, node=node)


def check_names(flow: Flow) -> dict[str, str]:
    """Raise a CompileError for a name used twice; return, for every item inside ``flow``,
    the name of the flow that holds it (for error messages)."""
    container: dict[str, str] = {}
    seen: dict[str, str] = {}
    for item in walk(flow):
        if isinstance(item, Task | Retry):
            kind = "task" if isinstance(item, Task) else "retry controller"
        else:
            kind = f"{item.pattern} flow"
            for child in item.children:
                container[child.name] = item.name
            if item.retry is not None:
                container[item.retry.name] = item.name
        if item.name in seen:
            raise _fail(
                f"duplicate name {item.name!r}: used by a {seen[item.name]} and a {kind}; "
                "every task, retry controller and flow needs its own name",
                item.name,
            )
        seen[item.name] = kind
    return container


def bad_link(
    flow: GraphFlow, link: Link, children: set[str], container: Mapping[str, str]
) -> NoReturn:
    """Raise the CompileError that says what is wrong with ``link``."""
    for end in (link.source, link.target):
        if end in children:
            continue
        where = container.get(end)
        if where is not None:
            raise _fail(
                f"graph flow {flow.name!r}: link {link.source!r} -> {link.target!r}: "
                f"{end!r} is not a direct child of {flow.name!r} (it is in flow "
                f"{where!r}); links may only join direct children, so link the "
                "child flow that holds it",
                flow.name,
            )
        raise _fail(
            f"graph flow {flow.name!r}: link {link.source!r} -> {link.target!r}: no "
            f"child named {end!r}; its children are {sorted(children)}",
            flow.name,
        )
    raise _fail(  # both ends are children: the same one
        f"graph flow {flow.name!r}: link {link.source!r} -> {link.target!r} "
        "joins a child to itself",
        flow.name,
    )


def _acyclic(names: list[str], edges: list[tuple[str, str]]) -> bool:
    """Whether the graph has no cycle (Kahn's algorithm)."""
    number = {name: k for k, name in enumerate(names)}
    if all(number[u] < number[v] for u, v in edges):
        return True  # declaration order is a topological order: the common case, first
    succ: list[list[int]] = [[] for _ in names]
    indeg = [0] * len(names)
    for u, v in edges:
        k = number[v]
        succ[number[u]].append(k)
        indeg[k] += 1
    stack = [k for k, d in enumerate(indeg) if not d]
    done = 0
    while stack:
        done += 1
        for k in succ[stack.pop()]:
            indeg[k] -= 1
            if not indeg[k]:
                stack.append(k)
    return done == len(names)


def check_acyclic(flow: str, names: list[str], edges: list[tuple[str, str]]) -> None:
    """Raise a CompileError that shows a cycle of graph flow ``flow``, if it has one."""
    if _acyclic(names, edges):
        return  # the common case, first; else find a cycle to show
    succ: dict[str, list[str]] = {n: [] for n in names}
    for u, v in edges:
        succ[u].append(v)
    color = dict.fromkeys(names, 0)
    for start in names:
        if color[start]:
            continue
        path = [start]
        iters = [iter(succ[start])]
        color[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                color[path.pop()] = 2
                iters.pop()
            elif color[nxt] == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                raise _fail(
                    f"graph flow {flow!r} has a cycle: {' -> '.join(map(repr, cycle))} "
                    "(from explicit links and requires/provides)",
                    flow,
                )
            elif color[nxt] == 0:
                color[nxt] = 1
                path.append(nxt)
                iters.append(iter(succ[nxt]))


def bind_controller(atom: Atom, store: Mapping[str, Any]) -> Controller | None:
    """The atom's retry controller, with its store values bound; None for a task."""
    if isinstance(atom, Task):
        return None
    c = atom.controller
    if isinstance(c, ParameterizedForEach):
        if c.values_from not in store:
            raise CompileError(
                f"retry {atom.name!r}: ParameterizedForEach takes its values from store key "
                f"{c.values_from!r}, which the store does not hold (store keys: "
                f"{sorted(store)})",
                node=atom.name,
            )
        values = store[c.values_from]
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise CompileError(
                f"retry {atom.name!r}: store key {c.values_from!r} must hold a list of values, "
                f"got {values!r}",
                node=atom.name,
            )
        return c.bind(list(values))
    return c


def check_requires(
    atoms: tuple[Atom, ...], preds: tuple[tuple[int, ...], ...], store: Mapping[str, Any]
) -> None:
    """Raise a CompileError for a requirement that neither the store nor an atom that runs
    before provides."""
    providers: dict[str, list[int]] = {}
    for i, a in enumerate(atoms):
        for value in a.provides:
            providers.setdefault(value, []).append(i)
    for i, a in enumerate(atoms):
        missing = [r for r in a.requires if r not in store]
        if not missing:
            continue
        ancestors: set[int] = set()
        stack = list(preds[i])
        while stack:
            p = stack.pop()
            if p not in ancestors:
                ancestors.add(p)
                stack.extend(preds[p])
        for value in missing:
            if any(p in ancestors for p in providers.get(value, ())):
                continue
            elsewhere = [atoms[p].name for p in providers.get(value, ()) if p != i]
            hint = (
                f"; {elsewhere} provide it but do not run before {a.name!r}"
                if elsewhere
                else "; add a task that provides it, or a store value"
            )
            kind = "task" if isinstance(a, Task) else "retry"
            raise CompileError(
                f"{kind} {a.name!r} requires {value!r}, which nothing before it provides "
                f"and the store does not hold{hint}",
                node=a.name,
            )
