"""Same scenario, same trace: over repeated runs, and across Python hash seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from support import replayable

import flowsim as fs
from flowsim import strategies as fst


@given(fst.scenarios(distributions=True, probabilities=True))
def test_repeated_runs_give_one_trace(scenario: fs.Scenario) -> None:
    with replayable(scenario, "repeated-runs"):
        traces = {fs.simulate(scenario).trace.to_json() for _ in range(5)}
        assert len(traces) == 1


_RUN_ALL = """
import json, sys
import flowsim as fs
for path in sys.argv[1:]:
    result = fs.simulate(fs.load_scenario(path))
    print(json.dumps(result.to_dict(), sort_keys=True, default=str))
"""


def test_hash_seeds_do_not_change_traces(tmp_path: Path) -> None:
    paths: list[str] = []

    @settings(max_examples=40)
    @given(fst.scenarios(distributions=True, probabilities=True))
    def collect(scenario: fs.Scenario) -> None:
        path = tmp_path / f"s{len(paths)}.json"
        fs.save_scenario(scenario, path)
        paths.append(str(path))

    collect()
    outputs = []
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run(
            [sys.executable, "-c", _RUN_ALL, *paths],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == len(paths) > 0
    assert all(json.loads(line)["events"] for line in outputs[0].splitlines())
