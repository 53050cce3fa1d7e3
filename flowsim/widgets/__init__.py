"""An ipywidgets explorer for one scenario: change the run options and the injected
failures, and watch the timeline and the flow graph follow.

The explorer is a thin wiring of controls over pure functions, each usable on its own:

- :func:`load_target` turns a bundled example's name, a scenario file, a flow or a
  scenario into a :class:`~flowsim.Scenario`;
- :func:`settings_of` reads the explorer's settings off a scenario, and
  :func:`apply_controls` writes settings back into a new scenario;
- :func:`summary` is the one-line summary of a result;
- :func:`draw_timeline` and :func:`draw_flow` draw a result at a time ``at`` on new
  matplotlib figures, and :func:`to_png` turns a figure into PNG bytes.

The figures are shown as PNG images in :class:`ipywidgets.Image` widgets, so a notebook
saved with its widget state shows them in a static HTML export too, not only in a live
kernel.

The pure parts live in ``_parts.py``, the widget here. This package imports ipywidgets
and matplotlib; ``import flowsim`` does not import it.

>>> ex = Explorer("blueprint")
>>> ex.result.makespan
7.0
>>> ex.strategy.value = "stop_the_world"
>>> ex.result.makespan
10.0
>>> ex.summary.value
'<b>blueprint</b>: flow <b>SUCCESS</b>, makespan 10, wasted work 2, reverted: B x1'
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flowsim.errors import FlowsimError, missing

try:
    import ipywidgets as widgets  # type: ignore[import-untyped]
    import matplotlib  # noqa: F401
except ModuleNotFoundError as exc:
    raise missing(exc, what="flowsim.widgets", extra="notebook") from None

from flowsim.engine import simulate
from flowsim.model import Strategy
from flowsim.timing import FailSpec
from flowsim.trace import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from ._parts import (
    FAIL_CHOICES,
    Settings,
    _time_format,
    _time_step,
    apply_controls,
    draw_flow,
    draw_timeline,
    load_target,
    settings_of,
    summary,
    to_png,
)

__all__ = [
    "FAIL_CHOICES",
    "Explorer",
    "Settings",
    "apply_controls",
    "draw_flow",
    "draw_timeline",
    "load_target",
    "settings_of",
    "summary",
    "to_png",
]

# --------------------------------------------------------------------------- the widget


class Explorer:
    """An ipywidgets explorer of one scenario.

    Display it in a notebook (it is its own output) or use it from Python: set ``.value``
    on a control and read :attr:`result`, :attr:`timeline_figure`, :attr:`flow_figure`
    and the :attr:`summary` widget.

    Parameters
    ----------
    target
        What :func:`load_target` takes: a bundled example's name, a scenario file, a
        flow or a :class:`~flowsim.Scenario`.

    Attributes
    ----------
    strategy, defer_reverts, workers, seed
        The run options (``workers`` 0 means unlimited).
    fails_on, revert_fails
        Per task (in compile order): a dropdown of the attempts that fail
        (:data:`FAIL_CHOICES`) and a "revert fails" checkbox (on: the task's first revert
        fails, or the scenario's own ``revert_fails_on``).
    time, play, play_link
        The time cursor (in the flow's time units) and a play button that moves it; the
        play button drives the slider in the browser (``play_link``, a ``jsdlink``), so it
        also moves in a static HTML export.
    timeline, flow
        Image widgets: the timeline with the cursor, and the flow graph coloured by the
        atoms' states at the cursor.
    summary
        An HTML widget: flow state, makespan, wasted work, reverted atoms (or the error,
        if the settings cannot run).
    widget
        The whole explorer, one box.

    Raises
    ------
    FlowsimError
        If ``target`` is not a scenario, or the scenario cannot be run.

    Examples
    --------
    >>> ex = Explorer("blueprint")
    >>> ex.fails_on["B"].value = ()
    >>> ex.result.makespan, ex.result.wasted_work
    (7.0, 0.0)
    >>> ex.time.value = 3.5
    >>> ex.at
    3.5
    """

    def __init__(self, target: object) -> None:
        self.base = load_target(target)
        """The scenario as given; the controls start from its options and failures."""
        initial = settings_of(self.base)
        self.error: str | None = None
        """Why the current settings cannot run, or ``None``."""
        self.scenario = self.base
        """The scenario with the current settings applied."""
        self.result: Result = simulate(self.base)
        """The result of the current settings (the last that ran, if :attr:`error`)."""
        self.timeline_figure: Figure | None = None
        self.flow_figure: Figure | None = None
        self._drawing = False

        wide = {"description_width": "initial"}
        self.strategy = widgets.Dropdown(
            options=[s.value for s in Strategy],
            value=initial.strategy.value,
            description="strategy",
            style=wide,
            layout=widgets.Layout(width="16em"),
        )
        self.defer_reverts = widgets.Checkbox(
            value=initial.defer_reverts,
            description="defer_reverts",
            indent=False,
            layout=widgets.Layout(width="10em"),
        )
        self.workers = widgets.BoundedIntText(
            value=initial.workers or 0,
            min=0,
            max=10_000,
            description="workers (0 = unlimited)",
            style=wide,
            layout=widgets.Layout(width="18em"),
        )
        self.seed = widgets.IntText(
            value=initial.seed, description="seed", style=wide, layout=widgets.Layout(width="9em")
        )
        self.fails_on: dict[str, Any] = {}
        self.revert_fails: dict[str, Any] = {}
        self._revert_spec: dict[str, FailSpec] = {}
        rows: list[Any] = []
        for name, spec in initial.fails_on.items():
            choices = list(FAIL_CHOICES)
            if all(spec != value for _, value in choices):
                choices.insert(0, (f"as given: {_show_spec(spec)}", spec))
            self.fails_on[name] = widgets.Dropdown(
                options=choices, value=spec, layout=widgets.Layout(width="11em")
            )
            revert = initial.revert_fails_on[name]
            self._revert_spec[name] = revert or (1,)
            self.revert_fails[name] = widgets.Checkbox(
                value=bool(revert),
                description="revert fails",
                indent=False,
                layout=widgets.Layout(width="10em"),
            )
            rows.append(
                widgets.HBox(
                    [
                        widgets.Label(name, layout=widgets.Layout(width="10em")),
                        widgets.Label("fails on"),
                        self.fails_on[name],
                        self.revert_fails[name],
                    ]
                )
            )

        makespan = self.result.makespan
        self.time = widgets.FloatSlider(
            value=makespan,
            min=0.0,
            max=makespan,
            step=_time_step(makespan),
            description="time",
            readout_format=_time_format(_time_step(makespan)),
            continuous_update=True,
            layout=widgets.Layout(width="30em"),
        )
        self.play = widgets.Play(value=0, min=0, max=0, step=1, interval=500, description="play")
        self._set_play_range(makespan, at_end=True)
        self.play_link = widgets.jsdlink((self.play, "value"), (self.time, "value"))
        # Natural size (not stretched to the box's width), shrunk only to fit.
        natural = {"max_width": "100%", "align_self": "flex-start"}
        self.timeline = widgets.Image(format="png", layout=widgets.Layout(**natural))
        self.flow = widgets.Image(format="png", layout=widgets.Layout(**natural))
        self.summary = widgets.HTML()
        title = f"<b>{html.escape(self.base.name)}</b>"
        if self.base.description:
            title += f": {html.escape(self.base.description)}"
        self.widget = widgets.VBox(
            [
                widgets.HTML(title),
                widgets.HBox([self.strategy, self.defer_reverts, self.workers, self.seed]),
                widgets.HTML("<b>injected failures</b>"),
                *rows,
                widgets.HBox([self.play, self.time]),
                self.summary,
                self.timeline,
                self.flow,
            ]
        )
        controls = [self.strategy, self.defer_reverts, self.workers, self.seed]
        controls += [*self.fails_on.values(), *self.revert_fails.values()]
        for control in controls:
            control.observe(self._on_control, names="value")
        self.time.observe(self._on_time, names="value")
        self._run()

    # -- what the controls say
    @property
    def at(self) -> float:
        """The time of the cursor."""
        return float(self.time.value)

    def settings(self) -> Settings:
        """The settings the controls show now."""
        workers = int(self.workers.value)
        return Settings(
            strategy=Strategy(self.strategy.value),
            defer_reverts=bool(self.defer_reverts.value),
            workers=workers if workers > 0 else None,
            seed=int(self.seed.value),
            fails_on={name: box.value for name, box in self.fails_on.items()},
            revert_fails_on={
                name: self._revert_spec[name] if box.value else ()
                for name, box in self.revert_fails.items()
            },
        )

    # -- reactions
    def _on_control(self, change: Mapping[str, Any]) -> None:
        self._run()

    def _on_time(self, change: Mapping[str, Any]) -> None:
        if not self._drawing:
            self._draw()

    def _run(self) -> None:
        try:
            scenario = apply_controls(self.base, self.settings())
            result = simulate(scenario)
        except FlowsimError as exc:
            self.error = str(exc)
            self.summary.value = (
                f'<span style="color:#b00">cannot run these settings: {html.escape(str(exc))}'
                "</span>"
            )
            return
        self.error = None
        self.scenario, self.result = scenario, result
        old_end = float(self.time.max)
        at_end = self.at >= old_end
        makespan = result.makespan
        self._drawing = True
        try:
            if makespan >= old_end:
                self.time.max = makespan
            self.time.step = _time_step(makespan)
            self.time.readout_format = _time_format(self.time.step)
            self.time.value = makespan if at_end else min(self.at, makespan)
            self.time.max = makespan
            self._set_play_range(makespan, at_end=at_end)
        finally:
            self._drawing = False
        self.summary.value = f"<b>{html.escape(self.base.name)}</b>: " + html.escape(
            summary(result)
        ).replace(f"flow {result.flow_state},", f"flow <b>{result.flow_state}</b>,")
        self._draw()

    def _set_play_range(self, makespan: float, *, at_end: bool) -> None:
        """Fit the play button to ``makespan``, in whole time units (Play counts in ints).

        In the browser every change of the play button's value moves the slider
        (``play_link``), also when the page first shows it: so a cursor at the end puts the
        play button at its end too (pressing play then starts again from 0), and a cursor
        inside the run leaves the play button's value alone unless it is out of range.
        """
        self.play.max = math.ceil(makespan)
        self.play.step = max(1, math.ceil(makespan / 40))
        if at_end:
            self.play.value = self.play.max

    def _draw(self) -> None:
        at = self.at
        self.timeline_figure = draw_timeline(self.result, at=at)
        self.flow_figure = draw_flow(self.result, at=at)
        self.timeline.value = to_png(self.timeline_figure)
        self.flow.value = to_png(self.flow_figure)

    # -- display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _show_spec(spec: FailSpec) -> str:
    return spec if isinstance(spec, str) else ", ".join(map(str, spec)) or "never"
