"""The model checks of a monitoring run for a regression model: what applies and what
does not.

Applies: the distribution of the predictions against the model's predictions on the
reference (PSI over 10 reference-quantile bins, the output-drift signal, stored as
``score_psi`` as a classifier's), the mean prediction, and the realized MAE, RMSE and R²
(scikit-learn's) in windows where at least ``min_labels`` labels arrived. Does not apply:
the estimate without labels (CBPE estimates a classifier's confusion matrix from its
probabilities; a regressor has none) and the error-stream detectors (DDM reads a stream of
right / wrong), so neither is computed, and the run's summary says so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.monitoring.checks import result_row
from core.monitoring.model_checks import feature_importance, hist_psi, window_positions
from core.monitoring.settings import MonitorSettings

REGRESSION_METRICS = ("mae", "rmse", "r2")
NOT_FOR_REGRESSION = "not available for regression"


def realized_regression(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R² of the labelled rows (R² NaN below two rows).

    >>> realized_regression(np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 5.0]))["mae"]
    0.3333333333333333
    """
    from sklearn import metrics as skm

    out = {"mae": float(skm.mean_absolute_error(y, pred)),
           "rmse": math.sqrt(float(skm.mean_squared_error(y, pred))), "r2": float("nan")}
    if len(y) > 1:
        out["r2"] = float(skm.r2_score(y, pred))
    return out


def regression_rows(s: MonitorSettings, current: pd.DataFrame, ref_sample: pd.DataFrame,
                    model: Any, run: Any, windows: pd.Series
                    ) -> tuple[list[dict], dict[str, Any]]:
    """Output checks and realized MAE / RMSE / R² per window; the summary's model part."""
    features = list(run.features)
    ref_pred = np.asarray(model.predict(ref_sample[features]), dtype=float)
    pred = np.asarray(model.predict(current[features]), dtype=float)
    label = s.label_column
    y = (pd.to_numeric(current[label], errors="coerce").to_numpy(float)
         if label and label in current.columns else np.full(len(current), np.nan))
    rows = prediction_rows(s, pred, ref_pred, y, windows)
    importance = feature_importance(ref_sample, ref_pred, features)
    extra = {"task": "regression", "top_features": importance.head(s.top_k).index.tolist(),
             "importance": importance.round(4).to_dict(), "detections": {},
             "detection_windows": {}, "label_column": label, "positive_class": None,
             "estimate": NOT_FOR_REGRESSION,
             "model_notes": [
                 "Regression model: the page shows realized MAE, RMSE and R² where labels "
                 "arrived, and the drift of the predictions; the estimate without labels "
                 "(for classifiers' probabilities) and the error-stream detectors (for a "
                 "right / wrong stream) do not apply."]}
    return rows, extra


def prediction_rows(s: MonitorSettings, pred: np.ndarray, ref_pred: np.ndarray, y: np.ndarray,
                    windows: pd.Series) -> list[dict]:
    """Per window: the mean prediction, the PSI of the predictions against the reference's,
    and realized MAE / RMSE / R² where labels arrived (``y`` NaN where none did)."""
    rows: list[dict] = []
    for start, at in window_positions(windows.to_numpy(dtype=object)):
        psi = hist_psi(ref_pred, pred[at])
        rows += [
            result_row("output", start, None, "mean_prediction", float(np.mean(pred[at]))),
            result_row("output", start, None, "score_psi", psi, s.output_psi_max,
                       bool(psi > s.output_psi_max), "PSI of the predicted values"),
        ]
        rows += _realized_rows(start, pred[at], y[at], s)
    return rows


def _realized_rows(start: Any, pred: np.ndarray, y: np.ndarray, s: MonitorSettings
                   ) -> list[dict]:
    from core.scoping.vocabulary import meets

    known = ~np.isnan(y)
    n = int(known.sum())
    rows = [result_row("performance", start, None, "labelled_rows", n)]
    if n < s.min_labels:
        return rows
    real = realized_regression(y[known], pred[known])
    for m in REGRESSION_METRICS:
        v = real[m]
        floor = s.primary_floor if m == s.primary_metric else None
        primary = floor is not None
        flag = bool(not meets(m, v, float(floor))) if floor is not None and v == v else None
        rows.append(result_row("performance", start, None, f"realized_{m}", v,
                               s.primary_floor if primary else None, flag))
    return rows
