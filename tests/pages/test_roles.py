"""Login and roles through AppTest's user mocking: a viewer sees the projects and cannot
change them (buttons off, and core refusing the write when one is pressed anyway); an editor
can, and the audit log names the logged-in user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.db import projects as projects_db
from core.db.database import Database
from tests.pages.helpers import errors

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s3cret",
        "client_id": "wb", "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def _app(email: str | None, monkeypatch: pytest.MonkeyPatch, groups: list[str] | None = None
         ) -> AppTest:
    monkeypatch.setenv("WORKBENCH_ROLES", "vera@example.org=viewer, ed@example.org=editor")
    monkeypatch.setenv("WORKBENCH_ADMIN_GROUPS", "ml-admins")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.secrets["auth"] = AUTH
    at.user = ({"email": email, "is_logged_in": True, "groups": groups or []} if email
               else {"is_logged_in": False})
    at.run()
    assert not errors(at)
    return at


def _stored(path: Path) -> tuple[int, int]:
    st.cache_resource.clear()  # close the app's connection before opening the file here
    db = Database(path)
    try:
        return len(projects_db.list_projects(db)), len(projects_db.list_audit(db, limit=10**6))
    finally:
        db.close()


def _submit(at: AppTest, label: str) -> Any:
    """A form's submit button by its label (AppTest keys them by form and label)."""
    return next(b for b in at.get("form_submit_button") if getattr(b, "label", "") == label)


def _caption(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_without_login_the_pages_ask_for_it(app_env, monkeypatch):
    at = _app(None, monkeypatch)
    assert at.button(key="session.login")
    assert not at.header  # no project is shown before login


def test_a_viewer_sees_the_projects_and_changes_nothing(app_env, monkeypatch):
    before = _stored(app_env)
    at = _app("vera@example.org", monkeypatch)
    assert any("Claims triage" in h.value for h in at.header)
    assert "Signed in as vera@example.org · role: viewer" in _caption(at)
    assert at.button(key="home.delete").disabled
    assert at.text_input(key="home.delete_confirm").disabled
    assert at.file_uploader(key="home.restore_upload").disabled
    assert _submit(at, "Create project").disabled and _submit(at, "Save column roles").disabled
    # the backup can be downloaded by a viewer (it reads)
    at.button(key="home.backup_prepare").click().run()
    assert not errors(at)
    assert at.get("download_button")
    assert _stored(app_env) == (before[0], before[1] + 1)  # only the export's audit row
    st.cache_resource.clear()
    db = Database(app_env)
    try:
        last = projects_db.list_audit(db, limit=1)
        assert last[["actor", "action"]].values.tolist() == [["vera@example.org", "export"]]
    finally:
        db.close()


def test_a_page_that_forgot_to_hide_a_button_still_cannot_write(app_env, monkeypatch):
    """The page's own role checks switched off: core refuses the viewer's writes."""
    from core import access

    before = _stored(app_env)
    monkeypatch.setattr(access, "can_edit", lambda actor: True)
    monkeypatch.setattr(access, "may", lambda actor, action, entity: True)
    at = _app("vera@example.org", monkeypatch)
    at.text_input(key="home.new_name").input("Sneaky")
    _submit(at, "Create project").click()
    at.run()
    assert not errors(at)
    assert any("vera@example.org has the viewer role and may not create project" in e.value
               for e in at.error)
    at.text_input(key="home.delete_confirm").input("Claims triage (demo)").run()
    at.button(key="home.delete").click().run()
    assert not errors(at)
    assert any("needs the admin role" in e.value for e in at.error)
    assert _stored(app_env) == before


def test_an_editor_creates_and_the_audit_log_names_them(app_env, monkeypatch):
    at = _app("ed@example.org", monkeypatch)
    assert "role: editor" in _caption(at)
    assert at.button(key="home.delete").disabled  # deleting a project is an admin's
    at.text_input(key="home.new_name").input("Ferns")
    _submit(at, "Create project").click()
    at.run()
    assert not errors(at)
    assert any(h.value == "Ferns" for h in at.header)
    st.cache_resource.clear()
    db = Database(app_env)
    try:
        audit = projects_db.list_audit(db, limit=1)
        assert audit["actor"].tolist() == ["ed@example.org"]  # not the OS user
    finally:
        db.close()


def test_an_admin_by_group_claim_may_delete(app_env, monkeypatch):
    at = _app("gus@example.org", monkeypatch, groups=["ml-admins"])
    assert "role: admin" in _caption(at)
    at.text_input(key="home.delete_confirm").input("Claims triage (demo)").run()
    assert not at.button(key="home.delete").disabled
    at.button(key="home.delete").click().run()
    assert not errors(at)
    assert any("No project yet" in i.value for i in at.info)


def test_the_data_page_for_a_viewer_and_an_editor(app_env, monkeypatch):
    at = _app("vera@example.org", monkeypatch)
    at.switch_page("pages/2_Data.py").run()
    assert not errors(at)
    assert not at.get("file_uploader"), "no loader for a viewer"
    assert at.button(key="data.save_types").disabled
    assert at.button(key="data.standardize").disabled if any(
        b.key == "data.standardize" for b in at.button) else True
    assert {m.label for m in at.metric} >= {"Rows"}  # the data is shown
    editor = _app("ed@example.org", monkeypatch)
    editor.switch_page("pages/2_Data.py").run()
    assert not errors(editor)
    assert editor.file_uploader(key="data.upload")
    assert not editor.button(key="data.save_types").disabled


def test_a_hosted_instance_without_login_serves_nobody(app_env, monkeypatch):
    from core import access

    monkeypatch.setattr(access, "hosted", lambda: True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not errors(at)
    assert any("requires a login" in e.value for e in at.error)
    assert not at.header


def test_the_local_user_without_login_is_an_admin(app_env, monkeypatch):
    monkeypatch.setenv("WORKBENCH_USER", "bench")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not errors(at)
    assert "Local user bench · role: admin" in _caption(at)


PAGES = ["pages/1_Scoping.py", "pages/2_Data.py", "pages/3_Labeling.py", "pages/4_Training.py",
         "pages/5_Error_analysis.py", "pages/6_Deployment.py", "pages/7_Monitoring.py"]


def test_every_page_opens_for_a_viewer(app_env, monkeypatch):
    """A viewer (here the local user, named a viewer in WORKBENCH_ROLES) can read every
    page (nothing a page stores on first view is refused with a traceback) and finds its
    write buttons off."""
    monkeypatch.setenv("WORKBENCH_USER", "vera")
    monkeypatch.setenv("WORKBENCH_ROLES", "vera=viewer")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    assert "Local user vera · role: viewer" in _caption(at)
    for page in ["app.py", *PAGES]:
        at.switch_page(page).run()
        assert not errors(at), (page, errors(at))
        assert any("viewer role" in i.value for i in at.sidebar.info), page
        enabled = {b.key for b in [*at.button, *at.get("form_submit_button")]
                   if not getattr(b, "disabled", True)}
        assert enabled <= READ_ONLY_BUTTONS, (page, enabled - READ_ONLY_BUTTONS)


# buttons a viewer may press: they read (the backup) or their writes are refused in core
# with a stored message (training work runs as a job on the Training page)
READ_ONLY_BUTTONS = {"home.backup_prepare", "training.train", "training.curve",
                     "training.search",
                     # the model card and report are built from the store, the tour only reads
                     "home.build_report", "home.build_pdf", "home.tour"}
