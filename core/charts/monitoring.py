"""Plotly figures of a monitoring run, built from stored results (no streamlit here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

SEVERITY_COLORS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#7f7f7f"}


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    # automargin: plotly grows the margins to fit tick labels (feature names, dates)
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height,
                      margin=dict(l=10, r=10, t=50, b=10), legend_title_text="")
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _windows(results: pd.DataFrame) -> pd.DataFrame:
    """The results with a window label and index (frames built before they existed, e.g.
    in tests, have only ``window_start``)."""
    if "window_label" in results and "window_index" in results:
        return results
    from core.monitoring.windows import with_window_columns

    return with_window_columns(results)


def time_axis(results: pd.DataFrame) -> bool:
    """Whether the windows go on a time axis: periods of a time column, more than one.

    One window (or windows that are blocks of rows or batches) goes on a category axis
    labelled by the window, never on a time axis a plotting library would stretch to a
    fraction of a millisecond around a single point.
    """
    r = _windows(results)
    r = r[r["window_index"].notna()] if "window_index" in r else r
    starts = r["window_start"]
    return bool(len(r) and starts.notna().all() and starts.nunique() > 1)


def _x(frame: pd.DataFrame, on_time: bool) -> pd.Series:
    return frame["window_start"] if on_time else frame["window_label"]


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in window order: by window index, periods by their start."""
    keys = [k for k in ("window_index", "window_start") if k in frame]
    return frame.sort_values(keys, na_position="last") if keys else frame


def _window_axis(fig: go.Figure, results: pd.DataFrame, on_time: bool) -> None:
    """A date axis for periods, else a category axis in window order."""
    if on_time:
        fig.update_xaxes(type="date")
        return
    from core.monitoring.windows import ordered_labels

    labels = ordered_labels(_windows(results))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)


def _x_title(on_time: bool) -> str:
    return "window starting" if on_time else "window"


def drift_heatmap(results: pd.DataFrame) -> go.Figure:
    """Columns x windows; colour = drift statistic / its threshold (>= 1 means drifted).

    The windows are a category axis labelled by date (or by window); feature names and
    window labels get the margin they need.
    """
    d = _windows(results)
    d = d[(d["kind"] == "drift") & d["window_label"].notna()].copy()
    d["ratio"] = d["value"] / d["threshold"].replace(0, np.nan)
    # p-value methods drift when the value is BELOW the threshold: show the inverse ratio
    pval = d["note"].fillna("").str.startswith(("ks", "chisquare"))
    d.loc[pval, "ratio"] = d.loc[pval, "threshold"] / d.loc[pval, "value"].clip(lower=1e-12)
    d["ratio"] = d["ratio"].clip(upper=5)
    from core.monitoring.windows import ordered_labels

    windows = ordered_labels(d)
    z = d.pivot_table(index="column_name", columns="window_label", values="ratio",
                      aggfunc="first", dropna=False).reindex(columns=windows)
    text = d.pivot_table(index="column_name", columns="window_label", values="value",
                         aggfunc="first", dropna=False).reindex_like(z)
    method = d.drop_duplicates("column_name").set_index("column_name")["note"].reindex(z.index)
    order = z.mean(axis=1).sort_values().index
    z, text = z.loc[order], text.loc[order]
    names = [f"{c} ({str(method[c]).split(';')[0]})" for c in z.index]
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=[str(c) for c in z.columns], y=names,
        text=np.round(text.to_numpy(dtype=float), 3),
        colorscale=[[0, "#f7fbff"], [0.199, "#9ecae1"], [0.2, "#fdae6b"], [1, "#a63603"]],
        zmin=0, zmax=5, colorbar=dict(title="statistic /<br>threshold"),
        hovertemplate="window %{x}<br>%{y}<br>statistic %{text}<br>ratio %{z:.2f}<extra></extra>",
    ))
    on_time = time_axis(results)
    fig = _layout(fig, "Data drift per feature and window (orange: drifted)", _x_title(on_time),
                  "feature (method)", height=max(320, 28 * len(z) + 160))
    # the labels are text: a category axis keeps every window and never parses them as dates
    fig.update_xaxes(type="category", tickangle=-45 if len(windows) > 6 else 0)
    fig.update_yaxes(type="category")
    widest = max((len(n) for n in names), default=10)
    fig.update_layout(margin=dict(l=min(40 + 7 * widest, 420), r=10, t=50, b=90))
    return fig


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
    """Realized (labels arrived) and estimated (CBPE) metric per window, floor, detections.

    ``detections`` has ``detector``, ``when`` (a timestamp, or a row number without time
    windows) and optionally ``window`` (the window's label, where a category axis puts it).
    """
    r = _windows(results)
    on_time = time_axis(r)
    p = r[r["kind"] == "performance"]
    fig = go.Figure()
    low = _order(p[p["metric"] == f"estimated_{metric}_low"])
    high = _order(p[p["metric"] == f"estimated_{metric}_high"])
    if len(low) and len(high):
        fig.add_scatter(x=_x(high, on_time), y=high["value"], mode="lines",
                        line=dict(width=0), showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=_x(low, on_time), y=low["value"], mode="lines", line=dict(width=0),
                        fill="tonexty", fillcolor="rgba(255,127,14,0.18)",
                        name="95% band of the estimate")
    for prefix, name, dash in (("realized", "realized (labels arrived)", "solid"),
                               ("estimated", "estimated without labels (CBPE)", "dot")):
        series = _order(p[p["metric"] == f"{prefix}_{metric}"])
        if len(series):
            fig.add_scatter(x=_x(series, on_time), y=series["value"], mode="lines+markers",
                            name=name, line=dict(dash=dash))
    if floor is not None:
        fig.add_hline(y=floor, line_dash="dash", line_color="#d62728",
                      annotation_text=f"target {floor:.2f} (scoping contract)")
    if len(detections) and on_time:
        for _, d in detections.iterrows():
            fig.add_vline(x=pd.Timestamp(d["when"]).timestamp() * 1000, line_color="#9467bd",
                          line_dash="dot", opacity=0.6)
        xs = pd.to_datetime(detections["when"])
    else:
        xs = detections["window"] if "window" in detections else detections.get("when", [])
    if len(detections):
        fig.add_scatter(x=xs, y=[floor or 0.5] * len(detections),
                        mode="markers", marker=dict(symbol="x", size=10, color="#9467bd"),
                        name="error-stream detection",
                        text=detections["detector"] + " at " + detections["when"].astype(str),
                        hovertemplate="%{text}<extra></extra>")
    _window_axis(fig, r, on_time)
    return _layout(fig, f"Model {metric} per window", _x_title(on_time), metric)


def _series_figure(results: pd.DataFrame, kind: str, series: tuple[tuple[str, str], ...],
                   scale: float = 1.0) -> tuple[go.Figure, bool]:
    """One line per metric of ``kind`` over the windows (time axis or categories)."""
    r = _windows(results)
    on_time = time_axis(r)
    k = r[r["kind"] == kind]
    fig = go.Figure()
    for m, name in series:
        x = _order(k[k["metric"] == m])
        if len(x):
            fig.add_scatter(x=_x(x, on_time), y=x["value"] * scale, mode="lines+markers",
                            name=name)
    _window_axis(fig, r, on_time)
    return fig, on_time


def software_figure(results: pd.DataFrame, budget: float | None) -> go.Figure:
    fig, on_time = _series_figure(results, "software", (
        ("latency_p50_ms", "p50"), ("latency_p95_ms", "p95"), ("latency_p99_ms", "p99")))
    if budget:
        fig.add_hline(y=budget, line_dash="dash", line_color="#d62728",
                      annotation_text=f"p95 budget {budget:.0f} ms")
    return _layout(fig, "Serving latency per window", _x_title(on_time), "latency (ms)")


def availability_figure(results: pd.DataFrame, minimum: float | None) -> go.Figure:
    fig, on_time = _series_figure(results, "software", (("availability", "availability"),),
                                  scale=100)
    if minimum:
        fig.add_hline(y=minimum * 100, line_dash="dash", line_color="#d62728",
                      annotation_text=f"minimum {minimum:.1%}")
    return _layout(fig, "Availability (share of successful requests)", _x_title(on_time),
                   "availability (%)")


def output_figure(results: pd.DataFrame, positive: str | None = None) -> go.Figure:
    """Per window: the share sent to the human fallback, the share predicted positive
    (``positive`` names the class, e.g. ``"churn = yes"``) and the score PSI (for a
    regressor: the PSI of its predictions)."""
    fig, on_time = _series_figure(results, "output", (
        ("fallback_share", "sent to human fallback"),
        ("positive_share", f"predicted {positive}" if positive else "predicted positive"),
        ("score_psi", "score PSI vs reference")))
    return _layout(fig, "Model outputs per window", _x_title(on_time), "share / PSI")


def multivariate_figure(results: pd.DataFrame) -> go.Figure:
    """Domain-classifier AUC per period: months of a time column, else the run's windows
    (grouped when many); one period, or periods that are not dates, on a category axis."""
    r = _windows(results)
    m = r[r["kind"] == "multivariate"].sort_values(["window_start", "window_index"],
                                                   na_position="last")
    on_time = bool(len(m) and m["window_start"].notna().all() and m["window_start"].nunique() > 1)
    x = m["window_start"] if on_time else m["window_label"].astype(str)
    fig = go.Figure(go.Bar(x=x, y=m["value"], name="domain classifier AUC",
                           marker_color=np.where(m["flagged"].fillna(False).astype(bool),
                                                 "#d62728", "#1f77b4")))
    if len(m) and m["threshold"].notna().any():
        fig.add_hline(y=float(m["threshold"].dropna().iloc[0]), line_dash="dash",
                      annotation_text="drift threshold")
    fig.update_yaxes(range=[0.4, 1.0])
    fig.update_xaxes(type="date" if on_time else "category")
    return _layout(fig, "Multivariate drift: can a classifier tell production from training?",
                   "period starting" if on_time else "period",
                   "cross-validated ROC AUC (0.5 = no drift)")


def policy_figure(counts: dict[str, int]) -> go.Figure:
    names = list(counts)
    fig = go.Figure(go.Bar(x=[counts[n] for n in names], y=names, orientation="h",
                           marker_color=["#7f7f7f" if "naive" in n else "#1f77b4" for n in names]))
    return _layout(fig, "Alerts each policy raises on this stream (grey: naive, not alerted)",
                   "alerts", "policy", height=320)
