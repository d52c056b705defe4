"""Realized and estimated performance of a binary classifier, per window.

Where labels have arrived, :func:`realized_performance` computes the metrics. Where they
have not, :func:`estimate_performance` estimates them from the model's calibrated
probabilities, as NannyML's confidence-based performance estimation (CBPE) does: if a
score ``p`` is calibrated, a row predicted positive (``p >= threshold``) is a true positive
with probability ``p`` and a false positive with probability ``1 - p`` (and a row predicted
negative a false negative with probability ``p``), so the expected confusion matrix is a
sum of scores. Accuracy, precision, recall and F1 are ratios of these expected counts; ROC
AUC is the area under the expected ROC curve (expected true- and false-positive rates at
every score). The estimate is only as good as the calibration: check it on labelled data
(e.g. a reliability curve) and recalibrate (isotonic or Platt) when it drifts.

``accuracy_se`` is the standard error of the realized accuracy around the estimate when
the scores are calibrated (rows independent), a guide to how far the two may differ.
"""

from __future__ import annotations

import math

import numpy as np

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def _scores(y_score: np.ndarray) -> np.ndarray:
    p = np.asarray(y_score, dtype=float).ravel()
    if p.size and (not np.isfinite(p).all() or p.min() < 0 or p.max() > 1):
        raise ValueError(
            "Scores must be probabilities in [0, 1] without missing values."
        )
    return p


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def estimate_performance(
    y_score: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    """Expected accuracy, precision, recall, F1 and ROC AUC from calibrated probabilities.

    Examples
    --------
    >>> est = estimate_performance(np.array([0.9, 0.8, 0.3, 0.1]))
    >>> {k: round(v, 4) for k, v in est.items()}
    {'accuracy': 0.825, 'precision': 0.85, 'recall': 0.8095, 'f1': 0.8293, 'roc_auc': 0.8634, 'accuracy_se': 0.1854, 'n': 4}
    """
    p = _scores(y_score)
    n = p.size
    if n == 0:
        return {m: float("nan") for m in METRICS} | {
            "accuracy_se": float("nan"),
            "n": 0,
        }
    pos = p >= threshold
    tp, fp = p[pos].sum(), (1 - p[pos]).sum()
    fn, tn = p[~pos].sum(), (1 - p[~pos]).sum()
    correct = np.where(pos, p, 1 - p)
    return {
        "accuracy": float((tp + tn) / n),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": _expected_auc(p),
        "accuracy_se": float(math.sqrt(np.sum(correct * (1 - correct))) / n),
        "n": int(n),
    }


def _expected_auc(p: np.ndarray) -> float:
    order = np.argsort(-p, kind="stable")
    ps = p[order]
    # one ROC point per distinct score (ties move together)
    last = np.r_[ps[1:] != ps[:-1], True]
    tp = np.cumsum(ps)[last]
    fp = np.cumsum(1 - ps)[last]
    if tp[-1] <= 0 or fp[-1] <= 0:
        return float("nan")
    tpr = np.r_[0.0, tp / tp[-1]]
    fpr = np.r_[0.0, fp / fp[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def realized_performance(
    y_true: np.ndarray, y_score: np.ndarray, threshold: float = 0.5
) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and ROC AUC where the labels are known.

    Rows whose label is missing are left out; with one class only, ROC AUC is NaN.

    >>> real = realized_performance(np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.6, 0.1]))
    >>> {k: round(v, 4) for k, v in real.items()}
    {'accuracy': 0.5, 'precision': 0.5, 'recall': 0.5, 'f1': 0.5, 'roc_auc': 0.75, 'n': 4}
    """
    from sklearn import metrics

    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_score, dtype=float).ravel()
    known = ~np.isnan(y)
    y, p = y[known].astype(int), _scores(p[known])
    if y.size == 0:
        return {m: float("nan") for m in METRICS} | {"n": 0}
    pred = (p >= threshold).astype(int)
    tp = int(np.sum((pred == 1) & (y == 1)))
    fp = int(np.sum((pred == 1) & (y == 0)))
    fn = int(np.sum((pred == 0) & (y == 1)))
    two_classes = len(np.unique(y)) == 2
    return {
        "accuracy": float(np.mean(pred == y)),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": float(metrics.roc_auc_score(y, p)) if two_classes else float("nan"),
        "n": int(y.size),
    }
