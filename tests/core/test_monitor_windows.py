"""Monitoring without a time column: the whole batch as one window, windows of N rows in
file order, windows by a batch column; the CLI on such a file; the label-free alert
policies on the drifted batch of issue 15. Column names are unlike the demo's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import monitoring as monitor
from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.monitoring import MonitorSettings, parse_windows
from core.monitoring.profile_store import get_profile, profile_dataset
from core.monitoring.profiles import ALL
from tests.core.monitor_data import (
    FEATURES,
    TARGET,
    drifted_batch,
    plant_frame,
    plant_project,
    train_champion,
)


@pytest.fixture
def plant(store):
    pid, rid = plant_project(store)
    # 2,000 rows in file order; from row 1,201 on gauge_c moves by 1.5 standard deviations
    batch = plant_frame(2000, seed=9)
    batch.loc[1200:, "gauge_c"] += 1.5
    batch["lot"] = np.repeat([f"2025-0{m}-01" for m in (3, 1, 2, 4)], 500)  # text, unsorted
    cid = datasets_db.insert_dataset(store, pid, "plant_batch", batch, source="t",
                                     role="production", actor="t")
    return store, pid, rid, cid


def _run(store, pid, rid, cid, window=None, model=None):
    return monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                  model_version_id=model,
                                  settings=MonitorSettings(window=window, domain_sample=200),
                                  actor="t")


def test_without_a_time_column_the_whole_batch_is_one_window(plant):
    # Before: "No time column is set" and nothing was monitored.
    store, pid, rid, cid = plant
    res = _run(store, pid, rid, cid)
    drift = res.results[res.results["kind"] == "drift"]
    assert set(drift["column_name"]) >= set(FEATURES)
    assert set(drift["window_label"]) == {ALL} and set(drift["window_index"]) == {0}
    assert drift["window_start"].isna().all()
    assert drift.set_index("column_name").at["gauge_c", "flagged"]
    assert not drift.set_index("column_name").at["gauge_e", "flagged"]
    run = monitor.get_run(store, res.run_id)
    assert run.time_window == "all" and run.summary["windowing"] == "all"
    assert any("whole current dataset as one window" in n for n in run.summary["notes"])
    stored = monitor.run_results(store, res.run_id)
    assert set(stored.loc[stored["kind"] == "drift", "window_label"]) == {ALL}


def test_row_windows_follow_file_order(plant):
    store, pid, rid, cid = plant
    res = _run(store, pid, rid, cid, window="rows:500")
    d = res.results[(res.results["kind"] == "drift") & (res.results["column_name"] == "gauge_c")]
    d = d.sort_values("window_index")
    assert d["window_label"].tolist() == ["rows 1–500", "rows 501–1,000", "rows 1,001–1,500",
                                          "rows 1,501–2,000"]
    assert d["window_index"].tolist() == [0, 1, 2, 3]
    # the shift starts at row 1,201: the third window is part-shifted, the fourth fully
    assert d["flagged"].tolist() == [False, False, True, True]
    stats = res.results[(res.results["kind"] == "drift_stat") & (res.results["metric"] == "psi")
                        & (res.results["column_name"] == "gauge_e")]
    assert len(stats) == 4  # every column's statistics in every window
    assert monitor.run_windows(store, res.run_id)["window_label"].tolist() == d[
        "window_label"].tolist()
    # the domain classifier per window too, in file order on its chart (not by label text)
    from core.charts.monitoring import multivariate_figure

    fig = multivariate_figure(monitor.run_results(store, res.run_id))
    assert list(fig.data[0].x) == d["window_label"].tolist()


def test_many_row_windows_group_the_domain_classifier_in_order(plant):
    store, pid, rid, cid = plant
    res = _run(store, pid, rid, cid, window="rows:100")  # 20 windows: periods of 2
    mv = res.results[res.results["kind"] == "multivariate"].sort_values("window_index")
    assert len(mv) == 10
    assert mv["window_label"].iloc[0] == "rows 1–100 … rows 101–200"
    assert mv["window_label"].iloc[-1] == "rows 1,801–1,900 … rows 1,901–2,000"
    assert mv["window_index"].tolist() == list(range(0, 20, 2))


def test_row_window_profiles_merge_into_the_whole(plant):
    store, pid, rid, cid = plant
    ref = profile_dataset(store, rid)
    whole = get_profile(store, profile_dataset(store, cid, reference_profile_id=ref))
    rows = get_profile(store, profile_dataset(store, cid, reference_profile_id=ref,
                                              row_window=300))
    assert len(rows.windows) == 7 and rows.windows[0] == "rows 1–300"
    merged = rows.total()
    for col in FEATURES:
        a, b = whole.column(col, ALL), merged.column(col, ALL)
        assert a is not None and b is not None
        assert (a.n, a.nulls, a.bin_keys, a.bin_counts) == (b.n, b.nulls, b.bin_keys, b.bin_counts)
        assert a.sum == pytest.approx(b.sum, rel=1e-12)


def test_batch_column_windows_in_order_of_first_appearance(plant):
    store, pid, rid, cid = plant
    res = _run(store, pid, rid, cid, window="column:lot")
    d = res.results[(res.results["kind"] == "drift") & (res.results["column_name"] == "gauge_c")]
    d = d.sort_values("window_index")
    assert d["window_label"].tolist() == ["2025-03-01", "2025-01-01", "2025-02-01", "2025-04-01"]
    assert d["flagged"].tolist() == [False, False, True, True]
    checked = res.results[res.results["kind"].isin(["drift", "drift_stat", "input"])]
    assert "lot" not in set(checked["column_name"])  # the batch column is not a feature


def test_domain_classifier_takes_a_category_with_missing_values():
    # Before: a text column with missing values in the current rows (pandas 3 reads them as
    # NA) crashed the domain classifier, and with it the whole run ("All the 3 fits failed").
    from core.monitoring.domain import domain_classifier_drift

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"gauge_a": rng.normal(size=300), "shift_code": rng.choice(["n", "d"], 300)})
    cur = ref.assign(shift_code=pd.Series([None] * 150 + ["n"] * 150, dtype="str"))
    d = domain_classifier_drift(ref, cur, folds=3)
    assert d.drifted and 0.5 < d.roc_auc <= 1


def test_model_checks_and_detectors_read_file_order(plant):
    store, pid, rid, cid = plant
    vid = train_champion(store, pid, rid)
    res = _run(store, pid, rid, cid, window="rows:500", model=vid)
    perf = res.results[res.results["metric"] == "realized_accuracy"]
    assert perf["window_label"].tolist() == ["rows 1–500", "rows 501–1,000", "rows 1,001–1,500",
                                             "rows 1,501–2,000"]
    labelled = res.results[res.results["metric"] == "labelled_rows"]["value"].tolist()
    assert labelled == [500, 500, 500, 500]
    for when in (w for ws in res.summary["detections"].values() for w in ws):
        assert when.startswith("row ")
    assert any("read the rows in file order" in n for n in res.summary["notes"])


def test_bad_window_choices_say_what_to_do(plant):
    store, pid, rid, cid = plant
    with pytest.raises(monitor.MonitorError, match="rows:N"):
        parse_windows("rows:0")
    with pytest.raises(monitor.MonitorError, match="Unknown window 'fortnight'"):
        parse_windows("fortnight")
    with pytest.raises(monitor.MonitorError, match="'plant_batch' has no column 'batch_no'"):
        _run(store, pid, rid, cid, window="column:batch_no")
    with pytest.raises(monitor.MonitorError, match="window by rows"):
        _run(store, pid, rid, cid, window="week")
    assert monitor.list_runs(store, pid).empty


def test_drifted_batch_without_labels_raises_an_alert(store):
    # Issue 15: "A drifted batch (one feature shifted by +8 and another scaled by 1.5 ...,
    # score PSI > 1) raised no alert." Without labels, with a model.
    pid, rid = plant_project(store)
    vid = train_champion(store, pid, rid)
    cid = datasets_db.insert_dataset(store, pid, "batch_0412", drifted_batch(), source="t",
                                     role="production", actor="t")
    res = _run(store, pid, rid, cid, model=vid)
    psi = res.results[res.results["metric"] == "score_psi"]["value"].iloc[0]
    assert psi > 1
    assert res.results[res.results["metric"] == "labelled_rows"]["value"].iloc[0] == 0
    alerts = monitoring_db.list_alerts(store, pid)
    assert len(alerts[alerts["severity"].isin(["high", "medium"])]) >= 1
    out = alerts[alerts["policy"] == "output drift"]
    assert len(out) == 1 and out["window_label"].iloc[0] == ALL
    assert f"score PSI {psi:.3g} > 0.2 (no labels needed)" in out["message"].iloc[0]


def test_dataset_drift_fires_without_labels_or_model(store):
    pid, rid = plant_project(store)
    batch = drifted_batch()
    for col in ("gauge_c", "gauge_d", "gauge_e"):
        batch[col] = batch[col] + 1.0  # five of nine features moved: 56%
    cid = datasets_db.insert_dataset(store, pid, "batch_0413", batch, source="t",
                                     role="production", actor="t")
    res = _run(store, pid, rid, cid)
    drift = res.results[(res.results["kind"] == "drift") & res.results["column_name"].isin(
        FEATURES)]
    share = drift["flagged"].astype(bool).mean()
    assert share == pytest.approx(5 / 9)
    alerts = monitoring_db.list_alerts(store, pid)
    dd = alerts[alerts["policy"] == "dataset drift"]
    assert len(dd) == 1 and dd["severity"].iloc[0] == "medium"
    assert "5 of 9 monitored features drifted (56%, at least 50%)" in dd["message"].iloc[0]


def test_cli_runs_without_a_time_column(store, tmp_path, capsys):
    pid, rid = plant_project(store)
    train_champion(store, pid, rid)
    path = tmp_path / "batch_0414.csv"
    drifted_batch().assign(**{TARGET: np.nan}).to_csv(path, index=False)
    db_path = store.path
    store.close()
    code = monitor.main(["--db", str(db_path), "--project", "Plant faults",
                         "--current", str(path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "1 windows (all)" in out.out and "output drift: 1" in out.out
    assert "whole current dataset as one window" in out.out
    code = monitor.main(["--db", str(db_path), "--project", "Plant faults",
                         "--current", str(path), "--windows", "rows:250", "--model", "none"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "4 windows (rows:250)" in out.out
    assert monitor.main(["--db", str(db_path), "--project", "Plant faults",
                         "--current", str(path), "--windows", "rows:x"]) == 2
    assert "rows:N" in capsys.readouterr().err


def test_software_metrics_per_row_window(store):
    pid, rid = plant_project(store)
    batch = plant_frame(900, seed=4)
    rng = np.random.default_rng(2)
    batch["answer_ms"] = rng.gamma(4.0, 20.0, 900)
    cid = datasets_db.insert_dataset(store, pid, "served", batch, source="t",
                                     role="production", actor="t")
    res = monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                 settings=MonitorSettings(window="rows:300",
                                                          latency_column="answer_ms",
                                                          domain_sample=0), actor="t")
    p95 = res.results[res.results["metric"] == "latency_p95_ms"].sort_values("window_index")
    want = [np.quantile(batch["answer_ms"].iloc[i:i + 300], 0.95) for i in (0, 300, 600)]
    np.testing.assert_allclose(p95["value"], want, rtol=1e-12)
    assert p95["window_label"].tolist() == ["rows 1–300", "rows 301–600", "rows 601–900"]
    assert not (res.results["metric"] == "throughput_rps").any()  # needs time


def test_finish_windows_keeps_time_windows_as_before():
    from core.monitoring.windows import finish_windows

    starts = pd.to_datetime(["2025-03-10", "2025-03-03", "2025-03-10"])
    r = pd.DataFrame({"kind": ["drift", "drift", "multivariate"],
                      "window_start": list(starts)})
    out = finish_windows(r, None)
    assert out["window_label"].tolist() == ["2025-03-10", "2025-03-03", "2025-03-10"]
    assert out["window_index"].tolist()[:2] == [1, 0] and pd.isna(out["window_index"].iloc[2])
    assert (out["window_start"] == starts).all()
