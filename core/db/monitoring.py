"""Mergeable profiles (stored once, reused), monitoring runs with their long results
table, and alerts with their acknowledgement."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database, registered
from core.db.rows import select_list, typed_row
from core.errors import StoreError


def check_interval(db: Database, window: str) -> None:
    """Raise StoreError unless ``window`` is a DuckDB interval such as '1 month'."""
    try:
        db.rows("SELECT ?::INTERVAL", [window])
    except duckdb.Error as exc:
        raise StoreError(
            f"{window!r} is not a time window; write it like '7 days', '1 month' or '1 hour'."
        ) from exc


def find_profile(db: Database, dataset_id: int,
    content_hash: str,
    reference_profile_id: int | None,
    time_column: str | None,
    window: str | None,
) -> int | None:
    """The id of a stored profile of this data version with the same grid and windows."""
    rows = db.rows(
        "SELECT id FROM profiles WHERE dataset_id = ? AND content_hash = ?"
        " AND reference_profile_id IS NOT DISTINCT FROM ?"
        " AND time_column IS NOT DISTINCT FROM ? AND window_size IS NOT DISTINCT FROM ?"
        " ORDER BY id DESC LIMIT 1",
        [dataset_id, content_hash, reference_profile_id, time_column, window],
    )
    return int(rows[0][0]) if rows else None


def insert_profile(db: Database, project_id: int,
    dataset_id: int | None,
    *,
    content_hash: str,
    reference_profile_id: int | None,
    time_column: str | None,
    window: str | None,
    n_rows: int,
    spec: dict[str, Any],
    columns: Any,
    actor: str,
    source: str | None = None,
) -> int:
    """Store a profile and its per-column, per-window rows (an Arrow table) in one
    transaction. A profile computed elsewhere (on Spark) has no ``dataset_id``; its
    ``source`` says where the data was."""

    with db.write(
        actor, "create", "profile", project_id=project_id,
        detail={"dataset_id": dataset_id, "reference_profile_id": reference_profile_id,
                "window": window},
    ) as (cur, audit):
        (pid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
        cur.execute(
            "INSERT INTO profiles (id, project_id, dataset_id, content_hash,"
            " reference_profile_id, time_column, window_size, n_rows, spec, created_at,"
            " created_by, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [pid, project_id, dataset_id, content_hash, reference_profile_id, time_column,
             window, n_rows, json.dumps(spec), utcnow(), actor, source],
        )
        with registered(cur, _profile_cols=columns):
            cur.execute(
                "INSERT INTO profile_columns SELECT ?, ?, window_label, window_start::TIMESTAMP,"
                " column_name, kind, data_type, n, nulls, sum, sumsq, min, max, below,"
                " below_sum, above, above_sum, bin_keys::BIGINT[], bin_counts::BIGINT[],"
                " categories::VARCHAR[], category_counts::BIGINT[], other, note"
                " FROM _profile_cols",
                [pid, project_id],
            )
        audit["entity_id"] = pid
    return int(pid)


@dataclass(frozen=True)
class ProfileRow:
    """A stored profile's header; its per-column rows come from :func:`profile_columns`."""

    id: int
    project_id: int
    dataset_id: int
    content_hash: str
    reference_profile_id: int | None
    time_column: str | None
    window_size: str | None
    n_rows: int
    spec: dict[str, Any]
    created_at: datetime
    created_by: str


def get_profile(db: Database, profile_id: int) -> ProfileRow:
    """A stored profile's header (its grid ``spec`` decoded); StoreError when absent."""
    rows = db.rows(
        "SELECT id, project_id, dataset_id, content_hash, reference_profile_id, time_column,"
        " window_size, n_rows, spec, created_at, created_by FROM profiles WHERE id = ?",
        [profile_id],
    )
    if not rows:
        raise StoreError(f"Profile {profile_id} does not exist (any more).")
    head = list(rows[0])
    head[8] = json.loads(head[8])
    return ProfileRow(*head)


def profile_columns(db: Database, profile_id: int) -> pd.DataFrame:
    """A stored profile's rows, one per window and column, in window then column order."""
    return db.df(
        "SELECT * EXCLUDE (profile_id, project_id) FROM profile_columns WHERE profile_id = ?"
        " ORDER BY window_start NULLS LAST, window_label, column_name",
        [profile_id],
    )


def insert_monitor_run(db: Database, project_id: int,
    *,
    reference_dataset_id: int,
    current_dataset_id: int,
    model_version_id: int | None,
    time_column: str,
    window: str,
    settings: dict[str, Any],
    summary: dict[str, Any],
    results: pd.DataFrame,
    alerts: pd.DataFrame,
    actor: str,
    source: str = "page",
) -> int:
    """Store a monitoring run with its long results table and its alerts, all or nothing.

    ``results`` columns: kind, window_start, column_name, metric, value, threshold,
    flagged, note, window_label, window_index. ``alerts`` columns: window_start,
    check_name, column_name, value, threshold, severity, policy, message, window_label.
    """
    res_cols = ["kind", "window_start", "column_name", "metric", "value", "threshold",
                "flagged", "note", "window_label", "window_index"]
    al_cols = ["window_start", "check_name", "column_name", "value", "threshold",
               "severity", "policy", "message", "window_label"]
    res = results.reindex(columns=res_cols)
    al = alerts.reindex(columns=al_cols)
    with db.write(actor, "create", "monitor_run", project_id=project_id,
                     detail={"source": source, "alerts": len(al)}) as (cur, audit):
        (rid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
        cur.execute(
            "INSERT INTO monitor_runs (id, project_id, reference_dataset_id, current_dataset_id,"
            " model_version_id, time_column, time_window, settings, summary, source,"
            " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, project_id, reference_dataset_id, current_dataset_id, model_version_id,
             time_column, window, json.dumps(settings, default=str),
             json.dumps(summary, default=str), source, utcnow(), actor],
        )
        with registered(cur, _res=res, _al=al):
            cur.execute(
                "INSERT INTO monitor_results (run_id, project_id, kind, window_start,"
                " column_name, metric, value, threshold, flagged, note, window_label,"
                " window_index) SELECT ?, ?, kind, window_start::TIMESTAMP,"
                " column_name::VARCHAR, metric, value::DOUBLE, threshold::DOUBLE,"
                " flagged::BOOLEAN, note::VARCHAR, window_label::VARCHAR,"
                " window_index::INTEGER FROM _res",
                [rid, project_id],
            )
            cur.execute(
                "INSERT INTO alerts (project_id, run_id, window_start, check_name, column_name,"
                " value, threshold, severity, policy, message, window_label, created_at)"
                " SELECT ?, ?, window_start::TIMESTAMP, check_name, column_name::VARCHAR,"
                " value::DOUBLE, threshold::DOUBLE, severity, policy, message,"
                " window_label::VARCHAR, ? FROM _al",
                [project_id, rid, utcnow()],
            )
        audit["entity_id"] = rid
    return int(rid)


@dataclass(frozen=True)
class MonitorRunRow:
    """A stored monitoring run, its settings and summary decoded."""

    id: int
    project_id: int
    reference_dataset_id: int
    current_dataset_id: int
    model_version_id: int | None
    time_column: str
    time_window: str
    settings: dict[str, Any]
    summary: dict[str, Any]
    source: str
    created_at: datetime
    created_by: str


_RUN_COLS = select_list(MonitorRunRow)


def _run_row(row: tuple) -> MonitorRunRow:
    return typed_row(MonitorRunRow, row, ("settings", "summary"))


def get_monitor_run(db: Database, run_id: int) -> MonitorRunRow | None:
    rows = db.rows(f"SELECT {_RUN_COLS} FROM monitor_runs WHERE id = ?", [run_id])
    return _run_row(rows[0]) if rows else None


def latest_monitor_run(db: Database, project_id: int) -> MonitorRunRow | None:
    rows = db.rows(
        f"SELECT {_RUN_COLS} FROM monitor_runs WHERE project_id = ? ORDER BY id DESC LIMIT 1",
        [project_id],
    )
    return _run_row(rows[0]) if rows else None


def list_monitor_runs(db: Database, project_id: int) -> pd.DataFrame:
    """The project's runs, newest first, for a picker: id, the datasets (ids and names),
    model version, time column, window, source, when and by whom."""
    return db.df(
        "SELECT r.id, r.reference_dataset_id, r.current_dataset_id, c.name AS current_dataset,"
        " r.model_version_id, r.time_column, r.time_window, r.source, r.created_at,"
        " r.created_by FROM monitor_runs r LEFT JOIN datasets c ON c.id = r.current_dataset_id"
        " WHERE r.project_id = ? ORDER BY r.id DESC",
        [project_id],
    )


def monitor_results(db: Database, run_id: int, kind: str | None = None) -> pd.DataFrame:
    sql = (
        "SELECT kind, window_start, column_name, metric, value, threshold, flagged, note,"
        " window_label, window_index FROM monitor_results WHERE run_id = ?"
    )
    params: list[Any] = [run_id]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    return db.df(sql + " ORDER BY kind, window_start, column_name, metric", params)


def list_alerts(db: Database, project_id: int, status: str | None = None,
                run_id: int | None = None) -> pd.DataFrame:
    """The project's alerts (of one run, or with one status) in window order."""
    sql = (
        "SELECT id, run_id, window_start, check_name, column_name, value, threshold, severity,"
        " policy, message, status, acknowledged_by, acknowledged_at, created_at,"
        " coalesce(window_label, strftime(window_start, '%Y-%m-%d')) AS window_label"
        " FROM alerts WHERE project_id = ?"
    )
    params: list[Any] = [project_id]
    if status:
        sql += " AND status = ?"
        params.append(status)
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(run_id)
    return db.df(sql + " ORDER BY window_start, id", params)


def acknowledge_alert(db: Database, alert_id: int, actor: str) -> None:
    rows = db.rows("SELECT project_id, status FROM alerts WHERE id = ?", [alert_id])
    if not rows:
        raise StoreError("That alert does not exist (any more).")
    project_id, status = rows[0]
    if status != "open":
        raise StoreError("That alert was acknowledged already.")
    with db.write(actor, "acknowledge", "alert", alert_id, project_id) as (cur, _):
        # only while still open: another session may have acknowledged it since the read
        if not cur.execute(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?,"
            " acknowledged_at = ? WHERE id = ? AND status = 'open' RETURNING id",
            [actor, utcnow(), alert_id],
        ).fetchall():
            raise StoreError("That alert was acknowledged already.")


# ------------------------------------------------------------------ alert policies
def list_alert_policies(db: Database, project_id: int) -> pd.DataFrame:
    """The project's stored alert policies: policy, enabled, threshold, persistence, and
    who changed them last, when."""
    return db.df(
        "SELECT policy, enabled, threshold, persistence, updated_at, updated_by"
        " FROM alert_policies WHERE project_id = ? ORDER BY policy",
        [project_id],
    )


def save_alert_policies(db: Database, project_id: int, rows: list[tuple[str, bool, float | None, int]],
                        actor: str) -> None:
    """Replace the project's alert policies with ``rows`` of (policy, enabled, threshold,
    persistence), in one audited transaction."""
    with db.write(actor, "update", "alert_policies", project_id=project_id,
                  detail={"policies": [list(r) for r in rows]}) as (cur, _):
        cur.execute("DELETE FROM alert_policies WHERE project_id = ?", [project_id])
        now = utcnow()
        for name, enabled, threshold, persistence in rows:
            cur.execute(
                "INSERT INTO alert_policies (project_id, policy, enabled, threshold,"
                " persistence, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [project_id, name, bool(enabled), threshold, int(persistence), now, actor],
            )
