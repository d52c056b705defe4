"""The Data page's load is a job: it runs on when the user leaves the page, and back on the
page its progress is followed again and its outcome (the new dataset, or the message naming
the user's file) is shown once."""

from __future__ import annotations

import threading

from core import access, data, jobs
from core.data import load_jobs
from core.db import projects as projects_db
from tests.data.bad_files import BAD_FILES
from tests.pages.helpers import errors
from ui import data_ingest, session

DATA, SCOPING = "pages/2_Data.py", "pages/1_Scoping.py"
ROWS = b"width,shade,ok\n" + b"".join(b"%d,%s,%d\n" % (i, b"ab"[i % 2:][:1], i % 2)
                                       for i in range(40))


def _store_and_project(app_env):
    store = session._open_store(str(app_env))  # the server's store, as the page gets it
    return store, projects_db.list_projects(store)[0].id


def _gated_upload(store, pid, gate: threading.Event, filename: str, payload: bytes,
                  actor: str | None = None) -> int:
    """A load job of an upload that waits for ``gate`` before it reads the file; by the
    page's own user unless ``actor`` names someone else."""
    actor = actor or access.local_actor()

    def load(progress):
        gate.wait(60)
        return data.ingest_upload(store, pid, filename, payload, name="gated batch",
                                  actor=actor, progress=progress)

    return load_jobs.submit_load(store, pid, filename, load, actor=actor)


def test_a_load_running_when_the_page_opens_is_followed_to_its_dataset(app, app_env):
    store, pid = _store_and_project(app_env)
    gate = threading.Event()
    job_id = _gated_upload(store, pid, gate, "late batch.csv", ROWS)
    threading.Timer(1.0, gate.set).start()
    app.switch_page(DATA).run()  # another session's load, still running: followed
    assert not errors(app)
    job = jobs.get_job(store, job_id)
    assert job is not None and job.status == "done", job and job.error
    assert any("Loaded 40 rows and 3 columns" in s.value for s in app.success)
    assert app.selectbox(key="data.dataset").value == (job.result or {})["dataset_id"]


def test_another_persons_load_is_mentioned_without_waiting_for_it(app, app_env):
    store, pid = _store_and_project(app_env)
    gate = threading.Event()
    job_id = _gated_upload(store, pid, gate, "their batch.csv", ROWS, actor="bo")
    try:
        app.switch_page(DATA).run()
        assert not errors(app)
        assert any("bo is loading their batch.csv" in c.value for c in app.caption)
        assert jobs.get_job(store, job_id).active  # type: ignore[union-attr]
    finally:
        gate.set()
    assert jobs.runner(store).wait(job_id, timeout=120).status == "done"


def test_leaving_during_a_load_and_coming_back_shows_its_dataset_once(app, app_env):
    store, pid = _store_and_project(app_env)
    gate = threading.Event()
    job_id = _gated_upload(store, pid, gate, "left behind.csv", ROWS)
    app.session_state[data_ingest.JOB] = job_id  # this session clicked Load ...
    app.switch_page(SCOPING).run()  # ... and left the page while it ran
    assert not errors(app)
    assert jobs.get_job(store, job_id).active  # type: ignore[union-attr]
    gate.set()
    assert jobs.runner(store).wait(job_id, timeout=120).status == "done"
    app.switch_page(DATA).run()  # back: the outcome is shown and the dataset selected
    assert not errors(app)
    job = jobs.get_job(store, job_id)
    assert job is not None and job.result is not None
    assert any("Loaded 40 rows" in s.value for s in app.success)
    assert app.selectbox(key="data.dataset").value == job.result["dataset_id"]
    report = data.get_report(store, job.result["dataset_id"])  # the job built it
    assert report is not None
    app.run()  # shown once
    assert not any("Loaded 40 rows" in s.value for s in app.success)


def test_a_failing_load_shows_the_message_naming_the_file_when_the_user_is_back(app, app_env):
    store, pid = _store_and_project(app_env)
    before = {d.id for d in data.list_datasets(store, pid)}
    job_id = load_jobs.submit_upload(store, pid, "ragged rows.csv", BAD_FILES["ragged rows.csv"],
                                     actor="ann", name="ragged")
    assert jobs.runner(store).wait(job_id, timeout=120).status == "failed"
    app.session_state[data_ingest.JOB] = job_id
    app.switch_page(DATA).run()
    assert not errors(app)
    shown = " ".join(e.value for e in app.error)
    assert "ragged rows.csv" in shown and "workbench_upload_" not in shown, shown
    assert {d.id for d in data.list_datasets(store, pid)} == before


def test_the_load_button_runs_a_job_with_named_progress(app, app_env):
    store, pid = _store_and_project(app_env)
    app.switch_page(DATA).run()
    app.file_uploader(key="data.upload").set_value(("own rows.csv", ROWS, "text/csv")).run()
    app.button(key="data.load").click().run()
    assert not errors(app)
    assert any("Loaded 40 rows" in s.value for s in app.success)
    (job,) = jobs.list_jobs(store, pid, kind=load_jobs.KIND)
    assert job.status == "done" and job.title == "Loading own rows.csv"
    assert job.result is not None and job.result["file"] == "own rows.csv"
