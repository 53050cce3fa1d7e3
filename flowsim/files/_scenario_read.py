"""Reading a scenario from its JSON form (private; see :mod:`flowsim.files.scenario`).

:class:`_Reader` builds the flow, its retry controllers, timings, links and options from
the parsed JSON, checking each value where it stands so that an error names its JSON path,
then compiles the flow to check what only the whole flow can show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowsim.compile import compile as compile_flow
from flowsim.errors import CompileError
from flowsim.model import Depth, Flow, GraphFlow, Link, Options, Retry, Scenario, Strategy, Task
from flowsim.retries import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    ParameterizedForEach,
    Times,
)

from ._json import (
    _ATOM_KEYS,
    _CONTROLLER_KEYS,
    _CONTROLLER_REQUIRED,
    _FLOW_KEYS,
    _FLOWS,
    _GRAPH_KEYS,
    _LINK_KEYS,
    _NODE_KINDS,
    _OPTION_KEYS,
    _RETRY_KINDS,
    _TASK_KEYS,
    _TOP_KEYS,
    FORMAT,
    _a,
    _choices,
    _is_list,
    _is_number,
    _is_whole,
    _JsonReader,
    _q,
    _show,
)

_LINK_KEY_SET = frozenset(_LINK_KEYS)
_DEPTHS: dict[str, Depth] = {d.value: d for d in Depth}


@dataclass(frozen=True, slots=True)
class _Seen:
    path: str
    kind: str  # "task", "retry controller", "linear flow", ...


@dataclass(frozen=True, slots=True)
class _PendingLink:
    flow: str
    children: tuple[str, ...]
    links_path: str  # the flow's links list; the link is item ``index`` of it
    index: int
    link: Link

    @property
    def path(self) -> str:
        return f"{self.links_path}[{self.index}]"


@dataclass(slots=True)
class _Reader(_JsonReader):
    """What one read of a scenario needs to remember: the file, and every name's path."""

    seen: dict[str, _Seen] = field(default_factory=dict)
    links: list[_PendingLink] = field(default_factory=list)

    # -- names and kinds
    def kind(self, value: Mapping[str, Any], path: str, kinds: Sequence[str], hint: str) -> str:
        if "kind" not in value:
            self.fail(path, f'missing required key "kind"; expected one of {_choices(kinds)}')
        kind = value["kind"]
        if not isinstance(kind, str) or kind not in kinds:
            self.fail(
                f"{path}.kind",
                f"unknown kind {_show(kind)}; expected one of {_choices(kinds)}"
                + (hint if isinstance(kind, str) and kind in _RETRY_KINDS + _NODE_KINDS else ""),
            )
        return kind

    def register(self, name: str, path: str, kind: str) -> None:
        first = self.seen.get(name)
        if first is not None:
            self.fail(
                f"{path}.name",
                f"duplicate name {_q(name)}: already used by the {first.kind} at {first.path}; "
                "every task, retry controller and flow needs its own name",
            )
        self.seen[name] = _Seen(path, kind)

    # -- atoms, nodes and links
    def atom_fields(self, value: Mapping[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("duration", "revert_duration"):
            if key in value:
                out[key] = self.duration(value[key], f"{path}.{key}")
        for key in ("fails_on", "revert_fails_on"):
            if key in value:
                out[key] = self.fail_spec(value[key], f"{path}.{key}")
        if "fail_probability" in value:
            p = value["fail_probability"]
            if not _is_number(p) or not 0 <= p <= 1:
                self.fail(
                    f"{path}.fail_probability", f"expected a number in [0, 1]; got {_show(p)}"
                )
            out["fail_probability"] = float(p)
        for key in ("provides", "requires"):
            if key in value:
                out[key] = self.names(value[key], f"{path}.{key}")
        return out

    # -- nodes
    def node(self, value: object, path: str, *, top: bool = False) -> Task | Flow:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected a flow or a task (a JSON object); got {_show(value)}")
        kind = self.kind(
            value,
            path,
            _NODE_KINDS,
            '; retry controllers go in a flow\'s "retry", not in "children"',
        )
        if kind == "task" and top:
            self.fail(
                f"{path}.kind",
                'the top-level flow must be a flow ("linear", "unordered" or "graph"), not a '
                'task; wrap the task: {"kind": "linear", "name": ..., "children": [...]}',
            )
        if kind == "task":
            return self.task(value, path)
        return self.flow(value, path, kind)

    def task(self, value: Mapping[str, Any], path: str) -> Task:
        self.obj(value, path, "a task", required=("kind", "name"), allowed=_TASK_KEYS)
        name = self.name(value["name"], f"{path}.name")
        self.register(name, path, "task")
        fields = self.atom_fields(value, path)
        if "priority" in value:
            fields["priority"] = self.whole(value["priority"], f"{path}.priority")
        return self.make(path, lambda: Task(name=name, **fields))

    def retry(self, value: object, path: str) -> Retry:
        if not isinstance(value, Mapping):
            self.fail(
                path, f"expected a retry controller (a JSON object) or null; got {_show(value)}"
            )
        kind = self.kind(value, path, _RETRY_KINDS, '; tasks and flows go in "children"')
        extra = _CONTROLLER_KEYS[kind]
        self.obj(
            value,
            path,
            _a(f"{kind} retry controller"),
            required=("kind", "name", *_CONTROLLER_REQUIRED.get(kind, ())),
            allowed=("kind", "name", *extra, *_ATOM_KEYS),
            hints={"priority": "a retry controller has no priority (it takes no worker);"},
        )
        name = self.name(value["name"], f"{path}.name")
        self.register(name, path, "retry controller")
        revert_all = False
        if "revert_all" in value:
            revert_all = self.boolean(value["revert_all"], f"{path}.revert_all")
        controller: Controller
        if kind == "times":
            attempts = 1
            if "attempts" in value:
                attempts = self.whole(value["attempts"], f"{path}.attempts", low=0)
            controller = self.make(path, lambda: Times(attempts=attempts, revert_all=revert_all))
        elif kind == "for_each":
            values = value["values"]
            if not _is_list(values):
                self.fail(f"{path}.values", f"expected a list of values; got {_show(values)}")
            self.json_value(values, f"{path}.values")
            controller = self.make(
                path, lambda: ForEach(values=tuple(values), revert_all=revert_all)
            )
        elif kind == "parameterized_for_each":
            key = value["values_from"]
            if not isinstance(key, str) or not key:
                self.fail(
                    f"{path}.values_from",
                    f"expected the name of a store key (a string); got {_show(key)}",
                )
            controller = self.make(
                path, lambda: ParameterizedForEach(values_from=key, revert_all=revert_all)
            )
        elif kind == "always_revert":
            controller = AlwaysRevert()
        elif kind == "always_revert_all":
            controller = AlwaysRevertAll()
        else:
            controller = AlwaysRetry()
        fields = self.atom_fields(value, path)
        return self.make(path, lambda: Retry(name=name, controller=controller, **fields))

    def flow(self, value: Mapping[str, Any], path: str, kind: str) -> Flow:
        self.obj(
            value,
            path,
            _a(f"{kind} flow"),
            required=("kind", "name"),
            allowed=_GRAPH_KEYS if kind == "graph" else _FLOW_KEYS,
            hints={"links": 'only graph flows have links (use "kind": "graph");'},
        )
        name = self.name(value["name"], f"{path}.name")
        self.register(name, path, f"{kind} flow")
        retry = None
        if value.get("retry") is not None:
            retry = self.retry(value["retry"], f"{path}.retry")
        raw_children = value.get("children", [])
        if not _is_list(raw_children):
            self.fail(
                f"{path}.children",
                f"expected a list of tasks and flows; got {_show(raw_children)}",
            )
        children = tuple(
            self.node(child, f"{path}.children[{i}]") for i, child in enumerate(raw_children)
        )
        if kind != "graph":
            cls = _FLOWS[kind]
            return self.make(path, lambda: cls(name=name, children=children, retry=retry))
        raw_links = value.get("links", [])
        if not _is_list(raw_links):
            self.fail(f"{path}.links", f"expected a list of links; got {_show(raw_links)}")
        links = []
        child_names = tuple(c.name for c in children)
        links_path = f"{path}.links"
        pending = self.links.append
        for i, raw in enumerate(raw_links):
            if (  # the common case, first: a well-formed link, read with no JSON paths made
                type(raw) is dict  # (not _DuplicateKeys)
                and raw.keys() <= _LINK_KEY_SET
                and type(source := raw.get("source")) is str
                and type(target := raw.get("target")) is str
                and source.strip()
                and target.strip()
                and type(decider := raw.get("decider", True)) is bool
                and type(raw_depth := raw.get("depth", "all")) is str
                and (depth := _DEPTHS.get(raw_depth)) is not None
            ):
                link = Link(source=source, target=target, decider=decider, depth=depth)
            else:
                link = self.link(raw, f"{links_path}[{i}]")
            pending(_PendingLink(name, child_names, links_path, i, link))
            links.append(link)
        return self.make(
            path, lambda: GraphFlow(name=name, children=children, retry=retry, links=tuple(links))
        )

    def link(self, value: object, path: str) -> Link:
        value = self.obj(value, path, "a link", required=("source", "target"), allowed=_LINK_KEYS)
        source = self.name(value["source"], f"{path}.source")
        target = self.name(value["target"], f"{path}.target")
        decider = True
        if "decider" in value:
            decider = self.boolean(value["decider"], f"{path}.decider")
        depth = Depth.ALL
        if "depth" in value:
            raw = value["depth"]
            if not isinstance(raw, str) or raw not in Depth.__members__.values():
                self.fail(
                    f"{path}.depth",
                    f"expected one of {_choices([d.value for d in Depth])}; got {_show(raw)}",
                )
            depth = Depth(raw)
        return self.make(
            path, lambda: Link(source=source, target=target, decider=decider, depth=depth)
        )

    def check_links(self) -> None:
        members: dict[int, frozenset[str]] = {}  # one set per graph flow (its tuple, by id)
        for pending in self.links:
            link = pending.link
            children = members.get(id(pending.children))
            if children is None:
                children = members[id(pending.children)] = frozenset(pending.children)
            for end in ("source", "target"):
                name = getattr(link, end)
                if name in children:
                    continue
                seen = self.seen.get(name)
                if seen is None:
                    self.fail(
                        f"{pending.path}.{end}",
                        f"graph flow {_q(pending.flow)} has no child named {_q(name)}; its "
                        f"children are {', '.join(map(_q, pending.children)) or '(none)'}",
                    )
                self.fail(
                    f"{pending.path}.{end}",
                    f"{_q(name)} is not a direct child of graph flow {_q(pending.flow)}: it "
                    f"is the {seen.kind} at {seen.path}; links may only join direct children, "
                    "so link the child flow that holds it",
                )
            if link.source == link.target:
                self.fail(
                    pending.path,
                    f"link joins {_q(link.source)} to itself; a link joins two different children",
                )

    # -- the rest
    def options(self, value: object) -> Options:
        path = "$.options"
        value = self.obj(value, path, "the options", required=(), allowed=_OPTION_KEYS)
        got: dict[str, Any] = {}
        if "workers" in value:
            got["workers"] = self.whole(value["workers"], f"{path}.workers", low=1, null=True)
        if "seed" in value:
            got["seed"] = self.whole(value["seed"], f"{path}.seed")
        for flag in ("defer_reverts", "never_resolve"):
            if flag in value:
                got[flag] = self.boolean(value[flag], f"{path}.{flag}")
        if "strategy" in value:
            raw = value["strategy"]
            if not isinstance(raw, str) or raw not in Strategy.__members__.values():
                self.fail(
                    f"{path}.strategy",
                    f"expected {_choices([s.value for s in Strategy])}; got {_show(raw)}",
                )
            got["strategy"] = Strategy(raw)
        if "event_budget" in value:
            got["event_budget"] = self.whole(
                value["event_budget"], f"{path}.event_budget", low=1, null=True
            )
        return self.make(path, lambda: Options(**got))

    def scenario(self, data: object) -> Scenario:
        if not isinstance(data, Mapping):
            self.fail(
                "$",
                'expected a scenario: a JSON object like {"flowsim": 1, "flow": {...}}; got '
                + _show(data),
            )
        if "flowsim_trace" in data and "flowsim" not in data:
            self.fail(
                "$",
                'this is a trace file (it has "flowsim_trace"), not a scenario; a scenario '
                'file is a JSON object like {"flowsim": 1, "flow": {...}}',
            )
        if "flowsim" in data:
            version = data["flowsim"]
            if not _is_whole(version) or version != FORMAT:
                self.fail(
                    "$.flowsim",
                    f"unsupported scenario format {_show(version)}; this flowsim reads "
                    f'format {FORMAT} ("flowsim": {FORMAT})',
                )
        self.obj(data, "$", "a scenario", required=("flowsim", "flow"), allowed=_TOP_KEYS)
        if "$schema" in data and not isinstance(data["$schema"], str):
            self.fail(
                '$["$schema"]',
                "expected the path or URL of a JSON Schema (a string; flowsim ignores it); "
                f"got {_show(data['$schema'])}",
            )
        texts: dict[str, str] = {}
        for key in ("name", "description"):
            if key in data:
                text = data[key]
                if not isinstance(text, str):
                    self.fail(f"$.{key}", f"expected a string; got {_show(text)}")
                texts[key] = text
        options = self.options(data["options"]) if "options" in data else Options()
        store: Mapping[str, Any] = {}
        if "store" in data:
            store = data["store"]
            if not isinstance(store, Mapping):
                self.fail("$.store", f"expected a JSON object of values; got {_show(store)}")
            self.json_value(store, "$.store")
            store = dict(store)
        flow = self.node(data["flow"], "$.flow", top=True)
        assert not isinstance(flow, Task)  # node() refuses a top-level task
        self.check_links()
        try:
            compile_flow(flow, store=store)
        except CompileError as exc:
            seen = self.seen.get(exc.node)
            self.fail(seen.path if seen is not None else "$.flow", str(exc))
        return self.make("$", lambda: Scenario(flow=flow, options=options, store=store, **texts))
