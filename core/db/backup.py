"""A project's stored rows as Parquet files, and back: the database side of a backup.

DESIGN
------
* Every table keyed by ``project_id`` (the same set a project's deletion clears) is written
  as one Parquet file of that project's rows; each dataset's table as one Parquet file in
  row order, so a row's identity (DuckDB's ``rowid``, used by splits, predictions and tags)
  is the same after a restore.
* Ids come from one sequence (``id_seq``) for every table, so one map old id -> new id
  renumbers every id column (``id`` and the ``*_id`` references, not ``row_id``) at import.
  Ids kept inside JSON settings (how a result was made) are left as exported.
* The import is one audited write: the project, its datasets' tables and every result row,
  all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from core.db import projects as projects_db
from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.errors import StoreError

NOT_AN_ID = {"row_id"}  # a dataset row's position, kept as is


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def project_tables(db: Database) -> list[str]:
    """The tables holding a project's rows (keyed by ``project_id``), in name order."""
    return sorted(projects_db.project_tables(db))


def export_rows(db: Database, project_id: int, folder: Path) -> dict[str, Any]:
    """Write the project's catalog rows, results and dataset tables under ``folder``
    (``tables/<table>.parquet``, ``datasets/<id>.parquet``); returns what was written:
    {"tables": {table: rows}, "datasets": {id: rows}, "artifacts": [relative paths]}."""
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    (folder / "datasets").mkdir(parents=True, exist_ok=True)
    pid = int(project_id)
    out: dict[str, Any] = {"tables": {}, "datasets": {}, "artifacts": []}
    with db.cursor() as cur:
        for table in project_tables(db):
            path = folder / "tables" / f"{table}.parquet"
            cur.execute(
                f"COPY (SELECT * FROM {qident(table)} WHERE project_id = {pid}) "
                f"TO {_literal(path)} (FORMAT parquet)"
            )
            out["tables"][table] = cur.execute(
                f"SELECT count(*) FROM {qident(table)} WHERE project_id = ?", [pid]
            ).fetchall()[0][0]
        for did, table, n_rows in cur.execute(
            "SELECT id, table_name, n_rows FROM datasets WHERE project_id = ? ORDER BY id", [pid]
        ).fetchall():
            path = folder / "datasets" / f"{int(did)}.parquet"
            cur.execute(
                f"COPY (SELECT * FROM {qident(table)} ORDER BY rowid) TO {_literal(path)}"
                " (FORMAT parquet, ROW_GROUP_SIZE 122880)"
            )
            out["datasets"][str(int(did))] = int(n_rows)
    out["artifacts"] = artifact_paths(db, pid)
    return out


def record_export(db: Database, project_id: int, actor: str, detail: dict[str, Any]) -> None:
    """The audit row of an export (who took a copy of the project's data, and when)."""
    with db.write(actor, "export", "project", project_id, project_id, detail):
        pass


def artifact_paths(db: Database, project_id: int) -> list[str]:
    """The model files a project's runs and versions point to (relative to the artifacts)."""
    rows = db.rows(
        "SELECT artifact_path FROM runs WHERE project_id = ? AND artifact_path IS NOT NULL"
        " UNION SELECT artifact_path FROM model_versions WHERE project_id = ?",
        [project_id, project_id],
    )
    return sorted(r[0] for r in rows if r[0])


def _check_dataset(db: Database, cur: duckdb.DuckDBPyConnection, folder: Path, old: int,
                   table: str) -> None:
    """The restored rows must hash to the data version the archive's catalog records."""
    from core.db.datasets import _dataset_hash

    (recorded,) = cur.execute(
        "SELECT content_hash FROM read_parquet(?) WHERE id = ?",
        [str(folder / "tables" / "datasets.parquet"), old],
    ).fetchall()[0]
    if _dataset_hash(db, cur, table)[2] != recorded:
        raise StoreError(
            f"The archive's dataset {old} does not hash to its recorded data version "
            f"{recorded}: the archive was changed or damaged. Nothing was imported."
        )


def _free_project_name(cur: duckdb.DuckDBPyConnection, name: str) -> str:
    taken = {r[0] for r in cur.execute("SELECT name FROM projects").fetchall()}
    if name not in taken:
        return name
    n = 2
    while f"{name} (imported {n - 1})" in taken:
        n += 1
    return f"{name} (imported {n - 1})"


def _id_columns(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        r[0] for r in cur.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND NOT internal"
            " AND data_type = 'BIGINT' AND (column_name = 'id' OR column_name LIKE '%\\_id'"
            " ESCAPE '\\') AND column_name <> 'project_id'",
            [table],
        ).fetchall() if r[0] not in NOT_AN_ID
    ]


def _id_map(cur: duckdb.DuckDBPyConnection, folder: Path, tables: list[str]) -> pa.Table:
    """Every id the archive holds, with a new id from this database's sequence."""
    old: set[int] = set()
    for table in tables:
        path = folder / "tables" / f"{table}.parquet"
        names = [r[0] for r in cur.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})").fetchall()]
        if "id" in names:
            old |= {int(r[0]) for r in cur.execute(
                f"SELECT DISTINCT id FROM read_parquet({_literal(path)}) WHERE id IS NOT NULL"
            ).fetchall()}
    ordered = sorted(old)
    new = [int(cur.execute("SELECT nextval('id_seq')").fetchall()[0][0]) for _ in ordered]
    return pa.table({"old": pa.array(ordered, pa.int64()), "new": pa.array(new, pa.int64())})


def _insert_table(cur: duckdb.DuckDBPyConnection, folder: Path, table: str, pid: int) -> int:
    """Insert one table's exported rows with renumbered ids; returns the rows inserted."""
    path = folder / "tables" / f"{table}.parquet"
    names = [r[0] for r in cur.execute(
        f"DESCRIBE SELECT * FROM read_parquet({_literal(path)})").fetchall()]
    ids = set(_id_columns(cur, table))
    exprs = []
    for name in names:
        c = qident(name)
        if name == "project_id":
            exprs.append(f"{pid}::BIGINT AS {c}")
        elif table == "approvals" and name == "subject_id":
            # a brief's approval names a version number of the brief, not an id
            exprs.append(f"CASE WHEN t.gate = 'brief' THEN t.{c} ELSE "
                         f"(SELECT m.new FROM _idmap m WHERE m.old = t.{c}) END AS {c}")
        elif name in ids:
            exprs.append(f"(SELECT m.new FROM _idmap m WHERE m.old = t.{c}) AS {c}")
        elif table == "datasets" and name == "table_name":
            exprs.append(f"'ds_' || (SELECT m.new FROM _idmap m WHERE m.old = t.id) AS {c}")
        elif name == "artifact_path" and table in ("runs", "model_versions"):
            exprs.append(
                f"CASE WHEN t.{c} IS NULL THEN NULL ELSE '{pid}/' || "
                f"regexp_extract(t.{c}, '[^/\\\\]+$') END AS {c}"
            )
        else:
            exprs.append(f"t.{c}")
    try:
        cur.execute(
            f"INSERT INTO {qident(table)} BY NAME SELECT {', '.join(exprs)}"
            f" FROM read_parquet({_literal(path)}) t"
        )
    except duckdb.Error as exc:
        raise StoreError(
            f"The archive's table {table} does not fit this workbench's schema "
            f"({str(exc).splitlines()[0]}). Import it into a workbench of the version that "
            "exported it, or a newer one. Nothing was imported."
        ) from exc
    return int(cur.execute(
        f"SELECT count(*) FROM {qident(table)} WHERE project_id = ?", [pid]).fetchall()[0][0])


def import_rows(db: Database, folder: Path, project: dict[str, Any], tables: list[str],
                actor: str, name: str | None = None,
                place: Callable[[int], None] | None = None) -> tuple[int, str, dict[str, int]]:
    """Create a project from an extracted archive in one audited write; returns (new id,
    its name, {old dataset id: new dataset id}). ``place(project_id)`` runs last inside the
    transaction (it puts the model files in place), so its failure undoes the import."""
    known = set(project_tables(db))
    unknown = sorted(set(tables) - known)
    if unknown:
        raise StoreError(
            f"The archive holds tables this workbench does not know ({', '.join(unknown)}); it "
            "was exported by a newer version. Import it there. Nothing was imported."
        )
    with db.write(actor, "import", "project",
                  detail={"name": project.get("name"), "tables": len(tables)}) as (cur, audit):
        final = _free_project_name(cur, (name or str(project.get("name") or "")).strip()
                                   or "Imported project")
        (pid,) = cur.execute(
            "INSERT INTO projects (name, description, is_demo, created_at, created_by)"
            " VALUES (?, ?, FALSE, ?, ?) RETURNING id",
            [final, str(project.get("description") or ""), utcnow(), actor],
        ).fetchall()[0]
        audit["entity_id"] = audit["project_id"] = pid
        audit["detail"]["name"] = final
        idmap = _id_map(cur, folder, tables)
        mapping = dict(zip(idmap["old"].to_pylist(), idmap["new"].to_pylist(), strict=True))
        with registered(cur, _idmap=idmap):
            datasets = {}
            if "datasets" in tables:
                for (old,) in cur.execute(
                    "SELECT id FROM read_parquet(?)", [str(folder / "tables" / "datasets.parquet")]
                ).fetchall():
                    src = folder / "datasets" / f"{int(old)}.parquet"
                    if not src.is_file():
                        raise StoreError(f"The archive lists dataset {old} but holds no rows "
                                         "for it. Nothing was imported.")
                    new = mapping[int(old)]
                    cur.execute(
                        f"CREATE TABLE {qident(f'ds_{new}')} AS SELECT * EXCLUDE (file_row_number)"
                        f" FROM read_parquet({_literal(src)}, file_row_number = true)"
                        " ORDER BY file_row_number"
                    )
                    datasets[int(old)] = new
                    _check_dataset(db, cur, folder, int(old), f"ds_{new}")
            for table in tables:
                _insert_table(cur, folder, table, int(pid))
        if place is not None:
            place(int(pid))
    return int(pid), final, datasets
