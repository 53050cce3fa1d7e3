"""From a real TaskFlow flow to a flowsim scenario (private; see :mod:`flowsim.taskflow`).

What is read, and from where
----------------------------
Everything comes from the TaskFlow objects themselves: a flow's pattern, name, retry
controller and children (a graph flow's children in the order they were added); a graph
flow's links with their metadata (``manual``, ``decider``, ``decider_depth``); an atom's
``name``, ``priority``, ``requires`` (storage names, after ``rebind``) and ``provides``;
a built-in retry controller's parameters. The links TaskFlow inferred from
requires/provides are compared with the ones flowsim infers, and the result is checked
against TaskFlow's own compiler (``taskflow.engines.action_engine.compiler``): every
atom has the same successors and the same innermost retry controller in both, or the
conversion fails. Durations and injected failures are not in a TaskFlow flow: the caller
gives them (flowsim's defaults otherwise), except for the tasks of a flow built by
``to_taskflow``, which carry the scenario's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowsim.compile import CompiledFlow, compile, inferred_links
from flowsim.errors import FlowsimError, ModelError
from flowsim.model import (
    Depth,
    Flow,
    GraphFlow,
    LinearFlow,
    Link,
    Options,
    Retry,
    Scenario,
    Task,
    UnorderedFlow,
)
from flowsim.retries import (
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    ParameterizedForEach,
    Times,
)

from ._common import (
    DEPTHS,
    TaskFlowController,
    decider_answer,
    graph_flow,
    linear_flow,
    tf_flow,
    tf_retry,
    tf_task,
    unordered_flow,
)

__all__ = ["from_taskflow"]

_TIMING_KEYS = ("duration", "revert_duration")
_FAILURE_KEYS = ("fails_on", "revert_fails_on", "fail_probability")


def _children(flow: Any) -> list[Any]:
    """A flow's children; a graph flow's in the order they were added (TaskFlow iterates
    them in a topological order, which would lose the declaration order)."""
    items = list(flow)
    graph = getattr(flow, "_graph", None)
    if isinstance(flow, graph_flow.Flow) and graph is not None:
        rank = {node: i for i, node in enumerate(graph.nodes)}
        items.sort(key=lambda node: rank.get(node, len(rank)))
    return items


class _Converter:
    def __init__(
        self,
        store: Mapping[str, Any],
        durations: Mapping[str, Any],
        failures: Mapping[str, Any],
    ) -> None:
        self.store = store
        self.durations = durations
        self.failures = failures
        self.seen: dict[str, str] = {}  # name -> what it names ("task", "flow", ...)

    def name(self, what: str, name: object) -> str:
        if not isinstance(name, str) or not name:
            raise ModelError(f"{what} {name!r}: flowsim needs a non-empty name")
        if name in self.seen:
            raise ModelError(
                f"{what} {name!r}: the name is taken by a {self.seen[name]}; flowsim needs "
                "unique names across tasks, retry controllers and flows (TaskFlow checks "
                "atoms only): rename one of them"
            )
        self.seen[name] = what
        return name

    def flow(self, flow: Any) -> Flow:
        if isinstance(flow, linear_flow.Flow):
            cls: type[Flow] = LinearFlow
        elif isinstance(flow, unordered_flow.Flow):
            cls = UnorderedFlow
        elif isinstance(flow, graph_flow.Flow):
            cls = GraphFlow
        else:
            raise ModelError(
                f"flow {flow.name!r}: {type(flow).__name__} is not one of TaskFlow's "
                "patterns flowsim models (linear_flow.Flow, unordered_flow.Flow, "
                "graph_flow.Flow)"
            )
        name = self.name("flow", flow.name)
        retry = None if flow.retry is None else self.retry(flow.retry)
        children: list[Task | Flow] = []
        for item in _children(flow):
            if isinstance(item, tf_flow.Flow):
                children.append(self.flow(item))
            elif isinstance(item, tf_retry.Retry):
                raise ModelError(
                    f"flow {name!r}: child {item.name!r} is a retry controller; TaskFlow "
                    "takes a retry controller only as a flow's retry="
                )
            elif isinstance(item, tf_task.Task):
                children.append(self.task(item))
            else:
                raise ModelError(
                    f"flow {name!r}: child {item!r} is neither a TaskFlow task nor a flow"
                )
        if cls is GraphFlow:
            partial = GraphFlow(name=name, retry=retry, children=children)
            return GraphFlow(
                name=name, retry=retry, children=children, links=self.links(flow, partial)
            )
        return cls(name=name, retry=retry, children=children)

    def links(self, flow: Any, partial: GraphFlow) -> list[Link]:
        """The flowsim links that give ``flow``'s TaskFlow links: the explicit ones (with
        their deciders) and the inferred ones flowsim would not infer itself."""
        rank = {c.name: i for i, c in enumerate(partial.children)}
        ours = inferred_links(partial)
        theirs: set[tuple[str, str]] = set()
        out: list[Link] = []
        for u, v, meta in flow.iter_links():
            pair = (u.name, v.name)
            theirs.add(pair)
            where = f"graph flow {flow.name!r}: link {u.name!r} -> {v.name!r}"
            decider = meta.get(tf_flow.LINK_DECIDER)
            if decider is not None:
                depth = meta.get(tf_flow.LINK_DECIDER_DEPTH)
                out.append(
                    Link(
                        source=u.name,
                        target=v.name,
                        decider=decider_answer(where, decider),
                        depth=Depth.ALL if depth is None else DEPTHS[str(depth)],
                    )
                )
            elif meta.get(tf_flow.LINK_MANUAL) or pair not in ours:
                out.append(Link(source=u.name, target=v.name))
        for (u_name, v_name), value in sorted(ours.items(), key=lambda kv: kv[0]):
            if (u_name, v_name) not in theirs:
                raise ModelError(
                    f"graph flow {flow.name!r}: {v_name!r} requires {value!r}, which "
                    f"{u_name!r} provides, but TaskFlow did not link {u_name!r} -> "
                    f"{v_name!r} (another provider was linked, the retry controller "
                    "provides it, or it was added with resolve_requires=False); flowsim "
                    "links every provider of a required value: give the values distinct "
                    "names"
                )
        out.sort(key=lambda link: (rank[link.source], rank[link.target]))
        return out

    def timing(self, node: Any, default: Task | Retry | None) -> dict[str, Any]:
        """Durations and failures: given by the caller, else carried by a flowsim-made
        atom, else flowsim's defaults."""
        out: dict[str, Any] = {}
        if default is not None:
            for key in (*_TIMING_KEYS, *_FAILURE_KEYS):
                out[key] = getattr(default, key)
        name = node.name
        if name in self.durations:
            given = self.durations[name]
            if isinstance(given, Mapping):
                bad = sorted(set(given) - set(_TIMING_KEYS))
                if bad:
                    raise ModelError(
                        f"durations[{name!r}]: unknown key {bad[0]!r}; expected a duration "
                        "or a mapping with duration and/or revert_duration"
                    )
                out.update(given)
            else:
                out["duration"] = given
        if name in self.failures:
            given = self.failures[name]
            if isinstance(given, Mapping):
                bad = sorted(set(given) - set(_FAILURE_KEYS))
                if bad:
                    raise ModelError(
                        f"failures[{name!r}]: unknown key {bad[0]!r}; expected fails_on "
                        "(a list of call numbers or 'always') or a mapping with fails_on, "
                        "revert_fails_on and/or fail_probability"
                    )
                out.update(given)
            else:
                out["fails_on"] = given
        return out

    def task(self, node: Any) -> Task:
        name = self.name("task", node.name)
        priority = node.priority
        if isinstance(priority, float) and priority.is_integer():
            priority = int(priority)
        made = getattr(node, "flowsim_atom", None)
        return Task(
            name=name,
            priority=priority,
            requires=tuple(node.requires),
            provides=tuple(node.provides),
            **self.timing(node, made if isinstance(made, Task) else None),
        )

    def retry(self, node: Any) -> Retry:
        name = self.name("retry controller", node.name)
        if node.priority != 0:
            raise ModelError(
                f"retry {name!r}: priority {node.priority!r}; flowsim's retry controllers "
                "run in the engine and have no priority (expected 0)"
            )
        controller, values_key = self.controller(node, name)
        requires = tuple(k for k in node.requires if k != values_key)
        made = getattr(node, "flowsim_atom", None)
        return Retry(
            name=name,
            controller=controller,
            requires=requires,
            provides=tuple(node.provides),
            **self.timing(node, made if isinstance(made, Retry) else None),
        )

    def controller(self, node: Any, name: str) -> tuple[Controller, str | None]:
        """The flowsim controller of a TaskFlow retry (and, for ParameterizedForEach, the
        storage name of its values)."""
        made = getattr(node, "flowsim_controller", None)
        if made is not None:  # a to_taskflow retry: its logic is the flowsim controller's
            key = made.values_from if isinstance(made, ParameterizedForEach) else None
            return made, key
        kind = type(node)

        def builtin(cls: type[Any]) -> bool:
            return (
                isinstance(node, cls)
                and kind.on_failure is cls.on_failure
                and kind.execute is cls.execute
            )

        revert_all = getattr(node, "_revert_action", None) == tf_retry.REVERT_ALL
        if builtin(tf_retry.ParameterizedForEach):
            key = node.rebind.get("values", "values")
            if key not in self.store:
                raise ModelError(
                    f"retry {name!r}: ParameterizedForEach takes its values from {key!r}, "
                    "which the store does not hold; flowsim needs them in the store "
                    f"(from_taskflow(..., store={{{key!r}: [...]}}))"
                )
            return ParameterizedForEach(values_from=key, revert_all=revert_all), key
        try:
            if builtin(tf_retry.Times):
                return Times(attempts=node._attempts, revert_all=revert_all), None
            if builtin(tf_retry.ForEach):
                return ForEach(values=node._values, revert_all=revert_all), None
        except ModelError as exc:
            raise ModelError(f"retry {name!r}: {exc}") from None
        if builtin(tf_retry.AlwaysRevertAll):
            return AlwaysRevertAll(), None
        if builtin(tf_retry.AlwaysRevert):
            return AlwaysRevert(), None
        arguments: dict[str, Any] = {}
        optional = set(node.optional)
        for arg, key in node.rebind.items():
            if key in self.store:
                arguments[arg] = self.store[key]
            elif key not in optional:
                raise ModelError(
                    f"retry {name!r}: {kind.__name__} needs {key!r} (for its argument "
                    f"{arg!r}), which the store does not hold; a simulation has no task "
                    "results, so a custom retry controller can take its arguments from the "
                    "store only"
                )
        return TaskFlowController(node, arguments), None


def _check_names(what: str, given: Mapping[str, Any], names: dict[str, str]) -> None:
    for key in given:
        if key not in names or names[key] == "flow":
            raise ModelError(
                f"{what}: the flow has no atom named {key!r}; its atoms are "
                f"{', '.join(sorted(n for n, k in names.items() if k != 'flow'))}"
            )


def _mapping(what: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ModelError(f"from_taskflow(): {what} must be a mapping, got {value!r}")
    return value


def from_taskflow(
    flow: Any,
    *,
    store: Mapping[str, Any] | None = None,
    durations: Mapping[str, Any] | None = None,
    failures: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Scenario:
    """The flowsim scenario of a real TaskFlow flow.

    Parameters
    ----------
    flow
        A ``taskflow.patterns`` linear, unordered or graph flow, nested as you like.
    store
        What you would pass to ``taskflow.engines.load(flow, store=...)``: values for the
        requirements no atom provides, and a ``ParameterizedForEach``'s values.
    durations
        Atom name -> its execute duration in flowsim's form (a number, one per call, or a
        distribution; e.g. a recording's ``rec.durations()``), or a mapping with
        ``duration`` and/or ``revert_duration``. Others take flowsim's defaults (tasks
        1 and 1, retry controllers 0 and 0).
    failures
        Atom name -> the execute calls that fail (``fails_on``: 1-based call numbers or
        ``"always"``), or a mapping with ``fails_on``, ``revert_fails_on`` and/or
        ``fail_probability``.
    name
        The scenario's name (default: the flow's).

    Notes
    -----
    A link's decider is asked once, with a history that refuses to be read: a decider
    that answers without looking becomes a static ``Link(decider=...)``; one that reads
    the results is refused (a simulation has no results). A custom retry controller
    becomes a :class:`~flowsim.taskflow.TaskFlowController`.

    Returns
    -------
    Scenario
        Its options are TaskFlow's defaults (``defer_reverts=False``,
        ``never_resolve=False``, unlimited workers); change them with
        :func:`dataclasses.replace`.

    Raises
    ------
    ModelError
        For what flowsim cannot express, naming the atom or flow and why: a pattern other
        than TaskFlow's three, names used twice, a decider that reads results, a
        ParameterizedForEach or custom retry controller whose arguments are not in the
        store, a retry controller with a priority, links TaskFlow did not infer where
        flowsim would; or a bad ``durations``/``failures`` entry.
    CompileError
        If flowsim cannot compile the converted flow (e.g. a requirement nothing provides).

    Examples
    --------
    >>> from taskflow import retry, task
    >>> from taskflow.patterns import linear_flow
    >>> class Step(task.Task):
    ...     def execute(self):
    ...         pass
    >>> flow = linear_flow.Flow("f", retry=retry.Times(2, name="r")).add(Step("a"), Step("b"))
    >>> s = from_taskflow(flow, failures={"b": [1]}, durations={"a": 2})
    >>> s.flow.retry.controller, [(t.name, t.duration, t.fails_on) for t in s.flow.children]
    (Times(attempts=2, revert_all=False), [('a', 2.0, ()), ('b', 1.0, (1,))])
    """
    if not isinstance(flow, tf_flow.Flow):
        raise ModelError(
            f"from_taskflow() takes a TaskFlow flow (taskflow.patterns linear_flow, "
            f"unordered_flow or graph_flow), got {flow!r}"
        )
    store = dict(_mapping("store", store))
    durations = _mapping("durations", durations)
    failures = _mapping("failures", failures)
    conv = _Converter(store, durations, failures)
    converted = conv.flow(flow)
    _check_names("durations", durations, conv.seen)
    _check_names("failures", failures, conv.seen)
    scenario = Scenario(
        flow=converted,
        options=Options(defer_reverts=False),
        store=store,
        name=name or converted.name,
    )
    _same_graph(flow, compile(converted, store=store))
    return scenario


def _same_graph(flow: Any, compiled: CompiledFlow) -> None:
    """Check the converted flow against TaskFlow's own compiler: the same atoms, each
    with the same successors (through flow entry and terminator nodes) and the same
    innermost retry controller."""
    from taskflow.engines.action_engine import compiler  # type: ignore[import-untyped]

    graph = compiler.PatternCompiler(flow).compile().execution_graph
    atoms = [n for n, d in graph.nodes(data=True) if d["kind"] in compiler.ATOMS]

    def after(node: Any) -> set[str]:
        out: set[str] = set()
        todo, seen = list(graph.successors(node)), set()
        while todo:
            n = todo.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if graph.nodes[n]["kind"] in compiler.ATOMS:
                out.add(n.name)
            else:
                todo.extend(graph.successors(n))
        return out

    for node in atoms:
        i = compiled.index.get(node.name)
        if i is None:
            raise FlowsimError(f"internal error: TaskFlow's atom {node.name!r} was not converted")
        ours = {compiled.names[s] for s in compiled.succs[i]}
        theirs = after(node)
        if ours != theirs:
            raise FlowsimError(
                f"internal error: atom {node.name!r} precedes {sorted(theirs)} in TaskFlow's "
                f"compiled flow but {sorted(ours)} in flowsim's; please report this flow"
            )
        retry = graph.nodes[node].get("retry")
        r = compiled.retry_of[i]
        if (retry.name if retry is not None else None) != (compiled.names[r] if r >= 0 else None):
            raise FlowsimError(f"internal error: atom {node.name!r} has another retry controller")
    if len(atoms) != len(compiled.names):
        raise FlowsimError("internal error: the converted flow has atoms TaskFlow's has not")
