"""Plotly figures for the Labeling page, built from core.labeling results (no streamlit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.labeling import Agreement, Hlp, kappa_matrix


def agreement_heatmap(agreement: Agreement) -> go.Figure:
    """Cohen's kappa for every pair of annotators (diagonal = 1)."""
    mat = kappa_matrix(agreement.pairs)
    text = np.where(np.isnan(mat.to_numpy()), "undefined", np.round(mat.to_numpy(), 2).astype(str))
    fig = go.Figure(
        go.Heatmap(
            z=mat.to_numpy(),
            x=list(mat.columns),
            y=list(mat.index),
            text=text,
            texttemplate="%{text}",
            zmin=-1,
            zmax=1,
            colorscale="RdYlGn",
            colorbar={"title": "kappa"},
            hovertemplate="%{y} vs %{x}: kappa %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title="Agreement beyond chance (Cohen's kappa)",
        xaxis_title="Annotator",
        yaxis_title="Annotator",
        yaxis_autorange="reversed",
    )
    return fig


def per_class_agreement_bars(agreement: Agreement) -> go.Figure:
    """Specific agreement per class: when one annotator says the class, how often others do."""
    pc = agreement.per_class
    fig = go.Figure(
        go.Bar(
            x=pc["class"].astype(str),
            y=pc["specific_agreement"],
            text=[
                f"{v:.0%} of {n} labels" if pd.notna(v) else "undefined"
                for v, n in zip(pc["specific_agreement"], pc["n_labels"], strict=True)
            ],
            textposition="auto",
            marker_color="#4C78A8",
            hovertemplate="class %{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        title="Agreement per class (share of others agreeing)",
        xaxis_title="Class",
        yaxis_title="Specific agreement",
        yaxis_range=[0, 1],
        yaxis_tickformat=".0%",
    )
    fig.update_xaxes(type="category")
    return fig


def annotator_confusion(tab: pd.DataFrame) -> go.Figure:
    """Counts of one annotator's labels (rows) against another's (columns)."""
    a, b = tab.index.name.rstrip(" →"), tab.columns.name.rstrip(" ↓")
    fig = go.Figure(
        go.Heatmap(
            z=tab.to_numpy(),
            x=[str(c) for c in tab.columns],
            y=[str(i) for i in tab.index],
            text=tab.to_numpy(),
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": "items"},
        )
    )
    fig.update_layout(
        title=f"Where {a} and {b} disagree (items per label pair)",
        xaxis_title=f"Label by {b}",
        yaxis_title=f"Label by {a}",
        yaxis_autorange="reversed",
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def hlp_bars(hlp: Hlp) -> go.Figure:
    """Each annotator's accuracy against the reference, with the HLP (mean) as a line."""
    per = hlp.per_annotator
    fig = go.Figure(
        go.Bar(
            x=per["annotator"],
            y=per["accuracy"],
            text=[f"{v:.1%}" for v in per["accuracy"]],
            textposition="auto",
            name="accuracy",
            marker_color="#59A14F",
        )
    )
    if np.isfinite(hlp.hlp):
        fig.add_hline(y=hlp.hlp, line_dash="dash", annotation_text=f"HLP {hlp.hlp:.1%}")
    fig.update_layout(
        title=f"Human-level performance: each annotator's accuracy vs {hlp.reference}",
        xaxis_title="Annotator",
        yaxis_title="Accuracy",
        yaxis_range=[0, 1],
        yaxis_tickformat=".0%",
    )
    return fig


def label_error_distribution(scores: pd.DataFrame, thresholds: dict[str, float]) -> go.Figure:
    """Histogram of self-confidence (model probability of the given label), flagged vs kept."""
    fig = go.Figure()
    for flagged, name, color in (
        (False, "label looks right", "#4C78A8"),
        (True, "suspected label error", "#E45756"),
    ):
        part = scores[scores["flagged"] == flagged]
        fig.add_trace(
            go.Histogram(
                x=part["self_confidence"],
                name=f"{name} ({len(part)})",
                xbins={"start": 0, "end": 1.0001, "size": 0.025},
                marker_color=color,
                opacity=0.75,
            )
        )
    for cls, t in thresholds.items():
        fig.add_vline(
            x=t,
            line_dash="dot",
            annotation_text=f"threshold class {cls}: {t:.2f}",
            annotation_textangle=-90,
        )
    fig.update_layout(
        barmode="overlay",
        title="Label-error scores: how confident the cross-validated model is in each given label",
        xaxis_title="Self-confidence (out-of-fold probability of the given label)",
        yaxis_title="Items",
        xaxis_range=[0, 1],
        legend_title="Item",
    )
    return fig
