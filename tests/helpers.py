"""Small helpers shared by the tests: compact, exact renderings of traces."""

from __future__ import annotations

from flowsim import Result


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
