"""Every input answered cleanly (issue 14, items 1-3): exact messages and exit codes for
bad trace files, bad scenario files, extreme values and inputs that are not regular files,
through ``flowsim.cli.main`` in-process (a subprocess only where a pipe is needed)."""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import flowsim as fs
from flowsim import examples
from flowsim.cli import main
from flowsim.files import load_scenario, load_trace, to_chrome_trace

BLUEPRINT = Path(examples.__file__).parent / "blueprint.json"


def good_trace() -> dict[str, Any]:
    return fs.simulate(examples.load("blueprint")).traced().to_dict()


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    """Exit code and stderr of ``flowsim ARGV``; stderr is at most one error line."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert err.count("\n") <= 1 and "Traceback" not in err
    return code, err.removesuffix("\n")


def set_in(path: list[Any], value: object) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return change


def delete(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for key in path[:-1]:
            d = d[key]
        del d[path[-1]]

    return change


RES = {"time": 0, "seq": 1, "failed": "A", "chain": [], "action": "REVERT_ALL", "retry": None}

#: (change to a good trace dict, the message after "flowsim: error: FILE: ").
BAD_TRACES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "time as a string",
        set_in(["events", 1, "time"], "1.0"),
        '$.events[1].time: expected a time (a finite number >= 0); got "1.0"',
    ),
    (
        "time as a boolean",
        set_in(["events", 1, "time"], True),
        "$.events[1].time: expected a time (a finite number >= 0); got true",
    ),
    (
        "negative time",
        set_in(["events", 1, "time"], -1),
        "$.events[1].time: expected a time (a finite number >= 0); got -1",
    ),
    (
        "seq as a float",
        set_in(["events", 1, "seq"], 1.0),
        "$.events[1].seq: expected a whole number >= 0; got 1.0",
    ),
    (
        "seq as a string",
        set_in(["events", 1, "seq"], "1"),
        '$.events[1].seq: expected a whole number >= 0; got "1"',
    ),
    (
        "attempt as a string",
        set_in(["events", 1, "attempt"], "1"),
        '$.events[1].attempt: expected a whole number >= 0 or null; got "1"',
    ),
    (
        "worker as a float",
        set_in(["events", 1, "worker"], 0.5),
        "$.events[1].worker: expected a whole number >= 0 or null; got 0.5",
    ),
    (
        "negative worker",
        set_in(["events", 1, "worker"], -1),
        "$.events[1].worker: expected a whole number >= 0 or null; got -1",
    ),
    (
        "name as a number",
        set_in(["events", 1, "name"], 5),
        "$.events[1].name: expected a name (a non-empty string); got 5",
    ),
    (
        "name missing",
        delete(["events", 1, "name"]),
        "$.events[1]: missing required key 'name' in an event",
    ),
    (
        "events not a list",
        set_in(["events"], {}),
        "$.events: expected a list (a JSON array); got {}",
    ),
    (
        "events null",
        set_in(["events"], None),
        "$.events: expected a list (a JSON array); got null",
    ),
    (
        "an event that is a list",
        set_in(["events", 1], [1, 2]),
        "$.events[1]: expected an event (a JSON object); got [1, 2]",
    ),
    (
        "flow missing",
        delete(["flow"]),
        "$: not a flowsim trace: missing required key 'flow'; expected an object with "
        '"flow", "events" and "resolutions"',
    ),
    (
        "flow a number",
        set_in(["flow"], 3),
        "$.flow: expected a name (a non-empty string); got 3",
    ),
    (
        "unknown top key",
        set_in(["extra"], 1),
        '$.extra: unknown key "extra" in a trace; allowed keys: flowsim_trace, flow, engine, '
        "options, events, resolutions",
    ),
    (
        "unknown event key",
        set_in(["events", 1, "colour"], 1),
        '$.events[1].colour: unknown key "colour" in an event; allowed keys: time, seq, '
        "subject, name, state, attempt, worker",
    ),
    (
        "format 2",
        set_in(["flowsim_trace"], 2),
        "$.flowsim_trace: unsupported trace format 2; this flowsim reads format 1 "
        '("flowsim_trace": 1)',
    ),
    (
        "format as a string",
        set_in(["flowsim_trace"], "1"),
        '$.flowsim_trace: unsupported trace format "1"; this flowsim reads format 1 '
        '("flowsim_trace": 1)',
    ),
    (
        "format true",
        set_in(["flowsim_trace"], True),
        "$.flowsim_trace: unsupported trace format true; this flowsim reads format 1 "
        '("flowsim_trace": 1)',
    ),
    (
        "lower-case state",
        set_in(["events", 1, "state"], "running"),
        "$.events[1]: unknown atom state 'running'; expected one of PENDING, RUNNING, "
        "SUCCESS, FAILURE, REVERTING, REVERTED, REVERT_FAILURE, IGNORE, RETRYING",
    ),
    (
        "unknown subject",
        set_in(["events", 1, "subject"], "task"),
        '$.events[1].subject: expected "atom" or "flow"; got "task"',
    ),
    (
        "a chain link of one item",
        set_in(["resolutions"], [{**RES, "chain": [[1]], "scope": []}]),
        '$.resolutions[0].chain[0]: expected ["retry name", "DECISION"]; got [1]',
    ),
    (
        "an unknown action",
        set_in(["resolutions"], [{**RES, "action": "DANCE", "scope": []}]),
        "$.resolutions[0].action: unknown action 'DANCE'; expected one of RETRY, REVERT, "
        "REVERT_ALL",
    ),
    (
        "scope as a string",
        set_in(["resolutions"], [{**RES, "scope": "AB"}]),
        '$.resolutions[0].scope: expected a list (a JSON array); got "AB"',
    ),
    (
        "resolution time as a string",
        set_in(["resolutions"], [{**RES, "time": "1", "scope": []}]),
        '$.resolutions[0].time: expected a time (a finite number >= 0); got "1"',
    ),
    (
        "resolutions null",
        set_in(["resolutions"], None),
        "$.resolutions: expected a list (a JSON array); got null",
    ),
    (
        "engine empty",
        set_in(["engine"], ""),
        "$.engine: engine must be a non-empty string, got ''",
    ),
]


@pytest.mark.parametrize(("case", "change", "message"), BAD_TRACES, ids=[c[0] for c in BAD_TRACES])
def test_bad_trace_values(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    d = good_trace()
    change(d)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(d))
    assert run_cli(capsys, "check", BLUEPRINT, path) == (2, f"flowsim: error: {path}: {message}")


#: (text of a trace file, message); ``{good}`` is a good trace's JSON without its last "}".
BAD_TRACE_TEXTS: list[tuple[str, str, str]] = [
    (
        "repeated top key",
        '{good}, "flow": "x"}}',
        "$.flow: key 'flow' appears more than once; keep only one",
    ),
    (
        "repeated event key",
        '{{"flow": "f", "events": [{{"time": 0, "time": 1}}]}}',
        "$.events[0].time: key 'time' appears more than once; keep only one",
    ),
    (
        "time 1e400",
        '{{"flow": "f", "events": [{{"time": 1e400}}]}}',
        "$.events[0].time: expected a time (a finite number >= 0); got Infinity",
    ),
    (
        "NaN",
        '{{"flow": "f", "events": [{{"time": NaN}}]}}',
        "not JSON: NaN is not a JSON number; use a number or null",
    ),
    (
        "-Infinity",
        '{{"flow": "f", "events": [{{"time": -Infinity}}]}}',
        "not JSON: -Infinity is not a JSON number; use a number or null",
    ),
    (
        "5000 digits",
        '{{"flow": "f", "events": [{{"seq": 1' + "0" * 5000 + "}}]}}",
        "not JSON flowsim can read: Exceeds the limit (4300 digits) for integer string "
        "conversion: value has 5001 digits; use sys.set_int_max_str_digits() to increase "
        "the limit",
    ),
    (
        "deep nesting",
        "[" * 100_000 + "]" * 100_000,
        "not JSON flowsim can read: nested too deeply",
    ),
    (
        "deep nesting in a value",
        '{good}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}}",
        "not JSON flowsim can read: nested too deeply",
    ),
    ("empty", "", "not JSON: Expecting value at line 1 column 1"),
    ("an array", "[]", "$: expected a trace (a JSON object); got []"),
]


@pytest.mark.parametrize(
    ("case", "text", "message"), BAD_TRACE_TEXTS, ids=[c[0] for c in BAD_TRACE_TEXTS]
)
def test_bad_trace_texts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, text: str, message: str
) -> None:
    path = tmp_path / "t.json"
    path.write_text(text.format(good=json.dumps(good_trace())[:-1]))
    assert run_cli(capsys, "check", BLUEPRINT, path) == (2, f"flowsim: error: {path}: {message}")


@pytest.mark.parametrize(
    ("case", "data", "message"),
    [
        (
            "non-UTF-8",
            b'{"flow": "\xff"}',
            "not a UTF-8 text file (byte 10: invalid start byte); a trace file is JSON text",
        ),
        (
            "UTF-16",
            '{"flow": "f"}'.encode("utf-16"),
            "not a UTF-8 text file (byte 0: invalid start byte); a trace file is JSON text",
        ),
    ],
)
def test_trace_encodings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, data: bytes, message: str
) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(data)
    assert run_cli(capsys, "check", BLUEPRINT, path) == (2, f"flowsim: error: {path}: {message}")


def test_a_utf8_bom_is_accepted_in_both_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario, trace = tmp_path / "s.json", tmp_path / "t.json"
    scenario.write_bytes(b"\xef\xbb\xbf" + BLUEPRINT.read_bytes())
    trace.write_bytes(b"\xef\xbb\xbf" + json.dumps(good_trace()).encode())
    assert main(["check", str(scenario), str(trace)]) == 0
    events = len(good_trace()["events"])
    assert capsys.readouterr().out.endswith(f"clean: {events} events of {trace} obey every rule\n")


def test_an_older_trace_without_format_engine_or_options_loads(tmp_path: Path) -> None:
    d = good_trace()
    del d["flowsim_trace"], d["engine"], d["options"], d["resolutions"]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(d))
    trace = load_trace(path)
    assert (trace.engine, trace.options, trace.resolutions) == ("flowsim", None, ())
    assert trace.events == fs.simulate(examples.load("blueprint")).traced().events


def test_a_scenario_given_as_the_trace_and_a_trace_as_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps(good_trace()))
    assert run_cli(capsys, "check", BLUEPRINT, BLUEPRINT) == (
        2,
        f'flowsim: error: {BLUEPRINT}: $: this is a scenario file (it has "flowsim" and a '
        '"flow" object), not a trace; a trace file is what run --trace-out writes',
    )
    assert run_cli(capsys, "check", trace, trace) == (
        2,
        f'flowsim: error: {trace}: $: this is a trace file (it has "flowsim_trace"), not a '
        'scenario; a scenario file is a JSON object like {"flowsim": 1, "flow": {...}}',
    )


def test_errors_found_by_check_name_the_trace_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({**good_trace(), "flow": "other"}))
    assert run_cli(capsys, "check", BLUEPRINT, path) == (
        2,
        f"flowsim: error: {path}: the trace is of flow 'other', not 'blueprint'",
    )


def test_trace_from_dict_is_strict_without_a_file() -> None:
    with pytest.raises(fs.ScenarioError) as e:
        fs.Trace.from_dict({"flow": "f", "events": [{"time": 0, "seq": "0"}]})
    assert str(e.value) == '<trace>: $.events[0].seq: expected a whole number >= 0; got "0"'
    with pytest.raises(fs.ScenarioError) as e:
        fs.Trace.from_dict([])  # type: ignore[arg-type]
    assert str(e.value) == "<trace>: $: expected a trace (a JSON object); got []"


# --------------------------------------------------------------------------- not regular files


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_fifo_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    argv: list[str | Path] = ["run", fifo] if command == "run" else ["check", BLUEPRINT, fifo]
    what = "scenario file" if command == "run" else "trace file"
    assert run_cli(capsys, *argv) == (
        2,
        f"flowsim: error: {fifo}: cannot read {what}: it is a FIFO (named pipe), not a "
        f"regular file; give the path of a {what}",
    )


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_at_once(capsys: pytest.CaptureFixture[str], device: str) -> None:
    assert run_cli(capsys, "run", device) == (
        2,
        f"flowsim: error: {device}: cannot read scenario file: it is a character device, not "
        "a regular file; give the path of a scenario file",
    )
    assert run_cli(capsys, "check", BLUEPRINT, device) == (
        2,
        f"flowsim: error: {device}: cannot read trace file: it is a character device, not "
        "a regular file; give the path of a trace file",
    )


def test_a_directory_as_the_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "check", BLUEPRINT, tmp_path) == (
        2,
        f"flowsim: error: {tmp_path}: cannot read trace file: Is a directory",
    )


def test_an_endless_stream_on_stdin_is_refused() -> None:
    """``yes | flowsim run /dev/stdin``: a pipe, refused before reading a byte."""
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "flowsim", "run", "/dev/stdin"],
            stdin=yes.stdout,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        yes.kill()
        yes.wait()
        assert yes.stdout is not None
        yes.stdout.close()
    assert (done.returncode, done.stderr) == (
        2,
        "flowsim: error: /dev/stdin: cannot read scenario file: it is a FIFO (named pipe), "
        "not a regular file; give the path of a scenario file\n",
    )


def test_a_file_beyond_the_size_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(256 * 2**20 + 1)  # sparse: no disk used
    with pytest.raises(fs.ScenarioError) as e:
        load_trace(big)
    assert (
        str(e.value)
        == f"{big}: cannot read trace file: larger than 256 MiB, the most flowsim reads"
    )


def test_names_the_file_system_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    name = "x" * 300 + ".json"
    assert run_cli(capsys, "run", name) == (
        2,
        f"flowsim: error: {name}: cannot read scenario file: File name too long",
    )
    with pytest.raises(fs.ScenarioError) as e:
        load_scenario("a\0b.json")
    assert str(e.value) == "a\0b.json: cannot read scenario file: embedded null byte"


# --------------------------------------------------------------------------- extreme values


def scenario_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    d: dict[str, Any] = copy.deepcopy(json.loads(BLUEPRINT.read_text()))
    change(d)
    return d


@pytest.mark.parametrize(
    ("case", "change", "message"),
    [
        (
            "workers 10**30",
            set_in(["options", "workers"], 10**30),
            "$.options: options: workers must be at most 1_000_000 (None means unlimited), "
            "got 1000000000000000000000000000000",
        ),
        (
            "lognormal that overflows",
            set_in(
                ["flow", "children", 0, "duration"], {"dist": "lognormal", "mu": 800, "sigma": 1}
            ),
            "$.flow.children[0].duration: LogNormal: mu + 8.21 * sigma must be at most 709.78 "
            "(the log of the largest float: longer draws overflow), got mu=800.0, sigma=1.0",
        ),
        (
            "exponential that overflows",
            set_in(["flow", "children", 0, "duration"], {"dist": "exponential", "mean": 1e308}),
            "$.flow.children[0].duration: Exponential: mean must be at most 4.89e+306 (its "
            "longest draws, 36.7 times the mean, must stay finite), got 1e+308",
        ),
    ],
)
def test_extreme_scenario_values(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    change: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario_with(change)))
    assert run_cli(capsys, "run", path) == (2, f"flowsim: error: {path}: {message}")


def linear(*durations: float) -> dict[str, Any]:
    children = [{"kind": "task", "name": f"t{i}", "duration": d} for i, d in enumerate(durations)]
    return {"flowsim": 1, "flow": {"kind": "linear", "name": "f", "children": children}}


def test_a_run_whose_times_overflow_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(linear(1e308, 1e308)))
    for flags in ([], ["--json"], ["--plot", str(tmp_path / "p.png")]):
        assert run_cli(capsys, "run", path, *flags) == (
            2,
            f"flowsim: error: {path}: the run's times overflow (a sum of durations is beyond "
            "the largest float, about 1.8e308); use smaller durations (e.g. other time units)",
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]
    # the Python API says the same: simulate() returns no result with an infinite makespan
    flow = fs.LinearFlow(name="f", children=[fs.Task(name=n, duration=1e308) for n in "ab"])
    with pytest.raises(fs.ModelError) as e:
        fs.simulate(flow)
    assert str(e.value).startswith("the run's times overflow")


def test_a_perfetto_export_beyond_its_range_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, out = tmp_path / "s.json", tmp_path / "run.json"
    path.write_text(json.dumps(linear(1e308)))
    assert run_cli(capsys, "run", path, "--perfetto", out) == (
        2,
        f"flowsim: error: {out}: to_chrome_trace(): the run lasts 1e+308 time units, beyond "
        "what a Chrome trace's microsecond timestamps hold (at most 1.8e+302 units)",
    )
    assert not out.exists()


@pytest.mark.parametrize("duration", [1e300, 1e-300, 0.0])
def test_huge_and_tiny_durations_reach_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], duration: float
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(linear(duration, duration)))
    argv = ["run", path, "--json", "--perfetto", tmp_path / "c.json", "--plot", tmp_path / "p.png"]
    assert main([str(a) for a in argv]) == 0
    out = json.loads(capsys.readouterr().out)  # strict: Infinity or NaN would not parse
    assert out["makespan"] == 2 * duration
    assert tmp_path.joinpath("p.png").read_bytes().startswith(b"\x89PNG")
    assert main(["run", str(path)]) == 0
    text = capsys.readouterr().out
    assert "SUCCESS" in text


def test_python_api_extremes_name_the_argument() -> None:
    with pytest.raises(fs.ModelError) as e:
        fs.Task(name="a", duration=10**400)
    assert str(e.value).startswith("task 'a': duration must be a finite number, got 1000")
    with pytest.raises(fs.ModelError) as e:
        fs.Task(name="a", duration=[-(10**5000)])
    assert str(e.value) == (
        "task 'a': duration[0] must be a finite number, got an integer of more than 4300 digits"
    )
    with pytest.raises(fs.ModelError) as e:
        fs.Scenario(flow=fs.LinearFlow(name="f"), store=3)  # type: ignore[arg-type]
    assert str(e.value) == "Scenario: store must be a mapping, got 3"
    assert fs.Task(name="a", duration=10**300).duration == 1e300
    result = fs.simulate(fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=1e308)]))
    with pytest.raises(fs.ModelError, match=r"^to_chrome_trace\(\): the run lasts 1e\+308"):
        to_chrome_trace(result)
    assert math.isfinite(result.makespan)
