"""flowsim: deterministic simulation and verification of smart revert in parallel task flows.

The pipeline: build a flow from the model's frozen values, :func:`compile` it, run it with
:func:`simulate`, and read the :class:`Result` and its :class:`Trace`.

>>> import flowsim as fs
>>> flow = fs.LinearFlow(name="f", children=[fs.Task(name="a", fails_on=[1])])
>>> fs.simulate(flow).flow_state
<FlowState.REVERTED: 'REVERTED'>
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .compile import CompiledFlow, compile
from .engine import simulate
from .errors import (
    CompileError,
    EventBudgetExceeded,
    FlowsimError,
    ModelError,
    ScenarioError,
)
from .files import (
    load_scenario,
    load_trace,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
)
from .model import (
    Depth,
    GraphFlow,
    LinearFlow,
    Link,
    Options,
    Retry,
    Scenario,
    Strategy,
    Task,
    UnorderedFlow,
)
from .retries import (
    AlwaysRetry,
    AlwaysRevert,
    AlwaysRevertAll,
    Controller,
    ForEach,
    HistoryEntry,
    ParameterizedForEach,
    Times,
)
from .states import AtomState, Decision, FlowState, Intention
from .timing import Exponential, LogNormal, Uniform
from .trace import Event, Resolution, Result, Trace

try:
    __version__: str = _version("flowsim")
    """The installed version of flowsim (from the package's metadata)."""
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
del PackageNotFoundError

__all__ = [
    "AlwaysRetry",
    "AlwaysRevert",
    "AlwaysRevertAll",
    "AtomState",
    "CompileError",
    "CompiledFlow",
    "Controller",
    "Decision",
    "Depth",
    "Event",
    "EventBudgetExceeded",
    "Exponential",
    "FlowState",
    "FlowsimError",
    "ForEach",
    "GraphFlow",
    "HistoryEntry",
    "Intention",
    "LinearFlow",
    "Link",
    "LogNormal",
    "ModelError",
    "Options",
    "ParameterizedForEach",
    "Resolution",
    "Result",
    "Retry",
    "Scenario",
    "ScenarioError",
    "Strategy",
    "Task",
    "Times",
    "Trace",
    "Uniform",
    "UnorderedFlow",
    "compile",
    "load_scenario",
    "load_trace",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "simulate",
]
