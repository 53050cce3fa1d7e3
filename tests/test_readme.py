"""The README's examples run and say what they show."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flowsim import FlowState, examples, scenario_from_dict, simulate

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCENARIO_FILES = (ROOT / "docs" / "scenario-files.md").read_text(encoding="utf-8")


def block(language: str, text: str = README) -> str:
    match = re.search(rf"```{language}\n(.*?)```", text, re.S)
    assert match, f"no {language} block"
    return match.group(1)


def test_readme_python_example() -> None:
    namespace: dict[str, Any] = {}
    code = block("python").replace('result.trace.save("trace.json")', "")
    exec(code, namespace)
    result = namespace["result"]
    assert (result.flow_state, result.makespan) == (FlowState.SUCCESS, 7.0)
    assert (result.reverts["B"], dict(result.retry_values)) == (1, {"checkpoint": (1, 2)})


def test_the_docs_scenario_is_the_bundled_blueprint() -> None:
    scenario = scenario_from_dict(json.loads(block("json", SCENARIO_FILES)), where="docs")
    bundled = examples.load("blueprint")
    assert scenario.flow == bundled.flow and scenario.options == bundled.options
    assert simulate(scenario).makespan == 7.0


def test_readme_shows_the_current_demo_output(
    capsys: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from flowsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--out", "build/demo"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith("\n\ntimeline picture: build/demo/blueprint-timeline.png")
    assert out in README
    assert (tmp_path / "build/demo/blueprint-timeline.png").read_bytes()[:4] == b"\x89PNG"


def test_readme_sweep_example(tmp_path: Path, monkeypatch: Any) -> None:
    section = README[README.index("## Sweeps") :]
    code = block("python", section)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(code.replace("seeds=1000", "seeds=100"), namespace)
    res = namespace["res"]
    assert len(res.rows) == 600 and (tmp_path / "risk.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (tmp_path / "results.parquet").iterdir())[0].startswith("_")


def test_readme_shows_the_current_explore_output(capsys: Any) -> None:
    from flowsim.cli import main
    from flowsim.explore import explore

    assert main(["explore", "blueprint", "--max-failures", "1", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() in README
    ex = explore(examples.load("blueprint"), max_failures=2, timing="any", progress=False)
    counts = (len(ex.plans), ex.states, ex.tree, ex.interleavings, len(ex.outcomes))
    assert counts == (26, 804, 3035, 943, 25) and ex.violations == ()
    assert (
        "the blueprint has 26 plans, 804 abstract states\n(3,035 paths before merging equal "
        "states), 943 interleavings and 25 distinct outcomes,\nwith no violation"
    ) in README
