"""Walking a flow's atoms: ``_map_atoms`` replaces each atom, ``_apply`` draws each
atom's further attributes with a hook (failures, timings)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from hypothesis import strategies as st

from flowsim.model import Flow, GraphFlow, Retry, Task
from flowsim.retries import AlwaysRevert, AlwaysRevertAll, ForEach, ParameterizedForEach, Times

# Controllers whose attempts are bounded: a scope under them is retried finitely often.
_BOUNDED = (Times, ForEach, ParameterizedForEach, AlwaysRevert, AlwaysRevertAll)

_Hook = Callable[[st.DrawFn, Task | Retry, bool], Task | Retry]
"""Draws an atom's attributes: ``hook(draw, atom, unbounded)`` returns the new atom;
``unbounded`` tells whether a controller with unbounded attempts may decide on its
execute failures."""


def _map_atoms(
    flow: Flow,
    fn: Callable[[Task | Retry, bool], Task | Retry],
    unbounded: bool = False,
    names: Mapping[str, str] | None = None,
) -> Flow:
    """``flow`` with every atom replaced by ``fn(atom, unbounded)``, called in declaration
    order; ``unbounded`` tells whether a controller with unbounded attempts (AlwaysRetry,
    or a custom one) may decide on the atom's execute failures. ``names`` renames link
    ends (when ``fn`` renames atoms)."""
    retry = flow.retry
    inner = unbounded
    if retry is not None:
        inner = unbounded or type(retry.controller) not in _BOUNDED
        new = fn(retry, unbounded)
        assert isinstance(new, Retry)
        retry = new
    children: list[Task | Flow] = []
    for child in flow.children:
        if isinstance(child, Task):
            new_task = fn(child, inner)
            assert isinstance(new_task, Task)
            children.append(new_task)
        else:
            children.append(_map_atoms(child, fn, inner, names))
    if names is not None and isinstance(flow, GraphFlow):
        links = [
            replace(
                link,
                source=names.get(link.source, link.source),
                target=names.get(link.target, link.target),
            )
            for link in flow.links
        ]
        return replace(flow, retry=retry, children=tuple(children), links=tuple(links))
    return replace(flow, retry=retry, children=tuple(children))


@st.composite
def _apply(draw: st.DrawFn, flow: Flow, hook: _Hook) -> Flow:
    """``flow`` with ``hook`` applied to every atom, in declaration order."""
    return _map_atoms(flow, lambda atom, unbounded: hook(draw, atom, unbounded))
