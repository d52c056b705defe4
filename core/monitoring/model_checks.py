"""The model checks of a monitoring run, as rows of ``monitor_results``: output checks,
CBPE-estimated and realized performance per window, and the Page-Hinkley, DDM and ADWIN
detectors on the stream of errors; with the reference calibration and the feature
importance they rest on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.db import training as training_db
from core.db.database import Database
from core.monitoring.checks import result_row
from core.monitoring.performance import METRICS
from core.monitoring.settings import MonitorSettings


def positive_scores(model: Any, frame: pd.DataFrame, positive: str | None) -> np.ndarray:
    """The model's probability of the positive class (the last class when none is named)."""
    proba = model.predict_proba(frame)
    classes = [str(c) for c in getattr(model, "classes_", range(proba.shape[1]))]
    idx = classes.index(str(positive)) if positive is not None and str(positive) in classes else -1
    return proba[:, idx]


def binary_labels(values: pd.Series, positive: str | None) -> np.ndarray:
    """1.0 / 0.0 where a label is present, NaN where it has not arrived.

    >>> binary_labels(pd.Series([1.0, None, 0.0]), "1").tolist()
    [1.0, nan, 0.0]
    """
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


def hist_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI of two score samples over ``bins`` reference-quantile bins (open at both ends).

    >>> x = np.linspace(0, 1, 101)
    >>> hist_psi(x, x)
    0.0
    """
    from core.monitoring.drift import psi

    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:  # a constant reference: below, at or above its one value
        edges = np.array([edges[0], edges[0], edges[0]])
    edges[0], edges[-1] = -np.inf, np.inf
    return psi(np.histogram(reference, edges)[0], np.histogram(current, edges)[0])


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


@dataclass(frozen=True)
class ScoredStream:
    """The current rows scored by the model, in stream order, with what the checks need."""

    scores: np.ndarray  # positive-class probability per row
    labels: np.ndarray  # 1.0 / 0.0 / NaN (not arrived)
    windows: np.ndarray  # the window key of each row (its period's start, or its label)
    times: np.ndarray | None  # the timestamp of each row (None: windows without time)
    reference_scores: np.ndarray  # the model's scores on a reference sample
    cut: float  # the decision threshold
    rows: np.ndarray | None = None  # each row's number in file order (1-based), without time

    def when(self, i: int) -> str:
        """Where row ``i`` of the stream sits: its timestamp, else its row number."""
        if self.times is not None:
            return str(pd.Timestamp(self.times[i]))
        return f"row {int(self.rows[i]) if self.rows is not None else i + 1:,}"


def model_rows(
    store: Database, s: MonitorSettings, current: pd.DataFrame, ref_sample: pd.DataFrame,
    model: Any, run: Any, windows: pd.Series, *, times: np.ndarray | None = None,
    rows: np.ndarray | None = None,
) -> tuple[list[dict], dict[str, Any]]:
    """Output checks, estimated and realized performance per window, then the detectors on
    the error stream; and the run summary's model part (top features, detections, ...).

    ``current`` must be in stream order (by time, else file order): the detectors read the
    errors in that order. ``times`` (or, without a time column, ``rows``: each row's number
    in the file) say where each detection happened. A regression model gets
    :func:`core.monitoring.regression_checks.regression_rows` instead.
    """
    if getattr(run, "task_type", None) == "regression":
        from core.monitoring.regression_checks import regression_rows

        return regression_rows(s, current, ref_sample, model, run, windows)
    features = list(run.features)
    ref_scores = positive_scores(model, ref_sample[features], run.positive_class)
    label_col = s.label_column
    stream = ScoredStream(
        scores=positive_scores(model, current[features], run.positive_class),
        labels=(binary_labels(current[label_col], run.positive_class)
                if label_col and label_col in current.columns else np.full(len(current), np.nan)),
        windows=windows.to_numpy(dtype=object),
        times=times,
        reference_scores=ref_scores,
        # the run's decision threshold (tuned on dev, e.g. to meet the recall target), else 0.5
        cut=float((run.params or {}).get("decision_threshold") or 0.5),
        rows=rows,
    )
    importance = feature_importance(ref_sample, ref_scores, features)
    calibration, cal_part = reference_calibration(store, run)
    out, extra = stream_rows(stream, calibration, s)
    extra.update({"top_features": importance.head(s.top_k).index.tolist(),
                  "importance": importance.round(4).to_dict(),
                  "label_column": label_col, "positive_class": run.positive_class,
                  "calibration": {**calibration.to_dict(), "part": cal_part}})
    return out, extra


def stream_rows(stream: ScoredStream, calibration: Any, s: MonitorSettings
                ) -> tuple[list[dict], dict[str, Any]]:
    """Output checks, estimated (``calibration`` applied to the scores) and realized
    performance per window, then the error-stream detectors; and the summary's detections
    and decision threshold. Whoever scored the stream (a registered model, or a model that
    runs elsewhere through a score column) reads the same checks."""
    out: list[dict] = []
    for start, at in window_positions(stream.windows):
        p, y = stream.scores[at], stream.labels[at]
        out += output_rows(start, p, stream, s)
        out += estimated_rows(start, p, calibration.apply(p), stream.cut, s)
        out += realized_rows(start, p, y, stream.cut, s)
    det_rows, detections, det_windows = detector_rows(stream)
    return out + det_rows, {"detections": detections, "detection_windows": det_windows,
                            "decision_threshold": stream.cut}


def window_positions(windows: np.ndarray) -> list[tuple[Any, np.ndarray]]:
    """Each window key with the positions of its rows, in the order the windows appear
    (stream order: time, else file order).

    >>> [(k, p.tolist()) for k, p in window_positions(np.array(["b", "a", "b"], dtype=object))]
    [('b', [0, 2]), ('a', [1])]
    """
    keys = pd.Series(windows, dtype=object)
    return [(k, idx.to_numpy()) for k, idx in
            pd.Series(np.arange(len(keys))).groupby(keys.to_numpy(), sort=False)]


def output_rows(start: Any, p: np.ndarray, stream: ScoredStream, s: MonitorSettings
                ) -> list[dict]:
    """Mean score, share predicted positive, score PSI against the reference, and the
    share of low-confidence predictions sent to the human fallback."""
    fallback = float(np.mean(np.maximum(p, 1 - p) < s.fallback_confidence))
    score_psi = hist_psi(stream.reference_scores, p)
    return [
        result_row("output", start, None, "mean_score", float(np.mean(p))),
        result_row("output", start, None, "positive_share", float(np.mean(p >= stream.cut))),
        result_row("output", start, None, "score_psi", score_psi, s.output_psi_max,
                   bool(score_psi > s.output_psi_max)),
        result_row("output", start, None, "fallback_share", fallback, s.fallback_share_max,
                   bool(fallback > s.fallback_share_max)),
    ]


def _metric_row(prefix: str, start: Any, metric: str, value: float, s: MonitorSettings) -> dict:
    """A performance row; the primary metric carries the floor and is flagged below it."""
    primary = metric == (s.primary_metric or "accuracy")
    flag = (bool(value < s.primary_floor)
            if primary and s.primary_floor is not None and value == value else None)
    return result_row("performance", start, None, f"{prefix}_{metric}", value,
                      s.primary_floor if primary else None, flag)


def estimated_rows(start: Any, p: np.ndarray, calibrated: np.ndarray, cut: float,
                   s: MonitorSettings) -> list[dict]:
    """Each metric estimated without labels (CBPE) and its 95% band."""
    from core.monitoring.performance import estimate_performance

    est = estimate_performance(calibrated, threshold=cut, model_scores=p, seed=s.seed)
    rows = []
    for m in METRICS:
        rows.append(_metric_row("estimated", start, m, est[m], s))
        rows += [result_row("performance", start, None, f"estimated_{m}_{side}",
                            est[f"{m}_{side}"]) for side in ("low", "high")]
    return rows


def realized_rows(start: Any, p: np.ndarray, y: np.ndarray, cut: float, s: MonitorSettings
                  ) -> list[dict]:
    """The count of labelled rows, and each metric on them when there are enough."""
    from core.monitoring.performance import realized_performance

    n_labels = int(np.sum(~np.isnan(y)))
    rows = [result_row("performance", start, None, "labelled_rows", n_labels)]
    if n_labels >= s.min_labels:
        real = realized_performance(y, p, threshold=cut)
        rows += [_metric_row("realized", start, m, real[m], s) for m in METRICS]
    return rows


def detector_rows(stream: ScoredStream
                  ) -> tuple[list[dict], dict[str, list[str]], dict[str, list[str | None]]]:
    """Page-Hinkley, DDM and ADWIN on the 0/1 errors of the labelled rows, in stream order
    (time, else file order): a row per detection, each detector's detection times (or row
    numbers) and the windows they fall in."""
    from core.monitoring.detectors import ADWIN, DDM, PageHinkley, detection_points
    from core.monitoring.windows import label_of

    known = np.flatnonzero(~np.isnan(stream.labels))
    errors = ((stream.scores[known] >= stream.cut).astype(float)
              != stream.labels[known]).astype(float)
    rows: list[dict] = []
    detections: dict[str, list[str]] = {}
    det_windows: dict[str, list[str | None]] = {}
    for det in (PageHinkley(), DDM(), ADWIN()):
        name = type(det).__name__
        points = [int(j) for j in detection_points(det, errors)]  # in the error stream
        hits = [int(known[j]) for j in points]  # in the current rows
        detections[name] = [stream.when(i) for i in hits]
        det_windows[name] = [label_of(stream.windows[i]) for i in hits]
        rows += [result_row("detector", stream.windows[i], None, name, float(j), None, True,
                            f"detected at {_at(stream, i)}")
                 for j, i in zip(points, hits, strict=True)]
    return rows, detections, det_windows


def _at(stream: ScoredStream, i: int) -> str:
    if stream.times is not None:
        return f"{pd.Timestamp(stream.times[i]):%Y-%m-%d %H:%M}"
    return stream.when(i)
