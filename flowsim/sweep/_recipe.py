"""How one sweep run is defined: the grid, the knobs applied to a scenario, and the row."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import flowsim as fs
from flowsim.errors import ScenarioError
from flowsim.model import Retry, Task
from flowsim.timing import Exponential, LogNormal, Uniform

OPTION_KEYS = ("workers", "strategy", "defer_reverts", "never_resolve")
KNOB_KEYS = ("fail_probability", "duration_scale")
GRID_KEYS = OPTION_KEYS + KNOB_KEYS

ROW_KEYS = (
    "scenario",
    *GRID_KEYS,
    "seed",
    "flow_state",
    "makespan",
    "wasted_work",
    "busy_time",
    "executions",
    "reverts",
    "resolutions",
    "reverted",
    "events",
    "error",
)

METRICS = (
    "makespan",
    "wasted_work",
    "busy_time",
    "executions",
    "reverts",
    "resolutions",
    "events",
)
"""The numeric row columns a sweep can summarise and draw."""


def flowsim_version() -> str:
    try:
        return version("flowsim")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def check_grid(grid: Mapping[str, Sequence[Any]] | None) -> dict[str, tuple[Any, ...]]:
    """Validate a grid: known keys, non-empty lists; returns it with tuples."""
    out: dict[str, tuple[Any, ...]] = {}
    for key, values in (grid or {}).items():
        if key not in GRID_KEYS:
            raise ScenarioError(
                f"sweep grid: unknown key {key!r}; expected one of {', '.join(GRID_KEYS)}"
            )
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise ScenarioError(f"sweep grid[{key!r}]: expected a list of values, got {values!r}")
        vals = tuple(values)
        if not vals:
            raise ScenarioError(f"sweep grid[{key!r}]: empty list; give at least one value")
        out[key] = vals
    return out


def check_seeds(seeds: int | Iterable[int]) -> tuple[int, ...]:
    """``n`` means ``range(n)``; otherwise an iterable of ints."""
    if isinstance(seeds, bool):
        raise ScenarioError(f"sweep seeds: expected an int n or a list of ints, got {seeds!r}")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ScenarioError(f"sweep seeds: expected a positive count, got {seeds}")
        return tuple(range(seeds))
    if isinstance(seeds, str) or not isinstance(seeds, Iterable):
        raise ScenarioError(f"sweep seeds: expected an int n or a list of ints, got {seeds!r}")
    out = tuple(seeds)
    bad = [s for s in out if isinstance(s, bool) or not isinstance(s, int)]
    if bad:
        raise ScenarioError(f"sweep seeds: every seed must be an int, got {bad[0]!r}")
    if not out:
        raise ScenarioError("sweep seeds: empty list; give at least one seed")
    return out


def combinations(grid: Mapping[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Every combination of the grid, in the grid's key order (last key fastest)."""
    keys = [k for k in GRID_KEYS if k in grid]
    return [
        dict(zip(keys, vals, strict=True)) for vals in itertools.product(*(grid[k] for k in keys))
    ]


def _scale(d: Any, s: float) -> Any:
    if isinstance(d, Uniform):
        return Uniform(low=d.low * s, high=d.high * s)
    if isinstance(d, Exponential):
        return Exponential(mean=d.mean * s)
    if isinstance(d, LogNormal):
        return LogNormal(mu=d.mu + math.log(s), sigma=d.sigma)
    if isinstance(d, tuple):
        return tuple(x * s for x in d)
    return d * s


def _atom(a: Task | Retry, p: float | None, s: float | None) -> Task | Retry:
    changes: dict[str, Any] = {}
    if p is not None and isinstance(a, Task) and a.fail_probability == 0:
        changes["fail_probability"] = p
    if s is not None and s != 1:
        changes["duration"] = _scale(a.duration, s)
        changes["revert_duration"] = _scale(a.revert_duration, s)
    return dataclasses.replace(a, **changes) if changes else a


def _flow(f: Any, p: float | None, s: float | None) -> Any:
    children = [
        _flow(c, p, s) if not isinstance(c, Task | Retry) else _atom(c, p, s) for c in f.children
    ]
    retry = _atom(f.retry, p, s) if f.retry is not None else None
    return dataclasses.replace(f, children=children, retry=retry)


def apply_knobs(scenario: fs.Scenario, combo: Mapping[str, Any]) -> fs.Scenario:
    """The scenario with ``fail_probability`` given to every task that has none (0) and
    every duration scaled by ``duration_scale``; options from the combination."""
    p = combo.get("fail_probability")
    s = combo.get("duration_scale")
    flow = scenario.flow if p is None and s is None else _flow(scenario.flow, p, s)
    opts = {k: combo[k] for k in OPTION_KEYS if k in combo}
    options = dataclasses.replace(scenario.options, **opts)
    return dataclasses.replace(scenario, flow=flow, options=options)


def fingerprint(
    scenarios: Mapping[str, fs.Scenario],
    grid: Mapping[str, tuple[Any, ...]],
    seeds: tuple[int, ...],
) -> str:
    """A digest of everything that defines the sweep's rows."""
    doc = {
        "scenarios": {n: fs.scenario_to_dict(s) for n, s in scenarios.items()},
        "grid": {k: list(v) for k, v in grid.items()},
        "seeds": list(seeds),
        "flowsim": flowsim_version(),
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_COMPILED: dict[tuple[int, str, Any, Any], tuple[fs.Scenario, fs.CompiledFlow, fs.Options]] = {}


def _compiled(
    scenario: fs.Scenario, name: str, combo: Mapping[str, Any]
) -> tuple[fs.CompiledFlow, fs.Options]:
    """Compile once per process for each (scenario, fail_probability, duration_scale); the
    cache keeps the scenario itself, so its id cannot be reused by another one."""
    key = (id(scenario), name, combo.get("fail_probability"), combo.get("duration_scale"))
    hit = _COMPILED.get(key)
    if hit is None or hit[0] is not scenario:
        if len(_COMPILED) > 256:
            _COMPILED.clear()
        s = apply_knobs(scenario, combo)
        hit = _COMPILED[key] = (scenario, fs.compile(s.flow, store=s.store), s.options)
    return hit[1], hit[2]


def run_one(
    scenario: fs.Scenario, name: str, combo: Mapping[str, Any], seed: int
) -> dict[str, Any]:
    """One row: simulate without a trace, summarise; an event-budget error is a row."""
    row: dict[str, Any] = dict.fromkeys(ROW_KEYS)
    row["scenario"] = name
    row.update({k: _plain(k, v) for k, v in combo.items()})
    row["seed"] = seed
    try:
        compiled, base = _compiled(scenario, name, combo)
        opts = dataclasses.replace(base, **{k: combo[k] for k in OPTION_KEYS if k in combo})
        r = fs.simulate(
            compiled,
            workers=opts.workers,
            seed=seed,
            defer_reverts=opts.defer_reverts,
            never_resolve=opts.never_resolve,
            strategy=opts.strategy,
            event_budget=opts.event_budget,
            trace=False,
        )
    except fs.EventBudgetExceeded as e:
        row["error"] = str(e)
        return row
    row.update(
        flow_state=str(r.flow_state),
        makespan=float(r.makespan),
        wasted_work=float(r.wasted_work),
        busy_time=float(sum(r.worker_busy.values())),
        executions=sum(r.executions.values()),
        reverts=sum(r.reverts.values()),
        resolutions=r.resolution_count,
        reverted=",".join(sorted(k for k, v in r.reverts.items() if v)),
        events=r.event_count,
    )
    return row


def _plain(key: str, v: Any) -> Any:
    """A grid value as the row keeps it: one type per column (see ``COLUMN_TYPES``), so
    that a row read back from JSON Lines or Parquet equals the row made here."""
    if isinstance(v, fs.Strategy):
        return str(v)
    if key in KNOB_KEYS and isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    return v
