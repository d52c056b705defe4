"""Widgets of the Overview page that hold more than a call: the column roles editor."""

from __future__ import annotations

import streamlit as st

from core import projects
from core.db.database import Database
from core.errors import StoreError
from ui.text import message

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
            for col, (role, help_text) in zip(st.columns(3) * 2, projects.ROLES.items(),
                                              strict=True):
                current = proposed.get(role)
                picked[role] = col.selectbox(
                    role, options, index=options.index(current) if current in options else 0,
                    help=help_text, key=f"{key}.role.{role}",
                )
                rule = proposal.rules.get(role)
                col.caption(f"Why: {rule}." if rule else "Not proposed: pick it if one fits.")
            if st.form_submit_button("Save column roles"):
                try:
                    projects.save_column_roles(
                        store, project_id,
                        {r: None if c == NONE else c for r, c in picked.items()}, user,
                    )
                except StoreError as exc:
                    st.error(message(exc))
                else:
                    st.success("Column roles saved.", icon=":material/check_circle:")
