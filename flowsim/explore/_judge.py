"""What every explored run is judged by: every rule of :func:`flowsim.checks.check`, and
the minimal-revert-set property of every resolution (as ``property_tests`` state it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flowsim.checks import check
from flowsim.checks.oracle import minimal_revert_set
from flowsim.compile import CompiledFlow
from flowsim.model import Options
from flowsim.trace import Event, Resolution, Result, Trace

MINIMAL = "minimal-revert-set"

Property = Callable[[Result], "str | None"]
"""A property of one run of your own: ``None`` when it holds, else a message."""


def minimal_set_problems(
    events: Sequence[Event], resolutions: Sequence[Resolution], *, partial: bool = False
) -> list[str]:
    """Each resolution reverts exactly its minimal revert set (the atoms of its scope that
    had executed when the failure happened), less the atoms a later resolution took over
    before they reverted; with a revert failure left, at most that set.

    Every revert is attributed to the latest earlier resolution that put its atom in
    scope. Returns one message per broken resolution (empty: the property holds).
    ``partial=True`` judges a prefix of a run: reverts may be still to come, so only "at
    most the minimal set" is required.

    >>> import flowsim as fs
    >>> from flowsim import examples
    >>> r = fs.simulate(examples.load("blueprint"))
    >>> minimal_set_problems(r.events, r.resolutions)
    []
    """
    ordered = sorted(resolutions, key=lambda r: r.seq)
    state: dict[str, str] = {}
    minimal: list[set[str]] = []
    reverted: list[set[str]] = [set() for _ in ordered]
    owner: dict[str, int] = {}
    problems: list[str] = []
    k = 0
    for e in events:
        if e.subject != "atom":
            continue
        if e.state == "REVERTING":
            by = [j for j in range(k) if e.name in ordered[j].scope]
            if not by:
                problems.append(
                    f"{e.name!r} reverted (event #{e.seq}) with no resolution in scope"
                )
            else:
                reverted[by[-1]].add(e.name)
                owner.pop(e.name, None)
        state[e.name] = str(e.state)
        while k < len(ordered) and ordered[k].seq == e.seq:
            view = {a: state.get(a, "PENDING") for a in ordered[k].scope}
            must = minimal_revert_set(ordered[k].scope, view)
            minimal.append(set(must))
            for a in must:
                if a in owner:  # a later resolution takes it over
                    minimal[owner[a]].discard(a)
                owner[a] = k
            k += 1
    halted = partial or any(s == "REVERT_FAILURE" for s in state.values())
    for j, res in enumerate(ordered[:k]):
        got, want = reverted[j], minimal[j]
        if (not got <= want) if halted else got != want:
            problems.append(
                f"the resolution of {res.failed!r}'s failure (event #{res.seq}, {res.action}) "
                f"reverted {sorted(got)}, its minimal revert set is {sorted(want)}"
            )
    return problems


def judge(
    compiled: CompiledFlow,
    events: Sequence[Event],
    resolutions: Sequence[Resolution],
    options: Options,
    *,
    timing: bool,
    finished: bool = True,
) -> list[tuple[str, str]]:
    """Every problem of a run, as ``(rule, message)``: the checker's violations, then the
    minimal-revert-set property's. ``finished=False`` judges a prefix of a run (the
    ``unfinished`` rule is then left out)."""
    trace = Trace(compiled.name, tuple(events), tuple(resolutions), options)
    out = [
        (str(v.rule), str(v))
        for v in check(compiled, trace, options=options, timing=timing)
        if finished or str(v.rule) != "unfinished"
    ]
    out.extend(
        (MINIMAL, m) for m in minimal_set_problems(events, resolutions, partial=not finished)
    )
    return out


def own(result: Result, properties: Sequence[Property]) -> list[tuple[str, str]]:
    """The user's properties that ``result`` breaks, as ``(rule, message)``; the rule is
    ``property <function name>``. A property that raises is broken, its error the
    message.

    >>> import flowsim as fs
    >>> r = fs.simulate(fs.LinearFlow(name="f", children=[fs.Task(name="a")]))
    >>> def quick(result):
    ...     return None if result.makespan < 1 else f"took {result.makespan:g}"
    >>> own(r, [quick])
    [('property quick', 'took 1')]
    """
    out = []
    for prop in properties:
        name = f"property {getattr(prop, '__name__', repr(prop))}"
        try:
            message = prop(result)
        except Exception as e:  # the user's code: report it, do not crash the search
            message = f"raised {type(e).__name__}: {e}"
        if message is not None:
            out.append((name, str(message)))
    return out
