"""Check a flow under every failure plan and every interleaving up to a bound, as a model
checker would.

:func:`explore` runs a scenario under every assignment of at most ``max_failures``
injected failures (which atom, which of its calls: an execute, a revert, or a retry
controller's own execute), on top of the scenario's own, either with the scenario's
durations (``timing="given"``: one deterministic run per plan) or under every order in
which the work in flight may complete (``timing="any"``). Every run is judged by every
rule of :func:`flowsim.checks.check` and by the minimal-revert-set property; the result,
an :class:`Exploration`, holds the distinct outcomes, the worst cases with a witness plan,
and every violation with its counterexample, a scenario file.

>>> from flowsim import examples
>>> ex = explore(examples.load("blueprint"), max_failures=1, progress=False)
>>> len(ex.plans), len(ex.outcomes), ex.violations
(7, 6, ())
"""

from __future__ import annotations

from ._admits import Explanation, admits
from ._any import replay
from ._core import explore
from ._plans import Failure, apply_plan, plan_text
from ._result import Counterexample, Exploration, Outcome, Witness

__all__ = [
    "Counterexample",
    "Explanation",
    "Exploration",
    "Failure",
    "Outcome",
    "Witness",
    "admits",
    "apply_plan",
    "explore",
    "plan_text",
    "replay",
]
