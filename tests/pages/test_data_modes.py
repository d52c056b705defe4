"""The Data page in local and hosted mode: the server-path loader and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/2_Data.py"


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s3cret",
        "client_id": "wb", "client_secret": "x",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def _data_page(monkeypatch: pytest.MonkeyPatch, login: bool = False, **env: str) -> AppTest:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if login:  # a hosted instance serves only signed-in users
        monkeypatch.setenv("WORKBENCH_ROLES", "ed@example.org=editor")
        at.secrets["auth"] = AUTH
        at.user = {"email": "ed@example.org", "is_logged_in": True}
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_hosted_mode_has_no_server_path_field(app_env, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DATA_DIRS", raising=False)
    at = _data_page(monkeypatch, login=True, WORKBENCH_MODE="hosted")
    assert not [t for t in at.text_input if t.key == "data.path"]
    assert any("Loading by path on the server is off" in i.value for i in at.info)


def test_a_path_outside_the_allowed_folders_is_refused_on_the_page(
    app_env, monkeypatch, tmp_path
):
    at = _data_page(monkeypatch, WORKBENCH_MODE="local", WORKBENCH_DATA_DIRS=str(tmp_path))
    n_datasets = len(at.selectbox(key="data.dataset").options)
    at.text_input(key="data.path").set_value("/etc/passwd").run()
    at.button(key="data.load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert "/etc/passwd" in shown and "WORKBENCH_DATA_DIRS" in shown
    assert len(at.selectbox(key="data.dataset").options) == n_datasets
