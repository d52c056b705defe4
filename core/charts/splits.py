"""Plotly figures for class balance and split design (built from core results, no streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.data import PARTS, BalanceResult

PART_COLORS = {"train": "#4C78A8", "dev": "#F58518", "test": "#54A24B"}
COMMON = {"color": "#4C78A8", "rare": "#E45756"}


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
