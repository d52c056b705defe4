"""`python -m core.monitor` while another process holds the database: the request goes
through the spool folder to that process's job runner, with the same output and exit
codes as a direct run. (The README's cron example against a real `streamlit run` server
is tests/e2e/test_scheduler.py.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from core import jobs
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.monitoring import spool
from tests.core.monitor_data import drifted_batch, plant_frame

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--project", "Plant", "--current", "batch.csv", "--windows", "all", "--model", "none"]


def make_plant_db(path: Path) -> None:
    """A project with a training dataset, closed: what a scheduler's CLI finds."""
    s = Database(path)
    pid = projects_db.create_project(s, "Plant", "tester")
    datasets_db.insert_dataset(s, pid, "reference", plant_frame(2000, 1), source="test",
                               role="training", actor="tester")
    s.close()
    drifted_batch(800).to_csv(path.parent / "batch.csv", index=False)


def run_cli(db: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The command line as cron runs it, from the folder of the batch file."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "core.monitor", "--db", str(db), *args],
                          cwd=db.parent, capture_output=True, text=True, timeout=timeout,
                          env=env)


def _shape(out: str) -> str:
    """The output without what differs between two runs (run id, seconds)."""
    return re.sub(r"[\d.]+ s\b", "N s", re.sub(r"run \d+", "run N", out))


def test_the_cli_runs_through_the_process_holding_the_database(tmp_path):
    db = tmp_path / "w.duckdb"
    make_plant_db(db)
    direct = run_cli(db, *ARGS)
    direct_bad = run_cli(db, "--project", "nope", "--current", "x")
    assert direct.returncode == 0, direct.stderr
    assert direct_bad.returncode == 2

    store = Database(db)  # a server holds the file from now on
    try:
        refused = run_cli(db, *ARGS, timeout=120)
        assert refused.returncode == 2 and "in use by another process" in refused.stderr

        spool.start_spool(store)
        served = run_cli(db, *ARGS)
        assert served.returncode == 0, served.stderr
        assert _shape(served.stdout) == _shape(direct.stdout)
        assert "monitoring run" in served.stdout and "[" in served.stderr  # progress lines
        bad = run_cli(db, "--project", "nope", "--current", "x")
        assert (bad.returncode, bad.stdout, bad.stderr) == (2, "", direct_bad.stderr)

        found = jobs.list_jobs(store, kind="monitor")
        assert [j.status for j in found] == ["failed", "done"]
        assert "No project named 'nope'" in str(found[0].error)
        assert not list(spool.spool_dir(db).glob("*.json*")) or all(
            p.name == spool.HEARTBEAT for p in spool.spool_dir(db).glob("*.json"))
    finally:
        spool.stop_spool(store)
        jobs.stop_runner(store)
        store.close()


def test_a_request_claimed_by_a_killed_server_is_answered_at_the_next_start(tmp_path):
    db = tmp_path / "w.duckdb"
    make_plant_db(db)
    folder = spool.spool_dir(db)
    folder.mkdir()
    (folder / "r1.claimed.json").write_text('{"argv": ["--project", "Plant"]}')
    store = Database(db)
    try:
        spool.start_spool(store, handler=lambda s, argv, p: (0, "ran\n", ""))
        answer = (folder / "r1.result.json").read_text()
        assert '"exit_code": 2' in answer and "interrupted" in answer
        assert not (folder / "r1.claimed.json").exists()
    finally:
        spool.stop_spool(store)
        jobs.stop_runner(store)
        store.close()
