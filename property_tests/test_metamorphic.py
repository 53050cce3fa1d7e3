"""Metamorphic properties: changes to a scenario whose effect on the trace is known."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from hypothesis import assume, given
from hypothesis import strategies as hs
from support import all_names, map_atoms, rename, replayable

import flowsim as fs
from flowsim import strategies as fst
from flowsim.timing import atom_random, pick_duration

NO_RANDOMNESS = {"distributions": False, "probabilities": False}


def timelines(result: fs.Result, names: set[str]) -> dict[str, list[tuple[float, str, int]]]:
    out: dict[str, list[tuple[float, str, int]]] = defaultdict(list)
    for e in result.events:
        if e.subject == "atom" and e.name in names:
            out[e.name].append((e.time, str(e.state), e.attempt or 0))
    return dict(out)


def no_failures(atom):  # type: ignore[no-untyped-def]
    return replace(atom, fails_on=(), revert_fails_on=(), fail_probability=0.0)


@given(
    fst.scenarios(
        workers=[None], strategies=["smart"], revert_failures=False, never_resolve=[False]
    )
)
def test_independent_branches_run_as_without_failures(scenario: fs.Scenario) -> None:
    """With unlimited workers and ``smart``, atoms outside every resolution's scope (and so
    not downstream of one), other than the retry controllers that decided, keep the
    timeline of the run where nothing fails."""
    with replayable(scenario, "independent-branches"):
        result = fs.simulate(scenario)
        touched = {a for r in result.resolutions for a in r.scope}
        assume(touched)
        touched |= {retry for r in result.resolutions for retry, _ in r.chain}
        independent = set(result.compiled.names) - touched
        calm = map_atoms(scenario.flow, lambda a: no_failures(a) if a.name in touched else a)
        baseline = fs.simulate(replace(scenario, flow=calm))
        assert timelines(result, independent) == timelines(baseline, independent)


def _scaled(spec, k: int):  # type: ignore[no-untyped-def]
    return tuple(v * k for v in spec) if isinstance(spec, tuple) else spec * k


@given(fst.scenarios(**NO_RANDOMNESS), hs.integers(2, 7))
def test_scaling_durations_scales_times(scenario: fs.Scenario, k: int) -> None:
    with replayable(scenario, "scaling"):
        scaled = map_atoms(
            scenario.flow,
            lambda a: replace(
                a, duration=_scaled(a.duration, k), revert_duration=_scaled(a.revert_duration, k)
            ),
        )
        one = fs.simulate(scenario)
        many = fs.simulate(replace(scenario, flow=scaled))
        assert [e._replace(time=e.time * k) for e in one.events] == list(many.events)
        assert many.makespan == one.makespan * k
        assert [replace(r, time=r.time * k) for r in one.resolutions] == list(many.resolutions)


@given(fst.scenarios(**NO_RANDOMNESS), hs.randoms(use_true_random=False))
def test_renaming_changes_only_names(scenario: fs.Scenario, rnd) -> None:  # type: ignore[no-untyped-def]
    """Without random durations or failure probabilities (their streams are seeded by
    atom name), renaming every atom and flow renames the trace and nothing else."""
    with replayable(scenario, "renaming"):
        old = all_names(scenario.flow)
        fresh = [f"n{i}" for i in range(len(old))]
        rnd.shuffle(fresh)
        new = dict(zip(old, fresh, strict=True))
        one = fs.simulate(scenario)
        two = fs.simulate(replace(scenario, flow=rename(scenario.flow, new)))
        assert [e._replace(name=new[e.name]) for e in one.events] == list(two.events)
        assert [
            replace(
                r,
                failed=new[r.failed],
                retry=r.retry and new[r.retry],
                chain=tuple((new[n], d) for n, d in r.chain),
                scope=tuple(new[a] for a in r.scope),
            )
            for r in one.resolutions
        ] == [
            replace(r, scope=tuple(sorted(r.scope, key=two.compiled.index.__getitem__)))
            for r in two.resolutions
        ]


@given(
    fst.scenarios(
        execute_failures=False,
        revert_failures=False,
        retry_failures=False,
        deciders=False,
        workers=[None],
        distributions=True,
    )
)
def test_without_failures_the_makespan_is_the_critical_path(scenario: fs.Scenario) -> None:
    with replayable(scenario, "critical-path"):
        result = fs.simulate(scenario)
        assume(all(e.state != "FAILURE" for e in result.events))  # e.g. ForEach(values=[])
        c = result.compiled
        finish: list[float] = []
        for i, atom in enumerate(c.atoms):  # compile order is topological
            d = pick_duration(atom.duration, 1, atom_random(scenario.options.seed, atom.name))
            finish.append(max((finish[p] for p in c.preds[i]), default=0.0) + d)
        assert result.makespan == max(finish, default=0.0)
