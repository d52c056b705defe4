"""Long work as jobs: run in the server process, outside the page's script run that
started them, with their status and progress stored.

DESIGN
------
* One :class:`JobRunner` per database (a module-level registry, :func:`runner`): a small
  thread pool owned by the process, not by a browser session, so leaving the page, closing
  the tab or a rerun never stops a job. Streamlit stops a script run by raising inside it;
  a job's thread is not a script run, so nothing raises there.
* A job is a callable ``work(progress) -> result``; ``progress`` is a
  :data:`core.progress.Progress` that stores the fraction and message (at most every
  ``PROGRESS_EVERY`` seconds, and always the last one), and ``result`` a small dict naming
  what the work stored (e.g. ``{"run_id": 12}``), kept as the job's result reference.
* Statuses: queued → running → done | failed; a job still queued or running when its
  process stopped is marked ``interrupted`` when the database is next opened
  (:func:`core.db.jobs.interrupt_stale_jobs`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd

from core.db import jobs as jobs_db
from core.db.database import Database
from core.db.jobs import JobRow
from core.errors import StoreError
from core.progress import Progress

Job = JobRow  # a stored job as the pages read it
Work = Callable[[Progress], "dict[str, Any] | None"]
PROGRESS_EVERY = 0.5  # seconds between two stored progress updates of one job
WORKERS = 2  # jobs at once; the machine has two cores and pages keep serving meanwhile

_RUNNERS: dict[int, JobRunner] = {}
_RUNNERS_LOCK = threading.Lock()


class JobRunner:
    """Runs jobs of one database on a thread pool owned by the process."""

    def __init__(self, store: Database, workers: int = WORKERS):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workbench-job")
        self._futures: dict[int, Future] = {}
        self._closed = False

    def submit(
        self,
        kind: str,
        title: str,
        work: Work,
        *,
        actor: str,
        project_id: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> int:
        """Queue ``work`` as a job; returns the job id at once."""
        if self._closed:
            raise StoreError("The workbench is shutting down: start this again after the restart.")
        job_id = jobs_db.insert_job(self.store, kind, title, actor, project_id, params)
        self._futures[job_id] = self._pool.submit(self._run, job_id, work, actor)
        return job_id

    def wait(self, job_id: int, timeout: float | None = None) -> Job:
        """Block until the job ends (for tests and the command line); returns its row."""
        future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)
        job = jobs_db.get_job(self.store, job_id)
        if job is None:
            raise StoreError(f"Job {job_id} does not exist.")
        return job

    def running(self, job_id: int) -> bool:
        """Whether this process is still working on the job."""
        future = self._futures.get(job_id)
        return future is not None and not future.done()

    def knows(self, job_id: int) -> bool:
        """Whether the job was submitted in this process."""
        return job_id in self._futures

    def shutdown(self, wait: bool = True) -> None:
        """Refuse new jobs, drop queued ones (left 'queued': marked interrupted at the next
        open) and, with ``wait``, let running ones finish."""
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _run(self, job_id: int, work: Work, actor: str) -> None:
        jobs_db.start_job(self.store, job_id)
        progress = _StoredProgress(self.store, job_id)
        try:
            result = work(progress)
        except BaseException as exc:  # noqa: BLE001 - a job's failure is its stored outcome
            progress.flush()
            jobs_db.end_job(self.store, job_id, "failed", actor, error=_error_text(exc))
            if not isinstance(exc, Exception):
                raise
            return
        progress.flush()
        jobs_db.end_job(self.store, job_id, "done", actor, result=result or {})


class _StoredProgress:
    """A Progress that stores the job's fraction and message, throttled."""

    def __init__(self, store: Database, job_id: int):
        self.store, self.job_id = store, job_id
        self._last = 0.0
        self._pending: tuple[float, str] | None = None

    def __call__(self, fraction: float, message: str) -> None:
        self._pending = (fraction, message)
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY:
            self.flush()
            self._last = now

    def flush(self) -> None:
        if self._pending is not None:
            jobs_db.set_progress(self.store, self.job_id, *self._pending)
            self._pending = None


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, StoreError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()[:2000]


def runner(store: Database) -> JobRunner:
    """The process's runner for ``store`` (created on first use)."""
    with _RUNNERS_LOCK:
        found = _RUNNERS.get(id(store))
        if found is None or found.store is not store or found._closed:
            found = _RUNNERS[id(store)] = JobRunner(store)
        return found


def stop_runner(store: Database, wait: bool = True) -> None:
    """Shut the runner of ``store`` down (before the database closes)."""
    with _RUNNERS_LOCK:
        found = _RUNNERS.pop(id(store), None)
    if found is not None and found.store is store:
        found.shutdown(wait=wait)


def submit(
    store: Database,
    kind: str,
    title: str,
    work: Work,
    *,
    actor: str,
    project_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Queue ``work`` on the process's runner of ``store``; returns the job id."""
    return runner(store).submit(
        kind, title, work, actor=actor, project_id=project_id, params=params
    )


def get_job(store: Database, job_id: int) -> Job | None:
    return jobs_db.get_job(store, job_id)


def list_jobs(
    store: Database,
    project_id: int | None = None,
    kind: str | None = None,
    active_only: bool = False,
    limit: int = 50,
) -> list[Job]:
    """Jobs, newest first (of a project, of a kind, or only those queued or running)."""
    return jobs_db.list_jobs(store, project_id, kind, active_only, limit)


def latest_job(store: Database, project_id: int | None, kind: str) -> Job | None:
    """The newest job of a kind (for a project), or None."""
    found = jobs_db.list_jobs(store, project_id, kind, limit=1)
    return found[0] if found else None


def jobs_frame(store: Database, project_id: int | None, limit: int = 20) -> pd.DataFrame:
    """The project's recent jobs as a display table, newest first (the demo's seeding and
    the scheduler's requests included)."""
    rows = [
        {"job": j.id, "what": j.title, "status": j.status, "progress": j.fraction,
         "message": j.error or j.message, "by": j.created_by, "submitted": j.created_at,
         "finished": j.finished_at}
        for j in jobs_db.list_jobs(store, project_id, limit=limit)
    ]
    columns = ["job", "what", "status", "progress", "message", "by", "submitted", "finished"]
    return pd.DataFrame(rows, columns=columns)
