"""The compiler: graph shape, order, scopes and every compile error."""

from __future__ import annotations

import sys

import pytest

from flowsim import (
    CompileError,
    GraphFlow,
    LinearFlow,
    Link,
    ModelError,
    ParameterizedForEach,
    Retry,
    Task,
    Times,
    UnorderedFlow,
    compile,
)
from flowsim.compile import Decider, Scope, inferred_links
from flowsim.errors import MissingDependencyError
from flowsim.model import Depth


def named(c: object, field: str) -> dict[str, tuple[str, ...]]:
    names = c.names  # type: ignore[attr-defined]
    return {names[i]: tuple(names[j] for j in v) for i, v in enumerate(getattr(c, field))}


def test_a_flow_after_a_subflow_waits_for_all_of_it() -> None:
    sub = UnorderedFlow(
        name="sub",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="x"), Task(name="y")],
    )
    c = compile(LinearFlow(name="f", children=[Task(name="a"), sub, Task(name="z")]))
    assert c.names == ("a", "R", "x", "y", "z")
    assert named(c, "preds") == {
        "a": (),
        "R": ("a",),  # the retry is first in its scope
        "x": ("R",),
        "y": ("R",),
        "z": ("x", "y"),  # whole-subflow granularity
    }
    assert c.retry_of == (-1, -1, 1, 1, -1)


def test_innermost_retry_and_a_retrys_parent() -> None:
    inner = LinearFlow(
        name="in", retry=Retry(name="R2", controller=Times()), children=[Task(name="t")]
    )
    c = compile(
        LinearFlow(name="out", retry=Retry(name="R1", controller=Times()), children=[inner])
    )
    retry_of = {c.names[i]: (c.names[r] if r >= 0 else None) for i, r in enumerate(c.retry_of)}
    assert retry_of == {"R1": None, "R2": "R1", "t": "R2"}


def test_compile_order_is_topological_with_declaration_ties() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name="c"), Task(name="b"), Task(name="a"), Task(name="free")],
        links=[Link(source="a", target="b"), Link(source="b", target="c")],
    )
    assert compile(flow).names == ("a", "b", "c", "free")


def test_requires_and_provides_infer_links_at_child_granularity() -> None:
    producer = LinearFlow(name="make", children=[Task(name="p1"), Task(name="p2", provides=["k"])])
    flow = GraphFlow(name="g", children=[Task(name="use", requires=["k"]), producer])
    c = compile(flow)
    assert named(c, "preds")["use"] == ("p2",)
    assert c.names.index("use") > c.names.index("p2")


def test_a_store_value_satisfies_a_requirement() -> None:
    flow = LinearFlow(name="f", children=[Task(name="a", requires=["k"])])
    with pytest.raises(CompileError, match="requires 'k', which nothing before it provides"):
        compile(flow)
    assert compile(flow, store={"k": 1}).names == ("a",)


def test_a_provider_after_the_requirer_does_not_count() -> None:
    flow = LinearFlow(
        name="f", children=[Task(name="a", requires=["k"]), Task(name="b", provides=["k"])]
    )
    with pytest.raises(CompileError, match=r"\['b'\] provide it but do not run before 'a'") as e:
        compile(flow)
    assert e.value.node == "a"


def test_requires_and_provides_of_a_subflow_include_its_retry_and_every_child() -> None:
    sub = LinearFlow(
        name="S",
        retry=Retry(name="R", controller=Times(), requires=["k"], provides=["r"]),
        children=[Task(name="s1", requires=["m"], provides=["x"]), Task(name="s2")],
    )
    flow = GraphFlow(
        name="g",
        children=[
            Task(name="uses_r", requires=["r"]),
            Task(name="uses_x", requires=["x"]),
            sub,
            Task(name="P", provides=["k"]),
            Task(name="Q", provides=["m"]),
        ],
    )
    preds = named(compile(flow), "preds")
    assert preds["R"] == ("P", "Q")
    assert preds["uses_r"] == preds["uses_x"] == ("s2",)


def test_deciders_that_say_no_are_recorded_with_their_source_and_depth() -> None:
    sub = LinearFlow(name="S", children=[Task(name="x"), Task(name="y")])
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), sub, Task(name="t"), Task(name="u")],
        links=[
            Link(source="a", target="S", decider=False, depth="atom"),
            Link(source="S", target="t", decider=False),
            Link(source="a", target="t"),
            Link(source="a", target="u", decider=True),
        ],
    )
    c = compile(flow)
    assert dict(zip(c.names, c.deciders, strict=True)) == {
        "a": (),
        "x": (Decider(source=c.index["a"], depth=Depth.ATOM),),
        "y": (),
        "t": (Decider(source=-1, depth=Depth.ALL),),
        "u": (),
    }


def test_near_successors_are_direct_task_links_only() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), LinearFlow(name="s", children=[Task(name="c")])],
        links=[Link(source="a", target="b"), Link(source="a", target="s")],
    )
    c = compile(flow)
    assert named(c, "near_succs")["a"] == ("b",)
    assert named(c, "succs")["a"] == ("b", "c")


def test_scopes_and_networkx_view() -> None:
    sub = LinearFlow(
        name="s", retry=Retry(name="R", controller=Times()), children=[Task(name="x")]
    )
    c = compile(UnorderedFlow(name="u", children=[sub, Task(name="y")]))
    assert c.root.name == "u" and c.root.atoms == ("R", "x", "y")
    assert c.root.children[0].retry == "R"  # type: ignore[union-attr]
    g = c.to_networkx()
    assert sorted(g.edges) == [("R", "x")]
    assert g.graph["name"] == "u"
    assert dict(g.nodes(data="kind")) == {"R": "retry", "x": "task", "y": "task"}
    assert g.nodes["x"]["flow"] == "s"
    assert c.descendants("R") == ("x",)


def test_a_checkpointed_graph_flow_whose_children_are_linked() -> None:
    checkpointed = GraphFlow(
        name="g",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[
            Task(name="a"),
            Task(name="b"),
            LinearFlow(name="s", children=[Task(name="c"), Task(name="d")]),
            Task(name="e"),
        ],
        links=[
            Link(source="a", target="b"),
            Link(source="a", target="s"),
            Link(source="s", target="e"),
        ],
    )
    c = compile(LinearFlow(name="f", children=[Task(name="pre"), checkpointed, Task(name="post")]))
    assert c.names == ("pre", "R", "a", "b", "c", "d", "e", "post")
    assert named(c, "preds") == {
        "pre": (),
        "R": ("pre",),  # the controller follows what precedes its flow
        "a": ("R",),  # the only child nothing links to
        "b": ("a",),
        "c": ("a",),  # a link into a subflow reaches its first atom
        "d": ("c",),
        "e": ("d",),  # a link out of a subflow leaves from its last atom
        "post": ("b", "e"),  # the children that link to nothing end the flow
    }
    assert named(c, "near_succs") == {
        "pre": (),  # the controller is behind its flow's entry: not a direct successor
        "R": ("a",),
        "a": ("b",),  # c is inside s: not a direct successor
        "b": (),
        "c": ("d",),
        "d": (),
        "e": (),
        "post": (),
    }
    retry_of = {c.names[i]: (c.names[r] if r >= 0 else None) for i, r in enumerate(c.retry_of)}
    assert retry_of == {
        "pre": None, "R": None, "a": "R", "b": "R", "c": "R", "d": "R", "e": "R", "post": None
    }  # fmt: skip
    assert named(c, "inside")["R"] == ("a", "b", "c", "d", "e")
    assert c.descendants("R") == ("a", "b", "c", "d", "e", "post")


def test_neighbors_deciders_into_and_out_of_a_checkpointed_flow() -> None:
    checkpointed = LinearFlow(
        name="S",
        retry=Retry(name="R", controller=Times(attempts=2)),
        children=[Task(name="x"), Task(name="y")],
    )
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), checkpointed, Task(name="b"), Task(name="z")],
        links=[
            Link(source="a", target="S", decider=False, depth="neighbors"),
            Link(source="S", target="b", decider=False, depth="neighbors"),
            Link(source="b", target="z"),
        ],
    )
    c = compile(flow)
    assert c.names == ("a", "R", "x", "y", "b", "z")
    assert dict(zip(c.names, c.deciders, strict=True)) == {
        "a": (),
        "R": (Decider(source=c.index["a"], depth=Depth.NEIGHBORS),),  # into: the controller
        "x": (),
        "y": (),
        "b": (Decider(source=-1, depth=Depth.NEIGHBORS),),  # out of: no source atom
        "z": (),
    }
    assert named(c, "near_succs") == {
        "a": (), "R": ("x",), "x": ("y",), "y": (), "b": ("z",), "z": ()
    }  # fmt: skip


def test_a_decider_into_an_empty_flow_reaches_nothing_behind_it() -> None:
    # TaskFlow walks back from an atom through flow entries only: an empty flow's
    # terminator stops the walk, so the decider on p -> E applies to no atom
    flow = GraphFlow(
        name="g",
        children=[Task(name="p"), LinearFlow(name="E", children=[]), Task(name="q")],
        links=[Link(source="p", target="E", decider=False), Link(source="E", target="q")],
    )
    c = compile(flow)
    assert named(c, "preds") == {"p": (), "q": ("p",)}  # the empty flow lets p through
    assert c.deciders == ((), ())
    assert named(c, "near_succs") == {"p": (), "q": ()}


# --------------------------------------------------------------------------- errors


def test_duplicate_names() -> None:
    flow = LinearFlow(name="f", children=[Task(name="a"), UnorderedFlow(name="a")])
    with pytest.raises(
        CompileError, match="duplicate name 'a': used by a task and a unordered flow"
    ):
        compile(flow)


def test_cycles_name_the_atoms_involved() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), Task(name="b"), Task(name="c")],
        links=[
            Link(source="a", target="b"),
            Link(source="b", target="c"),
            Link(source="c", target="a"),
        ],
    )
    with pytest.raises(CompileError, match="has a cycle: 'a' -> 'b' -> 'c' -> 'a'") as e:
        compile(flow)
    assert e.value.node == "g"


def test_a_cycle_is_found_away_from_where_the_search_starts() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name=n) for n in "abcde"],
        links=[
            Link(source="a", target="b"),
            Link(source="c", target="d"),
            Link(source="d", target="e"),
            Link(source="e", target="d"),
        ],
    )
    with pytest.raises(CompileError) as e:
        compile(flow)
    assert str(e.value) == (
        "graph flow 'g' has a cycle: 'd' -> 'e' -> 'd' (from explicit links and requires/provides)"
    )


def test_a_cycle_entered_from_outside_it_is_found_by_the_precheck_too() -> None:
    # b and e come in from outside the cycle c <-> d, and half the atoms are on it: the
    # topological precheck must still see that c and d never become free
    flow = GraphFlow(
        name="g",
        children=[Task(name=n) for n in "cdbe"],
        links=[
            Link(source="b", target="c"),
            Link(source="e", target="d"),
            Link(source="c", target="d"),
            Link(source="d", target="c"),
        ],
    )
    with pytest.raises(CompileError) as e:
        compile(flow)
    assert str(e.value) == (
        "graph flow 'g' has a cycle: 'c' -> 'd' -> 'c' (from explicit links and requires/provides)"
    )


def test_cycle_through_requires_and_provides() -> None:
    flow = GraphFlow(
        name="g",
        children=[
            Task(name="a", requires=["y"], provides=["x"]),
            Task(name="b", requires=["x"], provides=["y"]),
        ],
    )
    with pytest.raises(CompileError, match="cycle"):
        compile(flow)


def test_unknown_link_end() -> None:
    flow = GraphFlow(name="g", children=[Task(name="a")], links=[Link(source="a", target="nope")])
    with pytest.raises(CompileError, match=r"no child named 'nope'; its children are \['a'\]"):
        compile(flow)


def test_links_into_nested_flows_are_refused() -> None:
    flow = GraphFlow(
        name="g",
        children=[Task(name="a"), LinearFlow(name="s", children=[Task(name="deep")])],
        links=[Link(source="a", target="deep")],
    )
    with pytest.raises(
        CompileError, match="'deep' is not a direct child of 'g' \\(it is in flow 's'\\)"
    ):
        compile(flow)


def test_a_link_to_itself() -> None:
    flow = GraphFlow(name="g", children=[Task(name="a")], links=[Link(source="a", target="a")])
    with pytest.raises(CompileError, match="joins a child to itself"):
        compile(flow)


def test_parameterized_for_each_needs_its_store_key() -> None:
    flow = LinearFlow(
        name="f",
        retry=Retry(name="R", controller=ParameterizedForEach(values_from="hosts")),
        children=[Task(name="a")],
    )
    with pytest.raises(CompileError, match="store key 'hosts', which the store does not hold"):
        compile(flow)
    with pytest.raises(CompileError, match="must hold a list of values"):
        compile(flow, store={"hosts": 3})


def test_compile_needs_a_flow() -> None:
    with pytest.raises(CompileError, match="compile\\(\\) takes a flow"):
        compile(Task(name="a"))  # type: ignore[arg-type]


def test_a_retry_is_not_a_child() -> None:
    with pytest.raises(ModelError, match="pass it as the flow's retry="):
        LinearFlow(name="f", children=[Retry(name="R", controller=Times())])  # type: ignore[list-item]


def _checkpointed(name: str, **retry: object) -> Retry:
    return Retry(name=name, controller=Times(), **retry)  # type: ignore[arg-type]


def _in_s(*children: Task, retry: Retry | None = None) -> LinearFlow:
    return LinearFlow(name="s", retry=retry, children=list(children))


HOSTS = ParameterizedForEach(values_from="hosts")


@pytest.mark.parametrize(
    ("flow", "store", "message", "node"),
    [
        (
            LinearFlow(name="f", children=[Task(name="x"), _in_s(retry=_checkpointed("x"))]),
            {},
            "duplicate name 'x': used by a task and a retry controller; every task, retry "
            "controller and flow needs its own name",
            "x",
        ),
        (
            GraphFlow(
                name="g",
                children=[Task(name="a"), _in_s(Task(name="b"), retry=_checkpointed("r"))],
                links=[Link(source="a", target="r")],
            ),
            {},
            "graph flow 'g': link 'a' -> 'r': 'r' is not a direct child of 'g' (it is in flow "
            "'s'); links may only join direct children, so link the child flow that holds it",
            "g",
        ),
        (
            GraphFlow(
                name="g",
                children=[Task(name="a"), Task(name="b")],
                links=[Link(source="a", target="zz")],
            ),
            {},
            "graph flow 'g': link 'a' -> 'zz': no child named 'zz'; its children are ['a', 'b']",
            "g",
        ),
        (
            GraphFlow(name="g", children=[Task(name="a")], links=[Link(source="a", target="a")]),
            {},
            "graph flow 'g': link 'a' -> 'a' joins a child to itself",
            "g",
        ),
        (
            LinearFlow(
                name="f",
                children=[Task(name="p", provides=["k"]), Task(name="c", requires=["k", "m"])],
            ),
            {},
            "task 'c' requires 'm', which nothing before it provides and the store does not "
            "hold; add a task that provides it, or a store value",
            "c",
        ),
        (
            LinearFlow(name="f", children=[_in_s(retry=_checkpointed("r", requires=["m"]))]),
            {},
            "retry 'r' requires 'm', which nothing before it provides and the store does not "
            "hold; add a task that provides it, or a store value",
            "r",
        ),
        (
            LinearFlow(name="f", retry=Retry(name="r", controller=HOSTS)),
            {"other": 1},
            "retry 'r': ParameterizedForEach takes its values from store key 'hosts', which "
            "the store does not hold (store keys: ['other'])",
            "r",
        ),
        (
            LinearFlow(name="f", retry=Retry(name="r", controller=HOSTS)),
            {"hosts": 3},
            "retry 'r': store key 'hosts' must hold a list of values, got 3",
            "r",
        ),
    ],
    ids=[
        "a retry controller named like a task",
        "a link to a retry controller inside a child flow",
        "an unknown link end",
        "a link to itself",
        "a second requirement that nothing provides",
        "a retry controller's requirement",
        "a missing store key",
        "a store value that is not a list",
    ],
)
def test_each_compile_error_names_its_node_and_the_fix(
    flow: LinearFlow | GraphFlow, store: dict[str, object], message: str, node: str
) -> None:
    with pytest.raises(CompileError) as e:
        compile(flow, store=store)
    assert (str(e.value), e.value.node) == (message, node)


def test_the_compiled_flow_keeps_its_flow_store_and_scope_tree() -> None:
    sub = GraphFlow(
        name="s",
        retry=_checkpointed("R"),
        children=[Task(name="z"), Task(name="y")],
        links=[Link(source="z", target="y")],
    )
    flow = UnorderedFlow(name="u", children=[Task(name="b"), sub, Task(name="a")])
    c = compile(flow, store={"k": 1})
    assert c.flow is flow and dict(c.store) == {"k": 1}
    assert (c.root.name, c.root.pattern, c.root.retry) == ("u", "unordered", None)
    inner = c.root.children[1]
    assert c.root.children[0] == "b" and c.root.children[2] == "a"
    assert inner == Scope(
        name="s", pattern="graph", retry="R", children=("z", "y"), atoms=("R", "z", "y")
    )
    assert c.root.atoms == tuple(n for n in c.names)
    assert c.flow_of[c.index["R"]] == c.flow_of[c.index["z"]] == "s"


def test_a_compiled_flow_shows_itself_and_names_the_extra_its_graph_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = compile(LinearFlow(name="f", children=[Task(name="a"), Task(name="b")]))
    assert repr(c) == "<CompiledFlow 'f': 2 atoms (2 tasks, 0 retry controllers), 1 flow, 1 edge>"
    assert c._repr_html_() == (
        '<div class="flowsim-compiled"><p><b>CompiledFlow</b> <code>f</code>: 2 atoms '
        "(2 tasks, 0 retry controllers), 1 flow, 1 edge</p><ul><li>linear flow <code>f</code>"
        "<ul><li><code>a</code></li><li><code>b</code></li></ul></li></ul></div>"
    )
    monkeypatch.setitem(sys.modules, "networkx", None)  # as if it were not installed
    with pytest.raises(MissingDependencyError) as e:
        c.to_networkx()
    assert str(e.value) == 'CompiledFlow.to_networkx needs networkx: pip install "flowsim[plot]"'


def test_a_link_into_a_child_flow_is_named_with_deciders_too() -> None:
    # a decider makes compile build TaskFlow's node graph: its error says the same
    flow = GraphFlow(
        name="g",
        children=[
            Task(name="a"),
            Task(name="b"),
            LinearFlow(name="s", children=[Task(name="deep")]),
        ],
        links=[Link(source="a", target="b", decider=False), Link(source="a", target="deep")],
    )
    with pytest.raises(CompileError) as e:
        compile(flow)
    assert str(e.value) == (
        "graph flow 'g': link 'a' -> 'deep': 'deep' is not a direct child of 'g' (it is in "
        "flow 's'); links may only join direct children, so link the child flow that holds it"
    )


def test_each_atom_knows_its_flow_with_deciders_too() -> None:
    # a decider makes compile build TaskFlow's node graph: the same flow names come out
    flow = GraphFlow(
        name="g",
        children=[
            Task(name="a"),
            LinearFlow(
                name="s", retry=Retry(name="r", controller=Times()), children=[Task(name="b")]
            ),
            Task(name="c"),
        ],
        links=[Link(source="a", target="s", decider=False), Link(source="a", target="c")],
    )
    c = compile(flow)
    assert (c.names, c.flow_of, c.retry_of) == (
        ("a", "r", "b", "c"),
        ("g", "s", "s", "g"),
        (-1, -1, 1, -1),
    )


def test_an_inferred_link_names_the_first_value_that_makes_it() -> None:
    flow = GraphFlow(
        name="g",
        children=[
            Task(name="a", provides=["y", "x"]),
            Task(name="b", requires=["y", "x"]),
            Task(name="c", requires=["y"]),
        ],
    )
    assert inferred_links(flow) == {("a", "b"): "x", ("a", "c"): "y"}
