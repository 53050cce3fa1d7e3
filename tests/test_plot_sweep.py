from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

import flowsim as fs
from flowsim.errors import ScenarioError
from flowsim.plot import plot_risk, plot_sweep
from flowsim.sweep import METRICS, SweepResult, sweep

OKABE_BLUE, OKABE_ORANGE, OKABE_GREEN = "#0072B2", "#E69F00", "#009E73"


def _flow() -> fs.GraphFlow:
    return fs.GraphFlow(
        name="g",
        children=[
            fs.Task(name="a", duration=fs.Uniform(low=1, high=3)),
            fs.LinearFlow(
                name="inner",
                retry=fs.Retry(name="r", controller=fs.Times(attempts=2)),
                children=[fs.Task(name="b", duration=1), fs.Task(name="c", duration=3)],
            ),
            fs.Task(name="d"),
        ],
    )


P = [0.0, 0.2, 0.5]


@pytest.fixture(scope="module")
def res() -> SweepResult:
    grid = {"strategy": ["smart", "stop_the_world"], "fail_probability": P}
    return sweep(_flow(), seeds=30, grid=grid, executor=False, progress=False)


def _line(ax: Axes, gid: str) -> Any:
    (line,) = [x for x in ax.lines if x.get_gid() == gid]
    return line


def _values(res: SweepResult, metric: str = "makespan", **where: Any) -> list[float]:
    return [
        r[metric]
        for r in res.rows
        if r["error"] is None and all(r[k] == v for k, v in where.items())
    ]


def test_cdf_steps_are_the_sorted_values_of_each_combination(res: SweepResult) -> None:
    ax = plot_sweep(res)
    labels = [f"{s}, fail_probability={p:g}" for s in ("smart", "stop_the_world") for p in P]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    assert [x.get_gid() for x in ax.lines] == [f"cdf:{label}" for label in labels]
    styles = []
    for s in ("smart", "stop_the_world"):
        for p in P:
            line = _line(ax, f"cdf:{s}, fail_probability={p:g}")
            xs = sorted(_values(res, strategy=s, fail_probability=p))
            assert len(xs) == 30
            assert line.get_xdata().tolist() == [xs[0], *xs]
            assert line.get_ydata().tolist() == [i / 30 for i in range(31)]
            assert line.get_drawstyle() == "steps-post"
            assert line.get_color() == (OKABE_BLUE if s == "smart" else OKABE_ORANGE)
            styles.append(line.get_linestyle())
    assert styles == ["-", "--", ":"] * 2
    assert ax.get_xlabel() == "makespan"
    assert ax.get_ylabel() == "share of runs with makespan <= x"
    assert ax.get_title(loc="left") == "g: makespan, empirical CDF (30 runs per combination)"


def test_cdf_of_another_metric_coloured_by_the_other_key(res: SweepResult) -> None:
    ax = plot_sweep(res, metric="wasted_work", by="fail_probability")
    line = _line(ax, "cdf:0.2, strategy=stop_the_world")
    xs = sorted(_values(res, "wasted_work", strategy="stop_the_world", fail_probability=0.2))
    assert line.get_xdata().tolist() == [xs[0], *xs]
    assert line.get_color() == OKABE_ORANGE  # the second value of by
    assert ax.get_xlabel() == "wasted work"


def test_cdf_leaves_out_runs_that_raised_and_says_how_many() -> None:
    flow = fs.LinearFlow(
        name="f",
        retry=fs.Retry(name="r", controller=fs.Times(attempts=3)),
        children=[fs.Task(name="a", fail_probability=0.5)],
    )
    tight = fs.Scenario(flow=flow, name="tight", options=fs.Options(event_budget=12))
    res = sweep({"free": flow, "tight": tight}, seeds=8, executor=False, progress=False)
    errors = sum(r["error"] is not None for r in res.rows)
    assert errors == 4
    ax = plot_sweep(res, by="scenario")
    assert _line(ax, "cdf:free").get_xdata().tolist()[1:] == sorted(_values(res, scenario="free"))
    assert _line(ax, "cdf:tight").get_xdata().tolist() == [1.0] * 5
    assert ax.get_title(loc="left") == (
        "free, tight: makespan, empirical CDF (8 runs per combination; 4 runs that raised "
        "left out)"
    )


def test_risk_lines_are_the_describe_quantiles(res: SweepResult) -> None:
    for metric in ("makespan", "wasted_work"):
        ax = plot_risk(res, metric=metric)
        table = res.describe(metric=metric)
        assert [x.get_gid() for x in ax.lines] == [
            "p50:smart",
            "p90:smart",
            "p50:stop_the_world",
            "p90:stop_the_world",
        ]
        for s, colour in (("smart", OKABE_BLUE), ("stop_the_world", OKABE_ORANGE)):
            rows = [d for d in table if d["strategy"] == s]
            for q in ("p50", "p90"):
                line = _line(ax, f"{q}:{s}")
                assert line.get_xdata().tolist() == P
                assert line.get_ydata().tolist() == [d[f"{metric}_{q}"] for d in rows]
                assert line.get_color() == colour
            (band,) = [c for c in ax.collections if c.get_gid() == f"band:{s}"]
            corners = {tuple(v) for v in band.get_paths()[0].vertices.tolist()}
            for p, d in zip(P, rows, strict=True):
                assert (p, d[f"{metric}_p50"]) in corners
                assert (p, d[f"{metric}_p90"]) in corners
        assert ax.get_ylabel() == metric.replace("_", " ")
    # the picture shows something: stop_the_world waits, so its p90 is above smart's
    ax = plot_risk(res)
    assert _line(ax, "p90:stop_the_world").get_ydata()[-1] > _line(ax, "p90:smart").get_ydata()[-1]
    assert ax.get_xlabel() == "fail probability"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.2", "0.5"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "smart",
        "stop_the_world",
        "p50 (median)",
        "p90",
        "between p50 and p90",
    ]


def test_risk_against_a_non_numeric_key_and_a_third_key_with_markers() -> None:
    grid = {"workers": [1, None], "strategy": ["smart"], "fail_probability": [0.0, 0.3]}
    res = sweep(_flow(), seeds=10, grid=grid, executor=False, progress=False)
    ax = plot_risk(res, x="workers", by="fail_probability")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "unlimited"]
    table = res.describe()
    for p, marker in ((0.0, "o"), (0.3, "o")):
        line = _line(ax, f"p50:{p:g}, strategy=smart")
        assert line.get_xdata().tolist() == [0.0, 1.0]
        assert line.get_ydata().tolist() == [
            d["makespan_p50"] for d in table if d["fail_probability"] == p
        ]
        assert line.get_marker() == marker
    ax = plot_risk(res, by="workers")
    assert _line(ax, "p50:1, strategy=smart").get_color() == OKABE_BLUE
    assert _line(ax, "p50:unlimited, strategy=smart").get_color() == OKABE_ORANGE


def test_series_of_a_third_key_differ_by_marker() -> None:
    grid = {"strategy": ["smart", "stop_the_world"], "workers": [1, 2], "fail_probability": P}
    res = sweep(_flow(), seeds=6, grid=grid, executor=False, progress=False)
    ax = plot_risk(res)
    assert [x.get_gid() for x in ax.lines if x.get_gid().startswith("p50")] == [
        "p50:smart, workers=1",
        "p50:smart, workers=2",
        "p50:stop_the_world, workers=1",
        "p50:stop_the_world, workers=2",
    ]
    assert _line(ax, "p50:smart, workers=1").get_marker() == "o"
    assert _line(ax, "p50:smart, workers=2").get_marker() == "s"
    assert _line(ax, "p50:stop_the_world, workers=2").get_marker() == "s"


def test_ax_is_drawn_on_and_returned(res: SweepResult) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot_sweep(res, ax=left) is left
    assert plot_risk(res, ax=right) is right
    assert fig.axes == [left, right]
    assert len(left.lines) == 6 and len(right.lines) == 4
    own = plot_risk(res)
    assert type(own.figure) is Figure and own.figure is not fig


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda r: plot_sweep([r]),
            "plot_sweep(): expected a SweepResult (what flowsim.sweep.sweep() returns), got list",
        ),
        (
            lambda r: plot_sweep(r, metric="speed"),
            "plot_sweep(): unknown metric 'speed'; expected one of " + ", ".join(METRICS),
        ),
        (
            lambda r: plot_risk(r, metric="flow_state"),
            "plot_risk(): unknown metric 'flow_state'; expected one of " + ", ".join(METRICS),
        ),
        (
            lambda r: plot_sweep(r, by="workers"),
            "plot_sweep(): by='workers': expected 'scenario' or a key of this sweep's grid "
            "(strategy, fail_probability)",
        ),
        (
            lambda r: plot_risk(r, by="colour"),
            "plot_risk(): by='colour': expected 'scenario' or a key of this sweep's grid "
            "(strategy, fail_probability)",
        ),
        (
            lambda r: plot_risk(r, x="duration_scale"),
            "plot_risk(): x='duration_scale': expected a key of this sweep's grid "
            "(strategy, fail_probability)",
        ),
        (
            lambda r: plot_risk(r, x="strategy"),
            "plot_risk(): x and by are both 'strategy'; give by another key of this "
            "sweep's grid or 'scenario'",
        ),
        (
            lambda r: plot_sweep(SweepResult(rows=(), scenarios={}, fingerprint="")),
            "plot_sweep(): by='strategy': expected 'scenario' or a key of this sweep's grid "
            "(the grid is empty)",
        ),
        (
            lambda r: plot_sweep(
                SweepResult(rows=(), scenarios={}, fingerprint=""), by="scenario"
            ),
            "plot_sweep(): nothing to draw: the sweep has 0 runs and none finished without "
            "an error",
        ),
    ],
)
def test_bad_input_messages(res: SweepResult, call: Any, message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        call(res)
    assert str(e.value) == message


def test_a_sweep_where_every_run_raised_has_nothing_to_draw() -> None:
    flow = fs.LinearFlow(name="f", children=[fs.Task(name="a"), fs.Task(name="b")])
    sc = fs.Scenario(flow=flow, name="f", options=fs.Options(event_budget=3))
    res = sweep(sc, seeds=2, grid={"fail_probability": [0.0, 0.5]}, executor=False, progress=False)
    with pytest.raises(ScenarioError) as e:
        plot_risk(res, by="scenario")
    assert str(e.value) == (
        "plot_risk(): nothing to draw: the sweep has 4 runs and none finished without an error"
    )


def test_the_sweep_pictures_need_no_pandas() -> None:
    code = (
        "import sys\n"
        "import flowsim as fs\n"
        "from flowsim.sweep import sweep\n"
        "from flowsim.plot import plot_risk, plot_sweep\n"
        "flow = fs.LinearFlow(name='f', children=[fs.Task(name='a')])\n"
        "res = sweep(flow, seeds=3, grid={'strategy': ['smart'], 'fail_probability': [0, 1]},"
        " executor=False, progress=False)\n"
        "plot_risk(res); plot_sweep(res)\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'dask') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"
