"""Approvals of the lifecycle gates (append-only rows with their evidence as JSON) and the
model card's limitations written by the team (each save a new version)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.db import projects as projects_db
from core.db.clock import utcnow
from core.db.database import Database
from core.db.rows import where_equal
from core.errors import StoreError


@dataclass(frozen=True)
class ApprovalRow:
    """One stored approval; ``evidence`` is the decoded JSON the approver saw."""

    id: int
    project_id: int
    gate: str
    subject_id: int
    subject: str
    evidence: dict[str, Any]
    evidence_hash: str
    comment: str
    approved_at: datetime
    approved_by: str


_COLS = (
    "id, project_id, gate, subject_id, subject, evidence, evidence_hash, comment,"
    " approved_at, approved_by"
)


def insert_approval(
    db: Database,
    project_id: int,
    gate: str,
    subject_id: int,
    subject: str,
    evidence: dict[str, Any],
    evidence_hash: str,
    comment: str,
    actor: str,
) -> int:
    """Append an approval; returns its id."""
    if projects_db.get_project(db, project_id) is None:
        raise StoreError("That project does not exist (any more).")
    with db.write(actor, "approve", "approval", project_id=project_id,
                  detail={"gate": gate, "subject": subject, "evidence_hash": evidence_hash},
                  ) as (cur, audit):
        (aid,) = cur.execute(
            f"INSERT INTO approvals ({_COLS.split(', ', 1)[1]})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [project_id, gate, int(subject_id), subject,
             json.dumps(evidence, sort_keys=True, default=str), evidence_hash, comment,
             utcnow(), actor],
        ).fetchall()[0]
        audit["entity_id"] = aid
    return int(aid)


def list_approvals(db: Database, project_id: int, gate: str | None = None) -> list[ApprovalRow]:
    """A project's approvals (of one gate, or all), newest first."""
    sql, params = where_equal(
        f"SELECT {_COLS} FROM approvals WHERE project_id = ?", [project_id], gate=gate
    )
    rows = db.rows(sql + " ORDER BY approved_at DESC, id DESC", params)
    return [
        ApprovalRow(int(i), int(p), g, int(s), subj, json.loads(ev), h, c, at, by)
        for i, p, g, s, subj, ev, h, c, at, by in rows
    ]


def insert_card_note(db: Database, project_id: int, limitations: str, actor: str) -> int:
    """Save the team's limitations for the model card as the next version; returns it."""
    if projects_db.get_project(db, project_id) is None:
        raise StoreError("That project does not exist (any more).")
    with db.write(actor, "save", "model_card_note", project_id=project_id) as (cur, audit):
        (version,) = cur.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM model_card_notes WHERE project_id = ?",
            [project_id],
        ).fetchall()[0]
        cur.execute(
            "INSERT INTO model_card_notes VALUES (?, ?, ?, ?, ?)",
            [project_id, version, limitations, utcnow(), actor],
        )
        audit["entity_id"] = version
    return int(version)


def get_card_note(db: Database, project_id: int) -> tuple[int, str, datetime, str] | None:
    """The latest limitations (version, text, saved at, by), or None."""
    rows = db.rows(
        "SELECT version, limitations, created_at, created_by FROM model_card_notes"
        " WHERE project_id = ? ORDER BY version DESC LIMIT 1",
        [project_id],
    )
    return (int(rows[0][0]), rows[0][1], rows[0][2], rows[0][3]) if rows else None
