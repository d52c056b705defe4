"""Training runs (written as 'running', then 'done' with metrics, per-row predictions and
the artifact, or 'failed'), and the model registry's versions."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database, qident
from core.errors import StoreError

_RUN_JSON = ("params", "preprocessing", "features", "library_versions")
_RUN_COLS = (
        "id, project_id, parent_id, name, run_type, status, error, model_kind, params,"
        " preprocessing, split_id, dataset_id, dataset_hash, split_hash, target,"
        " positive_class, task_type, features, library_versions, seed, max_ladder, n_train,"
        " duration_s, peak_mem_mb, artifact_path, artifact_sha256, created_at, created_by"
    )
_MV_COLS = (
        "id, project_id, run_id, version, alias, status, artifact_path, artifact_sha256,"
        " created_at, created_by"
    )


def _run_dicts(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    names = [c.strip() for c in _RUN_COLS.split(",")]
    out = []
    for r in db.rows(sql, params):
        d = dict(zip(names, r, strict=True))
        for key in _RUN_JSON:
            d[key] = json.loads(d[key]) if d[key] else ({} if key != "features" else [])
        out.append(d)
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
    allowed = {c.strip() for c in _RUN_COLS.split(",")} - {
        "id", "project_id", "status", "created_at", "created_by"
    }
    unknown = set(fields) - allowed
    if unknown:
        raise StoreError(f"Unknown run fields: {sorted(unknown)}")
    values = {
        k: (json.dumps(v, default=str) if k in _RUN_JSON else v) for k, v in fields.items()
    }
    cols = ["project_id", "status", "created_at", "created_by", *values]
    row = [project_id, "running", utcnow(), actor, *values.values()]
    with db.write(
        actor, "start", "run", project_id=project_id,
        detail={"name": fields.get("name"), "model_kind": fields.get("model_kind")},
    ) as (cur, audit):
        (rid,) = cur.execute(
            f"INSERT INTO runs ({', '.join(qident(c) for c in cols)})"
            f" VALUES ({', '.join('?' for _ in cols)}) RETURNING id",
            row,
        ).fetchall()[0]
        audit["entity_id"] = rid
    return int(rid)


def finish_run(db: Database, run_id: int,
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
    run = get_run(db, run_id)
    if run is None:
        raise StoreError("That run does not exist (any more).")
    sets = {k: (json.dumps(v, default=str) if k in _RUN_JSON else v) for k, v in updates.items()}
    sets["status"] = "done"
    with db.write(
        actor, "finish", "run", run_id, run["project_id"], {"name": run["name"]}
    ) as (cur, _):
        cur.execute(
            f"UPDATE runs SET {', '.join(f'{qident(k)} = ?' for k in sets)} WHERE id = ?",
            [*sets.values(), run_id],
        )
        m = metrics[["part", "metric", "class", "value"]]
        cur.register("_metrics", m)
        try:
            cur.execute(
                "INSERT INTO run_metrics SELECT ?, ?, part::VARCHAR, metric::VARCHAR,"
                " class::VARCHAR, value::DOUBLE FROM _metrics",
                [run_id, run["project_id"]],
            )
        finally:
            cur.unregister("_metrics")
        if predictions is not None and len(predictions):
            p = predictions[["row_id", "part", "y_true", "y_pred", "score"]]
            cur.register("_preds", p)
            try:
                cur.execute(
                    "INSERT INTO predictions SELECT ?, ?, row_id::BIGINT, part::VARCHAR,"
                    " y_true::VARCHAR, y_pred::VARCHAR, score::DOUBLE FROM _preds",
                    [run_id, run["project_id"]],
                )
            finally:
                cur.unregister("_preds")


def fail_run(db: Database, run_id: int, actor: str, error: str, updates: dict[str, Any]) -> None:
    """Mark a run failed with its error; nothing else is written."""
    run = get_run(db, run_id)
    if run is None:
        raise StoreError("That run does not exist (any more).")
    sets = {k: (json.dumps(v, default=str) if k in _RUN_JSON else v) for k, v in updates.items()}
    sets.update(status="failed", error=error)
    with db.write(
        actor, "fail", "run", run_id, run["project_id"], {"name": run["name"], "error": error[:500]}
    ) as (cur, _):
        cur.execute(
            f"UPDATE runs SET {', '.join(f'{qident(k)} = ?' for k in sets)} WHERE id = ?",
            [*sets.values(), run_id],
        )


def get_run(db: Database, run_id: int) -> dict[str, Any] | None:
    rows = _run_dicts(db, f"SELECT {_RUN_COLS} FROM runs WHERE id = ?", [run_id])
    return rows[0] if rows else None


def list_runs(db: Database, project_id: int,
    *,
    parent_id: int | None = None,
    top_level: bool = False,
    status: str | None = None,
    split_id: int | None = None,
    model_kind: str | None = None,
) -> list[dict[str, Any]]:
    """Runs of a project, newest first; filters combine with AND."""
    sql = f"SELECT {_RUN_COLS} FROM runs WHERE project_id = ?"
    params: list[Any] = [project_id]
    for col, value in (("parent_id", parent_id), ("status", status), ("split_id", split_id),
                       ("model_kind", model_kind)):
        if value is not None:
            sql += f" AND {qident(col)} = ?"
            params.append(value)
    if top_level:
        sql += " AND parent_id IS NULL"
    return _run_dicts(db, sql + " ORDER BY created_at DESC, id DESC", params)


def run_metrics(db: Database, run_ids: list[int], part: str | None = None) -> pd.DataFrame:
    """Long table run_id, part, metric, class, value of the given runs."""
    sql = (
        "SELECT run_id, part, metric, class, value FROM run_metrics"
        " WHERE run_id IN (SELECT unnest(?::BIGINT[]))"
    )
    params: list[Any] = [[int(r) for r in run_ids]]
    if part is not None:
        sql += " AND part = ?"
        params.append(part)
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


def prediction_calibration(db: Database, run_id: int, part: str, positive_class: str, bins: int = 10
) -> pd.DataFrame:
    """Reliability table: per equal-width score bin its count, mean score, positive share."""
    return db.df(
        "SELECT least(floor(score * ?)::INTEGER, ? - 1) AS bin, count(*) AS n,"
        " avg(score) AS mean_score, avg((y_true = ?)::INTEGER) AS frac_positive"
        " FROM predictions WHERE run_id = ? AND part = ? AND score IS NOT NULL"
        " GROUP BY ALL ORDER BY bin",
        [bins, bins, positive_class, run_id, part],
    )


def _mv_dicts(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    names = [c.strip() for c in _MV_COLS.split(",")]
    return [dict(zip(names, r, strict=True)) for r in db.rows(sql, params)]


def insert_model_version(db: Database, project_id: int, run_id: int, artifact_path: str, artifact_sha256: str, actor: str
) -> int:
    """Register a run's saved model as the project's next version (active, no alias)."""
    with db.write(
        actor, "register", "model_version", project_id=project_id, detail={"run_id": run_id}
    ) as (cur, audit):
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


def get_model_version(db: Database, version_id: int) -> dict[str, Any] | None:
    rows = _mv_dicts(db, f"SELECT {_MV_COLS} FROM model_versions WHERE id = ?", [version_id])
    return rows[0] if rows else None


def list_model_versions(db: Database, project_id: int, alias: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    sql = f"SELECT {_MV_COLS} FROM model_versions WHERE project_id = ?"
    params: list[Any] = [project_id]
    if alias is not None:
        sql += " AND alias = ?"
        params.append(alias)
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    return _mv_dicts(db, sql + " ORDER BY version DESC", params)


def set_model_version(db: Database, version_id: int, actor: str, *, alias: str | None, status: str
) -> None:
    """Set a version's alias and status; an alias moves off any other version (one each)."""
    mv = get_model_version(db, version_id)
    if mv is None:
        raise StoreError("That model version does not exist (any more).")
    action = "set_alias" if status == mv["status"] else {"archived": "archive"}.get(status, "restore")
    with db.write(
        actor, action, "model_version", version_id, mv["project_id"],
        {"version": mv["version"], "alias": alias, "previous_alias": mv["alias"],
         "status": status},
    ) as (cur, _):
        if alias is not None:
            cur.execute(
                "UPDATE model_versions SET alias = NULL"
                " WHERE project_id = ? AND alias = ? AND id <> ?",
                [mv["project_id"], alias, version_id],
            )
        cur.execute(
            "UPDATE model_versions SET alias = ?, status = ? WHERE id = ?",
            [alias, status, version_id],
        )
