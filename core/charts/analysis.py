"""Plotly figures of the Error analysis page, built from core.analysis results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.analysis import Discovery, SliceTable
from core.training import metrics as M

_BLUE, _RED, _GREEN, _GREY = "#1f77b4", "#d62728", "#2ca02c", "#7f7f7f"
_MARGIN = {"l": 10, "r": 10, "t": 60, "b": 40}


def _mlabel(metric: str) -> str:
    return "Error rate" if metric == "error_rate" else M.label(metric)


def priority_chart(table: SliceTable, top: int = 15) -> go.Figure:
    """Bars of the slices where work pays most: priority = gap to HLP x share of data."""
    f = table.frame.head(top).iloc[::-1]
    names = f["column"] + " = " + f["value"]
    basis = "gap to HLP" if table.hlp_metric else "gap to the overall metric"
    fig = go.Figure(
        go.Bar(
            x=f["priority"],
            y=names,
            orientation="h",
            marker_color=_BLUE,
            customdata=list(zip(f["size"], f["share"], f["metric"], strict=True)),
            hovertemplate=(
                "%{y}<br>priority %{x:.4f}<br>rows %{customdata[0]:,}"
                " (%{customdata[1]:.1%})<br>"
                + _mlabel(table.metric)
                + " %{customdata[2]:.3f}<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        title=f"Where work pays most: {basis} × share of data",
        xaxis_title=f"Priority ({basis} × share of rows)",
        yaxis_title="Slice",
        height=max(300, 28 * len(f) + 120),
        margin=_MARGIN,
    )
    return fig


def column_chart(table: SliceTable, column: str) -> go.Figure:
    """The metric per value of one column, against the overall metric and the HLP."""
    f = table.frame[table.frame["column"] == column]
    if column != "tag":
        f = f.sort_values("value", key=lambda s: s.map(str))
    fig = go.Figure(
        go.Bar(
            x=f["value"],
            y=f["metric"],
            marker_color=_BLUE,
            text=[f"{n:,}" for n in f["size"]],
            textposition="outside",
            hovertemplate="%{x}: %{y:.3f} (%{text} rows)<extra></extra>",
            name=_mlabel(table.metric),
        )
    )
    fig.add_hline(
        y=table.overall,
        line_dash="dash",
        line_color=_GREY,
        annotation_text=f"overall {table.overall:.3f}",
    )
    if table.hlp_value is not None and table.hlp_metric == table.metric:
        fig.add_hline(
            y=table.hlp_value,
            line_dash="dot",
            line_color=_GREEN,
            annotation_text=f"HLP {table.hlp_value:.3f}",
        )
    fig.update_layout(
        title=f"{_mlabel(table.metric)} by {column} (bar labels: rows)",
        xaxis_title=column,
        yaxis_title=_mlabel(table.metric),
        margin=_MARGIN,
    )
    return fig


def discovery_chart(found: Discovery, mean_error: float | None = None) -> go.Figure:
    """Each discovered slice: its size against its error rate; bubble area = score."""
    f = found.slices
    fig = go.Figure(
        go.Scatter(
            x=f["size"],
            y=f["error_rate"],
            mode="markers+text",
            text=[f"#{r}" for r in f["rank"]],
            textposition="top center",
            marker={
                "size": 12 + 30 * f["score"] / max(float(f["score"].max() or 1), 1e-9),
                "color": _RED,
                "opacity": 0.6,
            },
            customdata=f["label"],
            hovertemplate="%{customdata}<br>rows %{x:,}<br>error rate %{y:.3f}<extra></extra>",
        )
    )
    if mean_error is not None:
        fig.add_hline(
            y=mean_error,
            line_dash="dash",
            line_color=_GREY,
            annotation_text=f"average error rate {mean_error:.3f}",
        )
    fig.update_layout(
        title="Problem slices found: size against error rate (bubble = score)",
        xaxis_title="Rows in the slice",
        yaxis_title="Error rate in the slice",
        margin=_MARGIN,
    )
    return fig


def compare_chart(frame: pd.DataFrame, metric: str, top: int = 20) -> go.Figure:
    """Change of the metric per slice from run A to run B (green better, red worse)."""
    f = frame.dropna(subset=["change"])
    f = f.reindex(f["change"].abs().sort_values(ascending=False).index).head(top)
    f = f.sort_values("change")
    fig = go.Figure(
        go.Bar(
            x=f["change"],
            y=f["column"] + " = " + f["value"].astype(str),
            orientation="h",
            marker_color=[_GREEN if c > 0 else _RED for c in f["change"]],
            hovertemplate="%{y}: %{x:+.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Slices that got better or worse ({_mlabel(metric)}, run B − run A)",
        xaxis_title=f"Change in {_mlabel(metric)} (positive = run B better)",
        yaxis_title="Slice",
        height=max(300, 26 * len(f) + 120),
        margin=_MARGIN,
    )
    return fig
