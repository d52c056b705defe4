"""Projects, the audit log, and whether the database was ever written to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database, qident
from core.errors import StoreError


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    description: str
    is_demo: bool
    created_at: datetime
    created_by: str


# ------------------------------------------------------------------ projects
def create_project(db: Database, name: str, actor: str, description: str = "", is_demo: bool = False
) -> int:
    name = name.strip()
    if not name:
        raise StoreError("A project needs a name.")
    with db.write(actor, "create", "project", detail={"name": name}) as (cur, audit):
        if cur.execute("SELECT 1 FROM projects WHERE name = ?", [name]).fetchall():
            raise StoreError(f"A project named {name!r} exists already; choose another name.")
        (pid,) = cur.execute(
            "INSERT INTO projects (name, description, is_demo, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            [name, description, is_demo, utcnow(), actor],
        ).fetchall()[0]
        audit["entity_id"] = audit["project_id"] = pid
    return int(pid)


def list_projects(db: Database) -> list[ProjectRow]:
    rows = db.rows(
        "SELECT id, name, description, is_demo, created_at, created_by FROM projects"
        " ORDER BY is_demo DESC, created_at, id"
    )
    return [ProjectRow(*r) for r in rows]


def get_project(db: Database, project_id: int) -> ProjectRow | None:
    rows = db.rows(
        "SELECT id, name, description, is_demo, created_at, created_by FROM projects"
        " WHERE id = ?",
        [project_id],
    )
    return ProjectRow(*rows[0]) if rows else None


def delete_project(db: Database, project_id: int, actor: str) -> None:
    """Delete a project, its datasets and their tables, in one transaction."""
    project = get_project(db, project_id)
    if project is None:
        raise StoreError("That project does not exist (any more).")
    with db.write(
        actor, "delete", "project", project_id, project_id, {"name": project.name}
    ) as (cur, _):
        for (table,) in cur.execute(
            "SELECT table_name FROM datasets WHERE project_id = ?", [project_id]
        ).fetchall():
            cur.execute(f"DROP TABLE IF EXISTS {qident(table)}")
        for table in project_tables(db):
            cur.execute(f"DELETE FROM {qident(table)} WHERE project_id = ?", [project_id])
        cur.execute("DELETE FROM projects WHERE id = ?", [project_id])


def project_tables(db: Database) -> list[str]:
    """Result tables keyed by project (all but projects and the audit log)."""
    rows = db.rows(
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'project_id'"
        " AND table_name NOT IN ('projects', 'audit_log') AND NOT internal"
    )
    return [r[0] for r in rows]


# ----------------------------------------------------------------- audit log
def list_audit(db: Database, project_id: int | None = None, limit: int = 200) -> pd.DataFrame:
    sql = "SELECT logged_at, actor, action, entity, entity_id, project_id, detail FROM audit_log"
    params: list[Any] = []
    if project_id is not None:
        sql += " WHERE project_id = ?"
        params.append(project_id)
    return db.df(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])


def is_empty(db: Database) -> bool:
    return not db.rows("SELECT 1 FROM projects LIMIT 1")


def is_pristine(db: Database) -> bool:
    """Nothing was ever written: no project and no audit row (a first start)."""
    return is_empty(db) and not db.rows("SELECT 1 FROM audit_log LIMIT 1")


# --------------------------------------------------------------- column roles
def get_column_roles(db: Database, project_id: int) -> dict[str, str]:
    """{role: column} stored for a project."""
    return dict(
        db.rows("SELECT role, column_name FROM column_roles WHERE project_id = ?", [project_id])
    )


def set_column_roles(
    db: Database, project_id: int, roles: dict[str, str | None], actor: str
) -> None:
    """Replace the given roles (None clears a role); other roles are kept."""
    with db.write(actor, "set", "column_roles", project_id, project_id, dict(roles)) as (cur, _):
        for role, column in roles.items():
            cur.execute(
                "DELETE FROM column_roles WHERE project_id = ? AND role = ?", [project_id, role]
            )
            if column:
                cur.execute(
                    "INSERT INTO column_roles VALUES (?, ?, ?, ?, ?)",
                    [project_id, role, column, utcnow(), actor],
                )
