"""Label sets and their versions, consensus decisions, the relabel queue, labeling
instructions and label-error detection runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from core.db import datasets as datasets_db
from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.db.datasets import ROW_ID
from core.db.rows import refuse_taken_name, require, select_list, typed_row, where_equal
from core.errors import StoreError


@dataclass(frozen=True)
class LabelSetRow:
    """A ``label_sets`` row, ``feature_columns`` decoded from JSON."""

    id: int
    project_id: int
    name: str
    item_dataset_id: int | None
    item_id_column: str | None
    ground_truth_column: str | None
    feature_columns: list[str]
    source: str
    note: str
    created_at: datetime
    created_by: str


_LABEL_SET_COLS = select_list(LabelSetRow)


def _label_set_row(row: tuple) -> LabelSetRow:
    return typed_row(LabelSetRow, row, ("feature_columns",))


def _next_version(cur: duckdb.DuckDBPyConnection, table: str, key: str, value: int) -> int:
    """One more than the newest ``version`` of ``table`` where ``key = value`` (1 when none)."""
    (old,) = cur.execute(
        f"SELECT coalesce(max(version), 0) FROM {qident(table)} WHERE {qident(key)} = ?", [value]
    ).fetchall()[0]
    return int(old) + 1


@contextmanager
def _registered(cur: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> Iterator[None]:
    """``frame`` readable by SQL as ``name`` inside the block."""
    import pyarrow as pa  # DuckDB's pandas scan mis-reads strided arrays; Arrow does not

    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    with registered(cur, **{name: table}):
        yield


def _insert_label_version(
    cur: duckdb.DuckDBPyConnection,
    set_id: int,
    project_id: int,
    version: int,
    parent: int | None,
    note: str,
    actor: str,
) -> None:
    (n_labels, n_items), (n_dec,) = (
        cur.execute(
            "SELECT count(*), count(DISTINCT item_id) FROM labels"
            " WHERE label_set_id = ? AND version = ?",
            [set_id, version],
        ).fetchall()[0],
        cur.execute(
            "SELECT count(*) FROM label_decisions WHERE label_set_id = ? AND version = ?",
            [set_id, version],
        ).fetchall()[0],
    )
    cur.execute(
        "INSERT INTO label_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [set_id, project_id, version, parent, note, n_labels, n_items, n_dec, utcnow(), actor],
    )


def insert_label_set(
    db: Database,
    project_id: int,
    name: str,
    labels: pd.DataFrame,
    *,
    item_dataset_id: int | None,
    item_id_column: str | None,
    source: str,
    actor: str,
    ground_truth_column: str | None = None,
    feature_columns: list[str] | None = None,
    note: str = "",
) -> int:
    """Store a labels set and its long-form labels as version 1; all or nothing.

    ``labels`` has ``item_id``, ``annotator``, ``label`` and ``labeled_at`` (may be null).
    """
    name = _free_name(db, project_id, name)
    frame = labels[["item_id", "annotator", "label", "labeled_at"]]
    with (
        db.lock,
        db.write(
            actor,
            "create",
            "label_set",
            project_id=project_id,
            detail={"name": name, "source": source, "labels": len(frame)},
        ) as (cur, audit),
    ):
        _refuse_taken_name(cur, project_id, name)
        sid = _insert_label_set_row(
            cur,
            [
                project_id,
                name,
                item_dataset_id,
                item_id_column,
                ground_truth_column,
                json.dumps(list(feature_columns or [])),
                source,
                note,
                utcnow(),
                actor,
            ],
        )
        with _registered(cur, "_labels", frame):
            cur.execute(
                "INSERT INTO labels SELECT ?, ?, 1, item_id::VARCHAR, annotator::VARCHAR,"
                " label::VARCHAR, labeled_at::TIMESTAMP FROM _labels",
                [sid, project_id],
            )
        _insert_label_version(cur, sid, project_id, 1, None, f"imported from {source}", actor)
        audit["entity_id"] = sid
    return int(sid)


def _free_name(db: Database, project_id: int, name: str) -> str:
    """The stripped name, refused when blank or already a labels set of the project (a
    first check; :func:`_refuse_taken_name` checks again inside the write)."""
    name = name.strip()
    if not name:
        raise StoreError("A labels set needs a name.")
    with db.cursor() as cur:
        _refuse_taken_name(cur, project_id, name)
    return name


def _refuse_taken_name(cur: duckdb.DuckDBPyConnection, project_id: int, name: str) -> None:
    """Inside the write (writes take turns): no other session took the name since."""
    refuse_taken_name(cur, "label_sets", "labels set", project_id, name)


def _insert_label_set_row(cur: duckdb.DuckDBPyConnection, values: list[Any]) -> int:
    """Insert a ``label_sets`` row (every column but ``id``, in order); returns its id."""
    (sid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
    cur.execute(
        f"INSERT INTO label_sets ({_LABEL_SET_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sid, *values],
    )
    return int(sid)


def list_label_sets(db: Database, project_id: int) -> list[LabelSetRow]:
    rows = db.rows(
        f"SELECT {_LABEL_SET_COLS} FROM label_sets WHERE project_id = ? ORDER BY created_at, id",
        [project_id],
    )
    return [_label_set_row(r) for r in rows]


def get_label_set(db: Database, label_set_id: int) -> LabelSetRow | None:
    rows = db.rows(f"SELECT {_LABEL_SET_COLS} FROM label_sets WHERE id = ?", [label_set_id])
    return _label_set_row(rows[0]) if rows else None


def _existing_label_set(db: Database, label_set_id: int) -> LabelSetRow:
    return require(get_label_set(db, label_set_id), "labels set")


def latest_label_version(db: Database, label_set_id: int) -> int:
    """The newest version of a labels set (0 when the set does not exist)."""
    return int(
        db.rows(
            "SELECT coalesce(max(version), 0) FROM label_versions WHERE label_set_id = ?",
            [label_set_id],
        )[0][0]
    )


def list_label_versions(db: Database, label_set_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT version, parent_version, note, n_labels, n_items, n_decisions, created_at,"
        " created_by FROM label_versions WHERE label_set_id = ? ORDER BY version DESC",
        [label_set_id],
    )


def label_frame(db: Database, label_set_id: int, version: int | None = None) -> pd.DataFrame:
    """Long-form labels of one version (the latest by default)."""
    version = version or latest_label_version(db, label_set_id)
    return db.df(
        "SELECT item_id, annotator, label, labeled_at FROM labels"
        " WHERE label_set_id = ? AND version = ? ORDER BY item_id, annotator",
        [label_set_id, version],
    )


def label_decisions(db: Database, label_set_id: int, version: int | None = None) -> pd.DataFrame:
    """Reviewers' consensus decisions in force in one version (the latest by default)."""
    version = version or latest_label_version(db, label_set_id)
    return db.df(
        "SELECT item_id, label, reason, reviewer, decided_at, made_in_version"
        " FROM label_decisions WHERE label_set_id = ? AND version = ?"
        " ORDER BY decided_at, item_id",
        [label_set_id, version],
    )


def insert_label_decision(
    db: Database, label_set_id: int, item_id: str, label: str, reason: str, actor: str
) -> int:
    """Record a reviewer's consensus label as a new version; the previous one is kept."""
    ls = _existing_label_set(db, label_set_id)
    pid = ls.project_id
    with (
        db.lock,
        db.write(
            actor,
            "decide",
            "label",
            label_set_id,
            pid,
            {"item_id": item_id, "label": label, "reason": reason},
        ) as (cur, audit),
    ):
        new = _next_version(cur, "label_versions", "label_set_id", label_set_id)
        old = new - 1
        cur.execute(
            "INSERT INTO labels SELECT label_set_id, project_id, ?, item_id, annotator, label,"
            " labeled_at FROM labels WHERE label_set_id = ? AND version = ?",
            [new, label_set_id, old],
        )
        cur.execute(
            "INSERT INTO label_decisions SELECT label_set_id, project_id, ?, item_id, label,"
            " reason, reviewer, decided_at, made_in_version FROM label_decisions"
            " WHERE label_set_id = ? AND version = ? AND item_id <> ?",
            [new, label_set_id, old, item_id],
        )
        cur.execute(
            "INSERT INTO label_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [label_set_id, pid, new, item_id, label, reason, actor, utcnow(), new],
        )
        _insert_label_version(
            cur, label_set_id, pid, new, old, f"consensus {item_id} = {label}", actor
        )
        audit["detail"]["version"] = new
    return new


def insert_relabel_items(
    db: Database, label_set_id: int, items: pd.DataFrame, *, source: str, actor: str
) -> int:
    """Add items (``item_id``, ``score``) to a labels set's relabel queue."""
    ls = _existing_label_set(db, label_set_id)
    frame = items[["item_id", "score"]]
    with db.write(
        actor,
        "queue",
        "label",
        label_set_id,
        ls.project_id,
        {"items": len(frame), "source": source},
    ) as (cur, _):
        with _registered(cur, "_queue", frame):
            cur.execute(
                "INSERT INTO relabel_queue (label_set_id, project_id, item_id, source, score,"
                " added_at, added_by) SELECT ?, ?, item_id::VARCHAR, ?, score::DOUBLE, ?, ?"
                " FROM _queue",
                [label_set_id, ls.project_id, source, utcnow(), actor],
            )
    return len(frame)


def list_relabel_items(db: Database, label_set_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT id, item_id, source, score, added_at, added_by FROM relabel_queue"
        " WHERE label_set_id = ? ORDER BY added_at, id",
        [label_set_id],
    )


def _id_sql(id_column: str, alias: str = "") -> str:
    """SQL of an item's id as text: the column, or the row number for ``ROW_ID``."""
    col = "rowid" if id_column == ROW_ID else qident(id_column)
    return f"CAST({alias}{col} AS VARCHAR)"


def item_rows(db: Database, dataset_id: int, id_column: str, item_ids: list[str]) -> pd.DataFrame:
    """The item dataset's rows whose id (compared as text; ``ROW_ID``: the row number, then
    the first column) is among ``item_ids``."""
    table = datasets_db._dataset_table(db, dataset_id)
    cols = f"rowid AS {ROW_ID}, *" if id_column == ROW_ID else "*"
    return db.df(
        f"SELECT {cols} FROM {qident(table)} WHERE {_id_sql(id_column)}"
        " IN (SELECT unnest(?::VARCHAR[]))",
        [[str(i) for i in item_ids]],
    )


def unknown_items(db: Database, dataset_id: int, id_column: str, item_ids: list[str]) -> list[str]:
    """Ids of ``item_ids`` that the item dataset does not hold (set-based anti-join)."""
    table = datasets_db._dataset_table(db, dataset_id)
    rows = db.rows(
        f"SELECT i FROM (SELECT DISTINCT unnest(?::VARCHAR[]) AS i) q WHERE NOT EXISTS"
        f" (SELECT 1 FROM {qident(table)} d WHERE {_id_sql(id_column, 'd.')} = q.i)"
        " ORDER BY i",
        [[str(i) for i in item_ids]],
    )
    return [r[0] for r in rows]


def insert_label_instructions(
    db: Database, project_id: int, body: str, note: str, actor: str
) -> int:
    """A new version of the project's labeling instructions (Markdown); returns it."""
    with (
        db.lock,
        db.write(
            actor, "create", "label_instructions", project_id=project_id, detail={"note": note}
        ) as (cur, audit),
    ):
        version = _next_version(cur, "label_instructions", "project_id", project_id)
        cur.execute(
            "INSERT INTO label_instructions VALUES (?, ?, ?, ?, ?, ?)",
            [project_id, version, body, note, utcnow(), actor],
        )
        audit["detail"]["version"] = version
    return version


def list_label_instructions(db: Database, project_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT version, body, note, created_at, created_by FROM label_instructions"
        " WHERE project_id = ? ORDER BY version DESC",
        [project_id],
    )


def insert_label_error_run(
    db: Database,
    project_id: int,
    label_set_id: int,
    meta: dict[str, Any],
    scores: pd.DataFrame,
    actor: str,
) -> int:
    """Store one label-error detection (its settings and every item's score)."""
    frame = scores[
        [
            "item_id",
            "given_label",
            "predicted_label",
            "self_confidence",
            "threshold",
            "flagged",
            "rank",
        ]
    ]
    with db.write(
        actor,
        "create",
        "label_error_run",
        project_id=project_id,
        detail={"label_set_id": label_set_id, "model": meta["model"]},
    ) as (cur, audit):
        (rid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
        cur.execute(
            "INSERT INTO label_error_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rid,
                project_id,
                label_set_id,
                meta["labels_version"],
                meta["label_source"],
                meta["model"],
                meta["n_folds"],
                meta["seed"],
                json.dumps(meta["features"]),
                json.dumps(meta["thresholds"]),
                len(frame),
                int(frame["flagged"].sum()),
                meta.get("oof_accuracy"),
                meta.get("duration_s"),
                utcnow(),
                actor,
            ],
        )
        with _registered(cur, "_scores", frame):
            cur.execute(
                "INSERT INTO label_error_scores SELECT ?, ?, item_id::VARCHAR,"
                " given_label::VARCHAR, predicted_label::VARCHAR, self_confidence::DOUBLE,"
                " threshold::DOUBLE, flagged::BOOLEAN, rank::INTEGER FROM _scores",
                [rid, project_id],
            )
        audit["entity_id"] = rid
    return int(rid)


def list_label_error_runs(
    db: Database, project_id: int, label_set_id: int | None = None
) -> pd.DataFrame:
    sql = (
        "SELECT id, label_set_id, labels_version, label_source, model, n_folds, seed, features,"
        " thresholds, n_items, n_flagged, oof_accuracy, duration_s, created_at, created_by"
        " FROM label_error_runs WHERE project_id = ?"
    )
    sql, params = where_equal(sql, [project_id], label_set_id=label_set_id)
    return db.df(sql + " ORDER BY created_at DESC, id DESC", params)


def label_error_scores(db: Database, run_id: int) -> pd.DataFrame:
    return db.df(
        "SELECT item_id, given_label, predicted_label, self_confidence, threshold, flagged,"
        " rank FROM label_error_scores WHERE run_id = ? ORDER BY rank",
        [run_id],
    )


def item_ids_of_rows(
    db: Database, dataset_id: int, id_column: str, row_ids: list[int]
) -> list[str]:
    """The item ids (as text) of a dataset's rows, in the order of ``row_ids`` (rows the
    dataset does not hold and null ids are left out)."""
    table = datasets_db._dataset_table(db, dataset_id)
    rows = db.rows(
        f"SELECT {_id_sql(id_column, 'd.')} FROM unnest(?::BIGINT[]) WITH ORDINALITY AS q(r, o)"
        f" JOIN {qident(table)} d ON d.rowid = q.r WHERE {_id_sql(id_column, 'd.')} IS NOT NULL"
        " ORDER BY q.o",
        [[int(r) for r in row_ids]],
    )
    return [str(r[0]) for r in rows]


def id_column_counts(db: Database, dataset_id: int, id_column: str) -> tuple[int, int, int]:
    """(rows, distinct ids, null ids) of a candidate item id column."""
    table = datasets_db._dataset_table(db, dataset_id)
    col = _id_sql(id_column)
    (row,) = db.rows(
        f"SELECT count(*), count(DISTINCT {col}), count(*) - count({col}) FROM {qident(table)}"
    )
    return int(row[0]), int(row[1]), int(row[2])


def unique_columns(db: Database, dataset_id: int) -> list[str]:
    """Columns of a dataset with one value per row and no null (text or integer columns;
    one pass), in the dataset's order."""
    table = datasets_db._dataset_table(db, dataset_id)
    cols = [
        c
        for c, t in datasets_db.dataset_schema(db, dataset_id)
        if t.upper() in ("VARCHAR", "BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER")
    ]
    if not cols:
        return []
    exprs = ", ".join(
        f"count(DISTINCT {qident(c)}) = count(*) AND count({qident(c)}) = count(*)" for c in cols
    )
    (row,) = db.rows(f"SELECT count(*) > 0, {exprs} FROM {qident(table)}")
    return [c for c, ok in zip(cols, row[1:], strict=True) if row[0] and ok]


def distinct_values(db: Database, dataset_id: int, column: str, limit: int) -> list[str]:
    """Up to ``limit`` distinct non-null values of a column as text, most frequent first."""
    table = datasets_db._dataset_table(db, dataset_id)
    rows = db.rows(
        f"SELECT CAST({qident(column)} AS VARCHAR) AS v FROM {qident(table)}"
        f" WHERE {qident(column)} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, v LIMIT ?",
        [int(limit)],
    )
    return [str(r[0]) for r in rows]
