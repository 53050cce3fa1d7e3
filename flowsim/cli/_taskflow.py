"""The ``flowsim from-taskflow MODULE:FACTORY`` subcommand: the scenario of a TaskFlow flow.

``MODULE`` is imported with the current directory on ``sys.path`` (as ``python -m``
would), ``FACTORY`` (a dotted attribute path inside it) is called without arguments and
must return a TaskFlow flow; :func:`flowsim.taskflow.from_taskflow` converts it with the
``--store`` values, and the scenario file goes to ``-o`` (written whole or not at all) or
to stdout. TaskFlow is imported only when the command runs: ``flowsim --help`` stays fast
and works without it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from flowsim.errors import ScenarioError
from flowsim.files import scenario_to_dict

from ._common import write_file


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``from-taskflow`` to the CLI's subcommands.

    >>> p = argparse.ArgumentParser()
    >>> add_parser(p.add_subparsers())
    >>> a = p.parse_args(["from-taskflow", "flows:build", "-o", "s.json"])
    >>> a.factory, a.store, a.out
    ('flows:build', None, 's.json')
    """
    p = commands.add_parser(
        "from-taskflow",
        help="write the scenario of a TaskFlow flow (needs flowsim[taskflow])",
        description="Import MODULE (the current directory is on sys.path), call FACTORY() "
        "for a TaskFlow flow, and write its flowsim scenario as JSON.",
    )
    p.add_argument("factory", metavar="MODULE:FACTORY", help="e.g. myflows:build_flow")
    p.add_argument(
        "--store", default=None, metavar="JSON", help="a JSON object: the engine's store"
    )
    p.add_argument("-o", "--out", default=None, metavar="SCENARIO.json", help="default: stdout")
    p.set_defaults(handler=_from_taskflow)


def _store(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"not JSON ({exc})", where="--store") from None
    if not isinstance(value, dict):
        raise ScenarioError(
            f"expected a JSON object (store key -> value), got {type(value).__name__} "
            f"{text.strip()[:40]}",
            where="--store",
        )
    return value


def _factory(spec: str) -> Any:
    module_name, sep, path = spec.partition(":")
    if not sep or not module_name or not path or ":" in path:
        raise ScenarioError("expected MODULE:FACTORY, e.g. myflows:build_flow", where=spec)
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name or module_name.startswith(f"{exc.name}."):
            raise ScenarioError(
                f"cannot import module {module_name!r}: no such module in {cwd} or on sys.path",
                where=spec,
            ) from None
        raise ScenarioError(
            f"importing module {module_name!r} failed: {type(exc).__name__}: {exc}", where=spec
        ) from None
    except Exception as exc:
        raise ScenarioError(
            f"importing module {module_name!r} failed: {type(exc).__name__}: {exc}", where=spec
        ) from None
    finally:
        if added:
            sys.path.remove(cwd)
    target: Any = module
    for part in path.split("."):
        if not hasattr(target, part):
            raise ScenarioError(
                f"module {module_name!r} has no attribute {path!r}; expected a function that "
                "returns a TaskFlow flow",
                where=spec,
            )
        target = getattr(target, part)
    if not callable(target):
        raise ScenarioError(
            f"{path!r} is a {type(target).__name__}, not callable; expected a function that "
            "returns a TaskFlow flow",
            where=spec,
        )
    return target


def _from_taskflow(args: argparse.Namespace) -> int:
    try:
        from flowsim.taskflow import from_taskflow
    except ImportError as exc:
        raise ScenarioError(str(exc), where="from-taskflow") from None
    from taskflow import flow as tf_flow  # type: ignore[import-untyped]  # (loaded by now)

    store = _store(args.store)
    factory = _factory(args.factory)
    try:
        flow = factory()
    except Exception as exc:
        raise ScenarioError(
            f"calling the factory raised {type(exc).__name__}: {exc}", where=args.factory
        ) from None
    if not isinstance(flow, tf_flow.Flow):
        raise ScenarioError(
            f"the factory returned {type(flow).__name__} {flow!r:.60}; expected a TaskFlow "
            "flow (linear_flow, unordered_flow or graph_flow)",
            where=args.factory,
        )
    scenario = from_taskflow(flow, store=store)
    text = json.dumps(scenario_to_dict(scenario), indent=2, ensure_ascii=False, allow_nan=False)
    if args.out is None:
        sys.stdout.write(text + "\n")
        return 0

    def write(path: Path) -> None:
        path.write_text(text + "\n", encoding="utf-8")

    write_file(args.out, "scenario file", write)
    return 0
