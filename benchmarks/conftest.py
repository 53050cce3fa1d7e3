"""`make test` runs the doctests of the benchmark's modules too. The SimPy model's needs
SimPy, which only the ``bench`` extra installs (`make bench`), so without SimPy that module
is not collected."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("simpy") else ["simpy_model.py"]
