"""The monitoring command line, for schedulers: ``python -m core.monitor --project P
--current FILE_OR_DATASET`` (arguments: :func:`core.monitoring.cli.main`)."""

from core.monitoring.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
