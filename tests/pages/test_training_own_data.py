"""The Training page on a user's own data (not the demo): a regression run end to end, and
the Compare tab's defaults. Column names are unlike the demo's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import training
from core.db.database import Database
from tests.core.training_data import regression_frame, store_split

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/4_Training.py"


@pytest.fixture
def own_app(tmp_path, monkeypatch):
    """An app on a fresh database holding one regression project: two top-level ridge runs
    (seed 7 both) and a learning curve, so the newest runs are the curve's rungs."""
    import streamlit as st

    monkeypatch.setenv("WORKBENCH_ARTIFACTS", str(tmp_path / "artifacts"))
    monkeypatch.setenv("WORKBENCH_SEED_DEMO", "0")
    db = tmp_path / "own.duckdb"
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    store = Database(db)
    frame, features = regression_frame(n=400)
    pid, sid = store_split(store, frame, "energy_use", name="Building energy")
    top = []
    for alpha in (0.1, 100.0):
        spec = training.TrainSpec(
            sid, "energy_use", tuple(features), "ridge", {"alpha": alpha}, seed=7
        )
        top.append(training.train_run(store, pid, spec, actor="tester"))
    curve_spec = training.TrainSpec(sid, "energy_use", tuple(features), "ridge", seed=7)
    training.learning_curve(store, pid, curve_spec, actor="tester")
    store.close()
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    yield at, top
    st.cache_data.clear()
    st.cache_resource.clear()


def _chart_titles(at) -> list[str]:
    titles = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec.get("layout", {}).get("title", {})
        titles.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return titles


def test_train_a_regression_run_and_see_its_metrics_and_charts(own_app):
    at, _top = own_app
    model = at.selectbox(key="training.model.regression")
    model.set_value(next(m for m in model.options if m.startswith("Random forest"))).run()
    at.number_input(key="training.p.random_forest_regressor.n_estimators").set_value(20)
    at.text_input(key="training.name").input("forest on energy")
    at.button(key="training.train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("done" in s.value and "RMSE" in s.value for s in at.success), [
        e.value for e in at.error
    ]
    runs = at.dataframe[0].value
    new = runs.loc[runs["name"] == "forest on energy", "run"].iloc[0]
    assert at.selectbox(key="training.run").value == new
    card = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert list(card["label"]) == ["MAE", "RMSE", "R²", "MAPE (share)"]
    assert card["dummy baseline"].notna().all() and card["beats dummy"].all()
    titles = _chart_titles(at)
    assert "Predicted vs actual (dev)" in titles and "Residuals vs predicted (dev)" in titles
    at.segmented_control(key="training.part").set_value("test").run()
    assert not at.exception
    assert "Residuals vs predicted (test)" in _chart_titles(at)


def test_compare_opens_on_top_level_runs_and_a_varying_parameter(own_app):
    at, top = own_app
    picked = at.multiselect(key="training.compare")
    assert sorted(picked.value) == sorted(top)
    assert at.selectbox(key="training.scatter_param").value == "alpha"
    assert "seed" not in at.selectbox(key="training.scatter_param").options
    assert "RMSE vs alpha" in _chart_titles(at)
    at.toggle(key="training.compare_trials").set_value(True).run()
    assert not at.exception
    assert len(at.multiselect(key="training.compare_all").options) > len(top)
