"""A reference interpreter of flowsim's semantics, used as a differential oracle.

It implements README's "Semantics" section and DESIGN.md's decisions a second time, in a
deliberately different shape from :mod:`flowsim.engine` (which it never imports):

* **Its own graph.** Compile order, edges, each atom's innermost retry controller, the
  direct task successors and the deciders come from :func:`graph.derive`, which reads the
  flow model, not from the :class:`~flowsim.CompiledFlow` (only the atoms themselves and
  their store-bound controllers are taken from it). A compiler bug therefore makes the two
  runs disagree instead of fooling both.

* **No event heap, no candidate sets.** Work in flight is a plain list. Each step
  recomputes everything from scratch: it scans *every* atom in compile order, decides
  which are ready, starts what may start, then finds the next completion time by scanning
  the work in flight, and applies every completion due then (in start order).
* **Transitive readiness.** Readiness is checked against the full sets of transitive
  predecessors and successors (``networkx.ancestors``/``descendants`` of
  that graph), exactly as DESIGN.md decision 3 words it, instead of the
  engine's direct-neighbour check that looks through IGNORE atoms. Resolution scopes are
  ``descendants`` too, not ``CompiledFlow.reachable``.
* **Iterative resolution.** The chain of retry controllers is walked innermost-first in a
  loop and folded afterwards, instead of the engine's recursive ``_determine_resolution``.
* **Workers as a set.** A task takes the smallest worker number not in use (``workers``
  bounds it), instead of a free-list heap plus a counter.
* **stop_the_world as a phase.** ``normal``, ``drain`` (a failure stopped the world; work
  already running finishes) and ``undo`` (only reverts and retry rounds start); instead of
  two booleans.

Tie-breaking rules, reproduced from README's same-time rule: at time t, apply every
completion due at t in the order the work started; resolve the execute failures among
them in that order; then (at every scheduling point, whatever the phase) apply static
deciders to atoms ready to execute, in compile order; then start ready work ordered by
(reverts and retry rounds first, higher priority, compile order), tasks only while workers
are free. Zero-duration work completes at t in a further step.

>>> from flowsim import LinearFlow, Task
>>> r = run(LinearFlow(name="f", children=[Task(name="a"), Task(name="b", fails_on=[1])]))
>>> str(r.flow_state), r.makespan, r.reverts
('REVERTED', 4.0, {'a': 1, 'b': 1})
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import networkx as nx
from graph import derive

from flowsim.compile import CompiledFlow, compile
from flowsim.errors import EventBudgetExceeded, ModelError
from flowsim.model import (
    Depth,
    GraphFlow,
    LinearFlow,
    Options,
    Retry,
    Scenario,
    Strategy,
    UnorderedFlow,
)
from flowsim.retries import HistoryEntry
from flowsim.states import AtomState, Decision, FlowState, Intention
from flowsim.timing import Exponential, LogNormal, Uniform, atom_random, pick_duration

__all__ = ["RefEvent", "RefResolution", "RefResult", "run"]

_UNSET: Any = object()

_DONE_STATES = (AtomState.SUCCESS, AtomState.IGNORE)
_DONE_INTENTS = (Intention.EXECUTE, Intention.IGNORE)
_CLEAR_STATES = (AtomState.PENDING, AtomState.REVERTED, AtomState.IGNORE)
_DEPTH_RANK = {Depth.ATOM: 0, Depth.NEIGHBORS: 1, Depth.FLOW: 2, Depth.ALL: 3}


class RefEvent(NamedTuple):
    """One state change, as :class:`flowsim.Event` without ``seq`` (its list index)."""

    time: float
    subject: str
    name: str
    state: str
    attempt: int | None
    worker: int | None


@dataclass(frozen=True, slots=True)
class RefResolution:
    """One resolved execute failure; ``seq`` is the index of its FAILURE event."""

    time: float
    seq: int
    failed: str
    chain: tuple[tuple[str, Decision], ...]
    action: Decision
    retry: str | None
    scope: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RefResult:
    """What the reference interpreter computed for one run."""

    flow_state: FlowState
    makespan: float
    executions: dict[str, int]
    reverts: dict[str, int]
    atom_final_states: dict[str, AtomState]
    retry_values: dict[str, tuple[Any, ...]]
    worker_busy: dict[int, float]
    events: tuple[RefEvent, ...]
    resolutions: tuple[RefResolution, ...]


@dataclass(slots=True)
class _Work:
    """An execute or a revert in flight."""

    end: float
    order: int  # start number: same-time completions apply in this order
    atom: int
    revert: bool
    fails: bool
    worker: int | None


def run(
    target: Any,
    *,
    store: Mapping[str, Any] | None = None,
    workers: int | None = _UNSET,
    seed: int = _UNSET,
    defer_reverts: bool = _UNSET,
    never_resolve: bool = _UNSET,
    strategy: Strategy | str = _UNSET,
    event_budget: int | None = _UNSET,
) -> RefResult:
    """Interpret ``target`` (a flow, a compiled flow or a scenario), as ``flowsim.simulate``.

    A scenario's options and store are used; keywords given here override its options.
    """
    options = Options()
    if isinstance(target, Scenario):
        options = target.options
        compiled = compile(target.flow, store=target.store if store is None else store)
    elif isinstance(target, CompiledFlow):
        if store is not None:
            raise ModelError("run(): a compiled flow has its store already; drop store=")
        compiled = target
    elif isinstance(target, LinearFlow | UnorderedFlow | GraphFlow):
        compiled = compile(target, store=store)
    else:
        raise ModelError(f"run() takes a flow, a compiled flow or a scenario, got {target!r}")
    overrides: dict[str, Any] = {
        "workers": workers,
        "seed": seed,
        "defer_reverts": defer_reverts,
        "never_resolve": never_resolve,
        "strategy": strategy,
        "event_budget": event_budget,
    }
    options = replace(options, **{k: v for k, v in overrides.items() if v is not _UNSET})
    return _Interpreter(compiled, options).interpret()


@dataclass(frozen=True, slots=True)
class _Decider:
    source: int  # -1: the link's source is a subflow
    depth: Depth


@dataclass(frozen=True, slots=True)
class _Facts:
    """The graph facts the interpreter uses, by atom number in its own compile order."""

    name: str
    names: tuple[str, ...]
    atoms: tuple[Any, ...]
    is_retry: tuple[bool, ...]
    controllers: tuple[Any, ...]
    retry_of: tuple[int, ...]
    near_succs: tuple[tuple[int, ...], ...]
    deciders: tuple[tuple[_Decider, ...], ...]
    graph: Any  # networkx.DiGraph of atom names


def _facts(c: CompiledFlow) -> _Facts:
    """Everything but the atoms and their store-bound controllers comes from
    :func:`graph.derive` (the model, not the compiler's graph)."""
    g = derive(c.flow)
    idx = {name: i for i, name in enumerate(g.order)}
    mine = [c.index[name] for name in g.order]
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(g.order)
    graph.add_edges_from(g.edges)
    return _Facts(
        name=c.name,
        names=g.order,
        atoms=tuple(c.atoms[j] for j in mine),
        is_retry=tuple(isinstance(c.atoms[j], Retry) for j in mine),
        controllers=tuple(c.controllers[j] for j in mine),
        retry_of=tuple(-1 if (r := g.retry_of[n]) is None else idx[r] for n in g.order),
        near_succs=tuple(tuple(idx[s] for s in g.near[n]) for n in g.order),
        deciders=tuple(
            tuple(
                _Decider(-1 if src is None else idx[src], Depth(depth))
                for src, depth in g.deciders[n]
            )
            for n in g.order
        ),
        graph=graph,
    )


class _Interpreter:
    def __init__(self, compiled: CompiledFlow, options: Options) -> None:
        self.c = c = _facts(compiled)
        self.opt = options
        n = len(c.names)
        graph = c.graph
        idx = {name: i for i, name in enumerate(c.names)}
        # transitive closures, in compile order
        self.before = [sorted(idx[a] for a in nx.ancestors(graph, name)) for name in c.names]
        self.after = [sorted(idx[d] for d in nx.descendants(graph, name)) for name in c.names]
        self.state = [AtomState.PENDING] * n
        self.intent = [Intention.EXECUTE] * n
        self.execs = [0] * n
        self.revs = [0] * n
        self.history: dict[int, list[tuple[Any, list[str]]]] = {}
        self.values: dict[int, list[Any]] = {}
        for i in range(n):
            if c.is_retry[i]:
                self.history[i] = []
                self.values[i] = []
        self.streams: dict[int, random.Random] = {}
        self.flight: list[_Work] = []
        self.starts = 0
        self.clock = 0.0
        self.busy_time: dict[int, float] = dict.fromkeys(range(options.workers or 0), 0.0)
        self.phase = "normal"  # stop_the_world: "drain", then "undo"
        self.kept_failure = False  # an unresolved failure: nothing new may start
        self.flow = FlowState.PENDING
        self.events: list[RefEvent] = []
        self.resolutions: list[RefResolution] = []
        self.failure_event = [0] * n
        budget = options.event_budget
        self.budget = 1_000_000 + 1_000 * n if budget is None else budget

    # ------------------------------------------------------------------ recording
    def record(
        self, subject: str, name: str, state: str, attempt: int | None, w: int | None
    ) -> None:
        if len(self.events) >= self.budget:
            raise EventBudgetExceeded(f"reference: more than {self.budget} events")
        self.events.append(RefEvent(self.clock, subject, name, state, attempt, w))

    def move(self, i: int, new: AtomState, worker: int | None = None) -> None:
        if self.state[i] == new:  # identity transitions are silent
            return
        self.state[i] = new
        self.record("atom", self.c.names[i], new, self.execs[i], worker)

    def move_flow(self, new: FlowState) -> None:
        self.flow = new
        self.record("flow", self.c.name, new, None, None)

    # ------------------------------------------------------------------ readiness
    def may_execute(self, i: int) -> bool:
        if self.state[i] != AtomState.PENDING or self.intent[i] != Intention.EXECUTE:
            return False
        return all(
            self.state[p] in _DONE_STATES and self.intent[p] in _DONE_INTENTS
            for p in self.before[i]
        )

    def may_revert(self, i: int) -> bool:
        if self.state[i] not in (AtomState.SUCCESS, AtomState.FAILURE):
            return False
        if self.intent[i] not in (Intention.REVERT, Intention.RETRY):
            return False
        return all(self.state[s] in _CLEAR_STATES for s in self.after[i])

    # ------------------------------------------------------------------ main loop
    def interpret(self) -> RefResult:
        self.move_flow(FlowState.RUNNING)
        while True:
            self.scheduling_point()
            if not self.flight:
                break
            self.clock = min(w.end for w in self.flight)
            due = sorted((w for w in self.flight if w.end == self.clock), key=lambda w: w.order)
            self.flight = [w for w in self.flight if w.end != self.clock]
            failed = [w.atom for w in due if self.finish(w)]
            for i in failed:
                if self.opt.never_resolve:
                    self.kept_failure = True
                else:
                    self.resolve(i)
            stw = self.opt.strategy == Strategy.STOP_THE_WORLD
            if failed and stw and not self.opt.never_resolve and self.phase == "normal":
                self.phase = "drain"
                self.move_flow(FlowState.REVERTING)
        if self.kept_failure:
            final = FlowState.FAILURE
        elif all(s in _DONE_STATES for s in self.state):
            final = FlowState.SUCCESS
        else:
            final = FlowState.REVERTED
        self.move_flow(final)
        names = self.c.names
        return RefResult(
            flow_state=final,
            makespan=self.clock,
            executions=dict(zip(names, self.execs, strict=True)),
            reverts=dict(zip(names, self.revs, strict=True)),
            atom_final_states=dict(zip(names, self.state, strict=True)),
            retry_values={names[i]: tuple(v) for i, v in self.values.items()},
            worker_busy=dict(sorted(self.busy_time.items())),
            events=tuple(self.events),
            resolutions=tuple(self.resolutions),
        )

    # ------------------------------------------------------------------ completions
    def finish(self, w: _Work) -> bool:
        """Apply one completion; True if it is an execute that failed."""
        i = w.atom
        if w.revert:
            if w.fails:
                self.move(i, AtomState.REVERT_FAILURE, w.worker)
                self.kept_failure = True
                return False
            self.move(i, AtomState.REVERTED, w.worker)
            if i in self.history:
                self.history[i] = []
            return False
        ok = not w.fails
        if ok and self.c.is_retry[i]:
            controller = self.c.controllers[i]
            assert controller is not None
            try:
                value = controller.execute(self.entries(i))
            except Exception:
                ok = False
            else:
                self.history[i].append((value, []))
                self.values[i].append(value)
        if ok:
            self.move(i, AtomState.SUCCESS, w.worker)
            return False
        self.move(i, AtomState.FAILURE, w.worker)
        self.failure_event[i] = len(self.events) - 1
        return True

    def entries(self, r: int) -> tuple[HistoryEntry, ...]:
        return tuple(HistoryEntry(value, tuple(failures)) for value, failures in self.history[r])

    # ------------------------------------------------------------------ resolution
    def deciding(self, retry: int) -> int:
        """``retry``, or the nearest controller above it that is not ignored (or -1)."""
        while retry >= 0 and self.state[retry] == AtomState.IGNORE:
            retry = self.c.retry_of[retry]
        return retry

    def resolve(self, failed: int) -> None:
        c = self.c
        chain: list[tuple[int, Decision]] = []
        asker = failed
        retry = self.deciding(c.retry_of[asker])
        while retry >= 0:
            hist = self.history[retry]
            if hist and c.names[asker] not in hist[-1][1]:
                hist[-1][1].append(c.names[asker])
            controller = c.controllers[retry]
            assert controller is not None
            said = controller.on_failure(self.entries(retry))
            try:
                decision = Decision(said)
            except ValueError:
                raise ModelError(
                    f"retry {c.names[retry]!r}: on_failure returned {said!r}; expected a Decision"
                ) from None
            chain.append((retry, decision))
            if decision != Decision.REVERT:
                break
            asker, retry = retry, self.deciding(c.retry_of[retry])
        last = chain[-1][1] if chain else None
        if last == Decision.RETRY:
            action, owner = Decision.RETRY, chain[-1][0]
        elif last == Decision.REVERT_ALL or not chain or self.opt.defer_reverts:
            action, owner = Decision.REVERT_ALL, -1
        else:  # every controller asked said REVERT and reverts are not deferred
            action, owner = Decision.REVERT, chain[0][0]
        if action == Decision.RETRY:
            scope = list(self.after[owner])
            if self.intent[owner] != Intention.REVERT:  # bug 2043808
                self.intent[owner] = Intention.RETRY
        elif action == Decision.REVERT:
            scope = [owner, *self.after[owner]]
        else:
            scope = list(range(len(c.names)))
        for a in scope:
            self.intent[a] = Intention.REVERT
        self.resolutions.append(
            RefResolution(
                time=self.clock,
                seq=self.failure_event[failed],
                failed=c.names[failed],
                chain=tuple((c.names[r], d) for r, d in chain),
                action=action,
                retry=c.names[owner] if owner >= 0 else None,
                scope=tuple(c.names[a] for a in scope),
            )
        )

    # ------------------------------------------------------------------ scheduling
    def scheduling_point(self) -> None:
        self.apply_deciders()
        if self.kept_failure:
            return
        if self.phase == "normal":
            self.start_all(self.ready(reverts_only=False))
            return
        if self.phase == "drain":
            if self.flight:
                return
            self.phase = "undo"
        self.start_all(self.ready(reverts_only=True))
        if self.flight:
            return
        self.phase = "normal"
        rest = self.ready(reverts_only=False)
        if rest:
            self.move_flow(FlowState.RUNNING)
            self.start_all(rest)

    def apply_deciders(self) -> None:
        c = self.c
        for i in range(len(c.names)):
            if not c.deciders[i] or not self.may_execute(i):
                continue
            nays = [
                d.depth
                for d in c.deciders[i]
                if d.source < 0 or self.state[d.source] != AtomState.IGNORE
            ]
            if not nays:
                continue
            depth = max(nays, key=_DEPTH_RANK.__getitem__)
            if depth == Depth.ALL:
                hit = [i, *self.after[i]]
            elif depth == Depth.FLOW:
                found: set[int] = set()
                todo = list(c.near_succs[i])
                while todo:
                    j = todo.pop()
                    if j not in found:
                        found.add(j)
                        todo.extend(c.near_succs[j])
                hit = [i, *sorted(found - {i})]
            elif depth == Depth.NEIGHBORS:
                hit = [i, *c.near_succs[i]]
            else:
                hit = [i]
            for a in hit:
                if self.state[a] == AtomState.PENDING:
                    self.move(a, AtomState.IGNORE)
                self.intent[a] = Intention.IGNORE

    def ready(self, *, reverts_only: bool) -> list[tuple[int, int, int]]:
        """Ready work as sort keys (0 revert or retry round / 1 execute, -priority, atom)."""
        out = []
        for i in range(len(self.c.names)):
            if self.may_revert(i):
                out.append((0, -self.c.atoms[i].priority, i))
            elif not reverts_only and self.may_execute(i):
                out.append((1, -self.c.atoms[i].priority, i))
        return sorted(out)

    def start_all(self, ready: list[tuple[int, int, int]]) -> None:
        limit = self.opt.workers
        in_use = sum(1 for w in self.flight if w.worker is not None)
        chosen = []
        for key in ready:
            if not self.c.is_retry[key[2]]:
                if limit is not None and in_use >= limit:
                    continue
                in_use += 1
            chosen.append(key)
        for cls, _, i in chosen:
            if cls == 1:
                self.launch(i, revert=False)
            elif self.intent[i] == Intention.RETRY:
                self.retry_round(i)
            else:
                self.launch(i, revert=True)

    def free_worker(self) -> int:
        taken = {w.worker for w in self.flight}
        k = 0
        while k in taken:
            k += 1
        return k

    def stream(self, i: int) -> random.Random:
        if i not in self.streams:
            self.streams[i] = atom_random(self.opt.seed, self.c.names[i])
        return self.streams[i]

    def launch(self, i: int, *, revert: bool) -> None:
        atom = self.c.atoms[i]
        worker = None if self.c.is_retry[i] else self.free_worker()
        if revert:
            self.revs[i] += 1
            call = self.revs[i]
            spec, fail_spec = atom.revert_duration, atom.revert_fails_on
        else:
            self.execs[i] += 1
            call = self.execs[i]
            spec, fail_spec = atom.duration, atom.fails_on
        random_spec = isinstance(spec, Uniform | Exponential | LogNormal)
        duration = pick_duration(spec, call, self.stream(i) if random_spec else None)
        fails = fail_spec == "always" or call in fail_spec
        if (
            not revert
            and atom.fail_probability > 0
            and (self.stream(i).random() < atom.fail_probability)
        ):
            fails = True
        if worker is not None:
            self.busy_time[worker] = self.busy_time.get(worker, 0.0) + duration
        self.move(i, AtomState.REVERTING if revert else AtomState.RUNNING, worker)
        self.starts += 1
        self.flight.append(_Work(self.clock + duration, self.starts, i, revert, fails, worker))

    def retry_round(self, r: int) -> None:
        self.move(r, AtomState.RETRYING)
        for a in self.after[r]:
            self.move(a, AtomState.PENDING)
            self.intent[a] = Intention.EXECUTE
        self.intent[r] = Intention.EXECUTE
        self.launch(r, revert=False)
