"""Model metrics: what a training run stores per part, and how a value is judged.

DESIGN
------
* One long table per run: ``(metric, class, value)`` rows, ``class`` None for an overall
  value. Names follow the scoping contract: accuracy, precision, recall, f1, roc_auc,
  pr_auc, log_loss, brier, mae, rmse, r2; per class precision, recall, f1 and support.
* Binary tasks report precision, recall and F1 of the positive class (the one the business
  acts on) and the macro averages as ``*_macro``; multiclass tasks report macro averages
  under both names. The confusion counts tp/fp/fn/tn are stored for binary tasks so the
  business cost can be recomputed when the scoping costs change.
* A metric that is undefined on a part (ROC AUC with one class present) is left out, not
  stored as a made-up number.
* MAPE is a share (0.1 = 10 %), the mean of |y - ŷ| / |y| over the rows whose target is not
  zero (|y| > ``MAPE_EPS``); rows with a zero target are skipped and counted as
  ``mape_skipped``, and MAPE is left out when every target is zero. (scikit-learn divides by
  max(|y|, eps) instead, so one zero target makes its MAPE astronomically large; the two
  agree on data without zeros.)
* A decision threshold chosen on scores (``choose_threshold``: "target", "max_f1") lies
  strictly above the next lower score and at or below the chosen one, so ``score >=
  threshold`` flags exactly the rows the rule picked; it is never rounded past them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

LOWER_IS_BETTER = frozenset({"log_loss", "brier", "mae", "rmse", "mape", "cost_per_1000"})
MAPE_EPS = float(np.finfo(np.float64).eps)

LABELS = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "precision_macro": "Precision (macro)",
    "recall_macro": "Recall (macro)",
    "f1_macro": "F1 (macro)",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC (average precision)",
    "log_loss": "Log loss",
    "brier": "Brier score",
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "mape": "MAPE (share)",
    "mape_skipped": "Rows left out of MAPE (zero target)",
    "cost_per_1000": "Cost per 1,000 cases",
    "support": "Support",
    "n": "Rows",
}

CLASSIFICATION_HEADLINE = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
)
REGRESSION_HEADLINE = ("mae", "rmse", "r2", "mape")


def label(metric: str) -> str:
    return LABELS.get(metric, metric)


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def meets(metric: str, value: float | None, target: float | None) -> bool | None:
    """Whether ``value`` reaches ``target`` in the metric's direction; None when unknown.

    Examples
    --------
    >>> meets("roc_auc", 0.81, 0.8), meets("log_loss", 0.5, 0.4), meets("f1", None, 0.5)
    (True, False, None)
    """
    if value is None or target is None or _nan(value) or _nan(target):
        return None
    return bool(value >= target) if higher_is_better(metric) else bool(value <= target)


def better(metric: str, a: float, b: float) -> bool:
    """Whether ``a`` is strictly better than ``b`` for ``metric``."""
    return a > b if higher_is_better(metric) else a < b


def _nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _row(metric: str, value: float, cls: str | None = None) -> dict:
    return {"metric": metric, "class": cls, "value": float(value)}


def classification_metrics(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    proba: np.ndarray | None,
    classes: Sequence[str],
    positive_class: str | None = None,
) -> pd.DataFrame:
    """Overall and per-class metrics of a classifier on one part.

    ``proba`` has one column per entry of ``classes`` (the model's ``classes_`` order).

    Examples
    --------
    >>> m = classification_metrics(["1", "0", "1", "0"], ["1", "0", "0", "0"],
    ...     np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4], [0.7, 0.3]]), ["0", "1"], "1")
    >>> overall = m[m["class"].isna()].set_index("metric")["value"]
    >>> float(overall["accuracy"]), float(overall["recall"]), float(overall["roc_auc"])
    (0.75, 0.5, 1.0)
    """
    from sklearn import metrics as skm

    truth = np.asarray(y_true, dtype=object)
    pred = np.asarray(y_pred, dtype=object)
    labels = [str(c) for c in classes]
    rows = [_row("n", len(truth)), _row("accuracy", skm.accuracy_score(truth, pred))]
    p, r, f, s = skm.precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    for i, c in enumerate(labels):
        rows += [
            _row("precision", p[i], c),
            _row("recall", r[i], c),
            _row("f1", f[i], c),
            _row("support", s[i], c),
        ]
    present = s > 0  # macro over the classes present in this part, as sklearn does by default
    macro = {
        "precision_macro": float(np.mean(p[present])) if present.any() else 0.0,
        "recall_macro": float(np.mean(r[present])) if present.any() else 0.0,
        "f1_macro": float(np.mean(f[present])) if present.any() else 0.0,
    }
    rows += [_row(k, v) for k, v in macro.items()]
    positive = positive_class if len(labels) == 2 and positive_class in labels else None
    if positive is not None:
        k = labels.index(positive)
        rows += [_row("precision", p[k]), _row("recall", r[k]), _row("f1", f[k])]
        cm = skm.confusion_matrix(truth == positive, pred == positive, labels=[False, True])
        (tn, fp), (fn, tp) = cm
        rows += [_row("tp", tp), _row("fp", fp), _row("fn", fn), _row("tn", tn)]
    else:
        rows += [_row(name.removesuffix("_macro"), v) for name, v in macro.items()]
    if proba is not None and len(truth):
        rows += _probability_metrics(truth, np.asarray(proba, dtype=float), labels, positive)
    return pd.DataFrame(rows, columns=["metric", "class", "value"])


def _probability_metrics(
    y_true: np.ndarray, proba: np.ndarray, classes: list[str], positive_class: str | None
) -> list[dict]:
    from sklearn import metrics as skm

    rows = []
    present = [c for c in classes if (y_true == c).any()]
    if set(np.unique(y_true)) <= set(classes):
        rows.append(_row("log_loss", skm.log_loss(y_true, proba, labels=classes)))
    if positive_class is not None:
        y = y_true == positive_class
        score = proba[:, classes.index(positive_class)]
        rows.append(_row("brier", skm.brier_score_loss(y, score)))
        if len(present) == 2:
            rows.append(_row("roc_auc", skm.roc_auc_score(y, score)))
            rows.append(_row("pr_auc", skm.average_precision_score(y, score)))
        return rows
    # multiclass: Brier as the mean over rows of the summed squared error (range 0..2)
    onehot = (y_true[:, None] == np.asarray(classes, dtype=object)[None, :]).astype(float)
    rows.append(_row("brier", float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))))
    if len(present) == len(classes) and len(classes) > 2:
        rows.append(
            _row(
                "roc_auc",
                skm.roc_auc_score(
                    y_true, proba, multi_class="ovr", labels=classes, average="macro"
                ),
            )
        )
    if len(present) >= 2:
        aps = [
            skm.average_precision_score(onehot[:, i], proba[:, i])
            for i, c in enumerate(classes)
            if c in present
        ]
        rows.append(_row("pr_auc", float(np.mean(aps))))
    return rows


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> pd.DataFrame:
    """MAE, RMSE, R² and MAPE of a regressor on one part.

    MAPE skips the rows whose target is zero (see the module's DESIGN); ``mape_skipped``
    counts them.

    Examples
    --------
    >>> m = regression_metrics([1.0, 2.0, 4.0], [1.0, 2.0, 5.0]).set_index("metric")["value"]
    >>> float(m["mae"]), round(float(m["rmse"]), 4), round(float(m["r2"]), 4), float(m["mape"])
    (0.3333333333333333, 0.5774, 0.7857, 0.08333333333333333)
    >>> m = regression_metrics([0.0, 2.0], [1.0, 3.0]).set_index("metric")["value"]
    >>> float(m["mape"]), int(m["mape_skipped"])
    (0.5, 1)
    """
    from sklearn import metrics as skm

    truth = np.asarray(y_true, dtype=float)
    pred = np.asarray(y_pred, dtype=float)
    rows = [_row("n", len(truth))]
    if not len(truth):
        return pd.DataFrame(rows, columns=["metric", "class", "value"])
    rows += [
        _row("mae", skm.mean_absolute_error(truth, pred)),
        _row("rmse", math.sqrt(skm.mean_squared_error(truth, pred))),
    ]
    if len(truth) > 1:
        rows.append(_row("r2", skm.r2_score(truth, pred)))
    nonzero = np.abs(truth) > MAPE_EPS
    if nonzero.any():
        ape = np.abs(truth - pred)[nonzero] / np.abs(truth[nonzero])
        rows.append(_row("mape", float(np.mean(ape))))
    rows.append(_row("mape_skipped", int((~nonzero).sum())))
    return pd.DataFrame(rows, columns=["metric", "class", "value"])


def cost_per_1000(fp: float, fn: float, n: float, cost_fp: float, cost_fn: float) -> float:
    """Expected business cost of the errors per 1,000 cases.

    Examples
    --------
    >>> cost_per_1000(fp=10, fn=5, n=500, cost_fp=20.0, cost_fn=300.0)
    3400.0
    """
    if not n:
        return float("nan")
    return float((fp * cost_fp + fn * cost_fn) / n * 1000)


def roc_points(y_true: ArrayLike, score: ArrayLike, positive_class: str) -> pd.DataFrame:
    """False/true positive rates of every threshold (for the ROC curve)."""
    from sklearn.metrics import roc_curve

    y = np.asarray(y_true, dtype=object) == positive_class
    if y.all() or not y.any():
        return pd.DataFrame(columns=["fpr", "tpr", "threshold"])
    fpr, tpr, thr = roc_curve(y, np.asarray(score, dtype=float))
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thr})


def pr_points(y_true: ArrayLike, score: ArrayLike, positive_class: str) -> pd.DataFrame:
    """Precision and recall of every threshold (for the precision-recall curve)."""
    from sklearn.metrics import precision_recall_curve

    y = np.asarray(y_true, dtype=object) == positive_class
    if not y.any():
        return pd.DataFrame(columns=["precision", "recall", "threshold"])
    prec, rec, thr = precision_recall_curve(y, np.asarray(score, dtype=float))
    return pd.DataFrame({"precision": prec, "recall": rec, "threshold": np.append(thr, np.nan)})


THRESHOLD_RULES = ("0.5", "cost", "max_f1", "target")


def choose_threshold(
    rule: str | float,
    y_true: ArrayLike,
    score: ArrayLike,
    positive_class: str,
    *,
    target_metric: str | None = None,
    target: float | None = None,
    cost_fp: float | None = None,
    cost_fn: float | None = None,
) -> float:
    """The decision threshold on the positive-class probability under a rule.

    ``rule``: a number in (0, 1); "0.5"; "cost" (flag when the expected cost of missing
    exceeds that of a false alarm: cost_fp / (cost_fp + cost_fn)); "max_f1" (best F1 on
    these rows); "target" (the highest threshold whose recall reaches ``target``, or the
    lowest whose precision does, so the scoping target is met with the fewest flags).
    Choose it on dev and judge it on test.

    "max_f1" and "target" pick a score s on these rows and return a cut between s and the
    next lower score (``cut_below``), so ``score >= cut`` flags exactly the rows the rule
    picked, however close to 1 the scores are.

    Examples
    --------
    >>> y, s = ["1", "0", "1", "0", "1"], [0.9, 0.8, 0.6, 0.3, 0.2]
    >>> choose_threshold("target", y, s, "1", target_metric="recall", target=0.6)
    0.4
    >>> choose_threshold("max_f1", y, s, "1")
    0.2
    >>> choose_threshold("cost", y, s, "1", cost_fp=40.0, cost_fn=600.0)
    0.0625
    """
    if not isinstance(rule, str):
        value = float(rule)
        if not 0.0 < value < 1.0:
            raise ValueError(f"A decision threshold must lie between 0 and 1, not {value}.")
        return value
    if rule == "0.5":
        return 0.5
    if rule == "cost":
        if cost_fp is None or cost_fn is None or cost_fp + cost_fn <= 0:
            raise ValueError("The cost threshold needs both error costs in the scoping brief.")
        return float(cost_fp / (cost_fp + cost_fn))
    y = np.asarray(y_true, dtype=object) == positive_class
    s = np.asarray(score, dtype=float)
    if not y.any() or y.all():
        raise ValueError("Choosing a threshold needs both classes in the rows it is chosen on.")
    if rule not in ("max_f1", "target"):
        raise ValueError(
            f"Unknown threshold rule {rule!r}; use a number or one of {THRESHOLD_RULES}."
        )
    return cut_below(s, _chosen_score(rule, y_true, s, positive_class, target_metric, target))


def _chosen_score(
    rule: str,
    y_true: ArrayLike,
    s: np.ndarray,
    positive_class: str,
    target_metric: str | None,
    target: float | None,
) -> float:
    """The score whose ``>=`` flags the rows that the "max_f1" or "target" rule picks."""
    pr = pr_points(y_true, s, positive_class).dropna(subset=["threshold"])
    if rule == "max_f1":
        f1 = (
            2 * pr["precision"] * pr["recall"] / (pr["precision"] + pr["recall"]).replace(0, np.nan)
        )
        return float(pr["threshold"].iloc[int(np.nanargmax(f1.to_numpy()))])
    if target_metric == "recall" and target is not None:
        ok = pr[pr["recall"] >= target]
        return float(ok["threshold"].max()) if len(ok) else float(s.min())
    if target_metric == "precision" and target is not None:
        ok = pr[pr["precision"] >= target]
        return float(ok["threshold"].min()) if len(ok) else float(s.max())
    raise ValueError(
        "The 'target' threshold needs a recall or precision target in the scoping brief."
    )


def cut_below(scores: ArrayLike, chosen: float) -> float:
    """A threshold t with ``scores >= t`` exactly ``scores >= chosen``: a short decimal
    near the middle of the gap between ``chosen`` and the next lower score (``chosen``
    itself when no score is lower). It is never rounded past ``chosen``.

    Examples
    --------
    >>> cut_below([0.9999999, 0.9999998, 1e-7], 0.9999999)
    0.99999985
    >>> cut_below([0.99, 0.02, 0.01], 0.99), cut_below([0.3, 0.5], 0.3)
    (0.5, 0.3)
    """
    s = np.asarray(scores, dtype=float)
    lower = s[s < chosen]
    if not len(lower):
        return float(chosen)
    lo, hi = float(lower.max()), float(chosen)
    mid = lo + (hi - lo) / 2
    for digits in range(1, 17):
        short = round(mid, digits)
        if lo < short <= hi and abs(short - mid) <= (hi - lo) / 4:
            return float(short)
    return mid if lo < mid <= hi else hi
