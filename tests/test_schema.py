"""The JSON Schema of scenario files: the committed file is the generated one, it is a valid
draft 2020-12 schema, every bundled example and every strategy-drawn scenario (as the
package's writer writes it) validates, and bad files are rejected by both the schema and
the reader (at the same JSON path, or the schema at the object holding an unknown key)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import flowsim as fs
from flowsim import examples
from flowsim import strategies as fst
from flowsim.files import schema

ROOT = Path(__file__).parent.parent
COMMITTED = ROOT / "flowsim" / "files" / "scenario.schema.json"
EXAMPLES = sorted((ROOT / "flowsim" / "examples").glob("*.json"))
VALIDATOR = jsonschema.Draft202012Validator(schema.scenario_schema())


def schema_errors(data: object) -> list[tuple[str, str]]:
    """Each schema error as (the JSON path of the bad value, the keyword that failed)."""
    out = []
    for error in VALIDATOR.iter_errors(data):
        path = "$"
        for part in error.absolute_path:
            if isinstance(part, int):
                path += f"[{part}]"
            elif part.isidentifier():
                path += f".{part}"
            else:
                path += f'["{part}"]'
        out.append((path, str(error.validator)))
    return sorted(out)


def test_the_committed_schema_is_the_generated_one() -> None:
    """If this fails: python -m flowsim.files.schema > flowsim/files/scenario.schema.json"""
    generated = json.dumps(schema.scenario_schema(), indent=2, ensure_ascii=False) + "\n"
    assert COMMITTED.read_text(encoding="utf-8") == generated


def test_python_dash_m_prints_the_committed_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-m", "flowsim.files.schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (out.stdout, out.stderr) == (COMMITTED.read_text(encoding="utf-8"), "")


def test_it_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema.scenario_schema())
    assert schema.scenario_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_it_names_every_key_the_reader_accepts() -> None:
    s = schema.scenario_schema()
    defs = s["$defs"]
    assert set(s["properties"]) == {
        "$schema",
        "flowsim",
        "name",
        "description",
        "options",
        "store",
        "flow",
    }
    assert set(defs["linear_flow"]["properties"]) == {"kind", "name", "retry", "children"}
    assert set(defs["graph_flow"]["properties"]) == {"kind", "name", "retry", "children", "links"}
    assert set(defs["times_retry"]["properties"]) - set(
        defs["always_retry_retry"]["properties"]
    ) == {
        "attempts",
        "revert_all",
    }
    assert defs["for_each_retry"]["required"] == ["kind", "name", "values"]
    assert defs["lognormal"]["required"] == ["dist", "mu", "sigma"]
    assert defs["task"]["properties"]["priority"] == {
        "type": "integer",
        "description": "an int; higher starts first among ready work",
    }


def test_a_drifted_table_fails_the_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    options = dict(schema._KEY_DOCS["options"])
    del options["seed"]
    monkeypatch.setitem(schema._KEY_DOCS, "options", {**options, "colour": "red or blue"})
    shapes = dict(schema._SHAPES["link"])
    del shapes["depth"]
    monkeypatch.setitem(schema._SHAPES, "link", shapes)
    with pytest.raises(RuntimeError) as e:
        schema.scenario_schema()
    assert str(e.value) == (
        "flowsim/files/schema.py is out of date: options: the reader accepts ['seed'], "
        "undescribed; options: described ['colour'], not accepted; link: shapes for "
        "['decider', 'source', 'target'], not ['decider', 'depth', 'source', 'target']"
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_bundled_example_validates(path: Path) -> None:
    assert schema_errors(json.loads(path.read_text(encoding="utf-8"))) == []


def test_there_are_bundled_examples() -> None:
    assert [p.stem for p in EXAMPLES] == examples.names()


@settings(max_examples=100, deadline=None)
@given(
    hs.one_of(
        fst.scenarios(),
        fst.scenarios(max_atoms=12, probabilities=True, distributions=True),
    )
)
def test_every_drawn_scenario_validates(scenario: fs.Scenario) -> None:
    text = json.dumps(fs.scenario_to_dict(scenario), allow_nan=False)  # as save_scenario
    assert schema_errors(json.loads(text)) == []


# --------------------------------------------------------------------------- bad files

BASE: dict[str, Any] = {
    "flowsim": 1,
    "flow": {"kind": "linear", "name": "f", "children": [{"kind": "task", "name": "a"}]},
}


def task(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["flow"]["children"][0].update(fields)


def top(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.update(fields)


def flow(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["flow"].update(fields)


def drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.pop(key)


def drop_task_name(d: dict[str, Any]) -> None:
    del d["flow"]["children"][0]["name"]


# (change to BASE, the schema's errors, the reader's message: path, then reason)
BAD: list[tuple[str, Callable[[dict[str, Any]], None], list[tuple[str, str]], str]] = [
    (
        "unknown key",
        task(durration=1),
        [("$.flow.children[0]", "additionalProperties")],
        '$.flow.children[0].durration: unknown key "durration" in a task; did you mean '
        '"duration"? allowed keys: "kind", "name", "duration", "revert_duration", '
        '"fails_on", "revert_fails_on", "fail_probability", "provides", "requires", "priority"',
    ),
    (
        "links in a linear flow",
        flow(links=[]),
        [("$.flow", "additionalProperties")],
        '$.flow.links: unknown key "links" in a linear flow; only graph flows have links '
        '(use "kind": "graph"); allowed keys: "kind", "name", "retry", "children"',
    ),
    (
        "wrong type",
        task(duration="2"),
        [("$.flow.children[0].duration", "type")],
        "$.flow.children[0].duration: expected a number >= 0, a list of them (one per call), "
        'or {"dist": ...}; got "2"',
    ),
    (
        "negative duration",
        task(duration=-1),
        [("$.flow.children[0].duration", "minimum")],
        "$.flow.children[0].duration: expected a number >= 0, a list of them (one per call), "
        'or {"dist": ...}; got -1',
    ),
    (
        "zero call number",
        task(fails_on=[0]),
        [("$.flow.children[0].fails_on[0]", "minimum")],
        "$.flow.children[0].fails_on[0]: expected a call number >= 1 (1 is the first call); got 0",
    ),
    (
        "blank name",
        task(name=" "),
        [("$.flow.children[0].name", "pattern")],
        '$.flow.children[0].name: expected a name (a non-empty string); got " "',
    ),
    (
        "missing flow",
        drop("flow"),
        [("$", "required")],
        '$: missing required key "flow" in a scenario; it needs "flowsim" and "flow"',
    ),
    (
        "missing task name",
        drop_task_name,
        [("$.flow.children[0]", "required")],
        '$.flow.children[0]: missing required key "name" in a task; it needs "kind" and "name"',
    ),
    (
        "missing for_each values",
        flow(retry={"kind": "for_each", "name": "r"}),
        [("$.flow.retry", "required")],
        '$.flow.retry: missing required key "values" in a for_each retry controller; it '
        'needs "kind", "name" and "values"',
    ),
    (
        "missing uniform high",
        task(duration={"dist": "uniform", "low": 1}),
        [("$.flow.children[0].duration", "required")],
        '$.flow.children[0].duration: missing required key "high" in a uniform '
        'distribution; it needs "dist", "low" and "high"',
    ),
    (
        "unknown strategy",
        top(options={"strategy": "fast"}),
        [("$.options.strategy", "enum")],
        '$.options.strategy: expected "smart" or "stop_the_world"; got "fast"',
    ),
    (
        "no workers",
        top(options={"workers": 0}),
        [("$.options.workers", "minimum")],
        "$.options.workers: expected a whole number >= 1 or null; got 0",
    ),
    (
        "a task at the top",
        flow(kind="task"),
        [("$.flow.kind", "enum")],
        '$.flow.kind: the top-level flow must be a flow ("linear", "unordered" or "graph"), '
        'not a task; wrap the task: {"kind": "linear", "name": ..., "children": [...]}',
    ),
    (
        "another format",
        top(flowsim=2),
        [("$.flowsim", "const")],
        '$.flowsim: unsupported scenario format 2; this flowsim reads format 1 ("flowsim": 1)',
    ),
    (
        "a $schema that is no string",
        top(**{"$schema": 3}),
        [('$["$schema"]', "type")],
        '$["$schema"]: expected the path or URL of a JSON Schema (a string; flowsim ignores '
        "it); got 3",
    ),
]


@pytest.mark.parametrize(
    ("change", "errors", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_a_bad_file_is_rejected_by_the_schema_and_the_reader(
    change: Callable[[dict[str, Any]], None], errors: list[tuple[str, str]], message: str
) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    assert schema_errors(data) == errors
    with pytest.raises(fs.ScenarioError) as e:
        fs.scenario_from_dict(data)
    assert f"{e.value.path}: {e.value.reason}" == message


def test_the_base_of_the_bad_files_is_good() -> None:
    assert schema_errors(BASE) == []
    assert fs.scenario_from_dict(BASE).flow.children == (fs.Task(name="a"),)


def test_a_file_naming_its_schema_validates_and_reads_as_without() -> None:
    data = {"$schema": "./scenario.schema.json", **copy.deepcopy(BASE)}
    assert schema_errors(data) == []
    assert fs.scenario_from_dict(data) == fs.scenario_from_dict(BASE)


WHOLE_FLOATS = [
    (task(priority=1.0), "$.flow.children[0].priority: expected a whole number; got 1.0"),
    (top(options={"seed": 3.0}), "$.options.seed: expected a whole number; got 3.0"),
    (
        top(flowsim=1.0),
        '$.flowsim: unsupported scenario format 1.0; this flowsim reads format 1 ("flowsim": 1)',
    ),
]


@pytest.mark.parametrize(("change", "message"), WHOLE_FLOATS, ids=["priority", "seed", "format"])
def test_what_only_the_reader_tells_apart(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    """JSON Schema counts 1.0 as an integer (draft 2020-12); the reader wants no decimal
    point where it wants a whole number. The one known way the schema is looser."""
    data = copy.deepcopy(BASE)
    change(data)
    assert schema_errors(data) == []
    with pytest.raises(fs.ScenarioError) as e:
        fs.scenario_from_dict(data)
    assert f"{e.value.path}: {e.value.reason}" == message
