"""How many examples the property suite draws before its first failing one, per known bug.

For every deliberately broken engine of ``test_known_bugs.py`` and every broken compiler
of ``test_graph.py``, a derandomized search (the ``ci`` profile's settings, generation
only, no shrinking) counts the examples drawn up to and including the first that fails.
The counts are fixed for a given commit and Hypothesis version; each must stay within
the ``ci`` profile's example count (the tests assert it).

    HYPOTHESIS_PROFILE=ci .venv/bin/python property_tests/first_failure.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
sys.path.insert(0, str(Path(__file__).parent))

import conftest  # (loads the profiles: ci, nightly, ...)
import hypothesis
import pytest
from hypothesis import settings
from test_graph import COMPILER_BUGS, first_compiler_failure
from test_known_bugs import BUGS, first_failure


def main() -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    limit = settings().max_examples
    print(
        f"commit {commit}, Hypothesis {hypothesis.__version__}, profile {conftest.PROFILE} "
        f"({limit} examples)"
    )
    print("| known bug | examples until the first failure |")
    print("|---|---|")
    for bug in BUGS:
        with pytest.MonkeyPatch.context() as patch:
            print(f"| engine: {bug.name} | {first_failure(bug, patch)} |", flush=True)
    for name, broken in COMPILER_BUGS.items():
        print(f"| compiler: {name} | {first_compiler_failure(broken)} |", flush=True)


if __name__ == "__main__":
    main()
