"""Every file format flowsim reads and writes, in one place (as networkx keeps
``readwrite/``).

- **Scenario files** (:mod:`flowsim.files.scenario`, also importable as
  :mod:`flowsim.scenario`): a flow, its store and its options as JSON, read strictly by
  the reader in ``_json.py`` / ``_scenario_read.py`` and written by ``_scenario_write.py``.
- **Trace files**: :meth:`flowsim.Trace.save` and :func:`flowsim.load_trace`.
- **The JSON Schema of scenario files** (:mod:`flowsim.files.schema`, generated from the
  reader's key tables; installed as ``flowsim/files/scenario.schema.json`` for editors;
  not imported here, so that ``python -m flowsim.files.schema`` can print it).
- **Chrome trace JSON** for Perfetto (:mod:`flowsim.files.perfetto`, also importable as
  :mod:`flowsim.export`).

Examples
--------
>>> from flowsim import files
>>> sorted(files.__all__)[:3]
['US_PER_TIME_UNIT', 'load_scenario', 'load_trace']
"""

from ._trace_read import load_trace
from .perfetto import US_PER_TIME_UNIT, save_chrome_trace, to_chrome_trace
from .scenario import load_scenario, save_scenario, scenario_from_dict, scenario_to_dict

__all__ = [
    "US_PER_TIME_UNIT",
    "load_scenario",
    "load_trace",
    "save_chrome_trace",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "to_chrome_trace",
]
