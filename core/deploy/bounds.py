"""One-sided confidence bounds the guardrails are judged with, so a 5% canary of a few dozen
requests is not rolled back by noise: Wilson for shares, Hanley-McNeil for ROC AUC, an
order-statistic bound for the p95 latency, the CLT for a mean error (a regression's MAE and
MAPE; its RMSE through the mean squared error)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd


def z_score(confidence: float) -> float:
    """The one-sided normal quantile of ``confidence``.

    >>> round(z_score(0.95), 4)
    1.6449
    """
    return NormalDist().inv_cdf(confidence)


def wilson_bound(successes: float, n: float, confidence: float, upper: bool) -> float:
    """One-sided Wilson score bound of a binomial share.

    Examples
    --------
    >>> round(wilson_bound(80, 100, 0.95, upper=True), 4)
    0.8575
    >>> round(wilson_bound(80, 100, 0.95, upper=False), 4)
    0.7267
    """
    if n <= 0:
        return float("nan")
    z = z_score(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre + half if upper else centre - half


def auc_with_se(y: np.ndarray, score: np.ndarray) -> tuple[float, float, int]:
    """ROC AUC (Mann-Whitney) and its Hanley-McNeil standard error; (nan, nan, n) if undefined.

    Examples
    --------
    >>> a, se, n = auc_with_se(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> round(a, 3), n
    (0.75, 4)
    """
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 < 1 or n0 < 1:
        return float("nan"), float("nan"), len(y)
    ranks = pd.Series(score).rank(method="average").to_numpy()
    a = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0)
    return float(a), float(math.sqrt(max(var, 0.0))), len(y)


def p95_bound(values: np.ndarray, confidence: float, upper: bool) -> float:
    """Distribution-free bound of the 95th percentile from order statistics (normal approx.).

    >>> round(p95_bound(np.arange(1, 1001, dtype=float), 0.95, upper=False), 1)
    938.0
    """
    n = len(values)
    if n == 0:
        return float("nan")
    z = z_score(confidence)
    sd = math.sqrt(n * 0.95 * 0.05)
    k = n * 0.95 + (z * sd if upper else -z * sd)
    k = int(min(max(math.ceil(k) if upper else math.floor(k), 1), n))
    return float(np.partition(values, k - 1)[k - 1])


MIN_MEAN_SAMPLE = 10  # a mean error of fewer labelled requests is not judged


def mean_bound(values: np.ndarray, confidence: float, upper: bool) -> float:
    """One-sided CLT bound of the mean: mean ± z·sd/√n (sd with n − 1), the normal interval
    of the mean (statsmodels' ``zconfint_mean``); NaN under ``MIN_MEAN_SAMPLE`` values.

    Examples
    --------
    >>> x = np.arange(1, 21, dtype=float)
    >>> round(mean_bound(x, 0.95, upper=False), 4), round(mean_bound(x, 0.95, upper=True), 4)
    (8.3241, 12.6759)
    >>> mean_bound(x[:5], 0.95, upper=False)
    nan
    """
    n = len(values)
    if n < MIN_MEAN_SAMPLE:
        return float("nan")
    half = z_score(confidence) * float(np.std(values, ddof=1)) / math.sqrt(n)
    mean = float(np.mean(values))
    return mean + half if upper else mean - half


def rmse_bound(errors: np.ndarray, confidence: float, upper: bool) -> float:
    """One-sided bound of the RMSE: the CLT bound of the mean squared error (floored at 0),
    then its square root (the root is monotone, so the confidence carries over).

    >>> e = np.array([1.0, -2, 3, -1, 2, -3, 1, 2, -2, 3])
    >>> round(rmse_bound(e, 0.95, upper=False), 4)
    1.6971
    """
    mse = mean_bound(np.square(errors), confidence, upper)
    return float("nan") if not np.isfinite(mse) else math.sqrt(max(mse, 0.0))
