"""Plotly figures of a monitoring run, built from stored results (no streamlit here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

SEVERITY_COLORS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#7f7f7f"}


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height,
                      margin=dict(l=10, r=10, t=50, b=10), legend_title_text="")
    return fig


def drift_heatmap(results: pd.DataFrame) -> go.Figure:
    """Columns x windows; colour = drift statistic / its threshold (>= 1 means drifted)."""
    d = results[results["kind"] == "drift"].copy()
    d["ratio"] = d["value"] / d["threshold"].replace(0, np.nan)
    # p-value methods drift when the value is BELOW the threshold: show the inverse ratio
    pval = d["note"].fillna("").str.startswith(("ks", "chisquare"))
    d.loc[pval, "ratio"] = d.loc[pval, "threshold"] / d.loc[pval, "value"].clip(lower=1e-12)
    d["ratio"] = d["ratio"].clip(upper=5)
    z = d.pivot_table(index="column_name", columns="window_start", values="ratio", aggfunc="first")
    text = d.pivot_table(index="column_name", columns="window_start", values="value",
                         aggfunc="first").reindex_like(z)
    method = d.drop_duplicates("column_name").set_index("column_name")["note"].reindex(z.index)
    order = z.mean(axis=1).sort_values().index
    z, text = z.loc[order], text.loc[order]
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=[pd.Timestamp(c).strftime("%Y-%m-%d") for c in z.columns],
        y=[f"{c} ({str(method[c]).split(';')[0]})" for c in z.index],
        text=np.round(text.to_numpy(), 3), colorscale=[[0, "#f7fbff"], [0.199, "#9ecae1"],
                                                         [0.2, "#fdae6b"], [1, "#a63603"]],
        zmin=0, zmax=5, colorbar=dict(title="statistic /<br>threshold"),
        hovertemplate="window %{x}<br>%{y}<br>statistic %{text}<br>ratio %{z:.2f}<extra></extra>",
    ))
    return _layout(fig, "Data drift per feature and window (orange: drifted)", "window starting",
                   "feature (method)", height=max(320, 28 * len(z) + 120))


def distribution_figure(ref: pd.DataFrame, cur: pd.DataFrame, column: str, kind: str) -> go.Figure:
    """Reference vs current distribution of one column (shares per bin or category)."""
    fig = go.Figure()
    for frame, name, color in ((ref, "reference (training)", "#1f77b4"),
                               (cur, "current window", "#ff7f0e")):
        fig.add_bar(x=frame["bin"], y=frame["share"], name=name, marker_color=color, opacity=0.75)
    fig.update_layout(barmode="group")
    return _layout(fig, f"{column}: reference vs current", column if kind == "numeric" else
                   "category", "share of rows")


def performance_figure(results: pd.DataFrame, metric: str, floor: float | None,
                       detections: pd.DataFrame, concept_date: Any = None) -> go.Figure:
    """Realized (labels arrived) and estimated (CBPE) metric per window, floor, detections."""
    p = results[results["kind"] == "performance"]
    fig = go.Figure()
    low = p[p["metric"] == f"estimated_{metric}_low"].sort_values("window_start")
    high = p[p["metric"] == f"estimated_{metric}_high"].sort_values("window_start")
    if len(low) and len(high):
        fig.add_scatter(x=high["window_start"], y=high["value"], mode="lines",
                        line=dict(width=0), showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=low["window_start"], y=low["value"], mode="lines", line=dict(width=0),
                        fill="tonexty", fillcolor="rgba(255,127,14,0.18)",
                        name="95% band of the estimate")
    for prefix, name, dash in (("realized", "realized (labels arrived)", "solid"),
                               ("estimated", "estimated without labels (CBPE)", "dot")):
        s = p[p["metric"] == f"{prefix}_{metric}"].sort_values("window_start")
        if len(s):
            fig.add_scatter(x=s["window_start"], y=s["value"], mode="lines+markers", name=name,
                            line=dict(dash=dash))
    if floor is not None:
        fig.add_hline(y=floor, line_dash="dash", line_color="#d62728",
                      annotation_text=f"floor {floor:.2f} (scoping contract)")
    for _, d in detections.iterrows():
        fig.add_vline(x=pd.Timestamp(d["when"]).timestamp() * 1000, line_color="#9467bd",
                      line_dash="dot", opacity=0.6)
    if len(detections):
        fig.add_scatter(x=pd.to_datetime(detections["when"]), y=[floor or 0.5] * len(detections),
                        mode="markers", marker=dict(symbol="x", size=10, color="#9467bd"),
                        name="error-stream detection", text=detections["detector"],
                        hovertemplate="%{text} at %{x}<extra></extra>")
    return _layout(fig, f"Model {metric} over time", "window starting", metric)


def software_figure(results: pd.DataFrame, budget: float | None) -> go.Figure:
    s = results[results["kind"] == "software"]
    fig = go.Figure()
    for m, name in (("latency_p50_ms", "p50"), ("latency_p95_ms", "p95"), ("latency_p99_ms", "p99")):
        x = s[s["metric"] == m].sort_values("window_start")
        if len(x):
            fig.add_scatter(x=x["window_start"], y=x["value"], mode="lines+markers", name=name)
    if budget:
        fig.add_hline(y=budget, line_dash="dash", line_color="#d62728",
                      annotation_text=f"p95 budget {budget:.0f} ms")
    return _layout(fig, "Serving latency per window", "window starting", "latency (ms)")


def availability_figure(results: pd.DataFrame, minimum: float | None) -> go.Figure:
    s = results[results["kind"] == "software"]
    fig = go.Figure()
    a = s[s["metric"] == "availability"].sort_values("window_start")
    fig.add_scatter(x=a["window_start"], y=a["value"] * 100, mode="lines+markers",
                    name="availability")
    if minimum:
        fig.add_hline(y=minimum * 100, line_dash="dash", line_color="#d62728",
                      annotation_text=f"minimum {minimum:.1%}")
    return _layout(fig, "Availability (share of successful requests)", "window starting",
                   "availability (%)")


def output_figure(results: pd.DataFrame, positive: str | None = None) -> go.Figure:
    """Per window: the share sent to the human fallback, the share predicted positive
    (``positive`` names the class, e.g. ``"churn = yes"``) and the score PSI."""
    o = results[results["kind"] == "output"]
    fig = go.Figure()
    for m, name in (("fallback_share", "sent to human fallback"),
                    ("positive_share", f"predicted {positive}" if positive else
                     "predicted positive"),
                    ("score_psi", "score PSI vs reference")):
        x = o[o["metric"] == m].sort_values("window_start")
        if len(x):
            fig.add_scatter(x=x["window_start"], y=x["value"], mode="lines+markers", name=name)
    return _layout(fig, "Model outputs per window", "window starting", "share / PSI")


def multivariate_figure(results: pd.DataFrame) -> go.Figure:
    m = results[results["kind"] == "multivariate"].sort_values("window_start")
    fig = go.Figure(go.Bar(x=m["window_start"], y=m["value"], name="domain classifier AUC",
                           marker_color=np.where(m["flagged"].fillna(False), "#d62728", "#1f77b4")))
    if len(m) and m["threshold"].notna().any():
        fig.add_hline(y=float(m["threshold"].dropna().iloc[0]), line_dash="dash",
                      annotation_text="drift threshold")
    fig.update_yaxes(range=[0.4, 1.0])
    return _layout(fig, "Multivariate drift: can a classifier tell production from training?",
                   "period starting", "cross-validated ROC AUC (0.5 = no drift)")


def policy_figure(counts: dict[str, int]) -> go.Figure:
    names = list(counts)
    fig = go.Figure(go.Bar(x=[counts[n] for n in names], y=names, orientation="h",
                           marker_color=["#7f7f7f" if "naive" in n else "#1f77b4" for n in names]))
    return _layout(fig, "Alerts each policy raises on this stream (grey: naive, not alerted)",
                   "alerts", "policy", height=320)
