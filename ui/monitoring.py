"""Widgets of the Monitoring page: the new-run form, the run picker and one renderer per tab
(streamlit here, no statistics)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import monitoring as monitor
from core.charts import monitoring as charts
from core.db.database import Database
from core.errors import StoreError
from core.monitoring import MonitorRunRow, RunChoices
from core.monitoring import drift as drift_methods
from ui import state

KEY = "monitoring"
RUN_KEY = f"{KEY}.run"


def _progress(bar):
    def update(fraction: float, message: str) -> None:
        bar.progress(fraction, text=message)

    return update


# --------------------------------------------------------------------- a new run
def render_new_run(store: Database, project_id: int, choices: RunChoices, user: str,
                   expanded: bool) -> None:
    """The form of a new monitoring run; a stored run becomes the picked one."""
    by_id = choices.datasets
    with st.expander("New monitoring run", icon=":material/play_circle:", expanded=expanded):
        with st.form(f"{KEY}.form"):
            c1, c2, c3 = st.columns(3)
            ref_id = c1.selectbox("Reference (training data)", choices.references,
                                  key=f"{KEY}.ref", format_func=lambda i: by_id[i].name)
            cur_id = c2.selectbox("Current (production stream)", choices.productions,
                                  key=f"{KEY}.cur", format_func=lambda i: by_id[i].name)
            model_id = _model_picker(c3, choices)
            c4, c5, c6, c7 = st.columns(4)
            time_cols = monitor.time_columns(store, cur_id) if cur_id is not None else []
            time_col = c4.selectbox(
                "Time column", time_cols or ["(none)"], key=f"{KEY}.time",
                index=time_cols.index(choices.time_role) if choices.time_role in time_cols else 0,
                help="The timestamp the windows follow (default: the project's time column).")
            window = c5.selectbox("Window", ["week", "day", "month"], key=f"{KEY}.window")
            persistence = c6.number_input("Windows a combined policy needs", 1, 6, 2,
                                          key=f"{KEY}.persistence")
            fallback = c7.slider("Human fallback below confidence", 0.5, 0.95, 0.7, 0.05,
                                 key=f"{KEY}.fallback",
                                 help="Predictions with max(p, 1 − p) below this go to a person.")
            submitted = st.form_submit_button("Run monitoring", type="primary")
        if submitted and ref_id is not None and cur_id is not None:
            settings = monitor.MonitorSettings(time_column=time_col if time_cols else None,
                                               window=window,
                                               persistence=int(persistence),
                                               fallback_confidence=float(fallback))
            _run(store, project_id, ref_id, cur_id, model_id, settings, user)


def _model_picker(col, choices: RunChoices) -> int | None:
    options: list[int | None] = [None, *(v.id for v in choices.versions)]
    labels = {v.id: f"v{v.version} (run #{v.run_id}){' · ' + v.alias if v.alias else ''}"
              for v in choices.versions}
    return col.selectbox(
        "Model version", options, key=f"{KEY}.model",
        index=options.index(choices.champion_id) if choices.champion_id in options else 0,
        format_func=lambda i: "no model (data only)" if i is None else labels[i])


def _run(store: Database, project_id: int, ref_id: int, cur_id: int, model_id: int | None,
         settings: monitor.MonitorSettings, user: str) -> None:
    with st.status("Monitoring…", expanded=True) as status:
        try:
            result = monitor.run_monitoring(
                store, project_id, reference_dataset_id=ref_id, current_dataset_id=cur_id,
                model_version_id=model_id, settings=settings, actor=user,
                progress=_progress(st.progress(0.0)))
        except (StoreError, ValueError) as exc:
            status.update(label="Monitoring did not run", state="error")
            st.error(str(exc))
        else:
            status.update(label="Monitoring run stored", state="complete", expanded=False)
            # show the run just stored, not the one picked before
            st.session_state[RUN_KEY] = result.run_id


def pick_run(store: Database, runs: pd.DataFrame) -> MonitorRunRow:
    """The run picker (newest first); the picked run."""
    by_id = runs.set_index("id")

    def label(i: int) -> str:
        r = by_id.loc[i]
        name = r["current_dataset"] if isinstance(r["current_dataset"], str) else "?"
        return (f"#{i} · {name} · {r['time_window']} · "
                f"{pd.Timestamp(r['created_at']):%Y-%m-%d %H:%M} · {r['source']}")

    run_id = st.selectbox("Monitoring run", runs["id"].tolist(), key=RUN_KEY, format_func=label)
    return monitor.get_run(store, int(run_id))


# ------------------------------------------------------------------------- tabs
def render_alerts(store: Database, project_id: int, run: MonitorRunRow,
                  alerts: pd.DataFrame) -> None:
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
                    monitor.acknowledge_alert(store, int(pick), state.current_user())
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


def _retrain(store: Database, project_id: int, run: MonitorRunRow) -> None:
    with st.status("Retraining a challenger…", expanded=True) as status:
        try:
            res = monitor.retrain_challenger(
                store, project_id, run.id, actor=state.current_user(),
                progress=_progress(st.progress(0.0)),
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


def render_drift(store: Database, run: MonitorRunRow, results: pd.DataFrame) -> None:
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
    col = str(left.selectbox("Feature", cols, key=f"{KEY}.dist_col"))
    win = right.selectbox("Window", windows, index=len(windows) - 1, key=f"{KEY}.dist_win",
                          format_func=lambda w: f"{pd.Timestamp(w):%Y-%m-%d}")
    try:
        ref, cur, kind = monitor.column_distribution(store, run.summary, col, win)
    except StoreError as exc:
        st.info(str(exc))
    else:
        st.plotly_chart(charts.distribution_figure(ref, cur, col, kind), key=f"{KEY}.dist")
    if (results["kind"] == "multivariate").any():
        st.plotly_chart(charts.multivariate_figure(results), key=f"{KEY}.multi")


def render_performance(run: MonitorRunRow, results: pd.DataFrame) -> None:
    summary = run.summary
    if "model_version_id" not in summary:
        st.info("This run had no model: pick a model version to see performance and outputs.")
        return
    metric = summary.get("primary_metric") or "accuracy"
    det = pd.DataFrame([{"detector": d, "when": w} for d, ws in
                        summary.get("detections", {}).items() for w in ws])
    det = det if len(det) else pd.DataFrame(columns=["detector", "when"])
    st.plotly_chart(charts.performance_figure(results, metric, summary.get("primary_floor"), det),
                    key=f"{KEY}.perf")
    label = summary.get("label_column")
    st.caption(f"Realized: where labels{f' ({label})' if label else ''} have arrived. "
               "Estimated: from the model's probabilities without labels (confidence-based "
               "estimation, as NannyML's CBPE); the band is where the realized value should "
               "fall if the probabilities are right. The estimate cannot see concept drift, so "
               "a gap between the two lines is itself a signal.")
    _calibration_caption(summary.get("calibration"))
    if len(det):
        st.dataframe(det.groupby("detector")["when"].agg(["count", "first"]).rename(
            columns={"count": "detections", "first": "first detection"}))
    st.plotly_chart(charts.output_figure(results, _positive_label(summary)), key=f"{KEY}.outputs")
    top = summary.get("top_features") or []
    if top:
        st.caption("Top features by influence on the score: " + ", ".join(top))


def _positive_label(summary: dict) -> str | None:
    """``target = positive class`` when the run recorded both (older runs did not)."""
    label, positive = summary.get("label_column"), summary.get("positive_class")
    return f"{label} = {positive}" if label and positive is not None else None


def _calibration_caption(cal: dict | None) -> None:
    if not cal:
        return
    if cal.get("method") == "isotonic":
        st.caption(f"Scores calibrated by isotonic regression on the model run's "
                   f"{cal.get('part')} part ({cal.get('n'):,} rows): expected calibration "
                   f"error {cal.get('ece_before'):.3f} → {cal.get('ece_after'):.3f} on "
                   "held-out reference rows.")
    else:
        st.caption(f"Scores used as they are, not recalibrated: {cal.get('reason')}.")


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


def render_service(run: MonitorRunRow, results: pd.DataFrame) -> None:
    if not (results["kind"] == "software").any():
        st.info("The current dataset has no request log columns (latency, status).")
        return
    settings = run.settings
    st.plotly_chart(charts.software_figure(results, settings.get("p95_latency_ms")),
                    key=f"{KEY}.latency")
    st.plotly_chart(charts.availability_figure(results, settings.get("min_availability")),
                    key=f"{KEY}.availability")
    s = run.summary
    st.caption(f"This monitoring run took {s.get('seconds')} s wall, {s.get('cpu_seconds')} s CPU, "
               f"{s.get('memory_mb')} MB resident memory in the workbench process.")


def render_policies(run: MonitorRunRow) -> None:
    counts = run.summary.get("policy_counts", {})
    if counts:
        st.plotly_chart(charts.policy_figure(counts), key=f"{KEY}.policies")
    st.dataframe(pd.DataFrame([{"policy": p.name, "severity": p.severity, "alerted": p.enabled,
                                "rule": p.description, "alerts on this stream": counts.get(p.name)}
                               for p in monitor.POLICIES]), hide_index=True)
