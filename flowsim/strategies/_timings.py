"""``timings()``: a flow with drawn durations and priorities."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any

from hypothesis import strategies as st

from flowsim.model import Flow, Retry, Task
from flowsim.timing import Duration, Exponential, LogNormal, Uniform

from ._atoms import _apply
from ._draws import _per_call, _pick
from ._validation import _check_flow, _flag, _whole

_PER_CALL = "per call"  # marks a duration draw that becomes a list, one per call
_DISTRIBUTION = "distribution"  # ... or a distribution


@dataclass(frozen=True, slots=True)
class _TimingConfig:
    max_duration: int
    priorities: bool
    task_values: tuple[Any, ...]  # what a task's duration draw picks from
    retry_values: tuple[Any, ...]  # ... and a retry controller's


def _timing_config(
    fn: str, *, max_duration: int, per_call: bool, distributions: bool, priorities: bool
) -> _TimingConfig:
    top = _whole(fn, "max_duration", max_duration, 0)
    markers = (_PER_CALL,) * _flag(fn, "per_call", per_call)
    markers += (_DISTRIBUTION,) * _flag(fn, "distributions", distributions)
    return _TimingConfig(
        max_duration=top,
        priorities=_flag(fn, "priorities", priorities),
        task_values=((1, 0, *range(2, top + 1)) if top else (0,)) + markers,
        retry_values=tuple(range(top + 1)) + markers,
    )


def timings(
    flow: Flow,
    *,
    max_duration: int = 3,
    per_call: bool = True,
    distributions: bool = False,
    priorities: bool = True,
) -> st.SearchStrategy[Flow]:
    """``flow`` with drawn execute and revert durations (and task priorities): a new flow.

    Durations are whole numbers from 0 to ``max_duration``, so zero-length work and ties
    (completions due at the same time) are common. Every atom's ``duration`` and
    ``revert_duration`` are replaced, and with ``priorities`` every task's ``priority``.

    Parameters
    ----------
    flow
        Any flow. To draw from a strategy of flows: ``flows().flatmap(timings)``.
    max_duration
        The longest whole-number duration (0 makes everything instantaneous).
    per_call
        Sometimes draw a list of durations, one per call (the last repeats).
    distributions
        Sometimes draw a seeded distribution (:class:`~flowsim.Uniform`,
        :class:`~flowsim.Exponential`, :class:`~flowsim.LogNormal`); their durations are
        not whole numbers and differ with the scenario seed.
    priorities
        Draw task priorities (mostly 0; sometimes 1, -1 or 2).

    Notes
    -----
    Shrinking: toward unit task durations, zero retry-controller durations (the model's
    defaults), single numbers rather than lists or distributions, and priority 0.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import flowsim as fs
    >>> flow = fs.UnorderedFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    >>> @settings(max_examples=20, database=None)
    ... @given(timings(flow, per_call=False))
    ... def test_makespan_is_the_longest_task(timed):
    ...     assert fs.simulate(timed).makespan == max(t.duration for t in timed.children)
    >>> test_makespan_is_the_longest_task()
    """
    _check_flow("timings", flow)
    cfg = _timing_config(
        "timings",
        max_duration=max_duration,
        per_call=per_call,
        distributions=distributions,
        priorities=priorities,
    )
    return _apply(flow, partial(_time, cfg))


@cache
def _distributions(high: int) -> st.SearchStrategy[Duration]:
    uniform = st.builds(
        lambda low, span: Uniform(low=low, high=low + span),
        st.integers(0, high),
        st.integers(0, high),
    )
    exponential = st.integers(0, high).map(lambda mean: Exponential(mean=mean))
    lognormal = st.sampled_from((0.25, 0.5, 1.0)).map(lambda s: LogNormal(mu=0.0, sigma=s))
    return st.one_of(uniform, exponential, lognormal)


def _draw_duration(draw: st.DrawFn, values: tuple[Any, ...], cfg: _TimingConfig) -> Duration:
    """One draw from ``values`` (whole numbers, then the markers of the complications
    switched on: a list of durations, one per call, or a distribution)."""
    value = draw(_pick(values))
    if value == _PER_CALL:
        return tuple(float(v) for v in draw(_per_call(values)))
    if value == _DISTRIBUTION:
        return draw(_distributions(cfg.max_duration))
    return float(value)


def _time(cfg: _TimingConfig, draw: st.DrawFn, atom: Task | Retry, _: bool) -> Task | Retry:
    """Durations (and a priority) for one atom (a hook, see ``_Hook``)."""
    values = cfg.task_values if isinstance(atom, Task) else cfg.retry_values
    changes: dict[str, Any] = {
        "duration": _draw_duration(draw, values, cfg),
        "revert_duration": _draw_duration(draw, values, cfg),
    }
    if cfg.priorities and isinstance(atom, Task):
        changes["priority"] = draw(_pick((0, 0, 0, 1, -1, 2)))
    return replace(atom, **changes)
