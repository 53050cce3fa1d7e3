"""How flowsim's values show themselves: one-line reprs, HTML summaries, and in a running
kernel the summary with its picture (registered by flowsim.plot)."""

from __future__ import annotations

import base64
from html import escape

import nbformat
import pytest
from helpers import blueprint
from nbclient import NotebookClient

import flowsim as fs
from flowsim import examples
from flowsim.plot._display import PICTURE_LIMIT, compiled_html, result_html, scenario_html

PNG = b"\x89PNG\r\n\x1a\n"


def big_flow(n: int = 2000) -> fs.UnorderedFlow:
    """``n`` checkpointed tasks side by side, each failing once (so every count is big)."""
    return fs.UnorderedFlow(
        name="big",
        children=[
            fs.LinearFlow(
                name=f"l{i}",
                retry=fs.Retry(name=f"r{i}", controller=fs.Times(attempts=2)),
                children=[fs.Task(name=f"t{i}", fails_on=[1])],
            )
            for i in range(n)
        ],
    )


def test_reprs_are_one_informative_line() -> None:
    r = fs.simulate(blueprint())
    assert repr(r) == (
        "<Result of 'blueprint': SUCCESS, makespan 7 (smart, unlimited workers, seed 0); "
        "4 atoms, 18 events, 1 resolution>"
    )
    assert repr(r.trace) == "<Trace of 'blueprint' (flowsim): 18 events, 1 resolution>"
    assert repr(r.compiled) == (
        "<CompiledFlow 'blueprint': 4 atoms (3 tasks, 1 retry controller), 3 flows, 3 edges>"
    )
    s = fs.Scenario(flow=blueprint(), options=fs.Options(workers=1, defer_reverts=False))
    assert repr(s) == (
        "<Scenario 'blueprint': 4 atoms (3 tasks, 1 retry controller) in 3 flows; "
        "smart, 1 worker, seed 0, defer_reverts=False>"
    )


def test_a_long_name_is_shortened() -> None:
    r = fs.simulate(fs.LinearFlow(name="n" * 500, children=[fs.Task(name="a")]))
    assert repr(r) == (
        f"<Result of '{'n' * 55}...': SUCCESS, makespan 1 (smart, unlimited workers, "
        "seed 0); 1 atom, 4 events, 0 resolutions>"
    )


def test_the_result_summary() -> None:
    r = fs.simulate(examples.load("nested-escalation"))
    assert r._repr_html_() == (
        '<div class="flowsim-result"><p><b>Result</b> of <code>nested-escalation</code>: '
        "<b>SUCCESS</b>, makespan 11 (smart, unlimited workers, seed 0)</p>"
        "<p>5 atoms: 5 SUCCESS; 11 executes, 4 reverts, wasted work 5; 38 events, "
        "2 resolutions</p>"
        "<table><tr><th>time</th><th>failed</th><th>chain (innermost first)</th>"
        "<th>action</th><th>scope</th></tr>"
        "<tr><td>3</td><td><code>deploy</code></td><td>inner: RETRY</td>"
        "<td>RETRY <code>inner</code></td><td>deploy</td></tr>"
        "<tr><td>6</td><td><code>deploy</code></td><td>inner: REVERT, outer: RETRY</td>"
        "<td>RETRY <code>outer</code></td><td>prepare, inner, deploy</td></tr></table></div>"
    )


def test_a_result_without_trace_says_so() -> None:
    r = fs.simulate(blueprint(), trace=False)
    assert r._repr_html_() == (
        '<div class="flowsim-result"><p><b>Result</b> of <code>blueprint</code>: '
        "<b>SUCCESS</b>, makespan 7 (smart, unlimited workers, seed 0)</p>"
        "<p>4 atoms: 4 SUCCESS; 6 executes, 1 revert, wasted work 2; 18 events, "
        "1 resolution (simulated with trace=False)</p></div>"
    )
    assert result_html(r) == r._repr_html_()  # no trace, no timeline


def test_the_trace_summary_shows_head_and_tail() -> None:
    r = fs.simulate(blueprint())
    head = (
        "<tr><td>0</td><td>0</td><td>flow</td><td>blueprint</td><td>RUNNING</td>"
        "<td></td><td></td></tr>"
    )
    gap = '<tr><td colspan="7">... 8 more events ...</td></tr>'
    tail = (
        "<tr><td>7</td><td>17</td><td>flow</td><td>blueprint</td><td>SUCCESS</td>"
        "<td></td><td></td></tr></table></div>"
    )
    html = r.traced()._repr_html_()
    assert html.startswith(
        '<div class="flowsim-trace"><p><b>Trace</b> of <code>blueprint</code> (flowsim): '
        "18 events, 1 resolution; smart, unlimited workers, seed 0</p><table><tr>"
        "<th>time</th><th>seq</th><th>subject</th><th>name</th><th>state</th>"
        "<th>attempt</th><th>worker</th></tr>" + head
    )
    assert html.endswith(tail)
    assert html.count("<tr>") == 1 + 5 + 1 + 5
    assert gap in html
    short = fs.Trace("f", ())
    assert short._repr_html_() == (
        '<div class="flowsim-trace"><p><b>Trace</b> of <code>f</code> (flowsim): '
        "0 events, 0 resolutions</p></div>"
    )


def test_the_flow_summaries() -> None:
    tree = (
        "<ul><li>linear flow <code>blueprint</code><ul><li><code>A</code></li>"
        "<li>unordered flow <code>parallel</code><ul>"
        "<li>linear flow <code>checkpointed</code> (retry <code>checkpoint</code>)<ul>"
        "<li><code>B</code></li></ul></li><li><code>C</code></li></ul></li></ul></li></ul>"
    )
    assert fs.compile(blueprint(), store={"x<y": 1})._repr_html_() == (
        '<div class="flowsim-compiled"><p><b>CompiledFlow</b> <code>blueprint</code>: '
        "4 atoms (3 tasks, 1 retry controller), 3 flows, 3 edges; store: x&lt;y</p>"
        + tree
        + "</div>"
    )
    s = fs.Scenario(flow=blueprint(), description="B fails <once>")
    assert s._repr_html_() == (
        '<div class="flowsim-scenario"><p><b>Scenario</b> <code>blueprint</code>: '
        "4 atoms (3 tasks, 1 retry controller) in 3 flows; smart, unlimited workers, "
        "seed 0</p><p>B fails &lt;once&gt;</p>" + tree + "</div>"
    )


def test_displays_are_bounded_at_2000_tasks() -> None:
    flow = big_flow()
    r = fs.simulate(flow)
    assert repr(r) == (
        "<Result of 'big': SUCCESS, makespan 3 (smart, unlimited workers, seed 0); "
        "4,000 atoms, 24,002 events, 2,000 resolutions>"
    )
    values = [r, r.traced(), r.compiled, fs.Scenario(flow=flow)]
    assert [len(repr(v)) < 200 for v in values] == [True] * 4
    assert [len(v._repr_html_()) < 3000 for v in values] == [True] * 4
    assert (
        fs.compile(flow)
        ._repr_html_()
        .endswith(
            "(retry <code>r19</code>)<ul></ul></li></ul></li></ul>"
            "<p>... and 3,961 more entries</p></div>"
        )
    )
    # with the plot layer: no picture, and a sentence that says why and what draws it
    assert result_html(r) == r._repr_html_() + (
        f"<p><i>No picture: 4,000 atoms is more than {PICTURE_LIMIT} "
        "(<code>flowsim.plot.plot_timeline(result)</code> draws it).</i></p>"
    )


def _png_of(html: str) -> bytes:
    head = '<img src="data:image/png;base64,'
    assert html.count(head) == 1
    return base64.b64decode(html.split(head)[1].split('"')[0])


def test_the_plot_layer_adds_the_pictures() -> None:
    r = fs.simulate(blueprint())
    html = result_html(r)
    assert html.startswith(r._repr_html_())
    assert html.endswith('" alt="timeline of blueprint"/>')
    assert _png_of(html).startswith(PNG)
    c = fs.compile(blueprint())
    assert compiled_html(c).endswith('" alt="graph of blueprint"/>')
    assert _png_of(compiled_html(c)).startswith(PNG)
    s = fs.Scenario(flow=blueprint())
    assert _png_of(scenario_html(s)).startswith(PNG)


def test_a_scenario_that_does_not_compile_says_why() -> None:
    s = fs.Scenario(flow=fs.GraphFlow(name="g", children=[fs.Task(name="a", requires=["x"])]))
    with pytest.raises(fs.CompileError) as caught:
        fs.compile(s.flow)
    message = str(caught.value)
    assert scenario_html(s) == s._repr_html_() + (
        f"<p><i>The flow does not compile: {escape(message)}</i></p>"
    )


def test_a_result_displays_with_its_timeline_in_a_kernel() -> None:
    """In a fresh kernel, once flowsim.plot is imported, evaluating a Result gives HTML:
    the summary and the timeline; a Trace gives its table; with no flowsim.plot, the
    summary alone."""
    cells = [
        "import flowsim as fs\nfrom flowsim import examples\n"
        'fs.simulate(examples.load("blueprint"))',
        "import flowsim.plot\nr = fs.simulate(examples.load('blueprint'))\nr",
        "r.trace",
        "fs.compile(r.compiled.flow)",
        "examples.load('blueprint')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    data = []
    for cell in nb.cells:
        (out,) = [o for o in cell.outputs if o.output_type == "execute_result"]
        data.append(out.data)
    summary = fs.simulate(examples.load("blueprint"))._repr_html_()
    assert data[0] == {
        "text/html": summary,
        "text/plain": repr(fs.simulate(examples.load("blueprint"))),
    }
    assert set(data[1]) == {"text/html", "text/plain"}
    assert data[1]["text/html"].startswith(summary)
    assert data[1]["text/html"].endswith('" alt="timeline of blueprint"/>')
    assert _png_of(data[1]["text/html"]).startswith(PNG)
    assert data[2]["text/html"].startswith('<div class="flowsim-trace">')
    assert data[3]["text/html"].endswith('" alt="graph of blueprint"/>')
    assert data[4]["text/html"].endswith('" alt="graph of blueprint"/>')
    assert data[4]["text/plain"] == repr(examples.load("blueprint"))


def test_pictures_stop_at_the_limit() -> None:
    def chain(n: int) -> fs.LinearFlow:
        return fs.LinearFlow(name="chain", children=[fs.Task(name=f"t{i}") for i in range(n)])

    assert PICTURE_LIMIT == 40
    at_limit = fs.compile(chain(PICTURE_LIMIT))
    assert compiled_html(at_limit).endswith('" alt="graph of chain"/>')
    over = fs.compile(chain(PICTURE_LIMIT + 1))
    assert compiled_html(over) == over._repr_html_() + (
        "<p><i>No picture: 41 atoms is more than 40 "
        "(<code>flowsim.plot.plot_flow(compiled)</code> draws it).</i></p>"
    )
    over_scenario = fs.Scenario(flow=chain(PICTURE_LIMIT + 1))
    assert scenario_html(over_scenario).endswith(
        "(<code>flowsim.plot.plot_flow(flowsim.compile(scenario.flow))</code> draws it).</i></p>"
    )
