"""Class weighting on every classifier and every kind of binary target.

The defect: a random forest with class weighting failed on a 0/1 integer target with a raw
"ValueError: The classes, [0, 1], are not in class_weight" (scikit-learn's forest cannot
take class_weight="balanced" with digit-string labels, which is how the workbench stores
classes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from core import training
from core.db import training as training_db
from core.training import registry
from tests.core.training_data import store_split

CLASSIFIERS = [m.kind for m in training.models_for("classification")]
FAST = {
    "random_forest": {"n_estimators": 25},
    "hist_gradient_boosting": {"max_iter": 30},
}


def _frame(encoding: str, n: int = 500) -> tuple[pd.DataFrame, list[str]]:
    """An imbalanced (about 1:6) binary problem whose target is int 0/1, text or boolean."""
    X, y = make_classification(
        n_samples=n, n_features=5, n_informative=3, weights=[0.85], random_state=4
    )
    features = [f"reading_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=features)
    frame["churned"] = {
        "int": y.astype(int),
        "text": np.where(y == 1, "left", "stayed"),
        "bool": y.astype(bool),
    }[encoding]
    return frame, features


@pytest.mark.parametrize("encoding", ["int", "text", "bool"])
@pytest.mark.parametrize("kind", CLASSIFIERS)
def test_class_weighting_trains_on_every_target_encoding(store, kind, encoding):
    frame, features = _frame(encoding)
    pid, sid = store_split(store, frame, "churned")
    spec = training.TrainSpec(
        sid, "churned", tuple(features), kind, FAST.get(kind, {}), {"imbalance": "class_weight"}
    )
    run = training.get_run(store, training.train_run(store, pid, spec, actor="tester"))
    assert run.status == "done", run.error
    assert run.preprocessing["imbalance"] == "class_weight"
    labels = set(training_db.run_predictions(store, run.id)["y_true"])
    assert (
        labels
        == {"int": {"0", "1"}, "text": {"left", "stayed"}, "bool": {"False", "True"}}[encoding]
    )


def test_weighted_forest_equals_sklearns_balanced_forest(store):
    """The weights are scikit-learn's "balanced" ones: the same forest, tree for tree."""
    from sklearn.ensemble import RandomForestClassifier

    frame, features = _frame("int")
    pid, sid = store_split(store, frame, "churned")
    params = {"n_estimators": 25, "min_samples_leaf": 3}
    spec = training.TrainSpec(
        sid, "churned", tuple(features), "random_forest", params, {"imbalance": "class_weight"}
    )
    run = training.get_run(store, training.train_run(store, pid, spec, actor="tester"))
    assert run.status == "done", run.error
    model = registry.load_artifact(run.artifact_path, run.artifact_sha256)
    n_train = int(len(frame) * 0.6)
    prep = model.named_steps["prep"]
    X_train = prep.transform(frame[features].iloc[:n_train])
    # non-digit labels in the same order ("neg" < "pos" as "0" < "1"), which sklearn accepts
    y_train = np.where(frame["churned"].iloc[:n_train] == 1, "pos", "neg")
    reference = RandomForestClassifier(
        n_estimators=25,
        min_samples_leaf=3,
        max_features="sqrt",
        random_state=0,
        n_jobs=1,
        class_weight="balanced",
    ).fit(X_train, y_train)
    X_test = frame[features].iloc[n_train:]
    np.testing.assert_allclose(
        model.predict_proba(X_test), reference.predict_proba(prep.transform(X_test))
    )
    unweighted = training.get_run(
        store,
        training.train_run(
            store,
            pid,
            training.TrainSpec(sid, "churned", tuple(features), "random_forest", params),
            actor="tester",
        ),
    )
    plain = registry.load_artifact(unweighted.artifact_path, unweighted.artifact_sha256)
    assert not np.allclose(plain.predict_proba(X_test), model.predict_proba(X_test))
