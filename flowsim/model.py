"""The flow model: frozen values for tasks, retry controllers, flows and run options.

Values are validated when they are built and never change afterwards. Lists given for
tuple fields are turned into tuples. Nothing here runs anything: :func:`flowsim.compile`
turns a flow into a :class:`~flowsim.compile.CompiledFlow` and :func:`flowsim.simulate`
runs it.

>>> flow = LinearFlow(name="root", children=[Task(name="A"), Task(name="B", fails_on=[1])])
>>> [child.name for child in flow.children]
['A', 'B']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from html import escape
from types import MappingProxyType
from typing import Any, ClassVar

from .errors import ModelError
from .retries import Controller
from .timing import Duration, FailSpec, check_duration, check_fail_spec

__all__ = [
    "Atom",
    "Controller",
    "Depth",
    "Flow",
    "GraphFlow",
    "LinearFlow",
    "Link",
    "Options",
    "Retry",
    "Scenario",
    "Strategy",
    "Task",
    "UnorderedFlow",
    "walk",
]


MAX_WORKERS = 1_000_000
"""The most workers a run may have (more than its atoms is the same as ``None``)."""


def _short(value: object) -> str:
    """``repr(value)``, shortened; an int too long to print is shown by its size."""
    try:
        text = repr(value)
    except ValueError:  # more digits than Python prints
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"  # type: ignore[attr-defined]
    return text if len(text) <= 60 else text[:57] + "..."


def _check_name(owner: str, name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ModelError(f"{owner}: name must be a non-empty string, got {name!r}")
    return name


def _names(owner: str, field_name: str, value: object) -> tuple[str, ...]:
    if value == ():
        return ()  # the common case, first
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Sequence) or not all(isinstance(v, str) and v for v in value):
        raise ModelError(f"{owner}: {field_name} must be a list of names, got {value!r}")
    return tuple(value)


def _probability(owner: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ModelError(f"{owner}: fail_probability must be a number in [0, 1], got {value!r}")
    return float(value)


# --------------------------------------------------------------------------- atoms


def _plain(a: Task | Retry) -> bool:
    """Whether the atom's fields are already valid and normal (the common case: float
    durations, no injected failures, no data), which needs no further checks."""
    d, r, p = a.duration, a.revert_duration, a.fail_probability
    return (
        type(d) is float
        and type(r) is float
        and type(p) is float
        and 0.0 <= d < math.inf
        and 0.0 <= r < math.inf
        and 0.0 <= p <= 1.0
        and a.fails_on == ()
        and a.revert_fails_on == ()
        and a.provides == ()
        and a.requires == ()
    )


def _atom_fields(obj: Task | Retry, owner: str) -> None:
    if _plain(obj):
        return
    set_ = object.__setattr__
    set_(obj, "duration", check_duration(owner, "duration", obj.duration))
    set_(obj, "revert_duration", check_duration(owner, "revert_duration", obj.revert_duration))
    set_(obj, "fails_on", check_fail_spec(owner, "fails_on", obj.fails_on))
    set_(obj, "revert_fails_on", check_fail_spec(owner, "revert_fails_on", obj.revert_fails_on))
    set_(obj, "fail_probability", _probability(owner, obj.fail_probability))
    set_(obj, "provides", _names(owner, "provides", obj.provides))
    set_(obj, "requires", _names(owner, "requires", obj.requires))


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """A unit of work: its execute and its revert each occupy one worker.

    Parameters
    ----------
    name
        Unique among all atoms and flows of the flow it is part of.
    duration, revert_duration
        A number, a list with one number per call (the last one repeats), or a
        distribution (:class:`~flowsim.Uniform`, :class:`~flowsim.Exponential`,
        :class:`~flowsim.LogNormal`). A failed execute takes its full duration.
    fails_on, revert_fails_on
        1-based execute (revert) call numbers, counted over the whole run, that fail;
        or ``"always"``.
    fail_probability
        Chance that an execute call fails, drawn from the atom's seeded stream.
    priority
        Among atoms ready at the same time, higher priorities start first.
    provides, requires
        Names of values; graph flows link a requirer after its provider.

    Examples
    --------
    >>> Task(name="B", duration=[2, 1], fails_on=[1]).duration
    (2.0, 1.0)
    """

    name: str
    duration: Duration = 1.0
    revert_duration: Duration = 1.0
    fails_on: FailSpec = ()
    revert_fails_on: FailSpec = ()
    fail_probability: float = 0.0
    priority: int = 0
    provides: Sequence[str] = ()
    requires: Sequence[str] = ()

    def __post_init__(self) -> None:
        if (
            type(self.name) is str
            and self.name.strip()
            and type(self.priority) is int
            and _plain(self)
        ):
            return  # the common case, first
        _check_name("Task", self.name)
        owner = f"task {self.name!r}"
        _atom_fields(self, owner)
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise ModelError(f"{owner}: priority must be a whole number, got {self.priority!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Retry:
    """A retry controller (a "checkpoint"): the atom that runs first in a flow's scope and
    decides, through its ``controller``, what happens when an atom of the scope fails.

    It runs inside the engine: its execute and revert take ``duration`` and
    ``revert_duration`` (default 0) and occupy no worker.

    >>> from flowsim.retries import Times
    >>> Retry(name="ckpt", controller=Times(attempts=3)).controller.attempts
    3
    """

    name: str
    controller: Controller
    duration: Duration = 0.0
    revert_duration: Duration = 0.0
    fails_on: FailSpec = ()
    revert_fails_on: FailSpec = ()
    fail_probability: float = 0.0
    provides: Sequence[str] = ()
    requires: Sequence[str] = ()

    priority: ClassVar[int] = 0

    def __post_init__(self) -> None:
        _check_name("Retry", self.name)
        owner = f"retry {self.name!r}"
        c = self.controller  # what isinstance(c, Controller) checks, 20x faster
        if not (
            callable(getattr(c, "execute", None)) and callable(getattr(c, "on_failure", None))
        ):
            raise ModelError(
                f"{owner}: controller must have execute(history) and on_failure(history) "
                f"(e.g. Times(attempts=3)), got {self.controller!r}"
            )
        _atom_fields(self, owner)


Atom = Task | Retry


# --------------------------------------------------------------------------- flows


class Depth(StrEnum):
    """How far a decider's "no" reaches (TaskFlow's ``decider_depth``)."""

    ALL = "all"  # the target and everything forward-reachable from it
    FLOW = "flow"  # the target and the tasks linked after it in the same flow
    NEIGHBORS = "neighbors"  # the target and its direct task successors
    ATOM = "atom"  # the target only


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """An explicit link in a graph flow between two of its direct children.

    ``decider=False`` is a static decider that says no: when ``target`` becomes ready it is
    set to IGNORE, together with what ``depth`` says.
    """

    source: str
    target: str
    decider: bool = True
    depth: Depth = Depth.ALL

    def __post_init__(self) -> None:
        if (
            type(self.source) is str
            and type(self.target) is str
            and self.source
            and self.target
            and type(self.decider) is bool
            and type(self.depth) is Depth
        ):
            return  # the common case, first
        for end in ("source", "target"):
            if not isinstance(getattr(self, end), str) or not getattr(self, end):
                raise ModelError(f"Link: {end} must be a child's name, got {getattr(self, end)!r}")
        if not isinstance(self.decider, bool):
            raise ModelError(
                f"Link {self.source!r} -> {self.target!r}: decider must be true or false, "
                f"got {self.decider!r}"
            )
        try:
            object.__setattr__(self, "depth", Depth(self.depth))
        except ValueError:
            raise ModelError(
                f"Link {self.source!r} -> {self.target!r}: depth must be one of "
                f"{', '.join(d.value for d in Depth)}; got {self.depth!r}"
            ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class _FlowBase:
    name: str
    children: Sequence[Task | Flow] = ()
    retry: Retry | None = None

    pattern: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _check_name(type(self).__name__, self.name)
        owner = f"{self.pattern} flow {self.name!r}"
        if isinstance(self.children, str) or not isinstance(self.children, Sequence):
            raise ModelError(f"{owner}: children must be a list, got {self.children!r}")
        children = tuple(self.children)
        for i, child in enumerate(children):
            if isinstance(child, Retry):
                raise ModelError(
                    f"{owner}: children[{i}] is retry controller {child.name!r}; a retry "
                    "controller guards a flow: pass it as the flow's retry="
                )
            if not isinstance(child, Task | _FlowBase):
                raise ModelError(f"{owner}: children[{i}] must be a Task or a flow, got {child!r}")
        object.__setattr__(self, "children", children)
        if self.retry is not None and not isinstance(self.retry, Retry):
            raise ModelError(f"{owner}: retry must be a Retry or None, got {self.retry!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinearFlow(_FlowBase):
    """Children run one after the other."""

    pattern: ClassVar[str] = "linear"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnorderedFlow(_FlowBase):
    """Children may all run at the same time."""

    pattern: ClassVar[str] = "unordered"


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphFlow(_FlowBase):
    """Children ordered by explicit links and by ``requires``/``provides``."""

    pattern: ClassVar[str] = "graph"
    links: Sequence[Link] = ()

    def __post_init__(self) -> None:
        _FlowBase.__post_init__(self)
        if isinstance(self.links, str) or not isinstance(self.links, Sequence):
            raise ModelError(f"graph flow {self.name!r}: links must be a list of Link")
        links = tuple(self.links)
        for i, link in enumerate(links):
            if not isinstance(link, Link):
                raise ModelError(
                    f"graph flow {self.name!r}: links[{i}] must be a Link, got {link!r}"
                )
        object.__setattr__(self, "links", links)


Flow = LinearFlow | UnorderedFlow | GraphFlow


# --------------------------------------------------------------------------- options


class Strategy(StrEnum):
    """How the engine reacts to a failure."""

    SMART = "smart"  # revert only the resolved scope; everything else keeps running
    STOP_THE_WORLD = "stop_the_world"  # the engine the blueprint replaced


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """How a flow is run.

    Parameters
    ----------
    workers
        How many task executes/reverts may run at once; ``None`` is unlimited.
    seed
        Seeds every random draw (see :mod:`flowsim.timing`).
    defer_reverts
        ``True`` (flowsim's default, the blueprint's intent): a retry controller that gives
        up escalates to the nearest ancestor that retries or reverts all, else the whole
        flow is reverted. ``False`` (TaskFlow's default): only its own scope is reverted.
    never_resolve
        Do not resolve execute failures: nothing is reverted, the flow ends FAILURE.
    strategy
        ``"smart"`` or ``"stop_the_world"``.
    event_budget
        The most trace events a run may record before it is stopped with
        :class:`~flowsim.EventBudgetExceeded`; ``None`` means 1,000,000 plus 1,000 per atom.
    """

    workers: int | None = None
    seed: int = 0
    defer_reverts: bool = True
    never_resolve: bool = False
    strategy: Strategy = Strategy.SMART
    event_budget: int | None = None

    def __post_init__(self) -> None:
        w = self.workers
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 1):
            raise ModelError(
                f"options: workers must be a whole number >= 1 or None, got {_short(w)}"
            )
        if w is not None and w > MAX_WORKERS:
            raise ModelError(
                f"options: workers must be at most {MAX_WORKERS:_} (None means unlimited), "
                f"got {_short(w)}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ModelError(f"options: seed must be a whole number, got {self.seed!r}")
        for flag in ("defer_reverts", "never_resolve"):
            if not isinstance(getattr(self, flag), bool):
                raise ModelError(
                    f"options: {flag} must be true or false, got {getattr(self, flag)!r}"
                )
        try:
            object.__setattr__(self, "strategy", Strategy(self.strategy))
        except ValueError:
            raise ModelError(
                f"options: strategy must be 'smart' or 'stop_the_world', got {self.strategy!r}"
            ) from None
        b = self.event_budget
        if b is not None and (isinstance(b, bool) or not isinstance(b, int) or b < 1):
            raise ModelError(
                f"options: event_budget must be a whole number >= 1 or None, got {b!r}"
            )


def walk(flow: Flow) -> list[Flow | Atom]:
    """Every flow and atom of ``flow``, in declaration order (a flow, its retry, then its
    children).

    >>> [n.name for n in walk(LinearFlow(name="f", children=[Task(name="a")]))]
    ['f', 'a']
    """
    out: list[Flow | Atom] = []
    stack: list[Flow | Atom] = [flow]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, _FlowBase):
            kids: list[Flow | Atom] = list(node.children)
            if node.retry is not None:
                kids.insert(0, node.retry)
            stack.extend(reversed(kids))
    return out


# --------------------------------------------------------------------------- display
# Text only: a scenario's plain repr is one line, its HTML a summary of bounded length;
# flowsim.plot (when imported in a notebook) adds the flow's picture. The helpers here are
# shared by the displays of CompiledFlow, Trace and Result, which sit above this module.

_TREE_LIMIT = 40  # the most flows and tasks an HTML tree lists (the rest are counted)


def _clip(name: str, limit: int = 60) -> str:
    """``name`` as HTML text, shortened to ``limit`` characters.

    >>> _clip("a<b"), _clip("x" * 100, 8)
    ('a&lt;b', 'xxxxx...')
    """
    return escape(name if len(name) <= limit else name[: limit - 3] + "...")


def _quoted(name: str, limit: int = 60) -> str:
    """``repr(name)``, shortened to ``limit`` characters.

    >>> _quoted("blueprint"), _quoted("x" * 100, 10)
    ("'blueprint'", "'xxxxx...'")
    """
    text = repr(name)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _plural(n: int, word: str, words: str | None = None) -> str:
    """``"1 atom"``, ``"2,000 atoms"``.

    >>> _plural(1, "atom"), _plural(2000, "atom"), _plural(2, "entry", "entries")
    ('1 atom', '2,000 atoms', '2 entries')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def _num(x: float) -> str:
    """A time for people: ``7``, ``2.5``, ``0.333``, ``2e+300``.

    >>> _num(7.0), _num(2.5), _num(1 / 3), _num(2e300)
    ('7', '2.5', '0.333', '2e+300')
    """
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.3g}"


def _options_text(o: Options) -> str:
    """The options in words: ``smart, unlimited workers, seed 0`` (and what differs from
    the defaults).

    >>> _options_text(Options(workers=2, defer_reverts=False))
    'smart, 2 workers, seed 0, defer_reverts=False'
    """
    workers = "unlimited workers" if o.workers is None else _plural(o.workers, "worker")
    parts = [str(o.strategy), workers, f"seed {o.seed}"]
    if not o.defer_reverts:
        parts.append("defer_reverts=False")
    if o.never_resolve:
        parts.append("never_resolve=True")
    if o.event_budget is not None:
        parts.append(f"event_budget={o.event_budget:,}")
    return ", ".join(parts)


def _flow_counts(flow: Flow) -> str:
    """``4 atoms (3 tasks, 1 retry controller) in 3 flows``."""
    tasks = retries = flows = 0
    for node in walk(flow):
        if isinstance(node, Task):
            tasks += 1
        elif isinstance(node, Retry):
            retries += 1
        else:
            flows += 1
    return (
        f"{_plural(tasks + retries, 'atom')} ({_plural(tasks, 'task')}, "
        f"{_plural(retries, 'retry controller')}) in {_plural(flows, 'flow')}"
    )


def _flow_tree(flow: Flow, limit: int = _TREE_LIMIT) -> str:
    """The flow's tree as nested ``<ul>`` (a flow, its retry, its children), at most
    ``limit`` flows and tasks, then how many more there are."""
    shown = 0
    out: list[str] = []

    def add(f: Flow) -> None:
        nonlocal shown
        shown += 1
        retry = f" (retry <code>{_clip(f.retry.name)}</code>)" if f.retry is not None else ""
        out.append(f"<li>{f.pattern} flow <code>{_clip(f.name)}</code>{retry}<ul>")
        for child in f.children:
            if shown >= limit:
                break
            if isinstance(child, Task):
                shown += 1
                out.append(f"<li><code>{_clip(child.name)}</code></li>")
            else:
                add(child)
        out.append("</ul></li>")

    add(flow)
    total = sum(1 for node in walk(flow) if not isinstance(node, Retry))
    more = f"<p>... and {_plural(total - shown, 'more entry', 'more entries')}</p>"
    return f"<ul>{''.join(out)}</ul>" + (more if total > shown else "")


def _store_text(store: Mapping[str, Any]) -> str:
    """The store's keys, at most 10 of them, as HTML text."""
    text = ", ".join(_clip(str(k), 30) for k in list(store)[:10])
    return text + (f", ... ({len(store):,} values)" if len(store) > 10 else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A flow with everything needed to run it: store values, options, a name and a text.

    Scenario files (:func:`flowsim.load_scenario`) hold exactly this.
    """

    flow: Flow
    options: Options = Options()
    store: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.flow, _FlowBase):
            raise ModelError(f"Scenario: flow must be a flow, got {self.flow!r}")
        if not isinstance(self.options, Options):
            raise ModelError(f"Scenario: options must be Options, got {self.options!r}")
        if not isinstance(self.store, Mapping):
            raise ModelError(f"Scenario: store must be a mapping, got {self.store!r}")
        object.__setattr__(self, "store", MappingProxyType(dict(self.store)))
        if not self.name:
            object.__setattr__(self, "name", self.flow.name)

    def __repr__(self) -> str:
        """One line, whatever the flow's size: the name, the flow's counts, the options.

        >>> Scenario(flow=LinearFlow(name="f", children=[Task(name="a")]))
        <Scenario 'f': 1 atom (1 task, 0 retry controllers) in 1 flow; smart, unlimited workers, seed 0>
        """  # noqa: E501
        return (
            f"<Scenario {_quoted(self.name)}: {_flow_counts(self.flow)}; "
            f"{_options_text(self.options)}>"
        )

    def _repr_html_(self) -> str:
        """A notebook's summary (text only; :mod:`flowsim.plot` adds the flow's picture)."""
        text = self.description
        text = text if len(text) <= 300 else text[:297] + "..."
        store = _store_text(self.store)
        return (
            f'<div class="flowsim-scenario"><p><b>Scenario</b> <code>{_clip(self.name)}</code>: '
            f"{_flow_counts(self.flow)}; {escape(_options_text(self.options))}"
            f"{'; store: ' + store if store else ''}</p>"
            f"{'<p>' + escape(text) + '</p>' if text else ''}{_flow_tree(self.flow)}</div>"
        )
