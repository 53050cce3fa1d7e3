"""Export a run as a Chrome Trace Event file, to open in Perfetto or chrome://tracing.

:func:`to_chrome_trace` builds the JSON object format (``{"traceEvents": [...]}``):

* one process (``pid`` 1) for the flow, named after it, its strategy and workers;
* one lane (``tid``) for the flow's own states (tid 1), one per worker (``worker 0`` is
  tid 2, ...), and one per atom that runs on no worker (a retry controller runs
  engine-side), each named by an ``M`` (metadata) event and shown in that order;
* one complete (``X``) event per execute and per revert, and one per flow state;
* an instant (``i``) event for each failure (on the failing work's lane) and each
  failure resolution (on the flow's lane).

The meaning is in the text, not only in the colour Perfetto picks: ``name`` is
``"B #1 FAILED"`` or ``"B #1 revert"``; ``cat`` lists tags (``execute`` or ``revert``,
``retry`` for a retry controller, ``failure``); ``args`` hold the atom, attempt, end
state, worker, whether the work is on the critical path, and the exact simulated times.

**Time scale**: one simulated time unit is one second, so timestamps are
``round(time * 1_000_000)`` microseconds (the format's unit). A span's duration is the
difference of its rounded end and start, so work that ends when the next starts on its lane
still touches it and never overlaps it.

>>> from flowsim import LinearFlow, Task, simulate
>>> trace = to_chrome_trace(simulate(LinearFlow(name="f", children=[Task(name="a")])))
>>> [(e["name"], e["ts"], e["dur"]) for e in trace["traceEvents"] if e["ph"] == "X"]
[('flow RUNNING', 0, 1000000), ('a #1', 0, 1000000)]
"""

from __future__ import annotations

import itertools
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from flowsim.errors import ModelError
from flowsim.spans import Span, critical_path, spans
from flowsim.trace import Result

__all__ = ["US_PER_TIME_UNIT", "save_chrome_trace", "to_chrome_trace"]

US_PER_TIME_UNIT = 1_000_000
"""Microseconds per simulated time unit in an exported trace (one unit = one second)."""

_MAX_TIME = 1.7976931348623157e308 / US_PER_TIME_UNIT
_PID = 1
_FLOW_TID = 1  # not 0: Perfetto once merged tid 0 into tid 1


def _us(t: float) -> int:
    return round(t * US_PER_TIME_UNIT)


def _meta(name: str, tid: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": _PID, "tid": tid, "args": args}


def _event(
    ph: str, name: str, cat: str, tid: int, start: float, end: float | None, args: Any
) -> dict[str, Any]:
    """A complete (``X``, from ``start`` to ``end``) or thread-instant (``i``) event."""
    ts = _us(start)
    event: dict[str, Any] = {"name": name, "cat": cat, "ph": ph, "ts": ts, "pid": _PID}
    if end is None:
        event["s"] = "t"
    else:
        event["dur"] = _us(end) - ts
    event["tid"] = tid
    event["args"] = args
    return event


def _span_event(s: Span, tid: int, *, retry: bool, critical: bool) -> dict[str, Any]:
    name = f"{s.name} #{s.attempt}" + (" revert" if s.revert else "")
    name += " FAILED" if s.failed else ""
    tags = [s.kind] + (["retry"] if retry else []) + (["failure"] if s.failed else [])
    args = {
        "atom": s.name,
        "kind": s.kind,
        "attempt": s.attempt,
        "state": str(s.state) if s.state is not None else "UNFINISHED",
        "failed": s.failed,
        "worker": s.worker,
        "critical": critical,
        "start": s.start,
        "end": s.end,
    }
    return _event("X", name, ",".join(tags), tid, s.start, s.end, args)


def to_chrome_trace(result: Result) -> dict[str, Any]:
    """The run as a Chrome Trace Event JSON object (see the module docstring for the
    lanes, names and time scale).

    Parameters
    ----------
    result
        What :func:`flowsim.simulate` returned.

    Returns
    -------
    dict
        ``{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}``, ready
        for :func:`json.dump`. ``otherData`` holds the flow, its options and outcome.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> r = simulate(LinearFlow(name="f", children=[Task(name="a", fails_on=[1])]))
    >>> events = to_chrome_trace(r)["traceEvents"]
    >>> [e["args"]["name"] for e in events if e["name"] == "thread_name"]
    ['flow f', 'worker 0']
    >>> [(e["name"], e["cat"], e["ts"]) for e in events if e["ph"] == "i"]
    ...  # doctest: +NORMALIZE_WHITESPACE
    [('a failed', 'failure', 1000000), ('a failed: REVERT_ALL', 'resolution', 1000000),
     ('flow REVERTED', 'flow', 2000000)]
    """
    if not isinstance(result, Result):
        raise ModelError(
            "to_chrome_trace(): expected a flowsim Result (what flowsim.simulate() returns), "
            f"got {type(result).__name__}"
        )
    if not math.isfinite(result.makespan * US_PER_TIME_UNIT):
        raise ModelError(
            f"to_chrome_trace(): the run lasts {result.makespan:g} time units, beyond what a "
            f"Chrome trace's microsecond timestamps hold (at most {_MAX_TIME:.3g} units)"
        )
    compiled = result.compiled
    order = {n: i for i, n in enumerate(compiled.names)}
    retries = {n for n, r in zip(compiled.names, compiled.is_retry, strict=True) if r}
    all_spans = spans(result.events)
    on_path = {(s.seq, s.revert) for s in critical_path(result)}

    workers = sorted({s.worker for s in all_spans if s.worker is not None})
    tid_of_worker = {w: _FLOW_TID + 1 + w for w in workers}
    first_free = max(tid_of_worker.values(), default=_FLOW_TID) + 1
    engine = sorted({s.name for s in all_spans if s.worker is None}, key=lambda n: order[n])
    tid_of_atom = {n: first_free + i for i, n in enumerate(engine)}
    lanes = [(_FLOW_TID, f"flow {result.compiled.name}")]
    lanes += [(tid_of_worker[w], f"worker {w}") for w in workers]
    lanes += [(tid_of_atom[n], f"{n} (no worker)") for n in engine]

    o = result.options
    workers_text = "unlimited workers" if o.workers is None else f"{o.workers} workers"
    meta = [_meta("process_name", _FLOW_TID, {"name": f"{result.compiled.name} ({o.strategy})"})]
    meta.append(_meta("process_labels", _FLOW_TID, {"labels": workers_text}))
    for k, (tid, lane) in enumerate(lanes):
        meta.append(_meta("thread_name", tid, {"name": lane}))
        meta.append(_meta("thread_sort_index", tid, {"sort_index": k}))

    events: list[dict[str, Any]] = []
    flow_events = [e for e in result.events if e.subject == "flow"]
    for e, nxt in itertools.pairwise(flow_events):
        args = {"state": str(e.state), "start": e.time, "end": nxt.time}
        events.append(_event("X", f"flow {e.state}", "flow", _FLOW_TID, e.time, nxt.time, args))
    if flow_events:
        e = flow_events[-1]
        args = {"state": str(e.state), "time": e.time}
        events.append(_event("i", f"flow {e.state}", "flow", _FLOW_TID, e.time, None, args))
    for s in all_spans:
        tid = tid_of_worker[s.worker] if s.worker is not None else tid_of_atom[s.name]
        critical = (s.seq, s.revert) in on_path
        events.append(_span_event(s, tid, retry=s.name in retries, critical=critical))
        if s.failed:
            name = f"{s.name} failed" + (" to revert" if s.revert else "")
            cat = "failure" + (",revert" if s.revert else "")
            args = {"atom": s.name, "attempt": s.attempt, "state": str(s.state), "time": s.end}
            events.append(_event("i", name, cat, tid, s.end, None, args))
    for r in result.resolutions:
        name = f"{r.failed} failed: {r.action}" + (f" ({r.retry})" if r.retry else "")
        args = {**r.to_dict(), "time": r.time}
        events.append(_event("i", name, "resolution", _FLOW_TID, r.time, None, args))
    # Sorted by time; at one time a longer span first, so that it encloses shorter ones.
    events.sort(key=lambda e: (e["ts"], e["ph"] != "X", -e.get("dur", 0)))
    return {
        "traceEvents": meta + events,
        "displayTimeUnit": "ms",
        "otherData": {
            "flow": result.compiled.name,
            "strategy": str(o.strategy),
            "workers": o.workers,
            "seed": o.seed,
            "defer_reverts": o.defer_reverts,
            "flow_state": str(result.flow_state),
            "makespan": result.makespan,
            "time_unit": f"1 simulated time unit = 1 s = {US_PER_TIME_UNIT} us",
        },
    }


def save_chrome_trace(result: Result, path: str | Path) -> None:
    """Write :func:`to_chrome_trace` of ``result`` as JSON to ``path``, whole or not at all.

    The file is written next to ``path`` under a temporary name, then renamed, so a
    reader never sees half a file. Open it at https://ui.perfetto.dev ("Open trace
    file") or in chrome://tracing.

    Raises
    ------
    OSError
        If the file cannot be written (no temporary file is left behind).

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from flowsim import LinearFlow, Task, simulate
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "run.json"
    ...     save_chrome_trace(simulate(LinearFlow(name="f", children=[Task(name="a")])), target)
    ...     events = json.loads(target.read_text())["traceEvents"]
    >>> sorted(e["name"] for e in events if e["ph"] == "X")
    ['a #1', 'flow RUNNING']
    """
    data = to_chrome_trace(result)
    text = json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n"
    target = Path(path)
    # a short temporary name: .{target.name}.tmp would pass NAME_MAX for a long target
    fd, name = tempfile.mkstemp(prefix=".flowsim-", suffix=".tmp", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        mask = os.umask(0o022)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
