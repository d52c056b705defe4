"""Labeling in the app: a labels set's queue (label choices, columns shown, its items in
order) and one label per reviewer per item in the latest version of the set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database
from core.db.labeling import (
    _existing_label_set,
    _free_name,
    _insert_label_set_row,
    _insert_label_version,
    _next_version,
    _refuse_taken_name,
)
from core.db.rows import select_list, typed_row


@dataclass(frozen=True)
class LabelQueueRow:
    """A ``label_queues`` row (its JSON columns decoded): a labels set labelled in the app."""

    label_set_id: int
    project_id: int
    choices: list[str]
    columns: list[str]
    created_at: datetime
    created_by: str




def _insert_tasks(
    cur: duckdb.DuckDBPyConnection,
    set_id: int,
    project_id: int,
    item_ids: list[str],
    source: str,
    actor: str,
) -> int:
    """Append items (in order, skipping those queued already) to a queue; returns how many."""
    (before,) = cur.execute(
        "SELECT count(*) FROM label_tasks WHERE label_set_id = ?", [set_id]
    ).fetchall()[0]
    cur.execute(
        "INSERT INTO label_tasks SELECT ?, ?, (SELECT coalesce(max(position), 0) FROM"
        " label_tasks WHERE label_set_id = ?) + row_number() OVER (ORDER BY min(o)), i, ?, ?, ?"
        " FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS q(i, o) WHERE NOT EXISTS (SELECT 1"
        " FROM label_tasks t WHERE t.label_set_id = ? AND t.item_id = q.i) GROUP BY i",
        [set_id, project_id, set_id, source, utcnow(), actor, [str(i) for i in item_ids], set_id],
    )
    (after,) = cur.execute(
        "SELECT count(*) FROM label_tasks WHERE label_set_id = ?", [set_id]
    ).fetchall()[0]
    return int(after) - int(before)


def insert_label_queue(
    db: Database,
    project_id: int,
    name: str,
    *,
    item_dataset_id: int,
    item_id_column: str,
    ground_truth_column: str | None,
    choices: list[str],
    columns: list[str],
    item_ids: list[str],
    source: str,
    actor: str,
) -> int:
    """Create a labels set with no label yet (version 1) as a queue of ``item_ids`` that
    reviewers label in the app; all or nothing. Returns the labels set's id."""
    name = _free_name(db, project_id, name)
    with (
        db.lock,
        db.write(
            actor,
            "create",
            "label_set",
            project_id=project_id,
            detail={"name": name, "source": "labeling in the app", "items": len(item_ids)},
        ) as (cur, audit),
    ):
        _refuse_taken_name(cur, project_id, name)
        now = utcnow()
        sid = _insert_label_set_row(
            cur,
            [
                project_id,
                name,
                item_dataset_id,
                item_id_column,
                ground_truth_column,
                json.dumps(list(columns)),
                "labeling in the app",
                source,
                now,
                actor,
            ],
        )
        cur.execute(
            "INSERT INTO label_queues VALUES (?, ?, ?, ?, ?, ?)",
            [sid, project_id, json.dumps(list(choices)), json.dumps(list(columns)), now, actor],
        )
        _insert_tasks(cur, sid, project_id, item_ids, source, actor)
        _insert_label_version(cur, sid, project_id, 1, None, "labeled in the app", actor)
        audit["entity_id"] = sid
    return sid


def insert_label_tasks(
    db: Database, label_set_id: int, item_ids: list[str], source: str, actor: str
) -> int:
    """Add items to a queue (those queued already are skipped); returns how many were added."""
    ls = _existing_label_set(db, label_set_id)
    with (
        db.lock,
        db.write(actor, "queue", "label_task", label_set_id, ls.project_id, {"source": source}) as (
            cur,
            audit,
        ),
    ):
        added = _insert_tasks(cur, label_set_id, ls.project_id, item_ids, source, actor)
        audit["detail"]["added"] = added
    return added


def get_label_queue(db: Database, label_set_id: int) -> LabelQueueRow | None:
    rows = db.rows(
        f"SELECT {select_list(LabelQueueRow)} FROM label_queues WHERE label_set_id = ?",
        [label_set_id],
    )
    return typed_row(LabelQueueRow, rows[0], ("choices", "columns")) if rows else None


def list_label_tasks(db: Database, label_set_id: int) -> pd.DataFrame:
    """A queue's items in order: position, item_id, source, added_at, added_by."""
    return db.df(
        "SELECT position, item_id, source, added_at, added_by FROM label_tasks"
        " WHERE label_set_id = ? ORDER BY position",
        [label_set_id],
    )


def next_label_task(
    db: Database, label_set_id: int, annotator: str, skipped: list[str]
) -> str | None:
    """The first item of a queue the annotator has not labelled (latest version) nor skipped."""
    rows = db.rows(
        "SELECT t.item_id FROM label_tasks t WHERE t.label_set_id = ?"
        " AND NOT list_contains(?::VARCHAR[], t.item_id) AND NOT EXISTS (SELECT 1 FROM labels l"
        " WHERE l.label_set_id = t.label_set_id AND l.item_id = t.item_id AND l.annotator = ?"
        " AND l.version = (SELECT max(version) FROM label_versions v WHERE v.label_set_id = ?))"
        " ORDER BY t.position LIMIT 1",
        [label_set_id, [str(s) for s in skipped], annotator, label_set_id],
    )
    return str(rows[0][0]) if rows else None


def label_task_counts(db: Database, label_set_id: int, annotator: str) -> dict[str, int]:
    """A queue's items, those the annotator labelled, labels given, items with a label, and
    reviewers, in the latest version."""
    (row,) = db.rows(
        "WITH l AS (SELECT * FROM labels WHERE label_set_id = ? AND version ="
        " (SELECT max(version) FROM label_versions WHERE label_set_id = ?)),"
        " t AS (SELECT item_id FROM label_tasks WHERE label_set_id = ?)"
        " SELECT (SELECT count(*) FROM t),"
        " (SELECT count(*) FROM l WHERE annotator = ? AND item_id IN (SELECT item_id FROM t)),"
        " (SELECT count(*) FROM l), (SELECT count(DISTINCT item_id) FROM l),"
        " (SELECT count(DISTINCT annotator) FROM l)",
        [label_set_id, label_set_id, label_set_id, annotator],
    )
    keys = ("items", "yours", "labels", "labelled_items", "reviewers")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def upsert_reviewer_label(
    db: Database, label_set_id: int, item_id: str, annotator: str, label: str
) -> str | None:
    """Store the annotator's label of an item in the latest version, replacing the label
    they gave it before (which the audit row keeps); returns that previous label."""
    ls = _existing_label_set(db, label_set_id)
    with (
        db.lock,
        db.write(
            annotator,
            "label",
            "label",
            label_set_id,
            ls.project_id,
            {"item_id": item_id, "label": label},
        ) as (cur, audit),
    ):
        version = _next_version(cur, "label_versions", "label_set_id", label_set_id) - 1
        old = cur.execute(
            "SELECT label FROM labels WHERE label_set_id = ? AND version = ? AND item_id = ?"
            " AND annotator = ?",
            [label_set_id, version, item_id, annotator],
        ).fetchall()
        cur.execute(
            "DELETE FROM labels WHERE label_set_id = ? AND version = ? AND item_id = ?"
            " AND annotator = ?",
            [label_set_id, version, item_id, annotator],
        )
        cur.execute(
            "INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?, ?)",
            [label_set_id, ls.project_id, version, item_id, annotator, label, utcnow()],
        )
        cur.execute(
            "UPDATE label_versions SET n_labels = c.n, n_items = c.i FROM (SELECT count(*) AS n,"
            " count(DISTINCT item_id) AS i FROM labels WHERE label_set_id = ? AND version = ?) c"
            " WHERE label_set_id = ? AND version = ?",
            [label_set_id, version, label_set_id, version],
        )
        previous = str(old[0][0]) if old else None
        audit["detail"] |= {"version": version, "previous": previous}
    return previous
