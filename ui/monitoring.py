"""Widgets of the Monitoring page: one renderer per tab (streamlit here, no statistics)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core import monitoring as monitor
from core.charts import monitoring as charts
from core.db import monitoring as monitoring_db
from core.db.database import Database
from core.errors import StoreError
from core.monitoring import drift as drift_methods
from ui import state

KEY = "monitoring"


def render_alerts(store: Database, project_id: int, run: dict[str, Any]) -> None:
    alerts = monitoring_db.list_alerts(store, project_id)
    alerts = alerts[alerts["run_id"] == run["id"]]
    if alerts.empty:
        st.success("This run raised no alert.")
        return
    show = alerts[["id", "window_start", "severity", "policy", "message", "status",
                   "acknowledged_by"]]
    st.dataframe(show, hide_index=True, column_config={
        "id": st.column_config.NumberColumn("alert", format="%d"),
        "window_start": st.column_config.DateColumn("window"),
        "message": st.column_config.TextColumn("what happened", width="large"),
    })
    open_ids = alerts.loc[alerts["status"] == "open", "id"].tolist()
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown("**Acknowledge an alert**")
        if open_ids:
            pick = st.selectbox("Alert", open_ids, key=f"{KEY}.ack_pick",
                                format_func=lambda i: _alert_label(alerts, i))
            if st.button("Acknowledge", key=f"{KEY}.ack"):
                try:
                    monitoring_db.acknowledge_alert(store, int(pick), state.current_user())
                except StoreError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
        else:
            st.caption("Every alert of this run is acknowledged.")
    with right.container(border=True):
        st.markdown("**Continuous training**")
        st.caption("Retrain the champion's recipe on the labelled production rows since the "
                   "first alert, register it as challenger, and rehearse a canary.")
        if st.button("Retrain a challenger", key=f"{KEY}.retrain", type="primary"):
            _retrain(store, project_id, run)


def _alert_label(alerts: pd.DataFrame, alert_id: int) -> str:
    a = alerts[alerts["id"] == alert_id].iloc[0]
    return f"#{alert_id} {pd.Timestamp(a['window_start']):%Y-%m-%d} {a['policy']}"


def _retrain(store: Database, project_id: int, run: dict[str, Any]) -> None:
    with st.status("Retraining a challenger…", expanded=True) as status:
        bar = st.progress(0.0)
        try:
            res = monitor.retrain_challenger(
                store, project_id, int(run["id"]), actor=state.current_user(),
                progress=lambda f, m: bar.progress(f, text=m),
            )
        except StoreError as exc:
            status.update(label="Retraining did not run", state="error")
            st.error(str(exc))
            return
        status.update(label="Challenger registered", state="complete")
    st.session_state["deploy.prefill_candidate"] = res.version_id
    st.success(f"Trained run #{res.run_id} on {res.rows:,} labelled rows since "
               f"{pd.Timestamp(res.since):%Y-%m-%d}; registered as challenger "
               f"(version id {res.version_id}). Rehearse its canary next.")
    st.page_link("pages/6_Deployment.py", label="Open the Deployment page",
                 icon=":material/rocket_launch:")


def render_drift(store: Database, run: dict[str, Any], results: pd.DataFrame) -> None:
    # theme=None: Streamlit's theme would replace the colour scale whose break marks "drifted"
    st.plotly_chart(charts.drift_heatmap(results), key=f"{KEY}.heatmap", theme=None)
    with st.expander("How drift is judged", icon=":material/help:"):
        st.markdown("\n".join(f"- **{m}**: {text}" for m, text in drift_methods.METHOD_HELP.items()))
    drift = results[results["kind"] == "drift"]
    cols = sorted(drift["column_name"].dropna().unique())
    windows = sorted(drift["window_start"].dropna().unique())
    if not cols or not windows:
        return
    left, right = st.columns(2)
    col = left.selectbox("Feature", cols, key=f"{KEY}.dist_col")
    win = right.selectbox("Window", windows, index=len(windows) - 1, key=f"{KEY}.dist_win",
                          format_func=lambda w: f"{pd.Timestamp(w):%Y-%m-%d}")
    try:
        ref, cur, kind = monitor.column_distribution(store, run["summary"], col, win)
    except StoreError as exc:
        st.info(str(exc))
    else:
        st.plotly_chart(charts.distribution_figure(ref, cur, col, kind), key=f"{KEY}.dist")
    if (results["kind"] == "multivariate").any():
        st.plotly_chart(charts.multivariate_figure(results), key=f"{KEY}.multi")


def render_performance(run: dict[str, Any], results: pd.DataFrame) -> None:
    summary = run["summary"]
    if "model_version_id" not in summary:
        st.info("This run had no model: pick a model version to see performance and outputs.")
        return
    metric = summary.get("primary_metric") or "accuracy"
    det = pd.DataFrame([{"detector": d, "when": w} for d, ws in
                        summary.get("detections", {}).items() for w in ws])
    det = det if len(det) else pd.DataFrame(columns=["detector", "when"])
    st.plotly_chart(charts.performance_figure(results, metric, summary.get("primary_floor"), det),
                    key=f"{KEY}.perf")
    st.caption("Realized: where labels have arrived. Estimated: from the model's probabilities "
               "without labels (confidence-based estimation, as NannyML's CBPE); the band is where "
               "the realized value should fall if the probabilities are right. The estimate "
               "cannot see concept drift, so a gap between the two lines is itself a signal.")
    cal = summary.get("calibration")
    if cal:
        if cal.get("method") == "isotonic":
            st.caption(f"Scores calibrated by isotonic regression on the model run's "
                       f"{cal.get('part')} part ({cal.get('n'):,} rows): expected calibration "
                       f"error {cal.get('ece_before'):.3f} → {cal.get('ece_after'):.3f} on "
                       "held-out reference rows.")
        else:
            st.caption(f"Scores used as they are, not recalibrated: {cal.get('reason')}.")
    if len(det):
        st.dataframe(det.groupby("detector")["when"].agg(["count", "first"]).rename(
            columns={"count": "detections", "first": "first detection"}))
    st.plotly_chart(charts.output_figure(results), key=f"{KEY}.outputs")
    top = summary.get("top_features") or []
    if top:
        st.caption("Top features by influence on the score: " + ", ".join(top))


def render_inputs(results: pd.DataFrame) -> None:
    flagged = results[(results["kind"].isin(["input", "schema"]))
                      & results["flagged"].fillna(False).astype(bool)]
    if flagged.empty:
        st.success("No input check failed: nulls, ranges, categories and schema match the reference.")
        return
    summary = (flagged.groupby(["column_name", "metric"])
               .agg(windows=("value", "size"), first=("window_start", "min"),
                    worst=("value", "max"), threshold=("threshold", "first"))
               .reset_index())
    st.dataframe(summary, hide_index=True, column_config={
        "column_name": "column", "metric": "check", "windows": "windows flagged",
        "first": st.column_config.DateColumn("first flagged"),
        "worst": st.column_config.NumberColumn("worst value", format="%.4f"),
    })


def render_service(run: dict[str, Any], results: pd.DataFrame) -> None:
    if not (results["kind"] == "software").any():
        st.info("The current dataset has no request log columns (latency, status).")
        return
    settings = run["settings"]
    st.plotly_chart(charts.software_figure(results, settings.get("p95_latency_ms")),
                    key=f"{KEY}.latency")
    st.plotly_chart(charts.availability_figure(results, settings.get("min_availability")),
                    key=f"{KEY}.availability")
    s = run["summary"]
    st.caption(f"This monitoring run took {s.get('seconds')} s wall, {s.get('cpu_seconds')} s CPU, "
               f"{s.get('memory_mb')} MB resident memory in the workbench process.")


def render_policies(run: dict[str, Any]) -> None:
    counts = run["summary"].get("policy_counts", {})
    if counts:
        st.plotly_chart(charts.policy_figure(counts), key=f"{KEY}.policies")
    st.dataframe(pd.DataFrame([{"policy": p.name, "severity": p.severity, "alerted": p.enabled,
                                "rule": p.description, "alerts on this stream": counts.get(p.name)}
                               for p in monitor.POLICIES]), hide_index=True)
