"""TaskFlow 6.5 defect: a failure in the scope of an IGNOREd retry controller crashes the
engine (StorageFailure), the flow ends FAILURE and nothing is reverted.

A decider with depth ATOM on the link x -> s ignores only s's first atom, its retry
controller r; s's task a still runs (an IGNOREd predecessor counts as done) and fails.
TaskFlow then asks r, which never executed, and storing the failure in r's empty history
raises inside the engine:

- completer.py ``Completer._determine_resolution`` takes ``runtime.find_retry(a)`` = r
  whatever r's state (IGNORE) and calls ``RetryAction.on_failure`` (actions/retry.py);
- that calls ``Storage.save_retry_failure`` (storage.py), which reads
  ``RetryDetail.last_failures`` (persistence/models.py) of r's history: r has none
  (IndexError -> NotFound), re-raised as StorageFailure;
- the exception leaves the state machine; engine.py ``ActionEngine.run_iter`` moves the
  flow to FAILURE and re-raises: x stays SUCCESS, a stays FAILURE, no revert runs.

flowsim (DESIGN.md 4) skips an IGNOREd retry controller and resolves with the next one
up, here none: REVERT_ALL, so a and x are reverted and the flow ends REVERTED. Run:
``python docs/taskflow-defects/ignored_retry.py``.
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
    x = Step("x")
    s = linear_flow.Flow("s", retry=retry.Times(2, name="r")).add(Step("a", fails=True))
    root = graph_flow.Flow("root").add(x, s)
    root.link(x, s, decider=lambda history: False, decider_depth="ATOM")
    return root


def flowsim_flow() -> fs.GraphFlow:
    s = fs.LinearFlow(
        name="s",
        retry=fs.Retry(name="r", controller=fs.Times(attempts=2)),
        children=[fs.Task(name="a", fails_on="always")],
    )
    link = fs.Link(source="x", target="s", decider=False, depth=fs.Depth.ATOM)
    return fs.GraphFlow(name="root", children=[fs.Task(name="x"), s], links=[link])


def run() -> tuple[str, str, dict[str, str], list[str]]:
    """What the real engine does: the error it raises, the flow's and atoms' final states
    and flowsim's violations of the recorded trace."""
    engine = taskflow.engines.load(taskflow_flow(), engine="parallel")
    raised = ""
    with record(engine) as rec:
        try:
            engine.run()
        except Exception as exc:  # what TaskFlow raises is the finding
            raised = type(exc).__name__
    atoms = engine.storage.get_atoms_states(["x", "r", "a"])
    found = check(fs.compile(flowsim_flow()), rec.trace())  # under the engine's own options
    return (
        raised,
        engine.storage.get_flow_state(),
        {name: state for name, (state, _) in atoms.items()},
        [str(v.rule) for v in found],
    )


if __name__ == "__main__":
    raised, flow_state, atoms, rules = run()
    print(f"TaskFlow raised {raised}; flow {flow_state}; atoms {atoms}")
    print(f"flowsim's check of the recorded run: {rules}")
    print(f"flowsim's simulation: {fs.simulate(flowsim_flow(), defer_reverts=False).flow_state}")
