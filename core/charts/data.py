"""Plotly figures of the Data page, built from a stored quality report (no streamlit)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.data.quality import QualityReport

COLOR = "#4C78A8"
OTHER = "#BAB0AC"


def _epoch_to_datetime(x: float) -> datetime:
    return datetime.fromtimestamp(x, UTC).replace(tzinfo=None)


def distribution_figure(report: QualityReport, column: str) -> go.Figure:
    """A histogram of a numeric or date column, else the most frequent values of it."""
    meta = report.column(column)
    n = report.n_rows
    missing = n - int(meta.get("nn") or 0)
    note = f"{missing:,} missing of {n:,} rows" if missing else f"{n:,} rows, none missing"
    fig = go.Figure()
    hist = report.histograms.get(column)
    if hist:
        _histogram(fig, hist, column)
        title = f"Distribution of {column} ({note})"
    elif report.top_values.get(column):
        _top_values(fig, report.top_values[column], int(meta.get("nn") or 0), n, column)
        title = f"Most frequent values of {column} ({note})"
    else:
        title = f"{column}: no distribution to draw ({meta['type']}, {note})"
        fig.add_annotation(
            text=meta.get("rule", ""),
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    fig.update_layout(title=title, showlegend=False, margin={"t": 60})
    return fig


def _histogram(fig: go.Figure, hist: dict[str, Any], column: str) -> None:
    """Bars of the stored equal-width bins (dates on a time axis)."""
    counts = np.asarray(hist["counts"])
    edges = hist["low"] + hist["width"] * np.arange(len(counts) + 1)
    centers = (edges[:-1] + edges[1:]) / 2
    if hist["datetime"]:
        x = [_epoch_to_datetime(c) for c in centers]
        width_ms = hist["width"] * 1000
    else:
        x, width_ms = centers, hist["width"]
    fig.add_trace(
        go.Bar(
            x=x,
            y=counts,
            width=width_ms,
            marker_color=COLOR,
            name="rows",
            customdata=np.stack([edges[:-1], edges[1:]], axis=1),
            hovertemplate=(
                "%{x}<br>%{y:,} rows<extra></extra>"
                if hist["datetime"]
                else "%{customdata[0]:.4g} to %{customdata[1]:.4g}<br>%{y:,} rows<extra></extra>"
            ),
        )
    )
    fig.update_layout(bargap=0.02, xaxis_title=column, yaxis_title="rows")


def _top_values(fig: go.Figure, top: list[tuple[str, int]], nn: int, n: int, column: str) -> None:
    """Horizontal bars of the most frequent values, the rest pooled in one grey bar."""
    labels = [str(v) for v, _ in top][::-1]
    values = [k for _, k in top][::-1]
    rest = nn - sum(values)
    colors = [COLOR] * len(values)
    if rest > 0:
        labels, values, colors = (
            ["(all other values)", *labels],
            [rest, *values],
            [OTHER, *colors],
        )
    fig.add_trace(
        go.Bar(
            y=labels,
            x=values,
            orientation="h",
            marker_color=colors,
            name="rows",
            text=[f"{v / n:.1%}" if n else "" for v in values],
            textposition="auto",
            hovertemplate="%{y}<br>%{x:,} rows<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title="rows",
        yaxis_title=column,
        yaxis_type="category",
        height=max(320, 28 * len(labels) + 120),
    )


def null_heatmap_figure(report: QualityReport, max_columns: int = 80) -> go.Figure:
    """Share of missing values per column (x) and range of rows (y).

    With more than ``max_columns`` columns, only the columns that have missing values are
    drawn (up to ``max_columns``).
    """
    b = report.null_bands
    columns = [c["column"] for c in report.columns]
    if len(columns) > max_columns:
        with_nulls = [c["column"] for c in report.columns if (c.get("nn") or 0) < report.n_rows]
        columns = with_nulls[:max_columns] or columns[:max_columns]
    pos = {c: i for i, c in enumerate(columns)}
    bands = sorted(set(b["band"]))
    row_of = {band: i for i, band in enumerate(bands)}
    z = np.zeros((len(bands), len(columns)))
    labels = [""] * len(bands)
    counts = np.zeros((len(bands), len(columns)), dtype=int)
    for band, first, last, rows, col, nulls in zip(
        b["band"],
        b["first_row"],
        b["last_row"],
        b["rows"],
        b["column"],
        b["nulls"],
        strict=True,
    ):
        if col not in pos:
            continue
        i, j = row_of[band], pos[col]
        z[i, j] = nulls / rows if rows else 0.0
        counts[i, j] = nulls
        labels[i] = f"rows {first + 1:,}-{last + 1:,}"
    total = int(counts.sum())
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=labels,
            zmin=0,
            zmax=max(float(z.max()), 0.01),
            colorscale="Reds",
            customdata=counts,
            colorbar={"title": "share<br>missing", "tickformat": ".0%"},
            hovertemplate="%{x}<br>%{y}<br>%{customdata:,} missing (%{z:.1%})<extra></extra>",
            xgap=1,
        )
    )
    fig.update_layout(
        title=(
            "Missing values by column and row range"
            + (f" ({total:,} cells missing)" if total else " (no missing values)")
        ),
        xaxis_title="column",
        yaxis_title="rows (in stored order)",
        yaxis_autorange="reversed",
        xaxis_type="category",
        yaxis_type="category",
        height=max(360, 12 * len(bands) + 200),
        margin={"t": 60},
    )
    return fig
