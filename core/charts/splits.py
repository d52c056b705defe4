"""Plotly figures for class balance and split design (built from core results, no streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.data import PARTS, BalanceResult, TargetDistribution

PART_COLORS = {"train": "#4C78A8", "dev": "#F58518", "test": "#54A24B"}
COMMON = {"color": "#4C78A8", "rare": "#E45756"}
QUANTILE_STYLE = {  # probability -> (legend name, dash, colour)
    0.5: ("median", "solid", "#E45756"),
    0.25: ("quartiles (25%, 75%)", "dash", "#F58518"),
    0.75: ("quartiles (25%, 75%)", "dash", "#F58518"),
    0.05: ("5% and 95% quantiles", "dot", "#72B7B2"),
    0.95: ("5% and 95% quantiles", "dot", "#72B7B2"),
}


def class_balance_figure(result: BalanceResult) -> go.Figure:
    """Rows per class, rare classes in red, the rare-share threshold as a dashed line."""
    frame = result.to_frame()
    labels = frame["class"].map(str)
    colors = [COMMON["rare"] if r else COMMON["color"] for r in frame["rare"]]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=frame["count"],
            marker_color=colors,
            text=[f"{s:.1%}" for s in frame["share"]],
            textposition="outside",
            customdata=frame[["share"]].to_numpy(),
            hovertemplate="class %{x}<br>%{y:,} rows (%{customdata[0]:.2%})<extra></extra>",
            name="rows",
        )
    )
    total = int(frame["count"].sum())
    if total:
        fig.add_hline(
            y=result.rare_share * total,
            line_dash="dash",
            line_color="#888",
            annotation_text=f"rare below {result.rare_share:.0%}",
            annotation_position="top right",
        )
    fig.update_layout(
        title=f"Class balance of {result.target} (imbalance ratio {result.imbalance_ratio:.1f} : 1)",
        xaxis_title=f"{result.target} (class)",
        yaxis_title="rows",
        xaxis_type="category",
        showlegend=False,
        margin={"t": 60},
    )
    return fig


def target_distribution_figure(dist: TargetDistribution) -> go.Figure:
    """Histogram of a numeric target (rows per equal-width bin) with its quantiles as
    vertical lines (median, quartiles, 5% and 95%)."""
    fig = go.Figure()
    edges, counts = list(dist.edges), list(dist.counts)
    if counts:
        fig.add_trace(
            go.Bar(
                x=[(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)],
                y=counts,
                width=[b - a for a, b in zip(edges[:-1], edges[1:], strict=True)],
                customdata=list(zip(edges[:-1], edges[1:], strict=True)),
                hovertemplate="%{customdata[0]:.4g} to %{customdata[1]:.4g}<br>%{y:,} rows"
                "<extra></extra>",
                marker_color=COMMON["color"],
                name="rows",
            )
        )
    top = max(counts, default=1) or 1
    shown: set[str] = set()
    for p, q in dist.quantiles:
        name, dash, color = QUANTILE_STYLE.get(p, (f"{p:.0%} quantile", "dot", "#888"))
        if q != q:  # NaN: no value to mark
            continue
        fig.add_trace(
            go.Scatter(
                x=[q, q],
                y=[0, top * 1.05],
                mode="lines",
                line={"dash": dash, "color": color, "width": 2},
                name=name,
                legendgroup=name,
                showlegend=name not in shown,
                hovertemplate=f"{p:.0%} quantile: {q:,.4g}<extra></extra>",
            )
        )
        shown.add(name)
    missing = f", {dist.n_missing:,} without a value" if dist.n_missing else ""
    fig.update_layout(
        title=f"Distribution of {dist.target} (numeric target: {dist.n:,} rows{missing})",
        xaxis_title=dist.target,
        yaxis_title="rows",
        bargap=0.02,
        legend_title="",
        margin={"t": 60},
    )
    return fig


def annotator_distribution_figure(frame: pd.DataFrame) -> go.Figure:
    """Share of each label per annotator (from ``annotator_label_distribution``)."""
    fig = go.Figure()
    for label, sub in frame.groupby(frame["label"].map(str), sort=True):
        fig.add_trace(
            go.Bar(
                x=sub["annotator"].map(str),
                y=sub["share"],
                name=f"label {label}",
                text=[f"{s:.0%}" for s in sub["share"]],
                textposition="inside",
                customdata=sub[["n"]].to_numpy(),
                hovertemplate="%{x}: %{y:.1%} (%{customdata[0]:,} labels)<extra>label "
                + label
                + "</extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title="Label distribution per annotator",
        xaxis_title="annotator",
        yaxis_title="share of the annotator's labels",
        yaxis_tickformat=".0%",
        legend_title="label",
    )
    return fig


def split_parts_figure(summary: pd.DataFrame, column: str) -> go.Figure:
    """Share of each value of ``column`` in train, dev and test side by side."""
    sub = summary[summary["column"] == column]
    fig = go.Figure()
    for part in PARTS:
        fig.add_trace(
            go.Bar(
                x=sub["value"],
                y=sub[f"{part}_share"],
                name=part,
                marker_color=PART_COLORS[part],
                customdata=sub[[f"{part}_n"]].to_numpy(),
                hovertemplate="%{x}: %{y:.1%} of "
                + part
                + " (%{customdata[0]:,} rows)<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        title=f"{column}: distribution in each part",
        xaxis_title=column,
        yaxis_title="share of the part's rows",
        yaxis_tickformat=".0%",
        xaxis_type="category",
        legend_title="part",
    )
    return fig


def split_sizes_figure(counts: dict[str, int]) -> go.Figure:
    """Rows per part as one horizontal stacked bar."""
    total = sum(counts.values()) or 1
    fig = go.Figure()
    for part in PARTS:
        n = counts.get(part, 0)
        fig.add_trace(
            go.Bar(
                y=["rows"],
                x=[n],
                name=part,
                orientation="h",
                marker_color=PART_COLORS[part],
                text=f"{part} {n:,} ({n / total:.0%})",
                textposition="inside",
                hovertemplate=f"{part}: {n:,} rows ({n / total:.1%})<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title="Rows per part",
        xaxis_title="rows",
        height=180,
        showlegend=False,
        margin={"t": 40, "b": 30},
        yaxis_visible=False,
    )
    return fig
