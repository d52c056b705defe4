"""Login and roles in a real browser: a real server with [auth] pointing at a loopback
OpenID Connect provider (tests/e2e/oidc.py); an editor signs in and creates a project, a
viewer signs in, sees it and finds every write control off (opt-in: ``-m e2e``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Server, _free_port, load_home, start_server
from tests.e2e.driver import click, expand, fill, goto, problems, wait_ready
from tests.e2e.oidc import FakeProvider

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeProvider]:
    with FakeProvider("workbench") as provider:
        yield provider


@pytest.fixture(scope="module")
def team_server(tmp_path_factory, idp: FakeProvider) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("e2e_team")
    port = _free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "e2e-only-cookie-secret"\n'
        'client_id = "workbench"\nclient_secret = "e2e-only"\n'
        f'server_metadata_url = "{idp.url}/.well-known/openid-configuration"\n'
    )
    yield from start_server(
        folder, seed_demo=False, args=("--secrets.files", str(secrets)), port=port,
        env_extra={"WORKBENCH_ROLES": "ed@example.org=editor, vera@example.org=viewer",
                   "WORKBENCH_MODE": "hosted", "WORKBENCH_DATA_DIRS": ""})


def _sign_in(browser, server: Server, idp: FakeProvider, email: str):
    """A fresh browser context signed in as ``email`` (the provider asks no password)."""
    idp.user = {"email": email, "name": email.split("@")[0]}
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    load_home(page, server)
    wait_ready(page)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector(f"text=Signed in as {email}", timeout=60_000)
    wait_ready(page)
    return context, page


def _body(page) -> str:
    return page.locator("[data-testid='stApp']").inner_text()


def test_an_editor_creates_and_a_viewer_only_looks(team_server, idp, browser):
    context, page = _sign_in(browser, team_server, idp, "ed@example.org")
    assert "role: editor" in _body(page)
    fill(page, "Name", "Ferns")
    click(page, "Create project")
    wait_ready(page)
    assert page.get_by_role("heading", name="Ferns").count()
    expand(page, "Activity (audit log)")
    assert "ed@example.org" in _body(page)  # the signed-in user, not the server's OS user
    assert not problems(page, "editor")
    # hosted mode: even an editor gets no field for a path on the server
    goto(page, team_server.url, "Data")
    expand(page, "Add data")
    page.get_by_role("tab", name="File on the server").click()
    page.wait_for_timeout(300)
    assert "Loading by path on the server is off on this instance" in _body(page)
    assert page.get_by_label("Path of a CSV or Parquet file on this machine").count() == 0
    assert not problems(page, "editor on Data")
    context.close()

    context, page = _sign_in(browser, team_server, idp, "vera@example.org")
    body = _body(page)
    assert "role: viewer" in body and "Ferns" in body
    expand(page, "New project")
    assert page.get_by_role("button", name="Create project").is_disabled()
    expand(page, "Delete this project")
    assert page.get_by_role("button", name="Delete project").is_disabled()
    goto(page, team_server.url, "Data")
    assert "Add data" not in _body(page)
    assert not problems(page, "viewer")
    context.close()


TRAVERSALS = ("/etc/passwd", "/../../../../etc/passwd", "/static/../../../../etc/passwd",
              "/app/static/../../../../etc/passwd", "/media/../../../../etc/passwd",
              "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
              "/app/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
              "/component/..%2f..%2f..%2f..%2fetc%2fpasswd", "/_stcore/../../etc/passwd")


def test_no_route_reads_a_server_file(team_server):
    """Raw requests (no URL normalisation by a browser) for /etc/passwd through every kind of
    route the server has: none returns the file."""
    import http.client
    from urllib.parse import urlparse

    where = urlparse(team_server.url)
    for route in TRAVERSALS:
        con = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        try:
            con.request("GET", route)
            body = con.getresponse().read().decode("utf-8", "replace")
        finally:
            con.close()
        assert "root:x:0:0" not in body, route
