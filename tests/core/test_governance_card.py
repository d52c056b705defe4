"""The model card's numbers: confidence intervals against statsmodels and scikit-learn, and
the card built from a stored project (limitations stored, missing parts said, not invented)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, mean_absolute_error, roc_auc_score
from statsmodels.stats.proportion import proportion_confint

from core import governance, scoping
from core.db import projects as projects_db
from core.errors import StoreError
from core.governance import card, facts, intervals
from core.scoping import Brief, Contract, MetricTarget
from core.training import registry
from tests.core.test_training import make_split, run


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (45, 60), (999, 1000), (1, 1)])
def test_wilson_matches_statsmodels(k, n):
    np.testing.assert_allclose(intervals.wilson_interval(k, n),
                               proportion_confint(k, n, alpha=0.05, method="wilson"), atol=1e-12)


def _binary(n=400, seed=3):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    s = np.clip(t * 0.3 + rng.uniform(size=n) * 0.7, 0, 1)
    s[:20] = 0.5  # ties count half, as scikit-learn's
    p = (s > 0.5).astype(int)
    return pd.Series(t.astype(str)), pd.Series(p.astype(str)), pd.Series(s)


def test_bootstrap_resamples_agree_with_sklearn_per_resample():
    t, p, s = _binary()
    idx = intervals.bootstrap_indices(len(t), n_boot=25, seed=0)
    tt, pp = (t == "1").to_numpy(), (p == "1").to_numpy()
    ours_f1 = intervals._f1_per_resample(tt[idx], pp[idx])
    ours_auc = intervals._auc_per_resample(tt[idx], s.to_numpy()[idx])
    for i, rows in enumerate(idx):
        assert ours_f1[i] == pytest.approx(f1_score(tt[rows], pp[rows]), abs=1e-12)
        assert ours_auc[i] == pytest.approx(roc_auc_score(tt[rows], s.to_numpy()[rows]), abs=1e-12)


def test_classification_intervals_state_their_method_and_hold_the_value():
    t, p, s = _binary()
    ci = intervals.classification_intervals(t, p, s, "1").set_index("metric")
    assert ci.loc["accuracy", "value"] == pytest.approx((t == p).mean())
    assert ci.loc["roc_auc", "value"] == pytest.approx(roc_auc_score(t == "1", s))
    assert ci.loc["recall", "method"].startswith("Wilson")
    assert ci.loc["f1", "method"].startswith("percentile bootstrap")
    assert (ci["low"] <= ci["value"]).all() and (ci["value"] <= ci["high"]).all()
    again = intervals.classification_intervals(t, p, s, "1").set_index("metric")
    pd.testing.assert_frame_equal(ci, again)  # seeded: the card does not move between exports


def test_regression_intervals():
    rng = np.random.default_rng(0)
    y = pd.Series(rng.normal(size=300))
    yhat = y + rng.normal(scale=0.5, size=300)
    ci = intervals.regression_intervals(y.astype(str), yhat.astype(str)).set_index("metric")
    assert ci.loc["mae", "value"] == pytest.approx(mean_absolute_error(y, yhat))
    assert ci.loc["mae", "low"] < ci.loc["mae", "value"] < ci.loc["mae", "high"]


@pytest.fixture
def project(store):
    pid, sid = make_split(store)
    scoping.save_brief(store, pid, Brief(
        problem="Flag faulty parts before shipping.", decision="Hold or ship a part.",
        contract=Contract(target_column="y", primary=MetricTarget("recall", 0.5))), "owner")
    vid = registry.register(store, run(store, pid, sid), "tester", alias="champion")
    return store, pid, vid


def test_card_from_stored_facts(project):
    store, pid, vid = project
    governance.approve(store, pid, "model", "lead", "recall above target", vid)
    facts.save_limitations(store, pid, "Not for parts made before 2020.", "lead")
    f = facts.collect_facts(store, pid)
    text = card.model_card(f)
    assert text.startswith("# Model card: p")
    assert "Flag faulty parts before shipping." in text
    for heading in ("## Intended use", "## Data versions", "## Training recipe",
                    "## Metrics on the test part", "## Where it fails", "## Label agreement",
                    "## Rollout rehearsals", "## Monitoring status", "## Approvals",
                    "## Limitations"):
        assert heading in text
    recall = f.metrics.set_index("metric").loc["recall"]
    assert recall["method"] == intervals.WILSON and recall["low"] < recall["this run"]
    assert f"| Recall | {recall['this run']:.3f} | {recall['low']:.3f} |" in text
    assert "Wilson score, 95% (Accuracy, Precision, Recall)" in text
    assert "Not for parts made before 2020." in text
    assert "**Model promoted to champion:** model v1" in text and "recall above target" in text
    # parts that were never stored are said to be missing, with the reason
    assert "_Not available: no annotators' labels are stored._" in text
    assert "_Not available: no rollout rehearsal is stored._" in text
    assert "_Not available: no monitoring run is stored._" in text


def test_limitations_are_versioned_and_refuse_empty(project):
    store, pid, _ = project
    with pytest.raises(StoreError, match="Limitations"):
        facts.save_limitations(store, pid, "  \n ", "lead")
    assert facts.get_limitations(store, pid) is None
    assert facts.save_limitations(store, pid, "one", "a") == 1
    assert facts.save_limitations(store, pid, "two", "b") == 2
    lim = facts.get_limitations(store, pid)
    assert (lim.version, lim.text, lim.saved_by) == (2, "two", "b")


def test_card_of_an_empty_project_says_what_is_missing(store):
    pid = projects_db.create_project(store, "empty one", "tester")
    text = card.model_card(facts.collect_facts(store, pid))
    assert "_Not available: no project brief is saved._" in text
    assert "_Not available: no finished training run is stored yet._" in text
    assert "- **Brief go:** not approved" in text
