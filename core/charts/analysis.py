"""Plotly figures of the Error analysis page, built from core.analysis results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.analysis import Discovery, SliceTable, group_name
from core.training import metrics as M

_BLUE, _RED, _GREEN, _GREY = "#1f77b4", "#d62728", "#2ca02c", "#7f7f7f"
_MARGIN = {"l": 10, "r": 10, "t": 60, "b": 40}


def _mlabel(metric: str) -> str:
    return "Error rate" if metric == "error_rate" else M.label(metric)


def priority_chart(table: SliceTable, top: int = 15) -> go.Figure:
    """Bars of the ranked slices where work pays most: priority = gap to HLP x share of
    data (gap to the overall metric where no HLP is known); small slices are left out."""
    f = table.ranked.head(top).iloc[::-1]
    names = [group_name(c, v) for c, v in zip(f["column"], f["value"], strict=True)]
    label = _mlabel(table.metric)
    bases = set(f["priority_basis"])
    basis = (
        f"gap to HLP ({label})"
        if bases == {"gap to HLP"}
        else f"gap to overall {label}"
        if bases <= {"gap to overall"}
        else f"gap to HLP or to overall ({label})"
    )
    fig = go.Figure(
        go.Bar(
            x=f["priority"],
            y=names,
            orientation="h",
            marker_color=_BLUE,
            name="priority",
            customdata=list(zip(f["size"], f["share"], f[table.metric], strict=True)),
            hovertemplate=(
                "%{y}<br>priority %{x:.4f}<br>rows %{customdata[0]:,}"
                " (%{customdata[1]:.1%})<br>"
                + _mlabel(table.metric)
                + " %{customdata[2]:.3f}<extra></extra>"
            ),
        )
    )
    fig.update_layout(
        title=f"Where work pays most: {basis} × share of data"
        f" (slices of at least {table.min_size:,} rows)",
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
    small = f["size"] < table.min_size
    fig = go.Figure()
    for mask, name, colour in (
        (~small, _mlabel(table.metric), _BLUE),
        (small, f"{_mlabel(table.metric)}, under {table.min_size:,} rows (not ranked)", _GREY),
    ):
        if mask.any():
            fig.add_bar(
                x=f["value"][mask],
                y=f[table.metric][mask],
                marker_color=colour,
                text=[f"{n:,}" for n in f["size"][mask]],
                textposition="outside",
                hovertemplate="%{x}: %{y:.3f} (%{text} rows)<extra></extra>",
                name=name,
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
        showlegend=True,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def discovery_chart(found: Discovery, mean_error: float | None = None) -> go.Figure:
    """Each discovered slice: its size against its error rate (RMSE for a regressor);
    bubble area = score."""
    f = found.slices
    error, what = ("rmse", "RMSE") if found.regression else ("error_rate", "error rate")
    if found.regression and mean_error is not None:
        mean_error = float(mean_error) ** 0.5  # the searched rows' RMSE
    fig = go.Figure(
        go.Scatter(
            x=f["size"],
            y=f[error],
            name="discovered slice",
            mode="markers+text",
            text=[f"#{r}" for r in f["rank"]],
            textposition="top center",
            marker={
                "size": 12 + 30 * f["score"] / max(float(f["score"].max() or 1), 1e-9),
                "color": _RED,
                "opacity": 0.6,
            },
            customdata=f["label"],
            hovertemplate="%{customdata}<br>rows %{x:,}<br>" + what + " %{y:.3f}<extra></extra>",
        )
    )
    if mean_error is not None:
        fig.add_hline(
            y=mean_error,
            line_dash="dash",
            line_color=_GREY,
            annotation_text=f"all rows searched: {what} {mean_error:.3f}",
        )
    fig.update_layout(
        title=f"Problem slices found: size against {what} (bubble = score)",
        xaxis_title="Rows in the slice",
        yaxis_title=f"{what[0].upper()}{what[1:]} in the slice",
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
            y=[group_name(c, v) for c, v in zip(f["column"], f["value"], strict=True)],
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
