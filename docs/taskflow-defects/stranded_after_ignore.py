"""TaskFlow 6.5 defect: with no failure at all, an atom whose predecessor a decider
IGNOREs is never run (nor ignored); the engine crashes with InvalidState and leaves the
flow RUNNING.

A graph flow x, q, c with the links x -> c, then x -> q (decider False, depth ATOM: only q
is ignored), then q -> c. After x succeeds c should run (an IGNOREd predecessor counts as
done), as flowsim predicts. TaskFlow never starts it:

- builder.py ``MachineBuilder.build.<locals>.iter_next_atoms`` asks selector.py
  ``Selector._browse_atoms_for_execute(x)``, which walks x's successors with traversal.py
  ``breadth_first_iterate`` (in the order the links were added: c, then q) and looks at
  each once. c comes first: q is still PENDING, so c is not ready. q comes next: ready; its
  decider (deciders.py ``IgnoreDecider.check_and_affect`` -> ``_affect_atom`` -> runtime.py
  ``Runtime.reset_atoms``) sets it IGNORE. Now c is ready, but the walk has passed it, and
  an IGNOREd atom has no completion that would trigger another look at its successors;
- with nothing running and nothing scheduled, builder.py ``game_over`` finds c ready
  (``iter_next_atoms(apply_deciders=False)``, a scan of the whole graph) and answers
  SUSPENDED; engine.py ``ActionEngine._change_state`` -> storage.py
  ``Storage.change_flow_state`` -> states.py ``check_flow_transition`` raises InvalidState
  ("Flow transition from 'RUNNING' to 'SUSPENDED' is not allowed").

Adding the links in the other order (x -> q before x -> c) runs c and the flow ends
SUCCESS. flowsim's check of the recorded run: ``unfinished`` (the flow ends RUNNING); the
simulation runs c. Run: ``python docs/taskflow-defects/stranded_after_ignore.py``.
"""

from __future__ import annotations

import warnings

import flowsim as fs
from flowsim.checks import check

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import taskflow.engines  # type: ignore[import-untyped]
    from taskflow import task
    from taskflow.patterns import graph_flow  # type: ignore[import-untyped]

from flowsim.taskflow._record import record


class Step(task.Task):  # type: ignore[misc]
    def execute(self) -> None:
        pass


def taskflow_flow(c_first: bool = True) -> graph_flow.Flow:
    x, q, c = Step("x"), Step("q"), Step("c")
    root = graph_flow.Flow("root").add(x, q, c)
    if c_first:
        root.link(x, c)
    root.link(x, q, decider=lambda history: False, decider_depth="ATOM")
    if not c_first:
        root.link(x, c)
    root.link(q, c)
    return root


def flowsim_flow() -> fs.GraphFlow:
    links = [
        fs.Link(source="x", target="c"),
        fs.Link(source="x", target="q", decider=False, depth=fs.Depth.ATOM),
        fs.Link(source="q", target="c"),
    ]
    children = [fs.Task(name="x"), fs.Task(name="q"), fs.Task(name="c")]
    return fs.GraphFlow(name="root", children=children, links=links)


def run(
    engine: str = "parallel", c_first: bool = True
) -> tuple[str, str, dict[str, str], list[str]]:
    """What the real engine does: the error it raises, the flow's and atoms' final states
    and flowsim's violations of the recorded trace."""
    loaded = taskflow.engines.load(taskflow_flow(c_first), engine=engine)
    raised = ""
    with record(loaded) as rec:
        try:
            loaded.run()
        except Exception as exc:  # what TaskFlow raises is the finding
            raised = f"{type(exc).__name__}: {exc}"
    atoms = loaded.storage.get_atoms_states(["x", "q", "c"])
    found = check(fs.compile(flowsim_flow()), rec.trace())  # under the engine's own options
    return (
        raised,
        loaded.storage.get_flow_state(),
        {name: state for name, (state, _) in atoms.items()},
        [str(v.rule) for v in found],
    )


if __name__ == "__main__":
    for c_first in (True, False):
        raised, flow_state, atoms, rules = run(c_first=c_first)
        order = "x -> c before x -> q" if c_first else "x -> q before x -> c"
        print(f"{order}: TaskFlow raised {raised or 'nothing'}; flow {flow_state}; atoms {atoms}")
        print(f"  flowsim's check of the recorded run: {rules}")
    sim = fs.simulate(flowsim_flow(), defer_reverts=False)
    print(f"flowsim's simulation: flow {sim.flow_state}; c {sim.atom_final_states['c']}")
