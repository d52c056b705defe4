"""Jobs (long work run outside a page's script run) and setup steps: their rows.

Submitting, starting and ending a job are audited writes. Progress updates are not: they
change only the job's own ``fraction`` and ``message`` (what a page polls), many times a
second at worst, and would drown the audit log; they still take their turn under the
database's lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.db.clock import utcnow
from core.db.database import Database

STATUSES = ("queued", "running", "done", "failed", "interrupted")
ACTIVE = ("queued", "running")
_COLS = (
    "id, project_id, kind, title, status, fraction, message, params, result, error,"
    " created_at, created_by, started_at, finished_at"
)


@dataclass(frozen=True)
class JobRow:
    id: int
    project_id: int | None
    kind: str
    title: str
    status: str
    fraction: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


def _row(r: tuple) -> JobRow:
    values = list(r)
    values[7] = json.loads(values[7] or "{}")
    values[8] = json.loads(values[8]) if values[8] else None
    return JobRow(*values)


def insert_job(
    db: Database,
    kind: str,
    title: str,
    actor: str,
    project_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    """Record a job as 'queued'; returns its id."""
    detail = {"kind": kind, "title": title}
    with db.write(actor, "submit", "job", project_id=project_id, detail=detail) as (cur, audit):
        (jid,) = cur.execute(
            "INSERT INTO jobs (project_id, kind, title, status, params, created_at, created_by)"
            " VALUES (?, ?, ?, 'queued', ?, ?, ?) RETURNING id",
            [project_id, kind, title, json.dumps(params or {}, default=str), utcnow(), actor],
        ).fetchall()[0]
        audit["entity_id"] = jid
    return int(jid)


def start_job(db: Database, job_id: int) -> None:
    with db.lock, db.cursor() as cur:
        cur.execute(
            "UPDATE jobs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'",
            [utcnow(), job_id],
        )


def set_progress(db: Database, job_id: int, fraction: float, message: str) -> None:
    """The job's progress (not audited: see the module's docstring)."""
    fraction = min(max(float(fraction), 0.0), 1.0)
    with db.lock, db.cursor() as cur:
        cur.execute(
            "UPDATE jobs SET fraction = ?, message = ? WHERE id = ? AND status = 'running'",
            [fraction, str(message)[:500], job_id],
        )


def end_job(
    db: Database,
    job_id: int,
    status: str,
    actor: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Mark a job done, failed or interrupted, with its result reference or its error."""
    job = get_job(db, job_id)
    project_id = job.project_id if job else None
    detail = {"status": status, "error": (error or "")[:300]}
    with db.write(actor, status, "job", job_id, project_id, detail) as (cur, _):
        cur.execute(
            "UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = ?,"
            " fraction = CASE WHEN ? = 'done' THEN 1.0 ELSE fraction END WHERE id = ?",
            [
                status,
                json.dumps(result, default=str) if result is not None else None,
                error,
                utcnow(),
                status,
                job_id,
            ],
        )


def interrupt_stale_jobs(db: Database, actor: str = "workbench") -> int:
    """Mark jobs left queued or running as interrupted: only one process may open the file,
    so an active job found when it opens belongs to a process that stopped."""
    rows = db.rows("SELECT id FROM jobs WHERE status IN ('queued', 'running')")
    for (job_id,) in rows:
        end_job(
            db,
            job_id,
            "interrupted",
            actor,
            error="Interrupted: the workbench stopped before this job finished.",
        )
    return len(rows)


def get_job(db: Database, job_id: int) -> JobRow | None:
    rows = db.rows(f"SELECT {_COLS} FROM jobs WHERE id = ?", [job_id])
    return _row(rows[0]) if rows else None


def list_jobs(
    db: Database,
    project_id: int | None = None,
    kind: str | None = None,
    active_only: bool = False,
    limit: int = 50,
) -> list[JobRow]:
    """Jobs, newest first, optionally of one project and kind, or only queued / running."""
    where, params = ["TRUE"], []
    if project_id is not None:
        where.append("project_id = ?")
        params.append(project_id)
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if active_only:
        where.append("status IN ('queued', 'running')")
    rows = db.rows(
        f"SELECT {_COLS} FROM jobs WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
        [*params, int(limit)],
    )
    return [_row(r) for r in rows]


# ------------------------------------------------------------------ setup steps
def done_steps(db: Database, plan: str) -> dict[str, int | None]:
    """{step: id of what it made} of the steps of ``plan`` recorded as done."""
    return dict(db.rows("SELECT step, entity_id FROM setup_steps WHERE plan = ?", [plan]))


def mark_step_done(db: Database, plan: str, step: str, project_id: int | None, actor: str) -> None:
    """Record a step of a project's setup as done (again: a no-op)."""
    detail = {"plan": plan, "step": step}
    with db.write(actor, "setup", "step", project_id=project_id, detail=detail) as (cur, _):
        cur.execute(
            "INSERT INTO setup_steps (plan, step, entity_id, done_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [plan, step, project_id, utcnow()],
        )
