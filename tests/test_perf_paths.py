"""The fast paths added for speed read exactly what the general paths read: a scenario's
links (every well-formed link skips the per-key checks), and the same messages for the
rest. (compile's two builders: property_tests/test_compile_paths.py.)"""

from __future__ import annotations

from typing import Any

import pytest

import flowsim as fs
from flowsim.errors import ScenarioError
from flowsim.files import scenario_from_dict
from flowsim.files._scenario_read import _Reader


def graph(links: list[Any]) -> dict[str, Any]:
    tasks = [{"kind": "task", "name": n} for n in ("a", "b", "c")]
    flow = {"kind": "graph", "name": "g", "children": tasks, "links": links}
    return {"flowsim": 1, "flow": flow}


GOOD = [
    {"source": "a", "target": "b"},
    {"source": "a", "target": "c", "decider": False},
    {"source": "b", "target": "c", "decider": True, "depth": "flow"},
]


def test_well_formed_links_read_as_the_general_reader_reads_them() -> None:
    flow = scenario_from_dict(graph(GOOD)).flow
    assert isinstance(flow, fs.GraphFlow)
    general = [_Reader(where="x").link(raw, f"$.flow.links[{i}]") for i, raw in enumerate(GOOD)]
    assert (
        list(flow.links)
        == general
        == [
            fs.Link(source="a", target="b"),
            fs.Link(source="a", target="c", decider=False),
            fs.Link(source="b", target="c", depth=fs.Depth.FLOW),
        ]
    )
    assert [type(link.depth) for link in flow.links] == [fs.Depth] * 3


DEPTHS = 'expected one of "all", "flow", "neighbors" or "atom"; got'


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"source": "a", "target": " "}, '.target: expected a name (a non-empty string); got " "'),
        ({"source": "a", "target": "b", "depth": "deep"}, f'.depth: {DEPTHS} "deep"'),
        ({"source": "a", "target": "b", "depth": ["all"]}, f'.depth: {DEPTHS} ["all"]'),
        ({"source": "a", "target": "b", "decider": 1}, ".decider: expected true or false; got 1"),
        (
            {"source": "a", "target": "b", "weight": 1},
            '.weight: unknown key "weight" in a link; allowed keys: "source", "target", '
            '"decider", "depth"',
        ),
        (
            {"source": "a", "target": "a"},
            ': link joins "a" to itself; a link joins two different children',
        ),
        (
            {"source": "a", "target": "z"},
            '.target: graph flow "g" has no child named "z"; its children are "a", "b", "c"',
        ),
    ],
)
def test_other_links_get_the_general_message(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(graph([GOOD[0], raw]))
    assert str(info.value) == "<scenario>: $.flow.links[1]" + message
