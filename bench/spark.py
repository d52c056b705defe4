"""Spark benchmark: the same generated Parquet profiled by DuckDB and by Spark local mode.

    python -m bench.spark --rows 1000000

Writes a reference (200,000 rows) and a current dataset of ``--rows`` rows (8 numeric
columns, 1 % of them missing, 2 categorical columns of 12 and 300 values, a timestamp over
six months) as Parquet in 122,880-row groups: one file for DuckDB, the same rows in files
of 500,000 rows for Spark. The reference is ingested and profiled once (its grid). Then, in this order:

* Spark: the session's start (once per job, reported apart), then the profile of the
  Parquet directory on the reference's grid, weekly windows;
* DuckDB: ingesting the current file (the workbench profiles stored tables) and its
  profile on the same grid and windows;
* the two profiles compared row by row (``core.monitoring.spark.profile_differences``:
  counts exact, sums to 1e-12 relative);
* peak memory: the workbench (Python) process during each phase, sampled every 5 ms, and
  the Spark JVM (a child process in local mode).

The last line is ``spark: <s> s, duckdb: <s> s (+ ingest <s> s), ratio: <r>, equal: <bool>``.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from bench.memory import PeakRSS
from core.data.ingest import ingest_path
from core.db import projects as projects_db
from core.db.database import Database
from core.monitoring import spark as sp
from core.monitoring.profile_store import get_profile, profile_dataset

CHUNK = 500_000
ROW_GROUP = 122_880


def _chunk(rng: np.random.Generator, n: int, start: int, rows: int, shift: float) -> pa.Table:
    cols: dict[str, np.ndarray] = {}
    for i in range(8):
        x = (rng.normal(shift * (i % 2), 1 + i / 4, n) if i < 4
             else rng.lognormal(0.1 * i + shift * (i % 2), 0.5, n) if i < 6
             else rng.integers(0, 50 + i * 100, n).astype(float))
        x[rng.random(n) < 0.01] = np.nan
        cols[f"m{i}"] = x
    p = np.linspace(1, 2 + shift, 12)
    cols["c0"] = rng.choice([f"k{j}" for j in range(12)], n, p=p / p.sum())
    cols["c1"] = np.char.add("v", rng.zipf(1.6, n).clip(1, 300).astype(str))
    # six months of timestamps, in order, whatever the row count
    seconds = (np.arange(start, start + n) * (182 * 86_400 / max(rows, 1))).astype("int64")
    cols["at"] = pd.Timestamp("2025-01-06").to_datetime64() + seconds.astype("timedelta64[s]")
    return pa.table({k: pa.array(v) for k, v in cols.items()}).cast(pa.schema(
        [(k, pa.timestamp("us") if k == "at" else pa.float64() if k.startswith("m")
          else pa.string()) for k in cols]))


def write_parquet(path: Path, rows: int, seed: int, shift: float, parts: Path | None = None
                  ) -> None:
    """``rows`` generated rows as one Parquet file, and the same rows in ``parts`` (a
    directory of one file per chunk of CHUNK rows) when given."""
    rng = np.random.default_rng(seed)
    if parts is not None:
        parts.mkdir()
    with pq.ParquetWriter(path, _chunk(rng, 1, 0, 1, shift).schema) as w:
        for start in range(0, rows, CHUNK):
            t = _chunk(rng, min(CHUNK, rows - start), start, rows, shift)
            w.write_table(t, row_group_size=ROW_GROUP)
            if parts is not None:
                pq.write_table(t, parts / f"part-{start // CHUNK:04d}.parquet",
                               row_group_size=ROW_GROUP)


class ChildPeak:
    """The largest resident memory of this process's children (the Spark JVM), in MB."""

    def __init__(self) -> None:
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            try:
                rss = sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            self.peak = max(self.peak, rss / 2**20)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the current data")
    ap.add_argument("--driver-memory", default="2g", help="Spark driver memory (local mode)")
    args = ap.parse_args(argv)
    reason = sp.spark_missing()
    if reason:
        raise SystemExit(f"bench.spark needs Spark: {reason}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        write_parquet(root / "ref.parquet", 200_000, 1, 0.0)
        write_parquet(root / "cur.parquet", args.rows, 2, 0.3, parts=root / "lake")
        size = sum(f.stat().st_size for f in (root / "lake").iterdir()) / 2**20
        print(f"generated {args.rows:,} rows x 11 columns ({size:.0f} MB of Parquet) "
              f"in {time.perf_counter() - t0:.1f} s")
        store = Database(root / "bench.duckdb")
        pid = projects_db.create_project(store, "spark benchmark", "bench")
        ref_id = ingest_path(store, pid, root / "ref.parquet", name="ref", actor="b").dataset_id
        ref_pid = profile_dataset(store, ref_id)
        spec = get_profile(store, ref_pid).spec
        windows = {"time_column": "at", "window": "1 week"}
        _compare(args, root, store, pid, ref_pid, spec, windows)
        store.close()


def _compare(args: argparse.Namespace, root: Path, store: Database, pid: int, ref_pid: int,
             spec: dict, windows: dict) -> None:
    jvm = ChildPeak()
    with PeakRSS() as mem_spark:
        t0 = time.perf_counter()
        session = sp.spark_session(driver_memory=args.driver_memory, app_name="bench")
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        on_spark = sp.profile_spark(sp.read_parquet(session, str(root / "lake")), spec,
                                    reference_profile_id=ref_pid, **windows)
        t_spark = time.perf_counter() - t0
    jvm_peak = jvm.stop()
    session.stop()
    with PeakRSS() as mem_duck:
        t0 = time.perf_counter()
        cur_id = ingest_path(store, pid, root / "cur.parquet", name="cur", actor="b",
                             role="production").dataset_id
        t_ingest = time.perf_counter() - t0
        t0 = time.perf_counter()
        duck = get_profile(store, profile_dataset(store, cur_id, reference_profile_id=ref_pid,
                                                  **windows))
        t_duck = time.perf_counter() - t0
    diff = sp.profile_differences(duck, on_spark, rel=1e-12)
    from core.monitoring.spark_job import write_profile_rows

    size = write_profile_rows(on_spark, {"format": "bench"}, str(root / "rows.parquet"))
    print(f"what comes back: the profile rows, {size / 2**20:.1f} MB of Parquet")
    rows = sum(len(c.bin_keys) + len(c.categories) for c in on_spark.columns)
    print(f"profile: {len(on_spark.windows)} weekly windows x {len(spec)} columns, "
          f"{len(on_spark.columns)} column profiles, {rows:,} bin/category entries")
    print(f"spark session start: {t_start:.1f} s (once per job)")
    print(f"peak memory: workbench process {mem_spark.peak:.0f} MB during Spark "
          f"(JVM {jvm_peak:.0f} MB), {mem_duck.peak:.0f} MB during DuckDB ingest + profile")
    for line in diff[:5]:
        print(f"  differs: {line}")
    print(f"spark: {t_spark:.1f} s, duckdb: {t_duck:.1f} s (+ ingest {t_ingest:.1f} s), "
          f"ratio: {t_spark / t_duck:.1f}, equal: {not diff}")


if __name__ == "__main__":
    main()
