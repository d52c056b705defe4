"""Widgets of the Overview page that hold more than a call: the column roles editor, new
project, delete (admins), backup and restore; write widgets are off for a viewer (core
refuses their writes anyway)."""

from __future__ import annotations

import streamlit as st

from core import access, backup, governance, projects
from core.access import Actor
from core.db.database import Database
from core.db.projects import ProjectRow
from core.errors import StoreError
from ui import state
from ui.text import literal, message

NONE = "(none)"


def column_roles_editor(store: Database, project_id: int, user: str, key: str = "home") -> None:
    """Which column plays which role; every stage reads them (proposals from the data, with
    the rule that proposed each). ``key`` prefixes the widget keys (the Overview and the
    Data page both show the editor)."""
    columns = projects.project_columns(store, project_id)
    with st.expander("Column roles", icon=":material/view_column:",
                     expanded=bool(columns) and not any(
                         projects.column_roles(store, project_id).as_dict().values())):
        if not columns:
            st.caption("Load a dataset first: the roles name its columns.")
            return
        st.caption("Which column of your data plays which role. Monitoring, deployment and "
                   "training read these, so no page needs your column names again. Unset "
                   "roles are proposed from the data's types and names: check, then save.")
        proposal = projects.proposed_column_roles(store, project_id)
        proposed = proposal.as_dict()
        options = [NONE, *columns]
        with st.form(f"{key}.roles"):
            picked = {}
            cols = st.columns(3)
            for i, (role, help_text) in enumerate(projects.ROLES.items()):
                col = cols[i % 3]
                current = proposed.get(role)
                picked[role] = col.selectbox(
                    role, options, index=options.index(current) if current in options else 0,
                    help=help_text, key=f"{key}.role.{role}",
                )
                rule = proposal.rules.get(role)
                col.caption(f"Why: {rule}." if rule else "Not proposed: pick it if one fits.")
            if st.form_submit_button("Save column roles", disabled=not access.can_edit(user)):
                try:
                    projects.save_column_roles(
                        store, project_id,
                        {r: None if c == NONE else c for r, c in picked.items()}, user,
                    )
                except StoreError as exc:
                    st.error(message(exc))
                else:
                    st.success("Column roles saved.", icon=":material/check_circle:")


# ------------------------------------------------------------------ governance
_APPROVAL_BADGE = {"approved": ":green[● approved]", "not approved": ":gray[○ not approved]",
                   "invalidated": ":red[✕ invalidated: evidence changed]"}


def approvals_panel(store: Database, project_id: int, user: str) -> None:
    """Each gate's approval (who, when, on what; or why it no longer holds) and the form
    that records one."""
    st.subheader("Approvals")
    if governance.approvals_required(store, project_id):
        st.caption(":material/gavel: The brief requires approvals before a model becomes "
                   "champion: the brief, the model's data version and the model itself.")
    statuses = governance.gate_status(store, project_id)
    for col, g in zip(st.columns(len(statuses)), statuses, strict=True):
        with col.container(border=True):
            st.markdown(f"**{g.label}**  \n{_APPROVAL_BADGE[g.status]}")
            if g.approved_at is not None:
                st.caption(f"{literal(g.subject)} — by {literal(g.approved_by)}, "
                           f"{g.approved_at:%Y-%m-%d %H:%M} UTC"
                           + (f": “{literal(g.comment)}”" if g.comment else ""))
            if g.reason:
                st.caption(f"What changed: {literal(g.reason)}. Approve again if it still holds.")
    with st.expander("Record an approval; history", icon=":material/verified:"):
        gate = st.selectbox("Gate", list(governance.GATES), format_func=lambda g: governance.GATES[g],
                            key="home.approve.gate")
        options = governance.subjects(store, project_id, gate)
        if not options:
            st.caption("Nothing to approve at this gate yet: save a brief, load data, register "
                       "a model or rehearse a rollout first.")
        else:
            subject = st.selectbox("What you approve", list(options), format_func=lambda i: options[i],
                                   key=f"home.approve.subject.{gate}",
                                   help="The approval records this item's content hash: it "
                                   "stays valid only while that is unchanged.")
            comment = st.text_area("Comment: what you checked", key="home.approve.comment",
                                   height=68)
            if st.button("Approve", key="home.approve", type="primary",
                         icon=":material/check_circle:", disabled=not access.can_edit(user)):
                try:
                    governance.approve(store, project_id, gate, user, comment, subject)
                except StoreError as exc:
                    st.error(message(exc))
                else:
                    st.rerun()
        history = governance.approvals_frame(store, project_id)
        if len(history):
            st.dataframe(history, hide_index=True)


REPORT = "home.report.built"  # session key: the card and report last built, per project


def report_panel(store: Database, project_id: int, project_name: str, user: str) -> None:
    """The team's limitations, then the model card (Markdown) and the stakeholder report
    (HTML, PDF) built from the store on request and offered as downloads."""
    from core.governance import card, facts, report

    with st.expander("Model card and stakeholder report", icon=":material/description:"):
        lim = facts.get_limitations(store, project_id)
        with st.form("home.limitations"):
            text = st.text_area(
                "Limitations (written by the team, shown in the model card)",
                value=lim.text if lim else "", key="home.limitations_text",
                help="What the model must not be used for, where it is known to be weak.")
            if st.form_submit_button("Save limitations", disabled=not access.can_edit(user)):
                try:
                    facts.save_limitations(store, project_id, text, user)
                except StoreError as exc:
                    st.error(message(exc))
                else:
                    st.success("Limitations saved.", icon=":material/check_circle:")
        if st.button("Build the model card and report", key="home.build_report",
                     icon=":material/summarize:"):
            with st.spinner("Reading the stored results…"):
                f = facts.collect_facts(store, project_id)
                st.session_state[REPORT] = {"project": project_id, "card": card.model_card(f),
                                            "html": report.report_html(f), "pdf": None}
        built = st.session_state.get(REPORT)
        if not built or built["project"] != project_id:
            st.caption("Built from what is stored now: brief, data, runs, slices, labels, "
                       "rehearsals, monitoring, approvals and the limitations above.")
            return
        stem = card.card_filename(project_name).removesuffix("_model_card.md")
        c1, c2, c3 = st.columns(3)
        c1.download_button("Model card (Markdown)", built["card"], card.card_filename(project_name),
                           mime="text/markdown", key="home.dl_card")
        c2.download_button("Report (HTML, works offline)", built["html"], f"{stem}_report.html",
                           mime="text/html", key="home.dl_html")
        if built["pdf"] is None and c3.button("Print the report to PDF", key="home.build_pdf"):
            try:
                with st.spinner("Printing with headless chromium…"):
                    built["pdf"] = report.report_pdf(built["html"])
            except StoreError as exc:
                st.error(message(exc))
        if built["pdf"] is not None:
            c3.download_button("Report (PDF)", built["pdf"], f"{stem}_report.pdf",
                               mime="application/pdf", key="home.dl_pdf")
        with st.container(height=400, border=True):
            st.markdown(built["card"])


def new_project_form(store: Database, user: Actor, expanded: bool) -> None:
    """Create a project (editors and admins; a viewer sees why the form is off)."""
    editable = access.can_edit(user)
    with st.expander("New project", icon=":material/add:", expanded=expanded and editable):
        if not editable:
            st.caption("Your role (viewer) can look at projects but not create them.")
        with st.form("home.new_project", clear_on_submit=True):
            name = st.text_input("Name", key="home.new_name",
                                 help="A short, unique name, e.g. 'Churn v2'.")
            description = st.text_area("What is it for?", key="home.new_description", height=80)
            if st.form_submit_button("Create project", type="primary", disabled=not editable):
                try:
                    new_id = projects.create_project(store, name, user, description)
                except StoreError as exc:
                    st.error(message(exc))
                else:
                    st.session_state[state.PROJECT_ID] = new_id
                    st.rerun()


def delete_project_panel(store: Database, project: ProjectRow, user: Actor) -> None:
    """Delete the project (admins only): its datasets, results and model files."""
    allowed = access.may(user, "delete", "project")
    with st.expander("Delete this project", icon=":material/delete:"):
        if not allowed:
            st.caption(f"Only an admin can delete a project; your role is {user.role.label}.")
        st.warning("Deleting removes the project, its datasets, every stored result and its "
                   "model files. It cannot be undone: download a backup first.")
        confirm = st.text_input(f"Type **{literal(project.name)}** to confirm",
                                key="home.delete_confirm",
                                disabled=not allowed)
        if st.button("Delete project", key="home.delete",
                     # compared as one line: a name stored with a line break before names
                     # were checked can still be typed to delete it
                     disabled=not allowed or confirm.split() != project.name.split()):
            try:
                projects.delete_project(store, project.id, user)
            except StoreError as exc:
                st.error(message(exc))
            else:
                st.session_state.pop(state.PROJECT_ID, None)
                st.rerun()


def backup_panel(store: Database, project: ProjectRow, user: Actor) -> None:
    """Download the project as one archive; import an archive as a new project (editors)."""
    with st.expander("Backup and restore", icon=":material/archive:"):
        st.caption("One zip file holds the project's datasets (Parquet), every stored result, "
                   "its model files, brief, column roles and alert policies, each with its "
                   "SHA-256 in a manifest. Importing it makes a new project with new ids; an "
                   "archive that was changed is refused.")
        left, right = st.columns(2)
        if left.button("Prepare the backup", key="home.backup_prepare",
                       icon=":material/archive:"):
            try:
                with st.spinner("Writing the archive…"):
                    st.session_state["home.backup_bytes"] = (
                        project.id, backup.export_project_bytes(store, project.id, user))
            except StoreError as exc:
                left.error(message(exc))
        ready = st.session_state.get("home.backup_bytes")
        if ready and ready[0] == project.id:
            left.download_button(
                "Download the archive", ready[1], file_name=backup.archive_name(project.name),
                mime="application/zip", key="home.backup_download", icon=":material/download:",
            )
        editable = access.can_edit(user)
        upload = right.file_uploader("Import a project archive (.zip)", type=["zip"],
                                     key="home.restore_upload", disabled=not editable)
        if right.button("Import as a new project", key="home.restore", disabled=upload is None):
            assert upload is not None
            try:
                with st.spinner(f"Importing {upload.name}…"):
                    result = backup.import_project(store, upload, user,
                                                   label=f"The file {upload.name}")
            except StoreError as exc:
                right.error(message(exc))
            else:
                st.session_state[state.PROJECT_ID] = result.project_id
                st.session_state["home.flash"] = (
                    f"Imported {upload.name} as project {result.name!r}: {result.datasets} "
                    f"dataset(s), {result.models} model file(s).")
                st.rerun()


def show_flash() -> None:
    """The message an action left for the next run (e.g. an import's summary)."""
    flash = st.session_state.pop("home.flash", None)
    if flash:
        st.success(literal(flash), icon=":material/check_circle:")
