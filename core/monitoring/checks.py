"""The data checks of a monitoring run, each as rows of the long ``monitor_results`` table:
drift per column and window, input checks, schema changes, multivariate drift (a domain
classifier) and software metrics from the request log."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import profile_scan as profile_scan_db
from core.db.database import Database
from core.monitoring.drift import DriftReport
from core.monitoring.settings import MonitorSettings, window_starts
from core.monitoring.windows import Windowing, domain_groups

DRIFT_STATS = ("psi", "jensenshannon", "wasserstein", "ks", "chisquare", "mean_shift",
               "std_shift")


def result_row(kind: str, start: Any, column: str | None, metric: str, value: float,
               threshold: float | None = None, flagged: bool | None = None,
               note: str = "") -> dict:
    """One row of ``monitor_results`` (a missing value is stored as NaN)."""
    return {"kind": kind, "window_start": start, "column_name": column, "metric": metric,
            "value": float(value) if value is not None else np.nan,
            "threshold": threshold, "flagged": flagged, "note": note}


def _key(start: Any, window: str) -> Any:
    """A drift cell's window key: its period's start, else its window's label."""
    return window if start is None or (not isinstance(start, str) and pd.isna(start)) else start


def drift_rows(report: DriftReport) -> tuple[list[dict], pd.DataFrame]:
    """Per column and window: the method's verdict, then every statistic computed."""
    rows: list[dict] = []
    for c in report.columns:
        key = _key(c.window_start, c.window)
        rows.append(result_row("drift", key, c.column, "drift", c.statistic,
                               c.threshold, c.drifted,
                               f"{c.method}; {c.reason}" if c.reason else c.method))
        for metric in DRIFT_STATS:
            value = getattr(c, metric)
            if value == value:  # not NaN
                rows.append(result_row("drift_stat", key, c.column, metric, value))
    return rows, report.to_frame()


def input_rows(frame: pd.DataFrame, s: MonitorSettings) -> list[dict]:
    """Null rate above the reference's, values out of its range, unseen categories."""
    rows: list[dict] = []
    for _, c in frame.iterrows():  # one row per column and window: a few hundred at most
        start, col = _key(c["window_start"], c["window"]), c["column"]
        inc = c["null_rate_current"] - c["null_rate_reference"]
        if inc == inc:
            rows.append(result_row("input", start, col, "null_rate_increase", inc,
                                   s.null_rate_increase, bool(inc > s.null_rate_increase)))
        for metric, limit in (("out_of_range_share", s.out_of_range_max),
                              ("unseen_share", s.unseen_max)):
            v = c[metric]
            if v == v:
                rows.append(result_row("input", start, col, metric, v, limit, bool(v > limit)))
    return rows


def schema_changes(reference: list[tuple[str, str]], current: list[tuple[str, str]]) -> list[dict]:
    """Missing, extra and retyped columns of the current data against the reference.

    >>> schema_changes([("a", "DOUBLE"), ("b", "VARCHAR")], [("a", "VARCHAR"), ("c", "BIGINT")])
    [{'column': 'b', 'change': 'missing', 'detail': 'VARCHAR'}, {'column': 'c', 'change': 'extra', 'detail': 'BIGINT'}, {'column': 'a', 'change': 'type', 'detail': 'DOUBLE -> VARCHAR'}]
    """
    ref, cur = dict(reference), dict(current)
    out = [{"column": c, "change": "missing", "detail": t} for c, t in ref.items() if c not in cur]
    out += [{"column": c, "change": "extra", "detail": t} for c, t in cur.items() if c not in ref]
    out += [{"column": c, "change": "type", "detail": f"{ref[c]} -> {cur[c]}"}
            for c in ref if c in cur and ref[c] != cur[c]]
    return out


def schema_rows(reference: list[tuple[str, str]], current: list[tuple[str, str]]) -> list[dict]:
    """One row per schema change; a missing or retyped column is flagged, an extra one not."""
    return [result_row("schema", None, ch["column"], f"column_{ch['change']}", 1.0, None,
                       ch["change"] != "extra", ch["detail"])
            for ch in schema_changes(reference, current)]


def domain_rows(store: Database, ref_id: int, cur_id: int, shared: list[str], s: MonitorSettings,
                report: DriftReport, windowing: Windowing, n_rows: int) -> list[dict]:
    """Domain-classifier AUC per period on small seeded samples (multivariate drift):
    months of the time column, else the run's windows (consecutive ones grouped when there
    are many, :func:`core.monitoring.windows.domain_groups`)."""
    from core.monitoring.domain import domain_classifier_drift

    numeric_or_cat = [c for c in shared if c in {d.column for d in report.columns}]
    if not numeric_or_cat or s.domain_sample <= 0:
        return []
    ref = datasets_db.sample_rows(store, ref_id, s.domain_sample, numeric_or_cat, seed=s.seed)
    if windowing.is_time:
        if s.time_column is None:
            return []
        cur = datasets_db.dataset_frame(store, cur_id, [*numeric_or_cat, s.time_column])
        cur = cur[cur[s.time_column].notna()]
        periods = window_starts(cur[s.time_column], s.domain_window).to_numpy()
    else:
        cur = profile_scan_db.window_frame(store, cur_id, numeric_or_cat,
                                           row_window=windowing.rows,
                                           batch_column=windowing.column)
        keys = cur["__window"].map(lambda k: windowing.key(k, n_rows))
        groups = domain_groups([str(k) for k in dict.fromkeys(keys)])
        periods = keys.map(lambda k: groups.get(str(k), str(k))).to_numpy(dtype=object)
    rows = []
    for start, part in cur.groupby(periods, sort=windowing.is_time):
        if len(part) < 50:
            rows.append(result_row("multivariate", start, None, "domain_auc", np.nan, None, None,
                                   f"not computed: {len(part)} rows in the window"))
            continue
        sample = part.sample(min(len(part), s.domain_sample), random_state=s.seed)
        d = domain_classifier_drift(ref, sample[numeric_or_cat], folds=3, random_state=s.seed)
        rows.append(result_row("multivariate", start, None, "domain_auc", d.roc_auc,
                               d.threshold, d.drifted))
    return rows


def software_rows(store: Database, dataset_id: int, s: MonitorSettings, windowing: Windowing,
                  n_rows: int) -> list[dict]:
    """Requests, throughput, error rate and availability per window; latency percentiles
    when the log has a latency column. Availability and p95 latency are flagged.
    Throughput needs time windows."""
    if windowing.is_time and s.time_column is None:
        return []
    frame = profile_scan_db.window_software_metrics(
        store, dataset_id, s.time_column if windowing.is_time else None, str(s.window),
        s.latency_column, s.status_column, row_window=windowing.rows,
        batch_column=windowing.column,
    )
    rows: list[dict] = []
    for _, w in frame.iterrows():
        start = (w["window_start"] if windowing.is_time
                 else windowing.key(w["window_start"], n_rows))
        rows.append(result_row("software", start, None, "requests", w["requests"]))
        if windowing.is_time:
            rows.append(result_row("software", start, None, "throughput_rps",
                                   w["throughput_rps"]))
        rows += [
            result_row("software", start, None, "error_rate", w["error_rate"]),
            result_row("software", start, None, "availability", w["availability"],
                       s.min_availability, _below(w["availability"], s.min_availability)),
        ]
        if s.latency_column:
            rows += [
                result_row("software", start, None, "latency_p50_ms", w["latency_p50_ms"]),
                result_row("software", start, None, "latency_p95_ms", w["latency_p95_ms"],
                           s.p95_latency_ms, _above(w["latency_p95_ms"], s.p95_latency_ms)),
                result_row("software", start, None, "latency_p99_ms", w["latency_p99_ms"]),
            ]
    return rows


def _below(value: float, limit: float | None) -> bool:
    return bool(limit is not None and value < limit)


def _above(value: float, limit: float | None) -> bool:
    return bool(limit is not None and value > limit)
