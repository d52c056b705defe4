"""Crash test: `kill -9` of a worker process during first-start seeding (a job), training,
ingest and monitoring. After each restart every committed result is intact, interrupted
jobs and runs are marked, and the demo completes. Each kill is bounded in time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import jobs, training
from core.data import load_jobs
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.demo import seed
from core.deploy import simulations_frame
from core.monitoring import list_runs as monitor_runs
from tests.core.test_demo_steps import assert_demo_complete

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 300  # seconds a worker may take before the test gives up on it

WORKER = r"""
import sys, time
from core.db.database import Database
s = Database(sys.argv[1])
kind = sys.argv[2]
say = lambda f, m: print(m, flush=True)

def follow(job_id):  # the job runs on the runner's thread; report its stored progress
    from core import jobs
    seen = None
    while True:
        job = jobs.get_job(s, job_id)
        if job.message != seen:
            seen = job.message
            print(seen, flush=True)
        if not job.active:
            print(f"ended {job.status}: {job.error}", flush=True)
            break
        time.sleep(0.05)

if kind == "first_start":
    from core.demo import seed
    follow(seed.ensure_demo(s, progress=say))
elif kind == "train":
    from core import training
    from core.demo.runs import _specs, _demo_split_id
    pid = int(sys.argv[3])
    spec = _specs(_demo_split_id(s, pid))["champion"]
    training.train_run(s, pid, spec, actor="w", name="killed run", progress=say)
elif kind == "ingest":  # as the Data page loads a file: a job
    from core import jobs
    from core.data import load_jobs
    jobs.PROGRESS_EVERY = 0.0  # store every progress step: the kill comes mid-write
    follow(load_jobs.submit_path(s, int(sys.argv[3]), sys.argv[4], name="big batch",
                                 actor="w", role="production"))
print("FINISHED", flush=True)
"""


def kill_when(argv: list[str], trigger: str, **env_extra: str) -> list[str]:
    """Run a worker, `kill -9` it when a line of its output contains ``trigger``; its lines."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), **env_extra)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=ROOT)
    timer = threading.Timer(LIMIT, proc.kill)
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if trigger in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        timer.cancel()
        proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, lines[-20:]
    assert not any("FINISHED" in line for line in lines)
    return lines


def worker(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", WORKER, str(db), *args]


def snapshot(store: Database) -> dict:
    """What is committed: datasets with their content hash, finished runs, rehearsals,
    monitoring runs, brief versions."""
    pid = projects_db.list_projects(store)[0].id
    return {
        "datasets": {(d.id, d.name, d.content_hash, d.n_rows)
                     for d in datasets_db.list_datasets(store, pid)},
        "runs": {(r.id, r.name) for r in training.list_runs(store, pid, status="done")},
        "sims": set(simulations_frame(store, pid).get("id", [])),
        "monitor": set(monitor_runs(store, pid).get("id", [])),
    }


def assert_intact(before: dict, store: Database) -> None:
    after = snapshot(store)
    for key, rows in before.items():
        assert rows <= after[key], key
    pid = projects_db.list_projects(store)[0].id
    assert not training.list_runs(store, pid, status="running")
    assert not jobs.list_jobs(store, active_only=True)


@pytest.fixture(autouse=True)
def _small_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_DEMO_ROWS", "3000")
    monkeypatch.setenv("WORKBENCH_ARTIFACTS", str(tmp_path / "artifacts"))


def test_kill_9_during_seeding_training_ingest_and_monitoring(tmp_path):
    db = tmp_path / "w.duckdb"

    # 1. first start: the Overview's steps, then the seeding job killed while it trains
    kill_when(worker(db, "first_start"), "challenger")
    store = Database(db)  # the restart
    try:
        (job,) = jobs.list_jobs(store, kind=seed.JOB_KIND)
        assert job.status == "interrupted" and "stopped before" in str(job.error)
        before = snapshot(store)
        assert len(before["datasets"]) == 3  # the Overview's part was committed
        resumed = seed.ensure_demo(store)  # what the next page view does
        assert resumed is not None and resumed != job.id
        assert jobs.runner(store).wait(resumed, timeout=LIMIT).status == "done"
        pid = assert_demo_complete(store)
        assert_intact(before, store)
        before = snapshot(store)
        jobs.stop_runner(store)
    finally:
        store.close()

    # 2. training killed after fitting, while the run is 'running'
    kill_when(worker(db, "train", str(pid)), "Saving the model")
    store = Database(db)
    try:
        killed = [r for r in training.list_runs(store, pid) if r.name == "killed run"]
        assert [r.status for r in killed] == ["failed"]
        assert "Interrupted" in str(killed[0].error)
        assert_intact(before, store)
        assert_demo_complete(store)
    finally:
        store.close()

    # 3. a large ingest killed while it loads: nothing half-stored, the file still opens
    big = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    n = 2_000_000  # large enough that DuckDB reports its progress (polled every 0.25 s)
    pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 9, n),
                  "c": rng.choice(["north", "south", "east"], n)}).to_csv(big, index=False)
    kill_when(worker(db, "ingest", str(pid), str(big)), "Loading rows",
              WORKBENCH_DATA_DIRS=str(tmp_path))  # whatever an earlier test left set
    store = Database(db)
    try:
        (job,) = jobs.list_jobs(store, kind=load_jobs.KIND)
        assert job.status == "interrupted" and job.title == f"Loading {big}"
        assert "big batch" not in {d.name for d in datasets_db.list_datasets(store, pid)}
        assert_intact(before, store)
    finally:
        store.close()

    # 4. the scheduler's monitoring killed mid-run: no half run; the next run works
    argv = [sys.executable, "-m", "core.monitor", "--db", str(db), "--project",
            seed.DEMO_PROJECT, "--current", "claims_production_stream"]
    kill_when(argv, "%]")
    store = Database(db)
    try:
        assert_intact(before, store)
        assert list(monitor_runs(store, pid)["source"]) == ["demo"]
    finally:
        store.close()
    again = subprocess.run(argv, capture_output=True, text=True, timeout=LIMIT,
                           env=dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT)))
    assert again.returncode == 0, again.stderr
    store = Database(db)
    try:
        assert_intact(before, store)
        assert sorted(monitor_runs(store, pid)["source"]) == ["cli", "demo"]
    finally:
        store.close()
