"""The decider rule of :mod:`flowsim.checks` (private): an atom is IGNOREd exactly when a
decider says so, at the scheduling point where it becomes ready.

The semantics (README "Deciders"; TaskFlow's ``IgnoreDecider``): at every scheduling point,
whatever the phase (after an unresolved failure and under ``never_resolve`` too), each
atom that is ready to execute (PENDING, intention EXECUTE, every transitive predecessor
SUCCESS or IGNORE) and has a static decider saying no is IGNOREd together with the atoms
its widest depth reaches (``atom``: itself; ``neighbors``: its direct task successors;
``flow``: the tasks reached through such links; ``all``: everything after it). A decider
whose source atom is IGNORE does not vote. So, by event order alone:

* an IGNORE is explained by a ready atom whose deciders vote, or by lying in the reach of
  one ignored just before;
* an atom whose deciders vote never executes;
* no atom is left ready with voting deciders, nor an atom of a decided reach un-ignored,
  when other work starts or the flow ends (with a simulated clock: when time moves on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowsim.model import Depth
from flowsim.states import AtomState
from flowsim.trace import Event

from ._rules import Rule

if TYPE_CHECKING:
    from ._replay import _Replay

_RANK = {Depth.ATOM: 0, Depth.NEIGHBORS: 1, Depth.FLOW: 2, Depth.ALL: 3}


class DeciderWatch:
    """What the decider rule needs from the replay, kept beside it."""

    def __init__(self, replay: _Replay) -> None:
        self.r = replay
        c = replay.c
        self.atoms = [i for i in range(len(c)) if c.deciders[i]]
        self.due: dict[int, tuple[int, Event]] = {}  # atom -> (the decided atom, its IGNORE)
        self.late: set[int] = set()  # flagged as left ready (once each)

    def voting(self, i: int) -> Depth | None:
        """The widest depth among ``i``'s deciders that vote now, or None."""
        state = self.r.state
        depths = [
            d.depth
            for d in self.r.c.deciders[i]
            if d.source < 0 or state[d.source] is not AtomState.IGNORE
        ]
        return max(depths, key=_RANK.__getitem__) if depths else None

    def ready(self, i: int) -> bool:
        r = self.r
        return r.state[i] is AtomState.PENDING and not r.marked[i] and r.done.all_good(i)

    def reach(self, i: int, depth: Depth) -> list[int]:
        """The other atoms a no at ``depth`` on atom ``i`` ignores."""
        c = self.r.c
        if depth is Depth.ALL:
            return self.r.reached(i)
        if depth is Depth.NEIGHBORS:
            return list(c.near_succs[i])
        if depth is Depth.FLOW:
            found: set[int] = set()
            todo = list(c.near_succs[i])
            while todo:
                j = todo.pop()
                if j not in found:
                    found.add(j)
                    todo.extend(c.near_succs[j])
            return sorted(found)  # (i is not among them: the links are acyclic)
        return []

    def ignored(self, i: int, e: Event) -> None:
        """Atom ``i`` goes PENDING -> IGNORE (called before the replay records it)."""
        self.late.discard(i)
        if self.due.pop(i, None) is not None:
            return
        depth = self.voting(i)
        if depth is None or not self.ready(i):
            why = "no decider says no to it" if depth is None else "it is not ready to execute"
            self.r.flag(Rule.DECIDER, f"{e.name} is ignored, but {why}", e)
            return
        for j in self.reach(i, depth):
            if self.r.state[j] is AtomState.PENDING:
                self.due[j] = (i, e)

    def executes(self, i: int, e: Event) -> None:
        """Atom ``i`` goes PENDING -> RUNNING."""
        names = self.r.c.names
        self.late.discard(i)
        if i in self.due:
            root, ignore = self.due.pop(i)
            self.r.flag(
                Rule.DECIDER,
                f"{e.name} executes, but the decider that ignored {names[root]} ignores it too",
                ignore,
                e,
            )
        elif self.r.c.deciders[i] and self.voting(i) is not None:
            self.r.flag(
                Rule.DECIDER,
                f"{e.name} executes, but a decider on a link into it says no: it must be IGNORE",
                e,
            )

    def settle(self, e: Event | None, moment: str) -> None:
        """Nothing may be left to ignore at ``moment`` (before ``e``, or at the end)."""
        r = self.r
        names = r.c.names
        starting = -1 if e is None or e.subject != "atom" else r.index[e.name]
        for j, (root, ignore) in sorted(self.due.items()):
            if j != starting and j not in self.late:
                self.late.add(j)  # (its IGNORE, if it comes, is still explained)
                r.flag(
                    Rule.DECIDER,
                    f"the decider that ignored {names[root]} also ignores {names[j]}, "
                    f"which is still PENDING {moment}",
                    ignore,
                    e,
                )
        for i in self.atoms:
            if i in self.late or i == starting:
                continue
            if self.ready(i) and self.voting(i) is not None:
                self.late.add(i)
                r.flag(
                    Rule.DECIDER,
                    f"{names[i]} is ready to execute and a decider on a link into it says "
                    f"no, but it is still PENDING {moment}",
                    e,
                )
