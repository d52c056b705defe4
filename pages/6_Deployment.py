"""Deployment: replay a production stream through shadow, canary and blue-green rollouts."""


import streamlit as st

from core import deploy
from core.charts import deploy as charts_deploy
from ui import deploy as deploy_ui
from ui import gates as gates_ui
from ui import session

ctx = session.page(
    "Deployment",
    ":material/rocket_launch:",
    "Replay a stored production stream through a rollout before touching production: "
    "**shadow** (the model decides beside the current process, nothing it says is served), "
    "**canary** (a growing share routed by a stable hash of the request id, rolled back "
    "automatically on a guardrail breach) or **blue-green** (switch everything at once, keep "
    "the old side warm, roll back at once). Guardrails default to the scoping contract; for a "
    "regression model they are MAE / RMSE ceilings, and a wrong answer is a prediction off "
    "by more than the error tolerance.",
    heading="Deployment rehearsal",
)
store, project, user = ctx.store, ctx.project, ctx.user

streams = deploy.list_streams(store, project.id)
names, default_cand = deploy.candidates(store, project.id)
if default_cand is None or not streams:
    st.info(
        "Nothing to rehearse yet: a rollout needs a registered model version (Training page) "
        "and a stored stream of requests (Data page); without a time column it is replayed "
        "in file order."
    )
    st.page_link("app.py", label="Go to the Overview", icon=":material/home:")
    st.stop()

prefill = st.session_state.get("deploy.prefill_candidate")  # set by Monitoring's retraining
retrained = None if prefill in names else gates_ui.retrained_candidate(store, project.id, names)
default_cand = retrained or default_cand
if prefill in names:
    default_cand = prefill
    st.success(f"A challenger retrained after a monitoring alert ({names[prefill]}) is "
               "pre-selected as candidate: open **New rehearsal** and run its canary.")

deploy_ui.demo_story(store, project.id)  # the seeded demo project only
gates_ui.gate_runs(store, project.id, project.name, "deploy")

deploy_ui.rehearsal_form(store, project.id, streams, names, default_cand, user)

sim_id = deploy_ui.rehearsal_picker(store, project.id)
if sim_id is None:
    st.info("No rehearsal stored yet: open **New rehearsal** above and run one.")
    st.stop()
sim = deploy.load_simulation(store, sim_id)

deploy_ui.verdict(sim)
deploy_ui.summary_metrics(sim)

st.plotly_chart(
    charts_deploy.timeline_figure(
        sim.timeline, sim.checks, sim.events, f"#{sim.id} {sim.name}",
        candidate=str(sim.candidate.get("name") or ""),
        incumbent=str(sim.incumbent.get("name") or ""),
        file_order=sim.settings.file_order,
    ),
    key="deploy.timeline",
)

tab_events, tab_steps, tab_windows, tab_compare = st.tabs(
    ["Events", "Guardrails by step", "Per-window timeline", "Compare patterns"]
)
with tab_events:
    st.dataframe(deploy.events_frame(sim), hide_index=True, key="deploy.events")
with tab_steps:
    st.caption(
        "Where each guardrail was checked: windows judged, passed and breached at each traffic share."
    )
    st.dataframe(deploy.guardrail_steps(sim.checks), hide_index=True, key="deploy.steps")
with tab_windows:
    st.dataframe(deploy.timeline_frame(sim), hide_index=True, key="deploy.windows")
with tab_compare:
    comp = deploy.comparison_frame(store, project.id, sim.dataset_id)
    st.caption("Every rehearsal stored on the same stream, side by side.")
    st.dataframe(comp, hide_index=True, key="deploy.comparison")
    st.plotly_chart(charts_deploy.comparison_figure(comp), key="deploy.comparison_chart")
