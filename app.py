"""Overview: project picker, the lifecycle checklist and what the project holds."""

import streamlit as st

from core import jobs as core_jobs
from core import monitoring
from core import projects as core_projects
from core.data.samples import SAMPLES
from core.errors import StoreError
from ui import jobs, overview, session, state, tour

store, project = session.start("Overview", ":material/home:", defer_seeding=True)
user = state.current_user()
if project is not None and tour.active():  # read-only: the tour and its buttons, nothing else
    tour.render(store, project)
    st.stop()
user_can_edit = state.can_edit()

st.title("ML Production Workbench")
st.caption(
    "Take one model through its production lifecycle: scope it, get and label the data, "
    "train, analyse errors, rehearse the rollout and monitor it until it is retrained."
)
seeding_slot = st.empty()  # the demo's seeding job, followed once the page is drawn

overview.show_flash()
overview.new_project_form(store, user, expanded=project is None)

if project is None:
    st.info("No project yet. Create one above.")
    st.stop()

st.header(project.name)
if project.description:
    st.write(project.description)
tour.start_button(store, project)

st.subheader("Lifecycle")
steps = core_projects.lifecycle(store, project.id)
badge = {"done": ":green[● done]", "in progress": ":orange[◐ in progress]", "not started": ":gray[○ not started]"}
for col, step in zip(st.columns(len(steps)), steps, strict=True):
    with col.container(border=True):
        st.markdown(f"**{step.step}**  \n{badge[step.status]}")
        st.caption(step.evidence)
        st.caption(f"Next: {step.next_action}")

alerts = monitoring.open_alerts(store, project.id)
st.subheader(f"Open alerts ({len(alerts)})")
if alerts.empty:
    st.caption("No open alert. Monitoring runs raise alerts when drift, decay or service checks fail.")
else:
    st.dataframe(
        alerts[["window_label", "severity", "policy", "message"]],
        hide_index=True,
        column_config={"window_label": st.column_config.TextColumn("window"),
                       "message": st.column_config.TextColumn("what happened", width="large")},
    )
    st.page_link("pages/7_Monitoring.py", label="Review them on the Monitoring page",
                 icon=":material/monitor_heart:")

overview.approvals_panel(store, project.id, user)
overview.report_panel(store, project.id, project.name, user)

actions = core_projects.open_actions_frame(store, project.id)
if len(actions):
    st.subheader(f"Open error-analysis actions ({len(actions)})")
    st.dataframe(actions, hide_index=True)
    st.page_link("pages/5_Error_analysis.py", label="Work on them on the Error analysis page",
                 icon=":material/troubleshoot:")

st.subheader("Datasets")
datasets = core_projects.datasets_frame(store, project.id)
if len(datasets):
    st.dataframe(
        datasets,
        hide_index=True,
        column_config={"hash": st.column_config.TextColumn("data version", help="Content hash of the rows")},
    )
else:
    st.info("This project has no dataset yet.")
with st.popover("Add a bundled dataset", icon=":material/dataset:", disabled=not user_can_edit):
    sample = st.selectbox("Sample", list(SAMPLES), format_func=lambda k: SAMPLES[k], key="home.sample")
    if st.button("Add to project", key="home.add_sample", disabled=not user_can_edit):
        try:
            core_projects.add_sample_dataset(store, project.id, sample, user)
        except StoreError as exc:
            st.error(str(exc))
        else:
            st.rerun()

overview.column_roles_editor(store, project.id, user)

with st.expander("Background jobs", icon=":material/pending_actions:"):
    st.caption("Training, searches, monitoring runs (from the page or a scheduler) and the "
               "demo's seeding run in the server, whether or not a page watches them.")
    st.dataframe(core_jobs.jobs_frame(store, project.id), hide_index=True,
                 column_config={"progress": st.column_config.ProgressColumn("progress")})

with st.expander("Activity (audit log)", icon=":material/history:"):
    st.dataframe(core_projects.audit_log(store, project.id), hide_index=True)

overview.backup_panel(store, project, user)
overview.delete_project_panel(store, project, user)
session.seed_rest(store)  # the demo's remaining steps as a job, now that the page is drawn
seeding = session.demo_job(store)
if seeding is not None:
    with seeding_slot.container():
        st.caption("The demo's models, rollout rehearsals and monitoring run are being prepared "
                   "in the background: browse meanwhile, they appear as they are stored.")
        ended = jobs.follow(store, seeding.id, "Preparing the rest of the demo")
    if ended is not None and ended.status == "done":
        st.rerun()
