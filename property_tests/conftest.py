"""Hypothesis profiles for the property suite.

``dev`` (the default) is quick; ``ci`` is derandomized and is what ``make test`` runs
(``HYPOTHESIS_PROFILE=ci``); ``nightly`` runs many more examples and the tests marked
``nightly`` (``make nightly``); ``mutation`` is a small derandomized one for ``make mutate``,
which runs the whole suite once per mutant.
"""

import os

from hypothesis import HealthCheck, settings

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=_SLOW)
settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=_SLOW,
)
settings.register_profile("nightly", max_examples=4000, deadline=None, suppress_health_check=_SLOW)
settings.register_profile(
    "mutation",
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=_SLOW,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)
