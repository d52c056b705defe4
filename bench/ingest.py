"""Data-stage benchmark: each step of loading and checking an N x 22 table beside a plain scan.

    python -m bench.ingest --rows 10000000 [--format parquet|csv]

Writes a generated table of ``--rows`` rows x 22 columns (15 float columns with some missing
values, 5 text columns -- one with inconsistent spellings --, an integer 0/1 ``target`` and
a float ``score``) to a temporary Parquet file (122,880-row groups) or CSV, chunk by chunk,
then measures in temporary stores, each step on its own:

* scan floor: ``count(*)`` and ``sum`` (numbers) or ``count`` (the rest) of every column of
  the ingested table (best of two, after a warm-up scan);
* ingest: ``core.data.ingest_path`` alone (sniffing, one ``CREATE TABLE AS``, the content
  hash and the catalog row in one transaction);
* load through the Data page: the page driven by Streamlit's AppTest -- the file named by
  path, "Load" clicked, until the page's script run is over (ingest, the quality report
  built right after, and the page's first render with it: columns, balance, splits);
* types + column profile: ``core.data.column_types`` on a freshly ingested dataset (types
  detected and stored from the column profile);
* quality report: ``core.data.build_report`` (profile, value counts, histograms, null bands,
  duplicates, spellings, stored report);
* stratified split: ``core.data.create_split`` stratified by ``target`` (planned and stored);
* peak memory: the largest resident set size of the process sampled every 5 ms during each
  step (DuckDB's buffer pool included; ``WORKBENCH_DUCKDB_MEMORY`` caps it).

The last line is ``ingest: <s> s, page: <s> s, types: <s> s, quality: <s> s, split: <s> s,
scan floor: <s> s, peak <MB> MB``. No test asserts these figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench.memory import PeakRSS
from core.db import profile_scan as profile_scan_db
from core.db import projects as projects_db
from core.db.database import Database

ROW_GROUP = 122_880  # DuckDB's own row-group size: both cores read a Parquet file
CITIES = np.array(["New York", "NY", "ny ", "Boston", "boston", "Chicago", "Denver"])
CITY_P = [0.3, 0.05, 0.02, 0.25, 0.03, 0.2, 0.15]


def _chunk(rng: np.random.Generator, n: int) -> pa.Table:
    """``n`` rows of the 22 columns."""
    cols: dict[str, Any] = {}
    for i in range(15):
        x = rng.normal(i * 10, 1 + i, n).round(3)
        cols[f"x{i:02d}"] = pa.array(x, mask=rng.random(n) < 0.01 * (i % 3))
    cols["city"] = rng.choice(CITIES, n, p=CITY_P)
    cols["channel"] = rng.choice(["web", "app", "phone", "agent"], n)
    cols["plan"] = rng.choice(["basic", "plus", "pro"], n)
    cols["region"] = np.char.add("R", rng.integers(0, 50, n).astype(str))
    cols["product"] = np.char.add("P-", rng.integers(0, 2000, n).astype(str))
    logit = cols["x00"].to_numpy(zero_copy_only=False) / 10 - 1.5 + rng.normal(0, 1, n)
    y = (logit > 0).astype(np.int64)
    cols["target"] = y
    cols["score"] = np.clip(1 / (1 + np.exp(-logit)) + rng.normal(0, 0.05, n), 0, 1).round(4)
    return pa.table(cols)


def write_table(path: Path, rows: int, fmt: str = "parquet", seed: int = 0) -> None:
    """The 22-column table written chunk by chunk (memory stays flat whatever ``rows``)."""
    rng = np.random.default_rng(seed)
    writer: Any = None
    for lo in range(0, rows, ROW_GROUP):
        table = _chunk(rng, min(ROW_GROUP, rows - lo))
        if writer is None:
            writer = (
                pq.ParquetWriter(str(path), table.schema)
                if fmt == "parquet"
                else pacsv.CSVWriter(str(path), table.schema)
            )
        if fmt == "parquet":
            writer.write_table(table, row_group_size=ROW_GROUP)
        else:
            writer.write_table(table)
    if writer is not None:
        writer.close()


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak RSS in MB) of one call."""
    with PeakRSS() as rss:
        t = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - t
    return result, seconds, rss.peak


def _scan_floor(store: Database, dataset_id: int) -> tuple[float, float]:
    """Best of two plain scans after a warm-up one, and the peak RSS meanwhile."""
    profile_scan_db.scan_floor(store, dataset_id)
    best, peak = float("inf"), 0.0
    for _ in range(2):
        _, s, p = _timed(lambda: profile_scan_db.scan_floor(store, dataset_id))
        best, peak = min(best, s), max(peak, p)
    return best, peak


def load_through_page(db_path: Path, file: Path) -> tuple[float, float, str]:
    """The Data page driven by AppTest: name the file by path, click Load, until ready.

    Returns (seconds, peak RSS in MB, a sentence on what the page showed).
    """
    from streamlit.testing.v1 import AppTest

    os.environ["WORKBENCH_DB"] = str(db_path)
    os.environ["WORKBENCH_SEED_DEMO"] = "0"
    store = Database(db_path)
    try:
        pid = projects_db.create_project(store, "bench page", "bench")
    finally:
        store.close()
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=3600)
    at.session_state["project_id"] = pid
    at.run()
    at.switch_page("pages/2_Data.py").run()
    at.text_input(key="data.path").set_value(str(file)).run()
    _, seconds, peak = _timed(lambda: at.button(key="data.load").click().run())
    if at.exception:
        raise RuntimeError(f"the Data page failed: {[e.value for e in at.exception]}")
    shown = "; ".join(m.value for m in at.success)[:160]
    import streamlit as st

    st.cache_resource.clear()  # closes the page's connection to the file
    return seconds, peak, shown


def _steps(store: Database, pid: int, file: Path) -> dict[str, tuple[float, float]]:
    """Ingest, types + profile, quality report and a stratified split, each timed alone."""
    from core.data import build_report, column_types, create_split, ingest_path

    out: dict[str, tuple[float, float]] = {}
    res, s, p = _timed(lambda: ingest_path(store, pid, file, name="bench", actor="bench"))
    out["ingest"] = (s, p)
    did = res.dataset_id
    out["scan floor"] = _scan_floor(store, did)
    _, s, p = _timed(lambda: column_types(store, did, "bench"))
    out["types + profile"] = (s, p)
    report, s, p = _timed(lambda: build_report(store, did, "bench"))
    out["quality report"] = (s, p)
    c = report.counts()
    print(
        f"  report: {len(report.issues)} findings, {c['exact_duplicates']:,} exact and "
        f"{c['near_duplicates']:,} near-duplicate rows, {len(report.spelling)} spelling group(s)"
    )
    _, s, p = _timed(
        lambda: create_split(
            store, pid, did, "bench_stratified", actor="bench", method="stratified",
            target="target",
        )
    )  # fmt: skip
    out["stratified split"] = (s, p)
    return out


def _print(steps: dict[str, tuple[float, float]]) -> None:
    floor, ingest = steps["scan floor"][0], steps["ingest"][0]
    print(f"{'step':<40} {'seconds':>8} {'x floor':>8} {'peak MB':>8}")
    for name, (s, p) in steps.items():
        extra = f"   ({s / ingest:.2f}x ingest)" if name.startswith("load through") else ""
        print(f"{name:<40} {s:8.2f} {s / floor:8.1f} {p:8.0f}{extra}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-page", action="store_true", help="skip the AppTest step")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="workbench_bench_") as tmp:
        file = Path(tmp) / f"bench.{args.format}"
        t = time.perf_counter()
        write_table(file, args.rows, args.format, args.seed)
        print(
            f"wrote {args.rows:,} rows x 22 columns as {args.format} "
            f"({file.stat().st_size / 2**20:,.0f} MB) in {time.perf_counter() - t:.1f} s"
        )
        memory = os.environ.get("WORKBENCH_DUCKDB_MEMORY")
        print(f"WORKBENCH_DUCKDB_MEMORY={memory or '(DuckDB default: 80% of RAM)'}")
        store = Database(Path(tmp) / "steps.duckdb")
        try:
            pid = projects_db.create_project(store, "bench", "bench")
            steps = _steps(store, pid, file)
        finally:
            store.close()
        if not args.skip_page:
            s, p, shown = load_through_page(Path(tmp) / "page.duckdb", file)
            steps["load through the Data page until ready"] = (s, p)
            print(f"  page: {shown}")
    _print(steps)
    get = {k: v[0] for k, v in steps.items()}
    page = get.get("load through the Data page until ready", float("nan"))
    print(
        f"ingest: {get['ingest']:.2f} s, page: {page:.2f} s, types: {get['types + profile']:.2f}"
        f" s, quality: {get['quality report']:.2f} s, split: {get['stratified split']:.2f} s, "
        f"scan floor: {get['scan floor']:.3f} s, peak {max(p for _, p in steps.values()):.0f} MB"
    )


if __name__ == "__main__":
    main()
