"""Scoping: the project brief, versioned, and the metrics contract that later stages check."""

import streamlit as st

from core import scoping
from core.errors import StoreError
from core.scoping import ScopingError
from ui import scoping as form
from ui import session, state

ctx = session.page(
    "Scoping",
    ":material/flag:",
    "Write down the problem, f(x) = y, the metrics that tie the model to business value, the "
    "baselines and the risks. Every save is a new version; its numbers are the contract that "
    "training, error analysis, deployment and monitoring check against.",
)
store, project, user = ctx.store, ctx.project, ctx.user
if flash := st.session_state.pop("scoping.flash", None):
    st.success(flash, icon=":material/check_circle:")

try:
    current = scoping.get_brief(store, project.id)
except StoreError as exc:  # a stored brief that cannot be read: say so, change nothing
    st.error(str(exc), icon=":material/error:")
    st.stop()
brief = current.brief if current else scoping.Brief()
marker = (project.id, current.version if current else 0)
columns = scoping.project_columns(store, project.id)


def saved(version: int, what: str) -> None:
    st.session_state["scoping.flash"] = f"{what} as version {version}."
    st.rerun()


form.readiness_box(current, scoping.readiness(store, project.id), brief)

tab_brief, tab_history, tab_export = st.tabs(["Brief", "History and diff", "Export and import"])

# --------------------------------------------------------------------- brief
with tab_brief:
    if not columns:
        st.info(
            "This project has no dataset yet: load one on the Data page to link x and y "
            "to its columns."
        )
    form.load_state(brief, marker)
    with st.form("scoping.form"):
        slots = form.brief_form(list(columns), brief, marker)
        st.text_input(
            "What changed? (note for the history)",
            key="scoping.note",
            placeholder="e.g. Added the cost of a missed claim",
        )
        submitted = st.form_submit_button(
            "Save as new version", type="primary", icon=":material/save:",
            disabled=not state.can_edit()
        )
    if submitted:
        draft = form.brief_from_state(brief, marker)
        try:
            version = scoping.save_brief(
                store,
                project.id,
                draft,
                user,
                note=st.session_state.get("scoping.note", ""),
            )
        except ScopingError as exc:
            st.error(
                "Nothing was saved: fix the fields marked in red.",
                icon=":material/error:",
            )
            form.show_errors(exc.errors, slots)
        else:
            saved(version, "Brief saved")

# ------------------------------------------------------------------- history
with tab_history:
    versions = scoping.list_versions(store, project.id)
    if versions.empty:
        st.info("No version saved yet.")
    else:
        st.dataframe(versions, hide_index=True)
        numbers = versions["version"].tolist()
        a, b = st.columns(2)
        old = a.selectbox(
            "Compare version",
            numbers,
            index=min(1, len(numbers) - 1),
            key="scoping.diff_a",
        )
        new = b.selectbox("with version", numbers, index=0, key="scoping.diff_b")
        diff = scoping.diff_versions(store, project.id, old, new)
        if diff.empty:
            st.caption(f"Versions {old} and {new} are the same.")
        else:
            st.dataframe(
                diff.rename(columns={"before": f"v{old}", "after": f"v{new}"}),
                hide_index=True,
            )
        if st.button(
            f"Restore version {old} as a new version",
            key="scoping.restore",
            disabled=not state.can_edit() or old == numbers[0],
        ):
            try:
                version = scoping.restore_version(store, project.id, old, user)
            except StoreError as exc:
                st.error(str(exc))
            else:
                saved(version, f"Version {old} restored")

# -------------------------------------------------------------------- export
with tab_export:
    if current:
        markdown = scoping.to_markdown(current.brief, project.name, current)
        st.download_button(
            "Download the brief (Markdown)",
            markdown,
            icon=":material/download:",
            file_name=scoping.export_filename(project.name, current.version),
            mime="text/markdown",
            key="scoping.download",
        )
        with st.expander("Preview", icon=":material/visibility:"):
            st.markdown(markdown)
    st.markdown(
        "**Import** a brief exported here (edited or not); it is checked like a save "
        "and stored as a new version."
    )
    upload = st.file_uploader(
        "Brief (.md)", type=["md", "markdown", "txt"], key="scoping.import_file"
    )
    if (
        st.button("Import as new version", key="scoping.import",
                  disabled=not state.can_edit() or upload is None)
        and upload is not None
    ):
        try:
            text = upload.getvalue().decode("utf-8-sig")
            version = scoping.import_brief(store, project.id, text, upload.name, user)
        except UnicodeDecodeError:
            st.error("The file is not UTF-8 text; export the brief again and import that file.")
        except StoreError as exc:
            st.error(str(exc))
        else:
            saved(version, f"Imported {upload.name}")
