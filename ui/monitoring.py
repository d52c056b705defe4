"""Widgets of the Monitoring page: the new-run form, the run picker and one renderer per tab
(streamlit here, no statistics)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import monitoring as monitor
from core.charts import monitoring as charts
from core.db.database import Database
from core.errors import StoreError
from core.jobs import Job
from core.monitoring import MonitorRunRow, RunChoices
from core.monitoring import drift as drift_methods
from core.monitoring.windows import ordered_labels
from core.progress import Progress
from ui import jobs, state
from ui.text import literal, message

KEY = "monitoring"
RUN_KEY = f"{KEY}.run"
JOB_KEY = f"{KEY}.job"


# --------------------------------------------------------------------- a new run
WINDOW_CHOICES = {
    "week": "weeks of the time column",
    "day": "days of the time column",
    "month": "months of the time column",
    "all": "the whole dataset as one window",
    "rows": "every N rows, in file order",
    "column": "one window per batch value",
}


def render_new_run(store: Database, project_id: int, choices: RunChoices, user: str,
                   expanded: bool) -> None:
    """The form of a new monitoring run; a stored run becomes the picked one."""
    by_id = choices.datasets
    with st.expander("New monitoring run", icon=":material/play_circle:", expanded=expanded):
        with st.form(f"{KEY}.form"):
            c1, c2, c3 = st.columns(3)
            ref_id = c1.selectbox("Reference (training data)", choices.references,
                                  key=f"{KEY}.ref", format_func=lambda i: by_id[i].name)
            cur_id = c2.selectbox("Current (production stream or batch)", choices.productions,
                                  key=f"{KEY}.cur", format_func=lambda i: by_id[i].name)
            model_id = _model_picker(c3, choices)
            score_col = _score_picker(c3, store, choices, cur_id)
            time_cols = monitor.time_columns(store, cur_id) if cur_id is not None else []
            c4, c5, c6, c7 = st.columns(4)
            kind = c4.selectbox(
                "Windows", list(WINDOW_CHOICES), key=f"{KEY}.window",
                index=0 if time_cols else list(WINDOW_CHOICES).index("all"),
                format_func=WINDOW_CHOICES.__getitem__,
                help="Time windows need a date or time column. Without one, check the whole "
                     "dataset as one window (a reference-vs-current report), blocks of N rows "
                     "in file order, or one window per value of a batch column (a batch id, "
                     "a date stored as text).")
            time_col = c5.selectbox(
                "Time column", time_cols or ["(none in this dataset)"], key=f"{KEY}.time",
                index=time_cols.index(choices.time_role) if choices.time_role in time_cols else 0,
                help="For day, week or month windows (default: the project's time column).")
            rows = c6.number_input("Rows per window", 1, None, 1000, step=100, key=f"{KEY}.rows",
                                   help="For windows of N rows.")
            batch_cols = monitor.batch_columns(store, cur_id) if cur_id is not None else []
            batch = c7.selectbox("Batch column", batch_cols or ["(none)"], key=f"{KEY}.batch",
                                 help="For one window per batch value.")
            fallback = st.slider("Human fallback below confidence", 0.5, 0.95, 0.7, 0.05,
                                 key=f"{KEY}.fallback",
                                 help="Predictions with max(p, 1 − p) below this go to a person.")
            st.caption("Alert policies (which are on, thresholds, windows in a row) are the "
                       "project's: edit them in the Policies tab.")
            submitted = st.form_submit_button("Run monitoring", type="primary",
                                              disabled=not state.can_edit())
        if submitted and ref_id is not None and cur_id is not None:
            if kind == "column" and not batch_cols:
                st.error(f"{literal(repr(by_id[cur_id].name))} has no text, integer or date column to name "
                         "a batch: window it by rows or check it as one window.")
                return
            spec = {"rows": f"rows:{int(rows)}", "column": f"column:{batch}"}.get(kind, kind)
            settings = monitor.MonitorSettings(
                time_column=time_col if time_cols and kind in monitor.WINDOWS else None,
                window=spec, fallback_confidence=float(fallback),
                score_column="" if score_col == NO_SCORE else score_col)
            _run(store, project_id, ref_id, cur_id, model_id, settings, user)
            return
    resume_run(store, project_id)


def _model_picker(col, choices: RunChoices) -> int | None:
    options: list[int | None] = [None, *(v.id for v in choices.versions)]
    labels = {v.id: f"v{v.version} (run #{v.run_id}){' · ' + v.alias if v.alias else ''}"
              for v in choices.versions}
    return col.selectbox(
        "Model version", options, key=f"{KEY}.model",
        index=options.index(choices.champion_id) if choices.champion_id in options else 0,
        format_func=lambda i: "no model (data only)" if i is None else labels[i])


NO_SCORE = "(none: data checks only)"


def _score_picker(col, store: Database, choices: RunChoices, cur_id: int | None) -> str:
    """The score column of a model that runs elsewhere (default: the project's score role),
    used when no model version is picked."""
    options = [NO_SCORE, *(monitor.score_columns(store, cur_id) if cur_id is not None else [])]
    return col.selectbox(
        "Score column (no model)", options, key=f"{KEY}.score",
        index=options.index(choices.score_role) if choices.score_role in options else 0,
        help="With no model version picked: the column holding the scores of a model that "
             "runs elsewhere (the positive class's probability; a regression's prediction). "
             "Its outputs and performance are checked against the reference's scores and "
             "labels; feature importance needs the model and is not available. Default: the "
             "project's score column role. Ignored when a model version is picked.")


def _run(store: Database, project_id: int, ref_id: int, cur_id: int, model_id: int | None,
         settings: monitor.MonitorSettings, user: str) -> None:
    """Run monitoring as a job (leaving the page never stops it) and follow it."""

    def work(progress: Progress) -> dict:
        return {"run_id": monitor.run_monitoring(
            store, project_id, reference_dataset_id=ref_id, current_dataset_id=cur_id,
            model_version_id=model_id, settings=settings, actor=user, progress=progress,
        ).run_id}

    _show(jobs.run_job(store, JOB_KEY, "monitor", "Monitoring", work, actor=user,
                       project_id=project_id, show_error=False))


def resume_run(store: Database, project_id: int) -> None:
    """Follow a monitoring job of this project still running (e.g. the user came back)."""
    _show(jobs.resume(store, JOB_KEY, project_id, "monitor", "Monitoring", show_error=False))


def _show(job: Job | None) -> None:
    if job is None:
        return
    if job.status == "done" and job.result:
        # show the run just stored, not the one picked before
        st.session_state[RUN_KEY] = job.result["run_id"]
    elif job.status != "done":
        # outside the status box, which collapses: the reason must be seen
        st.error(f"Monitoring did not run: {_reason(job.error)}", icon=":material/error:")


def _reason(error: str | None) -> str:
    """A job's error as the user's message (a ValueError's text without its type name)."""
    text = error or "it was interrupted"
    return text.removeprefix("ValueError: ")


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


def windows_help(run: MonitorRunRow) -> str:
    """The run's windows in words (time periods, the whole dataset, rows, batches)."""
    try:
        w = monitor.parse_windows(run.time_window)
    except StoreError:
        return run.time_window
    return "Windows: " + w.describe(run.time_column or None) + "."


# ------------------------------------------------------------------------- tabs
def render_alerts(store: Database, project_id: int, run: MonitorRunRow,
                  alerts: pd.DataFrame) -> None:
    if alerts.empty:
        st.success("This run raised no alert.")
    else:
        show = alerts[["id", "window_label", "severity", "policy", "message", "status",
                       "acknowledged_by"]]
        st.dataframe(show, hide_index=True, column_config={
            "id": st.column_config.NumberColumn("alert", format="%d"),
            "window_label": st.column_config.TextColumn("window"),
            "message": st.column_config.TextColumn("what happened", width="large"),
        })
    left, right = st.columns(2)
    if len(alerts):
        with left.container(border=True):
            _acknowledge(store, alerts)
    with right.container(border=True):
        _retrain_box(store, project_id, run, alerts)


def _acknowledge(store: Database, alerts: pd.DataFrame) -> None:
    st.markdown("**Acknowledge an alert**")
    open_ids = alerts.loc[alerts["status"] == "open", "id"].tolist()
    if not open_ids:
        st.caption("Every alert of this run is acknowledged.")
        return
    pick = st.selectbox("Alert", open_ids, key=f"{KEY}.ack_pick",
                        format_func=lambda i: _alert_label(alerts, i))
    if st.button("Acknowledge", key=f"{KEY}.ack", disabled=not state.can_edit()):
        try:
            monitor.acknowledge_alert(store, int(pick), state.current_user())
        except StoreError as exc:
            st.error(message(exc))
        else:
            st.rerun()


def _alert_label(alerts: pd.DataFrame, alert_id: int) -> str:
    a = alerts[alerts["id"] == alert_id].iloc[0]
    return f"#{alert_id} {a['window_label']} {a['policy']}"


FIRST_ALERT, EVERY_ROW = "__first_alert__", "__every_row__"


def _retrain_box(store: Database, project_id: int, run: MonitorRunRow,
                 alerts: pd.DataFrame) -> None:
    """Retrain from a window of the run on, from before the first alert, or on every
    labelled row: with or without an alert."""
    st.markdown("**Continuous training**")
    st.caption("Retrain the champion's recipe on labelled rows of this run's current "
               "dataset, register it as challenger, and rehearse a canary. No alert is "
               "needed: fresh labels are reason enough.")
    labels = monitor.run_windows(store, run.id)["window_label"].tolist()
    options = ([FIRST_ALERT] if len(alerts) else []) + [EVERY_ROW] + labels
    names = {FIRST_ALERT: "one window before the first alert",
             EVERY_ROW: "every labelled row of the current dataset"}
    start = st.selectbox("Rows from", options, key=f"{KEY}.retrain_from",
                         format_func=lambda o: names.get(o, f"window {o} on"))
    if st.button("Retrain a challenger", key=f"{KEY}.retrain", type="primary",
                 disabled=not state.can_edit()):
        _retrain(store, project_id, run, None if start in (FIRST_ALERT, EVERY_ROW) else start,
                 all_rows=start == EVERY_ROW)


def _retrain(store: Database, project_id: int, run: MonitorRunRow, from_window: str | None,
             all_rows: bool = False) -> None:
    """Retrain as a job (leaving the page never stops it) and follow it."""
    user = state.current_user()

    def work(progress: Progress) -> dict:
        res = monitor.retrain_challenger(
            store, project_id, run.id, from_window=from_window, all_rows=all_rows,
            actor=user, progress=progress)
        return {"run_id": res.run_id, "rows": res.rows, "scope": res.scope,
                "version_id": res.version_id}

    job = jobs.run_job(store, f"{KEY}.retrain_job", "retrain", "Retraining a challenger", work,
                       actor=user, project_id=project_id, show_error=False)
    if job is None:
        return
    if job.status != "done" or not job.result:
        st.error(f"Retraining did not run: {_reason(job.error)}", icon=":material/error:")
        return
    res = job.result
    st.session_state["deploy.prefill_candidate"] = res["version_id"]
    st.success(f"Trained run #{res['run_id']} on {res['rows']:,} labelled rows ({res['scope']}); "
               f"registered as challenger (version id {res['version_id']}). Rehearse its "
               "canary next.")
    st.page_link("pages/6_Deployment.py", label="Open the Deployment page",
                 icon=":material/rocket_launch:")


def render_drift(store: Database, run: MonitorRunRow, results: pd.DataFrame) -> None:
    # theme=None: Streamlit's theme would replace the colour scale whose break marks "drifted"
    st.plotly_chart(charts.drift_heatmap(results), key=f"{KEY}.heatmap", theme=None)
    with st.expander("How drift is judged", icon=":material/help:"):
        st.markdown("\n".join(f"- **{m}**: {text}" for m, text in drift_methods.METHOD_HELP.items()))
    drift = results[results["kind"] == "drift"]
    cols = sorted(drift["column_name"].dropna().unique())
    windows = ordered_labels(drift)
    if not cols or not windows:
        return
    left, right = st.columns(2)
    col = str(left.selectbox("Feature", cols, key=f"{KEY}.dist_col"))
    win = right.selectbox("Window", windows, index=len(windows) - 1, key=f"{KEY}.dist_win")
    try:
        ref, cur, kind = monitor.column_distribution(store, run.summary, col, win)
    except StoreError as exc:
        st.info(message(exc))
    else:
        st.plotly_chart(charts.distribution_figure(ref, cur, col, kind), key=f"{KEY}.dist")
    if (results["kind"] == "multivariate").any():
        st.plotly_chart(charts.multivariate_figure(results), key=f"{KEY}.multi")


def render_performance(run: MonitorRunRow, results: pd.DataFrame) -> None:
    summary = run.summary
    if "model_version_id" not in summary and "score_column" not in summary:
        st.info("This run had no model: pick a model version, or the score column of a model "
                "that runs elsewhere, to see performance and outputs.")
        return
    metric = summary.get("primary_metric") or "accuracy"
    found = summary.get("detection_windows", {})
    det = pd.DataFrame([{"detector": d, "when": w, "window": (found.get(d) or [None] * len(ws))[i]}
                        for d, ws in summary.get("detections", {}).items()
                        for i, w in enumerate(ws)])
    det = det if len(det) else pd.DataFrame(columns=["detector", "when", "window"])
    st.plotly_chart(charts.performance_figure(results, metric, summary.get("primary_floor"), det),
                    key=f"{KEY}.perf")
    label = summary.get("label_column")
    if summary.get("task") == "regression":
        _regression_caption(results, label)
    else:
        st.caption(f"Realized: where labels{f' ({label})' if label else ''} have arrived. "
                   "Estimated: from the model's probabilities without labels (confidence-based "
                   "estimation, as NannyML's CBPE); the band is where the realized value "
                   "should fall if the probabilities are right. The estimate cannot see "
                   "concept drift, so a gap between the two lines is itself a signal.")
        _calibration_caption(summary.get("calibration"), summary.get("score_column"))
    if len(det):
        st.dataframe(det.groupby("detector")["when"].agg(["count", "first"]).rename(
            columns={"count": "detections", "first": "first detection"}))
    st.plotly_chart(charts.output_figure(results, _positive_label(summary)), key=f"{KEY}.outputs")
    top = summary.get("top_features") or []
    if top:
        st.caption("Top features by influence on the score: " + ", ".join(top))
    elif summary.get("importance_note"):
        st.caption(f"Scores from {literal(summary.get('scores_from') or '')}. Feature "
                   f"importance: {summary['importance_note']}.")


def _regression_caption(results: pd.DataFrame, label: str | None) -> None:
    """What applies to a regression model, said plainly, and its realized errors."""
    st.info("Regression model: realized MAE, RMSE and R² are shown where labels"
            f"{f' ({label})' if label else ''} arrived (at least the run's minimum per "
            "window). The estimate without labels is **not available for regression**: it "
            "estimates a classifier's confusion matrix from its probabilities. The "
            "error-stream detectors need right / wrong outcomes and do not apply either; the "
            "drift of the predictions (output drift) needs no labels.",
            icon=":material/info:")
    real = results[results["metric"].isin(["realized_mae", "realized_rmse", "realized_r2",
                                           "labelled_rows"])]
    if len(real):
        st.dataframe(real.pivot_table(index="window_label", columns="metric", values="value",
                                      sort=False), column_config={"window_label": "window"})


def _positive_label(summary: dict) -> str | None:
    """``target = positive class`` when the run recorded both (older runs did not)."""
    label, positive = summary.get("label_column"), summary.get("positive_class")
    return f"{label} = {positive}" if label and positive is not None else None


def _calibration_caption(cal: dict | None, score_column: str | None = None) -> None:
    if not cal:
        return
    if cal.get("method") == "isotonic":
        where = (f"the reference dataset's {literal(repr(score_column))} and labels"
                 if score_column else f"the model run's {cal.get('part')} part")
        st.caption(f"Scores calibrated by isotonic regression on {where} "
                   f"({cal.get('n'):,} rows): expected calibration "
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
    summary = (flagged.sort_values("window_index", na_position="first")
               .groupby(["column_name", "metric"])
               .agg(windows=("value", "size"), first=("window_label", "first"),
                    worst=("value", "max"), threshold=("threshold", "first"))
               .reset_index())
    st.dataframe(summary, hide_index=True, column_config={
        "column_name": "column", "metric": "check", "windows": "windows flagged",
        "first": st.column_config.TextColumn("first flagged"),
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
