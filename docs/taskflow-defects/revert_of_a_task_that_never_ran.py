"""TaskFlow 6.5 defect: a task that never executed is reverted (its ``revert()`` is
called; PENDING -> REVERTING, which TaskFlow's own transition table forbids).

A graph flow: a fails; b -> c. On the serial engine a and b run in one batch and their
futures are done together; the engine processes them in the order of a ``set``. When b
comes first, c becomes ready to execute and is queued; then a's failure is resolved
(REVERT_ALL), which sets c's intention to REVERT while c is still PENDING. The queued c
is then scheduled by its *current* intention, so TaskFlow reverts a task that never ran:

- builder.py ``MachineBuilder.build.<locals>.analyze`` pops ``memory.done`` (a set) and,
  for each completed future, calls ``complete_an_atom`` (which resolves a failure:
  completer.py ``Completer._process_atom_failure`` -> ``RevertAll.apply`` ->
  runtime.py ``Runtime.reset_atoms``, intention REVERT for every atom) and then
  ``iter_next_atoms(atom)``; the atoms found ready *before* the failure (c, ready to
  execute after b) stay in ``next_up``;
- ``schedule`` -> scheduler.py ``Scheduler.schedule`` dispatches on the intention it reads
  now: REVERT -> actions/task.py ``TaskAction.schedule_reversion``, which changes the
  state to REVERTING without checking the transition (only the selector checks it, and
  c was selected for execute) and calls ``c.revert(result=None, ...)``.

Which future comes first is up to the set, so a run shows it about every other time on
the serial engine (rarely on the parallel engine, where a and b seldom finish together).
flowsim's check of such a run: ``transition`` (c PENDING -> REVERTING), ``out-of-scope``
(c reverted although no resolution put it in scope since it last executed) and, when b
starts reverting while c still is, ``reverse-order``. Run:
``python docs/taskflow-defects/revert_of_a_task_that_never_ran.py``.
"""

from __future__ import annotations

import contextlib
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
    def __init__(self, name: str, fails: bool = False) -> None:
        super().__init__(name=name)
        self.fails = fails
        self.executes = 0
        self.reverts = 0

    def execute(self) -> None:
        self.executes += 1
        if self.fails:
            raise RuntimeError(f"{self.name} fails")

    def revert(self, **kwargs: object) -> None:
        self.reverts += 1


def flowsim_flow() -> fs.GraphFlow:
    children = [fs.Task(name="a", fails_on="always"), fs.Task(name="b"), fs.Task(name="c")]
    return fs.GraphFlow(name="root", children=children, links=[fs.Link(source="b", target="c")])


def run_once(engine: str = "serial") -> tuple[tuple[int, int], list[str]]:
    """One real run: c's (executes, reverts) and flowsim's violations of the recording."""
    a, b, c = Step("a", fails=True), Step("b"), Step("c")
    flow = graph_flow.Flow("root").add(a, b, c)
    flow.link(b, c)
    loaded = taskflow.engines.load(flow, engine=engine)
    # a's failure is re-raised by the REVERTED flow
    with record(loaded) as rec, contextlib.suppress(RuntimeError):
        loaded.run()
    found = check(fs.compile(flowsim_flow()), rec.trace())  # under the engine's own options
    return (c.executes, c.reverts), sorted({str(v.rule) for v in found})


def run(
    runs: int = 100, engine: str = "serial"
) -> dict[tuple[tuple[int, int], tuple[str, ...]], int]:
    """``runs`` real runs, counted by (c's executes and reverts, flowsim's rules)."""
    seen: dict[tuple[tuple[int, int], tuple[str, ...]], int] = {}
    for _ in range(runs):
        calls, rules = run_once(engine)
        key = (calls, tuple(rules))
        seen[key] = seen.get(key, 0) + 1
    return seen


if __name__ == "__main__":
    for (calls, rules), n in sorted(run().items()):
        print(
            f"{n:3d} of 100 serial runs: c executed {calls[0]}x, reverted {calls[1]}x; "
            f"flowsim's check: {list(rules) or 'clean'}"
        )
