"""Property-testing throughput (``make bench``): the property suite's workload,
``scenarios(max_atoms=8)`` + ``simulate`` + ``check``, in examples per second under the
derandomized profile the suite runs in ``make test`` (``ci``: ``derandomize=True``, no
database, no deadline).

Each round runs one ``@given`` test of ``--examples`` examples and times it whole
(generation, the test body, Hypothesis's own bookkeeping); a second pass of the same
examples times the body alone (simulate + check of each generated scenario), so that the
share spent generating shows. The table gives the median of ``--rounds`` rounds and the
spread.

A second row is Hypothesis's own floor for the same number of choices: a ``@given`` test
whose body picks one of the scenarios' choice counts (counted untimed through
``st.data()``) and draws that many bounded integers one by one (``data.draw``, as a
``@composite`` strategy draws), and does nothing else. The strategies cannot run faster
than it without drawing fewer choices.

Usage: ``python benchmarks/strategies_bench.py [--quick] [--examples 600] [--rounds 3]``;
``--profile`` prints a cProfile of one round, sorted by cumulative time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from time import perf_counter  # noqa: TID251 (the benchmark measures wall time)

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from run import machine

import flowsim as fs
from flowsim import strategies as fst
from flowsim.checks import check

GOAL = 1_000  # examples/s (issue 20, item 3)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def choices_per_example(examples: int) -> list[int]:
    """How many choices each generated scenario drew (untimed)."""
    counts: list[int] = []

    @_settings(examples)
    @given(st.data())
    def count(data: st.DataObject) -> None:
        data.draw(fst.scenarios(max_atoms=8))
        counts.append(len(data.conjecture_data.choices))

    count()
    return counts


def floor_round(counts: list[int]) -> float:
    """Seconds for a @given test that draws one of ``counts``, then as many integers."""
    sizes = st.sampled_from(sorted(counts))

    @_settings(len(counts))
    @given(st.data())
    def draw_only(data: st.DataObject) -> None:
        for _ in range(data.draw(sizes)):
            data.draw(_ONE)

    t0 = perf_counter()
    draw_only()
    return perf_counter() - t0


_ONE = st.integers(0, 10)


def one_round(examples: int) -> tuple[float, float, int]:
    """(seconds for the whole @given test, seconds of simulate + check alone, examples)."""
    seen: list[fs.Scenario] = []

    @_settings(examples)
    @given(fst.scenarios(max_atoms=8))
    def prop(scenario: fs.Scenario) -> None:
        seen.append(scenario)
        assert not check(fs.simulate(scenario))

    t0 = perf_counter()
    prop()
    whole = perf_counter() - t0
    t0 = perf_counter()
    for scenario in seen:
        assert not check(fs.simulate(scenario))
    body = perf_counter() - t0
    return whole, body, len(seen)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one round of 200 examples")
    ap.add_argument("--profile", action="store_true", help="cProfile one round")
    args = ap.parse_args()
    if args.quick:
        args.examples, args.rounds = 200, 1
    if args.profile:
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            one_round(args.examples)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        return 0
    started = perf_counter()
    rates, shares, floors = [], [], []
    count = 0
    counts = choices_per_example(args.examples)
    for _ in range(args.rounds):
        whole, body, count = one_round(args.examples)
        rates.append(count / whole)
        shares.append(1 - body / whole)
        floors.append(len(counts) / floor_round(counts))
    med = statistics.median(rates)
    verdict = "met" if med >= GOAL else "NOT met"
    print("| workload | examples/round | examples/s | outside simulate + check | goal |")
    print("|---|---:|---:|---:|---|")
    print(
        f"| scenarios(max_atoms=8) + simulate + check, derandomized | {count} "
        f"| {med:,.0f} ({min(rates):,.0f}-{max(rates):,.0f}) "
        f"| {statistics.median(shares):.0%} | >= {GOAL:,}/s: {verdict} |"
    )
    fmed = statistics.median(floors)
    print(
        f"| Hypothesis alone: {statistics.mean(counts):.0f} integer draws per example "
        f"(as many as the scenarios drew), no body | {len(counts)} "
        f"| {fmed:,.0f} ({min(floors):,.0f}-{max(floors):,.0f}) | 100% | (the floor) |"
    )
    print(
        f"Median (min-max) of {args.rounds} rounds; 'outside simulate + check' is the share "
        "of the test's time not spent in its body (generation and Hypothesis itself)."
    )
    print(machine())
    print(f"Benchmark wall time: {perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
