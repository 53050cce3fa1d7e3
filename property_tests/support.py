"""What the property tests share: running a scenario, and replaying a failing one.

Every property wraps its body in :func:`replayable`: when it fails, the scenario is
written to ``build/counterexamples/<test>.json`` and Hypothesis prints the JSON and the
``flowsim run`` command that replays it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from hypothesis import note

import flowsim as fs
from flowsim.checks import Violation, check

ROOT = Path(__file__).resolve().parent.parent
COUNTEREXAMPLES = ROOT / "build" / "counterexamples"


@contextmanager
def replayable(scenario: fs.Scenario, test: str) -> Iterator[None]:
    """On failure, save ``scenario`` and note how to replay it."""
    try:
        yield
    except BaseException:
        COUNTEREXAMPLES.mkdir(parents=True, exist_ok=True)
        path = COUNTEREXAMPLES / f"{test}.json"
        text = json.dumps(fs.scenario_to_dict(scenario), indent=1)
        path.write_text(text + "\n", encoding="utf-8")
        note(f"scenario ({path.relative_to(ROOT)}):\n{text}")
        note(f"replay: flowsim run {path.relative_to(ROOT)}")
        raise


def violations(scenario: fs.Scenario) -> list[Violation]:
    """Simulate ``scenario`` and check its trace (a crash is a failure too)."""
    return check(fs.simulate(scenario))


def describe(found: list[Violation]) -> str:
    return "\n".join(str(v) for v in found)


def map_atoms(flow: fs.model.Flow, fn):  # type: ignore[no-untyped-def]
    """``flow`` with every task and retry controller replaced by ``fn(atom)``."""
    retry = None if flow.retry is None else fn(flow.retry)
    children = [
        map_atoms(c, fn) if isinstance(c, fs.model._FlowBase) else fn(c) for c in flow.children
    ]
    return replace(flow, children=children, retry=retry)


def rename(flow: fs.model.Flow, new: dict[str, str]):  # type: ignore[no-untyped-def]
    """``flow`` with every atom and flow renamed by ``new`` (links follow)."""
    retry = None if flow.retry is None else replace(flow.retry, name=new[flow.retry.name])
    children = [
        rename(c, new) if isinstance(c, fs.model._FlowBase) else replace(c, name=new[c.name])
        for c in flow.children
    ]
    extra = {}
    if isinstance(flow, fs.GraphFlow):
        extra["links"] = [
            replace(k, source=new[k.source], target=new[k.target]) for k in flow.links
        ]
    return replace(flow, name=new[flow.name], children=children, retry=retry, **extra)


def all_names(flow: fs.model.Flow) -> list[str]:
    return [item.name for item in fs.model.walk(flow)]
