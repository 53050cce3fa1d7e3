"""The engine's resolutions agree with the independent oracle (flowsim.oracle): the same
resolution for the same decisions, the same scope, and exactly the minimal revert set
reverted for each resolution."""

from __future__ import annotations

from hypothesis import given
from support import replayable

import flowsim as fs
from flowsim import oracle
from flowsim import strategies as fst

EXECUTED = {"RUNNING", "SUCCESS", "FAILURE"}


@given(fst.scenarios())
def test_resolutions_are_the_oracles(scenario: fs.Scenario) -> None:
    with replayable(scenario, "oracle-resolution"):
        result = fs.simulate(scenario)
        c = result.compiled
        ignored_at: dict[int, frozenset[str]] = {}
        ignored: set[str] = set()
        for e in result.events:
            if e.subject == "atom":
                (ignored.add if e.state == "IGNORE" else ignored.discard)(e.name)
            ignored_at[e.seq] = frozenset(ignored)
        for res in result.resolutions:
            decisions = [d for _, d in res.chain]
            skip = ignored_at[res.seq]
            assert [r for r, _ in res.chain] == oracle.consulted(
                c, res.failed, decisions, ignored=skip
            )
            action, retry = oracle.resolve(
                c,
                res.failed,
                decisions,
                defer_reverts=scenario.options.defer_reverts,
                ignored=skip,
            )
            assert (res.action, res.retry) == (action, retry)
            assert set(res.scope) == oracle.scope(c, action, retry)


@given(fst.scenarios())
def test_each_resolution_reverts_its_minimal_set(scenario: fs.Scenario) -> None:
    """Attribute every revert to the latest resolution that put its atom in scope; each
    resolution then reverts exactly its minimal set, less the atoms a later resolution
    took over before they reverted (and less what a revert failure stopped)."""
    with replayable(scenario, "oracle-minimal-set"):
        result = fs.simulate(scenario)
        resolutions = sorted(result.resolutions, key=lambda r: r.seq)
        state: dict[str, str] = dict.fromkeys(result.compiled.names, "PENDING")
        minimal: list[set[str]] = []
        reverted: list[set[str]] = [set() for _ in resolutions]
        owner: dict[str, int] = {}
        k = 0
        for e in result.events:
            if e.subject != "atom":
                continue
            if e.state == "REVERTING":
                by = [j for j in range(k) if e.name in resolutions[j].scope]
                assert by, f"{e.name} reverted with no resolution putting it in scope"
                reverted[by[-1]].add(e.name)
                assert owner.pop(e.name) == by[-1]
            state[e.name] = str(e.state)
            while k < len(resolutions) and resolutions[k].seq == e.seq:
                must = oracle.minimal_revert_set(resolutions[k].scope, state)
                minimal.append(set(must))
                for a in must:
                    if a in owner:  # a later resolution takes it over
                        minimal[owner[a]].discard(a)
                    owner[a] = k
                k += 1
        assert k == len(resolutions)
        halted = any(s == "REVERT_FAILURE" for s in state.values())
        for j, res in enumerate(resolutions):
            if halted:
                assert reverted[j] <= minimal[j]
            else:
                assert reverted[j] == minimal[j], (res, sorted(minimal[j]), sorted(reverted[j]))


@given(fst.flows())
def test_scopes_are_closed_under_successors(flow: fs.model.Flow) -> None:
    c = fs.compile(flow)
    for r, is_retry in zip(c.names, c.is_retry, strict=True):
        if not is_retry:
            continue
        for action in (fs.Decision.RETRY, fs.Decision.REVERT):
            s = oracle.scope(c, action, r)
            assert (r in s) is (action is fs.Decision.REVERT)
            for a in s:
                assert set(c.descendants(a)) <= s
            assert set(c.descendants(r)) <= s
    assert oracle.scope(c, fs.Decision.REVERT_ALL, None) == set(c.names)
