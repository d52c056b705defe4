"""Plotly figures of rollout simulations (core.deploy results); no streamlit here."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.deploy import GUARDRAIL_METRICS, request_number

EVENT_STYLE = {
    "start": ("#1f77b4", "start"),
    "switch": ("#1f77b4", "switch"),
    "promote": ("#2ca02c", "promote"),
    "full_rollout": ("#2ca02c", "full rollout"),
    "rollback": ("#d62728", "rollback"),
    "breach": ("#ff7f0e", "would breach"),
}


def timeline_figure(
    timeline: pd.DataFrame,
    checks: pd.DataFrame,
    events: pd.DataFrame,
    title: str = "",
    *,
    candidate: str = "",
    incumbent: str = "",
    file_order: bool = False,
) -> go.Figure:
    """Traffic share on top, one panel per guardrail metric (candidate, incumbent, threshold,
    breaches), events as labelled vertical lines across all panels. One legend names every
    series once (a series spans the panels: clicking it hides it in all of them). In file
    order the x axis is the request number instead of the replay clock's time."""
    metrics = list(dict.fromkeys(checks["metric"])) if not checks.empty else []
    rows = 1 + len(metrics)
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=["Traffic served by the candidate (%)"]
        + [checks.loc[checks["metric"] == m, "guardrail"].iloc[0] for m in metrics],
        row_heights=[1.3] + [1.0] * len(metrics),
    )
    x_of = _x_of(file_order)
    if not timeline.empty:
        _add_share_panel(fig, timeline, x_of)
    starts = timeline.set_index("window_idx")["window_start"] if not timeline.empty else pd.Series()
    names = Names(candidate, incumbent)
    for row, m in enumerate(metrics, start=2):
        c = checks[checks["metric"] == m].copy()
        c["x"] = c["window_idx"].map(starts).map(x_of)
        _add_guardrail_panel(fig, row, c, names, first=row == 2)
        fig.update_yaxes(title_text=GUARDRAIL_METRICS[m].label, row=row, col=1)
    _add_events(fig, events, x_of)
    fig.update_yaxes(title_text="share of traffic (%)", range=[-5, 105], row=1, col=1)
    fig.update_xaxes(
        title_text="Request number (file order: the rows as stored)"
        if file_order
        else "Window start (replayed production time)",
        row=rows,
        col=1,
    )
    fig.update_layout(
        title=title or "Rollout timeline",
        height=220 + 170 * rows,
        showlegend=True,
        legend={"title": {"text": "Series"}, "groupclick": "togglegroup"},
        margin={"t": 80},
    )
    return fig


class Names:
    """How the legend names the two sides."""

    def __init__(self, candidate: str, incumbent: str) -> None:
        self.candidate = f"candidate ({candidate})" if candidate else "candidate"
        self.incumbent = f"incumbent ({incumbent})" if incumbent else "incumbent"


def _x_of(file_order: bool):
    """Window and event times as the x axis shows them (request numbers in file order)."""
    if file_order:
        return request_number
    return lambda at: at


def _add_share_panel(fig: go.Figure, timeline: pd.DataFrame, x_of) -> None:
    """The planned share as a step line, the share actually served as markers."""
    x = timeline["window_start"].map(x_of)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=timeline["share_target"],
            mode="lines",
            line_shape="hv",
            name="planned share (%)",
            legendgroup="share",
            line={"color": "#1f77b4"},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=100 * timeline["share_served"],
            mode="markers",
            name="share actually served (%)",
            legendgroup="served",
            marker={"color": "#1f77b4", "size": 6},
            customdata=timeline[["n_routed", "n_requests"]],
            hovertemplate="%{y:.1f}% (%{customdata[0]} of %{customdata[1]})",
        ),
        row=1,
        col=1,
    )


def _add_guardrail_panel(
    fig: go.Figure, row: int, c: pd.DataFrame, names: Names, first: bool
) -> None:
    """One guardrail: the candidate's value, the incumbent's, the threshold, breaches. Each
    series shows in the legend once (from the first panel), grouped across panels."""
    fig.add_trace(
        go.Scatter(
            x=c["x"],
            y=c["value"],
            mode="lines+markers",
            name=names.candidate,
            legendgroup="candidate",
            showlegend=first,
            line={"color": "#9467bd"},
            customdata=c[["n", "status"]],
            hovertemplate="%{y:.3g} (n=%{customdata[0]}, %{customdata[1]})",
        ),
        row=row,
        col=1,
    )
    for y, who, line in (
        ("incumbent_value", names.incumbent, {"color": "#7f7f7f", "dash": "dot"}),
        ("threshold", "guardrail threshold", {"color": "#d62728", "dash": "dash", "width": 1}),
    ):
        fig.add_trace(
            go.Scatter(x=c["x"], y=c[y], mode="lines", name=who, legendgroup=who,
                       showlegend=first, line=line),
            row=row,
            col=1,
        )
    bad = c[c["status"] == "breach"]
    if not bad.empty:
        shown = {t.legendgroup for t in fig.data if t.showlegend is not False}
        fig.add_trace(
            go.Scatter(
                x=bad["x"],
                y=bad["value"],
                mode="markers",
                name="breach (confidence bound past the threshold)",
                legendgroup="breach",
                showlegend="breach" not in shown,
                marker={"color": "#d62728", "symbol": "x", "size": 11},
            ),
            row=row,
            col=1,
        )


def _add_events(fig: go.Figure, events: pd.DataFrame, x_of) -> None:
    """Each event as a dotted vertical line across all panels, labelled on the top one, and
    each kind once in the legend."""
    for _, e in events.iterrows():
        color, text = EVENT_STYLE.get(e["kind"], ("#333", e["kind"]))
        at = x_of(pd.Timestamp(e["at"]).to_pydatetime())
        fig.add_vline(x=at, line={"color": color, "width": 1, "dash": "dot"}, row="all", col=1)
        fig.add_annotation(
            x=at,
            y=1.0,
            yref="y domain",
            text=text,
            showarrow=False,
            font={"color": color, "size": 10},
            yanchor="bottom",
            hovertext=str(e["reason"]),
            row=1,
            col=1,
        )
    for kind in dict.fromkeys(events["kind"]) if not events.empty else []:
        color, text = EVENT_STYLE.get(kind, ("#333", kind))
        fig.add_trace(
            go.Scatter(x=[None], y=[None], mode="lines", name=f"event: {text}",
                       legendgroup=f"event {kind}",
                       line={"color": color, "width": 1, "dash": "dot"}),
            row=1,
            col=1,
        )


LEGEND = {
    "errors exposed": "errors exposed (wrong or failed answers served)",
    "extra wrong vs incumbent": "extra wrong vs the incumbent",
    "bad-side requests": "served by the bad side (onset to rollback)",
}


def comparison_figure(comparison: pd.DataFrame) -> go.Figure:
    """Errors exposed, extra wrong decisions and bad-side requests per simulated pattern."""
    fig = go.Figure()
    names = comparison.get("name", comparison.get("pattern", pd.Series(dtype=str)))
    for col, color in (
        ("errors exposed", "#d62728"),
        ("extra wrong vs incumbent", "#ff7f0e"),
        ("bad-side requests", "#9467bd"),
    ):
        if col in comparison:
            # a count not known (no label) is left out, not drawn as 0
            values = pd.to_numeric(comparison[col], errors="coerce")
            fig.add_trace(go.Bar(x=names, y=values, name=LEGEND.get(col, col),
                                 marker_color=color))
    fig.update_layout(
        barmode="group",
        title="Same stream, different rollouts: what users were exposed to",
        yaxis_title="requests",
        xaxis_title="rehearsal",
        showlegend=True,
        legend={"title": {"text": "Counts"}},
        height=380,
    )
    return fig
