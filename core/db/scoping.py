"""Scoping briefs: each save appends a version (JSON built and read by core.scoping)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.db import projects as projects_db
from core.db.clock import utcnow
from core.db.database import Database
from core.errors import StoreError


# A project brief is JSON (built and read by core.scoping); each save appends a version.
def insert_brief_version(db: Database, project_id: int, brief_json: str, note: str, actor: str) -> int:
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


def list_brief_versions(db: Database, project_id: int) -> list[tuple[int, datetime, str, str]]:
    """(version, created_at, created_by, note) of every saved brief, newest first."""
    return db.rows(
        "SELECT version, created_at, created_by, note FROM scoping_briefs"
        " WHERE project_id = ? ORDER BY version DESC",
        [project_id],
    )


def get_brief_version(db: Database, project_id: int, version: int | None = None
) -> tuple[int, datetime, str, str, str] | None:
    """(version, created_at, created_by, note, brief_json) of one version (default latest)."""
    sql = (
        "SELECT version, created_at, created_by, note, brief FROM scoping_briefs"
        " WHERE project_id = ?"
    )
    params: list[Any] = [project_id]
    if version is not None:
        sql += " AND version = ?"
        params.append(int(version))
    rows = db.rows(sql + " ORDER BY version DESC LIMIT 1", params)
    return rows[0] if rows else None
