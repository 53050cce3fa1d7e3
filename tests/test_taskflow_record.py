"""flowsim.taskflow's recorder on real TaskFlow 6.5 engines: exact event sequences (times
only as orderings), the error cases, and that recording changes nothing."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import pytest

import flowsim as fs
from flowsim.checks import check, options_for
from flowsim.errors import ModelError, ScenarioError
from flowsim.explore import admits

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import taskflow.engines  # type: ignore[import-untyped]
    from taskflow import retry, task
    from taskflow.patterns import linear_flow, unordered_flow  # type: ignore[import-untyped]

from flowsim.taskflow._record import Recorder, record


class Step(task.Task):  # type: ignore[misc]
    """Fails on the listed execute calls; counts its executes and reverts."""

    def __init__(self, name: str, fails_on: tuple[int, ...] = ()) -> None:
        super().__init__(name=name)
        self.fails_on = fails_on
        self.executes = 0
        self.reverts = 0

    def execute(self) -> None:
        self.executes += 1
        if self.executes in self.fails_on:
            raise RuntimeError(f"{self.name} fails")

    def revert(self, **kwargs: Any) -> None:
        self.reverts += 1


def _retry_flow() -> linear_flow.Flow:
    return linear_flow.Flow("f", retry=retry.Times(2, name="r")).add(
        Step("a"), Step("b", fails_on=(1,))
    )


def _sim_retry_flow() -> fs.LinearFlow:
    return fs.LinearFlow(
        name="f",
        retry=fs.Retry(name="r", controller=fs.Times(attempts=2)),
        children=[fs.Task(name="a"), fs.Task(name="b", fails_on=[1])],
    )


def _run(engine: Any) -> None:
    with contextlib.suppress(RuntimeError):  # a REVERTED flow's run() re-raises
        engine.run()


def _rows(trace: fs.Trace) -> list[tuple[str, str, str, int | None, int | None]]:
    return [(e.subject, e.name, str(e.state), e.attempt, e.worker) for e in trace.events]


RETRY_ROUND = [
    ("flow", "f", "RUNNING", None, None),
    ("atom", "r", "RUNNING", 1, None),
    ("atom", "r", "SUCCESS", 1, None),
    ("atom", "a", "RUNNING", 1, 0),
    ("atom", "a", "SUCCESS", 1, 0),
    ("atom", "b", "RUNNING", 1, 0),
    ("atom", "b", "FAILURE", 1, 0),
    ("atom", "b", "REVERTING", 1, 0),
    ("atom", "b", "REVERTED", 1, 0),
    ("atom", "a", "REVERTING", 1, 0),
    ("atom", "a", "REVERTED", 1, 0),
    ("atom", "r", "RETRYING", 1, None),
    ("atom", "a", "PENDING", 1, None),
    ("atom", "b", "PENDING", 1, None),
    ("atom", "r", "RUNNING", 2, None),
    ("atom", "r", "SUCCESS", 2, None),
    ("atom", "a", "RUNNING", 2, 0),
    ("atom", "a", "SUCCESS", 2, 0),
    ("atom", "b", "RUNNING", 2, 0),
    ("atom", "b", "SUCCESS", 2, 0),
    ("flow", "f", "SUCCESS", None, None),
]


@pytest.mark.parametrize("kind", ["serial", "parallel"])
def test_a_retry_round_is_recorded_exactly(kind: str) -> None:
    engine = taskflow.engines.load(_retry_flow(), engine=kind)
    with record(engine) as rec:
        _run(engine)
    assert _rows(rec.trace()) == [(s, n, st, a, None) for s, n, st, a, _ in RETRY_ROUND]
    trace = rec.trace(workers=True)
    if kind == "serial":  # one thread runs everything; a thread pool picks any of its threads
        assert _rows(trace) == RETRY_ROUND
    strip = [(s, n, st, a, w is None) for s, n, st, a, w in _rows(trace)]
    assert strip == [(s, n, st, a, w is None) for s, n, st, a, w in RETRY_ROUND]
    assert [e.seq for e in trace.events] == list(range(len(RETRY_ROUND)))
    times = [e.time for e in trace.events]
    assert times[0] == 0.0 and times == sorted(times)
    assert rec.unrecorded == () and rec.unmodelled == ()
    assert [(c.atom, c.kind, c.number, c.failed) for c in rec.calls] == [
        ("a", "execute", 1, False),
        ("b", "execute", 1, True),
        ("b", "revert", 1, False),
        ("a", "revert", 1, False),
        ("a", "execute", 2, False),
        ("b", "execute", 2, False),
    ]
    assert rec.calls[0].worker == 0  # threads are numbered in first-use order
    by_call = {(c.atom, c.kind, c.number): c.worker for c in rec.calls}
    running = [e for e in trace.events if e.state == "RUNNING" and e.name in ("a", "b")]
    assert [e.worker for e in running] == [
        by_call[e.name, "execute", e.attempt or 0] for e in running
    ]
    assert sorted(rec.durations()) == ["a", "b"] and len(rec.durations()["a"]) == 2


def test_without_wrapping_no_worker_and_no_calls() -> None:
    engine = taskflow.engines.load(_retry_flow())
    with record(engine, wrap_tasks=False) as rec:
        _run(engine)
    assert _rows(rec.trace()) == [(s, n, st, a, None) for s, n, st, a, _ in RETRY_ROUND]
    assert rec.calls == ()


def test_the_options_are_the_engines() -> None:
    serial = Recorder(taskflow.engines.load(_retry_flow()))
    assert serial.options() == fs.Options(workers=None, defer_reverts=False)
    parallel = Recorder(
        taskflow.engines.load(_retry_flow(), engine="parallel", max_workers=3, defer_reverts=True)
    )
    assert parallel.options() == fs.Options(workers=None, defer_reverts=True)


@pytest.mark.parametrize("kind", ["serial", "parallel"])
def test_the_recorded_retry_round_checks_clean_under_its_own_options(kind: str) -> None:
    engine = taskflow.engines.load(_retry_flow(), engine=kind, defer_reverts=True)
    with record(engine) as rec:
        _run(engine)
    trace = rec.trace()
    assert (trace.engine, trace.options) == ("taskflow", fs.Options(workers=None))
    compiled = fs.compile(_sim_retry_flow())
    assert options_for(compiled, trace) == (
        fs.Options(workers=None),
        "the trace's own (recorded by taskflow)",
    )
    assert check(compiled, trace) == []  # no options=, no timing=: the trace says
    # stronger: the real run is one of the interleavings the semantics allow, event for
    # event (TaskFlow's threads are not flowsim's workers: those are left out)
    scenario = fs.Scenario(flow=_sim_retry_flow(), options=trace.options)
    assert admits(scenario, trace, workers=False) is True
    # and a run TaskFlow did not make is not: b's revert before its failure is applied
    swapped = list(trace.events)
    swapped[6], swapped[7] = swapped[7], swapped[6]
    told = admits(scenario, swapped, workers=False)
    assert str(told) == (
        "event #6 (b REVERTING (attempt 1)): no allowed continuation matches; allowed here: "
        "b FAILURE (attempt 1, worker 0)"
    )


def test_recording_changes_nothing() -> None:
    def run(recorded: bool) -> tuple[object, ...]:
        b, c = Step("b", fails_on=(1,)), Step("c")
        flow = unordered_flow.Flow("root").add(
            linear_flow.Flow("f", retry=retry.Times(2, name="r")).add(Step("a"), b), c
        )
        engine = taskflow.engines.load(flow, engine="parallel")
        if recorded:
            with record(engine):
                _run(engine)
        else:
            _run(engine)
        atoms = engine.storage.get_atoms_states(["r", "a", "b", "c"])
        return (
            engine.storage.get_flow_state(),
            {k: v[0] for k, v in atoms.items()},
            (b.executes, b.reverts, c.executes, c.reverts),
            "execute" in vars(b),
        )

    assert (
        run(True)
        == run(False)
        == (
            "SUCCESS",
            {"r": "SUCCESS", "a": "SUCCESS", "b": "SUCCESS", "c": "SUCCESS"},
            (2, 1, 1, 0),
            False,
        )
    )


def test_not_an_engine() -> None:
    with pytest.raises(ModelError) as err:
        Recorder(object())
    assert str(err.value).startswith("Recorder: <object object at ")
    assert str(err.value).endswith(
        "is not a TaskFlow engine; expected what taskflow.engines.load(flow, ...) returns"
    )


def test_an_unknown_atom_is_reported_not_raised() -> None:
    engine = taskflow.engines.load(_retry_flow())
    with record(engine) as rec:
        _run(engine)
        details = {"task_name": "ghost", "task_uuid": "u", "old_state": "PENDING"}
        engine.atom_notifier.notify("RUNNING", details)  # TaskFlow would swallow a raise
    assert rec.unrecorded == (
        "atom 'ghost' RUNNING: flow 'f' has no such atom; expected one of a, b, r",
    )
    with pytest.raises(ScenarioError) as err:
        rec.trace()
    assert str(err.value) == (
        "recording of flow 'f': 1 notification(s) could not be recorded: atom 'ghost' "
        "RUNNING: flow 'f' has no such atom; expected one of a, b, r"
    )


def test_a_flow_that_never_ran() -> None:
    rec = Recorder(taskflow.engines.load(_retry_flow()))
    with pytest.raises(ScenarioError) as err:
        rec.trace()
    assert str(err.value) == (
        "recording of flow 'f': the flow never ran: no RUNNING notification was received; "
        "expected engine.run() while the recorder is registered"
    )


def test_suspension_is_reported_not_a_crash() -> None:
    class Suspends(task.Task):  # type: ignore[misc]
        def execute(self) -> None:
            engine.suspend()

    engine = taskflow.engines.load(linear_flow.Flow("f").add(Suspends("a"), Step("b")))
    with record(engine) as rec:
        engine.run()
    assert rec.unmodelled == ("flow 'f' SUSPENDING", "flow 'f' SUSPENDED")
    assert _rows(rec.trace()) == [
        ("flow", "f", "RUNNING", None, None),
        ("atom", "a", "RUNNING", 1, None),
        ("atom", "a", "SUCCESS", 1, None),
    ]


def test_the_recording_plots_exports_and_saves(tmp_path: Any) -> None:
    from flowsim.export import to_chrome_trace
    from flowsim.plot import plot_timeline

    engine = taskflow.engines.load(_retry_flow())
    with record(engine) as rec:
        _run(engine)
    result = rec.result(fs.compile(_sim_retry_flow()))
    assert (result.flow_state, dict(result.executions), dict(result.reverts)) == (
        "SUCCESS",
        {"r": 2, "a": 2, "b": 2},
        {"r": 0, "a": 1, "b": 1},
    )
    ax = plot_timeline(result)
    assert sorted(p.get_gid() for p in ax.patches if p.get_gid() != "critical") == [
        "execute:a:1",
        "execute:a:2",
        "execute:b:2",
        "execute:r:1",
        "execute:r:2",
        "failure:b:1",
        "revert:a:1",
        "revert:b:1",
    ]
    assert to_chrome_trace(result)["traceEvents"]
    rec.trace().save(tmp_path / "run.json")
    assert fs.load_trace(tmp_path / "run.json") == rec.trace()
    with pytest.raises(ScenarioError, match="the recording is of flow 'f', not 'g'"):
        rec.result(fs.compile(fs.LinearFlow(name="g", children=[fs.Task(name="a")])))
