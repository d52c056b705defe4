"""Monitoring: drift, decay and health of the deployed model, with alerts and retraining."""

import streamlit as st

from core import monitoring as monitor
from ui import monitoring as tabs
from ui import monitoring_policies as policies
from ui import session
from ui.text import literal

ctx = session.page(
    "Monitoring",
    ":material/monitor_heart:",
    "Compare production windows with the training data: data drift, model decay, input "
    "and output checks, service health. Alerts follow the scoping contract's thresholds; "
    "an alert can retrain a challenger for a canary.",
)
store, project, user = ctx.store, ctx.project, ctx.user

choices = monitor.run_choices(store, project.id)
if not choices.datasets:
    st.info("This project has no dataset yet: load one on the Data page.")
    st.stop()

runs = monitor.list_runs(store, project.id)
tabs.render_new_run(store, project.id, choices, user, expanded=runs.empty)
runs = monitor.list_runs(store, project.id)
if runs.empty:
    st.info("No monitoring run yet: start one above.")
    st.stop()
run = tabs.pick_run(store, runs)
results = monitor.run_results(store, run.id)
alerts = monitor.run_alerts(store, project.id, run.id)
summary = run.summary

share = summary.get("share_drifted") or [{}]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Windows checked", summary.get("windows"), help=tabs.windows_help(run))
m2.metric("Features drifted, last window", f"{(share[-1].get('share_drifted') or 0):.0%}")
m3.metric("Open alerts", int((alerts["status"] == "open").sum()),
          help="Alerts of this run not yet acknowledged.")
metric = summary.get("primary_metric", "metric")
est = results[results["metric"] == f"estimated_{metric}"]
m4.metric(f"Estimated {metric}, last window",
          summary.get("estimate") or (f"{est.sort_values('window_index')['value'].iloc[-1]:.3f}"
                                      if len(est) else "—"),
          help="Estimated from the model's probabilities, without labels (classifiers only).")

for note in summary.get("notes", []):
    st.info(literal(note), icon=":material/info:")

t_alerts, t_drift, t_perf, t_inputs, t_service, t_policies = st.tabs(
    ["Alerts", "Data drift", "Performance & outputs", "Input checks", "Service", "Policies"])
with t_alerts:
    tabs.render_alerts(store, project.id, run, alerts)
with t_drift:
    tabs.render_drift(store, run, results)
with t_perf:
    tabs.render_performance(run, results)
with t_inputs:
    tabs.render_inputs(results)
with t_service:
    tabs.render_service(run, results)
with t_policies:
    policies.render_policies(store, project.id, run, user)
