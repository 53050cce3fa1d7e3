"""The independent minimal-revert oracle: the documented import path of
:mod:`flowsim.checks.oracle`, which keeps ``from flowsim.oracle import resolve`` working.

>>> from flowsim.oracle import resolve
>>> resolve.__module__
'flowsim.checks.oracle'
"""

from .checks.oracle import EXECUTED, consulted, minimal_revert_set, resolve, scope

__all__ = ["EXECUTED", "consulted", "minimal_revert_set", "resolve", "scope"]
