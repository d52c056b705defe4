"""Plotly figures of the Training page, built from stored results (no streamlit here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.training import metrics as M


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=title,
        xaxis_visible=False,
        yaxis_visible=False,
        annotations=[{"text": message, "showarrow": False, "font": {"size": 14}}],
    )
    return fig


def _add_reference_line(fig: go.Figure, x: list, y: list, name: str) -> None:
    """The dashed gray line a model is read against (chance, perfect calibration, zero error)."""
    fig.add_trace(
        go.Scatter(x=x, y=y, mode="lines", name=name, line={"dash": "dash", "color": "gray"})
    )


def confusion_figure(counts: pd.DataFrame, title: str = "Confusion matrix") -> go.Figure:
    """Heatmap of true vs predicted class with counts and the share of each true class."""
    if counts.empty:
        return _empty(title, "No predictions stored for this part.")
    table = counts.pivot_table(
        index="y_true", columns="y_pred", values="n", aggfunc="sum", fill_value=0
    )
    labels = sorted(set(table.index) | set(table.columns))
    table = table.reindex(index=labels, columns=labels, fill_value=0)
    share = table.div(table.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    text = [
        [f"{int(n):,}<br>{s:.0%}" for n, s in zip(rn, rs, strict=True)]
        for rn, rs in zip(table.to_numpy(), share.to_numpy(), strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=share.to_numpy(),
            x=[str(c) for c in labels],
            y=[str(c) for c in labels],
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": "share of<br>true class"},
            hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="Predicted class",
        yaxis_title="True class",
        yaxis_autorange="reversed",
        xaxis_type="category",
        yaxis_type="category",
    )
    return fig


def reliability_figure(
    calibration: pd.DataFrame, title: str = "Calibration (reliability curve)"
) -> go.Figure:
    """Mean predicted probability vs observed share of positives per score bin."""
    if calibration.empty:
        return _empty(title, "No probabilities stored for this part.")
    fig = go.Figure()
    _add_reference_line(fig, [0, 1], [0, 1], "perfectly calibrated")
    fig.add_trace(
        go.Scatter(
            x=calibration["mean_score"],
            y=calibration["frac_positive"],
            mode="lines+markers",
            name="this model",
            marker={"size": np.clip(np.sqrt(calibration["n"]), 5, 30)},
            customdata=calibration["n"],
            hovertemplate="predicted %{x:.2f}, observed %{y:.2f} (%{customdata:,} rows)<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="Predicted probability of the positive class",
        yaxis_title="Observed share of positives",
        xaxis_range=[0, 1],
        yaxis_range=[0, 1],
    )
    return fig


def roc_figure(points: pd.DataFrame, auc: float | None, title: str = "ROC curve") -> go.Figure:
    if points.empty:
        return _empty(title, "ROC needs both classes in this part.")
    fig = go.Figure()
    _add_reference_line(fig, [0, 1], [0, 1], "chance")
    name = f"model (AUC {auc:.3f})" if auc is not None else "model"
    fig.add_trace(
        go.Scatter(
            x=points["fpr"],
            y=points["tpr"],
            mode="lines",
            name=name,
            customdata=points["threshold"],
            hovertemplate="FPR %{x:.2f}, TPR %{y:.2f}, threshold %{customdata:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="False positive rate (false alarms)",
        yaxis_title="True positive rate (recall)",
    )
    return fig


def per_class_figure(
    per_class: pd.DataFrame, title: str = "Precision, recall and F1 per class"
) -> go.Figure:
    if per_class.empty:
        return _empty(title, "No per-class metrics for this run.")
    long = per_class.melt(
        id_vars="class",
        value_vars=[c for c in ("precision", "recall", "f1") if c in per_class.columns],
        var_name="metric",
        value_name="value",
    )
    fig = px.bar(
        long,
        x="class",
        y="value",
        color="metric",
        barmode="group",
        title=title,
        labels={"class": "Class", "value": "Value", "metric": "Metric"},
        range_y=[0, 1],
    )
    fig.update_xaxes(type="category")
    return fig


def learning_curve_figure(
    points: pd.DataFrame, metric: str, hlp: float | None = None, target: float | None = None
) -> go.Figure:
    """Train and dev metric vs training-set size, with human-level performance and the target."""
    title = f"Learning curve: {M.label(metric)} vs training rows"
    if points.empty:
        return _empty(title, "No finished rung yet.")
    fig = go.Figure()
    names = {"train": "train (fit)", "dev": "dev (held out)"}
    for part, frame in points.groupby("part"):
        frame = frame.sort_values("train_rows")
        fig.add_trace(
            go.Scatter(
                x=frame["train_rows"],
                y=frame["value"],
                mode="lines+markers",
                name=names.get(part, part),
                customdata=frame["share"],
                hovertemplate="%{x:,} rows (%{customdata:.0%} of train): %{y:.3f}<extra></extra>",
            )
        )
    if hlp is not None:
        fig.add_hline(
            y=hlp, line_dash="dot", line_color="green", annotation_text=f"human-level {hlp:.3f}"
        )
    if target is not None:
        fig.add_hline(
            y=target,
            line_dash="dash",
            line_color="firebrick",
            annotation_text=f"scoping target {target:.3f}",
            annotation_position="bottom right",
        )
    fig.update_layout(title=title, xaxis_title="Training rows", yaxis_title=M.label(metric))
    return fig


def search_figure(trials: pd.DataFrame, params: list[str], metric: str) -> go.Figure:
    """One parameter: dev metric vs its values; several: parallel coordinates coloured by metric."""
    title = f"Search trials: dev {M.label(metric)}"
    ok = trials.dropna(subset=[metric]) if metric in trials.columns else pd.DataFrame()
    if ok.empty or not params:
        return _empty(title, "No finished trial with this metric.")
    if len(params) == 1:
        p = params[0]
        x = ok[p].astype(str) if ok[p].isna().any() else ok[p]
        fig = px.scatter(
            ok.assign(**{p: x}),
            x=p,
            y=metric,
            hover_data=["run"],
            title=title,
            labels={metric: f"dev {M.label(metric)}"},
        )
        fig.update_traces(marker={"size": 12})
        return fig
    dims = []
    for p in params:
        col = ok[p]
        if pd.api.types.is_numeric_dtype(col) and not col.isna().any():
            dims.append({"label": p, "values": col})
        else:  # categorical or None-valued: an axis of codes labelled by value
            cats = sorted(col.astype(str).unique())
            dims.append(
                {
                    "label": p,
                    "values": col.astype(str).map(cats.index),
                    "tickvals": list(range(len(cats))),
                    "ticktext": cats,
                }
            )
    dims.append({"label": f"dev {M.label(metric)}", "values": ok[metric]})
    fig = go.Figure(
        go.Parcoords(
            line={"color": ok[metric], "colorscale": "Viridis", "showscale": True}, dimensions=dims
        )
    )
    fig.update_layout(title=title)
    return fig


def metric_vs_param_figure(runs: pd.DataFrame, param: str | None, metric: str | None) -> go.Figure:
    """Scatter of a metric against a parameter across runs, coloured by model (an empty
    figure when either is not picked or no run has both)."""
    if param is None or metric is None:
        return _empty("Metric vs parameter", "No run has both this parameter and this metric.")
    title = f"{M.label(metric)} vs {param}"
    if runs.empty or param not in runs.columns or metric not in runs.columns:
        return _empty(title, "No run has both this parameter and this metric.")
    ok = runs.dropna(subset=[param, metric])
    if ok.empty:
        return _empty(title, "No run has both this parameter and this metric.")
    if not pd.api.types.is_numeric_dtype(ok[param]):  # a choice such as max_features
        ok = ok.assign(**{param: ok[param].astype(str)})
    fig = px.scatter(
        ok,
        x=param,
        y=metric,
        color="model",
        hover_data=["run", "name"],
        title=title,
        labels={metric: M.label(metric)},
    )
    fig.update_traces(marker={"size": 11})
    return fig


def _sample(frame: pd.DataFrame, max_points: int) -> tuple[pd.DataFrame, str]:
    """At most ``max_points`` rows (a seeded sample) and a title suffix saying so."""
    if len(frame) <= max_points:
        return frame, ""
    shown = frame.sample(n=max_points, random_state=0)
    return shown, f" (a sample of {max_points:,} of {len(frame):,} rows)"


def _rows_scatter(x: pd.Series, y: pd.Series, x_name: str, y_name: str) -> go.Figure:
    """One marker per row (WebGL, translucent), named "rows" in the legend."""
    fig = go.Figure()
    fig.add_trace(
        go.Scattergl(
            x=x, y=y, mode="markers", name="rows", marker={"size": 5, "opacity": 0.5},
            hovertemplate=f"{x_name} %{{x:.4g}}, {y_name} %{{y:.4g}}<extra></extra>",
        )
    )
    return fig


def residual_figure(
    residuals: pd.DataFrame, part: str = "dev", max_points: int = 5000
) -> go.Figure:
    """Residual (actual − predicted) against the prediction per row, with the zero line.

    A good regressor's points scatter evenly around zero at every predicted value; a
    funnel or a curve shows errors that grow with, or depend on, the prediction.
    """
    title = f"Residuals vs predicted ({part})"
    if residuals.empty:
        return _empty(title, "No regression predictions stored for this part.")
    shown, note = _sample(residuals, max_points)
    fig = _rows_scatter(shown["predicted"], shown["residual"], "predicted", "residual")
    lo, hi = float(shown["predicted"].min()), float(shown["predicted"].max())
    _add_reference_line(fig, [lo, hi], [0, 0], "no error (residual 0)")
    fig.update_layout(
        title=title + note,
        xaxis_title="Predicted value",
        yaxis_title="Residual (actual − predicted)",
        showlegend=True,
    )
    return fig


def predicted_actual_figure(
    residuals: pd.DataFrame, part: str = "dev", max_points: int = 5000
) -> go.Figure:
    """Predicted against actual value per row, with the line y = x of perfect predictions."""
    title = f"Predicted vs actual ({part})"
    if residuals.empty:
        return _empty(title, "No regression predictions stored for this part.")
    shown, note = _sample(residuals, max_points)
    fig = _rows_scatter(shown["actual"], shown["predicted"], "actual", "predicted")
    both = pd.concat([shown["actual"], shown["predicted"]])
    lo, hi = float(both.min()), float(both.max())
    _add_reference_line(fig, [lo, hi], [lo, hi], "perfect prediction (y = x)")
    fig.update_layout(
        title=title + note,
        xaxis_title="Actual value",
        yaxis_title="Predicted value",
        showlegend=True,
    )
    return fig
