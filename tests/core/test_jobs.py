"""Jobs run outside the script run that started them; a stopped run or job never stays
'running'; jobs left active by a dead process are marked interrupted at the next open."""

from __future__ import annotations

import threading

import pytest

from core import jobs, training
from core.db import jobs as jobs_db
from core.db import training as training_db
from core.db.database import Database
from tests.core.test_training import make_split, spec


class _Stop(BaseException):
    """Like Streamlit's StopException / RerunException: not an Exception."""


def _stop_at(fraction_from: float):
    def progress(fraction: float, message: str) -> None:
        if fraction >= fraction_from:
            raise _Stop()

    return progress


def test_a_stopped_train_run_is_stored_failed_not_running(store: Database):
    pid, sid = make_split(store)
    with pytest.raises(_Stop):
        training.train_run(store, pid, spec(sid), actor="tester", progress=_stop_at(0.1))
    (run,) = training.list_runs(store, pid)
    assert run.status == "failed"
    assert "Stopped before it finished" in (run.error or "")


def test_a_stopped_learning_curve_fails_its_parent(store: Database):
    pid, sid = make_split(store)
    with pytest.raises(_Stop):
        training.learning_curve(store, pid, spec(sid), actor="tester", progress=_stop_at(0.3))
    runs = training.list_runs(store, pid)
    assert runs and all(r.status != "running" for r in runs)
    (parent,) = training.list_runs(store, pid, top_level=True)
    assert parent.status == "failed"


def test_a_job_finishes_after_the_submitting_thread_is_gone(store: Database):
    """The submitter (a page's script run) ends at once; the job trains on regardless."""
    pid, sid = make_split(store)
    ids: list[int] = []

    def page_run() -> None:
        ids.append(jobs.submit(
            store, "train", "Train", lambda p: {"run_id": training.train_run(
                store, pid, spec(sid), actor="tester", progress=p)},
            actor="tester", project_id=pid))
        raise _Stop()  # the user left the page: Streamlit stops the script run

    t = threading.Thread(target=lambda: pytest.raises(_Stop, page_run))
    t.start()
    t.join()
    job = jobs.runner(store).wait(ids[0], timeout=120)
    assert job.status == "done", job.error
    assert job.fraction == 1.0
    run = training.get_run(store, (job.result or {})["run_id"])
    assert run.status == "done"
    jobs.stop_runner(store)


def test_a_failing_job_stores_its_error_and_the_runner_goes_on(store: Database):
    def boom(progress):
        progress(0.5, "half way")
        raise ValueError("the file has no column 'amount'\nmore")

    runner = jobs.runner(store)
    bad = runner.wait(jobs.submit(store, "x", "Bad", boom, actor="ann"), timeout=30)
    assert (bad.status, bad.error, bad.message) == (
        "failed", "ValueError: the file has no column 'amount'", "half way")
    good = runner.wait(jobs.submit(store, "x", "Good", lambda p: {"n": 1}, actor="ann"), timeout=30)
    assert (good.status, good.result) == ("done", {"n": 1})
    assert [j.id for j in jobs.list_jobs(store, kind="x")] == [good.id, bad.id]
    jobs.stop_runner(store)


def test_jobs_and_runs_left_running_by_a_dead_process_are_marked_at_the_next_open(tmp_path):
    path = tmp_path / "w.duckdb"
    s = Database(path)
    pid, sid = make_split(s)
    queued = jobs_db.insert_job(s, "train", "Train", "ann", pid)
    running = jobs_db.insert_job(s, "seed", "Seed", "ann", pid)
    jobs_db.start_job(s, running)
    run_id = training_db.insert_run(s, pid, "ann", name="r", split_id=sid, model_kind="dummy")
    done = jobs_db.insert_job(s, "x", "Done", "ann", pid)
    jobs_db.start_job(s, done)
    jobs_db.end_job(s, done, "done", "ann", result={"ok": 1})
    s.close()  # the process died with these rows as they were

    s = Database(path)
    try:
        status = {j.id: j.status for j in jobs_db.list_jobs(s)}
        assert status == {queued: "interrupted", running: "interrupted", done: "done"}
        assert "stopped before" in str(jobs_db.list_jobs(s, kind="seed")[0].error)
        assert training.get_run(s, run_id).status == "failed"
    finally:
        s.close()
