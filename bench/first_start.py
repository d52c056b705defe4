"""First start: how long until a new user sees a usable Overview, and until the demo is complete.

Starts ``streamlit run app.py`` on a free loopback port with a new database, opens it in
Debian's chromium (Playwright) and prints the seconds from the server's start to

* the Overview drawn with the demo's datasets and lifecycle (usable: the user can browse);
* the demo complete (the background seeding job done: models, rehearsals, monitoring).

    python -m bench.first_start
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("BENCH_ROOT") or Path(__file__).resolve().parents[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="wb-first-start-"))
    port = _free_port()
    env = dict(os.environ, WORKBENCH_DB=str(folder / "w.duckdb"),
               WORKBENCH_ARTIFACTS=str(folder / "artifacts"), WORKBENCH_SEED_DEMO="1",
               OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page()
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}", timeout=2000)
                    answered = time.perf_counter() - t0
                    break
                except Exception:  # noqa: BLE001 - the server is not listening yet
                    time.sleep(0.1)
            page.get_by_text("Lifecycle").first.wait_for(timeout=120_000)
            page.get_by_text("Datasets", exact=True).first.wait_for(timeout=120_000)
            page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=120_000)
            usable = time.perf_counter() - t0
            page.get_by_text("Open alerts (").first.wait_for(timeout=20_000)
            page.locator("[data-testid='stSidebar'] [data-testid='stProgress']").first.wait_for(
                state="detached", timeout=300_000)
            page.get_by_text("Preparing the rest of the demo").first.wait_for(
                state="detached", timeout=300_000)
            complete = time.perf_counter() - t0
            browser.close()
    finally:
        proc.terminate()
        proc.wait(30)
    load = os.getloadavg()[0]
    print(f"server answering: {answered:.1f} s after its start (load average {load:.1f} on "
          f"{os.cpu_count()} cores)")
    print(f"usable Overview (datasets, lifecycle): {usable:.1f} s after the server started")
    print(f"demo complete (models, rehearsals, monitoring): {complete:.1f} s")


if __name__ == "__main__":
    main()
