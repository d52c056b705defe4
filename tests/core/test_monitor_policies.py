"""Alert policies per project: stored, checked, used by the next runs, and recounted on
the stored runs from their stored results when edited (no data rescanned)."""

from __future__ import annotations

import pandas as pd
import pytest

from core import monitoring as monitor
from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import projects as projects_db
from core.monitoring import MonitorSettings, PolicyConfig, evaluate_policies
from tests.core.test_monitor import _results, _stream


@pytest.fixture
def weekly(store):
    ref, cur = _stream()
    pid = projects_db.create_project(store, "line sensors", "t")
    rid = datasets_db.insert_dataset(store, pid, "ref", ref, source="t", role="training", actor="t")
    cid = datasets_db.insert_dataset(store, pid, "cur", cur, source="t", role="production",
                                     actor="t")
    run = monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                 settings=MonitorSettings(time_column="ts", domain_sample=0),
                                 actor="t")
    return store, pid, rid, cid, run


def _count(frame: pd.DataFrame, policy: str, column: str = "count now") -> int:
    return int(frame.loc[frame["policy"] == policy, column].iloc[0])


def test_defaults_when_nothing_is_stored(weekly):
    store, pid, *_ = weekly
    cfg = monitor.project_policies(store, pid)
    assert cfg["dataset drift"] == PolicyConfig(True, 0.5, 1)
    assert cfg["output drift"] == PolicyConfig(True, None, 1)
    assert cfg["decay confirmed"] == PolicyConfig(True, None, 2)
    assert not cfg["any drifted column (naive)"].enabled
    table = monitor.policies_frame(store, pid)
    assert table["policy"].tolist() == [p.name for p in monitor.POLICIES]


def test_editing_recounts_the_stored_runs_without_rescanning(weekly, monkeypatch):
    store, pid, rid, cid, run = weekly
    assert run.summary["policy_counts"]["dataset drift"] == 1
    assert run.summary["policy_counts"]["input checks"] == 1
    monitor.save_policies(store, pid, {
        "dataset drift": PolicyConfig(True, 0.9, 1),  # 2 of 3 columns no longer enough
        "input checks": PolicyConfig(False, None, 3),  # off, and 3 weeks in a row needed
    }, "reviewer")
    profiles_before = len(monitoring_db.list_monitor_runs(store, pid))

    def no_scan(*a, **k):
        raise AssertionError("a recount must not rescan data")

    monkeypatch.setattr("core.db.profile_scan.profile_scan", no_scan)
    monkeypatch.setattr("core.db.datasets.dataset_frame", no_scan)
    counts = monitor.recount_policies(store, pid)
    assert _count(counts, "dataset drift", "counted then") == 1
    assert _count(counts, "dataset drift") == 0
    assert _count(counts, "input checks", "counted then") == 1
    assert _count(counts, "input checks") == 0  # unseen categories in weeks 6-7 only: 2 < 3
    assert _count(counts, "input checks", "alerts now") == 0
    assert _count(counts, "any drifted column (naive)") == 4  # unchanged policies, same counts
    assert len(monitoring_db.list_monitor_runs(store, pid)) == profiles_before
    cfg = monitor.project_policies(store, pid)
    assert cfg["dataset drift"].threshold == 0.9 and not cfg["input checks"].enabled
    audit = projects_db.list_audit(store, pid)
    assert ((audit["entity"] == "alert_policies") & (audit["actor"] == "reviewer")).any()


def test_a_lower_threshold_rejudges_stored_values(weekly):
    store, pid, *_ = weekly
    monitor.save_policies(store, pid, {"dataset drift": PolicyConfig(True, 0.3, 1)}, "t")
    counts = monitor.recount_policies(store, pid)
    assert _count(counts, "dataset drift") == 1  # x alone (1 of 3) from week 4: one episode
    r = monitor.run_results(store, int(counts["run_id"].iloc[0]))
    alerts, _ = evaluate_policies(r, MonitorSettings(window="week"), [],
                                  monitor.project_policies(store, pid))
    first = alerts[alerts["policy"] == "dataset drift"]
    assert first["window_label"].tolist() == ["2025-03-31"]  # week 4, when x moved


def test_the_next_run_uses_the_projects_policies(weekly):
    store, pid, rid, cid, _ = weekly
    monitor.save_policies(store, pid, {"input checks": PolicyConfig(False, None, 1),
                                       "dataset drift": PolicyConfig(True, 0.9, 1)}, "t")
    run = monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                 settings=MonitorSettings(time_column="ts", domain_sample=0),
                                 actor="t")
    assert run.alerts.empty  # input checks off, dataset drift above 2 of 3
    assert run.summary["policy_counts"]["input checks"] == 1  # still counted
    assert run.summary["policies"]["dataset drift"]["threshold"] == 0.9


@pytest.mark.parametrize(("name", "config", "message"), [
    ("dataset drift", PolicyConfig(True, 1.5, 1), "dataset drift: the threshold must be a share"),
    ("output drift", PolicyConfig(True, -1.0, 1), "output drift: the threshold must be a PSI"),
    ("error-stream detector", PolicyConfig(True, 4, 1), "counts detectors: 1, 2 or 3"),
    ("decay confirmed", PolicyConfig(True, None, 0), "windows in a row must be between 1 and 12"),
    ("any drifted column (naive)", PolicyConfig(True, 0.2, 1), "takes no threshold"),
    ("no such policy", PolicyConfig(True, None, 1), "Unknown alert policy 'no such policy'"),
])
def test_bad_settings_are_refused_and_store_nothing(weekly, name, config, message):
    store, pid, *_ = weekly
    with pytest.raises(monitor.MonitorError, match=message):
        monitor.save_policies(store, pid, {name: config}, "t")
    assert monitoring_db.list_alert_policies(store, pid).empty


def test_output_drift_policy_and_its_threshold():
    w = pd.date_range("2025-01-06", periods=3, freq="7D")
    rows = [("output", x, None, "score_psi", v, 0.2, v > 0.2, "") for x, v in
            zip(w, [0.1, 0.5, 1.4], strict=True)]
    s = MonitorSettings(primary_metric="recall", window="week")
    alerts, counts = evaluate_policies(_results(rows), s, [])
    assert counts["output drift"] == 1 and alerts["window_start"].tolist() == [w[1]]
    assert alerts["message"].iloc[0] == ("Week of 2025-01-13: the model's output distribution "
                                         "moved against the reference: score PSI 0.5 > 0.2 "
                                         "(no labels needed).")
    _, counts = evaluate_policies(_results(rows), s, [],
                                  {"output drift": PolicyConfig(True, 1.0, 1)})
    assert counts["output drift"] == 1  # now only week 2 (PSI 1.4)
    _, counts = evaluate_policies(_results(rows), s, [],
                                  {"output drift": PolicyConfig(True, 0.3, 2)})
    assert counts["output drift"] == 1  # weeks 1-2 in a row: one alert


def test_a_regression_target_is_worse_above_it():
    w = pd.date_range("2025-01-06", periods=2, freq="7D")
    rows = [("performance", x, None, "realized_mae", v, 2.0, v > 2.0, "") for x, v in
            zip(w, [1.5, 2.5], strict=True)]
    s = MonitorSettings(primary_metric="mae", primary_floor=2.0, window="week")
    alerts, counts = evaluate_policies(_results(rows), s, [],
                                       {"decay confirmed": PolicyConfig(True, None, 1)})
    assert counts["decay confirmed"] == 1
    assert "Realized mae 2.500 above its target 2.000" in alerts["message"].iloc[0]
    _, counts = evaluate_policies(_results(rows), s, [],
                                  {"decay confirmed": PolicyConfig(True, 3.0, 1)})
    assert counts["decay confirmed"] == 0
