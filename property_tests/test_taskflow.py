"""Differential testing against the real engine (issue 13, item 5): drawn scenarios are
built as real TaskFlow 6.5 flows (:func:`flowsim.taskflow.to_taskflow`, tasks that sleep
their duration in milliseconds and fail when the scenario says), run on TaskFlow's
parallel and serial engines, recorded, and checked.

What is compared:

- **every run** checks clean: ``check(scenario, trace)`` under the options the recorder
  took from the engine and without timing rules (the TaskFlow trace says both); the
  recorded final states equal what the engine's storage says; ``run()`` raises exactly
  when the flow does not end SUCCESS;
- **where timing cannot matter** the real run's final flow state, per-atom execute and
  revert counts and final atom states equal ``simulate()``'s. Timing cannot matter when
  (a) the simulated run has no failure at all (every atom then runs once, deciders are
  constants), or (b) every flow of the scenario is linear: then at most one atom is ever
  ready at a time (execute, revert or retry round), on either engine, so the outcome is
  a function of the failure plan alone. Elsewhere the outcome depends on which sibling
  had started when a failure was resolved, which the real engine's clock decides, not the
  scenario's durations; the checker still judges those runs.

What is drawn: what TaskFlow has. Only the ``smart`` strategy (TaskFlow has no
stop-the-world); the built-in controllers ``Times``, ``ForEach``, ``ParameterizedForEach``,
``AlwaysRevert`` and ``AlwaysRevertAll`` (no ``AlwaysRetry``); no probabilistic failures
or duration distributions (they do not change what is compared).

Known TaskFlow defects that depend on the real engine's order (docs/taskflow-record.md)
must show exactly the violations they cause, and such a run's outcome is not compared:

- TaskFlow reverts a task straight from PENDING (defect 3,
  docs/taskflow-defects/revert_of_a_task_that_never_ran.py: it depends on which of two
  finished futures the engine processes first); the phantom revert can also leave the
  revert walk stuck behind a retry controller waiting for it: InvalidState, the flow left
  RUNNING, atoms behind that controller never reverted;
- an atom after an IGNOREd one is never started: InvalidState, the flow left RUNNING
  (defect 4, docs/taskflow-defects/stranded_after_ignore.py: it depends on the order
  TaskFlow's breadth-first walk meets the atoms).

Two situations are left out with ``assume``, each pinned elsewhere:

- a retry controller that a decider IGNOREs (the simulation says so): TaskFlow 6.5 then
  crashes (docs/taskflow-defects/, tests/test_taskflow_defects.py);
- an IGNOREd atom that provides a value: a task requiring it finds no value in TaskFlow
  (``NotFound`` when it is scheduled; outside flowsim's model, which has no values).

The number of examples is the profile's (``ci``: 300, two real runs each, about 30 s;
``nightly``: 4,000). The parallel engine runs on a thread pool of the scenario's worker
count (one thread per atom for unlimited) shared by the runs (see :func:`_pool`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import assume, given
from support import describe, replayable

import flowsim as fs
from flowsim import strategies as fst
from flowsim.checks import Rule, Violation, check
from flowsim.model import walk
from flowsim.taskflow import record, to_taskflow

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import futurist  # type: ignore[import-untyped]
    from taskflow import exceptions as tf_exceptions  # type: ignore[import-untyped]

CONTROLLERS = (fs.Times, fs.ForEach, fs.ParameterizedForEach, fs.AlwaysRevert, fs.AlwaysRevertAll)
TIME_SCALE = 0.001  # a duration of 1 sleeps 1 ms
MAX_ATOMS = 6
_POOLS: dict[int, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def _shut_the_pools() -> Iterator[None]:
    yield
    while _POOLS:
        _POOLS.popitem()[1].shutdown()


def _pool(workers: int | None) -> Any:
    """The parallel engine's thread pool for ``workers`` (``None``: one thread per atom,
    as many as can ever run), shared by the runs: TaskFlow's own pool would take a second
    to shut down after every run (futurist's idle threads poll their queue once a
    second), which would allow a tenth of the examples."""
    size = MAX_ATOMS if workers is None else workers
    if size not in _POOLS:
        _POOLS[size] = futurist.ThreadPoolExecutor(max_workers=size)
    return _POOLS[size]


def _scenarios() -> Any:
    return fst.scenarios(
        max_atoms=MAX_ATOMS,
        controllers=CONTROLLERS,
        strategies=(fs.Strategy.SMART,),
        workers=(None, 1, 2),
        max_duration=3,
    )


def _ignored(result: fs.Result) -> set[str]:
    return {e.name for e in result.events if e.subject == "atom" and e.state == "IGNORE"}


def _in_model(result: fs.Result) -> bool:
    """False for the situations the module docstring leaves out."""
    c = result.compiled
    for name in _ignored(result):
        atom = c.atoms[c.index[name]]
        if c.is_retry[c.index[name]] or atom.provides:
            return False
    return True


def _order_independent(scenario: fs.Scenario, result: fs.Result) -> bool:
    failed = any(e.state in ("FAILURE", "REVERT_FAILURE") for e in result.events)
    linear = not any(
        isinstance(item, (fs.UnorderedFlow, fs.GraphFlow)) for item in walk(scenario.flow)
    )
    return not failed or linear


def _never_ran_reverted(trace: fs.Trace) -> set[str]:
    """The atoms TaskFlow reverted straight from PENDING (the defect of
    docs/taskflow-defects/revert_of_a_task_that_never_ran.py)."""
    state: dict[str, str] = {}
    out = set()
    for e in trace.events:
        if e.subject == "atom":
            if e.state == "REVERTING" and state.get(e.name, "PENDING") == "PENDING":
                out.add(e.name)
            state[e.name] = str(e.state)
    return out


def _behind_retries(compiled: Any) -> set[str]:
    """Retry controllers and every atom upstream of one: what a revert walk that stops at
    a retry controller may leave unreverted."""
    todo = [i for i, r in enumerate(compiled.is_retry) if r]
    seen = set(todo)
    while todo:
        for p in compiled.preds[todo.pop()]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return {compiled.names[i] for i in seen}


def _stranded(compiled: Any, real: fs.Result) -> set[str]:
    """The atoms a real run left PENDING although ready (every transitive predecessor
    SUCCESS or IGNORE, one of them IGNORE): the defect of
    docs/taskflow-defects/stranded_after_ignore.py."""
    state = [str(real.atom_final_states[n]) for n in compiled.names]
    out = set()
    for i, name in enumerate(compiled.names):
        if state[i] != "PENDING":
            continue
        todo, seen = list(compiled.preds[i]), set(compiled.preds[i])
        while todo:
            for p in compiled.preds[todo.pop()]:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        done = all(state[p] in ("SUCCESS", "IGNORE") for p in seen)
        if seen and done and any(state[p] == "IGNORE" for p in seen):
            out.add(name)
    return out


def _caused_by(found: list[Violation], phantoms: set[str], behind: set[str], stuck: bool) -> bool:
    """Whether every violation is one that reverting ``phantoms`` from PENDING causes:
    that revert's transition and out-of-scope, and a predecessor reverting before it; and,
    when the engine then got ``stuck`` (InvalidState, flow left RUNNING: the revert walk
    stopped behind a retry controller that was still waiting for a phantom, the mechanism
    of docs/taskflow-defects/revert_stops_at_ignored_retry.py), the unfinished flow and
    never reverted only atoms ``behind`` retry controllers (:func:`_behind_retries`)."""
    for v in found:
        if v.rule in (Rule.TRANSITION, Rule.OUT_OF_SCOPE):
            e = v.events[0]
            if not (e.name in phantoms and e.state == "REVERTING"):
                return False
        elif v.rule is Rule.REVERSE_ORDER:
            busy = set(v.message.rpartition(" reverts before ")[2].split(", "))
            if not busy <= phantoms:
                return False
        elif stuck and v.rule is Rule.UNFINISHED:
            continue
        elif stuck and v.rule is Rule.MINIMAL_SET:
            never = set(v.message.rpartition("never reverted: ")[2].split(", "))
            if not never <= behind:
                return False
        else:
            return False
    return True


def _outcome(result: fs.Result) -> tuple[object, ...]:
    return (
        str(result.flow_state),
        {k: str(v) for k, v in result.atom_final_states.items()},
        dict(result.executions),
        dict(result.reverts),
    )


@given(_scenarios())
def test_real_taskflow_runs_check_clean_and_match_the_simulation(scenario: fs.Scenario) -> None:
    with replayable(scenario, "taskflow-differential"):
        sim = fs.simulate(scenario)
        assume(_in_model(sim))
        compiled = sim.compiled
        for kind in ("parallel", "serial"):
            extra = {"executor": _pool(scenario.options.workers)} if kind == "parallel" else {}
            engine = to_taskflow(scenario, time_scale=TIME_SCALE).load(
                engine=kind, options=scenario.options, **extra
            )
            with record(engine) as rec:
                raised: list[BaseException] = []
                try:
                    engine.run()
                except Exception as exc:  # judged below against the flow's final state
                    raised.append(exc)
            trace = rec.trace()
            assert (trace.engine, trace.options) == (
                "taskflow",
                fs.Options(
                    workers=None,
                    defer_reverts=scenario.options.defer_reverts,
                    never_resolve=scenario.options.never_resolve,
                ),
            )
            found = check(scenario, trace)
            real = rec.result(compiled)
            phantoms = _never_ran_reverted(trace)
            stuck = any(isinstance(x, tf_exceptions.InvalidState) for x in raised)
            if phantoms or (stuck and _stranded(compiled, real)):
                # known TaskFlow defects: exactly the violations they cause
                assert _caused_by(found, phantoms, _behind_retries(compiled), stuck), (
                    f"{kind} engine:\n{describe(found)}"
                )
                continue
            assert found == [], f"{kind} engine:\n{describe(found)}"
            stored = engine.storage.get_atoms_states(list(compiled.names))
            assert engine.storage.get_flow_state() == real.flow_state
            assert {k: v[0] for k, v in stored.items()} == {
                k: str(v) for k, v in real.atom_final_states.items()
            }
            assert bool(raised) == (real.flow_state != "SUCCESS"), f"{kind}: {raised!r}"
            if _order_independent(scenario, sim):
                assert _outcome(real) == _outcome(sim), kind
