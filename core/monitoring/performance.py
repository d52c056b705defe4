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

Calibration follows NannyML's CBPE: :func:`fit_calibration` fits an isotonic regression of
the labels on the scores of a labelled reference (a run's held-out part), but only when it
helps: not with one class, not when the reference ROC AUC exceeds 0.999, and only if, over
10 stratified 90/10 shuffles, the calibrated scores of the held-out tenths have a lower
expected calibration error (10 equal-count bins) than the raw ones. The returned
:class:`Calibration` records which was used and why.

``accuracy_se`` is the standard error of the realized accuracy around the estimate when
the scores are calibrated (rows independent). ``<metric>_low`` / ``<metric>_high`` bound
the central 95% of the metric over labels drawn from the calibrated probabilities (a
parametric bootstrap): where the realized metric should fall if the calibration holds.
It covers sampling noise only, not a calibration that has drifted.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

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
    y_score: np.ndarray,
    threshold: float = 0.5,
    *,
    model_scores: np.ndarray | None = None,
    band: float = 0.95,
    n_sim: int = 400,
    seed: int = 0,
) -> dict[str, float]:
    """Expected accuracy, precision, recall, F1 and ROC AUC from calibrated probabilities,
    each with the central ``band`` of its value over labels drawn from the probabilities.

    ``y_score`` are the calibrated probabilities; ``model_scores`` the model's own scores
    they were calibrated from (default: the same). As NannyML's CBPE, a row's predicted
    class is the model's (``model_scores >= threshold``) and the ROC curve ranks rows by
    the model's scores: calibration changes how likely each prediction is right, not the
    prediction. (Classing by the calibrated score moved 157-290 of 2,000 rows at a 0.3
    threshold in ``bench/compare_references.py`` and put accuracy off by 0.04.)

    Examples
    --------
    >>> est = estimate_performance(np.array([0.9, 0.8, 0.3, 0.1]))
    >>> {k: round(est[k], 4) for k in ("accuracy", "precision", "recall", "f1", "roc_auc")}
    {'accuracy': 0.825, 'precision': 0.85, 'recall': 0.8095, 'f1': 0.8293, 'roc_auc': 0.8634}
    >>> round(est["accuracy_se"], 4), est["accuracy_low"], est["accuracy_high"]
    (0.1854, 0.5, 1.0)
    """
    p = _scores(y_score)
    n = p.size
    if n == 0:
        return {m: float("nan") for m in METRICS} | _nan_band() | {
            "accuracy_se": float("nan"),
            "n": 0,
        }
    raw = p if model_scores is None else np.asarray(model_scores, dtype=float).ravel()
    if raw.shape != p.shape:
        raise ValueError("model_scores must have one score per probability.")
    pos = raw >= threshold
    tp, fp = p[pos].sum(), (1 - p[pos]).sum()
    fn, tn = p[~pos].sum(), (1 - p[~pos]).sum()
    correct = np.where(pos, p, 1 - p)
    return {
        "accuracy": float((tp + tn) / n),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": _expected_auc(p, raw),
        **simulated_band(p, pos, raw, band=band, n_sim=n_sim, seed=seed),
        "accuracy_se": float(math.sqrt(np.sum(correct * (1 - correct))) / n),
        "n": int(n),
    }


def _nan_band() -> dict[str, float]:
    return {f"{m}_{side}": float("nan") for m in METRICS for side in ("low", "high")}


def simulated_band(
    p: np.ndarray, predicted: np.ndarray, rank_by: np.ndarray, *, band: float = 0.95,
    n_sim: int = 400, seed: int = 0,
) -> dict[str, float]:
    """Central ``band`` of each metric over ``n_sim`` label vectors drawn as Bernoulli(p).

    The predictions (``predicted``, a boolean per row) and the score ranks ROC AUC uses
    (of ``rank_by``) are fixed; only the labels vary, so each draw is a matrix product:
    vectorised, in chunks of at most ~16M cells.
    """
    from scipy.stats import rankdata

    p = np.asarray(p, dtype=float)
    n = p.size
    if n == 0:
        return _nan_band()
    rng = np.random.default_rng(seed)
    pos = np.asarray(predicted, dtype=bool)
    n_pos = int(pos.sum())
    ranks = rankdata(rank_by)  # average ranks: ties count one half, as roc_auc_score
    chunk = max(1, min(n_sim, 16_000_000 // n))
    out: dict[str, list[np.ndarray]] = {m: [] for m in METRICS}
    done = 0
    while done < n_sim:
        b = min(chunk, n_sim - done)
        y = (rng.random((b, n)) < p).astype(np.float64)
        tp = y[:, pos].sum(axis=1)
        n1 = y.sum(axis=1)
        fn = n1 - tp
        fp = n_pos - tp
        tn = n - n_pos - fn
        n0 = n - n1
        with np.errstate(invalid="ignore", divide="ignore"):
            out["accuracy"].append((tp + tn) / n)
            out["precision"].append(np.where(n_pos > 0, tp / max(n_pos, 1), np.nan))
            out["recall"].append(np.where(n1 > 0, tp / np.where(n1 > 0, n1, 1), np.nan))
            den = 2 * tp + fp + fn
            out["f1"].append(np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), np.nan))
            auc = (y @ ranks - n1 * (n1 + 1) / 2) / (n1 * n0)
            out["roc_auc"].append(np.where((n1 > 0) & (n0 > 0), auc, np.nan))
        done += b
    lo, hi = 50 * (1 - band), 50 * (1 + band)
    res: dict[str, float] = {}
    for m, parts in out.items():
        v = np.concatenate(parts)
        v = v[~np.isnan(v)]
        res[f"{m}_low"] = float(np.percentile(v, lo)) if v.size else float("nan")
        res[f"{m}_high"] = float(np.percentile(v, hi)) if v.size else float("nan")
    return res


@dataclass(frozen=True)
class Calibration:
    """How scores are turned into probabilities before estimation (isotonic, or as they are).

    ``x`` / ``y`` are the fitted isotonic regression's knots: a score maps to the linear
    interpolation between them, clipped at the ends (as scikit-learn's ``predict``).
    """

    method: str  # "isotonic" or "none"
    reason: str
    n: int = 0
    ece_before: float = float("nan")
    ece_after: float = float("nan")
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def apply(self, scores: np.ndarray) -> np.ndarray:
        p = np.asarray(scores, dtype=float)
        if self.method != "isotonic":
            return p
        return np.clip(np.interp(p, self.x, self.y), 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the knots, for a run's summary."""
        d = asdict(self)
        del d["x"], d["y"]
        return d


NO_CALIBRATION = Calibration("none", "no labelled reference to calibrate on")


def expected_calibration_error(y_true: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE over ``bins`` equal-count bins of the sorted scores (NannyML's binning).

    >>> round(expected_calibration_error(np.array([0, 0, 1, 1]), np.array([.1, .3, .7, .9]), bins=2), 6)
    0.2
    """
    y, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    n = p.size
    if n <= 2 * bins:
        bins = max(n // 2, 1)
    order = np.argsort(p, kind="stable")
    y, p = y[order], p[order]
    width = n // bins
    edges = list(range(0, n + 1, width))
    edges[-1] = n
    return float(sum((b - a) / n * abs(p[a:b].mean() - y[a:b].mean())
                     for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a))


def fit_calibration(
    y_true: np.ndarray, y_score: np.ndarray, *, splits: int = 10, bins: int = 10,
    min_rows: int = 100, seed: int = 42,
) -> Calibration:
    """Isotonic calibration of a labelled reference's scores, when it helps (as NannyML).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> raw = rng.random(4000)
    >>> y = (rng.random(4000) < raw ** 3).astype(int)  # scores far too high
    >>> cal = fit_calibration(y, raw)
    >>> cal.method, cal.ece_after < cal.ece_before
    ('isotonic', True)
    >>> fit_calibration((raw > 0.5).astype(int), raw).reason  # nothing left to calibrate
    'the reference separates the classes perfectly'
    """
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedShuffleSplit

    y = np.asarray(y_true, dtype=float)
    p = _scores(np.asarray(y_score, dtype=float))
    keep = ~np.isnan(y)
    y, p = y[keep].astype(int), p[keep]
    n = int(y.size)
    if n < min_rows:
        return Calibration("none", f"only {n} labelled reference rows (fewer than {min_rows})", n)
    if len(np.unique(y)) < 2 or min(np.bincount(y)) < 2:
        return Calibration("none", "the reference has (almost) one class only", n)
    if roc_auc_score(y, p) > 0.999:
        return Calibration("none", "the reference separates the classes perfectly", n)
    sss = StratifiedShuffleSplit(n_splits=splits, test_size=0.1, random_state=seed)
    ys, raw, cal = [], [], []
    for train, test in sss.split(p.reshape(-1, 1), y):
        iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(p[train], y[train])
        ys.append(y[test])
        raw.append(p[test])
        cal.append(iso.predict(p[test]))
    yy = np.concatenate(ys)
    before = expected_calibration_error(yy, np.concatenate(raw), bins)
    after = expected_calibration_error(yy, np.concatenate(cal), bins)
    if not after < before:
        return Calibration("none", "isotonic calibration would not lower the calibration error",
                           n, before, after)
    iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(p, y)
    return Calibration(
        "isotonic", "isotonic calibration lowers the calibration error on held-out reference rows",
        n, before, after,
        tuple(float(v) for v in iso.X_thresholds_), tuple(float(v) for v in iso.y_thresholds_),
    )


def _expected_auc(p: np.ndarray, rank_by: np.ndarray | None = None) -> float:
    """Area under the expected ROC curve: rows ranked by ``rank_by`` (default ``p``), each
    counting ``p`` of a positive and ``1 - p`` of a negative."""
    r = p if rank_by is None else rank_by
    order = np.argsort(-r, kind="stable")
    ps, rs = p[order], r[order]
    # one ROC point per distinct score (ties move together)
    last = np.r_[rs[1:] != rs[:-1], True]
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
