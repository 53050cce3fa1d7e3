from __future__ import annotations

import concurrent.futures as cf
import json
import os
from pathlib import Path
from typing import Any

import pytest

import flowsim as fs
import flowsim.examples
import flowsim.sweep._core as core
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


def _tight() -> fs.Scenario:
    """Some of its runs exceed the event budget: rows with an error and no makespan."""
    flow = fs.LinearFlow(
        name="t",
        retry=fs.Retry(name="r", controller=fs.Times(attempts=3)),
        children=[fs.Task(name="a", fail_probability=0.5)],
    )
    return fs.Scenario(flow=flow, name="t", options=fs.Options(event_budget=12))


def _jsonl_rows(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    return [r for c in sorted(lines, key=lambda c: c["chunk"]) for r in c["rows"]]


def test_parquet_round_trip_equals_the_json_lines_rows(tmp_path: Path) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    target = {"g": _flow(), "t": _tight()}
    kw: dict[str, Any] = {"seeds": 5, "grid": GRID, "progress": False, "chunk_size": 7}
    with cf.ProcessPoolExecutor(2) as pool:  # chunks finish out of order
        pres = sweep(target, executor=pool, out=tmp_path / "s.parquet", **kw)
    jres = sweep(target, executor=False, out=tmp_path / "s.jsonl", **kw)
    assert len(pres.rows) == 80
    assert 0 < sum(r["error"] is not None for r in pres.rows) < 40
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.num_rows == 80
    assert table.schema.field("fail_probability").type == pa.float64()
    assert table.schema.field("defer_reverts").type == pa.bool_()
    assert _table(table.to_pylist()) == _table(_jsonl_rows(tmp_path / "s.jsonl"))
    assert _table(table.to_pylist()) == _table(pres.rows) == _table(jres.rows)
    names = sorted(p.name for p in (tmp_path / "s.parquet").iterdir())
    assert names == ["_flowsim_sweep.json"] + [f"part-{i:05d}.parquet" for i in range(12)]
    # resuming a finished sweep runs nothing and reads back the same table
    again = sweep(target, executor=False, out=tmp_path / "s.parquet", resume=True, **kw)
    assert _table(again.rows) == _table(pres.rows)


def test_parquet_interrupted_sweep_resumes_to_the_same_table(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import pyarrow.parquet as pq

    import flowsim.sweep._core as core

    out = tmp_path / "s.parquet"
    kw: dict[str, Any] = {"seeds": 10, "grid": GRID, "executor": False, "progress": False}
    real = core._run_chunk
    calls = []

    def stop_after_three(fp: str, docs: Any, jobs: Any) -> Any:
        calls.append(1)
        if len(calls) > 3:
            raise KeyboardInterrupt
        return real(fp, docs, jobs)

    monkeypatch.setattr(core, "_run_chunk", stop_after_three)
    with pytest.raises(KeyboardInterrupt):
        sweep(_flow(), chunk_size=8, out=out, **kw)
    # a kill while the fourth part was being written leaves its temporary file behind
    (out / ".part-00003.parquet.tmp").write_bytes(b"PAR1 cut short")
    assert pq.read_table(out).num_rows == 24  # every finished chunk is readable
    ran = []

    def count(fp: str, docs: Any, jobs: Any) -> Any:
        ran.append(len(jobs))
        return real(fp, docs, jobs)

    monkeypatch.setattr(core, "_run_chunk", count)
    resumed = sweep(_flow(), chunk_size=5, out=out, resume=True, **kw)  # the file's size wins
    assert ran == [8] * 7  # only the seven missing chunks of eight runs
    monkeypatch.setattr(core, "_run_chunk", real)
    whole = sweep(_flow(), **kw)
    assert _table(resumed.rows) == _table(whole.rows)
    assert _table(pq.read_table(out).to_pylist()) == _table(whole.rows)
    assert not (out / ".part-00003.parquet.tmp").exists()


def test_parquet_out_refuses_another_sweep_and_foreign_files(tmp_path: Path) -> None:
    out = tmp_path / "s.parquet"
    a = sweep(_flow(), seeds=2, executor=False, progress=False, out=out)
    b_fp = sweep(_flow(), seeds=3, executor=False, progress=False).fingerprint
    with pytest.raises(ScenarioError) as e:
        sweep(_flow(), seeds=3, executor=False, progress=False, out=out, resume=True)
    assert str(e.value) == (
        f"sweep out '{out}': written by a different sweep (fingerprint {a.fingerprint}, "
        f"this one {b_fp}); use another out or resume=False"
    )
    # without resume the directory is started afresh (only flowsim's own files go)
    sweep(_flow(), seeds=3, executor=False, progress=False, out=out)
    other = tmp_path / "notes.parquet"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ScenarioError) as e:
        sweep(_flow(), seeds=2, executor=False, progress=False, out=other)
    assert str(e.value) == (
        f"sweep out '{other}': the directory holds files but no _flowsim_sweep.json, so it "
        "is not a flowsim sweep; choose another out"
    )
    assert (other / "notes.txt").read_text() == "mine"
    flat = tmp_path / "flat.parquet"
    flat.write_text("x")
    with pytest.raises(ScenarioError) as e:
        sweep(_flow(), seeds=2, executor=False, progress=False, out=flat)
    assert str(e.value) == (
        f"sweep out '{flat}': exists and is not a directory (a Parquet sweep is a directory "
        "of part files, one per chunk); remove it or choose another out"
    )


def test_json_lines_resume_keeps_the_file_chunk_size(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    kw: dict[str, Any] = {"seeds": 10, "grid": GRID, "executor": False, "progress": False}
    sweep(_flow(), chunk_size=8, out=out, **kw)
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:4]) + "\n")
    resumed = sweep(_flow(), chunk_size=3, out=out, resume=True, **kw)
    assert _table(resumed.rows) == _table(sweep(_flow(), **kw).rows)
    assert _table(_jsonl_rows(out)) == _table(resumed.rows)


_REAL_RUN_CHUNK = core._run_chunk


def _die_on_chunk_3(fp: str, docs: Any, jobs: Any) -> Any:
    """Chunk 3 (size 8) starts at run 24: combination 2 (1 worker, stop_the_world, p 0),
    seed 4 (workers is the outer grid key: GRID_KEYS order)."""
    if jobs[0][1:] == ({"workers": 1, "strategy": "stop_the_world", "fail_probability": 0}, 4):
        os._exit(1)  # the worker process dies, as a killed one would
    return _REAL_RUN_CHUNK(fp, docs, jobs)


def _interrupted(fp: str, docs: Any, jobs: Any) -> Any:
    raise KeyboardInterrupt


def test_a_worker_that_dies_stops_the_sweep_with_one_message(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from flowsim.sweep import SweepError

    out = tmp_path / "s.jsonl"
    kw: dict[str, Any] = {"seeds": 10, "grid": GRID, "progress": False, "chunk_size": 8}
    monkeypatch.setattr(core, "_run_chunk", _die_on_chunk_3)  # forked workers inherit it
    with cf.ProcessPoolExecutor(1) as pool, pytest.raises(SweepError) as e:
        sweep(_flow(), executor=pool, out=out, **kw)
    assert str(e.value) == (
        "sweep stopped by BrokenProcessPool: A process in the process pool was terminated "
        f"abruptly while the future was running or pending; 24 of 80 runs kept in '{out}' "
        "(resume=True runs the rest)"
    )
    monkeypatch.setattr(core, "_run_chunk", _REAL_RUN_CHUNK)
    resumed = sweep(_flow(), executor=False, out=out, resume=True, **kw)
    assert _table(resumed.rows) == _table(sweep(_flow(), executor=False, **kw).rows)


def test_cli_ctrl_c_exits_130_with_the_summary_line(monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setattr(core, "_run_chunk", _interrupted)  # raised in the worker process
    code, out, err = _main(["blueprint", "--seeds", "4", "--jobs", "1", "--no-progress"], capsys)
    assert (code, out, err) == (
        130,
        ["sweep interrupted: 0 of 4 runs had finished (give out= to keep them)"],
        [],
    )


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
        ({"chunk_size": 0}, "sweep chunk_size: expected an int >= 1 or None, got 0"),
        (
            {"seeds": [1, 2**63], "out": "big.parquet"},
            "sweep out 'big.parquet': a seed does not fit Parquet's int64 column; use seeds "
            "below 2**63 or a .jsonl out",
        ),
        (
            {"out": "/nonexistent/dir/r.parquet"},
            "sweep out '/nonexistent/dir/r.parquet': cannot write (No such file or directory)",
        ),
        (
            {"out": "/nonexistent/dir/r.jsonl"},
            "sweep out '/nonexistent/dir/r.jsonl': cannot write (No such file or directory)",
        ),
    ],
)
def test_bad_input_messages(
    kwargs: dict[str, Any], message: str, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # an out that is accepted is made here
    with pytest.raises(ScenarioError) as e:
        sweep(_flow(), executor=False, progress=False, **kwargs)
    assert str(e.value) == message
    assert list(tmp_path.iterdir()) == []  # refused before anything was made


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


def _main(argv: list[str], capsys: Any) -> tuple[int, list[str], list[str]]:
    from flowsim.cli import main

    code = main(["sweep", *argv])
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err.splitlines()


def test_cli_prints_the_describe_table(capsys: Any) -> None:
    argv = ["blueprint", "--seeds", "4", "--grid", "strategy=smart", "--jobs", "1"]
    code, out, err = _main([*argv, "--no-progress"], capsys)
    res = sweep(
        fs.examples.load("blueprint"),
        seeds=4,
        grid={"strategy": ["smart"]},
        executor=False,
        progress=False,
    )
    (d,) = res.describe()
    assert code == 0
    assert err == []
    assert out == [
        "  ".join(d),
        "  ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in d.values()),
    ]


def test_cli_plot_draws_the_risk_when_fail_probability_varies(tmp_path: Path, capsys: Any) -> None:
    risk, cdf = tmp_path / "risk.svg", tmp_path / "cdf.svg"
    grid = ["--grid", "strategy=smart,stop_the_world", "--jobs", "1", "--no-progress"]
    argv = ["blueprint", "--seeds", "5", *grid, "--grid", "fail_probability=0,0.2"]
    code, out, err = _main([*argv, "--plot", str(risk)], capsys)
    assert (code, err, out[-1]) == (0, [], f"picture: {risk}")
    code, out, err = _main(["blueprint", "--seeds", "5", *grid, "--plot", str(cdf)], capsys)
    assert (code, err, out[-1]) == (0, [], f"picture: {cdf}")
    # matplotlib writes an artist's gid as its SVG id
    assert 'id="p50:stop_the_world"' in risk.read_text()
    assert 'id="cdf:' not in risk.read_text()
    assert 'id="cdf:stop_the_world"' in cdf.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdf.svg", "risk.svg"]


def test_cli_writes_parquet_and_a_png_then_resumes(tmp_path: Path, capsys: Any) -> None:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    out, png = tmp_path / "r.parquet", tmp_path / "r.png"
    argv = ["blueprint", "--seeds", "6", "--grid", "workers=1,2", "--jobs", "2", "--no-progress"]
    code, first, err = _main([*argv, "--out", str(out), "--plot", str(png)], capsys)
    assert (code, err) == (0, [])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = sweep(
        fs.examples.load("blueprint"),
        seeds=6,
        grid={"workers": [1, 2]},
        executor=False,
        progress=False,
    )
    assert pq.read_table(out).to_pylist() == list(res.rows)
    code, again, err = _main([*argv, "--out", str(out), "--resume"], capsys)
    assert (code, err, again) == (0, [], first[:-1])


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
        (["--jobs", "0"], "--jobs: expected a number of processes >= 1, got 0"),
        (
            ["--plot", "r.gifx"],
            "r.gifx: --plot: cannot tell the picture format from the name; end it in one of "
            "matplotlib's formats: .avif, .eps, .gif, .jpeg, .jpg, .pdf, .pgf, .png, .ps, "
            ".raw, .rgba, .svg, .svgz, .tif, .tiff, .webp",
        ),
        (
            ["--out", "r.csv"],
            "sweep out 'r.csv': unknown format '.csv'; expected .parquet or .jsonl",
        ),
        (
            ["--plot", "/nonexistent/dir/r.png"],
            "/nonexistent/dir/r.png: cannot write picture file: No such file or directory",
        ),
        (
            ["--scheduler", "tcp://127.0.0.1:1"],
            "--scheduler tcp://127.0.0.1:1: no Dask "
            "scheduler answered within 5 s (Timed out trying to connect to tcp://127.0.0.1:1 "
            "after 5 s)",
        ),
    ],
)
def test_cli_bad_input(argv: list[str], message: str, capsys: Any) -> None:
    base = ["blueprint", "--seeds", "2", "--jobs", "1", "--no-progress"]
    if "--scheduler" in argv:
        base.remove("--jobs")
        base.remove("1")
    code, out, err = _main([*base, *argv], capsys)
    assert (code, err, out) == (2, [f"flowsim: error: {message}"], [])


def test_bootstrap_interval_brackets_the_mean_of_a_mixed_sample() -> None:
    flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=2, fail_probability=0.5)])
    (d,) = sweep(flow, seeds=40, executor=False, progress=False).describe()
    assert 0 < d["share_success"] < 1
    assert 2.0 < d["makespan_mean_ci_low"] < d["makespan_mean"] < d["makespan_mean_ci_high"] < 3.0


def test_cli_out_never_replaces_the_scenario_nor_blocks_on_a_fifo(
    tmp_path: Any, capsys: Any
) -> None:
    from flowsim.cli import main

    scenario = tmp_path / "s.jsonl"
    fs.save_scenario(fs.examples.load("blueprint"), scenario)
    before = scenario.read_bytes()
    assert (
        main(["sweep", str(scenario), "--seeds", "2", "--jobs", "1", "--out", str(scenario)]) == 2
    )
    assert capsys.readouterr().err == (
        "flowsim: error: --out is the scenario's file; give the results another name\n"
    )
    assert scenario.read_bytes() == before
    fifo = tmp_path / "r.jsonl"
    os.mkfifo(fifo)
    assert main(["sweep", "blueprint", "--seeds", "2", "--jobs", "1", "--out", str(fifo)]) == 2
    assert capsys.readouterr().err == (
        f"flowsim: error: {fifo}: --out: not a regular file or a directory; give a .jsonl "
        "file or a .parquet directory\n"
    )
