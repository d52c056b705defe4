"""Slice-discovery benchmark: the same generated predictions searched by DuckDB and by Spark
local mode.

    python -m bench.spark_slices --rows 1000000

Generates ``--rows`` classifier predictions (4 categorical columns of 3 to 12 values, 4
numeric columns cut into quartiles, 2 % of them missing, a planted three-predicate slice of
0.5 % of the rows with a high error rate) as Parquet, plans the cuts once (DuckDB, as the
page does), then searches with SliceLine (alpha 0.95, minimum support 1 %, top 10, up to
three predicates): on DuckDB from the rows in memory, and on Spark reading the Parquet in
place (after the session's start, reported apart). The two results are compared exactly
(keys, sizes, errors, scores). The last line is ``spark: <s> s, duckdb: <s> s, ratio: <r>,
equal: <bool>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from core import analysis as S
from core.analysis.spark_slices import discover_slices_spark
from core.db.database import Database
from core.monitoring import spark as sp


def predictions(rows: int, seed: int = 0) -> pd.DataFrame:
    """Generated predictions with a planted slice (see the module doc)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"c{i}": rng.integers(0, 3 + 3 * i, rows).astype(str) for i in range(4)})
    for i in range(4):
        x = rng.lognormal(i / 2, 1, rows)
        x[rng.random(rows) < 0.02] = np.nan
        df[f"m{i}"] = x
    planted = (df["c0"] == "1") & (df["c2"] == "4") & (df["m1"] > np.nanquantile(df["m1"], 0.75))
    y = rng.integers(0, 2, rows)
    p_err = np.where(planted, 0.6, 0.08)
    df["y_true"] = y.astype(str)
    df["y_pred"] = np.where(rng.random(rows) < p_err, 1 - y, y).astype(str)
    return df


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of predictions")
    ap.add_argument("--driver-memory", default="2g", help="Spark driver memory (local mode)")
    args = ap.parse_args(argv)
    search = {"alpha": 0.95, "min_support": 0.01, "top_k": 10, "max_level": 3}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = S.frame_source(predictions(args.rows), positive_class="1")
        pq.write_table(src.frame, root / "predictions.parquet", row_group_size=122_880)
        store = Database(root / "bench.duckdb")
        plan = S.plan_columns(store, src)
        t0 = time.perf_counter()
        duck = S.discover_slices(store, src, plan.specs, **search)
        t_duck = time.perf_counter() - t0
        t0 = time.perf_counter()
        spark = sp.spark_session(driver_memory=args.driver_memory, app_name="bench-slices")
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = discover_slices_spark(sp.read_parquet(spark, str(root / "predictions.parquet")),
                                      plan.specs, regression=False, **search)
        t_spark = time.perf_counter() - t0
        spark.stop()
        store.close()
    equal = duck.slices.equals(found.slices) and duck.stats["evaluated"] == found.stats[
        "evaluated"]
    print(f"rows: {args.rows:,}, columns: {len(plan.specs)}, slices evaluated: "
          f"{int(found.stats['evaluated']):,}, kept: {len(found.slices)}")
    print(f"top slice: {found.slices['label'].iloc[0] if len(found.slices) else '-'}")
    print(f"spark session start: {t_start:.1f} s")
    print(f"spark: {t_spark:.1f} s, duckdb: {t_duck:.1f} s, ratio: {t_spark / t_duck:.1f}, "
          f"equal: {equal}")


if __name__ == "__main__":
    main()
