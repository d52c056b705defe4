"""Monitoring runs: checks, policies, alerts, retraining and the command line."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from core import monitoring as monitor
from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import profile_scan as profile_scan_db
from core.db import projects as projects_db
from core.monitoring import MonitorSettings, evaluate_policies
from core.training import registry


def _stream(n_weeks: int = 8, per_week: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({
        "x": rng.normal(0, 1, 4000), "z": rng.normal(5, 2, 4000),
        "c": rng.choice(["a", "b", "c"], 4000, p=[0.5, 0.3, 0.2]),
    })
    n = n_weeks * per_week
    ts = pd.Timestamp("2025-03-03") + pd.to_timedelta(np.sort(rng.uniform(0, n_weeks * 7, n)), unit="D")
    week = ((ts - ts.min()).days // 7).to_numpy()
    cur = pd.DataFrame({
        "ts": ts,
        # x shifts by 1 std from week 4 on; z never moves
        "x": rng.normal(0, 1, n) + np.where(week >= 4, 1.0, 0.0),
        "z": rng.normal(5, 2, n),
        "c": np.where((week >= 6) & (rng.uniform(size=n) < 0.2), "new",
                      rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])),
        "latency_ms": np.exp(rng.normal(np.log(40), 0.3, n)),
        "http_status": np.where(rng.uniform(size=n) < 0.002, 503, 200),
    })
    return ref, cur


@pytest.fixture
def synthetic(store):
    ref, cur = _stream()
    pid = projects_db.create_project(store, "mon", "t")
    rid = datasets_db.insert_dataset(store, pid, "ref", ref, source="t", role="training", actor="t")
    cid = datasets_db.insert_dataset(store, pid, "cur", cur, source="t", role="production", actor="t")
    return store, pid, rid, cid, cur


def test_data_only_run_flags_the_planted_drift_and_the_new_category(synthetic):
    store, pid, rid, cid, cur = synthetic
    res = monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                 settings=MonitorSettings(time_column="ts", domain_sample=200),
                                 actor="t")
    d = res.results[res.results["kind"] == "drift"].copy()
    d["week"] = (pd.to_datetime(d["window_start"]) - pd.Timestamp("2025-03-03")).dt.days // 7
    flagged = d[d["flagged"].astype(bool)]
    assert set(flagged["column_name"]) <= {"x", "c"}  # z never drifts
    x_weeks = sorted(flagged.loc[flagged["column_name"] == "x", "week"])
    assert x_weeks == [4, 5, 6, 7]
    unseen = res.results[(res.results["metric"] == "unseen_share") & res.results["flagged"]
                         .fillna(False).astype(bool)]
    assert sorted(((pd.to_datetime(unseen["window_start"]) - pd.Timestamp("2025-03-03"))
                   .dt.days // 7).unique()) == [6, 7]
    alerts = monitoring_db.list_alerts(store, pid)
    # one episode, one alert each: the new category (an input problem) and, once x and c
    # have both drifted (2 of 3 features), the dataset-drift policy, both in week 6
    assert sorted(alerts["policy"]) == ["dataset drift", "input checks"]
    assert set(alerts["window_label"]) == {"2025-04-14"}
    assert "2 of 3 monitored features drifted (67%" in " ".join(alerts["message"])
    assert res.summary["policy_counts"]["any drifted column (naive)"] >= 4


def test_software_metrics_match_pandas(synthetic):
    store, pid, rid, cid, cur = synthetic
    got = profile_scan_db.window_software_metrics(store, cid, "ts", "week", "latency_ms", "http_status")
    week = cur["ts"] - pd.to_timedelta(cur["ts"].dt.day_of_week, unit="D")
    g = cur.groupby(week.dt.floor("D"))
    np.testing.assert_allclose(got["latency_p95_ms"], g["latency_ms"].quantile(0.95), rtol=1e-9)
    np.testing.assert_allclose(got["latency_p50_ms"], g["latency_ms"].median(), rtol=1e-9)
    np.testing.assert_allclose(got["availability"],
                               g["http_status"].apply(lambda s: (s < 500).mean()), rtol=1e-12)
    assert got["requests"].tolist() == g.size().tolist()


def test_bad_inputs_give_clear_messages(synthetic):
    store, pid, rid, cid, cur = synthetic
    with pytest.raises(monitor.MonitorError, match="no column 'when'"):
        monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                               settings=MonitorSettings(time_column="when"), actor="t")
    with pytest.raises(monitor.MonitorError, match="not timestamps"):
        monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                               settings=MonitorSettings(time_column="x"), actor="t")
    empty = datasets_db.insert_dataset(store, pid, "empty", cur.iloc[:0], source="t", role="production",
                                 actor="t")
    with pytest.raises(monitor.MonitorError, match="empty"):
        monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=empty,
                               settings=MonitorSettings(time_column="ts"), actor="t")
    assert monitoring_db.list_monitor_runs(store, pid).empty  # nothing half-stored


def _results(rows):
    return pd.DataFrame(rows, columns=["kind", "window_start", "column_name", "metric", "value",
                                       "threshold", "flagged", "note"])


def test_policies_need_persistence_and_alert_once_per_episode():
    w = pd.date_range("2025-01-06", periods=6, freq="7D")
    low = [False, True, True, True, False, True]
    rows = []
    for start, is_low in zip(w, low, strict=True):
        rows.append(("performance", start, None, "realized_recall", 0.4 if is_low else 0.7, 0.6,
                     is_low, ""))
        rows.append(("performance", start, None, "estimated_recall", 0.7, 0.6, False, ""))
    alerts, counts = evaluate_policies(_results(rows), MonitorSettings(primary_metric="recall",
                                                                      primary_floor=0.6), [])
    # low in weeks 1-3 (persistent from week 2) and alone in week 5: one alert, at week 2
    assert counts["decay confirmed"] == 1
    assert list(alerts["window_start"]) == [w[2]]
    assert counts["estimated decay only (naive)"] == 0


def test_detector_policy_needs_two_detectors_in_a_window():
    w = pd.date_range("2025-01-06", periods=3, freq="7D")
    rows = [("detector", w[0], None, "DDM", 1, None, True, "a"),
            ("detector", w[2], None, "ADWIN", 5, None, True, "b"),
            ("detector", w[2], None, "PageHinkley", 6, None, True, "c")]
    rows += [("software", x, None, "requests", 10, None, None, "") for x in w]
    alerts, counts = evaluate_policies(_results(rows), MonitorSettings(primary_metric="recall"), [])
    assert counts["error-stream detector"] == 1
    assert alerts["window_start"].tolist() == [w[2]]


def test_demo_monitoring_tells_the_story(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    run = monitor.latest_run(demo_store, pid)
    assert run is not None and run.source == "demo"
    alerts = monitoring_db.list_alerts(demo_store, pid)
    # the new region is caught as an input problem, the concept drift as confirmed decay
    region = alerts[alerts["policy"] == "input checks"]
    assert len(region) == 1 and "region" in region["message"].iloc[0]
    decay = alerts[alerts["policy"] == "decay confirmed"]
    assert len(decay) == 1
    assert pd.Timestamp(decay["window_start"].iloc[0]) >= pd.Timestamp("2026-01-12")
    counts = run.summary["policy_counts"]
    assert counts["any drifted column (naive)"] > 3 * len(alerts[alerts["severity"] == "high"])
    # the estimate without labels records how the scores were calibrated (on the champion's
    # held-out test rows, as NannyML on its reference) and carries a band per window
    cal = run.summary["calibration"]
    assert cal["part"] == "test" and cal["method"] in ("isotonic", "none") and cal["n"] > 1000
    res = monitoring_db.monitor_results(demo_store, int(run.id))
    perf = res[res["kind"] == "performance"].pivot_table(
        index="window_start", columns="metric", values="value")
    assert (perf["estimated_recall_low"] <= perf["estimated_recall"]).all()
    assert (perf["estimated_recall"] <= perf["estimated_recall_high"]).all()


def test_acknowledge_and_lifecycle(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    assert monitor.monitor_step(demo_store, pid)[0] == "in progress"
    for alert_id in monitoring_db.list_alerts(demo_store, pid, status="open")["id"]:
        monitoring_db.acknowledge_alert(demo_store, int(alert_id), "reviewer")
    assert monitor.monitor_step(demo_store, pid)[0] == "done"
    audit = projects_db.list_audit(demo_store, pid)
    assert (audit["action"] == "acknowledge").sum() >= 1


def test_retrain_registers_a_challenger_on_recent_labels(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    run = monitor.latest_run(demo_store, pid)
    res = monitor.retrain_challenger(demo_store, pid, int(run.id), actor="t",
                                     since=datetime(2026, 1, 12))
    challenger = registry.get_challenger(demo_store, pid)
    assert challenger is not None and challenger.id == res.version_id
    ds = datasets_db.get_dataset(demo_store, res.dataset_id)
    assert ds.parent_id == run.current_dataset_id and ds.n_rows == res.rows > 200
    assert monitor.update_step(demo_store, pid)[0] == "done"


def test_cli_writes_the_same_results_as_the_page(demo_db, capsys):
    from core.db.database import Database

    code = monitor.main(["--db", str(demo_db), "--project", "Claims triage (demo)",
                         "--current", "claims_production_stream"])
    assert code == 0
    out = capsys.readouterr().out
    assert "alerts" in out and "decay confirmed: 1" in out
    s = Database(demo_db)
    try:
        runs = monitoring_db.list_monitor_runs(s, projects_db.list_projects(s)[0].id)
        cli, demo = int(runs["id"].iloc[0]), int(runs["id"].iloc[1])
        assert runs["source"].iloc[0] == "cli"
        a, b = monitoring_db.monitor_results(s, cli), monitoring_db.monitor_results(s, demo)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    finally:
        s.close()


def test_cli_reports_a_bad_project(demo_db, capsys):
    assert monitor.main(["--db", str(demo_db), "--project", "nope", "--current", "x"]) == 2
    assert "No project named 'nope'" in capsys.readouterr().err


def test_detectors_follow_time_not_storage_order(demo_store):
    # Before the fix the stream was fed in storage order: the same rows shuffled gave other
    # Page-Hinkley / DDM / ADWIN detections and another alert count.
    pid = projects_db.list_projects(demo_store)[0].id
    demo = monitor.latest_run(demo_store, pid)
    stream = datasets_db.get_dataset(demo_store, int(demo.current_dataset_id))
    frame = datasets_db.dataset_frame(demo_store, stream.id)
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    untimed = shuffled.copy()
    time_col = demo.time_column
    untimed[time_col] = untimed[time_col].astype("datetime64[us]")
    untimed.loc[untimed.index[:7], time_col] = pd.NaT
    ref_id = datasets_db.list_datasets(demo_store, pid, role="training")[0].id
    version = int(demo.summary["model_version_id"])
    out = {}
    for name, data in (("shuffled", shuffled), ("untimed", untimed)):
        did = datasets_db.insert_dataset(demo_store, pid, name, data, source="t", role="production", actor="t")
        out[name] = monitor.run_monitoring(
            demo_store, pid, reference_dataset_id=ref_id, current_dataset_id=did,
            model_version_id=version, settings=MonitorSettings(time_column=time_col), actor="t",
        ).summary
    assert out["shuffled"]["detections"] == demo.summary["detections"]
    assert out["shuffled"]["policy_counts"] == demo.summary["policy_counts"]
    assert out["shuffled"]["rows_without_time"] == 0 and "notes" not in out["shuffled"]
    assert out["untimed"]["rows_without_time"] == 7
    assert "7 row(s)" in out["untimed"]["notes"][0]


def test_stage_reads_for_the_page(demo_store):
    from core.projects import column_roles

    pid = projects_db.list_projects(demo_store)[0].id
    run = monitor.latest_run(demo_store, pid)
    assert run is not None and isinstance(run.settings, dict) and isinstance(run.summary, dict)
    assert monitor.get_run(demo_store, run.id) == run
    with pytest.raises(monitor.MonitorError, match="does not exist"):
        monitor.get_run(demo_store, 10**9)
    runs = monitor.list_runs(demo_store, pid)
    assert runs["id"].tolist() == [run.id]
    assert runs["current_dataset"].iloc[0] == datasets_db.get_dataset(
        demo_store, run.current_dataset_id).name
    alerts = monitor.run_alerts(demo_store, pid, run.id)
    assert len(alerts) and set(alerts["run_id"]) == {run.id}
    choices = monitor.run_choices(demo_store, pid)
    assert run.reference_dataset_id in choices.references
    assert run.current_dataset_id in choices.productions
    assert choices.time_role == column_roles(demo_store, pid).time == run.time_column
    assert choices.time_role in monitor.time_columns(demo_store, run.current_dataset_id)
    assert choices.champion_id == run.summary["model_version_id"]


def test_output_figure_names_the_positive_class():
    from core.charts import monitoring as charts

    r = _results([("output", pd.Timestamp("2025-01-06"), None, "positive_share", 0.2, None,
                   None, "")])
    assert charts.output_figure(r, "churn = yes").data[0].name == "predicted churn = yes"
    assert charts.output_figure(r).data[0].name == "predicted positive"


def test_alert_messages_name_the_window():
    w = pd.date_range("2025-01-01", periods=2, freq="MS")
    rows = [("input", x, "c", "unseen_share", 0.2, 0.01, True, "") for x in w[1:]]
    rows += [("software", x, None, "requests", 10, None, None, "") for x in w]
    alerts, _ = evaluate_policies(_results(rows), MonitorSettings(window="month",
                                                                  primary_metric="recall"), [])
    assert alerts["message"].tolist() == ["Month of 2025-02-01: unseen_share 20.00% on c."]
