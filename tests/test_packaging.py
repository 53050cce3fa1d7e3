"""The wheel and the sdist build (``python -m build``), hold what they must, and the wheel
installs into a fresh virtual environment with no index (the core needs no other package)
and runs there: ``flowsim --version``, ``flowsim list``, ``flowsim run``; what needs an
extra says which, in one line.

The build runs with ``--no-isolation`` (the dev extra brings setuptools and build), so the
test needs no network; it takes a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import flowsim
from flowsim import examples

ROOT = Path(__file__).parent.parent
VERSION = flowsim.__version__


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel and nothing else."""
    where = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    wheel = dist / f"flowsim-{VERSION}-py3-none-any.whl"
    pip = [sys.executable, "-m", "pip", "--python", str(where / "bin" / "python")]
    subprocess.run(
        [*pip, "install", "--quiet", "--no-index", "--no-cache-dir", str(wheel)],
        capture_output=True,
        text=True,
        check=True,
    )
    return where


def test_the_build_makes_one_wheel_and_one_sdist(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == [
        f"flowsim-{VERSION}-py3-none-any.whl",
        f"flowsim-{VERSION}.tar.gz",
    ]


def test_the_sdist_holds_the_license_readme_examples_and_schema(dist: Path) -> None:
    with tarfile.open(dist / f"flowsim-{VERSION}.tar.gz") as sdist:
        names = {n.removeprefix(f"flowsim-{VERSION}/") for n in sdist.getnames()}
    wanted = {"LICENSE", "README.md", "pyproject.toml", "flowsim/files/scenario.schema.json"}
    wanted |= {f"flowsim/examples/{name}.json" for name in examples.names()}
    assert wanted - names == set()


def test_the_wheel_holds_py_typed_the_schema_the_examples_and_the_license(dist: Path) -> None:
    with zipfile.ZipFile(dist / f"flowsim-{VERSION}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"flowsim-{VERSION}.dist-info/METADATA").decode()
        schema = wheel.read("flowsim/files/scenario.schema.json").decode()
    wanted = {
        "flowsim/py.typed",
        "flowsim/files/scenario.schema.json",
        f"flowsim-{VERSION}.dist-info/licenses/LICENSE",
    }
    wanted |= {f"flowsim/examples/{name}.json" for name in examples.names()}
    assert wanted - names == set()
    assert schema == (ROOT / "flowsim" / "files" / "scenario.schema.json").read_text("utf-8")
    # the core needs no other package: every Requires-Dist belongs to an extra
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires != [] and all("extra ==" in line for line in requires)
    assert "License-Expression: Apache-2.0" in metadata.splitlines()


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "flowsim"), *args], capture_output=True, text=True, cwd=cwd
    )


def test_the_wheel_installed_alone_runs(venv: Path, tmp_path: Path) -> None:
    """In the fresh environment (nothing but the wheel), from a folder outside the clone."""
    packages = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import importlib.metadata as m; "
         "print(sorted(d.metadata['Name'] for d in m.distributions()))"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert packages.stdout == "['flowsim']\n"
    version = run(venv, "--version", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, f"flowsim {VERSION}\n")
    listed = run(venv, "list", cwd=tmp_path)
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == examples.names()
    ran = run(venv, "run", "blueprint", cwd=tmp_path)
    assert (ran.returncode, ran.stderr) == (0, "")
    assert "flow: RUNNING@0 SUCCESS@7" in ran.stdout.splitlines()
    as_json = run(venv, "run", "blueprint", "--json", cwd=tmp_path)
    assert '  "makespan": 7.0,' in as_json.stdout.splitlines()
    demo = run(venv, "demo", cwd=tmp_path)  # the text demo needs no extra
    assert (demo.returncode, demo.stderr) == (0, "")
    assert demo.stdout.splitlines()[-1] == "stop_the_world: no revert overlaps an execute"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written unasked


def test_the_installed_wheel_names_the_extra_a_picture_needs(venv: Path, tmp_path: Path) -> None:
    out = run(venv, "run", "blueprint", "--plot", str(tmp_path / "run.png"), cwd=tmp_path)
    assert (out.returncode, out.stdout, out.stderr) == (
        2,
        "",
        'flowsim: error: --plot needs matplotlib: pip install "flowsim[plot]"\n',
    )
    assert list(tmp_path.iterdir()) == []
