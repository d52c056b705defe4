"""The report command line: ``python -m core.report --project P --html PATH --pdf PATH
[--card PATH]`` (arguments: :func:`core.governance.cli.main`)."""

from core.governance.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
