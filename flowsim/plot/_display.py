"""flowsim's values in a notebook: a summary with its picture.

Private: :func:`show_in_ipython` runs when :mod:`flowsim.plot` is imported.

How it is split. The values sit below the plot layer and may not import it: each of
:class:`~flowsim.Result`, :class:`~flowsim.Trace` (:mod:`flowsim.trace`),
:class:`~flowsim.Scenario` (:mod:`flowsim.model`) and :class:`~flowsim.CompiledFlow`
(:mod:`flowsim.compile`) has a one-line ``__repr__`` and a ``_repr_html_`` that is text
only: a summary of bounded length whatever the flow's size. Those work in any IPython
with no flowsim picture code loaded. When :mod:`flowsim.plot` is imported in a running
IPython, :func:`show_in_ipython` registers ``text/html`` formatters with IPython's display
formatter for Result, Scenario and CompiledFlow (IPython asks a type's registered
formatter before the object's own ``_repr_html_``, as it does for the Figure and Axes PNG
formatters of :func:`flowsim.plot._common.show_in_ipython`). They return the same summary
followed by the picture -- a Result's timeline, a flow's graph -- as a PNG inside the HTML
(a ``data:`` URI, so a static nbconvert export keeps it). The core stays free of IPython
and matplotlib, and no hook object is shared between the layers: IPython's registry is
the hook. A Trace has no picture of its own (it has no flow to draw); its table is the
display.

A flow with more than :data:`PICTURE_LIMIT` atoms gets no picture (it would be a poster,
and slow to draw): the summary says so and names the function that draws it.
"""

from __future__ import annotations

import base64
import sys
from html import escape
from typing import Any

from flowsim.compile import CompiledFlow, compile
from flowsim.errors import FlowsimError
from flowsim.model import Scenario
from flowsim.trace import Result

from ._common import _png
from ._common import show_in_ipython as _show_figures
from ._flow import plot_flow
from ._timeline import plot_timeline

PICTURE_LIMIT = 40
"""The most atoms a flow may have for its notebook display to draw a picture."""


def _img(ax: Any, alt: str) -> str:
    data = base64.b64encode(_png(ax.figure)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}"/>'


def _too_big(n: int, call: str) -> str:
    return (
        f"<p><i>No picture: {n:,} atoms is more than {PICTURE_LIMIT} "
        f"(<code>{call}</code> draws it).</i></p>"
    )


def result_html(result: Result) -> str:
    """A Result's summary and its timeline.

    >>> from flowsim import LinearFlow, Task, simulate
    >>> html = result_html(simulate(LinearFlow(name="f", children=[Task(name="a")])))
    >>> html.count('<img src="data:image/png;base64,'), html.endswith('alt="timeline of f"/>')
    (1, True)
    """
    summary = result._repr_html_()
    n = len(result.compiled)
    if result.trace is None:
        return summary
    if n > PICTURE_LIMIT:
        return summary + _too_big(n, "flowsim.plot.plot_timeline(result)")
    return summary + _img(plot_timeline(result), f"timeline of {result.compiled.name}")


def compiled_html(compiled: CompiledFlow) -> str:
    """A CompiledFlow's summary and its graph."""
    summary = compiled._repr_html_()
    n = len(compiled)
    if n > PICTURE_LIMIT:
        return summary + _too_big(n, "flowsim.plot.plot_flow(compiled)")
    return summary + _img(plot_flow(compiled), f"graph of {compiled.name}")


def scenario_html(scenario: Scenario) -> str:
    """A Scenario's summary and its flow's graph (or why the flow does not compile)."""
    summary = scenario._repr_html_()
    try:
        compiled = compile(scenario.flow, store=scenario.store)
    except FlowsimError as exc:
        return summary + f"<p><i>The flow does not compile: {escape(str(exc))}</i></p>"
    n = len(compiled)
    if n > PICTURE_LIMIT:
        return summary + _too_big(n, "flowsim.plot.plot_flow(flowsim.compile(scenario.flow))")
    return summary + _img(plot_flow(compiled), f"graph of {compiled.name}")


def show_in_ipython() -> bool:
    """Register, in the running IPython (if any), PNG display for Figures and Axes and
    HTML display with pictures for Result, Scenario and CompiledFlow; return whether
    there was an IPython. IPython is never imported here.

    >>> show_in_ipython()  # a doctest runs outside IPython
    False
    """
    if not _show_figures():
        return False
    shell = sys.modules["IPython"].get_ipython()
    html = shell.display_formatter.formatters["text/html"]
    html.for_type(Result, result_html)
    html.for_type(CompiledFlow, compiled_html)
    html.for_type(Scenario, scenario_html)
    return True
