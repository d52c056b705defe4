"""A real server with login configured ([auth] in its secrets file): the browser gets the
login gate, never a project, a page or a write button (opt-in: ``-m e2e``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Server, open_app, start_server
from tests.e2e.driver import problems, wait_ready

pytestmark = pytest.mark.e2e

SECRETS = """
[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "e2e-only-cookie-secret"
client_id = "workbench"
client_secret = "e2e-only"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""


@pytest.fixture(scope="module")
def login_server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("e2e_login")
    secrets = folder / "secrets.toml"
    secrets.write_text(SECRETS)
    yield from start_server(folder, seed_demo=False, args=("--secrets.files", str(secrets)),
                            env_extra={"WORKBENCH_ROLES": "vera@example.org=viewer"})


def test_with_login_configured_the_browser_gets_only_the_login_gate(login_server, browser):
    page = open_app(browser, login_server)
    wait_ready(page)
    assert not problems(page, "login gate")
    body = page.locator("[data-testid='stApp']").inner_text()
    assert "log in to continue" in body
    assert page.get_by_role("button", name="Log in").is_visible()
    assert "New project" not in body and "Lifecycle" not in body
    # a deep link to a page is gated the same way
    page.goto(login_server.url + "/Data")
    wait_ready(page)
    body = page.locator("[data-testid='stApp']").inner_text()
    assert "log in to continue" in body and "Add data" not in body
    page.close()
