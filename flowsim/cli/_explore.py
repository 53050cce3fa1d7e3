"""The ``flowsim explore`` subcommand: every failure plan up to a bound, judged.

Exit codes: 0 when no run broke a rule, 1 when one did (each violation is printed with
its plan; ``--counterexample FILE`` writes the smallest as a scenario file), 2 for bad
input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from flowsim.errors import FlowsimError, ScenarioError
from flowsim.explore import explore
from flowsim.files import save_scenario

from ._common import Outputs, _exists, scenario_arg

_KINDS = ("execute", "revert", "retry")


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``explore`` to the CLI's subcommands.

    >>> p = argparse.ArgumentParser()
    >>> add_parser(p.add_subparsers())
    >>> p.parse_args(["explore", "blueprint", "--max-failures", "1"]).max_failures
    1
    """
    p = commands.add_parser(
        "explore",
        help="run a scenario under every failure plan up to a bound and check every run",
        description="Run a scenario under every assignment of at most K injected failures "
        "(which atom, which call: an execute, a revert, a retry controller's own execute), "
        "with the scenario's durations (--timing given) or under every order in which the "
        "work in flight may complete (--timing any); check every run against every rule "
        "and print the outcome table, the worst cases and the violations. Exit 1 if any "
        "run breaks a rule.",
    )
    p.add_argument("scenario", help="a scenario file or a bundled example name")
    p.add_argument(
        "--max-failures", type=int, default=2, metavar="K", help="injected failures per plan"
    )
    p.add_argument(
        "--timing",
        choices=("given", "any"),
        default="given",
        help="the scenario's durations, or every completion order",
    )
    p.add_argument(
        "--kinds",
        default=",".join(_KINDS),
        metavar="K1,K2",
        help=f"which calls may fail, of {', '.join(_KINDS)}",
    )
    p.add_argument("--workers", type=int, metavar="N", help="how many workers (>= 1)")
    p.add_argument(
        "--max-states",
        type=int,
        default=1_000_000,
        metavar="N",
        help="the most states (or runs) explored; reported when reached",
    )
    p.add_argument("--json", action="store_true", help="print the exploration as JSON")
    p.add_argument(
        "--counterexample",
        default=None,
        metavar="FILE",
        help="write the smallest counterexample as a scenario file (when there is one)",
    )
    p.add_argument(
        "--schedule-out",
        default=None,
        metavar="FILE",
        help="with --timing any: write the smallest counterexample's schedule to FILE, to "
        "replay it exactly with flowsim run COUNTEREXAMPLE --schedule FILE",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=_explore_command)


def _explore_command(args: argparse.Namespace) -> int:
    if args.max_failures < 0:
        raise ScenarioError(f"--max-failures must be a whole number >= 0, got {args.max_failures}")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError(f"--workers must be a whole number >= 1, got {args.workers}")
    if args.max_states < 1:
        raise ScenarioError(f"--max-states must be a whole number >= 1, got {args.max_states}")
    kinds = [k for k in args.kinds.split(",") if k]
    for k in kinds:
        if k not in _KINDS:
            raise ScenarioError(
                f"--kinds: unknown kind {k!r}; expected some of {', '.join(_KINDS)}"
            )
    outputs = Outputs([args.scenario] if _exists(args.scenario) else [])
    if args.counterexample is not None:
        outputs.add("--counterexample", args.counterexample, "counterexample file")
    if args.schedule_out is not None:
        if args.timing != "any":
            raise ScenarioError("--schedule-out needs --timing any (a schedule orders its runs)")
        outputs.add("--schedule-out", args.schedule_out, "schedule file")
    scenario = scenario_arg(args.scenario)
    extra: dict[str, Any] = {} if args.workers is None else {"workers": args.workers}
    try:
        ex = explore(
            scenario,
            max_failures=args.max_failures,
            kinds=kinds,
            timing=args.timing,
            max_states=args.max_states,
            progress=not args.no_progress and not args.json,
            **extra,
        )
    except ScenarioError:
        raise
    except FlowsimError as exc:  # a ModelError or CompileError: name the scenario
        raise ScenarioError(str(exc), where=args.scenario) from None
    if args.json:
        print(json.dumps(ex.to_dict(), indent=2))
    else:
        print(ex.summary())
    if ex.violations and (args.counterexample is not None or args.schedule_out is not None):
        first = ex.violations[0]
        steps = [list(step) for step in first.schedule or ()]
        with outputs:
            if args.counterexample is not None:
                outputs.write(args.counterexample, lambda tmp: save_scenario(first.scenario, tmp))
            if args.schedule_out is not None:
                text = json.dumps({"schedule": steps}) + "\n"
                outputs.write(
                    args.schedule_out, lambda tmp: tmp.write_text(text, encoding="utf-8")
                )
        if not args.json:
            for flag, path in (
                ("counterexample", args.counterexample),
                ("schedule", args.schedule_out),
            ):
                if path is not None:
                    print(f"{flag}: {path}")
    return 1 if ex.violations else 0
