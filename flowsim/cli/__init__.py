"""The ``flowsim`` command.

``flowsim demo`` runs the bundled smart-revert blueprint under ``smart`` and
``stop_the_world`` and compares them (``--out DIR`` also draws both timelines into
``DIR/blueprint-timeline.png``);
``flowsim run SCENARIO`` runs a scenario file (or a bundled example by name) and prints its
timeline and summary, or its result as JSON, and can write its trace, a timeline picture
(``--plot``) and a Chrome trace for Perfetto (``--perfetto``); ``flowsim check SCENARIO
TRACE`` checks a trace against its scenario and prints every broken rule; ``flowsim sweep
SCENARIO`` runs it over seeds and a grid of options (``_sweep.py``); ``flowsim
from-taskflow MODULE:FACTORY`` writes the scenario of a real TaskFlow flow
(``_taskflow.py``). Each subcommand module adds its parser with ``add_parser(commands)``
and its handler with ``set_defaults(handler=...)``, and imports its optional libraries
only when it runs.

Exit codes: 0 when a simulation ran (whatever the flow's final state) or a trace is clean,
1 when a run was stopped by its event budget or a trace breaks a rule, 2 for bad input (a
bad scenario, file or flag, an output that cannot be written). Errors are one line on
stderr: ``flowsim: error: <message>``. A closed stdout (``| head``) ends quietly with 141,
as SIGPIPE would; SIGINT and SIGTERM end with 130 and 143 and leave no temporary file.

>>> main(["run", "no-such-scenario.json"])  # prints "flowsim: error: ..." on stderr
2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from flowsim import __version__, examples
from flowsim.engine import simulate
from flowsim.errors import (
    EventBudgetExceeded,
    FlowsimError,
    ModelError,
    ScenarioError,
    require,
)
from flowsim.files import load_trace
from flowsim.files._input import read_json as _read_json
from flowsim.model import Strategy
from flowsim.textview import LEGEND, comparison, summary, timeline

from . import _explore, _sweep, _taskflow
from ._common import Outputs as _Outputs
from ._common import _exists as _exists
from ._common import did_you_mean as _did_you_mean
from ._common import picture_format as _picture_format
from ._common import scenario_arg as _scenario_arg
from ._common import write_file as _write_file

__all__ = ["main"]

_PROG = "flowsim"
_DEMO_PICTURE = "blueprint-timeline.png"


class _UsageError(Exception):
    """A command line argparse rejected (reported as one line, exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports usage errors as one ``flowsim: error:`` line."""

    def error(self, message: str) -> NoReturn:
        bad = re.match(r"argument .*: invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        hint = _did_you_mean(bad[1], re.findall(r"'([^']*)'", bad[2])) if bad else ""
        raise _UsageError(f"{message}{hint} (see '{self.prog} --help')")


def _option_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that override a scenario's options (``run`` and ``check``)."""
    parser.add_argument("--workers", type=int, metavar="N", help="how many workers (>= 1)")
    parser.add_argument("--seed", type=int, metavar="S", help="the random seed")
    parser.add_argument(
        "--strategy", choices=[s.value for s in Strategy], help="how failures are handled"
    )
    parser.add_argument(
        "--defer-reverts",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="escalate a retry controller's REVERT to the nearest ancestor that retries",
    )
    parser.add_argument(
        "--never-resolve",
        action="store_const",
        const=True,
        default=None,
        help="do not resolve failures: nothing is reverted, the flow ends FAILURE",
    )


def _parser() -> _Parser:
    parser = _Parser(
        prog=_PROG,
        description="Deterministic simulation of smart revert in parallel task flows.",
    )
    parser.add_argument(
        "--version", action="version", version=f"{_PROG} {__version__}", help="print the version"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run the smart-revert blueprint under smart and stop_the_world and compare",
        description="Run the bundled smart-revert blueprint under both strategies, draw "
        "their timelines as text and compare them; with --out, also draw both timelines "
        f"as a picture, {_DEMO_PICTURE}.",
    )
    demo.set_defaults(handler=_demo)
    demo.add_argument(
        "--out",
        metavar="DIR",
        help=f"also draw both timelines into DIR/{_DEMO_PICTURE} (DIR is created if "
        'missing; needs matplotlib: pip install "flowsim[plot]")',
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
    run.set_defaults(handler=_run)
    _option_flags(run)
    run.add_argument(
        "--event-budget", type=int, metavar="N", help="stop a run after N trace events"
    )
    run.add_argument(
        "--json", action="store_true", help="print the result as one JSON object instead"
    )
    run.add_argument("--trace-out", metavar="FILE", help="write the run's trace as JSON to FILE")
    run.add_argument(
        "--plot",
        metavar="FILE.png",
        help="draw the run's timeline into FILE.png (the name's ending picks the format: "
        "any that matplotlib writes, such as .png, .svg, .pdf, .jpg, .webp, .tiff; needs "
        'matplotlib: pip install "flowsim[plot]")',
    )
    run.add_argument(
        "--html",
        metavar="FILE.html",
        help="write the run's timeline as a self-contained interactive page (zoom, pan, "
        'hover; works offline) to FILE.html; needs Bokeh: pip install "flowsim[interactive]"',
    )
    run.add_argument(
        "--schedule",
        metavar="SCHEDULE.json",
        help="complete the work in flight in the order SCHEDULE.json gives instead of by "
        "duration (a list of steps, each the list of the work in flight that completes "
        "together, by its place in start order, 0 the earliest; flowsim explore --timing "
        "any writes one with each counterexample): the run flowsim explore found, replayed "
        "exactly, with step numbers for times",
    )
    run.add_argument(
        "--perfetto",
        metavar="FILE",
        help="write the run as a Chrome trace JSON file, to open at https://ui.perfetto.dev "
        "or in chrome://tracing",
    )
    check = commands.add_parser(
        "check",
        help="check a trace against its scenario: print every broken rule",
        description="Replay TRACE (a flowsim trace file, e.g. from run --trace-out, or "
        "events another engine produced in that format) against SCENARIO and print every "
        "broken rule (see README, 'Checking traces'). The options are the trace's own when "
        "it carries them (else the TaskFlow preset for a TaskFlow trace, else the "
        "scenario's); option flags override them, and the first line says which apply. "
        "Exit code 0 when the trace is clean, 1 when it breaks a rule, 2 for bad "
        "input.",
    )
    check.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="the scenario JSON file (or bundled example) the trace ran",
    )
    check.set_defaults(handler=_check)
    check.add_argument("trace", metavar="TRACE", help="the trace JSON file to check")
    _option_flags(check)
    check.add_argument(
        "--no-timing",
        action="store_true",
        help="do not require the scenario's durations and injected failures (off already "
        "for a trace another engine recorded)",
    )
    listing = commands.add_parser(
        "list",
        help="list the bundled examples, one line each",
        description="List the bundled example scenarios (each runs as `flowsim run NAME`) "
        "with their descriptions.",
    )
    listing.set_defaults(handler=_list)
    _sweep.add_parser(commands)
    _explore.add_parser(commands)
    _taskflow.add_parser(commands)
    return parser


def _fail(message: str) -> None:
    print(f"{_PROG}: error: {' '.join(message.split())}", file=sys.stderr)


def _check_positive(flag: str, value: int | None, meaning: str) -> None:
    if value is not None and value < 1:
        raise ScenarioError(f"{flag} must be a whole number >= 1 ({meaning}), got {value}")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The scenario options the option flags override."""
    _check_positive("--workers", args.workers, "omit it for unlimited workers")
    return {
        key: value
        for key, value in (
            ("workers", args.workers),
            ("seed", args.seed),
            ("strategy", args.strategy),
            ("defer_reverts", args.defer_reverts),
            ("never_resolve", args.never_resolve),
        )
        if value is not None
    }


def _outputs(args: argparse.Namespace) -> _Outputs:
    """Every output path of ``flowsim run``, checked together before anything runs."""
    inputs = [args.scenario] if _exists(args.scenario) else []
    out = _Outputs(inputs)
    for flag, target, what in (
        ("--trace-out", args.trace_out, "trace file"),
        ("--perfetto", args.perfetto, "Perfetto trace file"),
        ("--plot", args.plot, "picture file"),
        ("--html", args.html, "HTML page"),
    ):
        if target is not None:
            out.add(flag, target, what)
    return out


def _schedule_arg(path: str) -> list[list[int]]:
    """The schedule in the JSON file ``path``: a list of steps, each a list of ints."""
    data: Any = _read_json(path, "schedule file")
    where = "$"
    if isinstance(data, dict) and set(data) == {"schedule"}:
        data, where = data["schedule"], "$.schedule"
    bad = None if isinstance(data, list) else where
    for k, step in enumerate(data if bad is None else ()):
        if not isinstance(step, list):
            bad = f"{where}[{k}]"
        else:
            bad = next(
                (f"{where}[{k}][{j}]" for j, w in enumerate(step) if type(w) is not int), None
            )
        if bad is not None:
            break
    if bad is not None:
        raise ScenarioError(
            "a schedule must be a list of steps, each a list of whole numbers (the work in "
            'flight that completes together), e.g. [[0], [1, 2]], or {"schedule": [...]}',
            where=path,
            path=bad,
        )
    return [list(step) for step in data]


def _run(args: argparse.Namespace) -> int:
    overrides = _overrides(args)
    _check_positive("--event-budget", args.event_budget, "omit it for the default budget")
    if args.event_budget is not None:
        overrides["event_budget"] = args.event_budget
    picture_format = _picture_format(args.plot) if args.plot is not None else None
    out = _outputs(args)
    if args.html is not None:
        require("bokeh", what="--html", extra="interactive", library="Bokeh")
        from flowsim.plot import interactive
    scenario = _scenario_arg(args.scenario)
    schedule = None if args.schedule is None else _schedule_arg(args.schedule)
    try:
        if schedule is None:
            result = simulate(scenario, **overrides)
        else:
            from flowsim.explore import replay

            scenario = replace(scenario, options=replace(scenario.options, **overrides))
            try:
                result = replay(scenario, schedule)
            except ScenarioError as exc:  # a step that does not fit: name the file
                raise ScenarioError(exc.reason, where=args.schedule) from None
    except (EventBudgetExceeded, ScenarioError):
        raise
    except FlowsimError as exc:  # a ModelError or CompileError: name the scenario
        raise ScenarioError(str(exc), where=args.scenario) from None
    with out:
        if args.trace_out is not None:
            out.write(args.trace_out, result.traced().save)
        if args.perfetto is not None:
            from flowsim.files import to_chrome_trace

            try:
                chrome_trace = to_chrome_trace(result)
            except ModelError as exc:
                raise ScenarioError(str(exc), where=args.perfetto) from None
            text = json.dumps(chrome_trace, separators=(",", ":"), allow_nan=False)

            def chrome(tmp: Path) -> None:
                tmp.write_text(text + "\n", encoding="utf-8")

            out.write(args.perfetto, chrome)
        if picture_format is not None:
            from flowsim.plot import plot_timeline

            figure: Any = plot_timeline(result).figure
            out.write(args.plot, lambda tmp: figure.savefig(tmp, format=picture_format, dpi=150))
        if args.html is not None:
            page = interactive.to_html(result)
            out.write(args.html, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(timeline(result))
        print(LEGEND)
        print()
        print(summary(result))
    return 0


def _check(args: argparse.Namespace) -> int:
    from flowsim.checks import check, options_for

    overrides = _overrides(args)
    scenario = _scenario_arg(args.scenario)
    trace = load_trace(args.trace)
    try:
        base, source = options_for(scenario, trace)
        options = replace(base, **overrides)
        timing = False if args.no_timing else trace.engine == "flowsim"
        found = check(scenario, trace, options=options, timing=timing)
    except ScenarioError as exc:
        if exc.where == "trace":  # check() names its argument; name the file
            raise ScenarioError(exc.reason, where=args.trace, path=exc.path) from None
        raise
    except FlowsimError as exc:  # a ModelError or CompileError: name the scenario
        raise ScenarioError(str(exc), where=args.scenario) from None
    flags = f"; overridden by {', '.join(sorted(overrides))}" if overrides else ""
    print(
        f"options: {source}{flags}: strategy={options.strategy} workers={options.workers} "
        f"defer_reverts={options.defer_reverts} never_resolve={options.never_resolve}; "
        f"timing rules {'on' if timing else 'off'}"
    )
    for violation in found:
        print(violation)
    events = len(trace.events)
    if found:
        print(f"{len(found)} violation(s) in {events} events of {args.trace}")
        return 1
    print(f"clean: {events} events of {args.trace} obey every rule")
    return 0


def _list(args: argparse.Namespace) -> int:
    names = examples.names()
    width = max(map(len, names))
    for name in names:
        first = re.split(r"[:.](?:\s|$)", examples.load(name).description, maxsplit=1)[0]
        print(f"{name:<{width}}  {first}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    if args.out is not None:  # every check on the picture before the demo prints
        require("matplotlib", what="flowsim demo --out", extra="plot")
        if not args.out.strip():
            raise ScenarioError("--out: the folder's path is empty; give a folder")
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
    if args.out is None:
        return 0
    from flowsim.plot import plot_comparison_timelines

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(
            f"--out: cannot create the directory: {exc.strerror or exc}", where=args.out
        ) from None
    picture = out / _DEMO_PICTURE
    figure = plot_comparison_timelines(results)
    _write_file(
        str(picture),
        "picture file",
        lambda tmp: figure.savefig(tmp, format="png", dpi=150),
        flag="--out",
    )
    print()
    print(f"timeline picture: {picture}")
    return 0


class _Terminated(BaseException):
    """SIGTERM arrived: unwind (removing temporary files) and exit 143. A BaseException,
    as KeyboardInterrupt is, so that no `except Exception` swallows it."""


def _terminate(signum: int, frame: object) -> NoReturn:
    raise _Terminated


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _handle(args: argparse.Namespace) -> int:
    try:
        code: int = args.handler(args)
        sys.stdout.flush()
        return code
    except EventBudgetExceeded as exc:
        _fail(f"{getattr(args, 'scenario', 'blueprint')}: {exc}")
        return 1
    except FlowsimError as exc:
        _fail(str(exc))
        return 2
    except BrokenPipeError:  # e.g. `flowsim run x | head`: stop quietly, as SIGPIPE would
        _quiet_stdout()
        return 128 + signal.SIGPIPE
    except OSError as exc:  # a full disk behind stdout (ENOSPC), an I/O error
        _quiet_stdout()
        _fail(f"cannot write to standard output: {exc.strerror or exc}")
        return 2
    except KeyboardInterrupt:
        _fail("interrupted (SIGINT)")
        return 128 + signal.SIGINT
    except _Terminated:
        _fail("terminated (SIGTERM)")
        return 128 + signal.SIGTERM


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``flowsim`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit code: 0 when a simulation ran or a trace is clean, 1 when the event
    budget stopped a run or a trace breaks a rule, 2 for bad input (reported as one
    ``flowsim: error:`` line on stderr); 141 when stdout was closed early (as a program
    stopped by SIGPIPE), 130/143 after SIGINT/SIGTERM (temporary files removed).
    """
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        _fail(str(exc))
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: leave SIGTERM alone
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _handle(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
