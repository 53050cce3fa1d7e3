"""What every subcommand shares: reading a scenario argument and writing a file safely."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from flowsim import examples
from flowsim.errors import ScenarioError
from flowsim.files import load_scenario
from flowsim.model import Scenario


def scenario_arg(arg: str) -> Scenario:
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


def write_file(target: str, what: str, write: Callable[[Path], None]) -> None:
    """Write ``target`` whole or not at all: ``write`` a temporary file, then rename it."""
    path = Path(target)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ScenarioError(f"cannot write {what}: {exc.strerror or exc}", where=target) from None
