"""Monitoring figures: labels that fit (feature names, dates), and one window or windows
that are not dates on a category axis (never a sub-millisecond time axis)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.charts import monitoring as charts
from core.monitoring.windows import finish_windows

COLS = ["kind", "window_start", "column_name", "metric", "value", "threshold", "flagged", "note"]
LONG = "intake_manifold_pressure_kpa"


def _drift(keys: list, order: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for i, k in enumerate(keys):
        for j, col in enumerate([LONG, "gauge_b", "valve_state"]):
            rows.append(("drift", k, col, "drift", 0.05 * (i + j), 0.1, 0.05 * (i + j) >= 0.1,
                         "wasserstein"))
    return finish_windows(pd.DataFrame(rows, columns=COLS), order)


def _json(fig) -> dict:
    return fig.to_plotly_json()


def test_heatmap_has_room_for_feature_names_and_dates():
    # Before: margin l=10, b=10 clipped the feature names and the dates.
    weeks = list(pd.date_range("2025-03-03", periods=5, freq="7D"))
    fig = _json(charts.drift_heatmap(_drift(weeks)))
    layout = fig["layout"]
    assert layout["xaxis"]["automargin"] is True and layout["yaxis"]["automargin"] is True
    assert layout["margin"]["l"] >= 7 * len(f"{LONG} (wasserstein)")
    assert layout["margin"]["b"] >= 60
    assert layout["xaxis"]["type"] == "category"
    assert list(fig["data"][0]["x"]) == [f"{w:%Y-%m-%d}" for w in weeks]
    assert f"{LONG} (wasserstein)" in list(fig["data"][0]["y"])
    assert layout["xaxis"]["title"]["text"] == "window starting"
    assert layout["yaxis"]["title"]["text"] == "feature (method)"


def test_heatmap_of_row_windows_keeps_their_order():
    labels = ["rows 1–500", "rows 501–1,000", "rows 1,001–1,500"]
    fig = _json(charts.drift_heatmap(_drift(labels, labels)))
    assert list(fig["data"][0]["x"]) == labels
    assert fig["layout"]["xaxis"]["title"]["text"] == "window"


def test_a_single_period_bar_gets_a_category_axis():
    # Before: one domain-classifier month on a time axis spanning a fraction of a millisecond.
    r = finish_windows(pd.DataFrame([("multivariate", pd.Timestamp("2025-03-01"), None,
                                      "domain_auc", 0.71, 0.55, True, "")], columns=COLS), None)
    fig = _json(charts.multivariate_figure(r))
    assert fig["layout"]["xaxis"]["type"] == "category"
    assert list(fig["data"][0]["x"]) == ["2025-03-01"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "period"
    assert fig["layout"]["yaxis"]["title"]["text"].startswith("cross-validated ROC AUC")


def test_one_window_or_row_windows_are_categories_and_periods_are_dates():
    def perf(keys, order):
        rows = [("performance", k, None, "realized_recall", 0.6 + 0.01 * i, 0.5, False, "")
                for i, k in enumerate(keys)]
        rows += [("output", k, None, "score_psi", 0.1, 0.2, False, "") for k in keys]
        return finish_windows(pd.DataFrame(rows, columns=COLS), order)

    det = pd.DataFrame({"detector": ["DDM"], "when": ["row 812"], "window": ["rows 501–1,000"]})
    labels = ["rows 1–500", "rows 501–1,000"]
    fig = _json(charts.performance_figure(perf(labels, labels), "recall", 0.5, det))
    assert fig["layout"]["xaxis"]["type"] == "category"
    assert list(fig["layout"]["xaxis"]["categoryarray"]) == labels
    assert fig["layout"]["xaxis"]["title"]["text"] == "window"
    assert list(fig["data"][-1]["x"]) == ["rows 501–1,000"]  # the detection sits in its window
    one = _json(charts.output_figure(perf([pd.Timestamp("2025-03-03")], None)))
    assert one["layout"]["xaxis"]["type"] == "category"
    assert list(one["data"][0]["x"]) == ["2025-03-03"]
    weeks = list(pd.date_range("2025-03-03", periods=3, freq="7D"))
    many = _json(charts.output_figure(perf(weeks, None)))
    assert many["layout"]["xaxis"]["type"] == "date"
    assert many["layout"]["xaxis"]["title"]["text"] == "window starting"
    assert many["data"][0]["name"] == "score PSI vs reference"


def test_every_figure_has_a_title_and_labelled_axes():
    labels = ["all"]
    r = pd.concat([_drift(labels, labels), finish_windows(pd.DataFrame(
        [("software", "all", None, m, v, None, None, "") for m, v in
         (("latency_p95_ms", 120.0), ("availability", 0.999))], columns=COLS), labels)])
    figs = [charts.drift_heatmap(r), charts.software_figure(r, 200.0),
            charts.availability_figure(r, 0.99), charts.output_figure(r),
            charts.policy_figure({"dataset drift": 1, "output drift": 0})]
    for f in figs:
        j = _json(f)
        assert j["layout"]["title"]["text"]
        assert j["layout"]["xaxis"]["title"]["text"] and j["layout"]["yaxis"]["title"]["text"]
        assert j["layout"]["xaxis"]["automargin"] is True
    assert np.isclose(figs[2].data[0].y[0], 99.9)
