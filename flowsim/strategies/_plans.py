"""``failure_plans()``: a flow with drawn failures."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from hypothesis import strategies as st

from flowsim.model import Flow, Retry, Task
from flowsim.timing import FailSpec

from ._atoms import _apply
from ._draws import _calls, _chance, _pick
from ._validation import _check_flow, _flag, _whole


@dataclass(frozen=True, slots=True)
class _PlanConfig:
    execute: bool
    revert: bool
    retry: bool
    always: bool
    probabilities: bool
    max_call: int


def _plan_config(
    fn: str,
    *,
    execute_failures: bool,
    revert_failures: bool,
    retry_failures: bool,
    always: bool,
    probabilities: bool,
    max_call: int,
) -> _PlanConfig:
    return _PlanConfig(
        execute=_flag(fn, "execute_failures", execute_failures),
        revert=_flag(fn, "revert_failures", revert_failures),
        retry=_flag(fn, "retry_failures", retry_failures),
        always=_flag(fn, "always", always),
        probabilities=_flag(fn, "probabilities", probabilities),
        max_call=_whole(fn, "max_call", max_call, 1),
    )


def failure_plans(
    flow: Flow,
    *,
    execute_failures: bool = True,
    revert_failures: bool = True,
    retry_failures: bool = True,
    always: bool = True,
    probabilities: bool = False,
    max_call: int = 3,
) -> st.SearchStrategy[Flow]:
    """``flow`` with drawn failures: a new flow (the given one is frozen and unchanged).

    Each failure class that is switched on replaces the corresponding fields of every atom
    it concerns; a class switched off leaves those fields as they are in ``flow``.

    Parameters
    ----------
    flow
        Any flow (drawn by :func:`flows` or your own). To draw from a strategy of flows:
        ``flows().flatmap(failure_plans)``.
    execute_failures
        Draw tasks' ``fails_on``: about one task in three fails, on one or two of the call
        numbers ``1..max_call`` (calls count over the whole run), or ``"always"``.
    retry_failures
        Draw retry controllers' own ``fails_on`` (about one in six), the same way.
    revert_failures
        Draw every atom's ``revert_fails_on`` (about one in eight): a revert failure ends
        the flow FAILURE.
    always
        Allow ``"always"``.
    probabilities
        Also draw ``fail_probability`` (0.25, 0.5 or 1, for about one atom in four) for the
        atoms whose execute failures are drawn.
    max_call
        The highest call number drawn.

    Notes
    -----
    An atom whose execute failure an :class:`~flowsim.AlwaysRetry` (or a custom
    controller) might decide gets neither ``"always"`` nor a ``fail_probability``: it fails
    on finitely many calls, so the retry rounds end (unless ``flow`` itself makes them
    endless, e.g. with a ``ForEach`` without values under an ``AlwaysRetry``, which
    :func:`flows` never draws).

    Shrinking: toward no failures, then single failures on the first call.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> import flowsim as fs
    >>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    >>> quiet = settings(database=None, derandomize=True)
    >>> failed = find(failure_plans(flow, revert_failures=False),
    ...               lambda f: f.children[1].fails_on, settings=quiet)
    >>> failed.children[1].fails_on, fs.simulate(failed).flow_state
    ((1,), <FlowState.REVERTED: 'REVERTED'>)
    """
    _check_flow("failure_plans", flow)
    cfg = _plan_config(
        "failure_plans",
        execute_failures=execute_failures,
        revert_failures=revert_failures,
        retry_failures=retry_failures,
        always=always,
        probabilities=probabilities,
        max_call=max_call,
    )
    return _apply(flow, partial(_plan, cfg))


def _draw_calls(draw: st.DrawFn, one_in: int, cfg: _PlanConfig, always: bool) -> FailSpec:
    if not _chance(draw, one_in):
        return ()
    calls = draw(_calls(cfg.max_call))
    if always and cfg.always and _chance(draw, 4):
        return "always"
    return tuple(calls)


def _plan(cfg: _PlanConfig, draw: st.DrawFn, atom: Task | Retry, unbounded: bool) -> Task | Retry:
    """A failure plan for one atom (a hook, see ``_Hook``)."""
    changes: dict[str, Any] = {}
    is_task = isinstance(atom, Task)
    if cfg.execute if is_task else cfg.retry:
        changes["fails_on"] = _draw_calls(draw, 3 if is_task else 6, cfg, not unbounded)
        if cfg.probabilities:
            p = 0.0
            if not unbounded and _chance(draw, 4):
                p = draw(_pick((0.5, 0.25, 1.0)))
            changes["fail_probability"] = p
    if cfg.revert:
        changes["revert_fails_on"] = _draw_calls(draw, 8, cfg, True)
    return replace(atom, **changes) if changes else atom
