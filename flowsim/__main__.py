"""``python -m flowsim``: the ``flowsim`` command (see :mod:`flowsim.cli`)."""

from flowsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
