"""Whether everything an atom reaches is in a given kind of state, kept up to date in
O(links touched) per state change (private to :mod:`flowsim.checks`).

The replay asks, at every start, whether every transitive predecessor of the atom is done
(precedence) or every transitive successor is clear (reverse order). Walking the closure
each time costs O(atoms) per event; :class:`Closed` instead keeps, per atom, how many of
its direct links lead to an atom that is not *closed* (good itself, and everything it
reaches good), and updates those counts when an atom's goodness changes. In a correct
trace a change moves one count per link and stops there, so the cost per event is the
atom's degree. Only when the answer is "no" is the closure walked, to name the culprits.
"""

from __future__ import annotations

from collections.abc import Iterable


class Closed:
    """Per atom: is every atom reachable from it along ``links`` good?

    ``links[i]`` are the atoms one step from ``i`` in the direction of the closure,
    ``back`` the same links reversed; ``good`` says which atoms are good to begin with
    (``closed`` is computed from it in ``order``, a topological order of ``links``:
    every atom after those it links to).

    >>> succs = ((1,), (2,), ())  # 0 -> 1 -> 2
    >>> preds = ((), (0,), (1,))
    >>> down = Closed(succs, preds, [True, True, True], order=(2, 1, 0))
    >>> down.all_good(0)
    True
    >>> down.set_good(2, False)
    >>> down.all_good(0), down.all_good(2), down.bad_reached(0)
    (False, True, [2])
    """

    __slots__ = ("back", "bad", "closed", "good", "links")

    def __init__(
        self,
        links: tuple[tuple[int, ...], ...],
        back: tuple[tuple[int, ...], ...],
        good: list[bool],
        *,
        order: Iterable[int],
    ) -> None:
        self.links, self.back, self.good = links, back, good
        n = len(links)
        if not any(good):  # (the replay's start: nothing done)
            self.bad, self.closed = [len(js) for js in links], [False] * n
            return
        if all(good):  # (the replay's start: everything clear)
            self.bad, self.closed = [0] * n, [True] * n
            return
        self.bad = [0] * n  # links of i to an atom that is not closed
        self.closed = [False] * n  # good, and everything it reaches good
        for i in order:
            b = self.bad[i] = sum(1 for j in links[i] if not self.closed[j])
            self.closed[i] = good[i] and b == 0

    def all_good(self, i: int) -> bool:
        """Is every atom reachable from ``i`` (``i`` not included) good?"""
        return self.bad[i] == 0

    def set_good(self, i: int, good: bool) -> None:
        """Atom ``i`` is now good (or not); update what reaches it."""
        goods, bad, closed = self.good, self.bad, self.closed
        goods[i] = good
        if (good and bad[i] == 0) is closed[i]:
            return  # (the common case: nothing reaching i changes)
        back = self.back
        todo = [i]
        while todo:
            a = todo.pop()
            now = goods[a] and bad[a] == 0
            if now is closed[a]:
                continue
            closed[a] = now
            step = -1 if now else 1
            for b in back[a]:
                left = bad[b] = bad[b] + step
                if (goods[b] and left == 0) is not closed[b]:
                    todo.append(b)

    def bad_reached(self, i: int) -> list[int]:
        """The atoms reachable from ``i`` that are not good, in index order."""
        links, closed, good = self.links, self.closed, self.good
        seen: set[int] = set()
        found: list[int] = []
        todo = [j for j in links[i] if not closed[j]]
        while todo:
            j = todo.pop()
            if j in seen:
                continue
            seen.add(j)
            if not good[j]:
                found.append(j)
            todo.extend(k for k in links[j] if not closed[k] and k not in seen)
        found.sort()
        return found
