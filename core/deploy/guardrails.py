"""The guardrail judge: a metric's value and one-sided bound on one arm of one window, one
function per metric family (flag shares, p95 latency, ROC AUC, mean losses, balanced
accuracy, confusion shares, a regression's mean errors), and the rule that turns a bound
into pass / breach / too few.

A floor is breached when the one-sided upper confidence bound of the metric is below it (a
ceiling: when the lower bound is above it), so a 5% canary of a few dozen requests is not
rolled back by noise. A guardrail that needs labels is skipped, and said so, in windows
whose labels have not arrived.

Regression (convention): MAE is the mean of |y − ŷ| and MAPE the mean of |y − ŷ| / |y|
over the labelled requests (rows with y = 0 left out, as in training); each ceiling is
breached when the CLT lower bound of that mean, mean − z·sd/√n (sd with n − 1, z the
one-sided normal quantile of the confidence), is above it. RMSE: the same lower bound on
the mean squared error, then its square root. Fewer than ``MIN_MEAN_SAMPLE`` (10) labelled
requests give no bound: "too few", never a pass. The error rate of a regression is the
share of labelled requests whose |y − ŷ| exceeds the error tolerance (Wilson, as for a
classifier's wrong decisions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.deploy.bounds import (
    auc_with_se,
    mean_bound,
    p95_bound,
    rmse_bound,
    wilson_bound,
    z_score,
)
from core.deploy.settings import GUARDRAIL_METRICS, Guardrail

MIN_LATENCY_SAMPLE = 20  # a p95 of fewer requests is not judged
MIN_AUC_CLASS = 5  # ROC AUC needs this many of each class in a window

Estimate = tuple[float, float, int]  # (value, bound, n)
NAN = float("nan")


@dataclass(frozen=True)
class Arm:
    """What one side did on some requests: ``y`` is 1/0 (a regression: the outcome) with
    NaN for requests whose label has not arrived; ``decision`` its decision (a regression:
    its prediction); ``agree``, ``fallback`` and ``failed`` are flags per request.
    ``tolerance``: a regression's absolute error above which an answer is wrong (NaN: none
    set)."""

    y: np.ndarray
    decision: np.ndarray
    score: np.ndarray
    agree: np.ndarray
    fallback: np.ndarray
    latency: np.ndarray
    failed: np.ndarray
    task: str = "classification"
    tolerance: float = float("nan")

    def take(self, rows: np.ndarray) -> Arm:
        """The arm restricted to ``rows``."""
        return Arm(
            y=self.y[rows],
            decision=self.decision[rows],
            score=self.score[rows],
            agree=self.agree[rows],
            fallback=self.fallback[rows],
            latency=self.latency[rows],
            failed=self.failed[rows],
            task=self.task,
            tolerance=self.tolerance,
        )

    def errors(self) -> tuple[np.ndarray, np.ndarray]:
        """A regression's (outcome, error y − ŷ) on the requests with a label and a prediction."""
        ok = np.isfinite(self.y) & np.isfinite(self.decision.astype(float))
        y = self.y[ok].astype(float)
        return y, y - self.decision[ok].astype(float)

    def labelled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(label, decision, score) of the requests whose label has arrived."""
        known = np.isfinite(self.y)
        return self.y[known].astype(int), self.decision[known].astype(int), self.score[known]


def judge(
    metric: str,
    *,
    y: np.ndarray,
    decision: np.ndarray,
    score: np.ndarray,
    agree: np.ndarray,
    fallback: np.ndarray,
    latency: np.ndarray,
    failed: np.ndarray,
    confidence: float,
) -> Estimate:
    """(value, bound, n) of ``metric`` on one window's arm; the bound is one-sided on the
    unfavourable side's opposite (an upper bound for higher-is-better metrics), so
    "bound on the wrong side of the threshold" means breached with ``confidence``.

    ``y`` is 1/0 with NaN for requests whose label has not arrived.

    Examples
    --------
    >>> y = np.array([1, 1, 0, 0, 1.0]); d = np.array([1, 0, 0, 1, 1])
    >>> v, b, n = judge("recall", y=y, decision=d, score=d * 1.0, agree=d == d,
    ...     fallback=d < 0, latency=np.ones(5), failed=d < 0, confidence=0.95)
    >>> round(v, 4), n
    (0.6667, 3)
    """
    arm = Arm(y, decision, score, agree, fallback, latency, failed)
    return judge_arm(metric, arm, confidence)


def judge_arm(metric: str, arm: Arm, confidence: float) -> Estimate:
    """``judge`` on an ``Arm``: the metric's family computes it (a regression's error rate:
    the share of errors beyond the tolerance)."""
    if arm.task == "regression" and metric == "error_rate":
        return _beyond_tolerance(metric, arm, confidence)
    return FAMILIES[metric](metric, arm, confidence)


def _flag_share(metric: str, arm: Arm, confidence: float) -> Estimate:
    """Agreement, fallback rate and availability: a share of flagged requests (Wilson)."""
    flags = {"agreement": arm.agree, "fallback_rate": arm.fallback, "availability": ~arm.failed}[
        metric
    ]
    n = len(flags)
    k = float(flags.sum())
    if n == 0:
        return NAN, NAN, 0
    return k / n, wilson_bound(k, n, confidence, upper=_higher(metric)), n


def _p95_latency(metric: str, arm: Arm, confidence: float) -> Estimate:
    """The p95 latency and its order-statistic lower bound (not judged under 20 requests)."""
    lat = arm.latency[np.isfinite(arm.latency)]
    if len(lat) < MIN_LATENCY_SAMPLE:
        return (float(np.percentile(lat, 95)) if len(lat) else NAN), NAN, len(lat)
    return float(np.percentile(lat, 95)), p95_bound(lat, confidence, upper=False), len(lat)


def _roc_auc(metric: str, arm: Arm, confidence: float) -> Estimate:
    """ROC AUC with a Hanley-McNeil upper bound (needs 5 of each class)."""
    yk, _, sk = arm.labelled()
    ok = np.isfinite(sk)
    a, se, n = auc_with_se(yk[ok], sk[ok])
    if not np.isfinite(a) or min(yk[ok].sum(), n - yk[ok].sum()) < MIN_AUC_CLASS:
        return a, NAN, n
    return a, a + z_score(confidence) * se, n


def _mean_loss(metric: str, arm: Arm, confidence: float) -> Estimate:
    """Log loss or Brier score: a mean with its CLT lower bound."""
    yk, _, sk = arm.labelled()
    ok = np.isfinite(sk)
    p, t = np.clip(sk[ok], 1e-15, 1 - 1e-15), yk[ok]
    loss = -(t * np.log(p) + (1 - t) * np.log1p(-p)) if metric == "log_loss" else (p - t) ** 2
    n = len(loss)
    if n < 2:
        return (float(loss.mean()) if n else NAN), NAN, n
    return (
        float(loss.mean()),
        float(loss.mean() - z_score(confidence) * loss.std(ddof=1) / math.sqrt(n)),
        n,
    )


def _confusion(arm: Arm) -> tuple[float, float, float, float]:
    yk, dk, _ = arm.labelled()
    tp = float(((dk == 1) & (yk == 1)).sum())
    fp = float(((dk == 1) & (yk == 0)).sum())
    fn = float(((dk == 0) & (yk == 1)).sum())
    tn = float(((dk == 0) & (yk == 0)).sum())
    return tp, fp, fn, tn


def _balanced_accuracy(metric: str, arm: Arm, confidence: float) -> Estimate:
    """Mean of recall and specificity with a normal upper bound."""
    tp, fp, fn, tn = _confusion(arm)
    if tp + fn == 0 or tn + fp == 0:
        return NAN, NAN, int(tp + fp + fn + tn)
    r, s = tp / (tp + fn), tn / (tn + fp)
    se = 0.5 * math.sqrt(r * (1 - r) / (tp + fn) + s * (1 - s) / (tn + fp))
    v = (r + s) / 2
    return v, v + z_score(confidence) * se, int(tp + fp + fn + tn)


def _confusion_share(metric: str, arm: Arm, confidence: float) -> Estimate:
    """Accuracy, error rate, recall, precision, specificity, F1: a share (Wilson)."""
    tp, fp, fn, tn = _confusion(arm)
    k, n = {
        "accuracy": (tp + tn, tp + fp + fn + tn),
        "error_rate": (fp + fn, tp + fp + fn + tn),
        "recall": (tp, tp + fn),
        "precision": (tp, tp + fp),
        "specificity": (tn, tn + fp),
        "f1": (2 * tp, 2 * tp + fp + fn),  # Wilson on 2TP/(2TP+FP+FN): an approximation
    }[metric]
    if n == 0:
        return NAN, NAN, 0
    return k / n, wilson_bound(k, n, confidence, upper=_higher(metric)), int(n)


def _regression_error(metric: str, arm: Arm, confidence: float) -> Estimate:
    """MAE, RMSE or MAPE with its CLT lower bound (see the module's convention)."""
    y, err = arm.errors()
    if metric == "mape":
        nonzero = y != 0
        y, err = y[nonzero], err[nonzero]
    n = len(err)
    if metric == "rmse":
        value = float(np.sqrt(np.mean(np.square(err)))) if n else NAN
        return value, rmse_bound(err, confidence, upper=False), n
    losses = np.abs(err) / np.abs(y) if metric == "mape" else np.abs(err)
    value = float(losses.mean()) if n else NAN
    return value, mean_bound(losses, confidence, upper=False), n


def _beyond_tolerance(metric: str, arm: Arm, confidence: float) -> Estimate:
    """A regression's error rate: the share of labelled requests whose absolute error
    exceeds the tolerance (a ceiling: its Wilson lower bound); not judged without one."""
    _, err = arm.errors()
    n = len(err)
    if n == 0 or not np.isfinite(arm.tolerance):
        return NAN, NAN, n
    k = float((np.abs(err) > arm.tolerance).sum())
    return k / n, wilson_bound(k, n, confidence, upper=False), n


def _higher(metric: str) -> bool:
    return GUARDRAIL_METRICS[metric].higher_is_better


FAMILIES: dict[str, Callable[[str, Arm, float], Estimate]] = {
    "agreement": _flag_share,
    "fallback_rate": _flag_share,
    "availability": _flag_share,
    "p95_latency_ms": _p95_latency,
    "roc_auc": _roc_auc,
    "log_loss": _mean_loss,
    "brier": _mean_loss,
    "balanced_accuracy": _balanced_accuracy,
    "accuracy": _confusion_share,
    "error_rate": _confusion_share,
    "recall": _confusion_share,
    "precision": _confusion_share,
    "specificity": _confusion_share,
    "f1": _confusion_share,
    "mae": _regression_error,
    "rmse": _regression_error,
    "mape": _regression_error,
}


def status_of(g: Guardrail, bound: float) -> str:
    """ "breach" when the bound is on the wrong side of the threshold, "pass" when not,
    "too few" when the sample gave no bound.

    >>> g = Guardrail("accuracy", 0.8)
    >>> status_of(g, 0.79), status_of(g, 0.85), status_of(g, float("nan"))
    ('breach', 'pass', 'too few')
    """
    if not np.isfinite(bound):
        return "too few"
    return "breach" if g.is_bad(bound) else "pass"
