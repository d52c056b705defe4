"""Column types (detected + the user's override, with valid ranges), the stored column
profile they were detected from, and stored quality reports (append-only, read back by
content hash and parameters)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from core.db import datasets as datasets_db
from core.db.clock import utcnow
from core.db.database import Database
from core.db.rows import where_equal
from core.errors import StoreError


@dataclass(frozen=True)
class ColumnTypeRow:
    """A column's detected type and the rule that decided it, and the user's settings."""

    column_name: str
    detected: str
    rule: str
    override: str | None
    range_low: float | None
    range_high: float | None
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class ColumnSetting:
    """The user's type override and stated valid range of one column (None clears)."""

    column: str
    override: str | None = None
    range_low: float | None = None
    range_high: float | None = None


@dataclass(frozen=True)
class QualityReportRow:
    """A stored quality report: its JSON text and how long it took."""

    id: int
    params_key: str
    report: str
    seconds: float
    created_at: datetime
    created_by: str


# column types: detected by core.datasets, overridden by the user, keyed by dataset+column
def save_detected_types(db: Database, dataset_id: int, detected: list[tuple[str, str, str]], actor: str
) -> None:
    """Store (column, type, rule) as detected; a user's override and range are kept."""
    ds = datasets_db.require_dataset(db, dataset_id)
    with db.write(actor, "detect", "column_types", dataset_id, ds.project_id,
                     {"dataset": ds.name, "columns": len(detected)}) as (cur, _):
        if not detected:
            return
        cols, kinds, rules = (list(x) for x in zip(*detected, strict=True))
        cur.execute(  # one statement: 22 single-row inserts cost 90 ms
            "INSERT INTO column_types (project_id, dataset_id, column_name, detected, rule,"
            " updated_at, updated_by) SELECT ?, ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),"
            " unnest(?::VARCHAR[]), ?, ?"
            " ON CONFLICT (dataset_id, column_name) DO UPDATE SET"
            " detected = excluded.detected, rule = excluded.rule",
            [ds.project_id, dataset_id, cols, kinds, rules, utcnow(), actor],
        )


def set_column_settings(db: Database, dataset_id: int, changes: list[ColumnSetting], actor: str
                        ) -> None:
    """Store the user's type override and stated range per column (None clears them).

    The column must have been detected first (``save_detected_types``).
    """
    ds = datasets_db.require_dataset(db, dataset_id)
    known = {r.column_name for r in list_column_types(db, dataset_id)}
    unknown = [c.column for c in changes if c.column not in known]
    if unknown:
        raise StoreError(f"Unknown column(s) {', '.join(map(repr, unknown))} in {ds.name}.")
    with db.write(actor, "update", "column_types", dataset_id, ds.project_id,
                     {"dataset": ds.name, "changes": [asdict(c) for c in changes]}) as (cur, _):
        for c in changes:
            cur.execute(
                "UPDATE column_types SET override = ?, range_low = ?, range_high = ?,"
                " updated_at = ?, updated_by = ? WHERE dataset_id = ? AND column_name = ?",
                [c.override, c.range_low, c.range_high, utcnow(), actor, dataset_id, c.column],
            )


def list_column_types(db: Database, dataset_id: int) -> list[ColumnTypeRow]:
    """The stored types of a dataset's columns, in the table's column order."""
    rows = db.rows(
        "SELECT ct.column_name, ct.detected, ct.rule, ct.override, ct.range_low,"
        " ct.range_high, ct.updated_at, ct.updated_by FROM column_types ct"
        " JOIN duckdb_columns() dc ON dc.table_name = ? AND dc.column_name = ct.column_name"
        " WHERE ct.dataset_id = ? ORDER BY dc.column_index",
        [datasets_db._dataset_table(db, dataset_id), dataset_id],
    )
    return [ColumnTypeRow(*r) for r in rows]


# quality reports: append-only, read back by the dataset's content hash and parameters
def insert_quality_report(db: Database, dataset_id: int, params_key: str, report: str, seconds: float, actor: str
) -> int:
    ds = datasets_db.require_dataset(db, dataset_id)
    with db.write(actor, "create", "quality_report", project_id=ds.project_id,
                     detail={"dataset": ds.name, "hash": ds.content_hash}) as (cur, audit):
        (rid,) = cur.execute(
            "INSERT INTO quality_reports (project_id, dataset_id, content_hash, params_key,"
            " report, seconds, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            [ds.project_id, dataset_id, ds.content_hash, params_key, report, float(seconds),
             utcnow(), actor],
        ).fetchall()[0]
        audit["entity_id"] = rid
    return int(rid)


def get_quality_report(db: Database, dataset_id: int, params_key: str | None = None
                       ) -> QualityReportRow | None:
    """The newest stored report for the dataset's current content (and ``params_key``)."""
    ds = datasets_db.get_dataset(db, dataset_id)
    if ds is None:
        return None
    sql = ("SELECT id, params_key, report, seconds, created_at, created_by FROM quality_reports"
           " WHERE dataset_id = ? AND content_hash = ?")
    sql, params = where_equal(sql, [dataset_id, ds.content_hash], params_key=params_key)
    rows = db.rows(sql + " ORDER BY id DESC LIMIT 1", params)
    return QualityReportRow(*rows[0]) if rows else None


def count_quality_reports(db: Database, project_id: int) -> int:
    return int(db.rows(
        "SELECT count(DISTINCT dataset_id) FROM quality_reports WHERE project_id = ?",
        [project_id])[0][0])


# column profiles: the profile type detection computed, read back by the quality report
def insert_column_profile(db: Database, dataset_id: int, params_key: str, params: str,
                          profile: str, seconds: float, actor: str) -> None:
    """Store a dataset's column profile (JSON) under ``params_key``; a profile already
    stored for the same content and key is kept (it was computed from the same inputs)."""
    ds = datasets_db.require_dataset(db, dataset_id)
    with db.write(actor, "create", "column_profile", dataset_id, ds.project_id,
                  {"dataset": ds.name, "hash": ds.content_hash}) as (cur, _):
        cur.execute(
            "INSERT INTO column_profiles (project_id, dataset_id, content_hash, params_key,"
            " params, profile, seconds, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [ds.project_id, dataset_id, ds.content_hash, params_key, params, profile,
             float(seconds), utcnow(), actor],
        )


def get_column_profile(db: Database, dataset_id: int, params_key: str) -> str | None:
    """The stored profile (JSON) of the dataset's current content under ``params_key``."""
    ds = datasets_db.get_dataset(db, dataset_id)
    if ds is None:
        return None
    rows = db.rows(
        "SELECT profile FROM column_profiles WHERE dataset_id = ? AND content_hash = ?"
        " AND params_key = ?",
        [dataset_id, ds.content_hash, params_key],
    )
    return str(rows[0][0]) if rows else None
