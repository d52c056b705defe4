"""Monitoring: check a production dataset against the reference, window by window, and alert.

DESIGN
------
One monitoring run (``run_monitoring``) reads a reference dataset (the training data) and a
current dataset (a production stream with a time column) and stores, per time window:

* data drift per column from mergeable profiles (``core.monitoring.profiles`` / ``core.monitoring.drift``; the
  reference is profiled once and its stored profile reused), multivariate drift from a
  domain classifier on samples;
* input checks: null rate against the reference, values outside the reference range,
  unseen categories, schema changes (missing, extra or retyped columns);
* with a model version: output checks (score distribution PSI against the reference,
  share of low-confidence predictions sent to the human fallback), realized performance
  where labels have arrived, CBPE-estimated performance everywhere (``core.monitoring.performance``),
  and the Page-Hinkley, DDM and ADWIN detectors on the stream of errors;
* software metrics from the request log (latency p50/p95/p99, throughput, error rate,
  availability) and the workbench's own memory and CPU time while computing.

Everything goes into one long ``monitor_results`` table (kind, window, column, metric, value,
threshold, flagged). Alert policies then combine the per-window signals; thresholds default
to the scoping contract. Each policy's alert count on the stream is kept in the run summary,
so a team sees how many alarms a naive policy would have raised.

A command-line entry runs the same code without a browser::

    python -m core.monitor --project "Claims triage (demo)" --current batch.parquet
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import projects as projects_db
from core.db import scans as scans_db
from core.db import training as training_db
from core.db.database import Database
from core.errors import StoreError
from core.projects import ColumnRoles, column_roles

Progress = Callable[[float, str], None]
WINDOWS = {"day": "1 day", "week": "1 week", "month": "1 month"}
ALL = "all"


class MonitorError(StoreError):
    """A monitoring run cannot start; the message says what to change."""


def _no_progress(fraction: float, message: str) -> None:
    pass


@dataclass(frozen=True)
class MonitorSettings:
    """What a monitoring run checks and its thresholds (None: from the scoping contract)."""

    time_column: str | None = None  # None: the project's time column role
    window: str = "week"
    latency_column: str | None = None  # None: the project's latency column role
    status_column: str | None = None  # None: the project's status column role
    label_column: str | None = None  # default: the project's target role, else the run's
    fallback_confidence: float = 0.7  # max(p, 1 - p) below this goes to a human
    fallback_share_max: float = 0.35
    null_rate_increase: float = 0.05
    out_of_range_max: float = 0.05
    unseen_max: float = 0.01
    output_psi_max: float = 0.2
    top_k: int = 5
    persistence: int = 2  # consecutive windows a combined policy needs
    min_labels: int = 100  # realized metrics need this many labelled rows in a window
    primary_metric: str | None = None
    primary_floor: float | None = None
    p95_latency_ms: float | None = None
    min_availability: float | None = None
    drift_methods: dict[str, Any] | None = None
    domain_sample: int = 600
    domain_window: str = "month"  # the domain classifier is costlier: coarser windows
    seed: int = 0


@dataclass(frozen=True)
class Policy:
    name: str
    severity: str
    description: str
    enabled: bool = True


POLICIES = (
    Policy("decay confirmed", "high",
           "Realized primary metric below its floor for `persistence` windows (labels arrived)."),
    Policy("drift and estimated decay", "high",
           "Drift on a top-k feature AND estimated primary metric below its floor, "
           "for `persistence` windows."),
    Policy("service level", "high", "p95 latency above budget or availability below minimum."),
    Policy("input checks", "medium",
           "Unseen categories, values out of the reference range, or more nulls than the reference."),
    Policy("error-stream detector", "medium",
           "At least two of Page-Hinkley, DDM and ADWIN detected a change in the model's "
           "error rate within the same window."),
    Policy("any drifted column (naive)", "low",
           "Any column drifted in the window: counted for comparison, not alerted.", enabled=False),
    Policy("estimated decay only (naive)", "low",
           "Estimated primary metric below floor in one window: counted, not alerted.",
           enabled=False),
)


DECAY_POLICIES = ("decay confirmed", "drift and estimated decay", "error-stream detector")


@dataclass(frozen=True)
class MonitorResult:
    run_id: int
    summary: dict[str, Any]
    results: pd.DataFrame = field(repr=False)
    alerts: pd.DataFrame = field(repr=False)


# ----------------------------------------------------------------------------- helpers
def _contract_defaults(store: Database, project_id: int, s: MonitorSettings) -> MonitorSettings:
    """Fill thresholds the user left empty from the scoping contract, else house defaults."""
    from dataclasses import replace

    try:
        from core.scoping import get_contract

        c = get_contract(store, project_id)
    except Exception:  # a project without a brief still gets monitored
        c = None
    metric = s.primary_metric or (c.primary.name if c and c.primary else None) or "accuracy"
    floor = s.primary_floor
    if floor is None:
        floor = c.primary.target if c and c.primary and c.primary.name == metric else None
    return replace(
        s,
        primary_metric=metric,
        primary_floor=floor,
        p95_latency_ms=s.p95_latency_ms or (c.p95_latency_ms if c else None) or 250.0,
        min_availability=s.min_availability or (c.min_availability if c else None) or 0.99,
    )


def _positive_scores(model: Any, frame: pd.DataFrame, positive: str | None) -> np.ndarray:
    proba = model.predict_proba(frame)
    classes = [str(c) for c in getattr(model, "classes_", range(proba.shape[1]))]
    idx = classes.index(str(positive)) if positive is not None and str(positive) in classes else -1
    return proba[:, idx]


def _binary_labels(values: pd.Series, positive: str | None) -> np.ndarray:
    """1.0 / 0.0 where a label is present, NaN where it has not arrived."""
    out = np.full(len(values), np.nan)
    known = values.notna().to_numpy()
    as_text = values[known].astype(str).str.replace(r"\.0$", "", regex=True)
    out[known] = (as_text == str(positive if positive is not None else "1")).to_numpy(float)
    return out


def feature_importance(frame: pd.DataFrame, scores: np.ndarray, features: list[str]) -> pd.Series:
    """How strongly each feature moves the model's score (|Spearman| or correlation ratio).

    Used to pick the top-k features whose drift matters; cheap and model-agnostic.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    >>> feature_importance(f, f["a"].to_numpy() * 3, ["a", "b"]).idxmax()
    'a'
    """
    out = {}
    s = pd.Series(scores, index=frame.index)
    for col in features:
        x = frame[col]
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            out[col] = abs(x.corr(s, method="spearman")) if x.notna().sum() > 2 else 0.0
        else:
            g = s.groupby(x.astype("string").fillna("(null)"))
            between = (g.count() * (g.mean() - s.mean()) ** 2).sum()
            total = ((s - s.mean()) ** 2).sum()
            out[col] = float(np.sqrt(between / total)) if total > 0 else 0.0
    return pd.Series(out).fillna(0.0).sort_values(ascending=False)


def _hist_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    from core.monitoring.drift import psi

    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    return psi(np.histogram(reference, edges)[0], np.histogram(current, edges)[0])


def _rows(kind: str, start: Any, column: str | None, metric: str, value: float,
          threshold: float | None = None, flagged: bool | None = None, note: str = "") -> dict:
    return {"kind": kind, "window_start": start, "column_name": column, "metric": metric,
            "value": float(value) if value is not None else np.nan,
            "threshold": threshold, "flagged": flagged, "note": note}


# ------------------------------------------------------------------------------ checks
def _drift_rows(report: Any) -> tuple[list[dict], pd.DataFrame]:
    frame = report.to_frame()
    rows: list[dict] = []
    for c in report.columns:
        rows.append(_rows("drift", c.window_start, c.column, "drift", c.statistic, c.threshold,
                          c.drifted, f"{c.method}; {c.reason}" if c.reason else c.method))
        for metric in ("psi", "jensenshannon", "wasserstein", "ks", "chisquare",
                       "mean_shift", "std_shift"):
            value = getattr(c, metric)
            if value == value:  # not NaN
                rows.append(_rows("drift_stat", c.window_start, c.column, metric, value))
    return rows, frame


def _input_rows(frame: pd.DataFrame, s: MonitorSettings) -> list[dict]:
    rows: list[dict] = []
    for _, c in frame.iterrows():  # one row per column and window: a few hundred at most
        start, col = c["window_start"], c["column"]
        inc = c["null_rate_current"] - c["null_rate_reference"]
        if inc == inc:
            rows.append(_rows("input", start, col, "null_rate_increase", inc,
                              s.null_rate_increase, bool(inc > s.null_rate_increase)))
        if c["out_of_range_share"] == c["out_of_range_share"]:
            v = c["out_of_range_share"]
            rows.append(_rows("input", start, col, "out_of_range_share", v, s.out_of_range_max,
                              bool(v > s.out_of_range_max)))
        if c["unseen_share"] == c["unseen_share"]:
            v = c["unseen_share"]
            rows.append(_rows("input", start, col, "unseen_share", v, s.unseen_max,
                              bool(v > s.unseen_max)))
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


def _model_rows(
    store: Database, s: MonitorSettings, current: pd.DataFrame, ref_sample: pd.DataFrame,
    model: Any, run: Any, windows: pd.Series,
) -> tuple[list[dict], pd.Series, dict[str, Any]]:
    """Output checks, realized and estimated performance, and detectors on the error stream."""
    from core.monitoring.detectors import ADWIN, DDM, PageHinkley
    from core.monitoring.performance import estimate_performance, realized_performance

    features = list(run.features)
    # the run's decision threshold (tuned on dev, e.g. to meet the recall target), else 0.5
    cut = float((run.params or {}).get("decision_threshold") or 0.5)
    scores = _positive_scores(model, current[features], run.positive_class)
    ref_scores = _positive_scores(model, ref_sample[features], run.positive_class)
    label_col = s.label_column
    y = (_binary_labels(current[label_col], run.positive_class)
         if label_col and label_col in current.columns else np.full(len(current), np.nan))
    importance = feature_importance(ref_sample, ref_scores, features)
    calibration, cal_part = reference_calibration(store, run)
    rows: list[dict] = []
    metric = s.primary_metric or "accuracy"
    for start, idx in pd.Series(np.arange(len(current))).groupby(windows.to_numpy()):
        p, yy = scores[idx.to_numpy()], y[idx.to_numpy()]
        conf = np.maximum(p, 1 - p)
        fallback = float(np.mean(conf < s.fallback_confidence))
        rows += [
            _rows("output", start, None, "mean_score", float(np.mean(p))),
            _rows("output", start, None, "positive_share", float(np.mean(p >= cut))),
            _rows("output", start, None, "score_psi", _hist_psi(ref_scores, p), s.output_psi_max,
                  bool(_hist_psi(ref_scores, p) > s.output_psi_max)),
            _rows("output", start, None, "fallback_share", fallback, s.fallback_share_max,
                  bool(fallback > s.fallback_share_max)),
        ]
        est = estimate_performance(calibration.apply(p), threshold=cut, model_scores=p,
                                   seed=s.seed)
        for m in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            flag = (bool(est[m] < s.primary_floor) if m == metric and s.primary_floor is not None
                    and est[m] == est[m] else None)
            rows.append(_rows("performance", start, None, f"estimated_{m}", est[m],
                              s.primary_floor if m == metric else None, flag))
            rows += [_rows("performance", start, None, f"estimated_{m}_{side}", est[f"{m}_{side}"])
                     for side in ("low", "high")]
        n_labels = int(np.sum(~np.isnan(yy)))
        rows.append(_rows("performance", start, None, "labelled_rows", n_labels))
        if n_labels >= s.min_labels:
            real = realized_performance(yy, p, threshold=cut)
            for m in ("accuracy", "precision", "recall", "f1", "roc_auc"):
                flag = (bool(real[m] < s.primary_floor) if m == metric and s.primary_floor
                        is not None and real[m] == real[m] else None)
                rows.append(_rows("performance", start, None, f"realized_{m}", real[m],
                                  s.primary_floor if m == metric else None, flag))
    # detectors on the error stream of labelled rows; ``current`` is sorted by time
    known = ~np.isnan(y)
    errors = ((scores[known] >= cut).astype(float) != y[known]).astype(float)
    times = current.loc[known, s.time_column].to_numpy()
    win_known = windows.to_numpy()[known]
    detections: dict[str, list[str]] = {}
    for det in (PageHinkley(), DDM(), ADWIN()):
        name = type(det).__name__
        hits = []
        for i, e in enumerate(errors):
            det.update(float(e))
            if det.drift_detected:
                hits.append(i)
        detections[name] = [str(pd.Timestamp(times[i])) for i in hits]
        for i in hits:
            rows.append(_rows("detector", win_known[i], None, name, float(i), None, True,
                              f"detected at {pd.Timestamp(times[i]):%Y-%m-%d %H:%M}"))
    extra = {"top_features": importance.head(s.top_k).index.tolist(),
             "importance": importance.round(4).to_dict(), "detections": detections,
             "label_column": label_col, "decision_threshold": cut,
             "calibration": {**calibration.to_dict(), "part": cal_part}}
    return rows, importance, extra


def reference_calibration(store: Database, run: Any) -> tuple[Any, str | None]:
    """Isotonic calibration of the model's scores on its run's held-out rows (test, else
    dev), as NannyML's CBPE calibrates on its labelled reference; none when it would not
    help or the run has no held-out predictions of a binary target."""
    from core.monitoring.performance import NO_CALIBRATION, fit_calibration

    if run.positive_class is None:
        return NO_CALIBRATION, None
    for part in ("test", "dev"):
        preds = training_db.run_predictions(store, run.id, [part])
        if len(preds) and preds["score"].notna().all():
            y = (preds["y_true"].astype(str) == str(run.positive_class)).to_numpy(float)
            return fit_calibration(y, preds["score"].to_numpy(float)), part
    return NO_CALIBRATION, None


def _software_rows(store: Database, dataset_id: int, s: MonitorSettings) -> list[dict]:
    frame = scans_db.window_software_metrics(
        store, dataset_id, s.time_column, s.window, s.latency_column, s.status_column
    )
    rows: list[dict] = []
    for _, w in frame.iterrows():
        start = w["window_start"]
        rows += [
            _rows("software", start, None, "requests", w["requests"]),
            _rows("software", start, None, "throughput_rps", w["throughput_rps"]),
            _rows("software", start, None, "error_rate", w["error_rate"]),
            _rows("software", start, None, "availability", w["availability"],
                  s.min_availability, bool(w["availability"] < s.min_availability)),
        ]
        if s.latency_column:
            rows += [
                _rows("software", start, None, "latency_p50_ms", w["latency_p50_ms"]),
                _rows("software", start, None, "latency_p95_ms", w["latency_p95_ms"],
                      s.p95_latency_ms, bool(w["latency_p95_ms"] > s.p95_latency_ms)),
                _rows("software", start, None, "latency_p99_ms", w["latency_p99_ms"]),
            ]
    return rows


# ------------------------------------------------------------------------------ alerts
def _persistent(flags: pd.Series, k: int) -> pd.Series:
    """True where the flag held for the last ``k`` windows in a row."""
    return flags.astype(int).rolling(k, min_periods=k).sum().fillna(0).ge(k)


def _rising(flags: pd.Series) -> pd.Series:
    """True at the first window of each run of True (one alert per episode, not per window)."""
    return flags & ~flags.shift(1, fill_value=False)


def evaluate_policies(results: pd.DataFrame, s: MonitorSettings, top_features: list[str]
                      ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Combine per-window signals into alerts; returns the alerts and each policy's count."""
    r = results[results["window_start"].notna()].copy()
    r["window_start"] = pd.to_datetime(r["window_start"])  # one type, or windows split in two
    # the monthly domain-classifier periods are not monitoring windows: keep them out of the
    # sequence, or "two windows in a row" would see gaps that are not there
    r = r[r["kind"] != "multivariate"]
    windows = sorted(r["window_start"].unique())
    idx = pd.Index(windows)

    def signal(mask: pd.Series) -> pd.Series:
        hit = r[mask].groupby("window_start").size()
        return pd.Series(idx.isin(hit.index), index=idx)

    flagged = r["flagged"].fillna(False).astype(bool)
    metric = s.primary_metric
    drift_any = signal((r["kind"] == "drift") & flagged)
    drift_top = signal((r["kind"] == "drift") & flagged & r["column_name"].isin(top_features))
    est_low = signal((r["metric"] == f"estimated_{metric}") & flagged)
    real_low = signal((r["metric"] == f"realized_{metric}") & flagged)
    service = signal((r["kind"] == "software") & flagged)
    inputs = signal((r["kind"] == "input") & flagged)
    # a detector alone is noisy: alert when at least two of the three agree within a window
    det = r[r["kind"] == "detector"].groupby("window_start")["metric"].nunique()
    detector = pd.Series(idx.isin(det[det >= 2].index), index=idx)
    k = s.persistence
    rules = {
        "decay confirmed": _rising(_persistent(real_low, k)),
        "drift and estimated decay": _rising(_persistent(drift_top & est_low, k)),
        "service level": _rising(service),
        "input checks": _rising(inputs),
        "error-stream detector": _rising(detector),
        "any drifted column (naive)": drift_any,
        "estimated decay only (naive)": est_low,
    }
    counts = {name: int(rule.sum()) for name, rule in rules.items()}
    alerts = []
    for policy in POLICIES:
        if not policy.enabled:
            continue
        for start in rules[policy.name][rules[policy.name]].index:
            w = r[r["window_start"] == start]
            alerts.append(_alert(policy, start, w, s, metric, top_features))
    return pd.DataFrame(alerts), counts


def _alert(policy: Policy, start: Any, w: pd.DataFrame, s: MonitorSettings, metric: str | None,
           top: list[str]) -> dict:
    day = pd.Timestamp(start).strftime("%Y-%m-%d")
    flagged = w[w["flagged"].fillna(False).astype(bool)]
    if policy.name == "decay confirmed":
        row = w[w["metric"] == f"realized_{metric}"].iloc[0]
        msg = (f"Realized {metric} {row['value']:.3f} below floor {s.primary_floor:.3f} for "
               f"{s.persistence} windows up to the week of {day}: the model decays (concept drift?).")
        return _alert_row(policy, start, "realized_" + str(metric), None, row, msg)
    if policy.name == "drift and estimated decay":
        cols = sorted(set(flagged[(flagged["kind"] == "drift")]["column_name"]) & set(top))
        row = w[w["metric"] == f"estimated_{metric}"].iloc[0]
        msg = (f"Top features drifted ({', '.join(cols)}) and estimated {metric} "
               f"{row['value']:.3f} is below {s.primary_floor:.3f} for {s.persistence} windows "
               f"up to {day}.")
        return _alert_row(policy, start, "estimated_" + str(metric), ", ".join(cols), row, msg)
    if policy.name == "error-stream detector":
        d = w[w["kind"] == "detector"].drop_duplicates("metric")
        row = d.iloc[0]
        msg = ("Change in the error rate: " + "; ".join(
            f"{m} {n}" for m, n in d[["metric", "note"]].itertuples(index=False)) + ".")
        return _alert_row(policy, start, str(row["metric"]), None, row, msg)
    kind = "software" if policy.name == "service level" else "input"
    row = flagged[flagged["kind"] == kind].iloc[0]
    others = flagged[flagged["kind"] == kind]
    what = "; ".join(
        (f"{m} {v:.2%}" if m in ("availability", "error_rate") or m.endswith("share")
         else f"{m} {v:.3g}") + (f" on {c}" if isinstance(c, str) else "")
        for m, v, c in others[["metric", "value", "column_name"]].head(4).itertuples(index=False)
    )
    msg = f"Week of {day}: {what}."
    return _alert_row(policy, start, str(row["metric"]), row["column_name"], row, msg)


def _alert_row(policy: Policy, start: Any, check: str, column: Any, row: pd.Series, msg: str
               ) -> dict:
    return {"window_start": start, "check_name": check,
            "column_name": column if isinstance(column, str) else None,
            "value": row["value"], "threshold": row["threshold"], "severity": policy.severity,
            "policy": policy.name, "message": msg}


# --------------------------------------------------------------------------------- run
def run_monitoring(
    store: Database,
    project_id: int,
    *,
    reference_dataset_id: int,
    current_dataset_id: int,
    model_version_id: int | None = None,
    settings: MonitorSettings | None = None,
    actor: str,
    progress: Progress = _no_progress,
    source: str = "page",
) -> MonitorResult:
    """Profile, check and alert; store everything as one monitoring run."""
    from dataclasses import replace

    import psutil

    from core.monitoring import drift, profiles

    t0, cpu0 = time.perf_counter(), time.process_time()
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    s = _contract_defaults(store, project_id, settings or MonitorSettings())
    s = _with_column_roles(s, column_roles(store, project_id))
    if s.window not in WINDOWS:
        raise MonitorError(f"Unknown window {s.window!r}: use day, week or month.")
    ref_ds, cur_ds = datasets_db.get_dataset(store, reference_dataset_id), datasets_db.get_dataset(store, current_dataset_id)
    if ref_ds is None or cur_ds is None:
        raise MonitorError("Pick a reference and a current dataset of this project.")
    if cur_ds.n_rows == 0:
        raise MonitorError(f"The current dataset {cur_ds.name!r} is empty: nothing to monitor.")
    ref_schema, cur_schema = datasets_db.dataset_schema(store, ref_ds.id), datasets_db.dataset_schema(store, cur_ds.id)
    cur_cols = dict(cur_schema)
    if not s.time_column:
        raise MonitorError(
            "No time column is set: pick the current dataset's timestamp column (or set the "
            "project's time column on the Overview page); monitoring compares time windows."
        )
    if s.time_column not in cur_cols:
        raise MonitorError(
            f"The current dataset has no column {s.time_column!r}; pick its timestamp column "
            "(monitoring compares time windows)."
        )
    if "TIMESTAMP" not in cur_cols[s.time_column].upper() and "DATE" not in cur_cols[
            s.time_column].upper():
        raise MonitorError(f"The column {s.time_column!r} holds {cur_cols[s.time_column]}, not "
                           "timestamps; pick a date or time column.")
    s = _drop_missing_log_columns(s, cur_cols)
    run = model = None
    if model_version_id is not None:
        from core import training
        from core.training import registry

        version = registry.get_version(store, model_version_id)
        run = training.get_run(store, version.run_id)
        missing = [f for f in run.features if f not in cur_cols]
        if missing:
            raise MonitorError(f"The model needs columns the current data lacks: "
                               f"{', '.join(missing)}.")
        model = registry.load_model(store, model_version_id)
    shared = monitored_columns(store, ref_ds.id, cur_cols, s, run)

    progress(0.05, "Profiling the reference (stored once, reused afterwards)")
    ref_pid = profiles.profile_dataset(store, ref_ds.id, actor=actor)
    progress(0.25, "Profiling the production windows in one pass")
    cur_pid = profiles.profile_dataset(store, cur_ds.id, reference_profile_id=ref_pid,
                                       time_column=s.time_column, window=WINDOWS[s.window],
                                       actor=actor)
    progress(0.45, "Computing drift per column and window")
    report = drift.compute_drift(profiles.get_profile(store, ref_pid),
                                 profiles.get_profile(store, cur_pid), s.drift_methods)
    report = replace(report, columns=tuple(c for c in report.columns if c.column in shared))
    rows, drift_frame = _drift_rows(report)
    rows += _input_rows(drift_frame, s)
    for ch in schema_changes(ref_schema, cur_schema):
        rows.append(_rows("schema", None, ch["column"], f"column_{ch['change']}", 1.0, None,
                          ch["change"] != "extra", ch["detail"]))
    summary: dict[str, Any] = {"reference": ref_ds.name, "current": cur_ds.name,
                               "reference_profile_id": ref_pid, "current_profile_id": cur_pid,
                               "windows": int(drift_frame["window"].nunique())}

    progress(0.55, f"Multivariate drift (domain classifier per {s.domain_window})")
    rows += _domain_rows(store, ref_ds.id, cur_ds.id, shared, s, report)

    top: list[str] = []
    if run is not None:
        progress(0.7, "Scoring the stream with the model; realized and estimated performance")
        label = next((c for c in (s.label_column, run.target) if c and c in cur_cols), None)
        s = replace(s, label_column=label)
        needed = list(dict.fromkeys([*run.features, s.time_column, *([label] if label else [])]))
        current = datasets_db.dataset_frame(store, cur_ds.id, needed)
        # the error-stream detectors are sequential: they must see the rows in time order,
        # whatever order the table stores them in; rows without a timestamp have no place
        # in that order and are left out of the model checks (counted in the summary)
        untimed = int(current[s.time_column].isna().sum())
        current = (current[current[s.time_column].notna()]
                   .sort_values(s.time_column, kind="stable").reset_index(drop=True))
        windows = _window_starts(current[s.time_column], s.window)
        ref_sample = datasets_db.sample_rows(store, ref_ds.id, 5000, run.features, seed=s.seed)
        mrows, _, extra = _model_rows(store, s, current, ref_sample, model, run, windows)
        rows += mrows
        top = extra["top_features"]
        summary.update(model_version_id=model_version_id, model_run_id=run.id,
                       rows_without_time=untimed, **extra)
        if untimed:
            summary.setdefault("notes", []).append(
                f"{untimed:,} row(s) of {cur_ds.name!r} have no {s.time_column!r}: they are "
                "left out of the output, performance and detector checks, which follow time.")
    if s.latency_column or s.status_column:
        progress(0.85, "Software metrics from the request log")
        rows += _software_rows(store, cur_ds.id, s)

    results = pd.DataFrame(rows)
    results["window_start"] = pd.to_datetime(results["window_start"])
    alerts, counts = evaluate_policies(results, s, top)
    summary.update(
        policy_counts=counts,
        alerts=int(len(alerts)),
        share_drifted=report.dataset_frame()[["window", "share_drifted"]].to_dict("records"),
        seconds=round(time.perf_counter() - t0, 2),
        cpu_seconds=round(time.process_time() - cpu0, 2),
        memory_mb=round(max(proc.memory_info().rss, rss0) / 2**20, 1),
        primary_metric=s.primary_metric, primary_floor=s.primary_floor,
    )
    progress(0.95, "Storing results and alerts")
    run_id = monitoring_db.insert_monitor_run(
        store, project_id, reference_dataset_id=ref_ds.id, current_dataset_id=cur_ds.id,
        model_version_id=model_version_id, time_column=s.time_column, window=s.window,
        settings=asdict(s), summary=summary, results=results, alerts=alerts, actor=actor,
        source=source,
    )
    progress(1.0, "Monitoring run stored")
    return MonitorResult(run_id, summary, results, alerts)


def monitored_columns(store: Database, reference_id: int, current: dict[str, str],
                      s: MonitorSettings, run: Any) -> list[str]:
    """The model's features, or the reference's feature-like columns (no ids, targets, text)."""
    if run is not None:
        return [c for c in run.features if c in current]
    from core.data.datasets import column_types

    skip = {"identifier", "target", "text", "image", "datetime"}
    return [t.column for t in column_types(store, reference_id)
            if t.type not in skip and t.column in current and t.column != s.time_column]


def _with_column_roles(s: MonitorSettings, roles: ColumnRoles) -> MonitorSettings:
    """Settings whose unset columns come from the project's column roles."""
    from dataclasses import replace

    return replace(
        s,
        time_column=s.time_column or roles.time,
        latency_column=s.latency_column or roles.latency,
        status_column=s.status_column or roles.status,
        label_column=s.label_column or roles.target,
    )


def _drop_missing_log_columns(s: MonitorSettings, cols: dict[str, str]) -> MonitorSettings:
    from dataclasses import replace

    return replace(
        s,
        latency_column=s.latency_column if s.latency_column in cols else None,
        status_column=s.status_column if s.status_column in cols else None,
    )


def _window_starts(ts: pd.Series, window: str) -> pd.Series:
    t = pd.to_datetime(ts)
    if window == "day":
        return t.dt.floor("D")
    if window == "week":
        return (t - pd.to_timedelta(t.dt.day_of_week, unit="D")).dt.floor("D")
    return t.dt.to_period("M").dt.start_time


def _domain_rows(store: Database, ref_id: int, cur_id: int, shared: list[str], s: MonitorSettings,
                 report: Any) -> list[dict]:
    """Domain-classifier AUC per window on small seeded samples (multivariate drift)."""
    from core.monitoring.drift import domain_classifier_drift

    numeric_or_cat = [c for c in shared if c in {d.column for d in report.columns}]
    if not numeric_or_cat or s.domain_sample <= 0:
        return []
    ref = datasets_db.sample_rows(store, ref_id, s.domain_sample, numeric_or_cat, seed=s.seed)
    cur = datasets_db.dataset_frame(store, cur_id, [*numeric_or_cat, s.time_column])
    cur = cur[cur[s.time_column].notna()]
    windows = _window_starts(cur[s.time_column], s.domain_window)
    rows = []
    for start, part in cur.groupby(windows.to_numpy()):
        if len(part) < 50:
            rows.append(_rows("multivariate", start, None, "domain_auc", np.nan, None, None,
                              f"not computed: {len(part)} rows in the window"))
            continue
        sample = part.sample(min(len(part), s.domain_sample), random_state=s.seed)
        d = domain_classifier_drift(ref, sample[numeric_or_cat], folds=3, random_state=s.seed)
        rows.append(_rows("multivariate", start, None, "domain_auc", d.roc_auc, d.threshold,
                          d.drifted))
    return rows


# ------------------------------------------------------------------- reading results
def latest_run(store: Database, project_id: int) -> dict[str, Any] | None:
    runs = monitoring_db.list_monitor_runs(store, project_id)
    if runs.empty:
        return None
    row = runs.iloc[0].to_dict()
    row["settings"], row["summary"] = json.loads(row["settings"]), json.loads(row["summary"])
    return row


def drift_matrix(results: pd.DataFrame) -> pd.DataFrame:
    """Columns x windows of the drift statistic, for the heatmap."""
    d = results[results["kind"] == "drift"]
    return d.pivot_table(index="column_name", columns="window_start", values="value",
                         aggfunc="first")


def column_distribution(store: Database, summary: dict[str, Any], column: str, window_start: Any,
                        n_bins: int = 30) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Reference vs one window's distribution of a column, read from the stored profiles.

    Numeric columns: the fine grid regrouped into ``n_bins`` reference-quantile bins plus
    below / above the reference range; categorical: shares per category (unseen included).
    """
    from core.monitoring.profiles import ALL as P_ALL
    from core.monitoring.profiles import dense_counts, get_profile, numeric_edges

    ref_p = get_profile(store, int(summary["reference_profile_id"])).total()
    cur_p = get_profile(store, int(summary["current_profile_id"]))
    spec = ref_p.spec.get(column)
    rc = ref_p.column(column, P_ALL)
    cc = next((c for c in cur_p.columns if c.column == column and c.window_start is not None
               and pd.Timestamp(c.window_start) == pd.Timestamp(window_start)), None)
    if spec is None or rc is None or cc is None:
        raise MonitorError(f"No stored profile of {column!r} for that window.")
    if spec["kind"] == "numeric":
        edges = numeric_edges(spec)
        r, c = dense_counts(rc, spec), dense_counts(cc, spec)
        cum = np.cumsum(r) / max(r.sum(), 1)
        cuts = np.unique(np.searchsorted(cum, np.linspace(0, 1, n_bins + 1)[1:-1]))
        groups = np.split(np.arange(len(r)), cuts + 1)
        labels = [f"{edges[g[0]]:.4g}–{edges[g[-1] + 1]:.4g}" for g in groups if len(g)]
        rv = [r[g].sum() for g in groups if len(g)]
        cv = [c[g].sum() for g in groups if len(g)]
        labels, rv, cv = ["below range", *labels, "above range"], [rc.below, *rv, rc.above], [
            cc.below, *cv, cc.above]
        kind = "numeric"
    else:
        rmap, cmap = rc.category_map(), cc.category_map()
        labels = list(dict.fromkeys([*rmap, *cmap]))
        rv = [rmap.get(k, 0) for k in labels] + [rc.other]
        cv = [cmap.get(k, 0) for k in labels] + [cc.other]
        labels = [*labels, "(other)"]
        kind = "categorical"
    def frame(v: list) -> pd.DataFrame:
        v = np.asarray(v, dtype=float)
        return pd.DataFrame({"bin": labels, "share": v / max(v.sum(), 1)})
    return frame(rv), frame(cv), kind


def open_alerts(store: Database, project_id: int) -> pd.DataFrame:
    return monitoring_db.list_alerts(store, project_id, status="open")


# ------------------------------------------------------------------ continuous training
@dataclass(frozen=True)
class RetrainResult:
    dataset_id: int
    split_id: int
    run_id: int
    version_id: int
    rows: int
    since: datetime


def retrain_challenger(
    store: Database,
    project_id: int,
    monitor_run_id: int,
    *,
    since: datetime | None = None,
    actor: str,
    progress: Progress = _no_progress,
) -> RetrainResult:
    """Retrain the champion's recipe on the latest labelled production windows.

    The rows are the current dataset's labelled rows from ``since`` on (default: one
    window before the run's first decay alert, i.e. data from around the change). They
    become a new dataset version (parent: the stream), get a stratified split, and the
    trained model is registered as the challenger, ready for a canary on the Deployment
    page.
    """
    from core import training
    from core.data import splits
    from core.training import registry

    runs = monitoring_db.list_monitor_runs(store, project_id)
    match = runs[runs["id"] == monitor_run_id]
    if match.empty:
        raise MonitorError("That monitoring run does not exist (any more).")
    mrun = match.iloc[0]
    champion = registry.get_champion(store, project_id)
    if champion is None:
        raise MonitorError("There is no champion model to retrain: register one on Training.")
    recipe = training.get_run(store, champion.run_id)
    window = str(mrun["time_window"])
    if since is None:
        alerts = monitoring_db.list_alerts(store, project_id)
        alerts = alerts[alerts["run_id"] == monitor_run_id]
        # start from the first sign of decay; input or service alerts only when there is none
        decay = alerts[alerts["policy"].isin(DECAY_POLICIES)]
        pick = decay if len(decay) else alerts[alerts["policy"] != "service level"]
        first = pick["window_start"].min() if len(pick) else None
        if first is None or pd.isna(first):
            raise MonitorError("This run raised no alert; pick a start date to retrain from.")
        step = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(weeks=1)}.get(
            window, pd.Timedelta(days=31))
        since = (pd.Timestamp(first) - step).to_pydatetime()
    progress(0.1, "Collecting the labelled production rows")
    name = f"retrain_{pd.Timestamp(since):%Y%m%d}_run{monitor_run_id}"
    columns = list(dict.fromkeys([*recipe.features, recipe.target, str(mrun["time_column"])]))
    ds_id = datasets_db.insert_dataset_subset(
        store, project_id, int(mrun["current_dataset_id"]), name, columns=columns,
        not_null=recipe.target, time_column=str(mrun["time_column"]), since=since, actor=actor,
        note=f"Labelled production rows since {pd.Timestamp(since):%Y-%m-%d} for retraining "
             f"after monitoring run {monitor_run_id}.",
    )
    n = datasets_db.get_dataset(store, ds_id).n_rows
    if n < 200:
        raise MonitorError(f"Only {n} labelled rows since {pd.Timestamp(since):%Y-%m-%d}: "
                           "too few to retrain; pick an earlier start date.")
    progress(0.3, f"Splitting {n:,} rows (stratified by {recipe.target})")
    split_id = splits.create_split(store, project_id, ds_id, f"{name}_split",
                                   method="stratified", target=recipe.target, seed=recipe.seed or 0,
                                   actor=actor)
    progress(0.45, f"Training {recipe.model_kind} with the champion's recipe")
    run_id = training.train_run(
        store, project_id, split_id, target=recipe.target, features=list(recipe.features),
        model_kind=recipe.model_kind, params=recipe.params, preprocessing=recipe.preprocessing,
        seed=recipe.seed or 0, actor=actor, positive_class=recipe.positive_class,
        name=f"retrain after monitoring run {monitor_run_id}",
    )
    run = training.get_run(store, run_id)
    if run.status != "done":
        raise MonitorError(f"Retraining failed: {run.error}")
    progress(0.9, "Registering the challenger")
    version_id = registry.register(store, run_id, actor, alias="challenger")
    progress(1.0, "Challenger ready for a canary")
    return RetrainResult(ds_id, split_id, run_id, version_id, n, since)


# ------------------------------------------------------------------ lifecycle steps
def monitor_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Monitor is done when a run exists and every alert is acknowledged."""
    runs = monitoring_db.list_monitor_runs(store, project_id)
    if runs.empty:
        return ("not started", "No production window has been checked.",
                "Profile the production stream against the reference.")
    open_ = open_alerts(store, project_id)
    summary = json.loads(runs.iloc[0]["summary"])
    evidence = f"{len(runs)} run(s); latest: {summary.get('windows')} windows, "
    if len(open_):
        return ("in progress", evidence + f"{len(open_)} open alert(s).",
                "Review the alerts; acknowledge or retrain.")
    return ("done", evidence + "no open alert.", "Keep monitoring new production batches.")


def update_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Update is done when a retrained challenger exists (a dataset made for retraining)."""
    retrains = [d for d in datasets_db.list_datasets(store, project_id) if d.name.startswith("retrain_")]
    if retrains:
        return ("done", f"{len(retrains)} retraining dataset(s); latest {retrains[-1].name}.",
                "Rehearse the challenger's canary on the Deployment page.")
    if len(open_alerts(store, project_id)):
        return ("in progress", "Alerts are open and no retraining ran yet.",
                "Retrain a challenger from the Monitoring page.")
    return ("not started", "No retraining has been triggered.", "Retrain when an alert fires.")


def main(argv: list[str] | None = None) -> int:
    """Profile and check a batch file against a project's reference, without a browser."""
    from core import config
    from core.data.datasets import ingest_path

    ap = argparse.ArgumentParser(prog="python -m core.monitor", description=main.__doc__)
    ap.add_argument("--db", default=str(config.resolve_path("WORKBENCH_DB")),
                    help="workbench database (default: WORKBENCH_DB)")
    ap.add_argument("--project", required=True, help="project name")
    ap.add_argument("--current", required=True,
                    help="a CSV or Parquet file to ingest, or the name of a stored dataset")
    ap.add_argument("--reference", help="reference dataset name (default: the training dataset)")
    ap.add_argument("--model", default="champion", help="'champion', 'challenger', 'none' or a version id")
    ap.add_argument("--time-column", help="the timestamp column (default: the project's)")
    ap.add_argument("--window", default="week", choices=sorted(WINDOWS))
    ap.add_argument("--user", default="scheduler")
    args = ap.parse_args(argv)
    try:
        store = Database(args.db)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _cli(store, args, ingest_path)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _cli(store: Database, args: argparse.Namespace, ingest_path: Any) -> int:
    from pathlib import Path

    from core.training import registry

    project = next((p for p in projects_db.list_projects(store) if p.name == args.project), None)
    if project is None:
        raise MonitorError(f"No project named {args.project!r} in {store.path}.")
    datasets = {d.name: d for d in datasets_db.list_datasets(store, project.id)}
    if args.reference:
        if args.reference not in datasets:
            raise MonitorError(f"No dataset named {args.reference!r} in {project.name!r}.")
        ref = datasets[args.reference]
    else:
        train = datasets_db.list_datasets(store, project.id, role="training")
        if not train:
            raise MonitorError("The project has no training dataset to use as reference.")
        ref = train[0]
    if Path(args.current).exists():
        name = f"batch_{Path(args.current).stem}_{datetime.now():%Y%m%d%H%M%S}"
        cur_id = ingest_path(store, project.id, args.current, name=name, actor=args.user,
                             role="production").dataset_id
    elif args.current in datasets:
        cur_id = datasets[args.current].id
    else:
        raise MonitorError(f"{args.current!r} is neither a file nor a dataset of the project.")
    version = None
    if args.model in ("champion", "challenger"):
        v = (registry.get_champion if args.model == "champion" else registry.get_challenger)(
            store, project.id)
        version = v.id if v else None
    elif args.model != "none":
        version = int(args.model)
    result = run_monitoring(
        store, project.id, reference_dataset_id=ref.id, current_dataset_id=cur_id,
        model_version_id=version, actor=args.user, source="cli",
        settings=MonitorSettings(time_column=args.time_column, window=args.window),
        progress=lambda f, m: print(f"[{f:4.0%}] {m}", file=sys.stderr),
    )
    s = result.summary
    print(f"monitoring run {result.run_id}: {s['windows']} windows, {s['alerts']} alerts, "
          f"{s['seconds']} s")
    for policy, count in s["policy_counts"].items():
        print(f"  {policy}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
