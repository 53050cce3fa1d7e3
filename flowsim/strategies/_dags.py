"""``dags()``: random DAGs, and the DAG edges that graph flows' links are drawn from."""

from __future__ import annotations

from hypothesis import strategies as st

from flowsim.model import Depth, GraphFlow, Link, Task

from ._draws import _chance, _ints, _permutations, _pick
from ._validation import _order, _whole


def _dag_edges(draw: st.DrawFn, n: int, deciders: bool) -> list[tuple[int, int, bool, Depth]]:
    """Edges ``(u, v, decider, depth)`` of a DAG on nodes 0..n-1, acyclic by construction:
    every edge goes forward in a drawn permutation (so node order is not a topological
    order). Shrinks to the identity permutation, no edges, no deciders."""
    order = draw(_permutations(n))
    edges: list[tuple[int, int]] = []
    for a in range(n):
        for b in range(a + 1, n):
            if _chance(draw, 3):
                edges.append((order[a], order[b]))
    out = []
    for u, v in edges:
        decider, depth = True, Depth.ALL
        if deciders and _chance(draw, 3):
            decider, depth = False, draw(_pick(tuple(Depth)))
        out.append((u, v, decider, depth))
    return out


def dags(*, min_nodes: int = 1, max_nodes: int = 10) -> st.SearchStrategy[GraphFlow]:
    """Random DAGs, as a :class:`~flowsim.GraphFlow` named ``dag`` of tasks ``t0``, ``t1``,
    ... (declared in that order) joined by :class:`~flowsim.Link` s.

    The links are the edges: ``[(link.source, link.target) for link in flow.links]``.
    Each goes forward in a drawn topological order, so the graph is acyclic by
    construction and the declaration (name) order is not, in general, a topological order.
    Tasks have default attributes; apply :func:`failure_plans` and :func:`timings` to vary
    them. The DAG may have no edges at all.

    Parameters
    ----------
    min_nodes, max_nodes
        Bounds on the number of tasks (``0 <= min_nodes <= max_nodes``).

    Notes
    -----
    Shrinking: toward fewer tasks, the topological order equal to the declaration order,
    and fewer links.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import flowsim as fs
    >>> @settings(max_examples=20, database=None)
    ... @given(dags(min_nodes=2, max_nodes=5))
    ... def test_a_dag_compiles(flow):
    ...     assert 2 <= len(fs.compile(flow)) <= 5
    >>> test_a_dag_compiles()
    """
    _whole("dags", "min_nodes", min_nodes, 0)
    _whole("dags", "max_nodes", max_nodes, 0)
    _order("dags", "min_nodes", min_nodes, "max_nodes", max_nodes)
    return _dags(min_nodes, max_nodes)


@st.composite
def _dags(draw: st.DrawFn, min_nodes: int, max_nodes: int) -> GraphFlow:
    n = draw(_ints(min_nodes, max_nodes))
    names = [f"t{i}" for i in range(n)]
    links = [Link(source=names[u], target=names[v]) for u, v, _, _ in _dag_edges(draw, n, False)]
    return GraphFlow(name="dag", children=[Task(name=name) for name in names], links=links)
