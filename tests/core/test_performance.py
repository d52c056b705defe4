"""Confidence-based performance estimation against realized metrics on calibrated data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics

from core.performance import estimate_performance, realized_performance

TOLERANCE = 0.02  # CBPE vs realized on 20,000 calibrated rows (about 4 standard errors)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimate_is_within_tolerance_of_realized_on_calibrated_data(seed):
    rng = np.random.default_rng(seed)
    p = rng.beta(0.7, 1.4, 20_000)
    y = (rng.random(p.size) < p).astype(int)  # calibrated by construction
    est = estimate_performance(p)
    real = realized_performance(y, p)
    for m in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert est[m] == pytest.approx(real[m], abs=TOLERANCE), m
    assert abs(est["accuracy"] - real["accuracy"]) <= 4 * est["accuracy_se"]


def test_realized_matches_sklearn_and_skips_missing_labels():
    rng = np.random.default_rng(5)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(float)
    real = realized_performance(y, p, threshold=0.4)
    pred = p >= 0.4
    assert real["precision"] == pytest.approx(metrics.precision_score(y, pred))
    assert real["recall"] == pytest.approx(metrics.recall_score(y, pred))
    assert real["f1"] == pytest.approx(metrics.f1_score(y, pred))
    assert real["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p))
    y[:100] = np.nan
    assert realized_performance(y, p)["n"] == 400
    assert np.isnan(realized_performance(np.full(3, np.nan), p[:3])["accuracy"])
    assert np.isnan(realized_performance(np.ones(3), p[:3])["roc_auc"])  # one class


def test_bad_scores_raise_and_empty_windows_give_nan():
    with pytest.raises(ValueError, match="probabilities"):
        estimate_performance(np.array([0.2, 1.5]))
    assert estimate_performance(np.array([]))["n"] == 0
    assert np.isnan(estimate_performance(np.array([0.1, 0.2]))["precision"])
