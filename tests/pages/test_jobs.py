"""Pages and jobs: a page follows a job started before the user came (back), and the first
start draws the Overview, then follows the rest of the demo's seeding as a job."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import jobs, training
from core.db import projects as projects_db
from core.demo import seed
from ui import session

ROOT = Path(__file__).resolve().parents[2]
TRAINING = "pages/4_Training.py"


def test_the_training_page_follows_a_job_started_before_the_visit(app, app_env):
    store = session._open_store(str(app_env))  # the server's store, as the page gets it
    pid = projects_db.list_projects(store)[0].id
    spec = seed.runs._specs(seed.runs._demo_split_id(store, pid) or 0)["challenger"]
    gate = threading.Event()

    def work(progress):
        gate.wait(60)  # still running when the page opens
        return {"run_id": training.train_run(store, pid, spec, actor="ann", name="left behind",
                                             progress=progress)}

    job_id = jobs.submit(store, "train", "Training left behind", work, actor="ann",
                         project_id=pid)
    threading.Timer(1.0, gate.set).start()
    app.switch_page(TRAINING).run()
    assert not app.exception, [e.value for e in app.exception]
    job = jobs.get_job(store, job_id)
    assert job is not None and job.status == "done"
    run_id = (job.result or {})["run_id"]
    assert any(f"Run #{run_id} done" in s.value for s in app.success)


@pytest.fixture
def first_start(tmp_path, monkeypatch, fresh_caches):
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "new.duckdb"))
    monkeypatch.setenv("WORKBENCH_SEED_DEMO", "1")
    monkeypatch.setenv("WORKBENCH_DEMO_ROWS", "3000")
    return tmp_path / "new.duckdb"


def test_first_start_draws_the_overview_then_follows_the_seeding_job(first_start):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    store = session._open_store(str(first_start))
    (job,) = jobs.list_jobs(store, kind=seed.JOB_KIND)
    assert job.status == "done", job.error
    assert seed.missing_steps(store) == []
    headers = [h.value for h in at.subheader]
    assert "Lifecycle" in headers and any(h.startswith("Open alerts (") for h in headers)
    assert not any("Open alerts (0)" == h for h in headers)  # the monitoring run is stored


def test_the_monitoring_page_follows_a_run_started_before_the_visit(app, app_env):
    from core import monitoring

    store = session._open_store(str(app_env))
    pid = projects_db.list_projects(store)[0].id
    choices = monitoring.run_choices(store, pid)
    gate = threading.Event()

    def work(progress):
        gate.wait(60)
        return {"run_id": monitoring.run_monitoring(
            store, pid, reference_dataset_id=choices.references[0],
            current_dataset_id=choices.productions[0], model_version_id=None, actor="ann",
            settings=monitoring.MonitorSettings(window="month"), progress=progress).run_id}

    job_id = jobs.submit(store, "monitor", "Monitoring", work, actor="ann", project_id=pid)
    threading.Timer(1.0, gate.set).start()
    app.switch_page("pages/7_Monitoring.py").run()
    assert not app.exception, [e.value for e in app.exception]
    job = jobs.get_job(store, job_id)
    assert job is not None and job.status == "done", job and job.error
    assert app.selectbox(key="monitoring.run").value == (job.result or {})["run_id"]
