"""The README's cron example with the server up: `python -m core.monitor` while a real
`streamlit run app.py` holds the database hands its request to the server (spool folder)
and prints the server's answer, with the same exit codes as a direct run."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from core import jobs, projects
from core.db.database import Database
from core.monitoring import list_runs
from tests.core.test_spool import ARGS, make_plant_db, run_cli
from tests.e2e.conftest import open_app, start_server
from tests.e2e.driver import wait_ready

pytestmark = pytest.mark.e2e


def test_cron_monitoring_while_the_server_runs(tmp_path, browser):
    db = tmp_path / "e2e.duckdb"  # the file start_server points WORKBENCH_DB at
    make_plant_db(db)
    with contextmanager(start_server)(tmp_path, seed_demo=False) as server:
        page = open_app(browser, server)  # the server opens the database on its first page
        wait_ready(page)
        page.close()
        ok = run_cli(db, *ARGS)
        assert ok.returncode == 0, ok.stderr + server.log.read_text()[-2000:]
        assert ok.stdout.startswith("monitoring run ") and "windows (all)" in ok.stdout
        bad = run_cli(db, "--project", "nope", "--current", "batch.csv")
        assert bad.returncode == 2 and "No project named 'nope'" in bad.stderr
    s = Database(db)
    try:
        pid = projects.list_projects(s)[0].id
        assert list(list_runs(s, pid)["source"]) == ["cli"]
        assert [j.status for j in jobs.list_jobs(s, kind="monitor")] == ["failed", "done"]
    finally:
        s.close()
