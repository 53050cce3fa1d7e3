"""Example scenarios bundled with flowsim (``flowsim run blueprint``).

>>> names()
['blueprint', 'foreach-alternatives', 'nested-escalation', 'revert-failure', 'wide-graph']
>>> load("blueprint").flow.name
'blueprint'
"""

from __future__ import annotations

from importlib import resources

from flowsim.errors import ScenarioError
from flowsim.files.scenario import _parse_text
from flowsim.model import Scenario

__all__ = ["load", "names"]


def names() -> list[str]:
    """The names of the bundled example scenarios, sorted.

    >>> "blueprint" in names()
    True
    """
    files = resources.files(__name__)
    return sorted(
        item.name.removesuffix(".json")
        for item in files.iterdir()
        if item.name.endswith(".json") and item.is_file()
    )


def load(name: str) -> Scenario:
    """Load the bundled example scenario ``name`` (one of :func:`names`).

    Raises
    ------
    ScenarioError
        If there is no bundled example of that name (the message lists the known ones).

    Examples
    --------
    >>> load("blueprint").options.workers is None
    True
    """
    known = names()
    if name not in known:
        raise ScenarioError(
            f"no bundled example named {name!r}; the examples are: {', '.join(known)}",
            where="flowsim.examples",
        )
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return _parse_text(text, f"flowsim/examples/{name}.json")
