"""Fuzzing the readers (issue 14, item 7): arbitrary bytes, mutated scenario files and
mutated trace files (values of the wrong type, deleted and repeated keys, huge numbers, odd
encodings) are either read or refused with the documented :class:`~flowsim.ScenarioError`;
``check`` of whatever loads answers or refuses, never crashes; the CLI answers 0, 1 or 2
with one error line at most; and a correct run's trace changed in one event is never a
crash inside the replay (a duplicated start is never clean); and a drawn scenario with
its durations scaled to extremes (1e-300 to 1e307) reaches the text, ``--json`` (strict
JSON) and ``--perfetto`` outputs or is refused in one line.

The example counts follow the Hypothesis profile (``ci``: a few seconds; ``nightly``: many
more); each property gets a sixth of the profile's ``max_examples`` (the extreme-duration
one a twelfth).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowsim as fs
from flowsim import examples
from flowsim import strategies as fst
from flowsim.checks import check
from flowsim.cli import main

FUZZ = settings(max_examples=max(10, settings().max_examples // 6))

EXAMPLES = {
    name: json.loads((Path(examples.__file__).parent / f"{name}.json").read_text())
    for name in examples.names()
}
SCENARIOS = {name: examples.load(name) for name in examples.names()}
TRACES = {name: fs.simulate(s).traced().to_dict() for name, s in SCENARIOS.items()}

#: Values a hostile file puts where another was expected.
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, 1e300]),
    st.text(max_size=8),
    st.sampled_from(["1.0", "", "RUNNING", "always", "smart", "A", "\x00", "é"]),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=3),
    st.dictionaries(st.sampled_from(["kind", "name", "dist", "x"]), st.integers(), max_size=2),
)


def paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (dict keys and list indexes)."""
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, (*at, i))


@st.composite
def mutated(draw: st.DrawFn, documents: dict[str, Any]) -> tuple[str, bytes]:
    """A document of ``documents`` changed in one to three places, then encoded oddly."""
    name = draw(st.sampled_from(sorted(documents)))
    doc = copy.deepcopy(documents[name])
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(list(paths(doc))[1:]))
        parent = doc
        for key in where[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if how == "replace":
            parent[where[-1]] = draw(HOSTILE)
        elif how == "delete":
            del parent[where[-1]]
        elif isinstance(parent, list):
            parent.insert(where[-1], copy.deepcopy(parent[where[-1]]))
        else:
            parent[f"{where[-1]}"] = parent[where[-1]]
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()) and '"' in text:  # repeat a key the way a hand edit would
        text = text.replace('{"', '{"name": 1, "', 1)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    return name, data


def write(folder: str, name: str, data: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(data)
    return path


def cli(*argv: str | Path) -> tuple[int, str]:
    """Exit code and stderr of ``flowsim ARGV`` in-process: any crash fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


def assert_answer(code: int, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and err.count("\n") <= 1, err
    assert (code == 2) == err.startswith("flowsim: error: "), err


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_read_or_refused(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(folder, "x.json", data)
        for load in (fs.load_scenario, fs.load_trace):
            try:
                load(path)
            except fs.ScenarioError as exc:
                assert str(exc).startswith(f"{path}: ")


@FUZZ
@given(mutated(EXAMPLES))
def test_mutated_scenario_files_are_read_or_refused(case: tuple[str, bytes]) -> None:
    _, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = write(folder, "s.json", data)
        try:
            fs.load_scenario(path)
        except fs.ScenarioError as exc:
            assert str(exc).startswith(f"{path}: ")
        assert_answer(*cli("run", path, "--json", "--event-budget", "3000"))


@FUZZ
@given(mutated(TRACES))
def test_mutated_trace_files_are_read_or_refused_and_checked(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = write(folder, "t.json", data)
        try:
            trace = fs.load_trace(path)
        except fs.ScenarioError as exc:
            assert str(exc).startswith(f"{path}: ")
        else:
            with contextlib.suppress(fs.ScenarioError):  # e.g. an atom the flow lacks
                check(SCENARIOS[name], trace)
        assert_answer(*cli("check", name, path))


EVENT_FIELDS = ("time", "seq", "name", "state", "attempt", "worker")


@st.composite
def one_event_changed(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """A correct run's trace with one event changed, deleted, duplicated or moved."""
    name = draw(st.sampled_from(sorted(TRACES)))
    trace = copy.deepcopy(TRACES[name])
    events = trace["events"]
    k = draw(st.integers(0, len(events) - 1))
    how = draw(st.sampled_from(["field", "delete", "duplicate", "swap"]))
    if how == "field":
        field = draw(st.sampled_from(EVENT_FIELDS))
        names = sorted({e["name"] for e in events})
        values = {
            "time": st.floats(0, 100, allow_nan=False),
            "seq": st.integers(0, len(events) + 2),
            "name": st.sampled_from(names),
            "state": st.sampled_from([s.value for s in fs.AtomState]),
            "attempt": st.one_of(st.none(), st.integers(0, 4)),
            "worker": st.one_of(st.none(), st.integers(0, 4)),
        }
        events[k][field] = draw(values[field])
    elif how == "delete":
        del events[k]
    elif how == "duplicate":
        twin = dict(events[k])
        if twin["worker"] is not None:  # the same start on another worker (seen: KeyError)
            twin["worker"] = draw(st.integers(0, 4))
        events.insert(k + 1, twin)
    else:
        j = draw(st.integers(0, len(events) - 1))
        events[k], events[j] = events[j], events[k]
    return name, trace, how


@FUZZ
@given(one_event_changed())
def test_a_correct_trace_changed_in_one_event_is_judged_never_crashed(
    case: tuple[str, dict[str, Any], str],
) -> None:
    name, data, how = case
    try:
        trace = fs.Trace.from_dict(data)
    except fs.ScenarioError:
        return
    try:
        found = check(SCENARIOS[name], trace)
    except fs.ScenarioError:
        return
    if how == "duplicate":
        assert found, "a repeated event was reported clean"


def scaled(value: Any, factor: float, *, duration: bool = False) -> Any:
    """A scenario's JSON form with every duration (and distribution bound) times ``factor``."""
    if isinstance(value, dict):
        return {
            k: scaled(v, factor, duration=duration or k in DURATION_KEYS) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scaled(v, factor, duration=duration) for v in value]
    if duration and isinstance(value, float | int) and not isinstance(value, bool):
        return value * factor
    return value


DURATION_KEYS = ("duration", "revert_duration")


@settings(max_examples=max(5, settings().max_examples // 12))
@given(fst.scenarios(), st.sampled_from([1e-300, 1e-9, 1e9, 1e300, 1e307]))
def test_extreme_durations_never_crash_an_output(scenario: fs.Scenario, factor: float) -> None:
    """Any scenario ``run`` accepts, its durations scaled to extremes, reaches the text,
    --json (strict JSON) and --perfetto outputs, or is refused as one error line."""
    try:
        data = scaled(fs.scenario_to_dict(scenario), factor)
    except fs.ModelError:
        return  # a custom retry controller: no JSON form
    with tempfile.TemporaryDirectory() as folder:
        path = write(folder, "s.json", json.dumps(data).encode())
        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(io.StringIO()) as err:
            code = main(["run", str(path), "--json", "--perfetto", f"{folder}/c.json"])
        assert_answer(code, err.getvalue())
        if code == 0:
            json.loads(out.getvalue(), parse_constant=lambda c: pytest.fail(c))
        assert_answer(*cli("run", path))
