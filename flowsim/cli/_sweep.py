"""The ``flowsim sweep`` subcommand."""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import stat
from typing import Any

from flowsim.errors import ScenarioError, require
from flowsim.sweep import GRID_KEYS, sweep

from ._common import Outputs, _exists, scenario_arg
from ._common import picture_format as _picture_format

_BOOL = {"true": True, "false": False}


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``sweep`` to the CLI's subcommands.

    >>> p = argparse.ArgumentParser()
    >>> add_parser(p.add_subparsers())
    >>> p.parse_args(["sweep", "blueprint", "--seeds", "3"]).seeds
    '3'
    """
    p = commands.add_parser("sweep", help="Monte Carlo what-if over seeds and options")
    p.add_argument("scenario", help="a scenario file or a bundled example name")
    p.add_argument("--seeds", default="100", help="number of seeds (seeds 0..N-1)")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help=f"values of one grid key, repeatable ({', '.join(GRID_KEYS)}); every "
        "combination runs once per seed",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS", help="a Dask scheduler")
    p.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="keep every finished chunk: FILE.parquet (a directory of part files) or FILE.jsonl",
    )
    p.add_argument(
        "--resume", action="store_true", help="skip the chunks already in --out (same sweep)"
    )
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bar (on stderr otherwise)"
    )
    p.add_argument(
        "--plot",
        default=None,
        metavar="FILE.png",
        help="draw the sweep into FILE.png (or any ending matplotlib writes: .svg, .pdf, "
        ".jpg, .webp, ...): the makespan's p50 and p90 against fail_probability when the "
        "grid has several, else its CDF per combination",
    )
    p.set_defaults(handler=_sweep_command)


def _value(key: str, text: str) -> Any:
    if key in ("defer_reverts", "never_resolve"):
        if text.lower() not in _BOOL:
            raise ScenarioError(f"--grid {key}: expected true or false, got {text!r}")
        return _BOOL[text.lower()]
    if key == "strategy":
        return text
    if key == "workers" and text.lower() == "none":
        return None
    try:
        return int(text) if key == "workers" else float(text)
    except ValueError:
        raise ScenarioError(f"--grid {key}: expected a number, got {text!r}") from None


def _grid(items: list[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep:
            raise ScenarioError(f"--grid {item!r}: expected KEY=V1,V2,...")
        if key not in GRID_KEYS:
            raise ScenarioError(
                f"--grid: unknown key {key!r}; expected one of {', '.join(GRID_KEYS)}"
            )
        grid[key] = [_value(key, v) for v in values.split(",") if v]
    return grid


def _sweep_command(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except KeyboardInterrupt:  # sweep() has printed its one-line summary
        return 130


def _run(args: argparse.Namespace) -> int:
    try:
        seeds = int(args.seeds)
    except ValueError:
        raise ScenarioError(f"--seeds: expected an integer count, got {args.seeds!r}") from None
    if args.jobs is not None and args.jobs < 1:
        raise ScenarioError(f"--jobs: expected a number of processes >= 1, got {args.jobs}")
    fmt = _picture_format(args.plot) if args.plot is not None else None
    outputs = Outputs([args.scenario] if _exists(args.scenario) else [])
    if args.plot is not None:  # every check on the picture's path before the sweep runs
        outputs.add("--plot", args.plot, "picture file")
    if args.out is not None:
        _check_out(args.out, args.scenario, args.plot)
    scenario = scenario_arg(args.scenario)
    grid = _grid(args.grid)
    if args.scheduler is not None:
        Client = require(
            "dask.distributed", what="flowsim sweep --scheduler", extra="sweep", library="Dask"
        ).Client

        try:
            client = Client(args.scheduler, timeout="5s")
        except (OSError, TimeoutError) as e:
            raise ScenarioError(
                f"--scheduler {args.scheduler}: no Dask scheduler answered within 5 s ({e})"
            ) from None
        with client:
            res = sweep(
                scenario,
                seeds=seeds,
                grid=grid,
                executor=client,
                out=args.out,
                resume=args.resume,
                progress=not args.no_progress,
            )
    else:
        with cf.ProcessPoolExecutor(args.jobs) as pool:
            res = sweep(
                scenario,
                seeds=seeds,
                grid=grid,
                executor=pool,
                out=args.out,
                resume=args.resume,
                progress=not args.no_progress,
            )
    table = res.describe()
    cols = list(table[0])
    print("  ".join(cols))
    for d in table:
        print("  ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in d.values()))
    if fmt is not None:
        _plot(res, grid, outputs, args.plot, fmt)
        print(f"picture: {args.plot}")
    return 0


def _check_out(out: str, scenario: str, plot: str | None) -> None:
    """The results file (appended to, so not an Outputs target) must not be the scenario,
    the picture, or anything but a regular file (a .jsonl) or a directory (a .parquet)."""
    for other, flag in ((scenario, "the scenario"), (plot, "--plot")):
        if other is not None and _exists(other) and _exists(out):
            if os.path.samefile(out, other):
                raise ScenarioError(f"--out is {flag}'s file; give the results another name")
        elif other is not None and os.path.abspath(out) == os.path.abspath(other):
            raise ScenarioError(f"--out is {flag}'s file; give the results another name")
    if _exists(out):
        mode = os.stat(out).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ScenarioError(
                "--out: not a regular file or a directory; give a .jsonl file or a "
                ".parquet directory",
                where=out,
            )


def _plot(res: Any, grid: dict[str, list[Any]], outputs: Outputs, target: str, fmt: str) -> None:
    """plot_risk against fail_probability when the grid has several, else plot_sweep;
    coloured by strategy when the grid has it, else by its first other key."""
    from flowsim.plot import plot_risk, plot_sweep

    risk = len(grid.get("fail_probability", ())) > 1
    others = [k for k in grid if not (risk and k == "fail_probability")]
    by = "strategy" if "strategy" in others else (others[0] if others else "scenario")
    ax = plot_risk(res, by=by) if risk else plot_sweep(res, by=by)
    figure: Any = ax.figure
    with outputs:  # written to a temporary file, renamed over target only when whole
        outputs.write(target, lambda tmp: figure.savefig(tmp, format=fmt, dpi=150))
