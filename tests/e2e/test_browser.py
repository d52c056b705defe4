"""Real-browser smoke test: `streamlit run app.py` on a free loopback port, every NAV page.

Playwright drives Debian's chromium (/usr/bin/chromium). Without chromium the test skips,
unless WORKBENCH_REQUIRE_BROWSER=1 (set by .ci/run), where a skip would hide a gap.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ui.nav import NAV

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("WORKBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium`")
        pytest.skip("no chromium installed (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    env = dict(os.environ, WORKBENCH_DB=str(tmp / "e2e.duckdb"),
               WORKBENCH_ARTIFACTS=str(tmp / "artifacts"))
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}", tmp / "server.log"
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def _wait_ready(page) -> None:
    page.wait_for_selector(READY, timeout=180_000)
    page.wait_for_timeout(700)
    page.wait_for_selector(READY, timeout=180_000)


def test_every_page_renders_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    base, log = server
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        deadline = time.time() + 120
        while True:
            try:
                page.goto(base + "/", timeout=5000)
                break
            except Exception:
                if time.time() > deadline:
                    raise AssertionError("server did not start:\n" + log.read_text()[-2000:]) from None
                time.sleep(1)
        _wait_ready(page)
        links = page.eval_on_selector_all(
            "[data-testid='stSidebar'] a[href]", "els => els.map(e => [e.innerText, e.href])"
        )
        assert len(links) == len(NAV), f"menu shows {len(links)} links, NAV has {len(NAV)}"
        for label, href in links:
            page.goto(href)
            _wait_ready(page)
            exc = page.locator("[data-testid='stException']").count()
            main_text = page.locator("[data-testid='stMain']").inner_text().strip()
            if exc:
                problems.append(f"{label!r}: {exc} exception box(es)")
            if len(main_text) < 40:
                problems.append(f"{label!r}: page is empty")
            if "Page not found" in page.content():
                problems.append(f"{label!r}: page not found")
        browser.close()
    assert problems == [], problems
