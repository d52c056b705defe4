"""Training runs (written as 'running', then 'done' with metrics, per-row predictions and
the artifact, or 'failed'), and the model registry's versions."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.db.rows import where_equal
from core.errors import StoreError


@dataclasses.dataclass(frozen=True)
class RunRow:
    """A stored run (the ``runs`` row, its JSON columns decoded)."""

    id: int
    project_id: int
    parent_id: int | None
    name: str
    run_type: str
    status: str
    error: str | None
    model_kind: str
    params: dict[str, Any]
    preprocessing: dict[str, Any]
    split_id: int | None
    dataset_id: int | None
    dataset_hash: str | None
    split_hash: str | None
    target: str | None
    positive_class: str | None
    task_type: str | None
    features: list[str]
    library_versions: dict[str, str]
    seed: int | None
    max_ladder: float | None
    n_train: int | None
    duration_s: float | None
    peak_mem_mb: float | None
    artifact_path: str | None
    artifact_sha256: str | None
    created_at: datetime
    created_by: str

    @property
    def label(self) -> str:
        return f"#{self.id} {self.name}"


@dataclasses.dataclass(frozen=True)
class ModelVersionRow:
    """A registered model version (the ``model_versions`` row)."""

    id: int
    project_id: int
    run_id: int
    version: int
    alias: str | None
    status: str
    artifact_path: str
    artifact_sha256: str
    created_at: datetime
    created_by: str


_RUN_JSON = ("params", "preprocessing", "features", "library_versions")
# the columns, in the rows' field order
_RUN_NAMES = tuple(f.name for f in dataclasses.fields(RunRow))
_RUN_COLS = ", ".join(_RUN_NAMES)
_MV_COLS = ", ".join(f.name for f in dataclasses.fields(ModelVersionRow))


def _run_rows(db: Database, sql: str, params: list[Any]) -> list[RunRow]:
    out = []
    for r in db.rows(sql, params):
        d = dict(zip(_RUN_NAMES, r, strict=True))
        for key in _RUN_JSON:
            d[key] = json.loads(d[key]) if d[key] else ({} if key != "features" else [])
        out.append(RunRow(**d))
    return out


def fail_interrupted_runs(db: Database, actor: str = "workbench") -> int:
    """Mark runs still 'running' as failed: only this process may open the file, so a
    run left 'running' when it opens belongs to a process that stopped mid-training."""
    rows = db.rows("SELECT id, project_id FROM runs WHERE status = 'running'")
    for run_id, project_id in rows:
        with db.write(actor, "interrupt", "run", run_id, project_id) as (cur, _):
            cur.execute(
                "UPDATE runs SET status = 'failed', error = ? WHERE id = ?",
                ["Interrupted: the workbench stopped before this run finished.", run_id],
            )
    return len(rows)


def insert_run(db: Database, project_id: int, actor: str, **fields: Any) -> int:
    """Record a run as 'running'; ``fields`` are columns of ``runs`` (JSON ones as objects)."""
    allowed = set(_RUN_NAMES) - {"id", "project_id", "status", "created_at", "created_by"}
    unknown = set(fields) - allowed
    if unknown:
        raise StoreError(f"Unknown run fields: {sorted(unknown)}")
    values = _encoded(fields)
    cols = ["project_id", "status", "created_at", "created_by", *values]
    row = [project_id, "running", utcnow(), actor, *values.values()]
    with db.write(
        actor,
        "start",
        "run",
        project_id=project_id,
        detail={"name": fields.get("name"), "model_kind": fields.get("model_kind")},
    ) as (cur, audit):
        (rid,) = cur.execute(
            f"INSERT INTO runs ({', '.join(qident(c) for c in cols)})"
            f" VALUES ({', '.join('?' for _ in cols)}) RETURNING id",
            row,
        ).fetchall()[0]
        audit["entity_id"] = rid
    return int(rid)


def _encoded(fields: dict[str, Any]) -> dict[str, Any]:
    """Column values as stored: the JSON columns as text."""
    return {k: (json.dumps(v, default=str) if k in _RUN_JSON else v) for k, v in fields.items()}


def _update_run(cur: duckdb.DuckDBPyConnection, run_id: int, sets: dict[str, Any]) -> None:
    cur.execute(
        f"UPDATE runs SET {', '.join(f'{qident(k)} = ?' for k in sets)} WHERE id = ?",
        [*sets.values(), run_id],
    )


def _existing_run(db: Database, run_id: int) -> RunRow:
    run = get_run(db, run_id)
    if run is None:
        raise StoreError("That run does not exist (any more).")
    return run


def finish_run(
    db: Database,
    run_id: int,
    actor: str,
    *,
    metrics: pd.DataFrame,
    predictions: pd.DataFrame | None,
    updates: dict[str, Any],
) -> None:
    """Mark a run done with its metrics (part, metric, class, value) and predictions.

    ``predictions`` has row_id, part, y_true, y_pred, score; ``updates`` sets columns
    of ``runs`` (duration, memory, artifact, ...). All in one transaction.
    """
    run = _existing_run(db, run_id)
    sets = {**_encoded(updates), "status": "done"}
    with db.write(actor, "finish", "run", run_id, run.project_id, {"name": run.name}) as (cur, _):
        _update_run(cur, run_id, sets)
        _insert_frame(
            cur,
            metrics[["part", "metric", "class", "value"]],
            "INSERT INTO run_metrics SELECT ?, ?, part::VARCHAR, metric::VARCHAR,"
            " class::VARCHAR, value::DOUBLE FROM _frame",
            [run_id, run.project_id],
        )
        if predictions is not None and len(predictions):
            _insert_frame(
                cur,
                predictions[["row_id", "part", "y_true", "y_pred", "score"]],
                "INSERT INTO predictions SELECT ?, ?, row_id::BIGINT, part::VARCHAR,"
                " y_true::VARCHAR, y_pred::VARCHAR, score::DOUBLE FROM _frame",
                [run_id, run.project_id],
            )


def _insert_frame(
    cur: duckdb.DuckDBPyConnection, frame: pd.DataFrame, sql: str, params: list[Any]
) -> None:
    """Run an INSERT … SELECT reading ``frame`` as ``_frame`` (registered for that one call)."""
    with registered(cur, _frame=frame):
        cur.execute(sql, params)


def fail_run(db: Database, run_id: int, actor: str, error: str, updates: dict[str, Any]) -> None:
    """Mark a run failed with its error; nothing else is written."""
    run = _existing_run(db, run_id)
    sets = {**_encoded(updates), "status": "failed", "error": error}
    detail = {"name": run.name, "error": error[:500]}
    with db.write(actor, "fail", "run", run_id, run.project_id, detail) as (cur, _):
        _update_run(cur, run_id, sets)


def get_run(db: Database, run_id: int) -> RunRow | None:
    rows = _run_rows(db, f"SELECT {_RUN_COLS} FROM runs WHERE id = ?", [run_id])
    return rows[0] if rows else None


def list_runs(
    db: Database,
    project_id: int,
    *,
    parent_id: int | None = None,
    top_level: bool = False,
    status: str | None = None,
    split_id: int | None = None,
    model_kind: str | None = None,
    run_type: str | None = None,
) -> list[RunRow]:
    """Runs of a project, newest first; filters combine with AND."""
    sql = f"SELECT {_RUN_COLS} FROM runs WHERE project_id = ?"
    params: list[Any] = [project_id]
    filters = (
        ("parent_id", parent_id),
        ("status", status),
        ("split_id", split_id),
        ("model_kind", model_kind),
        ("run_type", run_type),
    )
    for col, value in filters:
        if value is not None:
            sql += f" AND {qident(col)} = ?"
            params.append(value)
    if top_level:
        sql += " AND parent_id IS NULL"
    return _run_rows(db, sql + " ORDER BY created_at DESC, id DESC", params)


def run_metrics(db: Database, run_ids: list[int], part: str | None = None) -> pd.DataFrame:
    """Long table run_id, part, metric, class, value of the given runs."""
    sql = (
        "SELECT run_id, part, metric, class, value FROM run_metrics"
        " WHERE run_id IN (SELECT unnest(?::BIGINT[]))"
    )
    sql, params = where_equal(sql, [[int(r) for r in run_ids]], part=part)
    return db.df(sql + " ORDER BY run_id, part, metric, class NULLS FIRST", params)


def run_predictions(db: Database, run_id: int, parts: list[str] | None = None) -> pd.DataFrame:
    """Stored per-row predictions: row_id, part, y_true, y_pred, score."""
    sql = "SELECT row_id, part, y_true, y_pred, score FROM predictions WHERE run_id = ?"
    params: list[Any] = [run_id]
    if parts:
        sql += " AND part IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(parts))
    return db.df(sql + " ORDER BY part, row_id", params)


def prediction_confusion(db: Database, run_id: int, part: str) -> pd.DataFrame:
    """Counts per (y_true, y_pred) pair of a run's part: the confusion matrix, long form."""
    return db.df(
        "SELECT y_true, y_pred, count(*) AS n FROM predictions WHERE run_id = ? AND part = ?"
        " GROUP BY ALL ORDER BY y_true, y_pred",
        [run_id, part],
    )


def prediction_calibration(
    db: Database, run_id: int, part: str, positive_class: str, bins: int = 10
) -> pd.DataFrame:
    """Reliability table: per equal-width score bin its count, mean score, positive share."""
    return db.df(
        "SELECT least(floor(score * ?)::INTEGER, ? - 1) AS bin, count(*) AS n,"
        " avg(score) AS mean_score, avg((y_true = ?)::INTEGER) AS frac_positive"
        " FROM predictions WHERE run_id = ? AND part = ? AND score IS NOT NULL"
        " GROUP BY ALL ORDER BY bin",
        [bins, bins, positive_class, run_id, part],
    )


def _version_rows(db: Database, sql: str, params: list[Any]) -> list[ModelVersionRow]:
    return [ModelVersionRow(*r) for r in db.rows(sql, params)]


def insert_model_version(
    db: Database,
    project_id: int,
    run_id: int,
    artifact_path: str,
    artifact_sha256: str,
    actor: str,
) -> int:
    """Register a run's saved model as the project's next version (active, no alias)."""
    with db.write(
        actor, "register", "model_version", project_id=project_id, detail={"run_id": run_id}
    ) as (cur, audit):
        # inside the write (writes take turns): one active version per run, numbers 1..n
        taken = cur.execute(
            "SELECT version FROM model_versions WHERE project_id = ? AND run_id = ?"
            " AND status = 'active'", [project_id, run_id],
        ).fetchall()
        if taken:
            raise StoreError(f"Run #{run_id} is registered already as version {taken[0][0]}.")
        (version,) = cur.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE project_id = ?",
            [project_id],
        ).fetchall()[0]
        (vid,) = cur.execute(
            "INSERT INTO model_versions (project_id, run_id, version, alias, status,"
            " artifact_path, artifact_sha256, created_at, created_by)"
            " VALUES (?, ?, ?, NULL, 'active', ?, ?, ?, ?) RETURNING id",
            [project_id, run_id, version, artifact_path, artifact_sha256, utcnow(), actor],
        ).fetchall()[0]
        audit["entity_id"] = vid
        audit["detail"]["version"] = int(version)
    return int(vid)


def get_model_version(db: Database, version_id: int) -> ModelVersionRow | None:
    rows = _version_rows(db, f"SELECT {_MV_COLS} FROM model_versions WHERE id = ?", [version_id])
    return rows[0] if rows else None


def list_model_versions(
    db: Database, project_id: int, alias: str | None = None, status: str | None = None
) -> list[ModelVersionRow]:
    sql, params = where_equal(
        f"SELECT {_MV_COLS} FROM model_versions WHERE project_id = ?", [project_id],
        alias=alias, status=status,
    )
    return _version_rows(db, sql + " ORDER BY version DESC", params)


def set_model_version(
    db: Database, version_id: int, actor: str, *, alias: str | None, status: str
) -> None:
    """Set a version's alias and status; an alias moves off any other version (one each)."""
    mv = get_model_version(db, version_id)
    if mv is None:
        raise StoreError("That model version does not exist (any more).")
    action = "set_alias" if status == mv.status else {"archived": "archive"}.get(status, "restore")
    detail = {
        "version": mv.version,
        "alias": alias,
        "previous_alias": mv.alias,
        "status": status,
    }
    with db.write(actor, action, "model_version", version_id, mv.project_id, detail) as (cur, _):
        if alias is not None:
            cur.execute(
                "UPDATE model_versions SET alias = NULL"
                " WHERE project_id = ? AND alias = ? AND id <> ?",
                [mv.project_id, alias, version_id],
            )
        cur.execute(
            "UPDATE model_versions SET alias = ?, status = ? WHERE id = ?",
            [alias, status, version_id],
        )
