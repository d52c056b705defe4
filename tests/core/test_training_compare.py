"""What the Compare tab offers: top-level runs by default, and a parameter that varies.

The defect: Compare opened on hidden learning-curve trials, and its metric-vs-parameter
chart plotted every run at seed 7 (the first numeric column, shared by all runs).
"""

from __future__ import annotations

import pandas as pd
import pytest

from core import training
from core.charts import training as charts
from tests.core.training_data import separable_frame, store_split


def _spec(sid, features, **kw):
    args = {"model_kind": "logistic_regression", "params": {}, "seed": 7}
    return training.TrainSpec(sid, "is_fault", tuple(features), **{**args, **kw})


@pytest.fixture
def runs(store):
    frame, features = separable_frame(n=400)
    frame["is_fault"] = frame["is_fault"].where(frame.index % 9 != 0, 1 - frame["is_fault"])
    pid, sid = store_split(store, frame, "is_fault")
    top = [
        training.train_run(store, pid, _spec(sid, features, params={"C": c}), actor="t")
        for c in (0.01, 1.0)
    ]
    curve = training.learning_curve(store, pid, _spec(sid, features), actor="t")
    search = training.hyperparameter_search(
        store, pid, _spec(sid, features), {"C": [0.1, 10.0]}, actor="t"
    )
    return store, pid, top, curve, search


def test_compare_defaults_to_top_level_runs(runs):
    store, pid, top, curve, search = runs
    # the newest finished runs are the search's trials: Compare must not open on them
    newest = training.list_runs(store, pid, status="done")[0]
    assert newest.parent_id is not None or newest.run_type != "train"
    assert [r.id for r in training.comparable_runs(store, pid)] == top[::-1]
    with_trials = training.comparable_runs(store, pid, include_trials=True)
    assert {r.parent_id for r in with_trials} == {None, curve, search}
    assert {curve, search}.isdisjoint(r.id for r in with_trials)  # containers hold no metrics
    assert all(r.run_type == "train" and r.status == "done" for r in with_trials)
    frame = training.runs_param_frame(store, pid, "dev")
    assert sorted(frame["run"]) == sorted(top)


def test_metric_vs_parameter_picks_a_parameter_that_varies(runs):
    store, pid, top, _curve, _search = runs
    frame = training.runs_param_frame(store, pid, "dev")
    assert set(frame["seed"]) == {7}
    params = training.varying_params(frame)
    assert params[0] == "C" and "seed" not in params
    assert not {"roc_auc", "accuracy", "n", "tp"} & set(params)
    fig = charts.metric_vs_param_figure(frame, params[0], "roc_auc")
    assert fig.layout.xaxis.title.text == "C" and fig.layout.yaxis.title.text == "ROC AUC"
    assert sorted(fig.data[0].x) == [0.01, 1.0]


def test_varying_params_orders_and_handles_choices():
    frame = pd.DataFrame(
        {
            "run": [1, 2, 3],
            "name": ["a", "b", "c"],
            "model": ["random_forest"] * 3,
            "seed": [0, 1, 2],
            "train rows": [900, 900, 900],
            "max_features": ["sqrt", "log2", "sqrt"],
            "max_depth": [None, None, None],
            "roc_auc": [0.8, 0.85, 0.9],
        }
    )
    assert training.varying_params(frame) == ["max_features", "seed"]
    assert training.varying_params(frame.iloc[:1]) == []
    fig = charts.metric_vs_param_figure(frame, "max_features", "roc_auc")
    assert set(fig.data[0].x) == {"sqrt", "log2"} and fig.layout.title.text
