"""Rollout simulation: routing, stickiness, rollback timing, shadow, blue-green accounting."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from core import deploy
from core.db import deploy as deploy_db
from core.db import projects as projects_db
from core.deploy import (
    DeployError,
    Guardrail,
    HumanDecider,
    ModelDecider,
    RolloutSettings,
    prepare_stream,
    route_buckets,
    simulate_rollout,
)

DAY0 = pd.Timestamp("2026-01-01")


def make_stream(n_days: int = 20, per_day: int = 1000, seed: int = 0, keys=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_days * per_day
    x = rng.normal(size=n)
    y = (x + rng.normal(scale=0.3, size=n) > 0).astype(int)
    human = np.where(rng.uniform(size=n) < 0.9, y, 1 - y)
    return pd.DataFrame(
        {
            "ticket_ref": keys if keys is not None else [f"R{i:07d}" for i in range(n)],
            "logged_on": DAY0
            + pd.to_timedelta(np.sort(rng.uniform(0, n_days * 86400, n)), unit="s"),
            "x": x,
            "ops_verdict": human,
            "outcome_flag": y,
            "resp_time": rng.gamma(4, 10, n),
            "rc_code": 200,
        }
    )


@pytest.fixture(scope="module")
def model() -> ModelDecider:
    s = make_stream(n_days=1, per_day=2000, seed=1)
    lr = LogisticRegression().fit(s[["x"]], s["outcome_flag"])
    return ModelDecider(lr, ["x"], "1", "lr")


class Flipped:
    """A planted degradation: the model's answers invert from ``after`` on."""

    def __init__(self, inner, after):
        self.inner, self.after = inner, after
        self.name, self.features, self.is_model, self.threshold = (
            "flipped",
            ["x", "logged_on"],
            True,
            0.5,
        )

    def predict_proba(self, frame):
        p = self.inner.predict_proba(frame)
        late = (pd.to_datetime(frame["logged_on"]) >= self.after).to_numpy()
        return np.where(late, 1 - p, p)


BASE = RolloutSettings(
    time_column="logged_on",
    key_column="ticket_ref",
    label_column="outcome_flag",
    human_column="ops_verdict",
    latency_column="resp_time",
    status_column="rc_code",
    window="1D",
    inference_ms=2.0,
    seed=3,
    guardrails=(Guardrail("accuracy", 0.8), Guardrail("p95_latency_ms", 500.0)),
)


def test_canary_routes_the_scheduled_share_and_promotes(model):
    scored = prepare_stream(make_stream(), HumanDecider("ops_verdict"), model, BASE)
    r = simulate_rollout(scored, replace(BASE, schedule=(5, 25, 50, 100), healthy_windows=2))
    tl = r.timeline
    assert list(tl["share_target"][:8]) == [5, 5, 25, 25, 50, 50, 100, 100]
    for _, w in tl.iterrows():
        p = w["share_target"] / 100
        sd = np.sqrt(p * (1 - p) / w["n_requests"])
        assert abs(w["share_served"] - p) <= 4 * sd + 1e-9
    assert r.summary["decision"] == "go" and r.summary["rollbacks"] == 0
    assert r.summary["time_to_full_rollout_days"] == 6.0
    kinds = r.events["kind"].tolist()
    assert kinds[:4] == ["start", "promote", "promote", "promote"]


def test_routing_is_sticky_by_request_id(model):
    keys = [f"user{i % 300}" for i in range(20_000)]
    stream = make_stream(keys=keys)
    b = route_buckets(stream["ticket_ref"], salt="3:")
    assert (pd.Series(b).groupby(stream["ticket_ref"].to_numpy()).nunique() == 1).all()
    # a key routed to the candidate at 5% stays there at 25%: buckets are compared to the share
    at5 = set(stream["ticket_ref"][b < 500])
    at25 = set(stream["ticket_ref"][b < 2500])
    assert at5 <= at25 and 0 < len(at5) < len(at25) < 300
    assert route_buckets(["R1", "R2"]).tolist() == route_buckets(["R1", "R2"]).tolist()


def test_planted_degradation_rolls_back_in_the_expected_window(model):
    after = DAY0 + pd.Timedelta(days=9)
    bad = Flipped(model, after)
    scored = prepare_stream(make_stream(), HumanDecider("ops_verdict"), bad, BASE)
    r = simulate_rollout(scored, replace(BASE, schedule=(5, 25, 50, 100), healthy_windows=2))
    rb = r.events[r.events["kind"] == "rollback"]
    assert len(rb) == 1
    assert int(rb["window_idx"].iloc[0]) == 9  # the first window of the flipped model
    assert "Accuracy" in rb["reason"].iloc[0]
    assert (r.timeline["share_target"][10:] == 0).all()
    assert r.summary["decision"] == "no-go"
    assert r.summary["time_to_detect_hours"] == 24.0
    # the step at which the guardrail was checked is recorded
    steps = deploy.guardrail_steps(r.checks)
    acc = steps[steps["guardrail"].str.startswith("Accuracy")]
    assert set(acc["share %"]) >= {5.0, 25.0, 50.0, 100.0}
    assert int(acc["breached"].sum()) == 1


def test_shadow_never_serves_the_candidate(model):
    bad = Flipped(model, DAY0 + pd.Timedelta(days=5))
    scored = prepare_stream(make_stream(), HumanDecider("ops_verdict"), bad, BASE)
    r = simulate_rollout(scored, replace(BASE, pattern="shadow"))
    assert (r.timeline["n_routed"] == 0).all() and (r.timeline["wrong_cand"] == 0).all()
    assert r.summary["served_by_candidate"] == 0 and r.summary["errors_exposed"] == 0
    assert "rollback" not in set(r.events["kind"]) and "breach" in set(r.events["kind"])
    assert r.summary["decision"] == "no-go"


def test_blue_green_rollback_accounting(model):
    stream = make_stream()
    after = DAY0 + pd.Timedelta(days=8)
    switch = DAY0 + pd.Timedelta(days=3, hours=6)
    scored = prepare_stream(stream, HumanDecider("ops_verdict"), Flipped(model, after), BASE)
    s = replace(
        BASE,
        pattern="blue_green",
        switch_at=switch.to_pydatetime(),
        rollback_seconds=30,
    )
    r = simulate_rollout(scored, s)
    back = after + pd.Timedelta(days=1, seconds=30)
    t = stream["logged_on"]
    assert r.summary["rollbacks"] == 1
    assert r.summary["served_by_candidate"] == int(((t >= switch) & (t < back)).sum())
    assert r.summary["bad_side_requests"] == int(((t >= after) & (t < back)).sum())
    assert r.summary["time_to_detect_hours"] == 24.0
    assert r.summary["time_to_rollback_hours"] == round(30 / 3600, 4)
    assert r.timeline["share_target"].tolist()[:3] == [0.0, 0.0, 0.0]


def test_results_are_reproducible_with_a_seed(model):
    stream = make_stream()
    a = simulate_rollout(prepare_stream(stream, HumanDecider("ops_verdict"), model, BASE), BASE)
    b = simulate_rollout(prepare_stream(stream, HumanDecider("ops_verdict"), model, BASE), BASE)
    pd.testing.assert_frame_equal(a.timeline, b.timeline)
    pd.testing.assert_frame_equal(a.checks, b.checks)
    c = simulate_rollout(prepare_stream(stream, HumanDecider("ops_verdict"), model, BASE), replace(BASE, seed=4))
    assert not a.timeline["n_routed"].equals(c.timeline["n_routed"])


def test_bad_input_is_named(model):
    s = make_stream(n_days=2, per_day=50)
    with pytest.raises(DeployError, match="no column 'logged_on' to order requests by time"):
        prepare_stream(s.drop(columns="logged_on"), HumanDecider("ops_verdict"), model, BASE)
    with pytest.raises(DeployError, match="No time column is set"):
        prepare_stream(s, HumanDecider("ops_verdict"), model, replace(BASE, time_column=None))
    with pytest.raises(DeployError, match="lacks: x"):
        prepare_stream(s.drop(columns="x"), HumanDecider("ops_verdict"), model, BASE)
    assert "empty" in deploy.validate_settings(replace(BASE, schedule=()))[0]
    assert "increase" in deploy.validate_settings(replace(BASE, schedule=(5, 50, 25)))[0]
    assert "(0, 100]" in " ".join(deploy.validate_settings(replace(BASE, schedule=(5, 150))))
    with pytest.raises(DeployError, match="schedule"):
        deploy.parse_schedule("5, lots")


def test_no_labels_skips_label_guardrails_and_is_not_judged(model):
    s = make_stream(n_days=6, per_day=400)
    s["outcome_flag"] = np.nan
    r = simulate_rollout(prepare_stream(s, HumanDecider("ops_verdict"), model, BASE), BASE)
    assert any("labels" in w for w in r.warnings)
    acc = r.checks[r.checks["metric"] == "accuracy"]
    assert set(acc["status"]) == {"no labels"}
    assert (r.checks[r.checks["metric"] == "p95_latency_ms"]["status"] == "pass").any()
    # the latency guardrail alone promoted it to 100%, but accuracy was never judged
    assert r.summary["time_to_full_rollout_days"] is not None
    assert r.summary["decision"] == deploy.NOT_JUDGED
    assert r.summary["reasons"][0].startswith("Not judged: Accuracy ≥ 0.8")
    assert "wait for labels" in r.summary["reasons"][-1]
    assert r.summary["errors_exposed"] is None and r.summary["excess_wrong"] is None


@pytest.mark.parametrize("pattern", ["canary", "blue_green", "shadow"])
def test_no_label_column_is_never_a_go(model, pattern):
    s = replace(BASE, pattern=pattern, label_column=None)
    r = simulate_rollout(prepare_stream(make_stream(n_days=6, per_day=400),
                                        HumanDecider("ops_verdict"), model, s), s)
    assert r.summary["decision"] == "not judged"
    assert "Accuracy ≥ 0.8" in r.summary["reasons"][0]
    assert "Set the label column under 'Stream columns'" in r.summary["reasons"][-1]
    if pattern != "shadow":  # the candidate served requests whose errors nobody can count
        assert r.summary["served_by_candidate"] > 0 and r.summary["errors_exposed"] is None
    missing = simulate_rollout(prepare_stream(make_stream(n_days=6, per_day=400),
                                              HumanDecider("ops_verdict"), model,
                                              replace(s, label_column="outcome")),
                               replace(s, label_column="outcome"))
    assert missing.summary["decision"] == "not judged"
    assert "no label column 'outcome'" in missing.summary["reasons"][-1]


def test_a_partly_labelled_stream_is_judged(model):
    s = make_stream(n_days=10, per_day=400)
    s.loc[s.index % 2 == 1, "outcome_flag"] = np.nan  # labels arrive for half the requests
    one = replace(BASE, schedule=(5, 100), healthy_windows=1)
    r = simulate_rollout(prepare_stream(s, HumanDecider("ops_verdict"), model, one), one)
    assert r.summary["decision"] == "go" and r.summary["errors_exposed"] > 0


def test_no_guardrail_is_not_judged(model):
    s = replace(BASE, pattern="blue_green", guardrails=())
    r = simulate_rollout(prepare_stream(make_stream(n_days=4, per_day=300),
                                        HumanDecider("ops_verdict"), model, s), s)
    assert r.summary["decision"] == "not judged"
    assert r.summary["reasons"][0].startswith("Not judged: no guardrail could be judged")


def test_a_not_judged_rehearsal_does_not_finish_the_deploy_step(model, store):
    from core.projects import lifecycle

    pid = projects_db.create_project(store, "p", "tester")
    s = replace(BASE, label_column=None)
    r = simulate_rollout(prepare_stream(make_stream(n_days=6, per_day=400),
                                        HumanDecider("ops_verdict"), model, s), s)
    sid = deploy.save_simulation(store, pid, r, "tester", name="no labels", dataset_id=1,
                                 dataset_hash="h", incumbent="human", candidate=1)
    loaded = deploy.load_simulation(store, sid)
    assert loaded.decision == "not judged" and loaded.summary["errors_exposed"] is None
    status, evidence, action = deploy.deploy_step(store, pid)
    assert status == "in progress" and "not judged" in evidence and "label column" in action
    assert next(st for st in lifecycle(store, pid) if st.step == "Deploy").status != "done"


def test_every_metric_has_a_judge_and_every_pattern_a_strategy():
    from core.deploy.guardrails import FAMILIES
    from core.deploy.strategies import STRATEGIES

    assert set(FAMILIES) == set(deploy.GUARDRAIL_METRICS)
    assert set(STRATEGIES) == set(deploy.PATTERNS)
    assert {cls.pattern for cls in STRATEGIES.values()} == set(deploy.PATTERNS)


def test_statistics_match_scipy_and_sklearn():
    hi = binomtest(80, 100).proportion_ci(confidence_level=0.90, method="wilson").high
    assert deploy.wilson_bound(80, 100, 0.95, upper=True) == pytest.approx(hi, abs=1e-12)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    score = y * 0.3 + rng.uniform(size=300)
    assert deploy.auc_with_se(y, score)[0] == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_store_round_trip_and_lifecycle(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    sims = deploy_db.list_deploy_simulations(demo_store, pid)
    assert {r.pattern for r in sims} == {"shadow", "canary", "blue_green"}
    canary = next(r for r in sims if r.pattern == "canary")
    loaded = deploy.load_simulation(demo_store, canary.id)
    assert loaded.decision == "no-go" and loaded.summary["rollbacks"] == 1
    # the concept drift (2026-01-15) is what the canary caught, before it reached 100%
    rb = loaded.events[loaded.events["kind"] == "rollback"].iloc[0]
    assert pd.Timestamp(rb["at"]) > pd.Timestamp("2026-01-15") and rb["share_from"] == 50
    by_pattern = {r.pattern: r for r in sims}
    assert by_pattern["shadow"].decision == "go"
    assert by_pattern["blue_green"].decision == "no-go"
    assert by_pattern["blue_green"].summary["errors_exposed"] > 2000
    assert not loaded.timeline.empty and not loaded.checks.empty
    comp = deploy.comparison_frame(demo_store, pid, canary.dataset_id).set_index("pattern")
    assert comp.loc["blue-green", "errors exposed"] > comp.loc["canary", "errors exposed"]
    assert deploy.deploy_step(demo_store, pid)[0] == "in progress"


def test_timeline_figure_has_labelled_panels_and_events(model):
    after = DAY0 + pd.Timedelta(days=9)
    scored = prepare_stream(
        make_stream(n_days=12, per_day=500), HumanDecider("ops_verdict"), Flipped(model, after), BASE
    )
    r = simulate_rollout(scored, BASE)
    from core.charts.deploy import comparison_figure, timeline_figure

    fig = timeline_figure(r.timeline, r.checks, r.events, "t")
    titles = [a.text for a in fig.layout.annotations]
    assert "Traffic served by the candidate (%)" in titles and "rollback" in titles
    assert any(t.startswith("Accuracy ≥ 0.8") for t in titles)
    assert fig.layout.xaxis3.title.text.startswith("Window start")
    assert len(comparison_figure(deploy.compare_patterns([r])).data) == 3
