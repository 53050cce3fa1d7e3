"""Where a sweep keeps its finished chunks: a JSON Lines file or a Parquet directory.

Both formats hold the sweep's fingerprint and chunk size next to the chunks, so that
``resume=True`` can skip what is there and refuse what another sweep wrote.

- ``.jsonl``: a header line ``{"fingerprint": ..., "chunk_size": ...}``, then one line per
  finished chunk ``{"chunk": i, "rows": [...]}``. A line cut short by a kill is run again.
- ``.parquet``: a directory (a Parquet dataset, as pyarrow, pandas, Spark and DuckDB read
  it): ``_flowsim_sweep.json`` (the header) and one ``part-<chunk>.parquet`` per finished
  chunk, each written to a hidden temporary file and renamed, so every part that exists is
  whole. ``pyarrow.parquet.read_table(path)`` or ``pandas.read_parquet(path)`` gives the rows
  in recipe order once the sweep is complete (parts are named by chunk, zero-padded).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flowsim.errors import ScenarioError, missing

from ._recipe import ROW_KEYS

Rows = list[dict[str, Any]]

SUFFIXES = (".parquet", ".jsonl")
HEADER = "_flowsim_sweep.json"

# The type of every row column (ROW_KEYS order); run_one makes every value one of these.
COLUMN_TYPES: Mapping[str, str] = {
    "scenario": "string",
    "workers": "int64",
    "strategy": "string",
    "defer_reverts": "bool",
    "never_resolve": "bool",
    "fail_probability": "float64",
    "duration_scale": "float64",
    "seed": "int64",
    "flow_state": "string",
    "makespan": "float64",
    "wasted_work": "float64",
    "busy_time": "float64",
    "executions": "int64",
    "reverts": "int64",
    "resolutions": "int64",
    "reverted": "string",
    "events": "int64",
    "error": "string",
}
assert tuple(COLUMN_TYPES) == ROW_KEYS


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ModuleNotFoundError as e:
        raise missing(e, what="flowsim.sweep out=*.parquet", extra="sweep") from None
    return pa, pq


def check_out(out: str | os.PathLike[str] | None) -> Path | None:
    """The out path, checked: a known suffix, and writable (a Parquet directory is made)."""
    if out is None:
        return None
    p = Path(out)
    where = f"sweep out {str(p)!r}"
    if p.suffix not in SUFFIXES:
        raise ScenarioError(
            f"{where}: unknown format {p.suffix!r}; expected {' or '.join(SUFFIXES)}"
        )
    try:
        if p.suffix == ".jsonl":
            with p.open("a"):
                pass
            return p
        _pyarrow()
        if p.exists() and not p.is_dir():
            raise ScenarioError(
                f"{where}: exists and is not a directory (a Parquet sweep is a directory "
                "of part files, one per chunk); remove it or choose another out"
            )
        p.mkdir(exist_ok=True)
        probe = p / f".probe.{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise ScenarioError(f"{where}: cannot write ({e.strerror})") from e
    return p


def open_out(path: Path, fp: str, size: int, resume: bool) -> tuple[int, dict[int, Rows]]:
    """Start or resume ``path``: the chunk size to use and the chunks already finished.

    Without ``resume`` (or with nothing there yet) the file is started afresh with this
    sweep's header. With ``resume`` the stored chunk size wins (rows do not depend on the
    chunking, chunk numbers do), and a header with another fingerprint is refused.
    """
    if path.suffix == ".jsonl":
        return _open_jsonl(path, fp, size, resume)
    return _open_parquet(path, fp, size, resume)


def _refuse(path: Path, theirs: object, fp: str) -> ScenarioError:
    return ScenarioError(
        f"sweep out {str(path)!r}: written by a different sweep (fingerprint "
        f"{theirs}, this one {fp}); use another out or resume=False"
    )


def _open_jsonl(path: Path, fp: str, size: int, resume: bool) -> tuple[int, dict[int, Rows]]:
    lines = path.read_text().splitlines()
    if not (resume and lines):
        path.write_text(json.dumps({"fingerprint": fp, "chunk_size": size}) + "\n")
        return size, {}
    head = json.loads(lines[0])
    if head.get("fingerprint") != fp:
        raise _refuse(path, head.get("fingerprint"), fp)
    done: dict[int, Rows] = {}
    for line in lines[1:]:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            break  # a chunk cut short by the interrupt: run it again
        done[rec["chunk"]] = rec["rows"]
    return int(head["chunk_size"]), done


def _parts(path: Path) -> dict[int, Path]:
    out: dict[int, Path] = {}
    for f in path.iterdir():
        stem = f.name.removeprefix("part-").removesuffix(".parquet")
        if f.name.startswith("part-") and f.name.endswith(".parquet") and stem.isdigit():
            out[int(stem)] = f
    return out


def _open_parquet(path: Path, fp: str, size: int, resume: bool) -> tuple[int, dict[int, Rows]]:
    _, pq = _pyarrow()
    header = path / HEADER
    for f in path.glob(".*.tmp"):  # a part being written when the sweep was killed
        f.unlink()
    parts = _parts(path)
    if not header.exists():
        if any(path.iterdir()):
            raise ScenarioError(
                f"sweep out {str(path)!r}: the directory holds files but no {HEADER}, so "
                "it is not a flowsim sweep; choose another out"
            )
    elif resume:
        head = json.loads(header.read_text())
        if head.get("fingerprint") != fp:
            raise _refuse(path, head.get("fingerprint"), fp)
        done: dict[int, Rows] = {}
        for i, f in sorted(parts.items()):
            table = pq.read_table(f)
            meta = table.schema.metadata or {}
            if meta.get(b"flowsim.sweep.fingerprint", b"").decode() != fp:
                raise _refuse(f, meta.get(b"flowsim.sweep.fingerprint", b"").decode(), fp)
            done[i] = table.to_pylist()
        return int(head["chunk_size"]), done
    for f in parts.values():
        f.unlink()
    _write_whole(header, json.dumps({"fingerprint": fp, "chunk_size": size}).encode())
    return size, {}


def _write_whole(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def append(path: Path, fp: str, i: int, n_chunks: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """Keep finished chunk ``i`` (of ``n_chunks``) in ``path``."""
    if path.suffix == ".jsonl":
        with path.open("a") as f:
            f.write(json.dumps({"chunk": i, "rows": list(rows)}) + "\n")
        return
    pa, pq = _pyarrow()
    schema = pa.schema(
        [(k, getattr(pa, "bool_" if t == "bool" else t)()) for k, t in COLUMN_TYPES.items()],
        metadata={"flowsim.sweep.fingerprint": fp, "flowsim.sweep.chunk": str(i)},
    )
    name = f"part-{i:0{max(5, len(str(n_chunks - 1)))}d}.parquet"
    tmp = path / f".{name}.tmp"
    pq.write_table(pa.Table.from_pylist(list(rows), schema=schema), tmp)
    os.replace(tmp, path / name)
