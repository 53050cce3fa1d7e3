"""TaskFlow 6.5 defect: a revert does not get past an IGNOREd retry controller; the atoms
before it are never reverted and the engine crashes with InvalidState, the flow left
RUNNING.

A decider with depth FLOW on the link x -> s skips the optional subflow s (its retry
controller r and its task a are IGNOREd); y, after s, runs (IGNOREd predecessors count as
done) and fails. With no retry controller above y the resolution is REVERT_ALL: y, then x
must be reverted. TaskFlow reverts y and stops:

- selector.py ``Selector.iter_next_atoms``, for the REVERTED y, calls
  ``_browse_atoms_for_revert(y)``, which walks y's predecessors with traversal.py
  ``breadth_first_iterate(..., through_retries=False)``: the walk stops at r and relies on
  r reverting to continue from r's REVERTED. An IGNOREd r never reverts (states.py has no
  IGNORE -> REVERTING), so x, behind r, is never offered for revert;
- with nothing running and nothing scheduled, builder.py ``game_over`` counts the atoms
  still ready (``iter_next_atoms(apply_deciders=False)``, a scan of the whole graph, finds
  x) and concludes the engine was suspended: SUSPENDED;
- engine.py ``ActionEngine._change_state`` -> storage.py ``Storage.change_flow_state`` ->
  states.py ``check_flow_transition`` raises InvalidState ("Flow transition from 'RUNNING'
  to 'SUSPENDED' is not allowed"): ``run()`` raises it, the flow stays RUNNING, x stays
  SUCCESS.

Depth ATOM (r alone ignored, a runs) and NEIGHBORS do the same; without a retry controller
in s the revert walks through the ignored tasks and reverts x (the flow ends REVERTED, as
flowsim predicts). Run: ``python docs/taskflow-defects/revert_stops_at_ignored_retry.py``.
"""

from __future__ import annotations

import warnings

import flowsim as fs
from flowsim.checks import check

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import taskflow.engines  # type: ignore[import-untyped]
    from taskflow import retry, task
    from taskflow.patterns import graph_flow, linear_flow  # type: ignore[import-untyped]

from flowsim.taskflow._record import record


class Step(task.Task):  # type: ignore[misc]
    def __init__(self, name: str, fails: bool = False) -> None:
        super().__init__(name=name)
        self.fails = fails

    def execute(self) -> None:
        if self.fails:
            raise RuntimeError(f"{self.name} fails")


def taskflow_flow() -> graph_flow.Flow:
    x, y = Step("x"), Step("y", fails=True)
    s = linear_flow.Flow("s", retry=retry.Times(2, name="r")).add(Step("a"))
    root = graph_flow.Flow("root").add(x, s, y)
    root.link(x, s, decider=lambda history: False, decider_depth="FLOW")
    root.link(s, y)
    return root


def flowsim_flow() -> fs.GraphFlow:
    s = fs.LinearFlow(
        name="s",
        retry=fs.Retry(name="r", controller=fs.Times(attempts=2)),
        children=[fs.Task(name="a")],
    )
    links = [
        fs.Link(source="x", target="s", decider=False, depth=fs.Depth.FLOW),
        fs.Link(source="s", target="y"),
    ]
    children = [fs.Task(name="x"), s, fs.Task(name="y", fails_on="always")]
    return fs.GraphFlow(name="root", children=children, links=links)


def run(engine: str = "parallel") -> tuple[str, str, dict[str, str], list[str]]:
    """What the real engine does: the error it raises, the flow's and atoms' final states
    and flowsim's violations of the recorded trace."""
    loaded = taskflow.engines.load(taskflow_flow(), engine=engine)
    raised = ""
    with record(loaded) as rec:
        try:
            loaded.run()
        except Exception as exc:  # what TaskFlow raises is the finding
            raised = f"{type(exc).__name__}: {exc}"
    atoms = loaded.storage.get_atoms_states(["x", "r", "a", "y"])
    found = check(fs.compile(flowsim_flow()), rec.trace())  # under the engine's own options
    return (
        raised,
        loaded.storage.get_flow_state(),
        {name: state for name, (state, _) in atoms.items()},
        [str(v.rule) for v in found],
    )


if __name__ == "__main__":
    raised, flow_state, atoms, rules = run()
    print(f"TaskFlow raised {raised}; flow {flow_state}; atoms {atoms}")
    print(f"flowsim's check of the recorded run: {rules}")
    sim = fs.simulate(flowsim_flow(), defer_reverts=False)
    print(f"flowsim's simulation: flow {sim.flow_state}; x {sim.atom_final_states['x']}")
