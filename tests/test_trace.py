"""Traces: JSON round trip, golden traces, loading errors, determinism across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import blueprint, nested_flow

from flowsim import Result, ScenarioError, Trace, load_trace, simulate

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "blueprint_smart": lambda: simulate(blueprint()),
    "blueprint_stop_the_world": lambda: simulate(blueprint(), strategy="stop_the_world"),
    "nested_defer_reverts": lambda: simulate(nested_flow()),
    "nested_no_defer_workers_2": lambda: simulate(nested_flow(), defer_reverts=False, workers=2),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_traces(case: str) -> None:
    """Regenerate with FLOWSIM_REGEN_GOLDEN=1 after a deliberate change, and review the diff."""
    result: Result = CASES[case]()
    path = GOLDEN / f"{case}.json"
    got = result.to_dict()
    if os.environ.get("FLOWSIM_REGEN_GOLDEN"):
        path.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


def test_trace_json_round_trip(tmp_path: Path) -> None:
    trace = simulate(nested_flow(), workers=1).trace
    assert Trace.from_dict(json.loads(trace.to_json())) == trace
    trace.save(tmp_path / "t.json")
    loaded = load_trace(tmp_path / "t.json")
    assert loaded == trace
    assert [type(e.state).__name__ for e in loaded.events[:2]] == ["FlowState", "AtomState"]


def test_result_json_has_the_documented_keys() -> None:
    d = simulate(blueprint()).to_dict()
    assert {"flow_state", "makespan", "executions", "reverts", "atom_final_states"} <= set(d)
    assert {"retry_values", "events", "resolutions"} <= set(d)
    assert d["events"][1] == {
        "time": 0.0,
        "seq": 1,
        "subject": "atom",
        "name": "A",
        "state": "RUNNING",
        "attempt": 1,
        "worker": 0,
    }
    assert json.loads(json.dumps(d)) == d


def test_loading_bad_traces(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read trace file"):
        load_trace(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ScenarioError, match=r"not JSON: .* at line 1 column 2"):
        load_trace(bad)
    bad.write_text(
        json.dumps(
            {
                "flow": "f",
                "events": [
                    {"time": 0, "seq": 0, "subject": "flow", "name": "f", "state": "DANCING"}
                ],
            }
        )
    )
    with pytest.raises(ScenarioError, match=r"\$\.events\[0\]: unknown flow state 'DANCING'"):
        load_trace(bad)
    bad.write_text(json.dumps({"events": []}))
    with pytest.raises(ScenarioError, match="not a flowsim trace"):
        load_trace(bad)


SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from helpers import nested_flow
from flowsim import simulate, Task, UnorderedFlow, Uniform
tasks = [
    Task(name=f"t{{i}}", duration=Uniform(low=0, high=2), fail_probability=0.2)
    for i in range(20)
]
flow = UnorderedFlow(name="u", children=[nested_flow(), *tasks])
print(simulate(flow, seed=11, workers=3).trace.to_json())
"""


def test_same_trace_under_two_hash_seeds() -> None:
    outputs = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(tests=str(Path(__file__).parent))],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert '"REVERTED"' in outputs.pop()  # the run did exercise reverts


def test_a_trace_carries_its_engine_and_options(tmp_path: Path) -> None:
    result = simulate(nested_flow(), defer_reverts=False, workers=2)
    trace = result.trace
    assert trace is not None
    assert (trace.engine, trace.options) == ("flowsim", result.options)
    d = trace.to_dict()
    assert d["engine"] == "flowsim"
    assert d["options"] == {
        "workers": 2,
        "seed": 0,
        "defer_reverts": False,
        "never_resolve": False,
        "strategy": "smart",
        "event_budget": None,
    }
    trace.save(tmp_path / "t.json")
    assert load_trace(tmp_path / "t.json") == trace


def test_a_trace_file_from_before_options_still_loads() -> None:
    d = simulate(blueprint()).trace.to_dict()  # type: ignore[union-attr]
    del d["engine"], d["options"]
    old = Trace.from_dict(d)
    assert (old.engine, old.options) == ("flowsim", None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"options": [1]}, "t.json: $.options: options must be an object, got list"),
        (
            {"options": {"workers": 2, "colour": 1}},
            "t.json: $.options: unknown option 'colour'; expected some of workers, seed, "
            "defer_reverts, never_resolve, strategy, event_budget",
        ),
        (
            {"options": {"workers": 0}},
            "t.json: $.options: options: workers must be a whole number >= 1 or None, got 0",
        ),
        ({"engine": ""}, "t.json: $.engine: engine must be a non-empty string, got ''"),
    ],
)
def test_bad_trace_options(tmp_path: Path, change: dict[str, object], message: str) -> None:
    d = simulate(blueprint()).trace.to_dict()  # type: ignore[union-attr]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({**d, **change}))
    with pytest.raises(ScenarioError) as e:
        load_trace(path)
    assert str(e.value).replace(str(tmp_path) + "/", "") == message


def test_save_never_leaves_half_a_file(tmp_path: Path) -> None:
    good = tmp_path / "t.json"
    trace = simulate(blueprint()).trace
    assert trace is not None
    trace.save(good)
    before = good.read_bytes()
    with pytest.raises(IsADirectoryError):
        trace.save(tmp_path)  # cannot replace a directory: nothing written anywhere
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]


def test_the_fast_event_reader_accepts_exactly_what_the_strict_one_does() -> None:
    from flowsim.trace import _Reader, _well_formed

    good = {"time": 1.5, "seq": 3, "subject": "atom", "name": "B", "state": "RUNNING"}
    full = {**good, "attempt": 2, "worker": 0}
    for d in (good, full, {**good, "time": 2}, {**good, "subject": "flow", "state": "SUCCESS"}):
        assert _well_formed(d) == _Reader("t.json").event(d, "$.events[0]")
    bad: list[dict[str, object]] = [
        {**good, "time": "1.5"},
        {**good, "time": True},
        {**good, "time": -1.0},
        {**good, "time": float("nan")},
        {**good, "time": float("inf")},
        {**good, "time": 10**400},
        {**good, "seq": 1.0},
        {**good, "seq": -1},
        {**good, "subject": "task"},
        {**good, "state": "DANCING"},
        {**good, "subject": "flow"},  # RUNNING is a flow state too: both readers take it
        {**good, "name": ""},
        {**good, "attempt": -1},
        {**good, "worker": 1.0},
        {**good, "colour": "red"},
        {k: v for k, v in good.items() if k != "seq"},
    ]
    for d in bad:
        fast = _well_formed(d)
        try:
            strict = _Reader("t.json").event(d, "$.events[0]")
        except ScenarioError:
            assert fast is None, d
        else:
            assert fast == strict, d
