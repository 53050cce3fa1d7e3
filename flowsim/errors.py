"""Errors raised by flowsim.

Every error flowsim raises on purpose derives from :class:`FlowsimError`; the ones caused by
bad input also derive from :class:`ValueError` or :class:`TypeError`, so that callers can
catch them either way. A simulated task failure is never an exception: it is data in the
trace.
"""

from __future__ import annotations

__all__ = [
    "CompileError",
    "EventBudgetExceeded",
    "FlowsimError",
    "ModelError",
    "ScenarioError",
]


class FlowsimError(Exception):
    """Root of every error flowsim raises on purpose."""


class ModelError(FlowsimError, ValueError):
    """A task, retry controller or flow was built with a bad value."""


class CompileError(FlowsimError, ValueError):
    """A flow cannot be compiled: duplicate names, a cycle, an unknown link end, ...

    ``node`` names the flow or atom at fault (the scenario loader turns it into a JSON path).
    """

    def __init__(self, message: str, *, node: str = "") -> None:
        self.node = node
        super().__init__(message)


class ScenarioError(FlowsimError, ValueError):
    """A scenario file is missing, is not JSON, or holds a value of the wrong shape.

    ``where`` is the file, ``path`` the JSON path of the bad value (``$.flow.children[1]``).
    """

    def __init__(self, message: str, *, where: str = "", path: str = "") -> None:
        self.where = where
        self.path = path
        self.reason = message
        prefix = ""
        if where:
            prefix += f"{where}: "
        if path:
            prefix += f"{path}: "
        super().__init__(prefix + message)


class EventBudgetExceeded(FlowsimError, RuntimeError):
    """A simulation recorded more events than its budget allows (it may never end)."""
