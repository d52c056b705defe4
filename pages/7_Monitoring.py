"""Monitoring: drift, decay and health of the deployed model, with alerts and retraining."""

import json

import pandas as pd
import streamlit as st

from core import monitoring as monitor
from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.errors import StoreError
from core.training import registry
from ui import monitoring as tabs
from ui import session

ctx = session.page(
    "Monitoring",
    ":material/monitor_heart:",
    "Compare production windows with the training data: data drift, model decay, input "
    "and output checks, service health. Alerts follow the scoping contract's thresholds; "
    "an alert can retrain a challenger for a canary.",
)
store, project, user = ctx.store, ctx.project, ctx.user
K = "monitoring"

datasets = datasets_db.list_datasets(store, project.id)
if not datasets:
    st.info("This project has no dataset yet: load one on the Data page.")
    st.stop()
by_id = {d.id: d for d in datasets}
train = [d.id for d in datasets if d.role in ("training", "reference")] or list(by_id)
prod = [d.id for d in datasets if d.role == "production"] or list(by_id)
versions = [v for v in registry.list_versions(store, project.id) if v.status == "active"]
champion = registry.get_champion(store, project.id)

with st.expander("New monitoring run", icon=":material/play_circle:",
                 expanded=monitoring_db.list_monitor_runs(store, project.id).empty):
    with st.form(f"{K}.form"):
        c1, c2, c3 = st.columns(3)
        ref_id = c1.selectbox("Reference (training data)", train, key=f"{K}.ref",
                              format_func=lambda i: by_id[i].name)
        cur_id = c2.selectbox("Current (production stream)", prod, key=f"{K}.cur",
                              format_func=lambda i: by_id[i].name)
        options = [None] + [v.id for v in versions]
        labels = {v.id: f"v{v.version} (run #{v.run_id}){' · ' + v.alias if v.alias else ''}"
                  for v in versions}
        model_id = c3.selectbox("Model version", options, key=f"{K}.model",
                                index=options.index(champion.id) if champion else 0,
                                format_func=lambda i: "no model (data only)" if i is None
                                else labels[i])
        c4, c5, c6, c7 = st.columns(4)
        time_cols = [c for c, t in datasets_db.dataset_schema(store, cur_id) if "TIMESTAMP" in t or "DATE" in t]
        time_col = c4.selectbox("Time column", time_cols or ["(none)"], key=f"{K}.time")
        window = c5.selectbox("Window", ["week", "day", "month"], key=f"{K}.window")
        persistence = c6.number_input("Windows a combined policy needs", 1, 6, 2,
                                      key=f"{K}.persistence")
        fallback = c7.slider("Human fallback below confidence", 0.5, 0.95, 0.7, 0.05,
                             key=f"{K}.fallback",
                             help="Predictions with max(p, 1 − p) below this go to a person.")
        submitted = st.form_submit_button("Run monitoring", type="primary")
    if submitted:
        settings = monitor.MonitorSettings(time_column=time_col, window=window,
                                           persistence=int(persistence),
                                           fallback_confidence=float(fallback))
        with st.status("Monitoring…", expanded=True) as status:
            bar = st.progress(0.0)
            try:
                monitor.run_monitoring(
                    store, project.id, reference_dataset_id=ref_id, current_dataset_id=cur_id,
                    model_version_id=model_id, settings=settings, actor=user,
                    progress=lambda f, m: bar.progress(f, text=m))
            except (StoreError, ValueError) as exc:
                status.update(label="Monitoring did not run", state="error")
                st.error(str(exc))
            else:
                status.update(label="Monitoring run stored", state="complete", expanded=False)

runs = monitoring_db.list_monitor_runs(store, project.id)
if runs.empty:
    st.info("No monitoring run yet: start one above.")
    st.stop()
run_id = st.selectbox(
    "Monitoring run", runs["id"].tolist(), key=f"{K}.run",
    format_func=lambda i: (lambda r: f"#{i} · {by_id[r['current_dataset_id']].name if r['current_dataset_id'] in by_id else '?'}"
                           f" · {r['time_window']} · {pd.Timestamp(r['created_at']):%Y-%m-%d %H:%M}"
                           f" · {r['source']}")(runs[runs['id'] == i].iloc[0]))
row = runs[runs["id"] == run_id].iloc[0].to_dict()
run = {**row, "settings": json.loads(row["settings"]), "summary": json.loads(row["summary"])}
results = monitoring_db.monitor_results(store, run_id)
summary = run["summary"]

alerts = monitoring_db.list_alerts(store, project.id)
alerts = alerts[alerts["run_id"] == run_id]
share = summary.get("share_drifted") or [{}]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Windows checked", summary.get("windows"))
m2.metric("Features drifted, last window", f"{(share[-1].get('share_drifted') or 0):.0%}")
m3.metric("Open alerts", int((alerts["status"] == "open").sum()),
          help="Alerts of this run not yet acknowledged.")
est = results[results["metric"] == f"estimated_{summary.get('primary_metric')}"]
m4.metric(f"Estimated {summary.get('primary_metric', 'metric')}, last window",
          f"{est.sort_values('window_start')['value'].iloc[-1]:.3f}" if len(est) else "—")

for note in summary.get("notes", []):
    st.info(note, icon=":material/info:")

t_alerts, t_drift, t_perf, t_inputs, t_service, t_policies = st.tabs(
    ["Alerts", "Data drift", "Performance & outputs", "Input checks", "Service", "Policies"])
with t_alerts:
    tabs.render_alerts(store, project.id, run)
with t_drift:
    tabs.render_drift(store, run, results)
with t_perf:
    tabs.render_performance(run, results)
with t_inputs:
    tabs.render_inputs(results)
with t_service:
    tabs.render_service(run, results)
with t_policies:
    tabs.render_policies(run)
