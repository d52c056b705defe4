"""Session-state keys (UI state only; results live in the store) and the current user."""

from __future__ import annotations

import streamlit as st

from core import config

PROJECT_ID = "project_id"
PROJECT_PICKER = "session.project_picker"


def current_user() -> str:
    """The logged-in user's e-mail or name when login is configured, else the local user."""
    try:
        user = st.user
        if user.get("is_logged_in"):
            return str(user.get("email") or user.get("name") or "user")
    except Exception:  # st.user is unavailable without [auth]; fall back quietly
        pass
    return config.current_user()


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False
