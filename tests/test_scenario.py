"""Scenario files: round trips, the bundled examples, and every kind of bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

import flowsim
import flowsim.files._scenario_read as scenario_read
from flowsim import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Exponential,
    ForEach,
    GraphFlow,
    HistoryEntry,
    LinearFlow,
    Link,
    LogNormal,
    ModelError,
    Options,
    ParameterizedForEach,
    Retry,
    Scenario,
    ScenarioError,
    Task,
    Times,
    Uniform,
    UnorderedFlow,
    examples,
)
from flowsim.scenario import (
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
)

# A scenario that uses every feature of the format.
FULL: dict[str, Any] = {
    "flowsim": 1,
    "name": "everything",
    "description": "every feature of the format",
    "options": {
        "workers": 3,
        "seed": 42,
        "defer_reverts": False,
        "never_resolve": True,
        "strategy": "stop_the_world",
        "event_budget": 5000,
    },
    "store": {"sizes": [1, 2, 3], "region": "eu", "nested": {"a": [1, {"b": None}], "t": True}},
    "flow": {
        "kind": "linear",
        "name": "root",
        "retry": {
            "kind": "times",
            "name": "r_times",
            "attempts": 3,
            "revert_all": True,
            "duration": 0.5,
            "revert_duration": [0.1, 0.2],
            "fails_on": [4],
            "revert_fails_on": "always",
            "fail_probability": 0.125,
            "provides": ["token"],
        },
        "children": [
            {
                "kind": "task",
                "name": "prepare",
                "duration": {"dist": "uniform", "low": 1, "high": 2},
                "revert_duration": {"dist": "exponential", "mean": 0.5},
                "fails_on": [3, 2],
                "revert_fails_on": [1],
                "fail_probability": 0.25,
                "priority": 5,
                "provides": ["disk"],
                "requires": ["token", "region"],
            },
            {
                "kind": "unordered",
                "name": "fan",
                "retry": {
                    "kind": "for_each",
                    "name": "r_each",
                    "values": [1, "two", [3], {"four": 4}, None, 2.5],
                    "revert_all": False,
                },
                "children": [
                    {"kind": "task", "name": "u1", "duration": [1, 2, 3], "fails_on": "always"},
                    {
                        "kind": "task",
                        "name": "u2",
                        "duration": {"dist": "lognormal", "mu": -0.5, "sigma": 0.25},
                        "requires": "disk",
                    },
                ],
            },
            {
                "kind": "graph",
                "name": "g",
                "retry": {
                    "kind": "parameterized_for_each",
                    "name": "r_param",
                    "values_from": "sizes",
                    "revert_all": True,
                },
                "children": [
                    {"kind": "task", "name": "g1", "provides": "net"},
                    {"kind": "task", "name": "g2", "requires": ["net"]},
                    {"kind": "task", "name": "g3", "revert_duration": 0},
                    {
                        "kind": "linear",
                        "name": "inner",
                        "retry": {"kind": "always_revert", "name": "r_rev"},
                        "children": [{"kind": "task", "name": "i1"}],
                    },
                    {
                        "kind": "unordered",
                        "name": "inner2",
                        "retry": {"kind": "always_revert_all", "name": "r_all"},
                        "children": [{"kind": "task", "name": "i2"}],
                    },
                    {
                        "kind": "linear",
                        "name": "inner3",
                        "retry": {"kind": "always_retry", "name": "r_retry"},
                        "children": [],
                    },
                    {"kind": "graph", "name": "empty_graph", "retry": None},
                ],
                "links": [
                    {"source": "g1", "target": "g3", "decider": False, "depth": "neighbors"},
                    {"source": "g3", "target": "inner"},
                    {"source": "inner", "target": "inner2", "depth": "atom"},
                    {"source": "inner2", "target": "inner3", "decider": True, "depth": "flow"},
                ],
            },
        ],
    },
}


def full() -> dict[str, Any]:
    return copy.deepcopy(FULL)


def small() -> dict[str, Any]:
    return {
        "flowsim": 1,
        "flow": {
            "kind": "linear",
            "name": "root",
            "children": [
                {"kind": "task", "name": "A"},
                {"kind": "task", "name": "B", "duration": 2},
            ],
        },
    }


def graph(children: list[Any], links: list[Any]) -> dict[str, Any]:
    return {
        "flowsim": 1,
        "flow": {
            "kind": "linear",
            "name": "root",
            "children": [
                {"kind": "task", "name": "first"},
                {"kind": "graph", "name": "g", "children": children, "links": links},
            ],
        },
    }


def task(name: str, **fields: Any) -> dict[str, Any]:
    return {"kind": "task", "name": name, **fields}


# --------------------------------------------------------------------------- round trips


def test_full_scenario_reads_every_feature() -> None:
    s = scenario_from_dict(full())
    assert s.name == "everything"
    assert s.options == Options(
        workers=3,
        seed=42,
        defer_reverts=False,
        never_resolve=True,
        strategy=flowsim.Strategy.STOP_THE_WORLD,
        event_budget=5000,
    )
    assert s.store["nested"] == {"a": [1, {"b": None}], "t": True}
    root = s.flow
    assert isinstance(root, LinearFlow)
    assert root.retry == Retry(
        name="r_times",
        controller=Times(attempts=3, revert_all=True),
        duration=0.5,
        revert_duration=(0.1, 0.2),
        fails_on=(4,),
        revert_fails_on="always",
        fail_probability=0.125,
        provides=("token",),
    )
    prepare, fan, g = root.children
    assert prepare == Task(
        name="prepare",
        duration=Uniform(low=1, high=2),
        revert_duration=Exponential(mean=0.5),
        fails_on=(2, 3),
        revert_fails_on=(1,),
        fail_probability=0.25,
        priority=5,
        provides=("disk",),
        requires=("token", "region"),
    )
    assert isinstance(fan, UnorderedFlow)
    assert fan.retry is not None
    assert fan.retry.controller == ForEach(values=(1, "two", [3], {"four": 4}, None, 2.5))
    assert fan.children[1] == Task(
        name="u2", duration=LogNormal(mu=-0.5, sigma=0.25), requires=("disk",)
    )
    assert isinstance(g, GraphFlow)
    assert g.retry is not None
    assert g.retry.controller == ParameterizedForEach(values_from="sizes", revert_all=True)
    assert g.links[0] == Link(
        source="g1", target="g3", decider=False, depth=flowsim.Depth.NEIGHBORS
    )
    assert g.links[1] == Link(source="g3", target="inner")
    controllers = [type(c.retry.controller) for c in g.children[3:6]]  # type: ignore[union-attr]
    assert controllers == [AlwaysRevert, AlwaysRevertAll, AlwaysRetry]


def test_round_trip_of_every_feature() -> None:
    s = scenario_from_dict(full())
    d = scenario_to_dict(s)
    assert scenario_from_dict(d) == s
    assert scenario_to_dict(scenario_from_dict(d)) == d
    text = json.dumps(d, allow_nan=False)  # plain JSON, floats as numbers
    assert scenario_from_dict(json.loads(text)) == s
    assert d["flow"]["children"][0]["duration"] == {"dist": "uniform", "low": 1.0, "high": 2.0}
    assert d["flow"]["retry"]["revert_duration"] == [0.1, 0.2]


def test_round_trip_of_a_scenario_built_in_python() -> None:
    flow = GraphFlow(
        name="g",
        retry=Retry(name="r", controller=ForEach(values=[1, 2]), duration=[0.0, 1.5]),
        children=[
            Task(name="a", duration=0.1, provides=["x"]),
            Task(name="b", requires=["x"], fail_probability=0.5, priority=-2),
            LinearFlow(
                name="sub",
                retry=Retry(name="s", controller=Times(attempts=0)),
                children=[Task(name="c", revert_fails_on="always")],
            ),
        ],
        links=[Link(source="b", target="sub", decider=False, depth=flowsim.Depth.ATOM)],
    )
    s = Scenario(flow=flow, options=Options(workers=1, seed=-7), description="python-built")
    assert scenario_from_dict(scenario_to_dict(s)) == s


def test_defaults_are_the_models() -> None:
    s = scenario_from_dict(small())
    assert s.options == Options()
    assert dict(s.store) == {}
    assert s.name == "root"
    assert s.description == ""
    assert s.flow.children[0] == Task(name="A")


def test_save_and_load(tmp_path: Path) -> None:
    s = scenario_from_dict(full())
    path = tmp_path / "everything.json"
    save_scenario(s, path)
    assert load_scenario(path) == s
    assert load_scenario(str(path)) == s
    assert path.read_text(encoding="utf-8").endswith("}\n")


def test_a_custom_controller_cannot_be_saved() -> None:
    class Mine:
        def execute(self, history: tuple[HistoryEntry, ...]) -> int:
            return 1

        def on_failure(self, history: tuple[HistoryEntry, ...]) -> flowsim.Decision:
            return flowsim.Decision.REVERT

    s = Scenario(flow=LinearFlow(name="f", retry=Retry(name="r", controller=Mine())))
    with pytest.raises(ModelError, match=r"retry 'r': its controller Mine .*cannot be saved"):
        scenario_to_dict(s)


def test_values_json_cannot_hold_cannot_be_saved() -> None:
    s = Scenario(flow=LinearFlow(name="f"), store={"when": {1, 2}})
    with pytest.raises(ModelError, match=r"store\['when'\].*cannot be saved"):
        scenario_to_dict(s)


def test_saving_to_an_unwritable_path(tmp_path: Path) -> None:
    s = scenario_from_dict(small())
    with pytest.raises(ScenarioError, match="cannot write scenario file") as info:
        save_scenario(s, tmp_path / "missing" / "s.json")
    assert info.value.where == str(tmp_path / "missing" / "s.json")


# --------------------------------------------------------------------------- examples


def test_the_blueprint_example() -> None:
    assert "blueprint" in examples.names()
    s = examples.load("blueprint")
    assert s.name == "blueprint"
    assert s.options == Options()
    assert "only the Task B should be reverted" in s.description
    assert flowsim.compile(s.flow).names == ("A", "checkpoint", "B", "C")
    smart = flowsim.simulate(s, strategy="smart")
    stop = flowsim.simulate(s, strategy="stop_the_world")
    assert (smart.flow_state, smart.makespan) == (flowsim.FlowState.SUCCESS, 7.0)
    assert (stop.flow_state, stop.makespan) == (flowsim.FlowState.SUCCESS, 10.0)
    assert dict(smart.reverts) == {"A": 0, "checkpoint": 0, "B": 1, "C": 0}


def test_the_blueprint_file_is_what_the_loader_reads() -> None:
    path = Path(flowsim.__file__).parent / "examples" / "blueprint.json"
    assert load_scenario(path) == examples.load("blueprint")


def test_an_unknown_example_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match=r"no bundled example named 'nope'.*blueprint"):
        examples.load("nope")


# --------------------------------------------------------------------------- bad input


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set ``data`` at a simple path like ``flow.children.1.duration`` (``DEL`` removes)."""
    *head, last = path.split(".")
    node: Any = data
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is DEL:
        del node[key]
    else:
        node[key] = value
    return data


DEL = object()

# (where to change the small scenario, the new value, the JSON path, a phrase of the message)
SMALL_CASES = [
    ("flowsim", DEL, "$", 'missing required key "flowsim" in a scenario'),
    ("flowsim", 2, "$.flowsim", "unsupported scenario format 2; this flowsim reads format 1"),
    ("flowsim", True, "$.flowsim", "unsupported scenario format true"),
    ("flow", DEL, "$", 'missing required key "flow"'),
    ("option", {}, "$.option", 'unknown key "option" in a scenario; did you mean "options"?'),
    ("name", 5, "$.name", "expected a string; got 5"),
    ("description", None, "$.description", "expected a string; got null"),
    ("options", [], "$.options", "expected the options (a JSON object); got []"),
    ("options", {"workers": 0}, "$.options.workers", "expected a whole number >= 1 or null"),
    ("options", {"workers": 1.5}, "$.options.workers", "got 1.5"),
    ("options", {"worker": 2}, "$.options.worker", 'did you mean "workers"?'),
    ("options", {"seed": "1"}, "$.options.seed", 'expected a whole number; got "1"'),
    ("options", {"strategy": "fast"}, "$.options.strategy", '"smart" or "stop_the_world"'),
    ("options", {"defer_reverts": "yes"}, "$.options.defer_reverts", "expected true or false"),
    ("options", {"never_resolve": 1}, "$.options.never_resolve", "expected true or false"),
    ("options", {"event_budget": 0}, "$.options.event_budget", "whole number >= 1 or null"),
    ("store", [1], "$.store", "expected a JSON object of values; got [1]"),
    ("store", {"x": float("nan")}, "$.store.x", "expected a finite number"),
    ("flow", [], "$.flow", "expected a flow or a task (a JSON object); got []"),
    ("flow.kind", DEL, "$.flow", 'missing required key "kind"; expected one of'),
    (
        "flow.kind",
        "task",
        "$.flow.kind",
        'the top-level flow must be a flow ("linear", "unordered" or "graph"), not a task',
    ),
    ("flow.name", DEL, "$.flow", 'missing required key "name" in a linear flow'),
    ("flow.name", "  ", "$.flow.name", 'expected a name (a non-empty string); got "  "'),
    ("flow.children", {}, "$.flow.children", "expected a list of tasks and flows; got {}"),
    ("flow.links", [], "$.flow.links", "only graph flows have links"),
    ("flow.retry", 3, "$.flow.retry", "expected a retry controller (a JSON object) or null"),
    ("flow.children.0", 7, "$.flow.children[0]", "expected a flow or a task"),
    (
        "flow.children.0.kind",
        "parallel",
        "$.flow.children[0].kind",
        'unknown kind "parallel"; expected one of "linear", "unordered", "graph" or "task"',
    ),
    (
        "flow.children.0.kind",
        "times",
        "$.flow.children[0].kind",
        'retry controllers go in a flow\'s "retry"',
    ),
    ("flow.children.0.name", 3, "$.flow.children[0].name", "expected a name"),
    ("flow.children.0.name", DEL, "$.flow.children[0]", 'missing required key "name" in a task'),
    (
        "flow.children.1.durration",
        3,
        "$.flow.children[1].durration",
        'unknown key "durration" in a task; did you mean "duration"? allowed keys: "kind"',
    ),
    (
        "flow.children.1.duration",
        -1,
        "$.flow.children[1].duration",
        'expected a number >= 0, a list of them (one per call), or {"dist": ...}; got -1',
    ),
    ("flow.children.1.duration", "2", "$.flow.children[1].duration", 'got "2"'),
    ("flow.children.1.duration", True, "$.flow.children[1].duration", "got true"),
    ("flow.children.1.duration", [], "$.flow.children[1].duration", "got an empty list"),
    (
        "flow.children.1.duration",
        [1, -2],
        "$.flow.children[1].duration[1]",
        "expected a number >= 0 (the duration of call 2); got -2",
    ),
    (
        "flow.children.1.duration",
        {"dist": "gauss"},
        "$.flow.children[1].duration.dist",
        'unknown distribution "gauss"; expected "uniform", "exponential" or "lognormal"',
    ),
    (
        "flow.children.1.duration",
        {"low": 1},
        "$.flow.children[1].duration",
        'a distribution needs "dist"',
    ),
    (
        "flow.children.1.duration",
        {"dist": "uniform", "low": 1},
        "$.flow.children[1].duration",
        'missing required key "high" in a uniform distribution',
    ),
    (
        "flow.children.1.duration",
        {"dist": "uniform", "low": 3, "high": 1},
        "$.flow.children[1].duration",
        "a uniform distribution needs high >= low; got low=3, high=1",
    ),
    (
        "flow.children.1.duration",
        {"dist": "exponential", "mean": -1},
        "$.flow.children[1].duration.mean",
        "expected a number >= 0; got -1",
    ),
    (
        "flow.children.1.duration",
        {"dist": "lognormal", "mu": 0, "sigma": 1, "sd": 1},
        "$.flow.children[1].duration.sd",
        'unknown key "sd" in a lognormal distribution',
    ),
    (
        "flow.children.1.fails_on",
        [0],
        "$.flow.children[1].fails_on[0]",
        "expected a call number >= 1 (1 is the first call); got 0",
    ),
    (
        "flow.children.1.fails_on",
        "sometimes",
        "$.flow.children[1].fails_on",
        'expected a list of call numbers >= 1 (1 is the first call) or "always"; got "sometimes"',
    ),
    ("flow.children.1.revert_fails_on", 1, "$.flow.children[1].revert_fails_on", "got 1"),
    (
        "flow.children.1.fail_probability",
        1.5,
        "$.flow.children[1].fail_probability",
        "expected a number in [0, 1]; got 1.5",
    ),
    ("flow.children.1.priority", 1.5, "$.flow.children[1].priority", "expected a whole number"),
    ("flow.children.1.provides", [""], "$.flow.children[1].provides[0]", "value name"),
    ("flow.children.1.requires", 3, "$.flow.children[1].requires", "list of value names"),
    (
        "flow.children.1.requires",
        ["missing"],
        "$.flow.children[1]",
        "task 'B' requires 'missing', which nothing before it provides",
    ),
    (
        "flow.children.1.name",
        "A",
        "$.flow.children[1].name",
        'duplicate name "A": already used by the task at $.flow.children[0]',
    ),
    (
        "flow.children.0.name",
        "root",
        "$.flow.children[0].name",
        'duplicate name "root": already used by the linear flow at $.flow',
    ),
]


@pytest.mark.parametrize(("where", "value", "path", "phrase"), SMALL_CASES)
def test_bad_input(where: str, value: Any, path: str, phrase: str) -> None:
    data = _set(small(), where, value)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, where="s.json")
    assert info.value.path == path
    assert info.value.where == "s.json"
    assert phrase in info.value.reason
    assert str(info.value).startswith(f"s.json: {path}: ")


RETRY_CASES = [
    ({"kind": "times", "name": "r", "attempts": -1}, "$.flow.retry.attempts", "whole number >= 0"),
    ({"kind": "times", "name": "r", "revert_all": "no"}, "$.flow.retry.revert_all", "true or"),
    ({"kind": "times", "name": "r", "priority": 1}, "$.flow.retry.priority", "no priority"),
    ({"kind": "times", "name": "r", "values": [1]}, "$.flow.retry.values", 'unknown key "values"'),
    ({"kind": "sometimes", "name": "r"}, "$.flow.retry.kind", 'expected one of "times"'),
    ({"kind": "task", "name": "r"}, "$.flow.retry.kind", 'tasks and flows go in "children"'),
    ({"kind": "for_each", "name": "r"}, "$.flow.retry", 'missing required key "values"'),
    ({"kind": "for_each", "name": "r", "values": 3}, "$.flow.retry.values", "list of values"),
    (
        {"kind": "parameterized_for_each", "name": "r", "values_from": "nope"},
        "$.flow.retry",
        "takes its values from store key 'nope', which the store does not hold",
    ),
    (
        {"kind": "parameterized_for_each", "name": "r", "values_from": 3},
        "$.flow.retry.values_from",
        "expected the name of a store key",
    ),
    ({"kind": "always_retry", "name": "r", "attempts": 2}, "$.flow.retry.attempts", "allowed"),
    ({"kind": "times", "name": "A"}, "$.flow.children[0].name", 'duplicate name "A"'),
]


@pytest.mark.parametrize(("retry", "path", "phrase"), RETRY_CASES)
def test_bad_retry(retry: dict[str, Any], path: str, phrase: str) -> None:
    data = _set(small(), "flow.retry", retry)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert (info.value.path, info.value.where) == (path, "<scenario>")
    assert phrase in info.value.reason


GRAPH_CASES = [
    (
        [task("a"), task("b")],
        [{"source": "a", "target": "z"}],
        "$.flow.children[1].links[0].target",
        'graph flow "g" has no child named "z"; its children are "a", "b"',
    ),
    (
        [task("a"), {"kind": "linear", "name": "sub", "children": [task("deep")]}],
        [{"source": "deep", "target": "a"}],
        "$.flow.children[1].links[0].source",
        '"deep" is not a direct child of graph flow "g": it is the task at '
        "$.flow.children[1].children[1].children[0]; links may only join direct children",
    ),
    (
        [task("a")],
        [{"source": "first", "target": "a"}],
        "$.flow.children[1].links[0].source",
        '"first" is not a direct child of graph flow "g": it is the task at $.flow.children[0]',
    ),
    (
        [task("a"), task("b")],
        [{"source": "a", "target": "a"}],
        "$.flow.children[1].links[0]",
        'link joins "a" to itself',
    ),
    (
        [task("a"), task("b")],
        [{"source": "a", "target": "b"}, {"source": "b", "target": "a"}],
        "$.flow.children[1]",
        "graph flow 'g' has a cycle: 'a' -> 'b' -> 'a'",
    ),
    (
        [task("a", requires=["y"], provides=["x"]), task("b", requires=["x"], provides=["y"])],
        [],
        "$.flow.children[1]",
        "graph flow 'g' has a cycle",
    ),
    (
        [task("a"), task("b")],
        [{"source": "a", "target": "b", "depth": "deep"}],
        "$.flow.children[1].links[0].depth",
        'expected one of "all", "flow", "neighbors" or "atom"; got "deep"',
    ),
    (
        [task("a"), task("b")],
        [{"source": "a", "target": "b", "decider": "no"}],
        "$.flow.children[1].links[0].decider",
        "expected true or false",
    ),
    (
        [task("a"), task("b")],
        [{"source": "a"}],
        "$.flow.children[1].links[0]",
        'missing required key "target" in a link; it needs "source" and "target"',
    ),
    ([task("a")], {}, "$.flow.children[1].links", "expected a list of links"),
]


@pytest.mark.parametrize(("children", "links", "path", "phrase"), GRAPH_CASES)
def test_bad_graph(children: list[Any], links: Any, path: str, phrase: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(graph(children, links))
    assert info.value.path == path
    assert phrase in info.value.reason


def test_a_model_error_gets_the_nodes_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_task(**fields: Any) -> Task:
        raise ModelError(f"task {fields['name']!r}: something the model rejects")

    monkeypatch.setattr(scenario_read, "Task", broken_task)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(small())
    assert info.value.path == "$.flow.children[0]"
    assert "task 'A': something the model rejects" in info.value.reason


def test_the_top_level_must_be_an_object() -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict([1, 2], where="x.json")  # type: ignore[arg-type]
    assert (info.value.path, info.value.where) == ("$", "x.json")
    assert 'expected a scenario: a JSON object like {"flowsim": 1' in info.value.reason


JUNK: list[Any] = [None, -1, 0, 1.5, "x", "", [], [None], {}, {"kind": "task"}, True, 10**30]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def test_no_junk_value_anywhere_escapes_as_anything_but_a_scenario_error() -> None:
    for path in _paths(FULL):
        for junk in JUNK:
            data = full()
            node: Any = data
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = junk
            try:
                scenario_from_dict(data)
            except ScenarioError as exc:
                assert exc.path.startswith("$"), (path, junk)
                assert "\n" not in str(exc)


# --------------------------------------------------------------------------- files


def _file(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "s.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.where == str(path)
    assert info.value.reason == "cannot read scenario file: No such file or directory"


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario file: Is a directory"):
        load_scenario(tmp_path)


def test_not_json(tmp_path: Path) -> None:
    path = _file(tmp_path, '{"flowsim": 1,\n "flow": {"kind": "linear",}\n}')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.where == str(path)
    assert info.value.reason == (
        "not JSON: Expecting property name enclosed in double quotes at line 2 column 28"
    )


def test_nan_is_not_json(tmp_path: Path) -> None:
    path = _file(tmp_path, '{"flowsim": 1, "flow": {"kind": "linear", "name": "f"}, "store": NaN}')
    with pytest.raises(ScenarioError, match="not JSON: NaN is not a JSON number"):
        load_scenario(path)


def test_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a UTF-8 text file"):
        load_scenario(_file(tmp_path, b'{"name": "\xff"}'))


def test_a_key_given_twice(tmp_path: Path) -> None:
    data = small()
    text = json.dumps(data).replace('"duration": 2', '"duration": 2, "duration": 3')
    with pytest.raises(ScenarioError) as info:
        load_scenario(_file(tmp_path, text))
    assert info.value.path == "$.flow.children[1].duration"
    assert 'key "duration" appears more than once in a task' in info.value.reason


def test_a_key_given_twice_in_the_store(tmp_path: Path) -> None:
    text = json.dumps({**small(), "store": {"a": {"b": 1}}}).replace('"b": 1', '"b": 1, "b": 2')
    with pytest.raises(ScenarioError) as info:
        load_scenario(_file(tmp_path, text))
    assert info.value.path == "$.store.a.b"


def test_a_file_error_names_the_file_and_the_path(tmp_path: Path) -> None:
    path = _file(tmp_path, json.dumps(_set(small(), "flow.children.1.duration", -1)))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: $.flow.children[1].duration: expected a number")


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = _file(tmp_path, "\ufeff" + json.dumps(small()))
    assert load_scenario(path).name == "root"


def test_huge_numbers(tmp_path: Path) -> None:
    text = json.dumps(small()).replace('"duration": 2', '"duration": 1' + "0" * 400)
    with pytest.raises(ScenarioError) as info:
        load_scenario(_file(tmp_path, text))
    assert info.value.path == "$.flow.children[1].duration"
    assert "got 1000" in info.value.reason
    text = json.dumps(small()).replace('"duration": 2', '"duration": 1' + "0" * 5000)
    with pytest.raises(ScenarioError, match="not JSON flowsim can read"):
        load_scenario(_file(tmp_path, text))


def test_deep_nesting(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="nested too deeply"):
        load_scenario(_file(tmp_path, "[" * 100_000 + "]" * 100_000))
    flow: dict[str, Any] = {"kind": "task", "name": "leaf"}
    for i in range(5000):
        flow = {"kind": "linear", "name": f"f{i}", "children": [flow]}
    with pytest.raises(ScenarioError, match="nests too deeply"):
        scenario_from_dict({"flowsim": 1, "flow": flow})


def test_a_schema_key_is_read_and_ignored_and_never_written(tmp_path: Path) -> None:
    """Editors find a file's JSON Schema by its "$schema" key; the reader accepts a string
    there and ignores it, and the writer does not write one."""
    data = {"$schema": "./scenario.schema.json", **FULL}
    path = _file(tmp_path, json.dumps(data))
    assert load_scenario(path) == scenario_from_dict(FULL)
    assert "$schema" not in scenario_to_dict(load_scenario(path))
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**FULL, "$schema": {"url": "x"}})
    assert (info.value.path, info.value.reason) == (
        '$["$schema"]',
        'expected the path or URL of a JSON Schema (a string; flowsim ignores it); got {"url": '
        '"x"}',
    )
