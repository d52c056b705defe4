"""`kill -9` of a real `streamlit run app.py` during the first start's seeding job: the next
start marks the job interrupted, resumes the seeding, and the demo completes."""

from __future__ import annotations

import json
import os
import signal
import time
from contextlib import contextmanager

import pytest

from core import jobs
from core.db.database import Database
from core.demo import seed
from core.monitoring import spool
from tests.core.test_demo_steps import assert_demo_complete
from tests.e2e.conftest import open_app, start_server
from tests.e2e.driver import wait_ready

pytestmark = pytest.mark.e2e
SEEDING = "Preparing the rest of the demo"


def _server_pid(db) -> int:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            return int(json.loads((spool.spool_dir(db) / spool.HEARTBEAT).read_text())["pid"])
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
    raise AssertionError("the server wrote no heartbeat")


def test_kill_9_of_the_server_while_seeding_then_the_demo_completes(tmp_path, browser,
                                                                     monkeypatch):
    monkeypatch.setenv("WORKBENCH_DEMO_ROWS", "3000")
    db = tmp_path / "e2e.duckdb"
    with contextmanager(start_server)(tmp_path, seed_demo=True) as server:
        page = open_app(browser, server)
        page.get_by_text(SEEDING).first.wait_for(timeout=240_000)  # the job is running
        os.kill(_server_pid(db), signal.SIGKILL)
        page.close()
    with contextmanager(start_server)(tmp_path, seed_demo=True) as server:
        page = open_app(browser, server)
        page.get_by_text("Lifecycle").first.wait_for(timeout=240_000)
        page.get_by_text(SEEDING).first.wait_for(state="detached", timeout=600_000)
        wait_ready(page)
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()
    store = Database(db)
    try:
        statuses = [j.status for j in jobs.list_jobs(store, kind=seed.JOB_KIND)]
        assert statuses == ["done", "interrupted"]
        assert_demo_complete(store)
    finally:
        store.close()
