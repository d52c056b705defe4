"""Two runs compared slice by slice on the same cuts (did the action fix the slice?), and
which run to compare with by default."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analysis.columns import ColumnSpec, plan_columns
from core.analysis.source import SliceError, get_run, slice_columns, source_for_run
from core.analysis.table import compute_slice_metrics, shortfall
from core.db import training as training_db
from core.db.database import Database
from core.training import registry


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

    Columns: column, value, then size, the metric and a second error measure (error_rate,
    or the other of mae / rmse) suffixed ``_a`` and ``_b``, change and verdict. ``change``
    is positive when B is better (in the metric's direction).
    """
    src_a, src_b = source_for_run(store, run_a, part), source_for_run(store, run_b, part)
    if src_a.regression != src_b.regression:
        raise SliceError(
            "Run B is a "
            + ("regression" if src_b.regression else "classifier")
            + " and run A is not: compare runs of the same task (and target)."
        )
    if specs is None:
        specs = plan_columns(store, src_a).specs
    cols_b = {c for c, _ in slice_columns(store, src_b)}
    specs = [s for s in specs if s.column in cols_b]
    ta = compute_slice_metrics(store, src_a, specs, metric=metric, per_slice_hlp=False)
    tb = compute_slice_metrics(store, src_b, specs, metric=ta.metric, per_slice_hlp=False)
    second = "error_rate" if not src_a.regression else "rmse" if ta.metric == "mae" else "mae"
    keep = list(dict.fromkeys(["column", "value", "size", ta.metric, second]))
    a = ta.frame[keep].rename(columns={k: f"{k}_a" for k in keep[2:]})
    b = tb.frame[keep].rename(columns={k: f"{k}_b" for k in keep[2:]})
    out = a.merge(b, on=["column", "value"], how="outer")
    out = out[(out["size_a"].fillna(0) >= min_size) | (out["size_b"].fillna(0) >= min_size)]
    out["change"] = -shortfall(ta.metric, out[f"{ta.metric}_b"], out[f"{ta.metric}_a"])
    tol = 1e-12
    out["verdict"] = np.where(
        out["change"] > tol, "better", np.where(out["change"] < -tol, "worse", "same")
    )
    out.loc[out["change"].isna(), "verdict"] = "n/a"
    return out.sort_values("change", kind="stable", na_position="last").reset_index(drop=True)


def default_comparison_run(store: Database, run_id: int, candidates: list[int]) -> int | None:
    """The run to compare ``run_id`` with first: another top-level run (not a search trial
    nor a learning-curve rung) on the same split and target, among ``candidates`` — the
    challenger, else the champion, else the newest one. None when there is none.
    """
    run = get_run(store, run_id)
    peers = [
        r.id
        for r in training_db.list_runs(
            store, run.project_id, top_level=True, status="done", split_id=run.split_id
        )
        if r.id != run_id
        and r.id in candidates
        and r.run_type == "train"
        and r.target == run.target
    ]  # newest first
    for version in (
        registry.get_challenger(store, run.project_id),
        registry.get_champion(store, run.project_id),
    ):
        if version is not None and version.run_id in peers:
            return version.run_id
    return peers[0] if peers else None
