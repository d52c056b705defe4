"""The monitoring command line, for schedulers: ``python -m core.monitor --project P
--current FILE_OR_DATASET [--windows day|week|month|all|rows:N|column:NAME]`` (arguments:
:func:`core.monitoring.cli.main`; without a time column the whole file is one window)."""

from core.monitoring.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
