"""The bridge to OpenStack TaskFlow: simulate a real TaskFlow flow, run a scenario on the
real engine, and record a real run as a flowsim trace.

- :func:`from_taskflow` converts a real TaskFlow flow (patterns, nesting, links, deciders,
  retry controllers, requires/provides/rebind, the store) into a flowsim
  :class:`~flowsim.Scenario`, to explore what-ifs in the simulator;
- :func:`to_taskflow` builds a runnable TaskFlow flow from a scenario (tasks that sleep
  for their durations and fail where the scenario says), and :func:`engine_options` the
  engine options that match flowsim's :class:`~flowsim.Options`;
- :func:`record` / :class:`Recorder` record a real engine's run as a flowsim
  :class:`~flowsim.Trace`, to check it with :func:`flowsim.checks.check`.

It needs TaskFlow (``pip install "flowsim[taskflow]"``); ``import flowsim`` never
imports it.

>>> from flowsim import examples
>>> from flowsim.taskflow import from_taskflow, to_taskflow
>>> s = examples.load("blueprint")
>>> real = to_taskflow(s, time_scale=0)
>>> back = from_taskflow(real.flow)
>>> back.flow == s.flow, back.options.defer_reverts
(True, False)
"""

from __future__ import annotations

import warnings

from flowsim.errors import missing

try:
    with warnings.catch_warnings():  # oslo_utils (a TaskFlow dependency) warns on import
        warnings.simplefilter("ignore", DeprecationWarning)
        import taskflow  # type: ignore[import-untyped]  # noqa: F401
except ModuleNotFoundError as exc:
    raise missing(exc, what="flowsim.taskflow", extra="taskflow", library="TaskFlow") from None

from ._common import SimulatedFailure, StaticDecider, TaskFlowController
from ._from import from_taskflow
from ._record import Call, Recorder, record
from ._to import RealFlow, engine_options, to_taskflow

__all__ = [
    "Call",
    "RealFlow",
    "Recorder",
    "SimulatedFailure",
    "StaticDecider",
    "TaskFlowController",
    "engine_options",
    "from_taskflow",
    "record",
    "to_taskflow",
]
