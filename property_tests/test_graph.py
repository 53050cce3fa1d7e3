"""The compiler's graph equals the one :mod:`graph` derives from the model alone.

The engine, the reference interpreter and the checker read the same
:class:`~flowsim.CompiledFlow`, so a compiler bug looks correct to every other property.
This one compares the compiled flow, fact by fact, with an independent derivation: edges,
compile order, each atom's innermost retry controller, each controller's flow and scope,
the direct task successors that decider depths use, and every atom's deciders.
"""

from __future__ import annotations

from dataclasses import asdict

from graph import derive, from_compiled
from hypothesis import given
from hypothesis import strategies as st

import flowsim as fs
from flowsim import strategies as fst


@given(fst.flows(max_atoms=12, max_depth=4))
def test_compiled_graph_equals_the_independent_derivation(flow: fs.Flow) -> None:
    assert asdict(from_compiled(fs.compile(flow))) == asdict(derive(flow))


@given(fst.dags(max_nodes=12), st.data())
def test_dags_compile_to_the_independent_graph(flow: fs.GraphFlow, data: st.DataObject) -> None:
    assert asdict(from_compiled(fs.compile(flow))) == asdict(derive(flow))
