"""The explorer's pure parts (private to :mod:`flowsim.widgets`): the scenario it explores,
the settings its controls set and how they apply, the summary line and the pictures.
Each is a function of values, usable and tested without a widget.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from flowsim import examples
from flowsim.errors import ModelError, ScenarioError
from flowsim.files.scenario import load_scenario
from flowsim.model import (
    Flow,
    GraphFlow,
    LinearFlow,
    Retry,
    Scenario,
    Strategy,
    Task,
    UnorderedFlow,
    walk,
)
from flowsim.states import AtomState
from flowsim.timing import FailSpec, check_fail_spec
from flowsim.trace import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FAIL_CHOICES: tuple[tuple[str, FailSpec], ...] = (
    ("never", ()),
    ("attempt 1", (1,)),
    ("attempt 2", (2,)),
    ("attempt 3", (3,)),
    ("attempts 1-2", (1, 2)),
    ("always", "always"),
)
"""The choices of the "fails on" control, as (label, ``fails_on``) pairs. An atom whose
scenario gives another value gets that value as an extra first choice
(:func:`fail_choices`)."""

_A = TypeVar("_A", Task, Retry)

_DPI = 90
"""The resolution of the explorer's pictures, in pixels per inch."""

TIMELINE_MAX_HEIGHT = 12.0
"""The height (inches) up to which a timeline's rows are squeezed, down to
:data:`_MIN_PITCH` inches a row, before it grows taller (and scrolls in the explorer)."""

_PITCH = 0.42  # inches per timeline row, when the timeline fits TIMELINE_MAX_HEIGHT
_MIN_PITCH = 0.2  # the least: a row still holds a 10 pt label and a bar with 8 pt text
_FLOW_MIN_HEIGHT = 2.6  # inches: room for a legend of every state
_FRAME = 1.6  # inches of a timeline that are not rows: title, decisions, time axis


# --------------------------------------------------------------------------- pure parts


def load_target(target: object) -> Scenario:
    """The scenario an :class:`Explorer` explores.

    Parameters
    ----------
    target
        A :class:`~flowsim.Scenario`; a flow (run with default options); the name of a
        bundled example (:func:`flowsim.examples.names`); or the path of a scenario file.

    Raises
    ------
    ScenarioError
        For a name that is neither a bundled example nor a file, or a bad scenario file.
    ModelError
        For anything else.

    Examples
    --------
    >>> load_target("blueprint").name
    'blueprint'
    >>> load_target("blueprnt")
    Traceback (most recent call last):
    ...
    flowsim.errors.ScenarioError: flowsim.widgets: no bundled example or scenario file named 'blueprnt'; the examples are: blueprint, foreach-alternatives, nested-escalation, revert-failure, wide-graph
    """  # noqa: E501
    if isinstance(target, Scenario):
        return target
    if isinstance(target, LinearFlow | UnorderedFlow | GraphFlow):
        return Scenario(flow=target)
    if isinstance(target, str) and target in examples.names():
        return examples.load(target)
    if isinstance(target, str | os.PathLike):
        path = Path(target)
        if path.exists() or path.suffix == ".json":
            return load_scenario(path)
        raise ScenarioError(
            f"no bundled example or scenario file named {str(target)!r}; the examples are: "
            + ", ".join(examples.names()),
            where="flowsim.widgets",
        )
    raise ModelError(
        "Explorer takes a bundled example's name, a scenario file's path, a flow or a "
        f"Scenario; got {target!r} (for a compiled flow, pass the flow itself)"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """What the explorer's controls set.

    ``workers`` is ``None`` for unlimited workers. ``fails_on`` and ``revert_fails_on``
    map atom names (tasks and retry controllers) to the values to use instead of the
    scenario's; atoms not named keep theirs.
    """

    strategy: Strategy = Strategy.SMART
    defer_reverts: bool = True
    workers: int | None = None
    seed: int = 0
    fails_on: Mapping[str, FailSpec] = field(default_factory=dict)
    revert_fails_on: Mapping[str, FailSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "strategy", Strategy(self.strategy))
        except ValueError:
            raise ModelError(
                f"Settings: strategy must be 'smart' or 'stop_the_world', got {self.strategy!r}"
            ) from None
        for name in ("fails_on", "revert_fails_on"):
            given = getattr(self, name)
            if not isinstance(given, Mapping):
                raise ModelError(f"Settings: {name} must map atom names to values, got {given!r}")
            checked = {
                task: check_fail_spec(f"Settings: {name}[{task!r}]", name, spec)
                for task, spec in given.items()
            }
            object.__setattr__(self, name, MappingProxyType(checked))


def _atoms(flow: Flow) -> list[Task | Retry]:
    return [node for node in walk(flow) if isinstance(node, Task | Retry)]


def settings_of(scenario: Scenario) -> Settings:
    """The settings that reproduce ``scenario`` as it is: its options, and the injected
    failures of every atom (tasks and retry controllers, in declaration order).

    >>> s = settings_of(load_target("blueprint"))
    >>> s.strategy, s.workers, dict(s.fails_on)
    (<Strategy.SMART: 'smart'>, None, {'A': (), 'checkpoint': (), 'B': (1,), 'C': ()})
    """
    o = scenario.options
    atoms = _atoms(scenario.flow)
    return Settings(
        strategy=o.strategy,
        defer_reverts=o.defer_reverts,
        workers=o.workers,
        seed=o.seed,
        fails_on={a.name: a.fails_on for a in atoms},
        revert_fails_on={a.name: a.revert_fails_on for a in atoms},
    )


def apply_controls(scenario: Scenario, settings: Settings) -> Scenario:
    """``scenario`` with the options and injected failures of ``settings``.

    Raises
    ------
    ModelError
        If ``settings`` names an atom the scenario does not have, or an option is invalid.

    Examples
    --------
    >>> blueprint = load_target("blueprint")
    >>> changed = apply_controls(blueprint, Settings(workers=1, fails_on={"B": ()}))
    >>> changed.options.workers, changed.flow.children[1].children[0].children[0].fails_on
    (1, ())
    >>> apply_controls(blueprint, Settings(revert_fails_on={"checkpoint": (1,)})).flow.children[1].children[0].retry.revert_fails_on
    (1,)
    >>> apply_controls(blueprint, Settings(fails_on={"D": (1,)}))
    Traceback (most recent call last):
    ...
    flowsim.errors.ModelError: Settings: no atom named 'D' in scenario 'blueprint'; its atoms are A, checkpoint, B, C
    """  # noqa: E501
    names = [a.name for a in _atoms(scenario.flow)]
    for mapping in (settings.fails_on, settings.revert_fails_on):
        for name in mapping:
            if name not in names:
                raise ModelError(
                    f"Settings: no atom named {name!r} in scenario {scenario.name!r}; its "
                    f"atoms are {', '.join(names)}"
                )

    def failures(atom: _A) -> _A:
        return dataclasses.replace(
            atom,
            fails_on=settings.fails_on.get(atom.name, atom.fails_on),
            revert_fails_on=settings.revert_fails_on.get(atom.name, atom.revert_fails_on),
        )

    def rebuild(node: Task | Flow) -> Task | Flow:
        if isinstance(node, Task):
            return failures(node)
        retry = node.retry
        return dataclasses.replace(
            node,
            retry=None if retry is None else failures(retry),
            children=[rebuild(child) for child in node.children],
        )

    flow = rebuild(scenario.flow)
    assert not isinstance(flow, Task)
    options = dataclasses.replace(
        scenario.options,
        strategy=settings.strategy,
        defer_reverts=settings.defer_reverts,
        workers=settings.workers,
        seed=settings.seed,
    )
    return dataclasses.replace(scenario, flow=flow, options=options)


def _number(value: float) -> str:
    return f"{value:.4g}"


def summary(result: Result) -> str:
    """One line: the flow's final state, makespan, wasted work and reverted atoms.

    >>> from flowsim import simulate
    >>> print(summary(simulate(load_target("blueprint"))))
    flow SUCCESS, makespan 7, wasted work 2, reverted: B x1
    """
    reverted = [
        f"{name} x{count}"
        + (" (revert failed)" if result.atom_final_states[name] == "REVERT_FAILURE" else "")
        for name, count in result.reverts.items()
        if count
    ]
    return (
        f"flow {result.flow_state}, makespan {_number(result.makespan)}, "
        f"wasted work {_number(result.wasted_work)}, "
        f"reverted: {', '.join(reverted) if reverted else 'nothing'}"
    )


def fail_choices(given: FailSpec) -> list[tuple[str, FailSpec]]:
    """The choices of the "fails on" control for an atom whose scenario gives ``given``:
    :data:`FAIL_CHOICES`, with ``given`` first (labelled "as given") if it is not one.

    Examples
    --------
    >>> [label for label, _ in fail_choices((2, 5))][:2]
    ['as given: 2, 5', 'never']
    >>> fail_choices((1,)) == list(FAIL_CHOICES)
    True
    """
    choices = list(FAIL_CHOICES)
    if all(given != value for _, value in choices):
        choices.insert(0, (f"as given: {_show_spec(given)}", given))
    return choices


def _show_spec(spec: FailSpec) -> str:
    return spec if isinstance(spec, str) else ", ".join(map(str, spec)) or "never"


def _calls(spec: FailSpec, noun: str) -> str:
    if spec == "always":
        return "always"
    return f"on {noun}{'' if len(spec) == 1 else 's'} {_show_spec(spec)}"


def describe_failures(settings: Settings) -> str:
    """The failures ``settings`` inject, a clause for each (in the order of ``settings``),
    or ``"none"``. An atom's attempts (execute calls) and revert calls are counted over
    the whole run.

    >>> print(describe_failures(settings_of(load_target("revert-failure"))))
    allocate's revert fails on call 1; configure fails on attempt 1
    >>> print(describe_failures(settings_of(load_target("nested-escalation"))))
    deploy fails on attempts 1, 2
    >>> describe_failures(Settings(fails_on={"a": (), "b": "always"}, revert_fails_on={"a": ()}))
    'b fails always'
    >>> describe_failures(Settings())
    'none'
    """
    clauses: dict[str, list[str]] = {}
    for name, spec in settings.fails_on.items():
        if spec:
            clauses.setdefault(name, []).append(f"{name} fails {_calls(spec, 'attempt')}")
    for name, spec in settings.revert_fails_on.items():
        if spec:
            clauses.setdefault(name, []).append(f"{name}'s revert fails {_calls(spec, 'call')}")
    order = [*settings.fails_on, *settings.revert_fails_on]
    out = [c for name in dict.fromkeys(order) if name in clauses for c in clauses[name]]
    return "; ".join(out) or "none"


def first_failure(result: Result) -> float | None:
    """The time of the run's first failure (a failed execute or revert), or ``None``.

    >>> from flowsim import simulate
    >>> first_failure(simulate(load_target("blueprint")))
    3.0
    >>> first_failure(simulate(LinearFlow(name="f", children=[Task(name="a")]))) is None
    True
    """
    for e in result.events:
        if e.subject == "atom" and e.state in _FAILED:
            return e.time
    return None


_FAILED = frozenset((AtomState.FAILURE, AtomState.REVERT_FAILURE))


def start_time(result: Result) -> float:
    """Where the explorer's time cursor starts: at the first failure, the moment the run
    becomes interesting (rounded up to a whole time unit, which the play button can show,
    and at most the end of the run); at the end of a run that never fails.

    >>> from flowsim import simulate
    >>> start_time(simulate(load_target("blueprint")))
    3.0
    >>> start_time(simulate(LinearFlow(name="f", children=[Task(name="a", duration=2)])))
    2.0
    >>> quick = Task(name="a", duration=0.3, revert_duration=0.1, fails_on=[1])
    >>> start_time(simulate(LinearFlow(name="f", children=[quick])))  # fails at 0.3, ends at 0.4
    0.4
    """
    failed = first_failure(result)
    if failed is None:
        return result.makespan
    return min(float(math.ceil(failed)), result.makespan)


def timeline_height(rows: int) -> float:
    """The height (inches) of the explorer's timeline of ``rows`` rows: 0.42 inches a row
    up to :data:`TIMELINE_MAX_HEIGHT`; more rows are squeezed to fit it, down to 0.2 inches
    a row, and only then does the picture grow (the explorer scrolls it).

    >>> timeline_height(4), timeline_height(40), timeline_height(80)
    (3.28, 12.0, 17.6)
    """
    if _FRAME + _PITCH * rows <= TIMELINE_MAX_HEIGHT:
        return round(_FRAME + _PITCH * rows, 6)
    pitch = max(_MIN_PITCH, (TIMELINE_MAX_HEIGHT - _FRAME) / rows)
    return round(_FRAME + pitch * rows, 6)


def draw_timeline(result: Result, *, at: float | None = None) -> Figure:
    """A new figure holding :func:`flowsim.plot.plot_timeline` of ``result`` at ``at``,
    :func:`timeline_height` tall.

    The figure is not registered with pyplot, so it is freed with its last reference.

    >>> from flowsim import simulate
    >>> fig = draw_timeline(simulate(load_target("blueprint")), at=3)
    >>> width, height = fig.get_size_inches()
    >>> print(f"{width:g} x {height:g} inches at {fig.dpi:g} dpi")
    8 x 3.28 inches at 90 dpi
    """
    from matplotlib.figure import Figure

    from flowsim.plot import plot_timeline

    height = timeline_height(len(result.compiled.names))
    fig = Figure(figsize=(8.0, height), dpi=_DPI, layout="constrained")
    plot_timeline(result, at=at, ax=fig.add_subplot())
    return fig


def draw_flow(result: Result, *, at: float | None = None) -> Figure:
    """A new figure holding :func:`flowsim.plot.plot_flow` of ``result`` at ``at``, at the
    size plot_flow gives it (at least :data:`_FLOW_MIN_HEIGHT` inches tall: the explorer's
    legend names every state).

    >>> from flowsim import simulate
    >>> fig = draw_flow(simulate(load_target("blueprint")), at=3)
    >>> print(f"{fig.dpi:g} dpi, tall enough: {fig.get_size_inches()[1] >= 2.6}")
    90 dpi, tall enough: True
    """
    from matplotlib.figure import Figure

    from flowsim.plot import plot_flow

    fig = plot_flow(result, at=at).get_figure(root=True)
    assert isinstance(fig, Figure)
    fig.set_dpi(_DPI)
    width, height = fig.get_size_inches()
    fig.set_size_inches(float(width), max(float(height), _FLOW_MIN_HEIGHT))
    return fig


def to_png(fig: Figure, *, dpi: int = _DPI) -> bytes:
    """``fig`` as PNG bytes, with no timestamp: the same drawing gives the same bytes.

    >>> from flowsim import simulate
    >>> to_png(draw_timeline(simulate(load_target("blueprint"))))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _time_step(makespan: float) -> float:
    """A round slider step giving about 100 positions over ``makespan`` (1, 2 or 5 x 10^k).

    >>> _time_step(7), _time_step(16), _time_step(0)
    (0.1, 0.2, 0.1)
    """
    if makespan <= 0:
        return 0.1
    raw = makespan / 100
    power = 10.0 ** math.floor(math.log10(raw))
    for mantissa in (1, 2, 5, 10):
        if mantissa * power >= raw * (1 - 1e-9):
            return float(f"{mantissa * power:.12g}")
    raise AssertionError("unreachable")  # pragma: no cover


def _time_format(step: float) -> str:
    """The slider's readout format: as many decimals as ``step`` has.

    >>> _time_format(0.2), _time_format(5.0), _time_format(0.05)
    ('.1f', '.0f', '.2f')
    """
    return f".{max(0, -math.floor(math.log10(step) + 1e-9))}f"
