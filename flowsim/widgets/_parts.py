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
from typing import TYPE_CHECKING

from flowsim import examples
from flowsim.errors import ModelError, ScenarioError
from flowsim.files.scenario import load_scenario
from flowsim.model import (
    Flow,
    GraphFlow,
    LinearFlow,
    Scenario,
    Strategy,
    Task,
    UnorderedFlow,
    walk,
)
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
"""The choices of a task's "fails on" control, as (label, ``fails_on``) pairs. A task whose
scenario gives another value gets that value as an extra first choice."""

_DPI = 90


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
    map task names to the values to use instead of the scenario's; tasks not named keep
    theirs.
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
                raise ModelError(f"Settings: {name} must map task names to values, got {given!r}")
            checked = {
                task: check_fail_spec(f"Settings: {name}[{task!r}]", name, spec)
                for task, spec in given.items()
            }
            object.__setattr__(self, name, MappingProxyType(checked))


def _tasks(flow: Flow) -> list[Task]:
    return [node for node in walk(flow) if isinstance(node, Task)]


def settings_of(scenario: Scenario) -> Settings:
    """The settings that reproduce ``scenario`` as it is.

    >>> s = settings_of(load_target("blueprint"))
    >>> s.strategy, s.workers, dict(s.fails_on)
    (<Strategy.SMART: 'smart'>, None, {'A': (), 'B': (1,), 'C': ()})
    """
    o = scenario.options
    tasks = _tasks(scenario.flow)
    return Settings(
        strategy=o.strategy,
        defer_reverts=o.defer_reverts,
        workers=o.workers,
        seed=o.seed,
        fails_on={t.name: t.fails_on for t in tasks},
        revert_fails_on={t.name: t.revert_fails_on for t in tasks},
    )


def apply_controls(scenario: Scenario, settings: Settings) -> Scenario:
    """``scenario`` with the options and injected failures of ``settings``.

    Raises
    ------
    ModelError
        If ``settings`` names a task the scenario does not have, or an option is invalid.

    Examples
    --------
    >>> blueprint = load_target("blueprint")
    >>> changed = apply_controls(blueprint, Settings(workers=1, fails_on={"B": ()}))
    >>> changed.options.workers, changed.flow.children[1].children[0].children[0].fails_on
    (1, ())
    >>> apply_controls(blueprint, Settings(fails_on={"D": (1,)}))
    Traceback (most recent call last):
    ...
    flowsim.errors.ModelError: Settings: no task named 'D' in scenario 'blueprint'; its tasks are A, B, C
    """  # noqa: E501
    names = [t.name for t in _tasks(scenario.flow)]
    for mapping in (settings.fails_on, settings.revert_fails_on):
        for name in mapping:
            if name not in names:
                raise ModelError(
                    f"Settings: no task named {name!r} in scenario {scenario.name!r}; its "
                    f"tasks are {', '.join(names)}"
                )

    def rebuild(node: Task | Flow) -> Task | Flow:
        if isinstance(node, Task):
            return dataclasses.replace(
                node,
                fails_on=settings.fails_on.get(node.name, node.fails_on),
                revert_fails_on=settings.revert_fails_on.get(node.name, node.revert_fails_on),
            )
        return dataclasses.replace(node, children=[rebuild(child) for child in node.children])

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


def draw_timeline(result: Result, *, at: float | None = None) -> Figure:
    """A new figure holding :func:`flowsim.plot.plot_timeline` of ``result`` at ``at``.

    The figure is not registered with pyplot, so it is freed with its last reference.

    >>> from flowsim import simulate
    >>> fig = draw_timeline(simulate(load_target("blueprint")), at=3)
    >>> len(fig.axes) >= 1
    True
    """
    from matplotlib.figure import Figure

    from flowsim.plot import plot_timeline

    lanes = len(result.compiled.names)
    fig = Figure(figsize=(8.0, 1.6 + 0.42 * lanes), layout="constrained")
    plot_timeline(result, at=at, ax=fig.add_subplot())
    return fig


def draw_flow(result: Result, *, at: float | None = None) -> Figure:
    """A new figure holding :func:`flowsim.plot.plot_flow` of ``result`` at ``at``.

    >>> from flowsim import simulate
    >>> fig = draw_flow(simulate(load_target("blueprint")), at=3)
    >>> len(fig.axes) >= 1
    True
    """
    from matplotlib.figure import Figure

    from flowsim.plot import plot_flow

    fig = Figure(figsize=(8.0, 4.2), layout="constrained")
    plot_flow(result, at=at, ax=fig.add_subplot())
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
