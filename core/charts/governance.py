"""Plotly figures of the stakeholder report and the guided tour, built from the frames of
``core.governance.facts`` (never from the database)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core.analysis import group_name
from core.training import metrics as M

_BLUE, _RED, _GREEN, _ORANGE, _GREY = "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#7f7f7f"
_MARGIN = {"l": 10, "r": 10, "t": 60, "b": 40}
# metrics on a 0..1 scale a non-specialist can compare on one axis
SHARE_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
_REFERENCES = (("dummy baseline", "always the most common answer", _GREY, "line-ew"),
               ("baseline: hlp", "people (human-level)", _GREEN, "diamond"),
               ("baseline: existing", "the current process", _ORANGE, "square"),
               ("target", "target in the brief", _RED, "line-ew-open"))


def _num(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def metrics_figure(metrics: pd.DataFrame) -> go.Figure:
    """The model's test metrics as bars with their 95% intervals, beside the dummy
    baseline, people, the current process and the brief's targets (markers)."""
    m = metrics[metrics["metric"].isin(SHARE_METRICS)]
    labels = [M.label(x) for x in m["metric"]]
    fig = go.Figure()
    has_ci = "low" in m and m["low"].notna().any()
    err = dict(type="data", symmetric=False, array=(m["high"] - m["this run"]).tolist(),
               arrayminus=(m["this run"] - m["low"]).tolist()) if has_ci else None
    fig.add_bar(x=labels, y=m["this run"], name="the model (95% interval)", marker_color=_BLUE,
                error_y=err)
    for col, name, color, symbol in _REFERENCES:
        if col in m and m[col].notna().any():
            fig.add_scatter(x=labels, y=[_num(v) for v in m[col]], mode="markers", name=name,
                            marker=dict(color=color, size=14, symbol=symbol,
                                        line=dict(width=3, color=color)))
    fig.update_layout(title="How good the model is on cases it never saw (test part)",
                      xaxis_title="measure", yaxis_title="value (1 = perfect)",
                      yaxis_range=[0, 1.05], margin=_MARGIN, height=400,
                      legend=dict(orientation="h", y=-0.2))
    return fig


def slices_figure(slices: pd.DataFrame, metric: str, overall: float | None) -> go.Figure:
    """The weakest groups of cases: the metric per slice, the overall value and people's
    level in the same slice where annotators labelled it."""
    f = slices.iloc[::-1]
    names = [group_name(c, v) for c, v in zip(f["column"], f["value"], strict=True)]
    label = M.label(metric)
    fig = go.Figure()
    fig.add_bar(y=names, x=f[metric], orientation="h", name=f"model {label} in the group",
                marker_color=_BLUE)
    if "hlp" in f and f["hlp"].notna().any():
        fig.add_scatter(y=names, x=f["hlp"], mode="markers", name="people in the group",
                        marker=dict(color=_GREEN, size=12, symbol="diamond"))
    if overall is not None:
        fig.add_scatter(y=[names[0], names[-1]], x=[overall, overall], mode="lines",
                        name=f"overall {label} {overall:.2f}",
                        line=dict(color=_RED, dash="dash"))
    fig.update_layout(title=f"Where the model is weakest ({label} per group of cases)",
                      xaxis_title=label, yaxis_title="group of cases", margin=_MARGIN,
                      height=120 + 34 * len(f), legend=dict(orientation="h", y=-0.25))
    return fig


def rehearsals_figure(rehearsals: pd.DataFrame) -> go.Figure:
    """Wrong decisions each rehearsal served (and those beyond the current process's)."""
    fig = go.Figure()
    names = rehearsals["name"] + " (" + rehearsals["decision"] + ")"
    fig.add_bar(x=names, y=rehearsals["errors exposed"], name="wrong decisions served",
                marker_color=_RED)
    if "extra wrong" in rehearsals:
        fig.add_bar(x=names, y=rehearsals["extra wrong"],
                    name="beyond what the current process got wrong", marker_color=_ORANGE)
    fig.update_layout(title="Rollout rehearsals: wrong decisions the model served",
                      xaxis_title="rehearsal (verdict)", yaxis_title="requests",
                      barmode="group", margin=_MARGIN, height=380,
                      legend=dict(orientation="h", y=-0.3))
    return fig
