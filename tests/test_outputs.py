"""Outputs never destroy anything (issue 14, item 4): every output path checked before the
run, all written to temporaries and renamed at the end, nothing replaced that is not a
regular file, no temporary left on any failure (signals included), stdout errors as one
line. In-process through ``flowsim.cli.main``; subprocesses for signals and pipes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flowsim import examples, load_trace
from flowsim.cli import main
from flowsim.cli._common import Outputs, write_file
from flowsim.errors import ScenarioError

BLUEPRINT = Path(examples.__file__).parent / "blueprint.json"
KEEP = "a good file that must survive\n"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert err.count("\n") <= 1 and "Traceback" not in err
    return code, err.removesuffix("\n")


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_outputs_over_the_input_scenario_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.json"
    scenario.write_bytes(BLUEPRINT.read_bytes())
    (tmp_path / "link.json").symlink_to("s.json")
    for flag, what in (("--trace-out", "trace file"), ("--perfetto", "Perfetto trace file")):
        for target in (scenario, tmp_path / "link.json", tmp_path / "." / "s.json"):
            assert run_cli(capsys, "run", scenario, flag, target) == (
                2,
                f"flowsim: error: {target}: cannot write {what}: it is the input file "
                f"{scenario}; flowsim never writes over its input",
            )
    assert scenario.read_bytes() == BLUEPRINT.read_bytes()
    assert names(tmp_path) == ["link.json", "s.json"]


def test_two_outputs_to_one_file_are_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = tmp_path / "a.json"
    assert run_cli(
        capsys, "run", "blueprint", "--trace-out", a, "--perfetto", f"{tmp_path}/./a.json"
    ) == (
        2,
        f"flowsim: error: {tmp_path}/./a.json: cannot write Perfetto trace file: --trace-out "
        "writes the same file; give --perfetto a file of its own",
    )
    png = tmp_path / "a.png"
    assert run_cli(capsys, "run", "blueprint", "--perfetto", png, "--plot", png) == (
        2,
        f"flowsim: error: {png}: cannot write picture file: --perfetto writes the same file; "
        "give --plot a file of its own",
    )
    assert names(tmp_path) == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("", "flowsim: error: --trace-out: the trace file's path is empty; give a file name"),
        (".", "flowsim: error: .: cannot write trace file: Is a directory; give a file name"),
        (
            "sub/",
            "flowsim: error: sub/: cannot write trace file: Is a directory; give a file name",
        ),
        ("sub", "flowsim: error: sub: cannot write trace file: Is a directory"),
        (
            "nodir/t.json",
            "flowsim: error: nodir/t.json: cannot write trace file: No such file or directory",
        ),
    ],
)
def test_paths_that_name_no_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    assert run_cli(capsys, "run", "blueprint", "--trace-out", target) == (2, message)
    assert names(tmp_path) == ["sub"] and names(tmp_path / "sub") == []


def test_a_later_failure_leaves_every_earlier_output_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "t.json"
    trace.write_text(KEEP)
    picture = tmp_path / "nodir" / "p.png"
    assert run_cli(capsys, "run", "blueprint", "--trace-out", trace, "--plot", picture) == (
        2,
        f"flowsim: error: {picture}: cannot write picture file: No such file or directory",
    )
    assert trace.read_text() == KEEP and names(tmp_path) == ["t.json"]


def test_a_write_that_fails_midway_renames_nothing_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    """A real ENOSPC (from /dev/full) in the second of two writes."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(KEEP)
    out = Outputs(inputs=[])
    out.add("--a", str(first), "trace file")
    out.add("--b", str(second), "picture file")

    def fill(tmp: Path) -> None:
        tmp.write_text("half")
        with open("/dev/full", "w") as full:
            full.write("x" * 100_000)

    with pytest.raises(ScenarioError) as e, out:
        out.write(str(first), lambda tmp: tmp.write_text("new"))
        out.write(str(second), fill)
    assert str(e.value) == f"{second}: cannot write picture file: No space left on device"
    assert first.read_text() == KEEP and names(tmp_path) == ["a.json"]


def test_an_interrupt_while_writing_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    target.write_text(KEEP)
    out = Outputs(inputs=[])
    out.add("--a", str(target), "trace file")

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), out:
        out.write(str(target), interrupted)
    assert target.read_text() == KEEP and names(tmp_path) == ["a.json"]


def test_a_fifo_is_never_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "to-pipe").symlink_to("pipe")
    assert run_cli(capsys, "run", "blueprint", "--trace-out", fifo) == (
        2,
        f"flowsim: error: {fifo}: cannot write trace file: it is a FIFO (named pipe), not a "
        "regular file; flowsim replaces only regular files (write to a file and copy it)",
    )
    link = tmp_path / "to-pipe"
    assert run_cli(capsys, "run", "blueprint", "--perfetto", link) == (
        2,
        f"flowsim: error: {link}: cannot write Perfetto trace file: it is a FIFO (named pipe) "
        "(through a symbolic link), not a regular file; flowsim replaces only regular files "
        "(write to a file and copy it)",
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and link.is_symlink()
    assert names(tmp_path) == ["pipe", "to-pipe"]


def test_a_device_node_is_never_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A node of our own (a copy of /dev/null), so that a regression cannot harm /dev."""
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    assert run_cli(capsys, "run", "blueprint", "--trace-out", node) == (
        2,
        f"flowsim: error: {node}: cannot write trace file: it is a character device, not a "
        "regular file; flowsim replaces only regular files (write to a file and copy it)",
    )
    assert stat.S_ISCHR(node.lstat().st_mode) and names(tmp_path) == ["null"]


def test_a_symlink_to_a_regular_file_is_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real.json"
    real.write_text(KEEP)
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    assert main(["run", "blueprint", "--trace-out", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert load_trace(real).flow == "blueprint"
    (tmp_path / "dangling.json").symlink_to("nowhere.json")
    assert run_cli(capsys, "run", "blueprint", "--trace-out", tmp_path / "dangling.json") == (
        2,
        f"flowsim: error: {tmp_path}/dangling.json: cannot write trace file: it is a symbolic "
        "link to nothing (or a loop); flowsim writes through a link only to a regular file",
    )
    assert names(tmp_path) == ["dangling.json", "link.json", "real.json"]


def test_long_names_keep_short_temporaries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    longest = tmp_path / ("L" * 250 + ".json")  # 255 bytes: the most ext4 and tmpfs allow
    assert main(["run", "blueprint", "--trace-out", str(longest)]) == 0
    assert load_trace(longest).flow == "blueprint" and names(tmp_path) == [longest.name]
    too_long = tmp_path / ("M" * 300 + ".json")
    assert run_cli(capsys, "run", "blueprint", "--trace-out", too_long) == (
        2,
        f"flowsim: error: {too_long}: cannot write trace file: File name too long",
    )


def test_a_new_output_gets_the_umask_mode_and_a_replaced_one_keeps_its_mode(
    tmp_path: Path,
) -> None:
    mask = os.umask(0o022)
    try:
        new, old = tmp_path / "new.json", tmp_path / "old.json"
        old.write_text(KEEP)
        old.chmod(0o600)
        for target in (new, old):
            assert main(["run", "blueprint", "--trace-out", str(target)]) == 0
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        assert stat.S_IMODE(old.stat().st_mode) == 0o600
    finally:
        os.umask(mask)


def test_write_file_keeps_its_signature_for_the_other_subcommands(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    write_file(str(target), "scenario file", lambda tmp: tmp.write_text("{}"))
    assert target.read_text() == "{}" and names(tmp_path) == ["s.json"]
    with pytest.raises(ScenarioError) as e:
        write_file(str(tmp_path), "scenario file", lambda tmp: tmp.write_text("{}"))
    assert str(e.value) == f"{tmp_path}: cannot write scenario file: Is a directory"
    with pytest.raises(ScenarioError) as e:
        write_file(str(target), "x", lambda tmp: None, inputs=[str(target)])
    assert str(e.value) == (
        f"{target}: cannot write x: it is the input file {target}; flowsim never writes over "
        "its input"
    )


# --------------------------------------------------------------------------- stdout, signals


def flowsim(*argv: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "flowsim", *argv], capture_output=True, text=True, timeout=120, **kw
    )


@pytest.mark.parametrize("flags", [[], ["--json"]])
def test_a_full_disk_behind_stdout_is_one_error(flags: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "flowsim", "run", "blueprint", *flags],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert (done.returncode, done.stderr) == (
        2,
        "flowsim: error: cannot write to standard output: No space left on device\n",
    )


def test_a_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    """``flowsim run big.json --json | head -c1``: SIGPIPE's exit code, nothing on stderr.
    The output (about 500 kB) is larger than a pipe's buffer, so the command is still
    writing when the reader goes away."""
    tasks = [{"kind": "task", "name": f"t{i}"} for i in range(2000)]
    scenario = tmp_path / "big.json"
    flow = {"kind": "unordered", "name": "u", "children": tasks}
    scenario.write_text(json.dumps({"flowsim": 1, "flow": flow}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowsim", "run", str(scenario), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert (proc.wait(timeout=120), err) == (141, b"")


SIGNAL_SCRIPT = """
import os, signal, sys
import flowsim.plot
from flowsim.cli import main

real = flowsim.plot.plot_timeline

class Stopping:
    def __init__(self, figure):
        self.figure = self
        self.real = figure

    def savefig(self, path, **kw):
        self.real.figure.savefig(path, **kw)  # half the outputs written: a temporary exists
        os.kill(os.getpid(), signal.{sig})

flowsim.plot.plot_timeline = lambda result: Stopping(real(result))
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("sig", "code", "word"),
    [("SIGTERM", 143, "terminated (SIGTERM)"), ("SIGINT", 130, "interrupted (SIGINT)")],
)
def test_a_signal_while_writing_removes_the_temporaries(
    tmp_path: Path, sig: str, code: int, word: str
) -> None:
    trace, picture = tmp_path / "t.json", tmp_path / "p.png"
    trace.write_text(KEEP)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SIGNAL_SCRIPT.format(sig=sig),
            "run",
            "blueprint",
            "--trace-out",
            str(trace),
            "--plot",
            str(picture),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (
        code,
        f"flowsim: error: {word}\n",
    )
    assert trace.read_text() == KEEP and names(tmp_path) == ["t.json"]


def test_temporaries_live_next_to_their_target(tmp_path: Path) -> None:
    """So that the final rename never crosses file systems (EXDEV)."""
    seen: list[Path] = []
    out = Outputs(inputs=[])
    target = str(tmp_path / "a.json")
    out.add("--a", target, "trace file")

    def write(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_text(json.dumps({}))

    with out:
        out.write(target, write)
    assert seen[0].parent == tmp_path and seen[0].name.startswith(".flowsim-")
    assert len(os.fsencode(seen[0].name)) < 32 and not seen[0].exists()


def test_save_chrome_trace_to_a_long_name_keeps_a_short_temporary(tmp_path: Path) -> None:
    from flowsim import simulate
    from flowsim.files import save_chrome_trace

    target = tmp_path / ("P" * 250 + ".json")
    save_chrome_trace(simulate(examples.load("blueprint")), target)
    assert names(tmp_path) == [target.name]
    assert json.loads(target.read_text())["traceEvents"]
