"""Chrome trace export: well-formed events, named lanes, no partial overlaps on a lane."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from flowsim import (
    LinearFlow,
    ModelError,
    Result,
    Retry,
    Task,
    Times,
    UnorderedFlow,
    examples,
    simulate,
)
from flowsim.export import US_PER_TIME_UNIT, save_chrome_trace, to_chrome_trace
from flowsim.spans import critical_path, spans


def blueprint(strategy: str = "smart", workers: int | None = None) -> Result:
    return simulate(examples.load("blueprint"), strategy=strategy, workers=workers)


def overlapping_retries() -> LinearFlow:
    """Two retry controllers that take time and run at the same time, one a zero-length
    task, and durations that are not whole microseconds."""

    def guarded(name: str, duration: float) -> LinearFlow:
        return LinearFlow(
            name=f"{name}_flow",
            retry=Retry(name=f"{name}_retry", controller=Times(attempts=2), duration=0.5),
            children=[Task(name=name, duration=duration, fails_on=[1])],
        )

    return LinearFlow(
        name="f",
        children=[
            Task(name="zero", duration=0),
            UnorderedFlow(
                name="u", children=[guarded("p", 1 / 3), guarded("q", 0.7), Task(name="slow")]
            ),
        ],
    )


def results() -> list[Result]:
    out = [simulate(overlapping_retries(), workers=w) for w in (None, 1)]
    for name in examples.names():
        for strategy in ("smart", "stop_the_world"):
            for workers in (None, 1, 2):
                out.append(simulate(examples.load(name), strategy=strategy, workers=workers))
    return out


RESULTS = results()
IDS = [f"{r.trace.flow}-{r.options.strategy}-{r.options.workers}" for r in RESULTS]


def lanes(trace: dict[str, Any]) -> dict[tuple[int, int], str]:
    return {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in trace["traceEvents"]
        if e["ph"] == "M" and e["name"] == "thread_name"
    }


def complete(trace: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


@pytest.mark.parametrize("result", RESULTS, ids=IDS)
def test_trace_is_well_formed(result: Result) -> None:
    trace = to_chrome_trace(result)
    assert json.loads(json.dumps(trace)) == trace  # plain JSON values only
    assert trace["displayTimeUnit"] == "ms"
    events = trace["traceEvents"]
    assert all(e["ph"] in ("M", "X", "i") for e in events)
    for e in complete(trace):
        assert type(e["ts"]) is int and type(e["dur"]) is int
        assert e["ts"] >= 0 and e["dur"] >= 0
    for e in events:
        if e["ph"] == "i":
            assert type(e["ts"]) is int and e["s"] == "t"
    named = lanes(trace)
    used = {(e["pid"], e["tid"]) for e in events if e["ph"] != "M"}
    assert used <= set(named), "every lane used is named"
    assert len(set(named.values())) == len(named), "lane names are distinct"
    processes = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert {pid for pid, _ in used} <= processes
    assert 0 not in {tid for _, tid in named}


@pytest.mark.parametrize("result", RESULTS, ids=IDS)
def test_spans_on_a_lane_never_partially_overlap(result: Result) -> None:
    by_lane: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for e in complete(to_chrome_trace(result)):
        by_lane.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for lane, intervals in by_lane.items():
        for (a0, a1), (b0, b1) in itertools.combinations(intervals, 2):
            disjoint = a1 <= b0 or b1 <= a0
            nested = (a0 <= b0 and b1 <= a1) or (b0 <= a0 and a1 <= b1)
            assert disjoint or nested, (lane, (a0, a1), (b0, b1))


@pytest.mark.parametrize("result", RESULTS, ids=IDS)
def test_every_execute_revert_failure_and_resolution_is_there(result: Result) -> None:
    trace = to_chrome_trace(result)
    work = [e for e in complete(trace) if e["cat"] != "flow"]
    all_spans = spans(result.events)
    assert len(work) == len(all_spans)
    assert sorted((e["args"]["atom"], e["args"]["kind"], e["args"]["start"]) for e in work) == (
        sorted((s.name, s.kind, s.start) for s in all_spans)
    )
    instants = [e for e in trace["traceEvents"] if e["ph"] == "i"]
    failures = [e for e in instants if e["cat"].startswith("failure")]
    assert len(failures) == sum(s.failed for s in all_spans)
    resolutions = [e for e in instants if e["cat"] == "resolution"]
    assert [e["args"]["seq"] for e in resolutions] == [r.seq for r in result.resolutions]
    assert sum(e["args"]["critical"] for e in work) == len(critical_path(result))
    flow = [e for e in complete(trace) if e["cat"] == "flow"]
    assert sum(e["dur"] for e in flow) == round(result.makespan * US_PER_TIME_UNIT)


def test_blueprint_trace() -> None:
    trace = to_chrome_trace(blueprint())
    names = lanes(trace)
    assert list(names.values()) == [
        "flow blueprint",
        "worker 0",
        "worker 1",
        "checkpoint (no worker)",
    ]
    tid = {name: t for (_, t), name in names.items()}
    got = [(e["name"], e["cat"], e["ts"], e["dur"], e["tid"]) for e in complete(trace)]
    s = US_PER_TIME_UNIT
    assert got == [
        ("flow RUNNING", "flow", 0, 7 * s, tid["flow blueprint"]),
        ("A #1", "execute", 0, s, tid["worker 0"]),
        ("C #1", "execute", s, 6 * s, tid["worker 0"]),
        ("B #1 FAILED", "execute,failure", s, 2 * s, tid["worker 1"]),
        ("checkpoint #1", "execute,retry", s, 0, tid["checkpoint (no worker)"]),
        ("B #1 revert", "revert", 3 * s, s, tid["worker 1"]),
        ("B #2", "execute", 4 * s, 2 * s, tid["worker 1"]),
        ("checkpoint #2", "execute,retry", 4 * s, 0, tid["checkpoint (no worker)"]),
    ]
    b1 = next(e for e in complete(trace) if e["name"] == "B #1 FAILED")
    assert b1["args"] == {
        "atom": "B",
        "kind": "execute",
        "attempt": 1,
        "state": "FAILURE",
        "failed": True,
        "worker": 1,
        "critical": False,
        "start": 1.0,
        "end": 3.0,
    }
    instants = [(e["name"], e["cat"], e["ts"]) for e in trace["traceEvents"] if e["ph"] == "i"]
    assert instants == [
        ("B failed", "failure", 3 * s),
        ("B failed: RETRY (checkpoint)", "resolution", 3 * s),
        ("flow SUCCESS", "flow", 7 * s),
    ]
    process = [e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "process_name"]
    assert process == ["blueprint (smart)"]
    assert trace["otherData"]["makespan"] == 7.0


def test_stop_the_world_shows_the_stopped_flow() -> None:
    trace = to_chrome_trace(blueprint("stop_the_world"))
    s = US_PER_TIME_UNIT
    flow = [(e["name"], e["ts"], e["dur"]) for e in complete(trace) if e["cat"] == "flow"]
    assert flow == [
        ("flow RUNNING", 0, 3 * s),
        ("flow REVERTING", 3 * s, 5 * s),
        ("flow RUNNING", 8 * s, 2 * s),
    ]


def test_times_are_rounded_microseconds_and_abutting_work_still_abuts() -> None:
    r = simulate(overlapping_retries())
    trace = to_chrome_trace(r)
    p = next(e for e in complete(trace) if e["name"] == "p #1 FAILED")
    start, end = p["args"]["start"], p["args"]["end"]
    assert p["ts"] == round(start * 1_000_000) and p["ts"] + p["dur"] == round(end * 1_000_000)
    revert = next(e for e in complete(trace) if e["name"] == "p #1 revert")
    assert revert["ts"] == p["ts"] + p["dur"]
    # The two retry controllers take time and overlap each other: separate lanes.
    retry_lanes = {e["tid"] for e in complete(trace) if "retry" in e["cat"].split(",")}
    assert len(retry_lanes) == 2


def test_save_chrome_trace(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    r = blueprint()
    save_chrome_trace(r, target)
    assert json.loads(target.read_text(encoding="utf-8")) == to_chrome_trace(r)
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]
    save_chrome_trace(r, str(target))  # overwrites; a str path works too
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_save_chrome_trace_to_a_bad_path_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        save_chrome_trace(blueprint(), tmp_path / "missing" / "run.json")
    with pytest.raises(OSError):
        save_chrome_trace(blueprint(), tmp_path)  # a directory
    assert list(tmp_path.iterdir()) == []


def test_a_bad_argument() -> None:
    with pytest.raises(ModelError, match=r"to_chrome_trace\(\): expected a flowsim Result"):
        to_chrome_trace(blueprint().trace)  # type: ignore[arg-type]
