"""``flowsim explore``, through the in-process main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowsim import load_scenario
from flowsim.cli import main

LOOP = {
    "flowsim": 1,
    "options": {"event_budget": 50},
    "flow": {
        "kind": "linear",
        "name": "loop",
        "retry": {"kind": "always_retry", "name": "r"},
        "children": [{"kind": "task", "name": "a", "fails_on": "always"}],
    },
}


def test_explore_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "blueprint", "--max-failures", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "explored 'blueprint': 7 plans (at most 1 injected failure of execute, revert, "
        "retry), timing=given, 7 runs"
    )
    assert out[1] == "outcomes (plans):"
    assert (
        out[2] == "  2  REVERTED reverted {A, B, C, checkpoint}; executes A=1 checkpoint=2 B=2 C=1"
    )
    assert out[-6:] == [
        "worst cases:",
        "  executions   6 under no injected failure",
        "  reverts      5 under B.execute#2",
        "  reverted_set 4 under B.execute#2",
        "  makespan     9 under B.execute#2",
        "violations: 0",
    ]


def test_explore_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explore", "blueprint", "--max-failures", "2", "--kinds", "execute", "--json"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    # the plain run's task executes that succeed: A#1, C#1, B#2 (B#1 fails by itself);
    # after A#1 none starts, after B#2 none (C started before it), after C#1 B#2 (C
    # starts before B): the plain plan, three plans of one failure, {B#2, C#1}
    assert (d["plans"], d["kinds"], d["complete"], d["violations"]) == (5, ["execute"], True, [])
    assert sum(o["plans"] for o in d["outcomes"]) == 5
    assert d["worst"]["makespan"] == {"value": 9.0, "plan": ["B.execute#2"], "schedule": None}


def test_explore_exits_1_on_a_violation_and_writes_the_counterexample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "loop.json"
    src.write_text(json.dumps(LOOP), encoding="utf-8")
    cx = tmp_path / "cx.json"
    argv = ["explore", str(src), "--no-progress", "--counterexample", str(cx)]
    assert main(argv) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-3] == "violations: 1"
    assert out[-2].startswith(
        "  error under no injected failure: EventBudgetExceeded: flow 'loop': the run "
        "recorded 50 events"
    )
    assert out[-1] == f"counterexample: {cx}"
    assert load_scenario(cx) == load_scenario(src)


def test_no_counterexample_file_without_a_violation(tmp_path: Path) -> None:
    cx = tmp_path / "cx.json"
    argv = ["explore", "blueprint", "--max-failures", "0", "--no-progress"]
    assert main([*argv, "--counterexample", str(cx)]) == 0
    assert not cx.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-failures", "-1"], "--max-failures must be a whole number >= 0, got -1"),
        (
            ["--kinds", "exec"],
            "--kinds: unknown kind 'exec'; expected some of execute, revert, retry",
        ),
        (["--workers", "0"], "--workers must be a whole number >= 1, got 0"),
        (["--max-states", "0"], "--max-states must be a whole number >= 1, got 0"),
        (["--timing", "all"], "argument --timing: invalid choice: 'all'"),
    ],
)
def test_bad_input_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explore", "blueprint", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flowsim: error: {message}")


def test_an_unknown_scenario_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "no-such.json"]) == 2
    assert "no such scenario file" in capsys.readouterr().err


def test_a_bound_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """After the plain plan, A#1 and B#2: four plans of one failure are left, with A's
    revert after A#1 and B's, C's, the checkpoint's and A's reverts after B#2."""
    assert main(["explore", "blueprint", "--max-states", "3", "--no-progress"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == (
        "INCOMPLETE: max_states=3 reached: 3 plans explored, 9 more queued (plans of up to "
        "1 failures reached)"
    )


def test_a_counterexample_and_its_schedule_replay_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, cx, sx = tmp_path / "loop.json", tmp_path / "cx.json", tmp_path / "sx.json"
    src.write_text(json.dumps(LOOP), encoding="utf-8")
    argv = ["explore", str(src), "--timing", "any", "--no-progress"]
    assert main([*argv, "--counterexample", str(cx), "--schedule-out", str(sx)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [f"counterexample: {cx}", f"schedule: {sx}"]
    assert json.loads(sx.read_text(encoding="utf-8")) == {"schedule": [[0]] * 19}
    # the run explore found, again: the budget ends it at the same step
    assert main(["run", str(cx), "--schedule", str(sx)]) == 1
    assert capsys.readouterr().err == (
        f"flowsim: error: {cx}: flow 'loop': the run recorded 50 events by time 19 without "
        "finishing; it may never end (e.g. AlwaysRetry around an atom that always fails): "
        "'r' was executed 7 times. If it is just long, raise event_budget.\n"
    )


def test_run_with_a_schedule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.json"
    plain.write_text("[[0], [0], [0], [0], [0], [0], [0]]", encoding="utf-8")
    assert main(["run", "blueprint", "--schedule", str(plain)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:6] == [
        "time        0    1    2    3    4    5    6    7",
        "A           =====..............................",
        "checkpoint  .....=====...............=====.....  (values: 1, 2)",
        "B           ..........xxxxxxxxxx<<<<<.....=====  (2 attempts)",
        "C           .....==========....................",
    ]
    for text, message in (
        ('[[0], ["x"]]', "$[1][0]: a schedule must be a list of steps, each a list of whole"),
        ('{"schedule": [0]}', "$.schedule[0]: a schedule must be a list of steps"),
        ('"all"', "$: a schedule must be a list of steps"),
        ("[[5]]", "step 1 picks [5], but 1 piece(s) of work are in flight (pick some of 0..0)"),
        ("[[0]]", "the schedule ends after 1 step(s) with 2 piece(s) of work in flight"),
    ):
        plain.write_text(text, encoding="utf-8")
        assert main(["run", "blueprint", "--schedule", str(plain)]) == 2
        assert capsys.readouterr().err.startswith(f"flowsim: error: {plain}: {message}")
    argv = ["explore", "blueprint", "--schedule-out", str(tmp_path / "s.json")]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "flowsim: error: --schedule-out needs --timing any (a schedule orders its runs)\n"
    )
