"""Scenario files: the documented import path of :mod:`flowsim.files.scenario`.

The format, its reader and its writer live with the other file formats in
:mod:`flowsim.files`; this module keeps ``from flowsim.scenario import load_scenario``
working.

>>> from flowsim.scenario import load_scenario
>>> load_scenario is __import__("flowsim.files.scenario").files.scenario.load_scenario
True
"""

from .files.scenario import (
    FORMAT,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
)

__all__ = ["FORMAT", "load_scenario", "save_scenario", "scenario_from_dict", "scenario_to_dict"]
