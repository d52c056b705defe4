"""The one menu of the workbench, drawn with st.page_link (see STYLE.md on why not st.navigation).

A page is listed here only when everything on it works on the demo project; a meta-test
checks that every file in pages/ is listed and every listed file exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    icon: str
    section: str


NAV: list[NavItem] = [
    NavItem("app.py", "Overview", ":material/home:", "Project"),
    # NAV SLOT Scoping (issue 3)
    # NAV SLOT Data (issue 4)
    # NAV SLOT Labeling (issue 5)
    # NAV SLOT Training (issue 6)
    # NAV SLOT Error analysis (issue 7)
    # NAV SLOT Deployment (issue 8)
    # NAV SLOT Monitoring (issue 9)
]


def render_menu() -> None:
    section = None
    for item in NAV:
        if item.section != section:
            section = item.section
            st.sidebar.caption(section.upper())
        st.sidebar.page_link(item.path, label=item.label, icon=item.icon)
