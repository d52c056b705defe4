"""Retraining from Monitoring with or without an alert, on runs without a time column."""

from __future__ import annotations

import numpy as np
import pytest

from core import monitoring as monitor
from core.db import datasets as datasets_db
from core.monitoring import MonitorSettings
from core.training import registry
from tests.core.monitor_data import TARGET, plant_frame, plant_project, train_champion


@pytest.fixture
def quiet(store):
    """A project whose labelled batch does not drift: its run raises no alert."""
    pid, rid = plant_project(store)
    vid = train_champion(store, pid, rid)
    batch = plant_frame(1200, seed=21)
    batch.loc[np.arange(0, 1200, 4), TARGET] = np.nan  # a quarter of the labels not in yet
    cid = datasets_db.insert_dataset(store, pid, "batch_quiet", batch, source="t",
                                     role="production", actor="t")
    return store, pid, rid, cid, vid, batch


def _run(store, pid, rid, cid, vid, window):
    return monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                  model_version_id=vid,
                                  settings=MonitorSettings(window=window, domain_sample=0),
                                  actor="t")


def test_retrain_without_an_alert_uses_every_labelled_row(quiet):
    # Before: "This run raised no alert; pick a start date to retrain from."
    store, pid, rid, cid, vid, batch = quiet
    res = _run(store, pid, rid, cid, vid, None)
    assert res.alerts.empty
    out = monitor.retrain_challenger(store, pid, res.run_id, actor="t")
    assert out.rows == int(batch[TARGET].notna().sum()) == 900
    assert out.since is None and out.scope == "every labelled row of 'batch_quiet'"
    challenger = registry.get_challenger(store, pid)
    assert challenger is not None and challenger.id == out.version_id
    ds = datasets_db.require_dataset(store, out.dataset_id)
    assert ds.parent_id == cid and ds.name.startswith("retrain_all_run")
    again = monitor.retrain_challenger(store, pid, res.run_id, actor="t")  # a second click
    assert datasets_db.require_dataset(store, again.dataset_id).name.endswith("_2")


def test_retrain_from_a_row_window_on(quiet):
    store, pid, rid, cid, vid, batch = quiet
    res = _run(store, pid, rid, cid, vid, "rows:400")
    out = monitor.retrain_challenger(store, pid, res.run_id, from_window="rows 401–800",
                                     actor="t")
    assert out.rows == int(batch[TARGET].iloc[400:].notna().sum()) == 600
    assert out.scope == "from rows 401–800 on"
    frame = datasets_db.dataset_frame(store, out.dataset_id)
    np.testing.assert_allclose(frame["gauge_a"], batch["gauge_a"].iloc[400:][
        batch[TARGET].iloc[400:].notna()])  # the same rows, in file order
    with pytest.raises(monitor.MonitorError, match="has no window 'rows 9–10'"):
        monitor.retrain_challenger(store, pid, res.run_id, from_window="rows 9–10", actor="t")
    with pytest.raises(monitor.MonitorError, match="no time windows"):
        from datetime import datetime

        monitor.retrain_challenger(store, pid, res.run_id, since=datetime(2025, 1, 1),
                                   actor="t")


def test_retrain_from_a_batch_window_on(quiet):
    store, pid, rid, cid, vid, batch = quiet
    batch = batch.assign(lot=np.repeat(["L7", "L3", "L9"], 400))
    cid = datasets_db.insert_dataset(store, pid, "batch_lots", batch, source="t",
                                     role="production", actor="t")
    res = _run(store, pid, rid, cid, vid, "column:lot")
    out = monitor.retrain_challenger(store, pid, res.run_id, from_window="L3", actor="t")
    assert out.rows == int(batch.loc[batch["lot"] != "L7", TARGET].notna().sum())


def test_too_few_labelled_rows_say_what_to_do(quiet):
    store, pid, rid, cid, vid, batch = quiet
    res = _run(store, pid, rid, cid, vid, "rows:100")
    before = len(datasets_db.list_datasets(store, pid))
    with pytest.raises(monitor.MonitorError, match=r"Only 75 labelled rows .* too few"):
        monitor.retrain_challenger(store, pid, res.run_id, from_window="rows 1,101–1,200",
                                   actor="t")
    assert len(datasets_db.list_datasets(store, pid)) == before  # nothing half-stored
