"""sweep(): chunks of runs on an executor, appended to an out file, resumable."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flowsim as fs
from flowsim.errors import ScenarioError

from ._recipe import (
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


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepResult:
    """The rows of a sweep (one dict per run, keys :data:`ROW_KEYS`), in recipe order."""

    rows: tuple[dict[str, Any], ...]
    scenarios: Mapping[str, fs.Scenario]
    fingerprint: str

    def records(self) -> list[dict[str, Any]]:
        """The rows as plain dicts (no pandas needed)."""
        return [dict(r) for r in self.rows]

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame."""
        try:
            import pandas as pd  # type: ignore[import-untyped]
        except ImportError as e:
            raise ImportError(
                'flowsim.sweep.to_pandas needs pandas: pip install "flowsim[sweep]"'
            ) from e
        return pd.DataFrame(self.records(), columns=list(ROW_KEYS))

    def rerun(self, row: Mapping[str, Any]) -> fs.Result:
        """Re-simulate one row with its full trace."""
        combo = {
            k: row[k]
            for k in (
                "workers",
                "strategy",
                "defer_reverts",
                "never_resolve",
                "fail_probability",
                "duration_scale",
            )
            if row.get(k) is not None
        }
        return fs.simulate(apply_knobs(self.scenarios[row["scenario"]], combo), seed=row["seed"])

    def describe(self) -> list[dict[str, Any]]:
        """Per combination: runs, makespan mean with a 95% bootstrap interval, p50/p90/p99,
        outcome shares and errors."""
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
            ok = sorted(r["makespan"] for r in rs if r["error"] is None)
            d: dict[str, Any] = dict(zip(keys, gk, strict=True))
            d["runs"] = len(rs)
            d["makespan_mean"] = statistics.fmean(ok) if ok else None
            lo, hi = _bootstrap(ok) if ok else (None, None)
            d["makespan_mean_ci_low"], d["makespan_mean_ci_high"] = lo, hi
            for q in (50, 90, 99):
                d[f"makespan_p{q}"] = _quantile(ok, q / 100) if ok else None
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


def _check_out(out: str | os.PathLike[str] | None) -> Path | None:
    if out is None:
        return None
    p = Path(out)
    if p.suffix != ".jsonl":
        raise ScenarioError(f"sweep out {str(p)!r}: unknown format {p.suffix!r}; expected .jsonl")
    try:
        with p.open("a"):
            pass
    except OSError as e:
        raise ScenarioError(f"sweep out {str(p)!r}: cannot write ({e.strerror})") from e
    return p


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

    >>> import flowsim as fs
    >>> from flowsim.sweep import sweep
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a")])
    >>> grid = {"fail_probability": [0, 1]}
    >>> res = sweep(flow, seeds=2, grid=grid, executor=False, progress=False)
    >>> [(r["fail_probability"], r["seed"], r["flow_state"]) for r in res.rows]
    [(0, 0, 'SUCCESS'), (0, 1, 'SUCCESS'), (1, 0, 'REVERTED'), (1, 1, 'REVERTED')]
    """
    scenarios = _scenarios(target)
    g = check_grid(grid)
    sd = check_seeds(seeds)
    path = _check_out(out)
    fp = fingerprint(scenarios, g, sd)
    jobs: list[Job] = [(n, c, s) for n in scenarios for c in combinations(g) for s in sd]
    size = chunk_size or max(1, min(200, len(jobs) // 16 or 1))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    done: dict[int, list[dict[str, Any]]] = {}
    if path is not None:
        done = _read_out(path, fp, resume)
        if not done:
            path.write_text(json.dumps({"fingerprint": fp, "chunk_size": size}) + "\n")
    todo = [i for i in range(len(chunks)) if i not in done]
    bar = _bar(len(jobs), sum(map(len, done.values())), executor) if progress else None
    try:
        docs = {n: fs.scenario_to_dict(sc) for n, sc in scenarios.items()}
        for i, rows in _execute(executor, fp, docs, chunks, todo):
            done[i] = rows
            if bar is not None:
                bar.update(len(rows))
            if path is not None:
                with path.open("a") as f:
                    f.write(json.dumps({"chunk": i, "rows": rows}) + "\n")
    except KeyboardInterrupt:
        print(f"sweep interrupted: {sum(map(len, done.values()))} of {len(jobs)} runs kept")
        raise
    finally:
        if bar is not None:
            bar.close()
    table = tuple(r for i in range(len(chunks)) for r in done[i])
    return SweepResult(rows=table, scenarios=scenarios, fingerprint=fp)


def _bar(total: int, initial: int, executor: Any) -> Any:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError as e:
        raise ImportError('flowsim.sweep progress needs tqdm: pip install "flowsim[sweep]"') from e
    link = getattr(executor, "dashboard_link", None)
    if link:
        print(f"Dask dashboard: {link}")
    return tqdm(total=total, initial=initial, unit="run")


def _read_out(path: Path, fp: str, resume: bool) -> dict[int, list[dict[str, Any]]]:
    lines = path.read_text().splitlines()
    if not lines:
        return {}
    if not resume:
        return {}
    head = json.loads(lines[0])
    if head.get("fingerprint") != fp:
        raise ScenarioError(
            f"sweep out {str(path)!r}: written by a different sweep (fingerprint "
            f"{head.get('fingerprint')}, this one {fp}); use another out or resume=False"
        )
    done: dict[int, list[dict[str, Any]]] = {}
    for line in lines[1:]:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            break  # a chunk cut short by the interrupt: run it again
        done[rec["chunk"]] = rec["rows"]
    return done


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
