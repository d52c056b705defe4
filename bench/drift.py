"""Drift benchmark: profile + drift of 20 columns against a plain DuckDB scan of both tables.

    python -m bench.drift --rows 1000000

Generates a reference and a current table of ``--rows`` rows each (15 numeric and 5
categorical columns; a third of them shifted) in a temporary store (DuckDB's default
122,880-row groups, so both cores work), then measures in the same run:

* the scan floor: ``count(*)`` and ``sum`` (numeric) or ``count`` (categorical) of every
  column of both tables;
* profile + drift: profiling the reference (its grid included) and the current table
  against it, then computing every statistic of every column;
* the same with the reference's stored profile reused (the usual monitoring run);
* peak memory: the largest resident set size sampled every 10 ms during the measured
  work, and the process's lifetime peak (``getrusage``).

The last line is ``drift: <s> s, scan floor: <s> s, ratio: <r>, peak <MB> MB``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bench.memory import PeakRSS
from core.db import profile_scan as profile_scan_db
from core.db import projects as projects_db
from core.db import synthetic as synthetic_db
from core.db.database import Database
from core.monitoring.drift import compute_drift
from core.monitoring.profile_store import get_profile, profile_dataset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per side")
    parser.add_argument("--repeat", type=int, default=1, help="best of N timings")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        store = Database(Path(tmp) / "bench.duckdb")
        pid = projects_db.create_project(store, "drift benchmark", "bench")
        t0 = time.perf_counter()
        ref_id, cur_id = synthetic_db.create_drift_benchmark(store, pid, args.rows, "bench")
        print(
            f"generated 2 x {args.rows:,} rows x 20 columns in {time.perf_counter() - t0:.1f} s"
        )

        scan = float("inf")
        for _ in range(args.repeat + 1):  # the first scan warms the buffer cache
            t0 = time.perf_counter()
            profile_scan_db.scan_floor(store, ref_id)
            profile_scan_db.scan_floor(store, cur_id)
            scan = min(scan, time.perf_counter() - t0)

        # a serving process has scipy loaded already; its one-off import (~0.5 s) is not drift
        t_imp = time.perf_counter()
        import scipy.stats  # noqa: F401

        print(f"one-off import of scipy.stats (not timed below): {time.perf_counter() - t_imp:.2f} s")
        with PeakRSS() as rss:
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            rp = profile_dataset(store, ref_id, actor="bench")
            t_ref = time.perf_counter() - t0
            t1 = time.perf_counter()
            cp = profile_dataset(store, cur_id, reference_profile_id=rp, actor="bench")
            t_cur = time.perf_counter() - t1
            t2 = time.perf_counter()
            report = compute_drift(get_profile(store, rp), get_profile(store, cp))
            t_drift = time.perf_counter() - t2
            total = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
        frame = report.dataset_frame()
        print(f"scan floor (count + sum of every column, both tables): {scan:.3f} s")
        print(
            f"CPU time of profile + drift, all threads (contention-free view): {cpu:.3f} s"
        )
        print(f"profile reference (grid + bins): {t_ref:.3f} s")
        print(f"profile current on the reference grid: {t_cur:.3f} s")
        print(
            f"drift of 20 columns from the profiles (incl. loading them): {t_drift:.3f} s"
        )
        drifted = report.to_frame().query("drifted == True")["column"].tolist()
        print(
            f"drifted columns: {len(drifted)} of {int(frame['computed'].iloc[0])}: {drifted}"
        )
        reuse = t_cur + t_drift
        print(
            f"with the stored reference profile reused: {reuse:.3f} s, ratio {reuse / scan:.1f}"
        )
        lifetime = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"peak RSS during profile + drift: {rss.peak:.0f} MB; process lifetime peak "
            f"(includes generating the data): {lifetime:.0f} MB"
        )
        store.close()
    print(
        f"drift: {total:.3f} s, scan floor: {scan:.3f} s, ratio: {total / scan:.1f}, "
        f"peak {rss.peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
