"""TaskFlow 6.5's defects that flowsim finds, pinned as today's real behaviour: a TaskFlow
upgrade that fixes one makes its test fail, saying so (then update docs/taskflow-record.md
and the reproduction in docs/taskflow-defects/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

DEFECTS = Path(__file__).resolve().parent.parent / "docs" / "taskflow-defects"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"taskflow_defect_{name}", DEFECTS / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ignored_retry_controller_crashes_the_engine() -> None:
    got = _load("ignored_retry").run()
    assert got == (
        "StorageFailure",
        "FAILURE",
        {"x": "SUCCESS", "r": "IGNORE", "a": "FAILURE"},
        ["minimal-set", "final-state"],
    ), f"TaskFlow's IGNOREd-retry defect changed (fixed by an upgrade?): {got}"


@pytest.mark.parametrize("engine", ["serial", "parallel"])
def test_a_revert_stops_at_an_ignored_retry_controller(engine: str) -> None:
    got = _load("revert_stops_at_ignored_retry").run(engine)
    assert got == (
        "InvalidState: Flow transition from 'RUNNING' to 'SUSPENDED' is not allowed",
        "RUNNING",
        {"x": "SUCCESS", "r": "IGNORE", "a": "IGNORE", "y": "REVERTED"},
        ["unfinished", "minimal-set"],
    ), f"TaskFlow's revert-stops-at-an-ignored-retry defect changed (fixed by an upgrade?): {got}"


def test_a_task_that_never_ran_is_reverted() -> None:
    # Which of two finished futures the serial engine processes first is up to a set, so
    # the defect shows in about half the runs: in 100 runs, missing it has odds 2**-100.
    seen = _load("revert_of_a_task_that_never_ran").run(100)
    assert set(seen) <= {
        ((0, 0), ()),
        ((0, 1), ("out-of-scope", "transition")),
        ((0, 1), ("out-of-scope", "reverse-order", "transition")),
    }, seen
    shown = sum(n for (calls, _), n in seen.items() if calls == (0, 1))
    assert shown > 0, f"TaskFlow no longer reverts a task that never ran (fixed?): {seen}"


@pytest.mark.parametrize("engine", ["serial", "parallel"])
def test_an_atom_after_an_ignored_one_is_stranded(engine: str) -> None:
    defect = _load("stranded_after_ignore")
    got = defect.run(engine, c_first=True)
    assert got == (
        "InvalidState: Flow transition from 'RUNNING' to 'SUSPENDED' is not allowed",
        "RUNNING",
        {"x": "SUCCESS", "q": "IGNORE", "c": "PENDING"},
        ["unfinished"],
    ), f"TaskFlow's stranded-after-ignore defect changed (fixed by an upgrade?): {got}"
    # the same flow with its links added in the other order runs as flowsim predicts
    assert defect.run(engine, c_first=False) == (
        "",
        "SUCCESS",
        {"x": "SUCCESS", "q": "IGNORE", "c": "SUCCESS"},
        [],
    )
