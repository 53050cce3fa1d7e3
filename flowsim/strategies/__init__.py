"""Hypothesis strategies that draw flows, failure plans, timings and whole scenarios.

They are for property-testing revert semantics in your own tests::

    from hypothesis import given
    import flowsim as fs
    from flowsim import strategies as fst  # keeps "st" free for hypothesis.strategies

    @given(fst.scenarios(max_atoms=8))
    def test_nothing_is_left_running(scenario):
        result = fs.simulate(scenario)
        assert fs.AtomState.RUNNING not in result.atom_final_states.values()

``import flowsim`` does not import this module (nor Hypothesis): import it yourself, as
above or as ``import flowsim.strategies``.

=====================  =====================================================================
strategy               draws
=====================  =====================================================================
:func:`dags`           a :class:`~flowsim.GraphFlow` of tasks joined by links
:func:`flows`          nested linear/unordered/graph flows with retry controllers, links,
                       deciders and requires/provides (compiles without a store)
:func:`failure_plans`  the given flow with ``fails_on``/``revert_fails_on`` drawn
:func:`timings`        the given flow with durations (and priorities) drawn
:func:`scenarios`      a :class:`~flowsim.Scenario`: all of the above, a store and options
=====================  =====================================================================

**Guarantees.** Every drawn flow compiles (:func:`flowsim.compile`, with the scenario's
store for :func:`scenarios`); graph flows are acyclic by construction (their links follow a
drawn topological order of the children) and ``requires`` names only values that an
ancestor atom provides or the store holds. Every drawn scenario simulates without raising,
and :class:`~flowsim.EventBudgetExceeded` cannot happen: an atom whose failures may be
decided by an :class:`~flowsim.AlwaysRetry` (the only built-in controller with no bound on
its attempts) fails only on finitely many listed calls (never ``"always"``, never by
``fail_probability``), and a :class:`~flowsim.ForEach` there has values. Scenarios survive
a JSON round trip (:func:`flowsim.scenario_to_dict`): store and for-each values are small
integers (and lists of them).

**Names.** Tasks are ``t0``, ``t1``, ..., retry controllers ``r0``, ``r1``, ..., flows
``flow`` (the root), ``f1``, ``f2``, ... The atom numbers are a drawn permutation, and graph
flows declare their children in an order that is not their links' topological order, so
neither names nor declaration order give a topological order for free.

**Shrinking.** A failing example shrinks to fewer atoms, shallower nesting, linear flows,
no retry controllers (then ``Times(attempts=2)``), names in declaration order, no links or
deciders, no data, no failures (then failures on the first call), unit task durations
(zero for retry controllers), priority 0, unlimited workers, ``smart``,
``defer_reverts=True``, ``never_resolve=False`` and seed 0: a failing property typically
shrinks to a flow of two to four atoms. The order of the draws is designed for it:

1. the options and the name permutations first, each a fixed number of choices, so that
   they stay put when the shrinker deletes atoms;
2. then the flow depth first, each atom in one piece (its place in the tree, its
   controller, its failures and timings), so that deleting an atom deletes one contiguous
   span of choices; every decision is drawn even where a size bound settles it, so that
   the choices stay aligned; a retry controller costs more choices than a task, since the
   shrinker prefers shorter choice sequences;
3. then ``requires``/``provides`` (they depend on the whole graph).

(Drawing the atom count first and every attribute afterwards, as one might expect, shrank
a two-atom failure to a nine-atom flow: deleting an atom shifted every later choice.)

**Errors.** Every strategy checks its arguments when it is called (not when it is drawn
from) and raises :class:`hypothesis.errors.InvalidArgument` (as Hypothesis's own strategies
do; it is a :class:`TypeError`) naming the argument, the value and the fix.

Examples
--------
>>> from hypothesis import find, settings
>>> quiet = settings(database=None, derandomize=True)
>>> [child.name for child in find(flows(), lambda flow: True, settings=quiet).children]
['t0']
"""

from flowsim.errors import missing as _missing

try:
    import hypothesis  # noqa: F401
except ModuleNotFoundError as exc:
    raise _missing(exc, what="flowsim.strategies", extra="strategies") from None

from ._dags import dags
from ._flows import flows
from ._plans import failure_plans
from ._scenarios import scenarios
from ._timings import timings

__all__ = ["dags", "failure_plans", "flows", "scenarios", "timings"]
