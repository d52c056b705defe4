"""Rollout rehearsals on the user's own data (issue 15): roles mapped, the incumbent
defaulting to the human process or the champion, guardrails judged on the stream's own
labels, a stream without a time column replayed in file order, every figure with a legend,
every headline number explained."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core import deploy
from core.charts.deploy import comparison_figure, timeline_figure
from core.db import datasets as datasets_db
from core.deploy import FILE_ORIGIN, RolloutSettings
from tests.core.deploy_data import ACTOR, TARGET, build_project


# ------------------------------------------------------------------ the incumbent
def test_the_human_process_is_the_default_incumbent_when_the_stream_records_it(store):
    p = build_project(store)
    choice = deploy.incumbent_choices(store, p.project_id, p.stream_id)
    assert choice.default == "human" and "'ops_verdict'" in choice.options["human"]
    assert p.champion_id in choice.options, "the champion is offered as the incumbent"


def test_the_champion_is_the_default_incumbent_without_an_incumbent_column(store):
    p = build_project(store, with_incumbent=False)
    choice = deploy.incumbent_choices(store, p.project_id, p.stream_id)
    assert choice.default == p.champion_id
    assert "no incumbent-decision column" in choice.note and "champion" in choice.note


def test_the_champion_is_the_default_when_the_stream_lacks_the_role_column(store):
    p = build_project(store, with_incumbent=False, incumbent_role=True)
    choice = deploy.incumbent_choices(store, p.project_id, p.stream_id)
    assert choice.default == p.champion_id
    assert "no column 'ops_verdict'" in choice.note


@pytest.mark.parametrize("pattern", ["shadow", "canary"])
def test_a_rehearsal_vs_the_champion_is_judged_on_the_streams_own_labels(store, pattern):
    """Roles only (no column named in the settings): the label guardrails are judged on the
    stream's own label column, so the verdict is a go or a no-go, never "not judged"."""
    p = build_project(store, with_incumbent=False)
    choice = deploy.incumbent_choices(store, p.project_id, p.stream_id)
    s = RolloutSettings(pattern=pattern, window="1D", schedule=(10, 100), healthy_windows=1,
                        inference_ms=1.0, guardrails=(deploy.Guardrail("accuracy", 0.7),))
    (sid,) = deploy.run_simulation(store, p.project_id, dataset_id=p.stream_id,
                                   incumbent=choice.default, candidate=p.challenger_id,
                                   settings=s, actor=ACTOR)
    sim = deploy.load_simulation(store, sid)
    assert sim.decision in (deploy.GO, deploy.NO_GO), sim.summary["reasons"]
    assert sim.settings.label_column == TARGET and sim.summary["label_state"] == "arrived"
    assert set(sim.checks["status"]) & {"pass", "breach"}
    assert "champion" in sim.incumbent["name"]
    # the shadow's accuracy is the candidate's agreement with the stream's labels
    stream = datasets_db.dataset_frame(store, p.stream_id)
    if pattern == "shadow":
        assert sim.summary["candidate_accuracy"] == pytest.approx(
            _accuracy(store, p.challenger_id, stream), abs=1e-12)


def _accuracy(store, version_id, stream) -> float:
    from core.deploy import ModelDecider

    m = ModelDecider.from_version(store, version_id)
    thr = m.threshold if m.threshold is not None else 0.5
    return float(np.mean((m.predict_proba(stream) >= thr).astype(int) == stream[TARGET]))


def test_a_rehearsal_vs_the_human_process_uses_its_recorded_decisions(store):
    p = build_project(store)
    s = RolloutSettings(pattern="shadow", window="1D", inference_ms=1.0,
                        guardrails=(deploy.Guardrail("accuracy", 0.7),))
    (sid,) = deploy.run_simulation(store, p.project_id, dataset_id=p.stream_id,
                                   incumbent="human", candidate=p.champion_id, settings=s,
                                   actor=ACTOR)
    summ = deploy.load_simulation(store, sid).summary
    stream = datasets_db.dataset_frame(store, p.stream_id)
    assert summ["incumbent_accuracy"] == pytest.approx(
        float(np.mean(stream["ops_verdict"] == stream[TARGET])), abs=1e-12)
    assert summ["decision"] in (deploy.GO, deploy.NO_GO)


# ------------------------------------------------------------------ file order
FILE = RolloutSettings(order="file", window_requests=250, schedule=(50, 100),
                       healthy_windows=1, inference_ms=1.0, seed=5,
                       guardrails=(deploy.Guardrail("accuracy", 0.7),))


def test_a_stream_without_a_time_column_is_refused_in_time_order(store):
    p = build_project(store, with_time=False)
    with pytest.raises(deploy.DeployError, match=r"\(file order\)"):
        deploy.run_simulation(store, p.project_id, dataset_id=p.stream_id, incumbent="human",
                              candidate=p.champion_id, settings=replace(FILE, order="time"),
                              actor=ACTOR)


def test_file_order_replays_rows_as_stored_in_windows_of_n_requests(store):
    """Labels turn against the model from row 2000: in file order with windows of 250
    requests the canary (50% → 100%) is promoted after window 0 and rolled back at the end
    of window 8, the first window of flipped labels."""
    p = build_project(store, with_time=False, n_stream=3000, flip_from=2000)
    (sid,) = deploy.run_simulation(store, p.project_id, dataset_id=p.stream_id,
                                   incumbent="human", candidate=p.champion_id, settings=FILE,
                                   actor=ACTOR)
    sim = deploy.load_simulation(store, sid)
    summ, tl = sim.summary, sim.timeline
    assert sim.settings.file_order and summ["order"] == "file"
    assert tl["n_requests"].tolist() == [250] * 12
    assert summ["requests_to_full_rollout"] == 250
    assert summ["decision"] == deploy.NO_GO and summ["rollbacks"] == 1
    assert summ["requests_to_detect"] == 250 and summ["time_to_detect_hours"] is None
    rb = sim.events[sim.events["kind"] == "rollback"].iloc[0]
    assert int(rb["window_idx"]) == 8 and deploy.request_number(rb["at"]) == 2251
    assert any(r.startswith("Replayed in file order") for r in summ["reasons"])
    assert "request #2,251" in summ["reasons"][0]
    # what the page reads: request numbers, not the replay clock
    shown = deploy.timeline_frame(sim)
    assert "window_start" not in shown and shown["first request"].tolist()[:2] == [1, 251]
    assert shown["last request"].iloc[-1] == 3000
    assert deploy.events_frame(sim)["at request"].tolist()[-1] == 2251
    labels = {m.label: m.value for m in deploy.summary_metrics(summ, sim.settings)}
    assert labels["Requests to detect"] == "250" and labels["Requests to full rollout"] == "250"
    assert "request #2,001" in deploy.rollback_story(summ, sim.settings)


def test_file_order_follows_the_stored_row_order(store):
    """A stream stored out of its natural order is replayed as stored, not sorted."""
    p = build_project(store, with_time=False, n_stream=1000)
    frame = datasets_db.dataset_frame(store, p.stream_id).iloc[::-1].reset_index(drop=True)
    rid = datasets_db.insert_dataset(store, p.project_id, "reversed", frame, source="test",
                                     role="production", actor=ACTOR)
    s = replace(FILE, pattern="shadow", window_requests=100)
    (sid,) = deploy.run_simulation(store, p.project_id, dataset_id=rid, incumbent="human",
                                   candidate=p.champion_id, settings=s, actor=ACTOR)
    tl = deploy.load_simulation(store, sid).timeline
    y = frame[TARGET].to_numpy()
    assert tl["n_labeled"].tolist() == [100] * 10
    human = frame["ops_verdict"].to_numpy()
    # the incumbent's wrong answers per window follow the stored order exactly
    expected = [int((human[k:k + 100] != y[k:k + 100]).sum()) for k in range(0, 1000, 100)]
    assert tl["wrong_inc"].tolist() == expected


def test_file_order_refuses_dates_and_a_label_delay():
    errors = deploy.validate_settings(replace(FILE, label_delay_days=2.0,
                                              start=pd.Timestamp("2031-01-01").to_pydatetime()))
    assert any("leave the start" in e for e in errors)
    assert any("label delay in days needs a time column" in e for e in errors)
    assert "number of requests" in deploy.validate_settings(replace(FILE, window_requests=0))[0]
    assert deploy.request_number(FILE_ORIGIN) == 1


# ------------------------------------------------------------------ headline numbers
DEMO_LIKE = {  # a canary rolled back after a degradation, in 7-day windows
    "pattern": "canary", "window": "7D", "start": "2031-01-01 00:00:00",
    "end": "2031-03-01 00:00:00", "requests": 900, "served_by_candidate": 120,
    "errors_exposed": 30, "excess_wrong": 12, "rollbacks": 1, "final_share": 0.0,
    "rollback_share": 50.0, "time_to_full_rollout_days": None, "time_to_detect_hours": 336.0,
    "onset": "2031-02-01 00:00:00", "rolled_back_at": "2031-02-15 00:00:30",
    "time_to_rollback_hours": 0.0083, "bad_side_requests": 60, "bad_side_wrong": 20,
}


def test_every_headline_number_says_what_it_measures_and_from_when_to_when():
    metrics = {m.label: m for m in deploy.summary_metrics(DEMO_LIKE, RolloutSettings())}
    assert list(metrics) == ["Served by candidate", "Errors exposed", "Extra wrong vs incumbent",
                             "Rollbacks", "Days to full rollout", "Hours to detect"]
    for m in metrics.values():
        assert len(m.help) > 60, m.label
    span = "from the start of the replay (2031-01-01 00:00:00) to its end (2031-03-01 00:00:00)"
    assert span in metrics["Served by candidate"].help
    detect = metrics["Hours to detect"]
    assert detect.value == "336" and detect.reason is None
    assert "onset is the start of the first window of the unbroken run" in detect.help
    assert "end of the window whose confidence bound crossed" in detect.help
    assert "(7D here)" in detect.help
    full = metrics["Days to full rollout"]
    assert full.value == "—" and "rolled back at 50% of traffic" in full.reason
    assert "**Here:** it was rolled back" in full.full_help


def test_numbers_that_do_not_apply_read_a_dash_with_the_reason():
    canary_ok = {**DEMO_LIKE, "rollbacks": 0, "time_to_detect_hours": None,
                 "time_to_full_rollout_days": 6.0, "errors_exposed": None, "excess_wrong": None}
    m = {x.label: x for x in deploy.summary_metrics(canary_ok, RolloutSettings())}
    assert m["Hours to detect"].value == "—" and "no rollback" in m["Hours to detect"].reason
    assert m["Days to full rollout"].value == "6" and m["Days to full rollout"].reason is None
    assert m["Errors exposed"].value == "not known"
    assert "none of the 120 requests the candidate served has a label" in m["Errors exposed"].reason
    shadow = {x.label: x for x in deploy.summary_metrics(
        {"pattern": "shadow", "served_by_candidate": 0, "errors_exposed": 0, "rollbacks": 0},
        RolloutSettings(pattern="shadow"))}
    assert {k: v.value for k, v in shadow.items() if v.value == "—"} == {
        "Rollbacks": "—", "Days to full rollout": "—", "Hours to detect": "—"}
    assert all(v.reason for v in shadow.values() if v.value == "—")


# ------------------------------------------------------------------ figures
def _legend_names(fig) -> list[str]:
    spec = json.loads(fig.to_json())
    assert spec["layout"]["showlegend"] is True
    return [t["name"] for t in spec["data"] if t.get("showlegend", True)]


def test_the_timeline_has_a_legend_naming_each_series_once_and_labelled_axes(store):
    p = build_project(store, with_time=False, n_stream=3000, flip_from=2000)
    (sid,) = deploy.run_simulation(store, p.project_id, dataset_id=p.stream_id,
                                   incumbent="human", candidate=p.champion_id,
                                   settings=replace(FILE, guardrails=(
                                       deploy.Guardrail("accuracy", 0.7),
                                       deploy.Guardrail("p95_latency_ms", 500.0))),
                                   actor=ACTOR)
    sim = deploy.load_simulation(store, sid)
    fig = timeline_figure(sim.timeline, sim.checks, sim.events, "t",
                          candidate="v1 champion", incumbent="Human process",
                          file_order=True)
    names = _legend_names(fig)
    assert len(names) == len(set(names)), "each series once in the legend"
    assert set(names) == {
        "planned share (%)", "share actually served (%)", "candidate (v1 champion)",
        "incumbent (Human process)", "guardrail threshold",
        "breach (confidence bound past the threshold)", "event: start", "event: promote",
        "event: rollback",
    }
    spec = json.loads(fig.to_json())["layout"]
    assert spec["title"]["text"] == "t"
    assert [spec[f"yaxis{i or ''}"]["title"]["text"] for i in (0, 2, 3)] == [
        "share of traffic (%)", "Accuracy", "p95 latency (ms)"]
    assert spec["xaxis3"]["title"]["text"].startswith("Request number (file order")
    # x in request numbers: the first window starts at request 1
    assert list(fig.data[0].x[:2]) == [1, 251]


def test_the_comparison_has_a_legend_and_labelled_axes():
    comp = pd.DataFrame({"name": ["#1 a", "#2 b"], "errors exposed": [3, None],
                         "extra wrong vs incumbent": [1, None], "bad-side requests": [5, 0]})
    fig = comparison_figure(comp)
    assert _legend_names(fig) == [
        "errors exposed (wrong or failed answers served)", "extra wrong vs the incumbent",
        "served by the bad side (onset to rollback)"]
    layout = json.loads(fig.to_json())["layout"]
    assert layout["xaxis"]["title"]["text"] == "rehearsal"
    assert layout["yaxis"]["title"]["text"] == "requests" and layout["title"]["text"]
    assert comparison_figure(pd.DataFrame()).layout.showlegend is True  # nothing stored yet
