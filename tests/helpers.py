"""Small helpers shared by the tests: compact, exact renderings of traces."""

from __future__ import annotations

from flowsim import LinearFlow, Result, Retry, Task, Times, UnorderedFlow


def lines(result: Result) -> list[str]:
    """Every event as ``"<time> <name> <STATE>"``, with ``#attempt`` for atoms and
    ``@worker`` for task executes and reverts."""
    out = []
    for e in result.events:
        text = f"{e.time:g} {e.name} {e.state}"
        if e.subject == "atom":
            text += f" #{e.attempt}"
        if e.worker is not None:
            text += f" @{e.worker}"
        out.append(text)
    return out


def states(result: Result, name: str) -> list[str]:
    """The sequence of states atom (or flow) ``name`` went through."""
    return [str(e.state) for e in result.events if e.name == name]


def blueprint(b: Task | None = None, c: Task | None = None, attempts: int = 2) -> LinearFlow:
    """A, then in parallel: a checkpoint guarding B, and a slow C."""
    b = b or Task(name="B", duration=2, fails_on=[1])
    c = c or Task(name="C", duration=6)
    checkpointed = LinearFlow(
        name="checkpointed",
        retry=Retry(name="checkpoint", controller=Times(attempts=attempts)),
        children=[b],
    )
    return LinearFlow(
        name="blueprint",
        children=[Task(name="A"), UnorderedFlow(name="parallel", children=[checkpointed, c])],
    )


def nested_flow() -> LinearFlow:
    inner = LinearFlow(
        name="inner",
        retry=Retry(name="R2", controller=Times(attempts=2)),
        children=[Task(name="T", fails_on="always")],
    )
    outer = LinearFlow(
        name="outer",
        retry=Retry(name="R1", controller=Times(attempts=2)),
        children=[Task(name="S"), inner, Task(name="Z")],
    )
    return LinearFlow(name="root", children=[outer, Task(name="after")])
