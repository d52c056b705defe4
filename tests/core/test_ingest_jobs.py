"""Loading as a job (core.data.load_jobs): progress in named phases, the quality report
built by the job, the upload's private copy removed, and every failure's message naming
the user's file with nothing stored."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from core import data, jobs
from core.data import load_jobs
from core.db import jobs as jobs_db
from core.db import projects as projects_db
from core.errors import IngestError

ROWS = "depth,grade,site\n" + "".join(f"{i},{i % 4},{'ab'[i % 2]}\n" for i in range(300))


@pytest.fixture
def pid(store):
    yield projects_db.create_project(store, "P", "tester")
    jobs.stop_runner(store)


def _uploads() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("workbench_upload_*")}


def test_an_upload_loads_as_a_job_with_named_phases(store, pid, monkeypatch):
    seen: list[str] = []
    store_progress = jobs_db.set_progress
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(jobs_db, "set_progress",
                        lambda s, j, f, m: (seen.append(m), store_progress(s, j, f, m)))
    before = _uploads()
    job_id = load_jobs.submit_upload(store, pid, "own/depths.csv", ROWS.encode(), actor="tester",
                                     name="depths")
    job = jobs.runner(store).wait(job_id, timeout=120)
    assert job.status == "done", job.error
    assert job.kind == load_jobs.KIND and job.title == "Loading depths.csv"
    assert job.result is not None and job.result["file"] == "depths.csv"
    assert job.result["headline"].startswith("Loaded 300 rows and 3 columns")
    assert data.get_report(store, job.result["dataset_id"]) is not None
    assert seen[0].startswith("Reading depths.csv")
    assert "Building the quality report" in seen
    assert any(m.startswith("Loaded 300 rows") for m in seen)  # the table written
    assert _uploads() == before  # the private copy is gone


def test_a_failed_load_names_the_file_stores_nothing_and_removes_the_copy(store, pid):
    before = _uploads()
    job_id = load_jobs.submit_upload(store, pid, "header only.csv", b"depth,grade\n",
                                     actor="tester", name="h")
    job = jobs.runner(store).wait(job_id, timeout=120)
    assert job.status == "failed" and "header only.csv" in str(job.error)
    assert "workbench_upload_" not in str(job.error)
    assert data.list_datasets(store, pid) == []
    assert _uploads() == before


def test_an_unexpected_error_is_reworded_to_name_the_file(store, pid):
    def load(progress):
        raise ValueError("something deep\nwith a second line")

    job = jobs.runner(store).wait(
        load_jobs.submit_load(store, pid, "odd.parquet", load, actor="tester"), timeout=60)
    assert job.status == "failed"
    assert job.error == ("odd.parquet could not be loaded (something deep); nothing was "
                         "stored. Check the file, or save it as CSV or Parquet again.")


def test_a_path_outside_the_allowed_folders_fails_as_a_job_naming_it(store, pid, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setenv("WORKBENCH_DATA_DIRS", str(tmp_path / "allowed"))
    job = jobs.runner(store).wait(
        load_jobs.submit_path(store, pid, "/etc/passwd", actor="tester", name="p"), timeout=60)
    assert job.status == "failed" and "/etc/passwd" in str(job.error)
    assert "WORKBENCH_DATA_DIRS" in str(job.error)
    assert data.list_datasets(store, pid) == []


def test_an_upload_over_the_limit_is_refused_before_any_job(store, pid, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "1")
    with pytest.raises(IngestError, match="big.csv"):
        load_jobs.submit_upload(store, pid, "big.csv", b"x" * (2 << 20), actor="t", name="b")
    assert jobs.list_jobs(store, pid) == []
