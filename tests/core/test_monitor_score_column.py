"""Monitoring a model that runs elsewhere (issue 15): its scores are a column of the data
(the project's ``score`` role), checked for output drift, realized performance, the
error-stream detectors and the estimate without labels, with no model registered here.
Column names are unlike the demo's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, roc_auc_score

from core import monitoring as monitor
from core import scoping
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.monitoring import MonitorError, MonitorSettings
from core.monitoring.score_column import NOT_AVAILABLE
from core.projects import column_roles, save_column_roles, suggest_column_roles
from core.scoping.brief import Brief
from core.scoping.contract import Contract, MetricTarget

SCORE, LABEL = "p_outside", "outcome"


def _frame(n: int, seed: int, *, shift: float = 0.0, decayed: bool = False) -> pd.DataFrame:
    """Two sensor readings, an outside model's probability, and the outcome it predicts
    (drawn from that probability; with ``decayed``, unrelated to it)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    logit = 1.8 * x[:, 0] - 1.2 * x[:, 1] + shift
    p = 1 / (1 + np.exp(-logit))
    y = rng.uniform(size=n) < (np.full(n, 0.5) if decayed else p)
    return pd.DataFrame({"temp_c": x[:, 0], "hum_pct": x[:, 1], SCORE: p,
                         LABEL: y.astype(int)})


@pytest.fixture
def gate(store):
    pid = projects_db.create_project(store, "Gate scoring", "a model that runs elsewhere")
    rid = datasets_db.insert_dataset(store, pid, "gate_history", _frame(3000, 1), source="t",
                                     role="training", actor="t")
    save_column_roles(store, pid, {"target": LABEL, "score": SCORE}, "t")
    return store, pid, rid


def _add(store, pid, name, frame):
    return datasets_db.insert_dataset(store, pid, name, frame, source="t", role="production",
                                      actor="t")


def _run(store, pid, rid, cid, **kw):
    settings = MonitorSettings(window="rows:500", domain_sample=0, primary_metric="roc_auc",
                               primary_floor=0.75, **kw)
    return monitor.run_monitoring(store, pid, reference_dataset_id=rid, current_dataset_id=cid,
                                  settings=settings, actor="t")


def test_the_score_role_is_stored_and_suggested(gate):
    store, pid, rid = gate
    assert column_roles(store, pid).score == SCORE
    assert suggest_column_roles(store, rid).score is None  # not named like a score: the user sets it
    named = _frame(300, 2).rename(columns={SCORE: "risk_score"})
    guess = suggest_column_roles(store, _add(store, pid, "named", named))
    assert guess.score == "risk_score" and "[0, 1]" in guess.rules["score"]
    percent = named.assign(risk_score=named["risk_score"] * 100)  # not a probability
    assert suggest_column_roles(store, _add(store, pid, "percent", percent)).score is None
    with pytest.raises(Exception, match="one role at most"):
        save_column_roles(store, pid, {"target": SCORE, "score": SCORE}, "t")


def test_score_column_drift_and_decay_raise_alerts(gate):
    store, pid, rid = gate
    batch = _frame(1000, 7, shift=2.0, decayed=True)
    res = _run(store, pid, rid, _add(store, pid, "gate_batch", batch))
    s = res.summary
    assert s["score_column"] == SCORE and "model_version_id" not in s
    assert SCORE in s["scores_from"] and "not a registered model" in s["scores_from"]
    assert s["importance_note"] == NOT_AVAILABLE and s["top_features"] == []
    assert any(NOT_AVAILABLE in n and "drift and estimated decay" in n for n in s["notes"])
    r = res.results
    assert SCORE not in set(r.loc[r["kind"] == "drift", "column_name"])  # an output, not a feature
    psi = r[r["metric"] == "score_psi"]
    assert len(psi) == 2 and psi["flagged"].all()
    auc = r[r["metric"] == "realized_roc_auc"].sort_values("window_index")
    want = [roc_auc_score(batch[LABEL].iloc[i:i + 500], batch[SCORE].iloc[i:i + 500])
            for i in (0, 500)]
    np.testing.assert_allclose(auc["value"], want, rtol=1e-12)
    assert auc["flagged"].all() and (auc["value"] < 0.75).all()
    acc = r[r["metric"] == "realized_accuracy"].sort_values("window_index")
    np.testing.assert_allclose(acc["value"].iloc[0], np.mean(
        (batch[SCORE].iloc[:500] >= 0.5).astype(int) == batch[LABEL].iloc[:500]))
    assert (r["metric"] == "estimated_roc_auc").sum() == 2
    assert s["calibration"]["part"] == "reference dataset" and s["decision_threshold"] == 0.5
    assert {"output drift", "decay confirmed"} <= set(res.alerts["policy"])


def test_without_labels_only_estimates(gate):
    store, pid, rid = gate
    batch = _frame(1000, 8).drop(columns=[LABEL])
    res = _run(store, pid, rid, _add(store, pid, "unlabelled", batch), score_threshold=0.4)
    r = res.results
    assert (r["metric"] == "estimated_roc_auc").sum() == 2
    assert not r["metric"].str.startswith("realized_").any()
    assert (r.loc[r["metric"] == "labelled_rows", "value"] == 0).all()
    pos = r[r["metric"] == "positive_share"].sort_values("window_index")
    assert pos["value"].iloc[0] == pytest.approx(np.mean(batch[SCORE].iloc[:500] >= 0.4))
    assert res.summary["label_column"] is None
    assert res.summary["detections"] == {"PageHinkley": [], "DDM": [], "ADWIN": []}


def test_missing_or_wrong_score_column_is_named(gate):
    store, pid, rid = gate
    cid = _add(store, pid, "no_scores", _frame(600, 9).drop(columns=[SCORE]))
    with pytest.raises(MonitorError, match=r"current dataset 'no_scores' has no score column "
                                           r"'p_outside'"):
        _run(store, pid, rid, cid)
    cid = _add(store, pid, "with_scores", _frame(600, 9))
    odds = _add(store, pid, "odds_batch", _frame(600, 9).assign(odds=0.5))
    with pytest.raises(MonitorError, match="reference dataset 'gate_history' has no score "
                                           "column 'odds'"):
        _run(store, pid, rid, odds, score_column="odds")
    bad = _frame(600, 9).assign(**{SCORE: lambda f: f[SCORE] * 4})
    with pytest.raises(MonitorError, match=r"'p_outside' of 'over_one' holds values outside"):
        _run(store, pid, rid, _add(store, pid, "over_one", bad))
    # none: data checks only, whatever the role says
    res = _run(store, pid, rid, cid, score_column="")
    assert "score_column" not in res.summary
    assert not (res.results["metric"] == "score_psi").any()


def test_a_regression_prediction_column(store):
    rng = np.random.default_rng(3)

    def rows(n, bias):
        x = rng.normal(size=n)
        y = 50 + 10 * x + rng.normal(0, 2, n)
        return pd.DataFrame({"load_kw": x, "kwh_forecast": 50 + 10 * x + bias, "kwh_used": y})

    pid = projects_db.create_project(store, "Meters", "regression elsewhere")
    scoping.save_brief(store, pid, Brief(problem="Forecast use.", contract=Contract(
        task_type="regression", target_column="kwh_used", primary=MetricTarget("mae", 3.0))),
        "t")
    rid = datasets_db.insert_dataset(store, pid, "meters_ref", rows(2000, 0.0), source="t",
                                     role="training", actor="t")
    batch = rows(1000, 15.0)
    cid = _add(store, pid, "meters_now", batch)
    res = monitor.run_monitoring(
        store, pid, reference_dataset_id=rid, current_dataset_id=cid, actor="t",
        settings=MonitorSettings(window="all", domain_sample=0, score_column="kwh_forecast"))
    r = res.results.set_index("metric")
    assert r.at["realized_mae", "value"] == pytest.approx(
        mean_absolute_error(batch["kwh_used"], batch["kwh_forecast"]))
    assert r.at["realized_mae", "flagged"] and r.at["score_psi", "flagged"]
    assert res.summary["task"] == "regression" and res.summary["estimate"]


def test_cli_checks_a_score_column(gate, tmp_path, capsys):
    store, pid, rid = gate
    path = tmp_path / "gate_0507.csv"
    _frame(1000, 7, shift=2.0, decayed=True).to_csv(path, index=False)
    db_path = store.path
    store.close()
    args = ["--db", str(db_path), "--project", "Gate scoring", "--current", str(path),
            "--windows", "rows:500", "--model", "none"]
    assert monitor.main([*args, "--score-column", SCORE]) == 0  # as the role says, explicitly
    out = capsys.readouterr()
    assert "scores from column 'p_outside'" in out.out and "output drift: 1" in out.out
    assert monitor.main(args) == 0  # from the project's score role
    assert "scores from column 'p_outside'" in capsys.readouterr().out
    assert monitor.main([*args, "--score-column", "odds"]) == 2
    assert "has no score column 'odds'" in capsys.readouterr().err
    assert monitor.main([*args, "--score-column", "none"]) == 0
    assert "scores from" not in capsys.readouterr().out


def test_brief_positive_class_and_time_windows(store):
    # text labels: the brief's positive class says which one the score is the probability of
    frame = _frame(3000, 4)
    frame[LABEL] = np.where(frame[LABEL] == 1, "late", "on_time")
    pid = projects_db.create_project(store, "Deliveries", "text labels")
    scoping.save_brief(store, pid, Brief(problem="Flag late deliveries.", contract=Contract(
        target_column=LABEL, positive_class="late", primary=MetricTarget("recall", 0.6))), "t")
    rid = datasets_db.insert_dataset(store, pid, "deliveries_ref", frame, source="t",
                                     role="training", actor="t")
    batch = _frame(1400, 5)
    batch[LABEL] = np.where(batch[LABEL] == 1, "late", "on_time")
    batch["logged_on"] = pd.Timestamp("2025-03-03") + pd.to_timedelta(np.arange(1400) * 12,
                                                                        unit="min")
    batch = batch.iloc[::-1].reset_index(drop=True)  # stored newest first: the run sorts by time
    cid = _add(store, pid, "deliveries_now", batch)
    res = monitor.run_monitoring(
        store, pid, reference_dataset_id=rid, current_dataset_id=cid, actor="t",
        settings=MonitorSettings(time_column="logged_on", window="week", domain_sample=0,
                                 score_column=SCORE))
    first = batch[batch["logged_on"] < pd.Timestamp("2025-03-10")]
    y = (first[LABEL] == "late").to_numpy()
    pred = first[SCORE].to_numpy() >= 0.5
    r = res.results[res.results["metric"] == "realized_recall"].sort_values("window_index")
    assert len(r) == 2
    assert r["value"].iloc[0] == pytest.approx((pred & y).sum() / y.sum())
    assert res.summary["positive_class"] == "late" and res.summary["rows_without_time"] == 0
