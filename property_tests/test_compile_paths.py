"""compile's two builders give one compiled flow: the node graph (entries and terminators,
then flattened) and the direct atom graph it uses when no decider and no empty flow needs
the nodes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import flowsim as fs
from flowsim import strategies as fst
from flowsim.compile import CompiledFlow, _compile, _needs_nodes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from workload import build_flow, build_small_flow, make_small, make_workload

FIELDS = (
    "name",
    "atoms",
    "names",
    "index",
    "is_retry",
    "preds",
    "succs",
    "near_succs",
    "retry_of",
    "deciders",
    "flow_of",
    "root",
    "inside",
)


def parts(c: CompiledFlow) -> dict[str, Any]:
    out = {f: getattr(c, f) for f in FIELDS}
    out["index"] = dict(c.index)
    out["controllers"] = [repr(x) for x in c.controllers]
    return out


def both_ways(flow: fs.Flow, store: dict[str, Any] | None = None) -> None:
    nodes = _compile(flow, dict(store or {}), nodes=True)
    direct = _compile(flow, dict(store or {}))
    assert parts(direct) == parts(nodes)


@given(fst.flows(max_atoms=12, deciders=False))
def test_flows_compile_alike_both_ways(flow: fs.Flow) -> None:
    both_ways(flow)


@given(fst.scenarios(max_atoms=12))
def test_scenarios_compile_alike_both_ways(scenario: fs.Scenario) -> None:
    both_ways(scenario.flow, dict(scenario.store))


@pytest.mark.parametrize("p", [0.0, 0.1])
def test_benchmark_dag_compiles_alike_both_ways(p: float) -> None:
    flow = build_flow(make_workload(400, fail_p=p))
    assert not _needs_nodes(flow)
    both_ways(flow)


def test_small_benchmark_flow_compiles_alike_both_ways() -> None:
    flow = build_small_flow(make_small(50))
    assert not _needs_nodes(flow)
    both_ways(flow)


def test_which_flows_need_the_node_graph() -> None:
    task = fs.Task(name="a")
    retry = fs.Retry(name="r", controller=fs.Times(attempts=2))
    empty = fs.LinearFlow(name="e", children=[])
    guarded_empty = fs.LinearFlow(name="e", retry=retry, children=[])
    decided = fs.GraphFlow(
        name="g",
        children=[task, fs.Task(name="b")],
        links=[fs.Link(source="a", target="b", decider=False)],
    )
    assert _needs_nodes(fs.LinearFlow(name="f", children=[task, empty]))
    assert not _needs_nodes(fs.LinearFlow(name="f", children=[task, guarded_empty]))
    assert _needs_nodes(fs.LinearFlow(name="f", children=[decided]))
    assert not _needs_nodes(fs.LinearFlow(name="f", children=[task]))
    for flow in (
        fs.LinearFlow(name="f", children=[fs.Task(name="x"), guarded_empty, task]),
        fs.UnorderedFlow(name="f", retry=retry, children=[]),
    ):
        both_ways(flow)
