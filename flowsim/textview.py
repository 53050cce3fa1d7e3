"""Plain-text views of a run: an ASCII timeline, a summary and a comparison table.

Pure functions of a :class:`~flowsim.Result`: no I/O, no wall clock, the same text for the
same result. In a timeline row each column is a slice of virtual time, drawn as

* ``=`` executing (an attempt that succeeded), ``x`` executing (an attempt that failed),
* ``<`` reverting, ``!`` a revert that failed,
* ``|`` an execute that took no time (a retry controller's, usually), ``.`` idle.

>>> from flowsim import LinearFlow, Task, simulate
>>> r = simulate(LinearFlow(name="f", children=[Task(name="a"), Task(name="b", fails_on=[1])]))
>>> print(timeline(r, width=8))
f (smart, unlimited workers): 1 column = 0.5 time units
time  0   2   4
a     ==....<<  (REVERTED)
b     ..xx<<..  (REVERTED)
flow: RUNNING@0 REVERTED@4
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from .errors import ModelError
from .spans import Span, spans
from .states import AtomState
from .trace import Event, Resolution, Result

__all__ = ["LEGEND", "comparison", "summary", "timeline"]

LEGEND = (
    "legend: = execute  x failed execute  < revert  ! failed revert  | instant execute  . idle"
)
"""One line explaining the characters of :func:`timeline`."""

_MANTISSAS = (1, 2, 5)


def _num(x: float) -> str:
    """A time or duration for people: ``7``, ``2.5``, ``0.3`` (six decimals at most)."""
    r = round(float(x), 6)
    if r.is_integer() and abs(r) < 1e15:
        return str(int(r))
    return repr(r)


def _frac_text(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else _num(float(x))


def _scale(span: float, width: int) -> tuple[Fraction, int]:
    """The smallest round time step (1, 2 or 5 times a power of ten) that fits ``span``
    in ``width`` columns, and the number of columns used."""
    if span <= 0:
        return Fraction(1), 1
    total = Fraction(span)
    k = math.floor(math.log10(span / width)) - 1
    while True:
        for m in _MANTISSAS:
            step = m * Fraction(10) ** k
            cols = math.ceil(total / step)
            if cols <= width:
                return step, max(cols, 1)
        k += 1


def _ticks(step: Fraction, cols: int) -> tuple[Fraction, int]:
    """A round tick interval (a whole number of columns, with room for its labels)."""
    k = math.floor(math.log10(step))
    while True:
        for m in _MANTISSAS:
            interval = m * Fraction(10) ** k
            per = interval / step
            if interval < step or per.denominator != 1:
                continue
            widest = max(len(_frac_text(j * interval)) for j in range(cols // int(per) + 1))
            if per >= max(widest + 2, 4) or per >= cols:
                return interval, int(per)
        k += 1


def _cells(start: float, end: float, step: Fraction, cols: int) -> range | None:
    """The columns whose middle lies in ``[start, end)``, or None when there are none (a
    span shorter than a column, or an instant)."""
    lo = math.ceil(Fraction(start) / step - Fraction(1, 2))
    hi = math.ceil(Fraction(end) / step - Fraction(1, 2))
    lo, hi = max(lo, 0), min(hi, cols)
    return range(lo, hi) if lo < hi else None


_RANK = {".": 0, "|": 1, "=": 2, "<": 3, "x": 4, "!": 5}


def _mark(span: Span) -> str:
    if span.revert:
        return "<" if span.ok else "!"
    if span.start == span.end and span.ok:
        return "|"
    return "=" if span.ok else "x"


def _workers(result: Result) -> str:
    w = result.options.workers
    return "unlimited workers" if w is None else f"{w} worker{'s' if w != 1 else ''}"


def _flow_line(events: Iterable[Event]) -> str:
    changes = [f"{e.state}@{_num(e.time)}" for e in events if e.subject == "flow"]
    return "flow: " + " ".join(changes)


def _value(v: Any) -> str:
    return repr(v)


def timeline(result: Result, *, width: int = 60, span: float | None = None) -> str:
    """An ASCII Gantt chart of a run: one row per atom, in compile order.

    Parameters
    ----------
    result
        What :func:`flowsim.simulate` returned.
    width
        The most columns the chart may use; each column is a round slice of time (1, 2 or
        5 times a power of ten) chosen so that the run fits.
    span
        The time the chart covers (default: the makespan); give two runs the same span to
        draw them at the same scale.

    Returns
    -------
    str
        A title with the scale, a time axis, one row per atom (``=`` executing, ``x`` a
        failed execute, ``<`` reverting, ``!`` a failed revert, ``|`` an instant execute,
        ``.`` idle; after the row, the number of attempts, the retry controller's values
        and the final state unless SUCCESS), and the flow's state changes.

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> r = simulate(LinearFlow(name="f", children=[Task(name="a", duration=3)]))
    >>> print(timeline(r, width=6))
    f (smart, unlimited workers): 1 column = 0.5 time units
    time  0   2
    a     ======
    flow: RUNNING@0 SUCCESS@3
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ModelError(f"timeline(): width must be a whole number >= 1, got {width!r}")
    total = result.makespan if span is None else span
    if isinstance(total, bool) or not isinstance(total, int | float) or not total >= 0:
        raise ModelError(f"timeline(): span must be a number >= 0, got {span!r}")
    total = max(total, result.makespan)
    step, cols = _scale(float(total), width)
    interval, per = _ticks(step, cols)

    names = result.compiled.names
    label_w = max([len("time"), *(len(n) for n in names)]) + 2
    rows = {n: ["."] * cols for n in names}
    narrow: list[Span] = []
    for s in spans(result.events):
        if s.name not in rows:
            continue
        cells = _cells(s.start, s.end, step, cols)
        if cells is None:
            narrow.append(s)
            continue
        for c in cells:
            rows[s.name][c] = _mark(s)
    # A span narrower than a column takes the column it starts in, unless that shows
    # something weightier: failures first, then reverts, executes, instants.
    for s in narrow:
        c = min(math.floor(Fraction(s.start) / step), cols - 1)
        if _RANK[_mark(s)] > _RANK[rows[s.name][c]]:
            rows[s.name][c] = _mark(s)

    axis: list[str] = []
    for j in range(cols // per + 1):
        text = _frac_text(j * interval)
        if j and j * per <= len(axis):  # no room left for this label
            continue
        axis.extend(" " * (j * per - len(axis)))
        axis.extend(text)
    lines = [
        f"{result.compiled.name} ({result.options.strategy}, {_workers(result)}): "
        f"1 column = {_frac_text(step)} time unit{'' if step == 1 else 's'}",
        ("time".ljust(label_w) + "".join(axis)).rstrip(),
    ]
    retry_values = result.retry_values
    for i, name in enumerate(names):
        notes = []
        n = result.executions.get(name, 0)
        values = retry_values.get(name, ())
        if result.compiled.is_retry[i] and any(v is not None for v in values):
            notes.append("values: " + ", ".join(map(_value, values)))
        elif n > 1:
            notes.append(f"{n} attempts")
        state = result.atom_final_states.get(name)
        if state is not None and state != AtomState.SUCCESS:
            notes.append(str(state))
        suffix = f"  ({', '.join(notes)})" if notes else ""
        lines.append(name.ljust(label_w) + "".join(rows[name]) + suffix)
    lines.append(_flow_line(result.events))
    return "\n".join(lines)


#: What became of an atom of a resolution's scope, in the order a summary lists them.
_OUTCOMES = ("reverted", "revert failed", "still reverting", "not reverted", "nothing to revert")


def _outcomes(result: Result) -> list[dict[str, str]]:
    """For each resolution, what became of each atom of its scope (one of :data:`_OUTCOMES`).

    An atom had something to revert when an execute of it started before the failure and
    was not reverted before it; that execute's revert (the atom's next work) is then the
    one the resolution asked for, and its end says whether it was reverted, its revert
    failed or the trace ended first; with no revert after it, it was never reverted (the
    flow stopped first, after a revert failure, or the trace ended). The same rule as the
    interactive timeline's "reverted by".
    """
    seqs: dict[str, list[int]] = {}
    work: dict[str, list[Span]] = {}
    for span in sorted(spans(result.events), key=lambda span: span.seq):
        seqs.setdefault(span.name, []).append(span.seq)
        work.setdefault(span.name, []).append(span)
    out = []
    for r in result.resolutions:
        got = {}
        for name in r.scope:
            mine = work.get(name, [])
            k = bisect.bisect_left(seqs.get(name, []), r.seq)  # mine[:k] started before r
            if k == 0 or mine[k - 1].revert:
                got[name] = "nothing to revert"
                continue
            undo = mine[k] if k < len(mine) and mine[k].revert else None
            if undo is None:
                got[name] = "not reverted"
            elif undo.state == AtomState.REVERTED:
                got[name] = "reverted"
            elif undo.state == AtomState.REVERT_FAILURE:
                got[name] = "revert failed"
            else:
                got[name] = "still reverting"
        out.append(got)
    return out


def _resolution(r: Resolution, outcome: Mapping[str, str]) -> str:
    chain = ", ".join(f"{name}: {decision}" for name, decision in r.chain)
    text = f"t={_num(r.time)} {r.failed} failed -> {chain or 'no retry controller'}"
    last = r.chain[-1] if r.chain else None
    agrees = last is not None and last[1] == r.action and (r.retry in (None, last[0]))
    if not agrees:
        text += f" -> {r.action}" + (f" by {r.retry}" if r.retry else "")
    if all(o == "reverted" for o in outcome.values()):
        return text + f"; reverted scope: {', '.join(r.scope) or '(none)'}"
    for kind in _OUTCOMES:
        names = [n for n in r.scope if outcome[n] == kind]
        if names:
            text += f"; {kind}: {', '.join(names)}"
    return text


def _counts(counts: Mapping[str, int], order: Sequence[str], *, nonzero: bool) -> str:
    items = [(n, counts[n]) for n in order if n in counts and (counts[n] or not nonzero)]
    return ", ".join(f"{n} {c}" for n, c in items) or "none"


def summary(result: Result) -> str:
    """The numbers of a run, one fact per line.

    Flow state, makespan, wasted work (executes later reverted), busy time (over all
    workers), executions per atom, reverts per atom (non-zero only), retry controller
    values, and one line per failure resolution: the retry controllers consulted and what
    they decided, then what became of its scope (the atoms it set to revert, in compile
    order): ``reverted scope: ...`` when every one of them was reverted; otherwise which
    were ``reverted``, whose ``revert failed``, which were ``still reverting`` when the
    trace ended, which were ``not reverted`` (the flow stopped first, after a revert
    failure, or the trace ended) and which had ``nothing to revert`` (they had not run
    since their last revert or reset).

    Examples
    --------
    >>> from flowsim import LinearFlow, Task, simulate
    >>> print(summary(simulate(LinearFlow(name="f", children=[Task(name="a", fails_on=[1])]))))
    flow f: REVERTED (smart, unlimited workers, seed 0)
    makespan: 2
    wasted work: 1
    busy time: 2
    executions: a 1
    reverts: a 1
    resolutions:
      t=1 a failed -> no retry controller -> REVERT_ALL; reverted scope: a
    >>> flow = LinearFlow(name="f", children=[Task(name="a", fails_on=[1]), Task(name="b")])
    >>> summary(simulate(flow)).splitlines()[-1]
    '  t=1 a failed -> no retry controller -> REVERT_ALL; reverted: a; nothing to revert: b'
    """
    names = result.compiled.names
    o = result.options
    lines = [
        f"flow {result.compiled.name}: {result.flow_state} ({o.strategy}, {_workers(result)}, "
        f"seed {o.seed})",
        f"makespan: {_num(result.makespan)}",
        f"wasted work: {_num(result.wasted_work)}",
        f"busy time: {_num(sum(result.worker_busy.values()))}",
        f"executions: {_counts(result.executions, names, nonzero=False)}",
        f"reverts: {_counts(result.reverts, names, nonzero=True)}",
    ]
    values = [
        f"{n} {', '.join(map(_value, result.retry_values[n]))}"
        for n in names
        if result.retry_values.get(n)
    ]
    if values:
        lines.append(f"retry values: {'; '.join(values)}")
    if result.resolutions:
        lines.append("resolutions:")
        outcomes = _outcomes(result)
        lines.extend(
            f"  {_resolution(r, o)}" for r, o in zip(result.resolutions, outcomes, strict=True)
        )
    else:
        lines.append("resolutions: none")
    return "\n".join(lines)


def _interval(s: Span) -> str:
    return f"[{_num(s.start)}, {_num(s.end)}]"


def _overlaps(result: Result) -> list[str]:
    """One text per (reverting atom, executing atom) pair whose spans overlap in time."""
    all_spans = spans(result.events)
    order = {n: i for i, n in enumerate(result.compiled.names)}
    pairs: dict[tuple[str, str], tuple[list[Span], list[Span]]] = {}
    for r in all_spans:
        if not r.revert:
            continue
        for e in all_spans:
            if e.revert or e.name == r.name:
                continue
            if r.start == r.end:
                hit = e.start < r.start < e.end
            else:
                hit = max(r.start, e.start) < min(r.end, e.end)
            if hit:
                revs, execs = pairs.setdefault((r.name, e.name), ([], []))
                if r not in revs:
                    revs.append(r)
                if e not in execs:
                    execs.append(e)
    keys = sorted(pairs, key=lambda k: (pairs[k][0][0].start, order.get(k[1], 0)))
    out = []
    for rev_name, exec_name in keys:
        revs, execs = pairs[(rev_name, exec_name)]
        many = len(revs) > 1
        out.append(
            f"{rev_name}'s revert{'s' if many else ''} {', '.join(map(_interval, revs))} "
            f"overlap{'' if many else 's'} {exec_name}'s execute{'s' if len(execs) > 1 else ''} "
            + ", ".join(map(_interval, execs))
        )
    return out


def comparison(results_by_label: Mapping[str, Result]) -> str:
    """A table comparing runs, then where each run reverted one atom while another executed.

    Parameters
    ----------
    results_by_label
        The runs to compare, by label (e.g. ``{"smart": ..., "stop_the_world": ...}``),
        in the order to show them.

    Examples
    --------
    >>> from flowsim import UnorderedFlow, Task, simulate
    >>> flow = UnorderedFlow(name="u", children=[Task(name="a", duration=3),
    ...     Task(name="b", fails_on=[1])])
    >>> print(comparison({"run": simulate(flow)}))
    label  flow      makespan  wasted work  busy time  reverted
    run    REVERTED  4         4            6          a x1, b x1
    run: b's revert [1, 2] overlaps a's execute [0, 3]
    """
    if not results_by_label:
        raise ModelError("comparison(): give at least one result, e.g. {'smart': result}")
    header = ["label", "flow", "makespan", "wasted work", "busy time", "reverted"]
    table = [header]
    notes: list[str] = []
    for label, r in results_by_label.items():
        reverted = [f"{n} x{r.reverts[n]}" for n in r.compiled.names if r.reverts.get(n)]
        table.append(
            [
                label,
                str(r.flow_state),
                _num(r.makespan),
                _num(r.wasted_work),
                _num(sum(r.worker_busy.values())),
                ", ".join(reverted) or "-",
            ]
        )
        overlaps = _overlaps(r)
        notes.extend(f"{label}: {text}" for text in overlaps)
        if not overlaps:
            notes.append(f"{label}: no revert overlaps an execute")
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    return "\n".join(lines + notes)
