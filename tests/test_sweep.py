from __future__ import annotations

import concurrent.futures as cf
import json
from pathlib import Path
from typing import Any

import pytest

import flowsim as fs
import flowsim.examples
from flowsim.errors import ScenarioError
from flowsim.sweep import ROW_KEYS, sweep


def _flow() -> fs.GraphFlow:
    return fs.GraphFlow(
        name="g",
        children=[
            fs.Task(name="a", duration=2),
            fs.LinearFlow(
                name="inner",
                retry=fs.Retry(name="r", controller=fs.Times(attempts=2)),
                children=[fs.Task(name="b", duration=1), fs.Task(name="c", duration=3)],
            ),
            fs.Task(name="d"),
        ],
    )


GRID: dict[str, list[Any]] = {
    "strategy": ["smart", "stop_the_world"],
    "workers": [1, 2],
    "fail_probability": [0.0, 0.3],
}


def _table(rows: Any) -> bytes:
    return json.dumps(list(rows), sort_keys=True).encode()


def test_three_executors_give_the_same_table_byte_for_byte() -> None:
    from dask.distributed import Client, LocalCluster

    serial = sweep(_flow(), seeds=12, grid=GRID, executor=False, progress=False, chunk_size=5)
    with cf.ProcessPoolExecutor(2) as pool:
        procs = sweep(_flow(), seeds=12, grid=GRID, executor=pool, progress=False, chunk_size=7)
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster,
        Client(cluster) as client,
    ):
        dask = sweep(_flow(), seeds=12, grid=GRID, executor=client, progress=False)
    assert len(serial.rows) == 96
    assert _table(serial.rows) == _table(procs.rows) == _table(dask.rows)


def test_interrupted_sweep_resumes_to_the_same_table(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    whole = sweep(_flow(), seeds=10, grid=GRID, executor=False, progress=False, chunk_size=8)
    sweep(_flow(), seeds=10, grid=GRID, executor=False, progress=False, chunk_size=8, out=out)
    lines = out.read_text().splitlines()
    # cut the file as a kill would: four chunks kept, the fifth half written
    out.write_text("\n".join(lines[:5]) + "\n" + lines[5][:30])
    resumed = sweep(
        _flow(),
        seeds=10,
        grid=GRID,
        executor=False,
        progress=False,
        chunk_size=8,
        out=out,
        resume=True,
    )
    assert _table(resumed.rows) == _table(whole.rows)


def test_keyboard_interrupt_keeps_finished_chunks(tmp_path: Path, monkeypatch: Any) -> None:
    import flowsim.sweep._core as core

    out = tmp_path / "s.jsonl"
    real = core._run_chunk
    calls = []

    def stop_after_three(fp: str, docs: Any, jobs: Any) -> Any:
        calls.append(1)
        if len(calls) > 3:
            raise KeyboardInterrupt
        return real(fp, docs, jobs)

    monkeypatch.setattr(core, "_run_chunk", stop_after_three)
    with pytest.raises(KeyboardInterrupt):
        sweep(_flow(), seeds=10, grid=GRID, executor=False, progress=False, chunk_size=8, out=out)
    assert len(out.read_text().splitlines()) == 4
    monkeypatch.setattr(core, "_run_chunk", real)
    resumed = sweep(
        _flow(),
        seeds=10,
        grid=GRID,
        executor=False,
        progress=False,
        chunk_size=8,
        out=out,
        resume=True,
    )
    whole = sweep(_flow(), seeds=10, grid=GRID, executor=False, progress=False, chunk_size=8)
    assert _table(resumed.rows) == _table(whole.rows)


def test_rerun_reproduces_the_row() -> None:
    res = sweep(_flow(), seeds=6, grid=GRID, executor=False, progress=False)
    for row in res.rows[::7]:
        r = res.rerun(row)
        assert r.trace is not None
        assert (r.makespan, str(r.flow_state), r.event_count) == (
            row["makespan"],
            row["flow_state"],
            row["events"],
        )


def test_row_schema_and_describe_on_a_tiny_sweep() -> None:
    flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=2)])
    res = sweep(
        flow, seeds=[0, 1], grid={"fail_probability": [0, 1]}, executor=False, progress=False
    )
    assert tuple(res.rows[0]) == ROW_KEYS
    assert res.rows[2] == {
        "scenario": "f",
        "workers": None,
        "strategy": None,
        "defer_reverts": None,
        "never_resolve": None,
        "fail_probability": 1,
        "duration_scale": None,
        "seed": 0,
        "flow_state": "REVERTED",
        "makespan": 3.0,
        "wasted_work": 2.0,
        "busy_time": 3.0,
        "executions": 1,
        "reverts": 1,
        "resolutions": 1,
        "reverted": "a",
        "events": res.rerun(res.rows[2]).event_count,
        "error": None,
    }
    assert res.describe() == [
        {
            "scenario": "f",
            "fail_probability": 0,
            "runs": 2,
            "makespan_mean": 2.0,
            "makespan_mean_ci_low": 2.0,
            "makespan_mean_ci_high": 2.0,
            "makespan_p50": 2.0,
            "makespan_p90": 2.0,
            "makespan_p99": 2.0,
            "share_success": 1.0,
            "share_reverted": 0.0,
            "share_failure": 0.0,
            "errors": 0,
        },
        {
            "scenario": "f",
            "fail_probability": 1,
            "runs": 2,
            "makespan_mean": 3.0,
            "makespan_mean_ci_low": 3.0,
            "makespan_mean_ci_high": 3.0,
            "makespan_p50": 3.0,
            "makespan_p90": 3.0,
            "makespan_p99": 3.0,
            "share_success": 0.0,
            "share_reverted": 1.0,
            "share_failure": 0.0,
            "errors": 0,
        },
    ]


def test_event_budget_error_is_a_row() -> None:
    flow = fs.LinearFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    sc = fs.Scenario(flow=flow, name="f", options=fs.Options(event_budget=3))
    (row,) = sweep(sc, seeds=1, executor=False, progress=False).rows
    assert row["flow_state"] is None
    assert row["error"] is not None and "budget" in row["error"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"grid": {"colour": [1]}},
            "sweep grid: unknown key 'colour'; expected one of workers, "
            "strategy, defer_reverts, never_resolve, fail_probability, duration_scale",
        ),
        ({"grid": {"workers": []}}, "sweep grid['workers']: empty list; give at least one value"),
        ({"seeds": [1, 2.5]}, "sweep seeds: every seed must be an int, got 2.5"),
        ({"seeds": "10"}, "sweep seeds: expected an int n or a list of ints, got '10'"),
        (
            {"out": "r.csv"},
            "sweep out 'r.csv': unknown format '.csv'; expected .parquet or .jsonl",
        ),
        (
            {"out": "/nonexistent/dir/r.jsonl"},
            "sweep out '/nonexistent/dir/r.jsonl': cannot write (No such file or directory)",
        ),
    ],
)
def test_bad_input_messages(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        sweep(_flow(), executor=False, progress=False, **kwargs)
    assert str(e.value) == message


def test_resume_of_a_different_sweep_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    a = sweep(_flow(), seeds=2, executor=False, progress=False, out=out)
    b_fp = sweep(_flow(), seeds=3, executor=False, progress=False).fingerprint
    with pytest.raises(ScenarioError) as e:
        sweep(_flow(), seeds=3, executor=False, progress=False, out=out, resume=True)
    assert str(e.value) == (
        f"sweep out '{out}': written by a different sweep (fingerprint {a.fingerprint}, "
        f"this one {b_fp}); use another out or resume=False"
    )


def _cli(argv: list[str]) -> Any:
    import argparse

    from flowsim.cli._sweep import add_parser

    p = argparse.ArgumentParser()
    add_parser(p.add_subparsers())
    args = p.parse_args(argv)
    return args.handler(args)


def test_cli_prints_the_describe_table(capsys: Any) -> None:
    argv = ["sweep", "blueprint", "--seeds", "4", "--grid", "strategy=smart", "--jobs", "1"]
    assert _cli(argv) == 0
    res = sweep(
        fs.examples.load("blueprint"),
        seeds=4,
        grid={"strategy": ["smart"]},
        executor=False,
        progress=False,
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == list(res.describe()[0])
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "ten"], "--seeds: expected an integer count, got 'ten'"),
        (
            ["--grid", "colour=1"],
            "--grid: unknown key 'colour'; expected one of workers, "
            "strategy, defer_reverts, never_resolve, fail_probability, duration_scale",
        ),
        (["--grid", "workers=two"], "--grid workers: expected a number, got 'two'"),
        (
            ["--scheduler", "tcp://127.0.0.1:1"],
            "--scheduler tcp://127.0.0.1:1: no Dask "
            "scheduler answered within 5 s (Timed out trying to connect to tcp://127.0.0.1:1 "
            "after 5 s)",
        ),
    ],
)
def test_cli_bad_input(argv: list[str], message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        _cli(["sweep", "blueprint", *argv])
    assert str(e.value) == message


def test_bootstrap_interval_brackets_the_mean_of_a_mixed_sample() -> None:
    flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=2, fail_probability=0.5)])
    (d,) = sweep(flow, seeds=40, executor=False, progress=False).describe()
    assert 0 < d["share_success"] < 1
    assert 2.0 < d["makespan_mean_ci_low"] < d["makespan_mean"] < d["makespan_mean_ci_high"] < 3.0
