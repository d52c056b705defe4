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
    NavItem("pages/1_Scoping.py", "Scoping", ":material/flag:", "Scope"),
    # NAV SLOT Data (issue 4)
    NavItem("pages/2_Data.py", "Data", ":material/table:", "Data"),
    # NAV SLOT Labeling (issue 5)
    NavItem("pages/3_Labeling.py", "Labeling", ":material/label:", "Data"),
    # NAV SLOT Training (issue 6)
    NavItem("pages/4_Training.py", "Training", ":material/model_training:", "Build"),
    # NAV SLOT Error analysis (issue 7)
    NavItem("pages/5_Error_analysis.py", "Error analysis", ":material/troubleshoot:", "Build"),
    # NAV SLOT Deployment (issue 8)
    NavItem("pages/6_Deployment.py", "Deployment", ":material/rocket_launch:", "Deploy"),
    # NAV SLOT Monitoring (issue 9)
    NavItem("pages/7_Monitoring.py", "Monitoring", ":material/monitor_heart:", "Monitor"),
]


def render_menu() -> None:
    section = None
    for item in NAV:
        if item.section != section:
            section = item.section
            st.sidebar.caption(section.upper())
        st.sidebar.page_link(item.path, label=item.label, icon=item.icon)
