"""What an exploration found: :class:`Exploration` and its parts."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowsim.files import save_scenario, scenario_to_dict
from flowsim.model import Scenario
from flowsim.states import FlowState

from ._plans import Plan, plan_text


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """How a run ended: the flow's final state, the atoms reverted at least once (a revert
    started), and each atom's number of executes, by name in compile order."""

    flow_state: FlowState
    reverted: frozenset[str]
    executions: tuple[tuple[str, int], ...]

    def __str__(self) -> str:
        rev = ", ".join(sorted(self.reverted))
        ex = " ".join(f"{a}={n}" for a, n in self.executions)
        return f"{self.flow_state.value:<8} reverted {{{rev}}}; executes {ex}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Witness:
    """A worst case: its value and the plan (and, under ``timing="any"``, the schedule of
    completions) that reaches it."""

    value: float
    plan: Plan
    schedule: tuple[tuple[int, ...], ...] | None = None

    def __str__(self) -> str:
        v = int(self.value) if float(self.value).is_integer() else self.value
        return f"{v} under {plan_text(self.plan)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Counterexample:
    """A broken rule: the plan and the scenario it makes (a scenario file replays it),
    the rule and the checker's message; under ``timing="any"`` also the schedule, one
    tuple per step of the start numbers of the work that completes together."""

    plan: Plan
    rule: str
    message: str
    scenario: Scenario
    schedule: tuple[tuple[int, ...], ...] | None = None

    def scenario_json(self) -> str:
        """The counterexample as a scenario file's text (what :meth:`save` writes)."""
        return json.dumps(scenario_to_dict(self.scenario), indent=2)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the counterexample as a scenario file (``flowsim run FILE`` replays it
        under ``timing="given"``)."""
        save_scenario(self.scenario, path)

    def __str__(self) -> str:
        return f"{self.rule} under {plan_text(self.plan)}: {self.message}"


WORST_KEYS = ("executions", "reverts", "reverted_set", "makespan")


@dataclass(frozen=True, slots=True, kw_only=True)
class Exploration:
    """The result of :func:`flowsim.explore.explore`.

    Attributes
    ----------
    scenario
        The scenario explored (its own failures included in every plan).
    timing, max_failures, kinds
        The arguments.
    plans
        Every plan explored, in the order explored (the empty plan first).
    runs
        ``timing="given"``: one per plan. ``"any"``: the complete interleavings reached
        (each terminal state once per plan).
    states, transitions, tree
        ``"any"``: the abstract states and the transitions explored, and the size of the
        search tree the hashing spared (states reached again are merged; ``tree`` counts
        each reach). ``"given"``: runs, events and runs.
    spared
        ``"any"``: the choices the partial-order reduction did not compute (ties and
        orders of completions that commute); 0 under ``"given"`` or ``reduce=False``.
    interleavings
        ``"any"``: the complete interleavings (paths to a final state, counted without
        merging) over every plan. ``"given"``: the runs.
    outcomes
        Each distinct :class:`Outcome` and the number of plans under which it occurs
        (under ``"any"``: on some interleaving), most common first.
    worst
        ``"executions"``, ``"reverts"`` (totals), ``"reverted_set"`` (its size) and
        ``"makespan"`` (``"given"`` only) to their :class:`Witness`.
    plan_outcomes
        Each plan to the outcomes it reaches (one under ``"given"``).
    makespans
        ``"given"``: each plan's makespan (``"any"``: empty, times are not durations).
    violations
        Every :class:`Counterexample`, smallest plan first.
    complete
        Whether every plan and state was explored; ``stopped`` says, if not, where the
        bound was hit and how far it got.

    Examples
    --------
    >>> import flowsim as fs
    >>> from flowsim.explore import explore
    >>> ex = explore(fs.LinearFlow(name="f", children=[fs.Task(name="A")]), progress=False)
    >>> print(ex.summary())
    explored 'f': 3 plans (at most 2 injected failures of execute, revert, retry), timing=given, 3 runs
    outcomes (plans):
      1  FAILURE  reverted {A}; executes A=1
      1  REVERTED reverted {A}; executes A=1
      1  SUCCESS  reverted {}; executes A=1
    worst cases:
      executions   1 under no injected failure
      reverts      1 under A.execute#1
      reverted_set 1 under A.execute#1
      makespan     2 under A.execute#1
    violations: 0
    """  # noqa: E501

    scenario: Scenario
    timing: str
    max_failures: int
    kinds: tuple[str, ...]
    plans: tuple[Plan, ...]
    runs: int
    states: int
    transitions: int
    spared: int
    tree: int
    interleavings: int
    outcomes: tuple[tuple[Outcome, int], ...]
    worst: Mapping[str, Witness]
    plan_outcomes: Mapping[Plan, tuple[Outcome, ...]]
    makespans: Mapping[Plan, float]
    violations: tuple[Counterexample, ...]
    complete: bool
    stopped: str = ""

    @property
    def reduction(self) -> float:
        """The search tree's size over the states explored (1.0: nothing merged)."""
        return self.tree / self.states if self.states else 1.0

    @property
    def por_reduction(self) -> float:
        """The transitions an unreduced search computes over those this one computed
        (1.0: the partial-order reduction spared none).

        >>> import flowsim as fs
        >>> from flowsim.explore import explore
        >>> two = fs.UnorderedFlow(name="f", children=[fs.Task(name="A"), fs.Task(name="B")])
        >>> ex = explore(two, max_failures=0, timing="any", progress=False)
        >>> ex.transitions, ex.spared, round(ex.por_reduction, 2)
        (3, 2, 1.67)
        """
        return (self.transitions + self.spared) / self.transitions if self.transitions else 1.0

    def summary(self) -> str:
        """The outcome table, the worst cases and the violations, as text."""
        lines = [
            f"explored {self.scenario.name!r}: {len(self.plans):,} plans (at most "
            f"{self.max_failures} injected failure{'' if self.max_failures == 1 else 's'} of "
            f"{', '.join(self.kinds)}), "
            f"timing={self.timing}, {self.runs:,} runs"
        ]
        if self.timing == "any":
            lines.append(
                f"{self.states:,} states, {self.transitions:,} transitions (partial-order "
                f"reduction {self.por_reduction:.2f}x: {self.spared:,} spared), search tree "
                f"{self.tree:,} (hashing {self.reduction:.2f}x), {self.interleavings:,} "
                "interleavings"
            )
        lines.append("" if self.complete else f"INCOMPLETE: {self.stopped}")
        lines.append("outcomes (plans):")
        width = len(f"{max((n for _, n in self.outcomes), default=0):,}")
        lines += [f"  {n:>{width},}  {o}" for o, n in self.outcomes]
        lines.append("worst cases:")
        lines += [f"  {k:<12} {w}" for k, w in self.worst.items()]
        lines.append(f"violations: {len(self.violations)}")
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(line for line in lines if line or not self.complete)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the CLI's ``--json``)."""
        return {
            "scenario": self.scenario.name,
            "timing": self.timing,
            "max_failures": self.max_failures,
            "kinds": list(self.kinds),
            "plans": len(self.plans),
            "runs": self.runs,
            "states": self.states,
            "transitions": self.transitions,
            "spared": self.spared,
            "tree": self.tree,
            "interleavings": self.interleavings,
            "complete": self.complete,
            "stopped": self.stopped,
            "outcomes": [
                {
                    "flow_state": o.flow_state.value,
                    "reverted": sorted(o.reverted),
                    "executions": dict(o.executions),
                    "plans": n,
                }
                for o, n in self.outcomes
            ],
            "worst": {
                k: {
                    "value": w.value,
                    "plan": [str(f) for f in w.plan],
                    "schedule": None if w.schedule is None else [list(s) for s in w.schedule],
                }
                for k, w in self.worst.items()
            },
            "violations": [
                {
                    "plan": [str(f) for f in v.plan],
                    "rule": v.rule,
                    "message": v.message,
                    "schedule": None if v.schedule is None else [list(s) for s in v.schedule],
                    "scenario": scenario_to_dict(v.scenario),
                }
                for v in self.violations
            ],
        }
