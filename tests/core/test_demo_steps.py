"""The demo's seeding as named, resumable steps: a stopped seeding resumes where it
stopped and ends with every part stored exactly once; the Overview's steps run first and
the rest as a job."""

from __future__ import annotations

import pytest

from core import jobs, training
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.demo import seed
from core.deploy import simulations_frame
from core.monitoring import list_runs as monitor_runs
from core.scoping import list_versions
from core.training import registry


@pytest.fixture(autouse=True)
def _small_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_DEMO_ROWS", "3000")
    monkeypatch.setenv("WORKBENCH_ARTIFACTS", str(tmp_path / "artifacts"))


class _Closed(BaseException):
    """The tab closed / the server stopped: not an Exception, like Streamlit's stop."""


def _stop_at(text: str):
    def progress(fraction: float, message: str) -> None:
        if text in message:
            raise _Closed()

    return progress


def assert_demo_complete(store: Database) -> int:
    """Every part of the demo stored, each exactly once; returns the project id."""
    (project,) = projects_db.list_projects(store)
    pid = project.id
    assert project.is_demo
    names = sorted(d.name for d in datasets_db.list_datasets(store, pid))
    assert names == ["claims_2025_train", "claims_annotations", "claims_production_stream"]
    assert len(list_versions(store, pid)) == 2
    done = [r.name for r in training.list_runs(store, pid, top_level=True, status="done")]
    for name in seed.runs.RUN_NAMES.values():
        assert done.count(name) == 1, (name, done)
    assert registry.get_champion(store, pid) and registry.get_challenger(store, pid)
    sims = simulations_frame(store, pid)
    assert sorted(sims["pattern"]) == ["blue_green", "canary", "shadow"]
    runs = monitor_runs(store, pid)
    assert list(runs["source"]) == ["demo"]
    assert seed.missing_steps(store) == []
    return pid


def test_a_seeding_stopped_in_training_resumes_and_completes_once(store: Database):
    with pytest.raises(_Closed):
        seed.seed_demo(store, progress=_stop_at("champion"))
    missing = seed.missing_steps(store)
    assert missing[:2] == ["champion", "registry"] and "data" not in missing
    assert seed.seed_demo(store) is None  # not pristine any more: seed_demo does nothing
    seed.run_steps(store, missing)
    assert_demo_complete(store)


def test_a_seeding_stopped_in_its_rehearsals_resumes_without_duplicates(store: Database):
    with pytest.raises(_Closed):
        seed.seed_demo(store, progress=_stop_at("Replaying the canary"))
    assert len(simulations_frame(store, projects_db.list_projects(store)[0].id)) == 2
    seed.run_steps(store, seed.missing_steps(store))
    assert_demo_complete(store)


def test_first_start_seeds_the_overview_now_and_the_rest_as_a_job(store: Database):
    job_id = seed.ensure_demo(store)
    assert job_id is not None
    pid = projects_db.list_projects(store)[0].id
    assert len(datasets_db.list_datasets(store, pid)) == 3  # the Overview's part, at once
    assert seed.ensure_demo(store) == job_id  # a second session: the same job
    job = jobs.runner(store).wait(job_id, timeout=600)
    assert job.status == "done", job.error
    assert_demo_complete(store)
    assert seed.ensure_demo(store) is None
    jobs.stop_runner(store)


def test_a_deleted_demo_stays_deleted(store: Database):
    pid = seed.seed_demo(store)
    assert pid is not None
    projects_db.delete_project(store, pid, "me")
    assert seed.steps_to_seed(store) == [] and seed.ensure_demo(store) is None
    assert projects_db.list_projects(store) == []
