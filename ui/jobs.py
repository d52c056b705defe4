"""Long work on a page: submit it as a job (core.jobs), then follow its stored progress.

The page's script run only watches: when the user leaves or reruns the page, Streamlit
stops the watching, never the job; back on the page (in this session or a new one) the
job still queued or running is found in the store and followed again, and a finished
job's results are read from the store as usual.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from core import jobs as core_jobs
from core.db.database import Database
from core.progress import Progress

POLL = 0.3  # seconds between two looks at a followed job's progress


def submit(
    store: Database,
    key: str,
    kind: str,
    title: str,
    work: Callable[[Progress], dict | None],
    *,
    actor: str,
    project_id: int | None,
) -> int:
    """Queue ``work`` as a job and remember it under ``key`` for this session."""
    job_id = core_jobs.submit(store, kind, title, work, actor=actor, project_id=project_id)
    st.session_state[key] = job_id
    return job_id


def pending(store: Database, key: str, project_id: int | None, kind: str) -> int | None:
    """The job to follow: this session's job under ``key`` while active, else the project's
    newest job of ``kind`` still queued or running (started in another session or tab)."""
    mine = st.session_state.get(key)
    if mine is not None:
        job = core_jobs.get_job(store, mine)
        if job is not None and job.active:
            return mine
    active = core_jobs.list_jobs(store, project_id, kind, active_only=True, limit=1)
    return active[0].id if active else None


def follow(store: Database, job_id: int, label: str, show_error: bool = True
           ) -> core_jobs.Job | None:
    """Show the job's progress until it ends; returns its final row (None: unknown job).

    Leaving the page stops this loop only: the job runs on in the server process.
    """
    job = core_jobs.get_job(store, job_id)
    if job is None:
        return None
    runner = core_jobs.runner(store)
    with st.status(f"{label}…", expanded=True) as status:
        bar = st.progress(0.0)
        while job is not None and job.active:
            bar.progress(job.fraction, text=job.message or "Waiting for a free worker")
            if not runner.running(job_id):  # ended between two looks, or not this process's
                job = core_jobs.get_job(store, job_id)
                break
            time.sleep(POLL)
            job = core_jobs.get_job(store, job_id)
        if job is None or job.active:
            status.update(label=f"{label}: still running", state="running")
        elif job.status == "done":
            status.update(label=f"{label}: done", state="complete", expanded=False)
        else:
            status.update(label=f"{label}: {job.status}", state="error", expanded=False)
    if show_error and job is not None and job.status in ("failed", "interrupted"):
        st.error(job.error or f"The job {job.status}.", icon=":material/error:")
    return job


def run_job(
    store: Database,
    key: str,
    kind: str,
    label: str,
    work: Callable[[Progress], dict | None],
    *,
    actor: str,
    project_id: int | None,
    show_error: bool = True,
) -> core_jobs.Job | None:
    """Submit and follow: what a page's action button does."""
    job_id = submit(store, key, kind, label, work, actor=actor, project_id=project_id)
    return follow(store, job_id, label, show_error)


def resume(store: Database, key: str, project_id: int | None, kind: str, label: str,
           show_error: bool = True) -> core_jobs.Job | None:
    """Follow the job still running for this page (see :func:`pending`), if any."""
    job_id = pending(store, key, project_id, kind)
    return follow(store, job_id, label, show_error) if job_id is not None else None
