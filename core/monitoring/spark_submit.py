"""The ``spark-submit`` entry: ``spark-submit core/monitoring/spark_submit.py --project P
--current s3a://bucket/requests/ --output rows.parquet --grid grid.json`` takes the arguments
of ``python -m core.monitor --engine spark`` (:func:`core.monitoring.spark_job.main`);
``spark-submit core/monitoring/spark_submit.py slices --spec spec.json --data s3a://… --output
found.parquet`` those of ``python -m core.slices`` (:func:`core.analysis.slices_job.main`)."""

import sys
from pathlib import Path

if __name__ == "__main__":
    # run as a script, this file's folder is sys.path[0]: put the repository root there,
    # so that `core` imports and no module of this folder shadows a top-level one
    sys.path[0] = str(Path(__file__).resolve().parents[2])
    if sys.argv[1:2] == ["slices"]:
        from core.analysis.slices_job import main as slices_main

        raise SystemExit(slices_main(sys.argv[2:]))
    from core.monitoring.spark_job import main

    raise SystemExit(main())
