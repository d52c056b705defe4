"""The model checks of a monitoring run for a model that runs elsewhere: its scores (or,
for a regression, its predictions) are a column of the data (the project's ``score`` role,
or the run's ``score_column``) instead of the output of a model registered here.

The reference dataset's score column and labels stand in for a registered model's
held-out predictions: output drift is the PSI of the current scores against the
reference's; the estimate without labels calibrates the reference's scores on its labels
(CBPE, :func:`core.monitoring.performance.fit_calibration`, as
:func:`core.monitoring.model_checks.reference_calibration` does on a run's test rows);
realized performance and the error-stream detectors read the current labels
(:func:`core.monitoring.model_checks.stream_rows`, the checks of a registered model).
What needs the model itself (feature importance: how its score moves with each feature)
is not available, and the run's summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.db.database import Database
from core.db.types import is_numeric
from core.monitoring.settings import MonitorError, MonitorSettings

NOT_AVAILABLE = "not available for a model that runs elsewhere"
REFERENCE_ROWS = 20_000  # reference rows sampled for the score PSI and the calibration


@dataclass(frozen=True)
class ExternalScores:
    """What the model checks read from a registered model's run, for a model that runs
    elsewhere: where its scores are, its task, the positive class and the decision cut."""

    column: str
    task_type: str  # "binary" or "regression"
    positive_class: str | None  # None: a label counts as positive when it reads "1"
    cut: float  # score >= cut is a positive decision

    @property
    def source(self) -> str:
        return f"column {self.column!r} (a model that runs elsewhere, not a registered model)"


def external_scores(store: Database, project_id: int, s: MonitorSettings,
                    datasets: dict[str, tuple[str, dict[str, str]]]) -> ExternalScores:
    """The score column checked against both datasets (``{"current": (name, columns),
    "reference": (...)}``) and the brief's task; MonitorError names what to change."""
    from core.scoping import get_contract

    column = str(s.score_column)
    for side, (name, cols) in datasets.items():
        if column not in cols:
            raise MonitorError(
                f"The {side} dataset {name!r} has no score column {column!r}: pick the column "
                f"that holds the model's scores in both datasets (Monitoring page, score "
                f"column; --score-column), or none for data checks only.")
        if not is_numeric(cols[column]):
            raise MonitorError(
                f"The score column {column!r} of {name!r} holds {cols[column]}, not numbers: "
                "pick the column with the model's scores (or predictions, for a regression).")
    contract = get_contract(store, project_id)
    task = contract.task_type if contract else "binary"
    if task not in ("binary", "regression"):
        raise MonitorError(
            f"The brief's task is {task}: a score column {column!r} is checked for a binary "
            "classifier (the positive class's probability) or a regression (the predicted "
            "value). Register the model here to monitor it, or run the data checks only.")
    if task == "binary" and not 0.0 < s.score_threshold < 1.0:
        raise MonitorError(f"The score threshold {s.score_threshold} is not between 0 and 1: "
                           "a score at or above it counts as a positive decision.")
    return ExternalScores(column, task, contract.positive_class if contract else None,
                          float(s.score_threshold))


def _scores(frame: pd.DataFrame, column: str, name: str, binary: bool) -> np.ndarray:
    x = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    x = x[~np.isnan(x)]
    if binary and x.size and (x.min() < 0.0 or x.max() > 1.0):
        raise MonitorError(
            f"The score column {column!r} of {name!r} holds values outside [0, 1] "
            f"({x.min():g} to {x.max():g}): a binary classifier's column must hold the "
            "positive class's probability. For a regression, set the brief's task to "
            "regression; otherwise pick the probability column.")
    return x


def score_rows(s: MonitorSettings, ext: ExternalScores, current: pd.DataFrame,
               reference: pd.DataFrame, windows: pd.Series, names: tuple[str, str], *,
               times: np.ndarray | None = None, rows: np.ndarray | None = None
               ) -> tuple[list[dict], dict[str, Any]]:
    """The model checks on the score column of ``current`` (stream order: time, else file
    order) against ``reference`` (a sample with its score and label columns); ``names``:
    the reference's and the current dataset's names. Rows without a score are left out
    (counted in a note). Returns the rows and the summary's model part."""
    ref_name, cur_name = names
    binary = ext.task_type == "binary"
    ref_scores = _scores(reference, ext.column, ref_name, binary)
    if ref_scores.size == 0:
        raise MonitorError(f"The score column {ext.column!r} of the reference {ref_name!r} "
                           "is empty: the output checks need the reference's scores.")
    keep = current[ext.column].notna().to_numpy()
    notes = [f"Scores from {ext.source}: feature importance and other checks that need "
             f"the model itself are {NOT_AVAILABLE}; so is the 'drift and estimated decay' "
             "policy (drift on the model's top features): not judged, not a pass."]
    if not keep.all():
        notes.append(f"{int((~keep).sum()):,} row(s) of {cur_name!r} have no score in "
                     f"{ext.column!r}: they are left out of the output and performance checks.")
    current, windows = current[keep].reset_index(drop=True), windows[keep].reset_index(drop=True)
    times = times[keep] if times is not None else None
    rows = rows[keep] if rows is not None else None
    scores = _scores(current, ext.column, cur_name, binary)
    label = s.label_column
    extra: dict[str, Any] = {
        "score_column": ext.column, "scores_from": ext.source, "task": ext.task_type,
        "top_features": [], "importance": {}, "importance_note": NOT_AVAILABLE,
        "label_column": label, "positive_class": ext.positive_class, "model_notes": notes}
    if not binary:
        return _regression(s, current, scores, ref_scores, windows, extra)
    return _binary(s, ext, current, reference, scores, windows, times, rows, extra)


def _labels(frame: pd.DataFrame, label: str | None, positive: str | None) -> np.ndarray:
    from core.monitoring.model_checks import binary_labels

    if label and label in frame.columns:
        return binary_labels(frame[label], positive)
    return np.full(len(frame), np.nan)


def _binary(s: MonitorSettings, ext: ExternalScores, current: pd.DataFrame,
            reference: pd.DataFrame, scores: np.ndarray, windows: pd.Series,
            times: np.ndarray | None, rows: np.ndarray | None, extra: dict[str, Any]
            ) -> tuple[list[dict], dict[str, Any]]:
    from core.monitoring.model_checks import ScoredStream, stream_rows
    from core.monitoring.performance import NO_CALIBRATION, fit_calibration

    ref = reference[reference[ext.column].notna()]
    ref_scores = ref[ext.column].to_numpy(float)
    ref_labels = _labels(ref, s.label_column, ext.positive_class)
    calibration = (fit_calibration(ref_labels, ref_scores) if (~np.isnan(ref_labels)).any()
                   else NO_CALIBRATION)
    stream = ScoredStream(scores=scores, labels=_labels(current, s.label_column,
                                                        ext.positive_class),
                          windows=windows.to_numpy(dtype=object), times=times,
                          reference_scores=ref_scores, cut=ext.cut, rows=rows)
    out, part = stream_rows(stream, calibration, s)
    return out, {**extra, **part,
                 "calibration": {**calibration.to_dict(), "part": "reference dataset"}}


def _regression(s: MonitorSettings, current: pd.DataFrame, pred: np.ndarray,
                ref_pred: np.ndarray, windows: pd.Series, extra: dict[str, Any]
                ) -> tuple[list[dict], dict[str, Any]]:
    from core.monitoring.regression_checks import NOT_FOR_REGRESSION, prediction_rows

    label = s.label_column
    y = (pd.to_numeric(current[label], errors="coerce").to_numpy(float)
         if label and label in current.columns else np.full(len(current), np.nan))
    out = prediction_rows(s, pred, ref_pred, y, windows)
    extra["model_notes"] = [*extra["model_notes"],
                            "Regression: realized MAE, RMSE and R² where labels arrived and "
                            "the drift of the predictions; the estimate without labels and "
                            "the error-stream detectors do not apply."]
    return out, {**extra, "detections": {}, "detection_windows": {},
                 "estimate": NOT_FOR_REGRESSION}
