"""The ``flowsim`` command, run as ``python -m flowsim`` with this interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flowsim import examples, load_trace, simulate
from flowsim.cli import main


def flowsim(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowsim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def assert_bad_input(proc: subprocess.CompletedProcess[str], *phrases: str, code: int = 2) -> str:
    """One ``flowsim: error:`` line on stderr holding every phrase, no traceback."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("flowsim: error: ")
    for phrase in phrases:
        assert phrase in lines[0]
    assert proc.stdout == ""
    return lines[0]


PNG = b"\x89PNG\r\n\x1a\n"


def scenario(flow: dict[str, Any], **top: Any) -> str:
    return json.dumps({"flowsim": 1, "flow": flow, **top})


def write(tmp_path: Path, text: str, name: str = "s.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_demo(tmp_path: Path) -> None:
    proc = flowsim("demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = proc.stdout
    assert "== smart ==" in out and "== stop_the_world ==" in out and "== comparison ==" in out
    assert "flow: RUNNING@0 SUCCESS@7" in out
    assert "flow: RUNNING@0 REVERTING@3 RUNNING@8 SUCCESS@10" in out
    assert "B           .....xxxxxxxxxx<<<<<==========....................  (2 attempts)" in out
    assert "B           .....xxxxxxxxxx....................<<<<<==========  (2 attempts)" in out
    assert "smart: B's revert [3, 4] overlaps C's execute [1, 7]" in out
    assert "stop_the_world: no revert overlaps an execute" in out
    assert out.index("== smart ==") < out.index("== stop_the_world ==") < out.index("label")
    # ... and, not asked for a picture (--out), it writes no file.
    assert out.endswith("\nstop_the_world: no revert overlaps an execute\n")
    assert list(tmp_path.iterdir()) == []


def test_demo_out_creates_the_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path / "docs" / "pictures")]) == 0
    picture = tmp_path / "docs" / "pictures" / "blueprint-timeline.png"
    assert capsys.readouterr().out.endswith(f"timeline picture: {picture}\n")
    assert picture.read_bytes().startswith(PNG)
    assert [p.name for p in picture.parent.iterdir()] == ["blueprint-timeline.png"]


def test_demo_out_relative_to_the_current_directory(tmp_path: Path) -> None:
    proc = flowsim("demo", "--out", "build/demo", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(
        "\nstop_the_world: no revert overlaps an execute\n\n"
        "timeline picture: build/demo/blueprint-timeline.png\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["build"]
    assert (tmp_path / "build/demo/blueprint-timeline.png").read_bytes().startswith(PNG)


def test_demo_out_empty(tmp_path: Path) -> None:
    line = assert_bad_input(flowsim("demo", "--out", " ", cwd=tmp_path))
    assert line == "flowsim: error: --out: the folder's path is empty; give a folder"
    assert list(tmp_path.iterdir()) == []


def test_demo_out_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = write(tmp_path, "", "file")
    assert main(["demo", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f"flowsim: error: {target}: --out: cannot create the directory: File exists\n"


def test_run_plot_and_perfetto(tmp_path: Path) -> None:
    picture, perfetto = tmp_path / "run.png", tmp_path / "run.json"
    proc = flowsim("run", "blueprint", "--plot", picture, "--perfetto", perfetto, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["makespan"] == 7.0  # stdout still one JSON object
    assert picture.read_bytes().startswith(PNG)
    trace = json.loads(perfetto.read_text(encoding="utf-8"))
    names = {e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"}
    assert names == {"flow blueprint", "worker 0", "worker 1", "checkpoint (no worker)"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json", "run.png"]


def test_run_plot_svg_and_pdf(tmp_path: Path) -> None:
    svg, pdf = tmp_path / "run.svg", tmp_path / "run.PDF"
    assert main(["run", "blueprint", "--json", "--plot", str(svg)]) == 0
    assert main(["run", "blueprint", "--json", "--plot", str(pdf)]) == 0
    assert b"<svg" in svg.read_bytes()[:400]
    assert pdf.read_bytes().startswith(b"%PDF")


#: Where a picture of each format starts, and its bytes there (raw and rgba have none).
MAGIC = {
    "avif": (4, b"ftypavif"),
    "eps": (0, b"%!PS-Adobe-3.0 EPSF-3.0"),
    "gif": (0, b"GIF89a"),
    "jpeg": (0, b"\xff\xd8\xff"),
    "jpg": (0, b"\xff\xd8\xff"),
    "pdf": (0, b"%PDF"),
    "png": (0, PNG),
    "ps": (0, b"%!PS-Adobe-3.0"),
    "svg": (0, b'<?xml version="1.0"'),
    "svgz": (0, b"\x1f\x8b"),
    "tif": (0, b"II*\x00"),
    "tiff": (0, b"II*\x00"),
    "webp": (0, b"RIFF"),
}


def formats() -> list[str]:
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


@pytest.mark.parametrize("fmt", sorted(set(formats()) - {"pgf"}))
def test_run_plot_writes_every_format_matplotlib_writes(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"run.{fmt.upper()}"
    assert main(["run", "blueprint", "--json", "--plot", str(target)]) == 0
    data = target.read_bytes()
    if fmt in ("raw", "rgba"):  # bare pixels: 4 bytes each
        assert len(data) % 4 == 0 and len(data) > 4 * 10_000
    else:
        at, magic = MAGIC[fmt]
        assert data[at : at + len(magic)] == magic, data[:24]
    if fmt == "webp":
        assert data[8:12] == b"WEBP"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_every_format_has_its_test() -> None:
    """A matplotlib that writes a new format makes this fail until MAGIC knows it."""
    assert sorted(set(formats()) - {"pgf", "raw", "rgba"}) == sorted(MAGIC)


def test_run_plot_pgf_without_tex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pgf needs a TeX system: without one (none here), one line before anything runs."""
    import shutil

    if shutil.which("xelatex") is not None:
        pytest.skip("xelatex is installed here: the pgf picture would be written")
    target = tmp_path / "run.pgf"
    line = assert_bad_input(flowsim("run", "blueprint", "--plot", target))
    assert line == (
        f"flowsim: error: {target}: --plot: the pgf format needs xelatex (matplotlib's "
        "pgf.texsystem), which is not installed; install a TeX system or choose another format"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["run.gifx", "run", "run.png.txt"])
def test_run_plot_needs_a_known_picture_format(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    line = assert_bad_input(flowsim("run", "blueprint", "--plot", target))
    endings = ", ".join(f".{f}" for f in formats())
    assert line == (
        f"flowsim: error: {target}: --plot: cannot tell the picture format from the name; "
        f"end it in one of matplotlib's formats: {endings}"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("flag", "name", "what"),
    [("--plot", "run.png", "picture file"), ("--perfetto", "run.json", "Perfetto trace file")],
)
def test_run_outputs_to_an_unwritable_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, name: str, what: str
) -> None:
    target = tmp_path / "missing" / name
    assert main(["run", "blueprint", "--json", flag, str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f"flowsim: error: {target}: cannot write {what}: No such file or directory\n"
    assert list(tmp_path.iterdir()) == []


def test_run_an_example_by_name() -> None:
    proc = flowsim("run", "blueprint")
    assert proc.returncode == 0, proc.stderr
    assert "B           .....xxxxxxxxxx<<<<<==========.....  (2 attempts)" in proc.stdout
    assert "makespan: 7\n" in proc.stdout
    assert "t=3 B failed -> checkpoint: RETRY; reverted scope: B" in proc.stdout


def test_run_json() -> None:
    proc = flowsim("run", "blueprint", "--json", "--strategy", "stop_the_world")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # exactly one JSON object and nothing else
    assert data["flow_state"] == "SUCCESS"
    assert data["makespan"] == 10.0
    assert data["executions"] == {"A": 1, "checkpoint": 2, "B": 2, "C": 1}
    assert data["reverts"]["B"] == 1
    assert data["retry_values"] == {"checkpoint": [1, 2]}
    for key in ("atom_final_states", "events", "resolutions", "wasted_work", "worker_busy"):
        assert key in data


def test_run_a_file_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "copy.json"
    path.write_text(
        (Path(examples.__file__).parent / "blueprint.json").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    proc = flowsim("run", path, "--json", "--workers", "1", "--seed", "3", "--no-defer-reverts")
    assert proc.returncode == 0, proc.stderr
    expected = simulate(examples.load("blueprint"), workers=1, seed=3, defer_reverts=False)
    assert json.loads(proc.stdout) == json.loads(json.dumps(expected.to_dict()))


def test_a_flow_that_fails_still_exits_0(tmp_path: Path) -> None:
    flow = {"kind": "linear", "name": "f", "children": [{"kind": "task", "name": "t"}]}
    path = write(tmp_path, scenario({**flow}))
    for flags in ([], ["--never-resolve"]):
        proc = flowsim("run", path, "--json", *flags)
        assert proc.returncode == 0
    failing = {**flow, "children": [{"kind": "task", "name": "t", "fails_on": "always"}]}
    proc = flowsim("run", write(tmp_path, scenario(failing)), "--never-resolve", "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["flow_state"] == "FAILURE"


def test_trace_out_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    proc = flowsim("run", "blueprint", "--trace-out", out, "--strategy", "stop_the_world")
    assert proc.returncode == 0, proc.stderr
    trace = load_trace(out)
    assert trace == simulate(examples.load("blueprint"), strategy="stop_the_world").trace
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.json"]


@pytest.mark.parametrize("where", ["missing/trace.json", "."])
def test_trace_out_to_an_unwritable_path(tmp_path: Path, where: str) -> None:
    target = tmp_path / where
    proc = flowsim("run", "blueprint", "--trace-out", target)
    assert_bad_input(proc, str(target), "cannot write trace file")
    assert list(tmp_path.iterdir()) == []  # no partial or temporary file left


def test_event_budget_exceeded_exits_1(tmp_path: Path) -> None:
    flow = {
        "kind": "linear",
        "name": "forever",
        "retry": {"kind": "always_retry", "name": "again"},
        "children": [{"kind": "task", "name": "t", "fails_on": "always"}],
    }
    path = write(tmp_path, scenario(flow))
    proc = flowsim("run", path, "--event-budget", "50")
    line = assert_bad_input(proc, str(path), "event", "may never end", code=1)
    assert "AlwaysRetry" in line


FLOW = {"kind": "linear", "name": "root", "children": [{"kind": "task", "name": "A"}]}


def _graph(children: list[Any], links: list[Any]) -> str:
    return scenario({"kind": "graph", "name": "g", "children": children, "links": links})


BAD_FILES = [
    ("not JSON", '{"flowsim": 1,\n', "not JSON: ", "line 2 column 1"),
    ("wrong type", scenario({**FLOW, "children": {}}), "$.flow.children", "expected a list"),
    (
        "unknown kind",
        scenario({**FLOW, "kind": "parallel"}),
        "$.flow.kind",
        'unknown kind "parallel"',
    ),
    (
        "negative duration",
        scenario({**FLOW, "children": [{"kind": "task", "name": "A", "duration": -1}]}),
        "$.flow.children[0].duration",
        'expected a number >= 0, a list of them (one per call), or {"dist": ...}; got -1',
    ),
    (
        "duplicate names",
        scenario({**FLOW, "children": [{"kind": "task", "name": "A"}] * 2}),
        "$.flow.children[1].name",
        'duplicate name "A"',
    ),
    (
        "cycle",
        _graph(
            [{"kind": "task", "name": "a"}, {"kind": "task", "name": "b"}],
            [{"source": "a", "target": "b"}, {"source": "b", "target": "a"}],
        ),
        "$.flow:",
        "has a cycle",
    ),
    (
        "unknown link end",
        _graph([{"kind": "task", "name": "a"}], [{"source": "a", "target": "zz"}]),
        "$.flow.links[0].target",
        'no child named "zz"',
    ),
    (
        "link into a nested flow",
        _graph(
            [
                {"kind": "task", "name": "a"},
                {"kind": "linear", "name": "sub", "children": [{"kind": "task", "name": "deep"}]},
            ],
            [{"source": "a", "target": "deep"}],
        ),
        "$.flow.links[0].target",
        "is not a direct child",
    ),
    ("top level not an object", "[]", "$:", "expected a scenario"),
]


@pytest.mark.parametrize(
    ("case", "text", "path", "phrase"), BAD_FILES, ids=[c[0] for c in BAD_FILES]
)
def test_a_bad_scenario_file(tmp_path: Path, case: str, text: str, path: str, phrase: str) -> None:
    file = write(tmp_path, text)
    line = assert_bad_input(flowsim("run", file), str(file), path, phrase)
    assert line.startswith(f"flowsim: error: {file}: ")


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    assert_bad_input(
        flowsim("run", path), str(path), "no such scenario file", "examples are: blueprint"
    )


def test_a_directory(tmp_path: Path) -> None:
    assert_bad_input(flowsim("run", tmp_path), str(tmp_path), "Is a directory")


@pytest.mark.parametrize(
    ("flags", "phrase"),
    [
        (["--workers", "0"], "--workers must be a whole number >= 1"),
        (["--workers", "-2"], "--workers must be a whole number >= 1"),
        (["--workers", "two"], "argument --workers: invalid int value: 'two'"),
        (["--event-budget", "0"], "--event-budget must be a whole number >= 1"),
        (["--strategy", "fast"], "argument --strategy: invalid choice: 'fast'"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_flags(flags: list[str], phrase: str) -> None:
    assert_bad_input(flowsim("run", "blueprint", *flags), phrase)


def test_usage_errors_exit_2() -> None:
    assert_bad_input(flowsim(), "required: COMMAND", "flowsim --help")
    assert_bad_input(flowsim("fly"), "invalid choice: 'fly'")
    assert_bad_input(flowsim("run"), "required: SCENARIO", "flowsim run --help")


def test_help_exits_0() -> None:
    proc = flowsim("run", "--help")
    assert proc.returncode == 0
    assert "--trace-out FILE" in proc.stdout
    assert "--plot FILE.png" in proc.stdout and "--perfetto FILE" in proc.stdout
    demo = flowsim("demo", "--help")
    assert demo.returncode == 0 and "--out DIR" in demo.stdout


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "blueprint", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["makespan"] == 7.0
    assert main(["run", "blueprint", "--workers", "0"]) == 2
    assert capsys.readouterr().err.startswith("flowsim: error: --workers")


def test_check_reports_a_clean_trace_and_a_tampered_one(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    assert flowsim("run", "blueprint", "--workers", "1", "--trace-out", out).returncode == 0
    clean = flowsim("check", "blueprint", out, "--workers", "1")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines() == [
        "options: the trace's own (recorded by flowsim); overridden by workers: "
        "strategy=smart workers=1 defer_reverts=True never_resolve=False; timing rules on",
        f"clean: {len(load_trace(out).events)} events of {out} obey every rule",
    ]
    # the trace carries its options: no flag needed
    bare = flowsim("check", "blueprint", out)
    assert bare.returncode == 0 and bare.stdout.startswith(
        "options: the trace's own (recorded by flowsim): strategy=smart workers=1 "
    )
    # the same trace judged as a stop_the_world run breaks that baseline's rules
    wrong = flowsim("check", "blueprint", out, "--workers", "1", "--strategy", "stop_the_world")
    assert wrong.returncode == 1
    assert wrong.stdout.splitlines()[1].startswith("stop-the-world: ")
    data = json.loads(out.read_text())
    data["events"] = [e for e in data["events"] if e["state"] != "REVERTED"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    found = flowsim("check", "blueprint", bad, "--workers", "1")
    assert found.returncode == 1
    assert "transition: B REVERTING -> PENDING is not allowed" in found.stdout
    assert found.stdout.splitlines()[-1].endswith(
        f"violation(s) in {len(data['events'])} events of {bad}"
    )


def test_check_refuses_bad_input(tmp_path: Path) -> None:
    assert_bad_input(flowsim("check", "blueprint", tmp_path / "none.json"), "cannot read trace")
    other = tmp_path / "other.json"
    simulate(examples.load("wide-graph")).trace.save(other)
    assert_bad_input(flowsim("check", "blueprint", other), "the trace is of flow")
    assert_bad_input(flowsim("check", "blueprint"), "TRACE")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    import flowsim

    assert flowsim.__version__ == version("flowsim")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"flowsim {version('flowsim')}\n"


def test_list_and_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "blueprint             TaskFlow's smart-revert blueprint",
        "foreach-alternatives  A ForEach checkpoint tries alternatives in turn",
        "nested-escalation     Nested checkpoints with escalation",
        "revert-failure        A revert that fails",
        "wide-graph            A wide graph flow ordered only by requires/provides",
    ]
    assert main(["rn", "blueprint"]) == 2
    assert capsys.readouterr().err.endswith(
        "invalid choice: 'rn' (choose from 'demo', 'run', 'check', 'list', 'sweep', "
        "'explore', 'from-taskflow'); did you mean 'run'? (see 'flowsim --help')\n"
    )
    assert main(["run", "blueprnt"]) == 2
    assert capsys.readouterr().err.endswith("; did you mean 'blueprint'?\n")
    assert main(["run", "zzz"]) == 2  # nothing close: no suggestion
    assert capsys.readouterr().err.endswith("revert-failure, wide-graph)\n")
