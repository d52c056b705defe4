"""Labeling statistics cross-checked against their reference libraries on the same data:
Cohen's kappa (scikit-learn), Fleiss' kappa (statsmodels), Krippendorff's alpha
(krippendorff), confident learning (cleanlab)."""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from cleanlab.filter import find_label_issues
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from core import labeling as L


def _ratings(seed: int, items: int, raters: int, classes: int, missing: float = 0.0):
    """A raters x items matrix of labels 0..classes-1 (NaN = missing) with real agreement."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, items)
    skill = rng.uniform(0.4, 0.9, raters)
    agree = rng.uniform(size=(raters, items)) < skill[:, None]
    noise = rng.integers(0, classes, (raters, items))
    r = np.where(agree, truth[None, :], noise).astype(float)
    r[rng.uniform(size=r.shape) < missing] = np.nan
    return r


def _long(r: np.ndarray) -> pd.DataFrame:
    rows = [
        (f"i{i:04d}", f"rater{a}", str(int(v)))
        for a in range(r.shape[0])
        for i in range(r.shape[1])
        if not np.isnan(v := r[a, i])
    ]
    return pd.DataFrame(rows, columns=["item_id", "annotator", "label"])


@pytest.mark.parametrize("seed", range(5))
def test_cohen_kappa_equals_sklearn(seed: int):
    r = _ratings(seed, 300, 2, 2 + seed)
    a, b = r[0].astype(int).astype(str), r[1].astype(int).astype(str)
    assert L.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_kappa_equals_statsmodels_when_every_item_has_every_rater(seed: int):
    r = _ratings(seed, 200, 3 + seed % 3, 3)
    counts = L.count_matrix(_long(r)).counts
    assert L.fleiss_kappa(counts) == pytest.approx(sm_fleiss(counts, method="fleiss"), abs=1e-12)


def test_fleiss_kappa_with_missing_labels_uses_each_items_raters():
    # Convention (documented in core.labeling.fleiss_kappa): with missing labels each item's
    # observed agreement uses its own number of raters; statsmodels refuses such a table.
    r = _ratings(7, 150, 4, 3, missing=0.2)
    counts = L.count_matrix(_long(r)).counts
    with pytest.raises(AssertionError):
        sm_fleiss(counts, method="fleiss")
    kept = counts[counts.sum(axis=1) >= 2].astype(float)
    n = kept.sum(axis=1)
    p_bar = (((kept**2).sum(axis=1) - n) / (n * (n - 1))).mean()
    p_e = ((kept.sum(axis=0) / n.sum()) ** 2).sum()
    assert L.fleiss_kappa(counts) == pytest.approx((p_bar - p_e) / (1 - p_e), abs=1e-12)
    # and on the complete items alone it is statsmodels' kappa again
    full = counts[counts.sum(axis=1) == 4]
    assert L.fleiss_kappa(full) == pytest.approx(sm_fleiss(full), abs=1e-12)


@pytest.mark.parametrize(("seed", "missing"), [(0, 0.0), (1, 0.1), (2, 0.3), (3, 0.5)])
def test_krippendorff_alpha_equals_the_krippendorff_package(seed: int, missing: float):
    r = _ratings(seed, 250, 4, 4, missing=missing)
    got = L.compute_agreement(_long(r)).krippendorff_alpha
    # the package takes raters x units with NaN for missing; units rated once drop out alike
    want = krippendorff.alpha(reliability_data=r, level_of_measurement="nominal")
    assert got == pytest.approx(want, abs=1e-12)


def _cleanlab_case(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    labels[:k] = np.arange(k)  # every class given at least once
    logits = rng.normal(0, 1.5, (n, k))
    logits[np.arange(n), labels] += rng.uniform(0, 3, n)
    p = np.exp(logits)
    return labels, p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(("seed", "k"), [(0, 2), (1, 2), (2, 3), (3, 4), (4, 6), (5, 3)])
def test_confident_learning_flags_equal_cleanlabs(seed: int, k: int):
    labels, p = _cleanlab_case(seed, 800, k)
    classes = [f"c{j}" for j in range(k)]
    out, _ = L.confident_learning(np.array(classes)[labels], p, classes)
    want = find_label_issues(labels, p, filter_by="confident_learning")
    assert out["flagged"].to_numpy().tolist() == want.tolist()
    assert want.sum() > 0  # the case has suspects to agree on


def test_confident_learning_one_confident_class_is_the_guess():
    # The issue's case: the fifth item (given b, p = (0.54, 0.46)) clears only b's threshold
    # (0.4533); cleanlab does not flag it. Before the fix the overall argmax (a) flagged it.
    labels = np.array([0, 0, 1, 1, 1])
    pa = np.array([0.6, 0.5, 0.6, 0.5, 0.54])
    p = np.column_stack([pa, 1 - pa])
    out, t = L.confident_learning(np.array(["a", "b"])[labels], p, ["a", "b"])
    want = find_label_issues(labels, p, filter_by="confident_learning")
    assert out["flagged"].tolist() == want.tolist() == [False, False, True, False, False]
    assert t["b"] == pytest.approx(0.4533333, abs=1e-6)
