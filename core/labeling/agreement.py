"""Agreement between annotators: the item x class count matrix, Cohen's kappa per pair,
Fleiss' kappa, Krippendorff's alpha, per-class specific agreement, and the confusion of two
annotators.

DESIGN
------
* Agreement statistics work on the item x class *count matrix* (how many annotators gave
  item i class c), so missing labels need no special case: Fleiss' kappa in its
  variable-raters form, Krippendorff's alpha (nominal) from the coincidence matrix and
  per-class *specific agreement* all read that matrix. Cohen's kappa is per annotator pair on
  the items both labelled.
* Each statistic agrees with its reference (scikit-learn's ``cohen_kappa_score``,
  statsmodels' ``fleiss_kappa``, the ``krippendorff`` package); see
  tests/core/test_crosscheck_labeling.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.labeling.sets import LabelError


@dataclass(frozen=True)
class CountMatrix:
    """How many annotators gave each item each class (items x classes)."""

    items: list[str]
    classes: list[str]
    counts: np.ndarray

    @property
    def n_per_item(self) -> np.ndarray:
        return self.counts.sum(axis=1)


def count_matrix(long: pd.DataFrame) -> CountMatrix:
    """Items x classes counts from long-form labels.

    Examples
    --------
    >>> cm = count_matrix(pd.DataFrame({"item_id": ["a", "a", "b"], "label": ["x", "y", "x"]}))
    >>> cm.items, cm.classes, cm.counts.tolist()
    (['a', 'b'], ['x', 'y'], [[1, 1], [1, 0]])
    """
    if long.empty:
        return CountMatrix([], [], np.zeros((0, 0), dtype=int))
    tab = pd.crosstab(long["item_id"], long["label"])
    return CountMatrix([str(i) for i in tab.index], [str(c) for c in tab.columns], tab.to_numpy())


def cohen_kappa(a: Any, b: Any) -> float:
    """Cohen's kappa of two raters' labels on the same items (NaN when undefined).

    Examples
    --------
    >>> round(cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 4)
    0.5
    """
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if len(a) == 0:
        return float("nan")
    classes, inv = np.unique(np.concatenate([a, b]).astype(str), return_inverse=True)
    ia, ib = inv[: len(a)], inv[len(a) :]
    po = float(np.mean(ia == ib))
    pa = np.bincount(ia, minlength=len(classes)) / len(a)
    pb = np.bincount(ib, minlength=len(classes)) / len(b)
    pe = float(pa @ pb)
    return float("nan") if np.isclose(pe, 1.0) else (po - pe) / (1 - pe)


def _pairable(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows (as floats) of items with at least two labels, and their label counts."""
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(axis=1)
    return counts[n >= 2], n[n >= 2]


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from an items x classes count matrix (items with < 2 ratings ignored).

    With the same number of raters per item this is Fleiss (1971); with varying numbers
    each item's agreement uses its own number of raters.

    Examples
    --------
    >>> round(fleiss_kappa(np.array([[2, 0], [0, 2], [1, 1]])), 4)
    0.3333
    """
    counts, n = _pairable(counts)
    if len(n) == 0:
        return float("nan")
    p_i = ((counts**2).sum(axis=1) - n) / (n * (n - 1))
    p_j = counts.sum(axis=0) / n.sum()
    p_bar, p_e = p_i.mean(), float((p_j**2).sum())
    return float("nan") if np.isclose(p_e, 1.0) else float((p_bar - p_e) / (1 - p_e))


def krippendorff_alpha_nominal(counts: np.ndarray) -> float:
    """Krippendorff's alpha for nominal data from an items x classes count matrix.

    Missing labels are simply absent from the counts; items with fewer than two labels are
    not pairable and drop out, as in Krippendorff (2011).

    Examples
    --------
    >>> round(krippendorff_alpha_nominal(np.array([[2, 0], [0, 2], [1, 1]])), 4)
    0.4444
    """
    counts, m = _pairable(counts)
    if len(m) == 0:
        return float("nan")
    weighted = counts / (m - 1)[:, None]
    coincidence = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    d_o = coincidence.sum() - np.trace(coincidence)
    d_e = (n_c.sum() ** 2 - (n_c**2).sum()) / (n - 1)
    return float("nan") if np.isclose(d_e, 0.0) else float(1 - d_o / d_e)


def specific_agreement(counts: np.ndarray) -> np.ndarray:
    """Per class: when one annotator gives the class, the share of other annotators who agree.

    Examples
    --------
    >>> specific_agreement(np.array([[2, 0], [1, 1]])).round(4).tolist()
    [0.6667, 0.0]
    """
    counts, n = _pairable(counts)
    num = (counts * (counts - 1)).sum(axis=0)
    den = (counts * (n - 1)[:, None]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


@dataclass(frozen=True)
class Agreement:
    """Agreement of a set of annotators; ``defined`` is False with one annotator only."""

    defined: bool
    message: str
    n_items: int
    n_pairable_items: int
    n_annotators: int
    n_labels: int
    observed: float
    unanimous_share: float
    fleiss_kappa: float
    krippendorff_alpha: float
    pairs: pd.DataFrame
    per_class: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    return long.pivot(index="item_id", columns="annotator", values="label")


def pairwise_kappa(long: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa and raw agreement for every pair of annotators on their shared items."""
    wide = _wide(long)
    rows = []
    names = sorted(wide.columns)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = wide[[a, b]].dropna()
            rows.append(
                {
                    "annotator_a": a,
                    "annotator_b": b,
                    "n_items": len(both),
                    "agreement": float((both[a] == both[b]).mean()) if len(both) else np.nan,
                    "cohen_kappa": cohen_kappa(both[a], both[b]),
                }
            )
    return pd.DataFrame(
        rows,
        columns=["annotator_a", "annotator_b", "n_items", "agreement", "cohen_kappa"],
    )


def _undefined(
    message: str, long: pd.DataFrame, n_items: int, n_annotators: int, pairs: pd.DataFrame
) -> Agreement:
    nan = float("nan")
    return Agreement(
        False,
        message,
        n_items,
        0,
        n_annotators,
        len(long),
        nan,
        nan,
        nan,
        nan,
        pairs,
        pd.DataFrame(),
    )


def _per_class(long: pd.DataFrame, cm: CountMatrix) -> tuple[pd.DataFrame, pd.Series]:
    """Per class: its labels, specific agreement and who used it; and the users per class."""
    users = long.groupby("label")["annotator"].agg(lambda s: sorted(set(s)))
    table = pd.DataFrame(
        {
            "class": cm.classes,
            "n_labels": cm.counts.sum(axis=0),
            "specific_agreement": specific_agreement(cm.counts),
            "used_by": [", ".join(users[c]) for c in cm.classes],
        }
    )
    return table, users


def _notes(
    users: pd.Series, pairs: pd.DataFrame, n_per_item: np.ndarray, n_annotators: int
) -> list[str]:
    """What a reader should know before trusting the figures."""
    notes = [
        f"Class {c!r} is used by one annotator only ({who[0]}): its agreement is 0 "
        "by construction; check the instructions cover it."
        for c, who in users.items()
        if len(who) == 1
    ]
    if pairs["cohen_kappa"].isna().any():
        notes.append(
            "Cohen's kappa is undefined for a pair that shares no items or uses one class only."
        )
    missing = int((n_per_item < n_annotators).sum())
    if missing:
        notes.append(
            f"{missing} item(s) miss at least one annotator's label; "
            "Krippendorff's alpha handles missing labels, Fleiss' kappa uses each item's raters."
        )
    return notes


def compute_agreement(long: pd.DataFrame) -> Agreement:
    """Overall, per-class and pairwise agreement of long-form labels."""
    annotators = sorted(long["annotator"].unique()) if len(long) else []
    cm = count_matrix(long)
    n = cm.n_per_item
    if len(annotators) < 2:
        return _undefined(
            "Agreement is undefined with fewer than two annotators: every item has one label. "
            "Import labels from a second annotator on the same items.",
            long,
            len(cm.items),
            len(annotators),
            pd.DataFrame(),
        )
    pairs = pairwise_kappa(long)
    pairable = n >= 2
    if not pairable.any():
        return _undefined(
            "No item was labelled by two annotators, so agreement is undefined.",
            long,
            len(cm.items),
            len(annotators),
            pairs,
        )
    counts = cm.counts[pairable]
    nn = counts.sum(axis=1)
    observed = float((((counts**2).sum(axis=1) - nn) / (nn * (nn - 1))).mean())
    per_class, users = _per_class(long, cm)
    return Agreement(
        True,
        "",
        len(cm.items),
        int(pairable.sum()),
        len(annotators),
        len(long),
        observed,
        float(((counts > 0).sum(axis=1) == 1).mean()),
        fleiss_kappa(counts),
        krippendorff_alpha_nominal(counts),
        pairs,
        per_class,
        _notes(users, pairs, n, len(annotators)),
    )


def kappa_matrix(pairs: pd.DataFrame) -> pd.DataFrame:
    """Annotator x annotator matrix of Cohen's kappa (diagonal 1) from ``pairwise_kappa``."""
    names = sorted(set(pairs["annotator_a"]) | set(pairs["annotator_b"]))
    mat = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for r in pairs.itertuples():
        mat.loc[r.annotator_a, r.annotator_b] = mat.loc[r.annotator_b, r.annotator_a] = (
            r.cohen_kappa
        )
    return mat


def confusion_between(long: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Confusion matrix of annotator ``a`` (rows) against ``b`` (columns) on shared items."""
    wide = _wide(long)
    if a not in wide or b not in wide:
        raise LabelError("Choose two annotators of this labels set.")
    both = wide[[a, b]].dropna()
    classes = sorted(set(long["label"]))
    tab = pd.crosstab(both[a], both[b]).reindex(index=classes, columns=classes, fill_value=0)
    return tab.rename_axis(index=f"{a} →", columns=f"{b} ↓")
