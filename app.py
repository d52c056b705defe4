"""Overview: project picker, the lifecycle checklist and what the project holds."""

import streamlit as st

from core import monitoring
from core import projects as core_projects
from core.data.samples import SAMPLES
from core.errors import StoreError
from ui import overview, session, state
from ui.text import literal, message

store, project = session.start("Overview", ":material/home:")
user = state.current_user()

st.title("ML Production Workbench")
st.caption(
    "Take one model through its production lifecycle: scope it, get and label the data, "
    "train, analyse errors, rehearse the rollout and monitor it until it is retrained."
)

with st.expander("New project", icon=":material/add:", expanded=project is None):
    with st.form("home.new_project", clear_on_submit=True):
        name = st.text_input("Name", key="home.new_name", help="A short, unique name, e.g. 'Churn v2'.")
        description = st.text_area("What is it for?", key="home.new_description", height=80)
        if st.form_submit_button("Create project", type="primary"):
            try:
                new_id = core_projects.create_project(store, name, user, description)
            except StoreError as exc:
                st.error(message(exc))
            else:
                st.session_state[state.PROJECT_ID] = new_id
                st.rerun()

if project is None:
    st.info("No project yet. Create one above.")
    st.stop()

st.header(literal(project.name))
if project.description:
    st.markdown(literal(project.description, multiline=True))

st.subheader("Lifecycle")
steps = core_projects.lifecycle(store, project.id)
badge = {"done": ":green[● done]", "in progress": ":orange[◐ in progress]", "not started": ":gray[○ not started]"}
for col, step in zip(st.columns(len(steps)), steps, strict=True):
    with col.container(border=True):
        st.markdown(f"**{step.step}**  \n{badge[step.status]}")
        st.caption(literal(step.evidence))
        st.caption(f"Next: {literal(step.next_action)}")

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
with st.popover("Add a bundled dataset", icon=":material/dataset:"):
    sample = st.selectbox("Sample", list(SAMPLES), format_func=lambda k: SAMPLES[k], key="home.sample")
    if st.button("Add to project", key="home.add_sample"):
        try:
            core_projects.add_sample_dataset(store, project.id, sample, user)
        except StoreError as exc:
            st.error(message(exc))
        else:
            st.rerun()

overview.column_roles_editor(store, project.id, user)

with st.expander("Activity (audit log)", icon=":material/history:"):
    st.dataframe(core_projects.audit_log(store, project.id), hide_index=True)

with st.expander("Delete this project", icon=":material/delete:"):
    st.warning("Deleting removes the project, its datasets and every stored result. It cannot be undone.")
    confirm = st.text_input(f"Type **{literal(project.name)}** to confirm", key="home.delete_confirm")
    # compared as one line: a name stored with a line break before names were checked can
    # still be typed to delete it
    if st.button("Delete project", key="home.delete", disabled=confirm.split() != project.name.split()):
        core_projects.delete_project(store, project.id, user)
        st.session_state.pop(state.PROJECT_ID, None)
        st.rerun()
