"""An ipywidgets explorer for one scenario: change the run options and the injected
failures, and watch the timeline and the flow graph follow.

The explorer is a thin wiring of controls over pure functions, each usable on its own:

- :func:`load_target` turns a bundled example's name, a scenario file, a flow or a
  scenario into a :class:`~flowsim.Scenario`;
- :func:`settings_of` reads the explorer's settings off a scenario, and
  :func:`apply_controls` writes settings back into a new scenario;
  :func:`describe_failures` says which failures settings inject, and
  :func:`fail_choices` lists what the "fails on" control offers;
- :func:`summary` is the one-line summary of a result, and :func:`start_time` where the
  time cursor starts (:func:`first_failure`);
- :func:`draw_timeline` and :func:`draw_flow` draw a result at a time ``at`` on new
  matplotlib figures (:func:`timeline_height` tall), and :func:`to_png` turns a figure
  into PNG bytes.

The figures are shown as PNG images in :class:`ipywidgets.Image` widgets, so a notebook
saved with its widget state shows them in a static HTML export too, not only in a live
kernel. The explorer keeps its figures: a step of the time cursor redraws only the
cursor and the graph nodes whose state changed, and a rerun of the flow draws only the
timeline anew (benchmarks/explorer_bench.py measures both).

The pure parts live in ``_parts.py``, the kept pictures in ``_pictures.py``, the widget
here. This package imports ipywidgets and matplotlib; ``import flowsim`` does not import
it.

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

import asyncio
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
from flowsim.model import Scenario, Strategy
from flowsim.timing import FailSpec
from flowsim.trace import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from ._parts import (
    _DPI,
    FAIL_CHOICES,
    TIMELINE_MAX_HEIGHT,
    Settings,
    _time_format,
    _time_step,
    apply_controls,
    describe_failures,
    draw_flow,
    draw_timeline,
    fail_choices,
    first_failure,
    load_target,
    settings_of,
    start_time,
    summary,
    timeline_height,
    to_png,
)
from ._pictures import FlowPicture as _FlowPicture
from ._pictures import TimelinePicture as _TimelinePicture

__all__ = [
    "FAIL_CHOICES",
    "TIMELINE_MAX_HEIGHT",
    "Explorer",
    "Settings",
    "apply_controls",
    "describe_failures",
    "draw_flow",
    "draw_timeline",
    "fail_choices",
    "first_failure",
    "load_target",
    "settings_of",
    "start_time",
    "summary",
    "timeline_height",
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
    atom, fails_on, revert_fails
        The injected failures, one atom at a time: pick an atom (a task or a retry
        controller, in compile order) in ``atom``; ``fails_on`` then shows and sets which of
        its execute calls fail (:func:`fail_choices`), and ``revert_fails`` whether its
        revert fails (on: its first revert, or the scenario's own ``revert_fails_on``).
    failures
        An HTML line: every failure the settings inject (:func:`describe_failures`).
    time, play, play_link
        The time cursor (in the flow's time units) and a play button that moves it; the
        play button drives the slider in the browser (``play_link``, a ``jsdlink``), so it
        also moves in a static HTML export. The cursor starts at :func:`start_time`, the
        first failure; after a rerun it follows the new run's first failure, unless it was
        moved.
    timeline, flow
        Image widgets: the timeline with the cursor, and the flow graph coloured by the
        atoms' states at the cursor. They sit in ``timeline_box`` and ``flow_box``, which
        scroll beyond :data:`TIMELINE_MAX_HEIGHT` inches.
    summary
        An HTML widget: flow state, makespan, wasted work, reverted atoms (or the error,
        if the settings cannot run).
    widget
        The whole explorer, one box.
    runs
        How many times the explorer has simulated the flow.
    debounce
        Seconds a change made in the browser waits before the flow reruns (another change
        within that time restarts the wait, so a burst of changes reruns once). Changes
        made from Python rerun at once.

    Raises
    ------
    FlowsimError
        If ``target`` is not a scenario, or the scenario cannot be run.

    Examples
    --------
    >>> ex = Explorer("blueprint")
    >>> ex.at  # the first failure: B's, at 3
    3.0
    >>> ex.atom.value, ex.fails_on.value  # the atom that fails comes first
    ('B', (1,))
    >>> ex.fails_on.value = ()
    >>> ex.result.makespan, ex.result.wasted_work
    (7.0, 0.0)
    >>> ex.atom.value = "checkpoint"  # a retry controller's failures, too
    >>> ex.revert_fails.value = True
    >>> ex.failures.value
    "injected failures: checkpoint's revert fails on call 1"
    >>> ex.time.value = 3.5
    >>> ex.at
    3.5
    """

    debounce: float = 0.15

    def __init__(self, target: object) -> None:
        self.base = load_target(target)
        """The scenario as given; the controls start from its options and failures."""
        initial = settings_of(self.base)
        self.error: str | None = None
        """Why the current settings cannot run, or ``None``."""
        self.scenario = self.base
        """The scenario with the current settings applied."""
        self.runs = 1
        self.result: Result = simulate(self.base)
        """The result of the current settings (the last that ran, if :attr:`error`)."""
        self._timeline = _TimelinePicture()
        self._flow: _FlowPicture | None = None
        self._drawing = False
        self._syncing = False
        self._pending: asyncio.TimerHandle | None = None
        self._start: float | None = None

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

        # The injected failures: the settings of every atom, shown one atom at a time.
        self._given = dict(initial.fails_on)
        self._fails: dict[str, FailSpec] = dict(initial.fails_on)
        self._reverts: dict[str, FailSpec] = dict(initial.revert_fails_on)
        self._revert_spec = {name: spec or (1,) for name, spec in self._reverts.items()}
        compiled = self.result.compiled
        kinds = dict(zip(compiled.names, compiled.is_retry, strict=True))
        names = [n for n in compiled.names if n in self._fails]
        first = next((n for n in names if self._fails[n] or self._reverts[n]), names[0])
        self.atom = widgets.Dropdown(
            options=[(f"{n} (retry controller)" if kinds[n] else n, n) for n in names],
            value=first,
            description="injected failures: atom",
            style=wide,
            layout=widgets.Layout(width="26em"),
        )
        self.fails_on = widgets.Dropdown(
            options=fail_choices(self._given[first]),
            value=self._fails[first],
            description="fails on",
            style=wide,
            layout=widgets.Layout(width="15em"),
        )
        self.revert_fails = widgets.Checkbox(
            value=bool(self._reverts[first]),
            description="revert fails",
            indent=False,
            layout=widgets.Layout(width="10em"),
        )
        self.failures = widgets.HTML()

        makespan = self.result.makespan
        self.time = widgets.FloatSlider(
            value=0.0,
            min=0.0,
            max=makespan,
            step=_time_step(makespan),
            description="time",
            readout_format=_time_format(_time_step(makespan)),
            continuous_update=True,
            layout=widgets.Layout(width="30em"),
        )
        self.play = widgets.Play(value=0, min=0, max=0, step=1, interval=500, description="play")
        self.play_link = widgets.jsdlink((self.play, "value"), (self.time, "value"))
        # Natural size (not stretched to the box's width), shrunk only to fit.
        natural = {"max_width": "100%", "align_self": "flex-start", "flex": "0 0 auto"}
        self.timeline = widgets.Image(format="png", layout=widgets.Layout(**natural))
        self.timeline_box = widgets.Box(
            [self.timeline],
            layout=widgets.Layout(
                max_height=f"{TIMELINE_MAX_HEIGHT * _DPI:.0f}px", overflow="auto"
            ),
        )
        self.flow = widgets.Image(format="png", layout=widgets.Layout(**natural))
        self.flow_box = widgets.Box(
            [self.flow],
            layout=widgets.Layout(
                max_height=f"{TIMELINE_MAX_HEIGHT * _DPI:.0f}px", overflow="auto"
            ),
        )
        self.summary = widgets.HTML()
        title = f"<b>{html.escape(self.base.name)}</b>"
        if self.base.description:
            title += f": {html.escape(self.base.description)}"
        self.widget = widgets.VBox(
            [
                widgets.HTML(title),
                widgets.HBox([self.strategy, self.defer_reverts, self.workers, self.seed]),
                widgets.HBox([self.atom, self.fails_on, self.revert_fails]),
                self.failures,
                widgets.HBox([self.play, self.time]),
                self.summary,
                self.timeline_box,
                self.flow_box,
            ]
        )
        controls = [self.strategy, self.defer_reverts, self.workers, self.seed]
        for control in [*controls, self.fails_on, self.revert_fails]:
            control.observe(self._on_control, names="value")
        self.atom.observe(self._on_atom, names="value")
        self.time.observe(self._on_time, names="value")
        self._show(self.scenario, self.result)

    # -- what the controls say
    @property
    def at(self) -> float:
        """The time of the cursor."""
        return float(self.time.value)

    @property
    def timeline_figure(self) -> Figure | None:
        """The figure of the timeline shown (a new one after each rerun, the same one
        while the cursor moves)."""
        return self._timeline.figure

    @property
    def flow_figure(self) -> Figure | None:
        """The figure of the flow graph shown (the same one for the explorer's life)."""
        return None if self._flow is None else self._flow.figure

    def settings(self) -> Settings:
        """The settings the controls show now (the failures of every atom, not only the
        one the failure controls show)."""
        workers = int(self.workers.value)
        return Settings(
            strategy=Strategy(self.strategy.value),
            defer_reverts=bool(self.defer_reverts.value),
            workers=workers if workers > 0 else None,
            seed=int(self.seed.value),
            fails_on=dict(self._fails),
            revert_fails_on=dict(self._reverts),
        )

    # -- reactions
    def _on_atom(self, change: Mapping[str, Any]) -> None:
        """Show the chosen atom's failures in the failure controls (no rerun)."""
        name = self.atom.value
        self._syncing = True
        try:
            self.fails_on.options = fail_choices(self._given[name])
            self.fails_on.value = self._fails[name]
            self.revert_fails.value = bool(self._reverts[name])
        finally:
            self._syncing = False

    def _on_control(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        owner = change["owner"]
        if owner is self.fails_on:
            self._fails[self.atom.value] = owner.value
        elif owner is self.revert_fails:
            name = self.atom.value
            self._reverts[name] = self._revert_spec[name] if owner.value else ()
        loop = _browser_loop(owner)
        if loop is None:
            self._run()
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.debounce, self._run)

    def _on_time(self, change: Mapping[str, Any]) -> None:
        if self._drawing:
            return
        self.timeline.value = self._timeline.move(self.at)
        assert self._flow is not None
        self.flow.value = self._flow.show(self.result, self.at)

    def _run(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        try:
            scenario = apply_controls(self.base, self.settings())
            self.runs += 1
            result = simulate(scenario)
        except FlowsimError as exc:
            self.error = str(exc)
            self.summary.value = (
                f'<span style="color:#b00">cannot run these settings: {html.escape(str(exc))}'
                "</span>"
            )
            self._show_failures()
            return
        self.error = None
        self._show(scenario, result)

    def _show(self, scenario: Scenario, result: Result) -> None:
        self.scenario, self.result = scenario, result
        old_end, at = float(self.time.max), self.at
        makespan, start = result.makespan, start_time(result)
        if self._start is None or at == self._start:
            at = start  # not moved since the last run: to this run's first failure
        elif at >= old_end:
            at = makespan  # at the end: stays at the end
        else:
            at = min(at, makespan)
        self._start = start
        self._drawing = True
        try:
            if makespan >= old_end:
                self.time.max = makespan
            self.time.step = _time_step(makespan)
            self.time.readout_format = _time_format(self.time.step)
            self.time.value = at
            self.time.max = makespan
            self._set_play_range(makespan, at)
        finally:
            self._drawing = False
        self.summary.value = f"<b>{html.escape(self.base.name)}</b>: " + html.escape(
            summary(result)
        ).replace(f"flow {result.flow_state},", f"flow <b>{result.flow_state}</b>,")
        self._show_failures()
        self.timeline.value = self._timeline.show(result, at)
        if self._flow is None:
            self._flow = _FlowPicture(result, at)
        self.flow.value = self._flow.show(result, at)

    def _show_failures(self) -> None:
        self.failures.value = "injected failures: " + html.escape(
            describe_failures(self.settings()), quote=False
        )

    def _set_play_range(self, makespan: float, at: float) -> None:
        """Fit the play button to ``makespan``, in whole time units (Play counts in ints).

        In the browser every change of the play button's value moves the slider
        (``play_link``), also when the page first shows it: so the play button shows the
        cursor's time when that is a whole number (the start, :func:`start_time`, is one)
        and its end when the cursor is at the end; otherwise its value is left alone
        unless it is out of range.
        """
        self.play.max = math.ceil(makespan)
        self.play.step = max(1, math.ceil(makespan / 40))
        if at >= makespan:
            self.play.value = self.play.max
        elif float(at).is_integer():
            self.play.value = int(at)

    # -- display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _browser_loop(control: Any) -> asyncio.AbstractEventLoop | None:
    """The running event loop if ``control``'s change came from the browser, else None.

    While ipywidgets applies a change sent by the browser (``Widget.set_state``), the
    control's ``_property_lock`` holds the synced values; a change made from Python
    leaves it empty. In a kernel, the browser's changes arrive inside its event loop.
    """
    if not getattr(control, "_property_lock", None):
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
