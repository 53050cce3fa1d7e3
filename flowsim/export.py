"""The Chrome trace (Perfetto) export: the documented import path of
:mod:`flowsim.files.perfetto`, which keeps ``from flowsim.export import save_chrome_trace``
working.

>>> from flowsim.export import to_chrome_trace
>>> to_chrome_trace.__module__
'flowsim.files.perfetto'
"""

from .files.perfetto import US_PER_TIME_UNIT, save_chrome_trace, to_chrome_trace

__all__ = ["US_PER_TIME_UNIT", "save_chrome_trace", "to_chrome_trace"]
