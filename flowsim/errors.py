"""Errors raised by flowsim.

Every error flowsim raises on purpose derives from :class:`FlowsimError`; the ones caused by
bad input also derive from :class:`ValueError` or :class:`TypeError`, so that callers can
catch them either way. A simulated task failure is never an exception: it is data in the
trace.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = [
    "CompileError",
    "EventBudgetExceeded",
    "FlowsimError",
    "MissingDependencyError",
    "ModelError",
    "ScenarioError",
    "missing",
    "require",
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


class MissingDependencyError(FlowsimError, ImportError):
    """A part of flowsim needs a library of an install extra that is not installed.

    The message says what needs which library and the command that installs it; ``extra``
    is the extra's name. It is an :class:`ImportError` (so ``except ImportError`` works) and
    a :class:`FlowsimError` (so the CLI reports it as one line and exits 2).

    >>> str(MissingDependencyError("flowsim.plot", library="matplotlib", extra="plot"))
    'flowsim.plot needs matplotlib: pip install "flowsim[plot]"'
    """

    def __init__(self, what: str, *, library: str, extra: str) -> None:
        self.what = what
        self.library = library
        self.extra = extra
        super().__init__(f'{what} needs {library}: pip install "flowsim[{extra}]"', name=library)


def missing(
    exc: ModuleNotFoundError, *, what: str, extra: str, library: str = ""
) -> MissingDependencyError:
    """The :class:`MissingDependencyError` for ``exc``, an optional library's failed import.

    For a module's optional imports at its top::

        try:
            import matplotlib
        except ModuleNotFoundError as exc:
            raise missing(exc, what="flowsim.plot", extra="plot") from None

    ``library`` is the name the message gives (default: the missing module's top package).

    >>> try:
    ...     import no_such_library
    ... except ModuleNotFoundError as exc:
    ...     print(missing(exc, what="flowsim.thing", extra="dev"))
    flowsim.thing needs no_such_library: pip install "flowsim[dev]"
    """
    top = (exc.name or "").partition(".")[0]
    return MissingDependencyError(what, library=library or top, extra=extra)


def require(module: str, *, what: str, extra: str, library: str = "") -> ModuleType:
    """Import optional ``module`` for ``what``, or raise :class:`MissingDependencyError`.

    For an optional import inside a function. ``library`` is the name the message gives
    (default: the missing module's top package).

    >>> require("json", what="a doctest", extra="dev").__name__
    'json'
    >>> require("no_such_library.sub", what="flowsim.thing", extra="dev").__name__
    Traceback (most recent call last):
    ...
    flowsim.errors.MissingDependencyError: flowsim.thing needs no_such_library: ...
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise missing(exc, what=what, extra=extra, library=library) from None
