"""sweep(): chunks of runs on an executor, appended to an out file, resumable."""

from __future__ import annotations

import concurrent.futures as cf
import os
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import flowsim as fs
from flowsim.errors import FlowsimError, ScenarioError, missing

from ._out import append, check_out, open_out
from ._recipe import (
    GRID_KEYS,
    METRICS,
    ROW_KEYS,
    apply_knobs,
    check_grid,
    check_seeds,
    combinations,
    fingerprint,
    run_one,
)

Job = tuple[str, dict[str, Any], int]


_CACHE: dict[str, dict[str, fs.Scenario]] = {}


def _run_chunk(
    fp: str, docs: Mapping[str, dict[str, Any]], jobs: Sequence[Job]
) -> list[dict[str, Any]]:
    """Run one chunk; scenarios travel as JSON dicts (a Scenario holds a mappingproxy, which
    does not pickle) and are rebuilt once per worker process."""
    scenarios = _CACHE.get(fp)
    if scenarios is None:
        scenarios = _CACHE[fp] = {n: fs.scenario_from_dict(d) for n, d in docs.items()}
    return [run_one(scenarios[n], n, combo, seed) for n, combo, seed in jobs]


class SweepError(FlowsimError, RuntimeError):
    """A sweep stopped before its end: its executor failed (a worker process died, a Dask
    worker or the scheduler was lost). The message says how many runs were kept; the
    executor's exception is the ``__cause__``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepResult:
    """The rows of a sweep (one dict per run, keys :data:`ROW_KEYS`), in recipe order."""

    rows: tuple[dict[str, Any], ...]
    scenarios: Mapping[str, fs.Scenario]
    fingerprint: str
    grid: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """The grid the sweep ran, checked (key order as given)."""

    def records(self) -> list[dict[str, Any]]:
        """The rows as plain dicts (copies; no pandas needed).

        Examples
        --------
        >>> import flowsim as fs
        >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=2)])
        >>> res = sweep(flow, seeds=1, executor=False, progress=False)
        >>> {k: res.records()[0][k] for k in ("seed", "flow_state", "makespan")}
        {'seed': 0, 'flow_state': 'SUCCESS', 'makespan': 2.0}
        """
        return [dict(r) for r in self.rows]

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame, columns :data:`ROW_KEYS` (needs pandas).

        Examples
        --------
        >>> import flowsim as fs
        >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=2)])
        >>> sweep(flow, seeds=3, executor=False, progress=False).to_pandas()["makespan"].sum()
        np.float64(6.0)
        """
        try:
            import pandas as pd  # type: ignore[import-untyped]
        except ModuleNotFoundError as e:
            raise missing(e, what="flowsim.sweep.to_pandas", extra="sweep") from None
        return pd.DataFrame(self.records(), columns=list(ROW_KEYS))

    def rerun(self, row: Mapping[str, Any]) -> fs.Result:
        """Re-simulate one row with its full trace (same scenario, grid values and seed).

        Examples
        --------
        >>> import flowsim as fs
        >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", fail_probability=0.5)])
        >>> res = sweep(flow, seeds=4, executor=False, progress=False)
        >>> worst = max(res.rows, key=lambda r: r["makespan"])
        >>> r = res.rerun(worst)
        >>> (str(r.flow_state), r.makespan) == (worst["flow_state"], worst["makespan"])
        True
        """
        combo = {k: row[k] for k in GRID_KEYS if row.get(k) is not None}
        return fs.simulate(apply_knobs(self.scenarios[row["scenario"]], combo), seed=row["seed"])

    def describe(self, metric: str = "makespan") -> list[dict[str, Any]]:
        """One dict per combination (scenario and grid values), in recipe order.

        Parameters
        ----------
        metric
            The row column summarised (one of :data:`METRICS`), over the runs without an
            error: ``<metric>_mean`` with its 95% bootstrap interval (``_ci_low``,
            ``_ci_high``; 200 resamples, seeded, so the table is exact), and the
            nearest-rank quantiles ``<metric>_p50``, ``_p90``, ``_p99`` (None when every
            run of the combination raised).

        Returns
        -------
        list of dict
            The grid values, ``runs``, the metric's statistics, ``share_success``,
            ``share_reverted``, ``share_failure`` (of all runs) and ``errors`` (runs that
            raised, e.g. the event budget).

        Examples
        --------
        >>> import flowsim as fs
        >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", duration=2)])
        >>> res = sweep(flow, seeds=2, grid={"workers": [1]}, executor=False, progress=False)
        >>> d = res.describe(metric="events")[0]
        >>> (d["workers"], d["runs"], d["events_p50"], d["share_success"])
        (1, 2, 4, 1.0)
        """
        if metric not in METRICS:
            raise ScenarioError(
                f"describe(): unknown metric {metric!r}; expected one of {', '.join(METRICS)}"
            )
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        keys = [
            k
            for k in ROW_KEYS[: ROW_KEYS.index("seed")]
            if any(r[k] is not None for r in self.rows)
        ]
        for r in self.rows:
            groups.setdefault(tuple(r[k] for k in keys), []).append(r)
        out = []
        for gk, rs in groups.items():
            ok = sorted(r[metric] for r in rs if r["error"] is None)
            d: dict[str, Any] = dict(zip(keys, gk, strict=True))
            d["runs"] = len(rs)
            d[f"{metric}_mean"] = statistics.fmean(ok) if ok else None
            lo, hi = _bootstrap(ok) if ok else (None, None)
            d[f"{metric}_mean_ci_low"], d[f"{metric}_mean_ci_high"] = lo, hi
            for q in (50, 90, 99):
                d[f"{metric}_p{q}"] = _quantile(ok, q / 100) if ok else None
            for st in ("SUCCESS", "REVERTED", "FAILURE"):
                d[f"share_{st.lower()}"] = sum(r["flow_state"] == st for r in rs) / len(rs)
            d["errors"] = sum(r["error"] is not None for r in rs)
            out.append(d)
        return out


def _bootstrap(xs: Sequence[float], n: int = 200) -> tuple[float, float]:
    """95% bootstrap interval of the mean, seeded (random.Random(0)) so describe() is exact."""
    rng = random.Random(0)
    k = len(xs)
    means = sorted(statistics.fmean(rng.choices(xs, k=k)) for _ in range(n))
    return means[int(0.025 * n)], means[int(0.975 * n) - 1]


def _quantile(xs: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of sorted data."""
    i = max(0, min(len(xs) - 1, -(-int(q * len(xs) * 1000) // 1000) - 1))
    return xs[i]


def _scenarios(target: Any) -> dict[str, fs.Scenario]:
    if isinstance(target, Mapping):
        return {str(k): v for k, v in ((k, _one(v)) for k, v in target.items())}
    s = _one(target)
    return {s.name or "scenario": s}


def _one(t: Any) -> fs.Scenario:
    if isinstance(t, fs.Scenario):
        return t
    if isinstance(t, fs.LinearFlow | fs.UnorderedFlow | fs.GraphFlow):
        return fs.Scenario(flow=t, name=t.name)
    if isinstance(t, fs.CompiledFlow):
        return fs.Scenario(flow=t.flow, name=t.flow.name)
    raise ScenarioError(
        f"sweep target: expected a flow, compiled flow or scenario, got {type(t).__name__}"
    )


def sweep(
    target: Any,
    *,
    seeds: int | Iterable[int] = 100,
    grid: Mapping[str, Sequence[Any]] | None = None,
    executor: cf.Executor | Any | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> SweepResult:
    """Run every grid combination once per seed; rows never depend on the executor.

    Parameters
    ----------
    target
        A flow, a compiled flow, a scenario, or a mapping of names to any of those (to
        compare flows; the name is the row's ``scenario``).
    seeds
        ``n`` for seeds ``0..n-1``, or an iterable of ints.
    grid
        Lists of values by key (:data:`GRID_KEYS`): the options ``workers``, ``strategy``,
        ``defer_reverts``, ``never_resolve`` (over the scenario's own), and the knobs
        ``fail_probability`` (given to every task that has none) and ``duration_scale``
        (every execute and revert duration multiplied). Every combination runs per seed.
    executor
        None: a process pool over all cores; False: in this process; any
        :class:`concurrent.futures.Executor`; a ``dask.distributed.Client``.
    chunk_size
        Runs per task sent to the executor (default: a sixteenth of the runs, at most 200).
    progress
        A tqdm progress bar (``tqdm.auto``: a widget in notebooks).
    out
        Keep every finished chunk: a ``.jsonl`` file, or a ``.parquet`` directory (one part
        file per chunk, readable with ``pandas.read_parquet``). An unfinished sweep keeps
        every chunk it finished, whatever stopped it.
    resume
        Skip the chunks already in ``out`` (its chunk size wins); refused when ``out`` was
        written by another sweep (other scenarios, grid, seeds or flowsim version).

    Returns
    -------
    SweepResult
        The rows in recipe order: scenario, then combination (last grid key fastest), then
        seed.

    Examples
    --------
    >>> import flowsim as fs
    >>> from flowsim.sweep import sweep
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a")])
    >>> grid = {"fail_probability": [0, 1]}
    >>> res = sweep(flow, seeds=2, grid=grid, executor=False, progress=False)
    >>> [(r["fail_probability"], r["seed"], r["flow_state"]) for r in res.rows]
    [(0.0, 0, 'SUCCESS'), (0.0, 1, 'SUCCESS'), (1.0, 0, 'REVERTED'), (1.0, 1, 'REVERTED')]
    """
    scenarios = _scenarios(target)
    g = check_grid(grid)
    sd = check_seeds(seeds)
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ScenarioError(f"sweep chunk_size: expected an int >= 1 or None, got {chunk_size!r}")
    # checked before check_out makes the Parquet directory
    parquet = out is not None and Path(out).suffix == ".parquet"
    if parquet and not all(-(2**63) <= s < 2**63 for s in sd):
        raise ScenarioError(
            f"sweep out {str(out)!r}: a seed does not fit Parquet's int64 column; "
            "use seeds below 2**63 or a .jsonl out"
        )
    path = check_out(out)
    fp = fingerprint(scenarios, g, sd)
    jobs: list[Job] = [(n, c, s) for n in scenarios for c in combinations(g) for s in sd]
    size = chunk_size or max(1, min(200, len(jobs) // 16 or 1))
    done: dict[int, list[dict[str, Any]]] = {}
    if path is not None:
        size, done = open_out(path, fp, size, resume)
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    todo = [i for i in range(len(chunks)) if i not in done]
    bar = _bar(len(jobs), sum(map(len, done.values())), executor) if progress else None
    try:
        docs = {n: fs.scenario_to_dict(sc) for n, sc in scenarios.items()}
        for i, rows in _execute(executor, fp, docs, chunks, todo):
            done[i] = rows
            if bar is not None:
                bar.update(len(rows))
            if path is not None:
                append(path, fp, i, len(chunks), rows)
    except KeyboardInterrupt:
        print(f"sweep interrupted: {_kept(done, len(jobs), path)}")
        raise
    except FlowsimError:
        raise
    except Exception as e:  # a worker process died, a cluster node was lost, ...
        raise SweepError(
            f"sweep stopped by {type(e).__name__}: {str(e).rstrip('.') or 'no message'}; "
            f"{_kept(done, len(jobs), path)}"
        ) from e
    finally:
        if bar is not None:
            bar.close()
    table = tuple(r for i in range(len(chunks)) for r in done[i])
    return SweepResult(rows=table, scenarios=scenarios, fingerprint=fp, grid=MappingProxyType(g))


def _kept(done: Mapping[int, Sequence[Any]], total: int, path: Any) -> str:
    n = sum(map(len, done.values()))
    if path is None:
        return f"{n} of {total} runs had finished (give out= to keep them)"
    return f"{n} of {total} runs kept in {str(path)!r} (resume=True runs the rest)"


def _bar(total: int, initial: int, executor: Any) -> Any:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ModuleNotFoundError as e:
        raise missing(
            e, what="a sweep's progress bar (progress=False or --no-progress: none)", extra="sweep"
        ) from None
    link = getattr(executor, "dashboard_link", None)
    if link:
        print(f"Dask dashboard: {link}")
    return tqdm(total=total, initial=initial, unit="run")


def _execute(
    executor: Any,
    fp: str,
    docs: Mapping[str, dict[str, Any]],
    chunks: list[list[Job]],
    todo: list[int],
) -> Iterable[tuple[int, list[dict[str, Any]]]]:
    if executor is False:
        for i in todo:
            yield i, _run_chunk(fp, docs, chunks[i])
        return
    own = executor is None
    ex = cf.ProcessPoolExecutor() if own else executor
    try:
        futs = {ex.submit(_run_chunk, fp, docs, chunks[i]): i for i in todo}
        if hasattr(ex, "gather"):  # a dask.distributed.Client
            from dask.distributed import as_completed

            it: Iterable[Any] = as_completed(list(futs))  # type: ignore[no-untyped-call]
        else:
            it = cf.as_completed(futs)
        for f in it:
            yield futs[f], f.result()
    finally:
        if own:
            ex.shutdown(cancel_futures=True)
