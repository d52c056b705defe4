"""The Monitoring page on a project of the user's own (issue 15): no time column, column
names unlike the demo's, models trained with core.training, no demo project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from core import monitoring as monitor
from core.db import datasets as datasets_db
from core.db.database import Database
from core.monitoring import MonitorSettings
from tests.core.monitor_data import (
    LEVEL,
    TARGET,
    drifted_batch,
    plant_frame,
    plant_project,
    train_champion,
)
from tests.pages.helpers import open_project_page

PAGE = "pages/7_Monitoring.py"


def _build(path: Path, target: str = TARGET, run: bool = False) -> int:
    store = Database(path)
    try:
        pid, rid = plant_project(store)
        kind = "ridge" if target == LEVEL else "logistic_regression"
        vid = train_champion(store, pid, rid, target=target, model_kind=kind)
        batch = plant_frame(1200, seed=21).drop(columns=[LEVEL if target == TARGET else TARGET])
        batch.loc[np.arange(0, 1200, 4), target] = np.nan
        cid = datasets_db.insert_dataset(store, pid, "batch_quiet", batch, source="t",
                                         role="production", actor="t")
        datasets_db.insert_dataset(store, pid, "batch_0412", drifted_batch(), source="t",
                                   role="production", actor="t")
        if run:
            monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                   model_version_id=vid,
                                   settings=MonitorSettings(window="rows:400", domain_sample=0),
                                   actor="t")
        return pid
    finally:
        store.close()


def _submit(at: AppTest) -> None:
    button: Any = at.get("form_submit_button")[0]
    button.click()
    at.run()


def _open(pid: int) -> AppTest:
    return open_project_page(PAGE, pid)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def test_a_run_without_a_time_column_from_the_form(own_db):
    # Before: the only time choice was "(none)" and the run failed with "has no column
    # '(none)'" inside a collapsed box.
    at = _open(_build(own_db))
    assert at.selectbox(key="monitoring.window").value == "all"  # no time column: one window
    at.selectbox(key="monitoring.cur").set_value(
        next(o for o in at.selectbox(key="monitoring.cur").options if "batch_0412" in str(o)))
    _submit(at)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert _metric(at, "Windows checked") == "1"
    assert int(_metric(at, "Open alerts")) >= 1
    assert any("whole current dataset as one window" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) >= 2


def test_row_windows_then_retrain_without_an_alert(own_db):
    at = _open(_build(own_db))
    at.selectbox(key="monitoring.window").set_value("rows")
    at.number_input(key="monitoring.rows").set_value(400)
    _submit(at)
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Windows checked") == "3"
    assert any(s.value == "This run raised no alert." for s in at.success)
    pick = at.selectbox(key="monitoring.retrain_from")
    assert pick.options[0] == "every labelled row of the current dataset"
    at.button(key="monitoring.retrain").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("900 labelled rows (every labelled row of 'batch_quiet')" in s.value
               and "registered as challenger" in s.value for s in at.success)


def test_edit_a_policy_threshold(own_db):
    at = _open(_build(own_db, run=True))
    at.selectbox(key="monitoring.policy_pick").set_value("dataset drift").run()
    assert at.text_input(key="monitoring.policy_threshold").value == "0.5"
    at.text_input(key="monitoring.policy_threshold").set_value("0.3")
    at.number_input(key="monitoring.policy_persistence").set_value(2)
    at.button(key="monitoring.policy_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Saved 'dataset drift'" in s.value for s in at.success)
    table = next(d.value for d in at.dataframe if "threshold means" in d.value.columns)
    row = table[table["policy"] == "dataset drift"].iloc[0]
    assert row["threshold"] == "0.3" and row["windows in a row"] == 2
    recount = next(d.value for d in at.dataframe if "count now" in d.value.columns)
    assert set(recount["policy"]) >= {"dataset drift", "output drift"}
    at.switch_page(PAGE).run()  # a later visit shows the stored value
    assert at.text_input(key="monitoring.policy_threshold").value == "0.3"


def test_a_bad_threshold_names_the_policy(own_db):
    at = _open(_build(own_db, run=True))
    at.selectbox(key="monitoring.policy_pick").set_value("dataset drift").run()
    at.text_input(key="monitoring.policy_threshold").set_value("half")
    at.button(key="monitoring.policy_save").click().run()
    assert not at.exception
    assert any("dataset drift: the threshold 'half' is not a number" in e.value for e in at.error)


def test_a_regression_model_says_what_applies(own_db):
    at = _open(_build(own_db, target=LEVEL, run=True))
    assert _metric(at, "Estimated rmse") == "not available for regression"
    assert any("not available for regression" in i.value for i in at.info)
    assert any("realized_rmse" in d.value.columns for d in at.dataframe)
