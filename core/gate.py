"""The gates a CI pipeline runs: ``python -m core.gate data --project P --candidate FILE``,
``python -m core.gate model --project P --run ID``, ``python -m core.gate deploy --project P
--simulation ID`` (arguments and exit codes: :mod:`core.gates.cli`)."""

from core.gates.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
