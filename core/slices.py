"""The slice-discovery command line: ``python -m core.slices --spec spec.json --data DIR
--db DB`` searches Parquet predictions on Spark and stores the slices found; ``--export-spec``
and ``--import-slices`` carry the cuts and the slices between machines (arguments:
:func:`core.analysis.slices_job.main`)."""

from core.analysis.slices_job import main

if __name__ == "__main__":
    raise SystemExit(main())
