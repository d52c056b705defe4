"""Regression through training: metrics against scikit-learn, the mean baseline, the
residuals, the report card's verdicts, and the two regression charts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_regression

from core import scoping, training
from core.charts import training as charts
from core.scoping import MetricFloor, MetricTarget
from core.training import metrics as M
from core.training import registry
from tests.core.training_data import regression_frame, save_contract, store_split


def _overall(frame):
    return frame[frame["class"].isna()].set_index("metric")["value"]


def test_regression_metrics_equal_sklearns_on_generated_data():
    X, y = make_regression(n_samples=400, n_features=3, noise=20.0, random_state=0)
    y = y + 300.0  # no zero target: every row counts in MAPE, as in scikit-learn
    pred = y + np.random.default_rng(0).normal(0, 15, len(y))
    o = _overall(M.regression_metrics(y, pred))
    assert o["n"] == 400 and o["mape_skipped"] == 0
    assert o["mae"] == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-12)
    assert o["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred), rel=1e-12)
    assert o["r2"] == pytest.approx(skm.r2_score(y, pred), rel=1e-12)
    assert o["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred), rel=1e-12)


def test_mape_skips_zero_targets_and_says_how_many():
    y = np.array([0.0, 10.0, -20.0, 0.0, 40.0])
    pred = np.array([1.0, 12.0, -10.0, -3.0, 30.0])
    o = _overall(M.regression_metrics(y, pred))
    nonzero = y != 0
    assert o["mape_skipped"] == 2
    assert o["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y[nonzero], pred[nonzero]))
    assert "mape" not in _overall(M.regression_metrics([0.0, 0.0], [1.0, 2.0]))
    assert not M.higher_is_better("mape") and M.higher_is_better("r2")
    assert M.meets("mape", 0.08, 0.1) and not M.meets("rmse", 12.0, 10.0)


@pytest.fixture
def reg(store):
    frame, features = regression_frame()
    pid, sid = store_split(store, frame, "energy_use", name="buildings")
    return store, pid, sid, frame, features


def _train(store, pid, sid, features, kind, params=None):
    spec = training.TrainSpec(sid, "energy_use", tuple(features), kind, params or {})
    run = training.get_run(store, training.train_run(store, pid, spec, actor="tester"))
    assert run.status == "done", run.error
    return run


def test_stored_metrics_of_each_part_equal_sklearns_on_the_models_predictions(reg):
    store, pid, sid, frame, features = reg
    ridge = _train(store, pid, sid, features, "ridge")
    assert training.infer_task(store, ridge.dataset_id, "energy_use") == "regression"
    run = _train(store, pid, sid, features, "random_forest_regressor", {"n_estimators": 30})
    assert run.task_type == "regression"
    model = registry.load_artifact(run.artifact_path, run.artifact_sha256)
    n = len(frame)
    rows = {
        "train": slice(0, int(n * 0.6)),
        "dev": slice(int(n * 0.6), int(n * 0.8)),
        "test": slice(int(n * 0.8), n),
    }
    for part, sl in rows.items():
        y = frame["energy_use"].iloc[sl].to_numpy()
        pred = model.predict(frame[features].iloc[sl])
        got = training.overall_metrics(store, [run.id], part).loc[run.id]
        assert got["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
        assert got["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred))
        assert got["r2"] == pytest.approx(skm.r2_score(y, pred))
        assert got["mape"] == pytest.approx(skm.mean_absolute_percentage_error(y, pred))
        res = training.run_residuals(store, run.id, part)
        assert len(res) == len(y)
        np.testing.assert_allclose(np.sort(res["residual"]), np.sort(y - pred))
    res = training.run_residuals(store, run.id, "dev")
    assert (res["residual"] == res["actual"] - res["predicted"]).all()


def test_report_card_has_the_mean_baseline_the_champion_and_verdicts(reg):
    store, pid, sid, _frame, features = reg
    save_contract(
        store,
        pid,
        task_type="regression",
        target_column="energy_use",
        feature_columns=features,
        primary=MetricTarget("rmse", 40.0),
        secondary=[MetricFloor("r2", 0.999), MetricFloor("mape", 0.5)],
    )
    ridge = _train(store, pid, sid, features, "ridge")
    for part in ("train", "dev", "test"):
        card = training.metric_comparison(store, ridge.id, part).set_index("metric")
        assert list(card.index) == ["mae", "rmse", "r2", "mape"]
        assert card["dummy baseline"].notna().all()
    # no dummy run yet: the mean of the train targets, equal to a DummyRegressor run's
    before = training.metric_comparison(store, ridge.id, "test").set_index("metric")
    dummy = _train(store, pid, sid, features, "dummy_regressor")
    after = training.metric_comparison(store, ridge.id, "test").set_index("metric")
    dummy_test = training.overall_metrics(store, [dummy.id], "test").loc[dummy.id]
    for metric in ("mae", "rmse", "r2", "mape"):
        assert before.at[metric, "dummy baseline"] == pytest.approx(dummy_test[metric])
        assert after.at[metric, "dummy baseline"] == pytest.approx(dummy_test[metric])
    assert after["beats dummy"].all()
    # verdicts against the brief: lower is better for RMSE and MAPE, higher for R²
    contract = scoping.get_contract(store, pid)
    card = training.metric_comparison(store, ridge.id, "test", contract).set_index("metric")
    assert card.at["rmse", "this run"] < 40 and card.at["rmse", "verdict"] == "pass"
    assert card.at["r2", "this run"] < 0.999 and card.at["r2", "verdict"] == "fail"
    assert card.at["mape", "this run"] < 0.5 and card.at["mape", "verdict"] == "pass"
    assert card.at["mae", "verdict"] == "no target set"
    # the champion's column once one is registered
    registry.set_alias(store, registry.register(store, ridge.id, "tester"), "champion", "tester")
    forest = _train(store, pid, sid, features, "random_forest_regressor", {"n_estimators": 20})
    card = training.metric_comparison(store, forest.id, "dev", contract).set_index("metric")
    ridge_dev = training.overall_metrics(store, [ridge.id], "dev").loc[ridge.id]
    assert card.at["rmse", "champion"] == pytest.approx(ridge_dev["rmse"])


def test_regression_charts_are_titled_labelled_and_have_legends(reg):
    store, pid, sid, _frame, features = reg
    run = _train(store, pid, sid, features, "ridge")
    res = training.run_residuals(store, run.id, "dev")
    for fig, title, x, y in [
        (
            charts.residual_figure(res, "dev"),
            "Residuals vs predicted (dev)",
            "Predicted value",
            "Residual (actual − predicted)",
        ),
        (
            charts.predicted_actual_figure(res, "dev"),
            "Predicted vs actual (dev)",
            "Actual value",
            "Predicted value",
        ),
    ]:
        assert fig.layout.title.text == title
        assert fig.layout.xaxis.title.text == x and fig.layout.yaxis.title.text == y
        assert fig.layout.showlegend and all(t.name for t in fig.data) and len(fig.data) == 2
        assert len(fig.data[0].x) == len(res)
    line = charts.predicted_actual_figure(res).data[1]
    assert list(line.x) == list(line.y)  # the y = x line
    assert set(charts.residual_figure(res).data[1].y) == {0}
    big = res.sample(n=12_000, replace=True, random_state=1)
    fig = charts.residual_figure(big, "test", max_points=5000)
    assert len(fig.data[0].x) == 5000 and "sample of 5,000 of 12,000" in fig.layout.title.text
    empty = charts.residual_figure(res.iloc[:0])
    assert empty.layout.title.text.startswith("Residuals")
    assert training.run_residuals(store, run.id, "no such part").empty
