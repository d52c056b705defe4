from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from core.training import metrics as M


def _overall(frame):
    return frame[frame["class"].isna()].set_index("metric")["value"]


def _per_class(frame, metric):
    f = frame[(frame["metric"] == metric) & frame["class"].notna()]
    return f.set_index("class")["value"]


@pytest.fixture
def binary():
    rng = np.random.default_rng(3)
    y = rng.choice(["0", "1"], size=400, p=[0.7, 0.3])
    p1 = np.clip(0.3 + 0.35 * (y == "1") + rng.normal(0, 0.2, 400), 0.01, 0.99)
    proba = np.column_stack([1 - p1, p1])
    pred = np.where(p1 >= 0.5, "1", "0")
    return y, pred, proba


def test_binary_metrics_match_sklearn(binary):
    y, pred, proba = binary
    m = M.classification_metrics(y, pred, proba, ["0", "1"], "1")
    o = _overall(m)
    assert o["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert o["precision"] == pytest.approx(skm.precision_score(y, pred, pos_label="1"))
    assert o["recall"] == pytest.approx(skm.recall_score(y, pred, pos_label="1"))
    assert o["f1"] == pytest.approx(skm.f1_score(y, pred, pos_label="1"))
    assert o["f1_macro"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert o["roc_auc"] == pytest.approx(skm.roc_auc_score(y == "1", proba[:, 1]))
    assert o["pr_auc"] == pytest.approx(skm.average_precision_score(y == "1", proba[:, 1]))
    assert o["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=["0", "1"]))
    assert o["brier"] == pytest.approx(skm.brier_score_loss(y == "1", proba[:, 1]))
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=["0", "1"]).ravel()
    assert (o["tp"], o["fp"], o["fn"], o["tn"]) == (tp, fp, fn, tn)
    recall = _per_class(m, "recall")
    exp = skm.recall_score(y, pred, average=None, labels=["0", "1"])
    assert recall["0"] == pytest.approx(exp[0]) and recall["1"] == pytest.approx(exp[1])
    assert _per_class(m, "support").to_dict() == {"0": (y == "0").sum(), "1": (y == "1").sum()}


def test_multiclass_metrics_match_sklearn():
    rng = np.random.default_rng(5)
    classes = ["a", "b", "c"]
    y = rng.choice(classes, size=300)
    logits = rng.normal(size=(300, 3)) + 1.5 * (y[:, None] == np.array(classes)[None, :])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = np.array(classes)[proba.argmax(axis=1)]
    o = _overall(M.classification_metrics(y, pred, proba, classes))
    assert o["f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert o["precision"] == pytest.approx(skm.precision_score(y, pred, average="macro"))
    assert o["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
    )
    assert o["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=classes))
    onehot = (y[:, None] == np.array(classes)[None, :]).astype(float)
    assert o["brier"] == pytest.approx(np.mean(((proba - onehot) ** 2).sum(axis=1)))
    assert "tp" not in o


def test_undefined_auc_is_left_out():
    m = M.classification_metrics(
        ["0", "0"], ["0", "1"], np.array([[0.9, 0.1], [0.4, 0.6]]), ["0", "1"], "1"
    )
    o = _overall(m)
    assert "roc_auc" not in o and "pr_auc" not in o
    assert o["accuracy"] == 0.5


def test_regression_metrics_match_sklearn():
    rng = np.random.default_rng(1)
    y = rng.normal(size=100)
    p = y + rng.normal(0, 0.5, 100)
    o = _overall(M.regression_metrics(y, p))
    assert o["mae"] == pytest.approx(skm.mean_absolute_error(y, p))
    assert o["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)))
    assert o["r2"] == pytest.approx(skm.r2_score(y, p))


def test_meets_respects_direction():
    assert M.meets("recall", 0.6, 0.6) is True
    assert M.meets("brier", 0.2, 0.1) is False
    assert M.meets("mae", 1.0, 2.0) is True
    assert M.meets("f1", 0.5, None) is None


def test_threshold_rules(binary):
    y, _, proba = binary
    s = proba[:, 1]
    t = M.choose_threshold("target", y, s, "1", target_metric="recall", target=0.7)
    assert skm.recall_score(y, np.where(s >= t, "1", "0"), pos_label="1") >= 0.7
    # the highest such threshold: one flag fewer and recall drops below the target
    lowest_flagged = s[s >= t].min()
    assert not ((s < lowest_flagged) & (s >= t)).any()
    higher = s[s > lowest_flagged].min()
    assert skm.recall_score(y, np.where(s >= higher, "1", "0"), pos_label="1") < 0.7
    t = M.choose_threshold("max_f1", y, s, "1")
    best = max(skm.f1_score(y, np.where(s >= c, "1", "0"), pos_label="1") for c in np.unique(s))
    assert skm.f1_score(y, np.where(s >= t, "1", "0"), pos_label="1") == pytest.approx(best)
    with pytest.raises(ValueError):
        M.choose_threshold(1.5, y, s, "1")
    with pytest.raises(ValueError):
        M.choose_threshold("cost", y, s, "1")
