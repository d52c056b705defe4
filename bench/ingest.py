"""Ingest benchmark: a CSV of ``--rows`` x 20 columns loaded and quality-checked.

    python -m bench.ingest --rows 1000000

Writes the CSV to a temporary folder in chunks (an id, a timestamp, 12 float columns with
some missing values, 2 integer columns, 4 text categories of which one has inconsistent
spellings), then measures in a temporary store:

* ingest: ``core.data.ingest.ingest_file`` (sniffing, one ``CREATE TABLE AS read_csv``, the
  content hash and the catalog row in one transaction);
* quality: ``core.data.quality.build_report`` (type detection, one-pass profile, value counts,
  histograms, null bands, exact and near duplicates, spelling groups, stored report);
* peak: the largest resident set size sampled every 10 ms during both.

The last line is ``ingest: <s> s, quality: <s> s, peak <MB> MB``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.memory import PeakRSS
from core.data import build_report, ingest_file
from core.db import projects as projects_db
from core.db.database import Database


def write_csv(path: Path, rows: int, seed: int = 0, chunk: int = 100_000) -> None:
    """A 20-column CSV written chunk by chunk (memory stays flat whatever ``rows``)."""
    rng = np.random.default_rng(seed)
    cities = np.array(["New York", "NY", "ny ", "Boston", "boston", "Chicago", "Denver"])
    city_p = [0.3, 0.05, 0.02, 0.25, 0.03, 0.2, 0.15]
    start = np.datetime64("2025-01-01T00:00:00")
    writer = None
    for lo in range(0, rows, chunk):
        n = min(chunk, rows - lo)
        cols: dict[str, object] = {"id": np.arange(lo, lo + n)}
        cols["ts"] = (start + rng.integers(0, 365 * 86400, n).astype("timedelta64[s]")).astype(str)
        for i in range(12):
            x = rng.normal(i * 10, 1 + i, n).round(3)
            cols[f"x{i:02d}"] = pa.array(x, mask=rng.random(n) < 0.02 * (i % 3))
        cols["count"] = rng.poisson(3, n)
        cols["age"] = rng.integers(18, 90, n)
        cols["city"] = rng.choice(cities, n, p=city_p)
        cols["channel"] = rng.choice(["web", "app", "phone", "agent"], n)
        cols["plan"] = rng.choice(["basic", "plus", "pro"], n)
        cols["churn"] = rng.choice(["yes", "no"], n, p=[0.2, 0.8])
        table = pa.table(cols)
        if writer is None:
            writer = pacsv.CSVWriter(str(path), table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="workbench_bench_") as tmp:
        csv_path = Path(tmp) / "bench.csv"
        t = time.perf_counter()
        write_csv(csv_path, args.rows, args.seed)
        size = csv_path.stat().st_size / 2**20
        print(
            f"wrote {args.rows:,} rows x 20 columns ({size:,.0f} MB) in "
            f"{time.perf_counter() - t:.1f} s"
        )
        store = Database(Path(tmp) / "bench.duckdb")
        try:
            pid = projects_db.create_project(store, "bench", "bench")
            with PeakRSS() as peak:
                t = time.perf_counter()
                result = ingest_file(store, pid, csv_path, name="bench", actor="bench")
                t_ingest = time.perf_counter() - t
                t = time.perf_counter()
                report = build_report(store, result.dataset_id, "bench")
                t_quality = time.perf_counter() - t
            counts = report.counts()
            print(
                f"loaded {result.n_rows:,} rows x {result.n_cols} columns; "
                f"{len(report.issues)} findings, {counts['exact_duplicates']:,} exact and "
                f"{counts['near_duplicates']:,} near-duplicate rows, "
                f"{len(report.spelling)} spelling group(s)"
            )
        finally:
            store.close()
    print(f"ingest: {t_ingest:.2f} s, quality: {t_quality:.2f} s, peak {peak.peak:.0f} MB")


if __name__ == "__main__":
    main()
