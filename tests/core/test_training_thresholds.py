"""Decision thresholds on a strong model: the chosen cut is one the scores actually reach.

The defect: with ROC AUC 1.000 the "meet the scoping target" threshold was rounded to six
decimals (0.9999996 -> 1.0), no row reached it, and recall and F1 were 0 in a 'done' run.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from core import training
from core.db import training as training_db
from core.scoping import MetricTarget
from core.training import metrics as M
from tests.core.training_data import save_contract, separable_frame, store_split

COST_FP, COST_FN = 1.0, 10.0


def _project(store, primary: MetricTarget):
    frame, features = separable_frame()
    pid, sid = store_split(store, frame, "is_fault")
    save_contract(
        store,
        pid,
        target_column="is_fault",
        positive_class="1",
        feature_columns=features,
        primary=primary,
        cost_fp=COST_FP,
        cost_fn=COST_FN,
    )
    return pid, sid, features


# a nearly unregularized logistic model puts the positives within 1e-7 of 1.0
MODELS = {
    "logistic_regression": {"C": 1e6, "max_iter": 10_000},
    "hist_gradient_boosting": {"learning_rate": 0.5, "max_iter": 300, "early_stopping": "off"},
}


def _trained(store, primary: MetricTarget, kind: str, rule: str):
    """A done run of ``kind`` (threshold ``rule``) on a separable project whose brief's
    primary target is ``primary``."""
    pid, sid, features = _project(store, primary)
    spec = training.TrainSpec(sid, "is_fault", tuple(features), kind, MODELS[kind], {}, 0, rule)
    run = training.get_run(store, training.train_run(store, pid, spec, actor="tester"))
    assert run.status == "done", run.error
    return run


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("rule", ["target", "cost", "max_f1"])
def test_every_rule_flags_rows_on_a_perfectly_separating_model(store, kind, rule):
    run = _trained(store, MetricTarget("recall", 0.5), kind, rule)
    t = run.params["decision_threshold"]
    dev = training.overall_metrics(store, [run.id], "dev").loc[run.id]
    assert dev["roc_auc"] == 1.0
    preds = training_db.run_predictions(store, run.id, ["dev"])
    flagged = preds["y_pred"] == "1"
    assert (flagged == (preds["score"] >= t)).all()
    assert flagged.any() and (preds.loc[flagged, "y_true"] == "1").all()
    assert dev["recall"] > 0 and dev["f1"] > 0
    if rule == "target":  # chosen on dev, so dev meets the target
        assert dev["recall"] >= 0.5
    if rule == "max_f1":  # a perfect separator has a cut with F1 = 1 on the rows it saw
        assert dev["f1"] == 1.0
    if rule == "cost":  # not chosen on scores: the Bayes cut itself, unrounded
        assert t == COST_FP / (COST_FP + COST_FN)
    test = training.overall_metrics(store, [run.id], "test").loc[run.id]
    assert test["recall"] > 0 and test["f1"] > 0


def test_the_reported_case_a_threshold_past_every_score(store):
    # recall 0.1 on dev picks a positive scored 1 - 1.7e-7, which six decimals made 1.0:
    # no row reached it, and recall and F1 were 0 in a run marked done
    run = _trained(store, MetricTarget("recall", 0.1), "logistic_regression", "target")
    preds = training_db.run_predictions(store, run.id, ["dev"])
    t = run.params["decision_threshold"]
    assert t < 1.0 and (preds["score"] >= t).any()
    dev = training.overall_metrics(store, [run.id], "dev").loc[run.id]
    assert dev["roc_auc"] == 1.0 and dev["recall"] >= 0.1 and dev["f1"] > 0


def test_precision_target_on_a_perfectly_separating_model(store):
    run = _trained(store, MetricTarget("precision", 0.99), "logistic_regression", "target")
    dev = training.overall_metrics(store, [run.id], "dev").loc[run.id]
    assert dev["precision"] >= 0.99 and dev["recall"] == 1.0


def _near_one(n_pos: int = 40, n_neg: int = 160):
    """Positives scored within 1e-7 of 1 (distinct), negatives near 0: ROC AUC 1."""
    y = np.array(["1"] * n_pos + ["0"] * n_neg, dtype=object)
    s = np.concatenate([1 - np.arange(1, n_pos + 1) * 2e-9, np.linspace(1e-9, 1e-3, n_neg)])
    return y, s


@pytest.mark.parametrize(
    ("rule", "kw"),
    [
        ("target", {"target_metric": "recall", "target": 0.5}),
        ("target", {"target_metric": "recall", "target": 0.05}),
        ("target", {"target_metric": "precision", "target": 0.9}),
        ("max_f1", {}),
    ],
)
def test_choose_threshold_is_reached_by_the_scores_it_was_chosen_on(rule, kw):
    y, s = _near_one()
    t = M.choose_threshold(rule, y, s, "1", **kw)
    pred = np.where(s >= t, "1", "0")
    assert (s >= t).any() and t < 1.0
    if kw.get("target_metric") == "recall":
        assert skm.recall_score(y, pred, pos_label="1") >= kw["target"]
    elif kw.get("target_metric") == "precision":
        assert skm.precision_score(y, pred, pos_label="1") >= kw["target"]
    else:
        assert skm.f1_score(y, pred, pos_label="1") == 1.0


def test_cut_below_lies_in_the_gap_and_flags_the_same_rows():
    rng = np.random.default_rng(0)
    s = np.concatenate([rng.uniform(size=200), 1 - rng.uniform(0, 1e-9, 20)])
    for chosen in [*np.sort(s)[::17], s.max(), s.min()]:
        t = M.cut_below(s, chosen)
        assert ((s >= t) == (s >= chosen)).all(), chosen
        assert t <= chosen
