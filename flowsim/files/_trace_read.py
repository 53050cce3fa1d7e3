"""Reading trace files (private; :func:`flowsim.load_trace` is its public face)."""

from __future__ import annotations

import os

from flowsim.trace import Trace

from ._input import read_json


def load_trace(path: str | os.PathLike[str]) -> Trace:
    """Load a trace file written by :meth:`Trace.save` (or ``flowsim run --trace-out``).

    The file is read as scenario files are: a regular file of at most 256 MiB, UTF-8
    (a byte order mark accepted), strict JSON (no repeated keys, no ``NaN``), and every
    value checked by :meth:`Trace.from_dict`.

    Raises
    ------
    ScenarioError
        If the file cannot be read, is not a regular file, is not JSON, is a scenario
        file, or holds a bad value; the message names the file and the JSON path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from flowsim import LinearFlow, Task, simulate
    >>> trace = simulate(LinearFlow(name="f", children=[Task(name="a")])).traced()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     trace.save(pathlib.Path(d) / "t.json")
    ...     load_trace(pathlib.Path(d) / "t.json") == trace
    True
    """
    return Trace.from_dict(read_json(path, "trace file"), where=os.fspath(path))
