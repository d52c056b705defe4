"""Session-state keys (UI state only; results live in the store) and the current user."""

from __future__ import annotations

import streamlit as st

from core import access
from core.access import Actor, Role

PROJECT_ID = "project_id"
PROJECT_PICKER = "session.project_picker"


def current_user() -> Actor:
    """Who is using this session, with their role: the logged-in user when login is
    configured (roles from the settings), else the local user (an admin unless
    ``WORKBENCH_ROLES`` says otherwise). Every write is checked against this role in core."""
    if auth_configured():
        user = st.user
        if user.get("is_logged_in"):
            return access.login_actor(user.to_dict())
        return Actor("anonymous", Role.VIEWER)  # the login gate stops before any write
    return access.local_actor()


def can_edit() -> bool:
    """Whether this session's user may change a project's work (pages disable their write
    buttons otherwise; core refuses the write anyway)."""
    return access.can_edit(current_user())


def may(action: str, entity: str) -> bool:
    """Whether this session's user may do ``action`` on ``entity`` (see core.access.RULES)."""
    return access.may(current_user(), action, entity)


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False
