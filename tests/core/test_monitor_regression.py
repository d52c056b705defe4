"""Monitoring a regression model (trained through core.training): realized MAE / RMSE / R²
where labels arrived, as scikit-learn computes them; no estimate without labels (classifiers
only), said so; output drift on the predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from core import monitoring as monitor
from core.db import datasets as datasets_db
from core.monitoring import MonitorSettings
from core.training import registry
from tests.core.monitor_data import (
    FEATURES,
    LEVEL,
    TARGET,
    plant_frame,
    plant_project,
    train_champion,
)


@pytest.fixture
def regression_run(store):
    pid, rid = plant_project(store)
    vid = train_champion(store, pid, rid, target=LEVEL, model_kind="ridge")
    batch = plant_frame(1500, seed=33).drop(columns=[TARGET])
    batch.loc[1000:, LEVEL] = np.nan  # the last third's yields are not measured yet
    batch.loc[500:999, "gauge_a"] += 2.0  # and the middle third drifts on a driver
    cid = datasets_db.insert_dataset(store, pid, "yield_batch", batch, source="t",
                                     role="production", actor="t")
    res = monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                 model_version_id=vid,
                                 settings=MonitorSettings(window="rows:500", domain_sample=0),
                                 actor="t")
    return store, pid, vid, batch, res


def test_realized_errors_match_scikit_learn(regression_run):
    # Before: predict_proba on a regressor raised and the run did not start.
    store, pid, vid, batch, res = regression_run
    model = registry.load_model(store, vid)
    r = res.results.set_index(["window_label", "metric"])["value"]
    for k, label in enumerate(["rows 1–500", "rows 501–1,000"]):
        part = batch.iloc[500 * k:500 * (k + 1)]
        pred = model.predict(part[FEATURES])
        assert r[(label, "realized_mae")] == pytest.approx(
            skm.mean_absolute_error(part[LEVEL], pred), rel=1e-12)
        assert r[(label, "realized_rmse")] == pytest.approx(
            np.sqrt(skm.mean_squared_error(part[LEVEL], pred)), rel=1e-12)
        assert r[(label, "realized_r2")] == pytest.approx(skm.r2_score(part[LEVEL], pred),
                                                          rel=1e-12)
    assert r[("rows 1,001–1,500", "labelled_rows")] == 0
    assert ("rows 1,001–1,500", "realized_mae") not in r.index


def test_what_does_not_apply_is_said(regression_run):
    store, pid, vid, batch, res = regression_run
    s = res.summary
    assert s["task"] == "regression" and s["estimate"] == "not available for regression"
    assert s["primary_metric"] == "rmse" and s["primary_floor"] is None
    assert not res.results["metric"].str.startswith("estimated_").any()
    assert not (res.results["kind"] == "detector").any() and s["detections"] == {}
    assert any("estimate without labels" in n and "do not apply" in n for n in s["notes"])
    psi = res.results[res.results["metric"] == "score_psi"].sort_values("window_index")
    assert psi["flagged"].tolist() == [False, True, False]  # the drifted third moves the output
    assert "output drift" in set(res.alerts["policy"])
