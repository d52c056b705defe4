"""Scoping briefs: each save appends a version (JSON built and read by core.scoping)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.db import projects as projects_db
from core.db.clock import utcnow
from core.db.database import Database
from core.errors import StoreError


@dataclass(frozen=True)
class BriefVersionRow:
    """One saved version of a project's brief, without the brief itself (the history)."""

    version: int
    created_at: datetime
    created_by: str
    note: str


@dataclass(frozen=True)
class BriefRow(BriefVersionRow):
    """One saved version with its brief as stored (JSON built and read by core.scoping)."""

    brief_json: str


_COLUMNS = "version, created_at, created_by, note"


def insert_brief_version(
    db: Database, project_id: int, brief_json: str, note: str, actor: str
) -> int:
    """Append a new version of a project's brief; returns its version number (1, 2, ...)."""
    if projects_db.get_project(db, project_id) is None:
        raise StoreError("That project does not exist (any more).")
    with db.write(actor, "save", "brief", project_id=project_id, detail={"note": note}) as (
        cur,
        audit,
    ):
        (version,) = cur.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM scoping_briefs WHERE project_id = ?",
            [project_id],
        ).fetchall()[0]
        cur.execute(
            "INSERT INTO scoping_briefs (project_id, version, brief, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [project_id, version, brief_json, note, utcnow(), actor],
        )
        audit["entity_id"] = version
        audit["detail"]["version"] = version
    return int(version)


def list_brief_versions(db: Database, project_id: int) -> list[BriefVersionRow]:
    """Every saved version of a project's brief, newest first."""
    rows = db.rows(
        f"SELECT {_COLUMNS} FROM scoping_briefs WHERE project_id = ? ORDER BY version DESC",
        [project_id],
    )
    return [BriefVersionRow(int(v), at, by, note) for v, at, by, note in rows]


def get_brief_version(db: Database, project_id: int, version: int | None = None) -> BriefRow | None:
    """One saved version with its brief (default the latest), or None."""
    sql = f"SELECT {_COLUMNS}, brief FROM scoping_briefs WHERE project_id = ?"
    params: list[Any] = [project_id]
    if version is not None:
        sql += " AND version = ?"
        params.append(int(version))
    rows = db.rows(sql + " ORDER BY version DESC LIMIT 1", params)
    if not rows:
        return None
    v, at, by, note, brief_json = rows[0]
    return BriefRow(int(v), at, by, note, brief_json)
