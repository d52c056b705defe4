"""Deployment: replay a production stream through shadow, canary and blue-green rollouts."""


import streamlit as st

from core import deploy
from core.charts import deploy as charts_deploy
from core.db import datasets as datasets_db
from core.training import registry
from ui import deploy as deploy_ui
from ui import session

ctx = session.page(
    "Deployment",
    ":material/rocket_launch:",
    "Replay a stored production stream through a rollout before touching production: "
    "**shadow** (the model decides beside the current process, nothing it says is served), "
    "**canary** (a growing share routed by a stable hash of the request id, rolled back "
    "automatically on a guardrail breach) or **blue-green** (switch everything at once, keep "
    "the old side warm, roll back at once). Guardrails default to the scoping contract.",
    heading="Deployment rehearsal",
)
store, project, user = ctx.store, ctx.project, ctx.user

datasets = datasets_db.list_datasets(store, project.id)
versions = [v for v in registry.list_versions(store, project.id) if v.status == "active"]
streams = sorted(datasets, key=lambda d: d.role != "production")
if not versions or not streams:
    st.info(
        "Nothing to rehearse yet: a rollout needs a registered model version (Training page) "
        "and a stored stream with request times (Data page)."
    )
    st.page_link("app.py", label="Go to the Overview", icon=":material/home:")
    st.stop()

names = {v.id: f"v{v.version}{' ' + v.alias if v.alias else ''}" for v in versions}
default_cand = next((v.id for v in versions if v.alias == "challenger"), versions[0].id)
prefill = st.session_state.get("deploy.prefill_candidate")  # set by Monitoring's retraining
if prefill in names:
    default_cand = prefill
    st.success(f"A challenger retrained after a monitoring alert ({names[prefill]}) is "
               "pre-selected as candidate: open **New rehearsal** and run its canary.")

if project.is_demo:
    st.info(
        "**The demo's story.** The champion shadowed the adjusters from September to November "
        "and held its guardrails. On 1 December two rollouts were rehearsed on the same "
        "traffic: a naive blue-green switch and a canary (5% → 10% → 25% → 50% → 100%). On "
        "15 January 2026 a fraud ring starts filing quickly reported claims and the model "
        "decays: the canary, still at 50%, rolls back on its own; the blue-green switch had "
        "served every claim since December. Compare them under **Compare patterns**.",
        icon=":material/auto_stories:",
    )

deploy_ui.rehearsal_form(store, project.id, streams, names, default_cand, user)

sims = deploy.simulations_frame(store, project.id)
if sims.empty:
    st.info("No rehearsal stored yet: open **New rehearsal** above and run one.")
    st.stop()

st.subheader("Rehearsals")
labels = dict(
    zip(
        sims["id"],
        sims["name"] + " · " + sims["pattern"] + " · " + sims["decision"],
        strict=True,
    )
)
if st.session_state.get("deploy.sim") not in labels:
    st.session_state["deploy.sim"] = int(sims["id"].iloc[0])
sim_id = st.selectbox(
    "Show", list(labels), format_func=lambda i: f"#{i} {labels[i]}", key="deploy.sim"
)
sim = deploy.load_simulation(store, int(sim_id))
summ = sim.summary

verdict = summ.get("decision", "no-go")
box = st.success if verdict == "go" else st.warning
box(
    f"**{verdict.upper()}** — {sim.candidate.get('name')} vs {sim.incumbent.get('name')} "
    f"({sim.pattern.replace('_', '-')})",
    icon=":material/check_circle:" if verdict == "go" else ":material/block:",
)
for reason in summ.get("reasons", []):
    st.markdown(f"- {reason}")
for w in summ.get("warnings", []):
    st.warning(w)

cols = st.columns(6)
cols[0].metric(
    "Served by candidate",
    f"{summ.get('served_by_candidate', 0):,}",
    help="Requests whose answer came from the candidate side.",
)
cols[1].metric(
    "Errors exposed",
    f"{summ.get('errors_exposed', 0):,}",
    help="Wrong decisions (by the labels) plus failed requests served by the candidate.",
)
cols[2].metric(
    "Extra wrong vs incumbent",
    f"{summ.get('excess_wrong', 0):,}",
    help="Wrong decisions the candidate served beyond those the incumbent would have made on the same requests.",
)
cols[3].metric("Rollbacks", summ.get("rollbacks", 0))
full = summ.get("time_to_full_rollout_days")
cols[4].metric("Days to full rollout", "—" if full is None else f"{full:g}")
ttd = summ.get("time_to_detect_hours")
cols[5].metric(
    "Hours to detect",
    "—" if ttd is None else f"{ttd:g}",
    help="From the onset of the degradation (first window of the unbroken bad run) to the rollback decision.",
)
if summ.get("bad_side_requests") is not None:
    st.caption(
        f"Between the onset ({summ['onset']}) and the rollback ({summ['rolled_back_at']}, "
        f"{summ['time_to_rollback_hours'] * 3600:g} s after detection) the bad side served "
        f"{summ['bad_side_requests']:,} requests, {summ['bad_side_wrong']:,} of them wrong."
    )

st.plotly_chart(
    charts_deploy.timeline_figure(sim.timeline, sim.checks, sim.events, f"#{sim.id} {sim.name}"),
    key="deploy.timeline",
)

tab_events, tab_steps, tab_windows, tab_compare = st.tabs(
    ["Events", "Guardrails by step", "Per-window timeline", "Compare patterns"]
)
with tab_events:
    st.dataframe(sim.events, hide_index=True, key="deploy.events")
with tab_steps:
    st.caption(
        "Where each guardrail was checked: windows judged, passed and breached at each traffic share."
    )
    st.dataframe(deploy.guardrail_steps(sim.checks), hide_index=True, key="deploy.steps")
with tab_windows:
    st.dataframe(sim.timeline, hide_index=True, key="deploy.windows")
with tab_compare:
    comp = deploy.comparison_frame(store, project.id, sim.dataset_id)
    st.caption("Every rehearsal stored on the same stream, side by side.")
    st.dataframe(comp, hide_index=True, key="deploy.comparison")
    st.plotly_chart(charts_deploy.comparison_figure(comp), key="deploy.comparison_chart")
