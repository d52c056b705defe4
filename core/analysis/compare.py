"""Two runs compared slice by slice on the same cuts (did the action fix the slice?)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analysis.columns import ColumnSpec, plan_columns
from core.analysis.source import slice_columns, source_for_run
from core.analysis.table import compute_slice_metrics, shortfall
from core.db.database import Database


def compare_runs(
    store: Database,
    run_a: int,
    run_b: int,
    part: str,
    specs: list[ColumnSpec] | None = None,
    *,
    metric: str | None = None,
    min_size: int = 1,
) -> pd.DataFrame:
    """Slice by slice, run B against run A on the same cuts: sizes, metrics, change, verdict.

    ``change`` is positive when B is better (in the metric's direction).
    """
    src_a, src_b = source_for_run(store, run_a, part), source_for_run(store, run_b, part)
    if specs is None:
        specs = plan_columns(store, src_a).specs
    cols_b = {c for c, _ in slice_columns(store, src_b)}
    specs = [s for s in specs if s.column in cols_b]
    ta = compute_slice_metrics(store, src_a, specs, metric=metric, per_slice_hlp=False)
    tb = compute_slice_metrics(store, src_b, specs, metric=ta.metric, per_slice_hlp=False)
    keep = [
        "column",
        "value",
        "size",
        "metric",
        "error_rate" if "error_rate" in ta.frame else "mae",
    ]
    a = ta.frame[keep].rename(columns={k: f"{k}_a" for k in keep[2:]})
    b = tb.frame[keep].rename(columns={k: f"{k}_b" for k in keep[2:]})
    out = a.merge(b, on=["column", "value"], how="outer")
    out = out[(out["size_a"].fillna(0) >= min_size) | (out["size_b"].fillna(0) >= min_size)]
    out["change"] = -shortfall(ta.metric, out["metric_b"], out["metric_a"])
    tol = 1e-12
    out["verdict"] = np.where(
        out["change"] > tol, "better", np.where(out["change"] < -tol, "worse", "same")
    )
    out.loc[out["change"].isna(), "verdict"] = "n/a"
    return out.sort_values("change", kind="stable", na_position="last").reset_index(drop=True)
