"""The compiler's graph equals the one :mod:`graph` derives from the model alone.

The engine, the reference interpreter and the checker read the same
:class:`~flowsim.CompiledFlow`, so a compiler bug looks correct to every other property.
This one compares the compiled flow, fact by fact, with an independent derivation: edges,
compile order, each atom's innermost retry controller, each controller's flow and scope,
the direct task successors that decider depths use, and every atom's deciders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace

import pytest
from graph import derive, from_compiled
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import flowsim as fs
from flowsim import strategies as fst
from flowsim.compile import CompiledFlow, Decider


@given(fst.flows(max_atoms=12, max_depth=4))
def test_compiled_graph_equals_the_independent_derivation(flow: fs.Flow) -> None:
    assert asdict(from_compiled(fs.compile(flow))) == asdict(derive(flow))


@given(fst.dags(max_nodes=12), st.data())
def test_dags_compile_to_the_independent_graph(flow: fs.GraphFlow, data: st.DataObject) -> None:
    assert asdict(from_compiled(fs.compile(flow))) == asdict(derive(flow))


# --------------------------------------------------------------------------- broken compilers
# Each is a compiler bug written as a wrong field of the compiled flow, as a buggy compiler
# would produce it; the property above must catch every one within the profile's examples.


def _with_succs(c: CompiledFlow, succs: list[tuple[int, ...]]) -> CompiledFlow:
    preds: list[list[int]] = [[] for _ in succs]
    for i, ss in enumerate(succs):
        for s in ss:
            preds[s].append(i)
    return replace(c, succs=tuple(succs), preds=tuple(tuple(p) for p in preds))


def _retry_is_its_own_retry(c: CompiledFlow) -> CompiledFlow:
    return replace(c, retry_of=tuple(i if c.is_retry[i] else r for i, r in enumerate(c.retry_of)))


def _near_through_subflows(c: CompiledFlow) -> CompiledFlow:
    near = tuple(tuple(s for s in ss if not c.is_retry[s]) for ss in c.succs)
    return replace(c, near_succs=near)


def _decider_on_its_source(c: CompiledFlow) -> CompiledFlow:
    moved: list[list[Decider]] = [[] for _ in c.names]
    for i, ds in enumerate(c.deciders):
        for d in ds:
            moved[d.source if d.source >= 0 else i].append(d)
    return replace(c, deciders=tuple(tuple(m) for m in moved))


def _waits_for_its_last_predecessor_only(c: CompiledFlow) -> CompiledFlow:
    keep = {(p[-1], i) for i, p in enumerate(c.preds) if p}
    return _with_succs(c, [tuple(s for s in ss if (i, s) in keep) for i, ss in enumerate(c.succs)])


def _controller_precedes_its_first_child_only(c: CompiledFlow) -> CompiledFlow:
    return _with_succs(c, [ss[:1] if c.is_retry[i] else ss for i, ss in enumerate(c.succs)])


COMPILER_BUGS: dict[str, Callable[[CompiledFlow], CompiledFlow]] = {
    "a retry controller is its own innermost retry": _retry_is_its_own_retry,
    "near successors reach into subflows": _near_through_subflows,
    "a decider is put on its link's source": _decider_on_its_source,
    "an atom waits for its last predecessor only": _waits_for_its_last_predecessor_only,
    "a controller precedes only its first child": _controller_precedes_its_first_child_only,
}


def first_compiler_failure(broken: Callable[[CompiledFlow], CompiledFlow]) -> int | None:
    """Examples a derandomized search draws until the property catches ``broken``."""
    drawn: list[bool] = []

    def caught(flow: fs.Flow) -> bool:
        bad = asdict(from_compiled(broken(fs.compile(flow)))) != asdict(derive(flow))
        if not any(drawn):
            drawn.append(bad)
        return bad

    try:
        find(
            fst.flows(max_atoms=12, max_depth=4),
            caught,
            settings=settings(settings(), database=None, phases=[Phase.generate]),
        )
    except NoSuchExample:
        return None
    return len(drawn)


@pytest.mark.parametrize("name", list(COMPILER_BUGS))
def test_the_property_catches_a_broken_compiler(name: str) -> None:
    first = first_compiler_failure(COMPILER_BUGS[name])
    assert first is not None and first <= settings().max_examples
