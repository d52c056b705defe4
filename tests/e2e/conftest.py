"""A real `streamlit run app.py` on a free loopback port against a temp database, and
Debian's chromium driven by Playwright. Without chromium the browser tests skip, unless
WORKBENCH_REQUIRE_BROWSER=1 (set by .ci/run), where a skip would hide a gap."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    log: Path
    folder: Path


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("WORKBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium`")
        pytest.skip("no chromium installed (apt-get install chromium)")


def start_server(folder: Path, seed_demo: bool, args: tuple[str, ...] = (),
                 env_extra: dict[str, str] | None = None, port: int | None = None
                 ) -> Iterator[Server]:
    _require_chromium()
    port = port or _free_port()
    env = dict(os.environ, WORKBENCH_DB=str(folder / "e2e.duckdb"),
               WORKBENCH_ARTIFACTS=str(folder / "artifacts"),
               WORKBENCH_SEED_DEMO="1" if seed_demo else "0", OMP_NUM_THREADS="1",
               **(env_extra or {}))
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", *args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield Server(f"http://127.0.0.1:{port}", folder / "server.log", folder)
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """The app with the demo seeded on first start."""
    yield from start_server(tmp_path_factory.mktemp("e2e"), seed_demo=True)


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory) -> Iterator[Server]:
    """The app on an empty database (no demo), as a new user's own instance."""
    yield from start_server(tmp_path_factory.mktemp("e2e_empty"), seed_demo=False)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    _require_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


def open_app(browser, server: Server):
    """A new page on the app's home, once the server answers."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    load_home(page, server)
    return page


def load_home(page, server: Server) -> None:
    """Go to the app's home on ``page``, retrying for two minutes until the server answers."""
    deadline = time.time() + 120
    while True:
        try:
            page.goto(server.url + "/", timeout=5000)
            return
        except Exception:
            if time.time() > deadline:
                raise AssertionError("server did not start:\n" + server.log.read_text()[-2000:]) from None
            time.sleep(1)
