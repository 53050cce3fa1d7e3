"""The ``flowsim`` command.

``flowsim demo`` runs the bundled smart-revert blueprint under ``smart`` and
``stop_the_world`` and compares them; ``flowsim run SCENARIO`` runs a scenario file (or a
bundled example by name) and prints its timeline and summary, or its result as JSON.

Exit codes: 0 when a simulation ran (whatever the flow's final state), 1 when a run was
stopped by its event budget, 2 for bad input (a bad scenario, file or flag). Errors are
one line on stderr: ``flowsim: error: <message>``.

>>> main(["run", "no-such-scenario.json"])  # prints "flowsim: error: ..." on stderr
2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from flowsim import examples
from flowsim.engine import simulate
from flowsim.errors import EventBudgetExceeded, FlowsimError, ScenarioError
from flowsim.model import Scenario, Strategy
from flowsim.scenario import load_scenario
from flowsim.textview import LEGEND, comparison, summary, timeline
from flowsim.trace import Trace

__all__ = ["main"]

_PROG = "flowsim"


class _UsageError(Exception):
    """A command line argparse rejected (reported as one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports usage errors as one ``flowsim: error:`` line."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _parser() -> _Parser:
    parser = _Parser(
        prog=_PROG,
        description="Deterministic simulation of smart revert in parallel task flows.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="run the smart-revert blueprint under smart and stop_the_world and compare",
        description="Run the bundled smart-revert blueprint under both strategies, draw "
        "their timelines and compare them.",
    )
    run = commands.add_parser(
        "run",
        help="run a scenario file or a bundled example",
        description="Run a scenario and print its timeline and summary (or, with --json, "
        "its result). Flags override the scenario's options. Exit code 0 when the "
        "simulation ran, whatever the flow's final state; 1 when the event budget stopped "
        "it; 2 for bad input.",
    )
    run.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="a scenario JSON file, or the name of a bundled example "
        f"({', '.join(examples.names())})",
    )
    run.add_argument("--workers", type=int, metavar="N", help="how many workers (>= 1)")
    run.add_argument("--seed", type=int, metavar="S", help="the random seed")
    run.add_argument(
        "--strategy", choices=[s.value for s in Strategy], help="how failures are handled"
    )
    run.add_argument(
        "--defer-reverts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="escalate a retry controller's REVERT to the nearest ancestor that retries",
    )
    run.add_argument(
        "--never-resolve",
        action="store_const",
        const=True,
        default=None,
        help="do not resolve failures: nothing is reverted, the flow ends FAILURE",
    )
    run.add_argument(
        "--event-budget", type=int, metavar="N", help="stop a run after N trace events"
    )
    run.add_argument(
        "--json", action="store_true", help="print the result as one JSON object instead"
    )
    run.add_argument("--trace-out", metavar="FILE", help="write the run's trace as JSON to FILE")
    return parser


def _fail(message: str) -> None:
    print(f"{_PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def _scenario(arg: str) -> Scenario:
    """A scenario file, or a bundled example when no such file exists."""
    path = Path(arg)
    if not path.exists() and arg in examples.names():
        return examples.load(arg)
    if not path.exists() and not path.is_symlink():
        raise ScenarioError(
            "no such scenario file, and no bundled example of that name (the examples "
            f"are: {', '.join(examples.names())})",
            where=arg,
        )
    return load_scenario(path)


def _write_trace(trace: Trace, target: str) -> None:
    """Write ``trace`` to ``target`` whole or not at all (through a temporary file)."""
    path = Path(target)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        trace.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ScenarioError(
            f"cannot write trace file: {exc.strerror or exc}", where=target
        ) from None


def _check_positive(flag: str, value: int | None, meaning: str) -> None:
    if value is not None and value < 1:
        raise ScenarioError(f"{flag} must be a whole number >= 1 ({meaning}), got {value}")


def _run(args: argparse.Namespace) -> int:
    _check_positive("--workers", args.workers, "omit it for unlimited workers")
    _check_positive("--event-budget", args.event_budget, "omit it for the default budget")
    scenario = _scenario(args.scenario)
    overrides: dict[str, Any] = {
        key: value
        for key, value in (
            ("workers", args.workers),
            ("seed", args.seed),
            ("strategy", args.strategy),
            ("defer_reverts", args.defer_reverts),
            ("never_resolve", args.never_resolve),
            ("event_budget", args.event_budget),
        )
        if value is not None
    }
    try:
        result = simulate(scenario, **overrides)
    except (EventBudgetExceeded, ScenarioError):
        raise
    except FlowsimError as exc:  # a ModelError or CompileError: name the scenario
        raise ScenarioError(str(exc), where=args.scenario) from None
    if args.trace_out is not None:
        _write_trace(result.trace, args.trace_out)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(timeline(result))
        print(LEGEND)
        print()
        print(summary(result))
    return 0


def _demo() -> int:
    scenario = examples.load("blueprint")
    results = {s.value: simulate(scenario, strategy=s) for s in Strategy}
    span = max(r.makespan for r in results.values())
    print(f"{scenario.name}: {scenario.description}")
    for label, result in results.items():
        print()
        print(f"== {label} ==")
        print(timeline(result, span=span))
    print()
    print(LEGEND)
    print()
    print("== comparison ==")
    print(comparison(results))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``flowsim`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit code: 0 when a simulation ran, 1 when the event budget stopped it,
    2 for bad input (reported as one ``flowsim: error:`` line on stderr).
    """
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        _fail(str(exc))
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    try:
        if args.command == "demo":
            return _demo()
        return _run(args)
    except EventBudgetExceeded as exc:
        _fail(f"{getattr(args, 'scenario', 'blueprint')}: {exc}")
        return 1
    except FlowsimError as exc:
        _fail(str(exc))
        return 2
    except BrokenPipeError:  # e.g. `flowsim demo | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
