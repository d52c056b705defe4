"""Confidence intervals of a model's test metrics, each with the method it used.

Conventions
-----------
* Proportions (accuracy, precision, recall) get the **Wilson score interval** at 95% on
  their own denominator (all rows, predicted positives, actual positives); it agrees with
  ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` (tested).
* Other metrics (F1, ROC AUC; MAE, RMSE for a regression) get a **percentile bootstrap**:
  1,000 resamples of the test rows with replacement, seed 0, the 2.5th and 97.5th
  percentiles. Each resample's value equals scikit-learn's on the same rows (tested).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
N_BOOT = 1000
WILSON = "Wilson score, 95%"
BOOTSTRAP = f"percentile bootstrap, {N_BOOT:,} resamples, 95%"


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Two-sided Wilson score interval of the proportion ``k / n``.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(45, 60)]
    [0.6277, 0.8422]
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (centre - half, centre + half)


def bootstrap_indices(n: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """``n_boot`` resamples of ``range(n)`` with replacement (rows: resamples)."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _f1_per_resample(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    tp = (t & p).sum(axis=1)
    fp = (~t & p).sum(axis=1)
    fn = (t & ~p).sum(axis=1)
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def _auc_per_resample(t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC per row (ties count half), NaN where a resample has one class."""
    from scipy.stats import rankdata

    ranks = rankdata(s, axis=1)
    n_pos = t.sum(axis=1)
    n_neg = t.shape[1] - n_pos
    u = (ranks * t).sum(axis=1) - n_pos * (n_pos + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)


def _percentiles(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return (math.nan, math.nan)
    lo, hi = np.percentile(values, [2.5, 97.5])
    return (float(lo), float(hi))


def classification_intervals(y_true: pd.Series, y_pred: pd.Series, score: pd.Series | None,
                             positive: str, seed: int = 0) -> pd.DataFrame:
    """Test metrics of a binary classifier with their 95% intervals: metric, value, low,
    high, n, method."""
    t = (y_true.astype(str) == str(positive)).to_numpy()
    p = (y_pred.astype(str) == str(positive)).to_numpy()
    n = len(t)
    rows = []
    for name, k, d in (("accuracy", int((t == p).sum()), n),
                       ("precision", int((t & p).sum()), int(p.sum())),
                       ("recall", int((t & p).sum()), int(t.sum()))):
        lo, hi = wilson_interval(k, d)
        rows.append((name, k / d if d else math.nan, lo, hi, d, WILSON))
    idx = bootstrap_indices(n, seed=seed) if n else np.zeros((0, 0), dtype=int)
    f1 = _f1_per_resample(t[None, :], p[None, :])[0] if n else math.nan
    rows.append(("f1", float(f1), *_percentiles(_f1_per_resample(t[idx], p[idx])), n,
                 BOOTSTRAP))
    if score is not None and n and score.notna().all():
        s = score.to_numpy(dtype=float)
        auc = float(_auc_per_resample(t[None, :], s[None, :])[0])
        rows.append(("roc_auc", auc, *_percentiles(_auc_per_resample(t[idx], s[idx])), n,
                     BOOTSTRAP))
    return pd.DataFrame(rows, columns=["metric", "value", "low", "high", "n", "method"])


def regression_intervals(y_true: pd.Series, y_pred: pd.Series, seed: int = 0) -> pd.DataFrame:
    """MAE and RMSE of a regressor with percentile-bootstrap 95% intervals."""
    err = (pd.to_numeric(y_pred, errors="coerce") - pd.to_numeric(y_true, errors="coerce"))
    e = err.dropna().to_numpy(dtype=float)
    rows = []
    if len(e):
        idx = bootstrap_indices(len(e), seed=seed)
        mae_b = np.abs(e[idx]).mean(axis=1)
        rmse_b = np.sqrt((e[idx] ** 2).mean(axis=1))
        rows.append(("mae", float(np.abs(e).mean()), *_percentiles(mae_b), len(e), BOOTSTRAP))
        rows.append(("rmse", float(np.sqrt((e**2).mean())), *_percentiles(rmse_b), len(e),
                     BOOTSTRAP))
    return pd.DataFrame(rows, columns=["metric", "value", "low", "high", "n", "method"])
