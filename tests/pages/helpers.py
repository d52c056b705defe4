"""Helpers shared by the page tests: a page's exceptions, and opening a page through AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.conftest import ROOT
from ui import state


def errors(at: AppTest) -> list:
    """The values of the exceptions the last run raised (empty when none did)."""
    return [e.value for e in at.exception]


def open_page(app: AppTest, page: str) -> AppTest:
    """Switch the running ``app`` to ``page`` and run it; the page must not raise."""
    app.switch_page(page).run()
    assert not errors(app)
    return app


def open_project_page(page: str, project_id: int) -> AppTest:
    """A fresh app on project ``project_id``, switched to ``page``; the page must not raise."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[state.PROJECT_ID] = project_id
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
