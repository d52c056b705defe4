"""Datasets: immutable ``ds_<id>`` tables and their catalog rows (name, role, shape,
content hash = data version), derived versions and lineage, row reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.db.rows import refuse_taken_name, require
from core.errors import StoreError

ROW_ID = "__row_id"  # a dataset row's identity: DuckDB's rowid of its immutable table


DATASET_ROLES = ("training", "reference", "production", "labels", "other")


@dataclass(frozen=True)
class DatasetRow:
    id: int
    project_id: int
    name: str
    source: str
    role: str
    n_rows: int
    n_cols: int
    content_hash: str
    table_name: str
    parent_id: int | None
    note: str
    created_at: datetime
    created_by: str


_DATASET_COLS = (
        "id, project_id, name, source, role, n_rows, n_cols, content_hash, table_name,"
        " parent_id, note, created_at, created_by"
    )


# ------------------------------------------------------------------ datasets
def _dataset_hash(db: Database, cur: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, str]:
    """Rows, columns and an order-independent content hash computed in one scan."""
    cols = cur.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?"
        " ORDER BY column_index",
        [table],
    ).fetchall()
    n, s, x = cur.execute(
        f"SELECT count(*), coalesce(sum(hash(t))::VARCHAR, '0'),"
        f" coalesce(bit_xor(hash(t)), 0)::VARCHAR FROM {qident(table)} t"
    ).fetchall()[0]
    digest = hashlib.sha256(json.dumps([cols, n, s, x]).encode()).hexdigest()[:16]
    return int(n), len(cols), digest


def _create_dataset(db: Database, project_id: int,
    name: str,
    create: Callable[[duckdb.DuckDBPyConnection, str], None],
    *,
    source: str,
    role: str,
    actor: str,
    parent_id: int | None = None,
    note: str = "",
    detail: dict[str, Any] | None = None,
    after: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None,
) -> int:
    """One transaction: ``create(cur, table)`` fills the table, then hash and catalog row.

    Any failure (in ``create`` or after) rolls back table, catalog row and audit row.
    """
    name = name.strip()
    if not name:
        raise StoreError("A dataset needs a name.")
    if role not in DATASET_ROLES:
        raise StoreError(f"Unknown role {role!r}; use one of {', '.join(DATASET_ROLES)}.")
    with db.write(
        actor, "create", "dataset", project_id=project_id,
        detail={"name": name, "source": source, **(detail or {})},
    ) as (cur, audit):
        refuse_taken_name(cur, "datasets", "dataset", project_id, name)
        (did,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
        table = f"ds_{did}"
        create(cur, table)
        n_rows, n_cols, digest = _dataset_hash(db, cur, table)
        cur.execute(
            "INSERT INTO datasets (id, project_id, name, source, role, n_rows, n_cols,"
            " content_hash, table_name, parent_id, note, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [did, project_id, name, source, role, n_rows, n_cols, digest, table,
             parent_id, note, utcnow(), actor],
        )
        if after is not None:
            after(cur, int(did))
        audit["entity_id"] = did
        audit["detail"].update(rows=n_rows, cols=n_cols, hash=digest)
    return int(did)


def insert_dataset(db: Database, project_id: int,
    name: str,
    data: pd.DataFrame | Any,
    *,
    source: str,
    role: str,
    actor: str,
    parent_id: int | None = None,
    note: str = "",
) -> int:
    """Store rows (a DataFrame or an Arrow table) as a new dataset; all or nothing."""
    if isinstance(data, pd.DataFrame):
        # through Arrow: DuckDB's pandas scan mis-reads strided (e.g. reversed) arrays
        import pyarrow as pa

        data = pa.Table.from_pandas(data, preserve_index=False)

    def create(cur: duckdb.DuckDBPyConnection, table: str) -> None:
        with registered(cur, _incoming=data):
            cur.execute(f"CREATE TABLE {qident(table)} AS SELECT * FROM _incoming")

    return _create_dataset(db,
        project_id, name, create, source=source, role=role, actor=actor,
        parent_id=parent_id, note=note,
    )


def list_datasets(db: Database, project_id: int, role: str | None = None) -> list[DatasetRow]:
    sql = f"SELECT {_DATASET_COLS} FROM datasets WHERE project_id = ?"
    params: list[Any] = [project_id]
    if role:
        sql += " AND role = ?"
        params.append(role)
    return [DatasetRow(*r) for r in db.rows(sql + " ORDER BY created_at, id", params)]


def get_dataset(db: Database, dataset_id: int) -> DatasetRow | None:
    rows = db.rows(f"SELECT {_DATASET_COLS} FROM datasets WHERE id = ?", [dataset_id])
    return DatasetRow(*rows[0]) if rows else None


def require_dataset(db: Database, dataset_id: int) -> DatasetRow:
    """The dataset's catalog row; StoreError when it does not exist (any more)."""
    return require(get_dataset(db, dataset_id), "dataset")


def _dataset_table(db: Database, dataset_id: int) -> str:
    return require_dataset(db, dataset_id).table_name


def dataset_schema(db: Database, dataset_id: int) -> list[tuple[str, str]]:
    table = _dataset_table(db, dataset_id)
    return [
        (r[0], r[1])
        for r in db.rows(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?"
            " ORDER BY column_index",
            [table],
        )
    ]


def dataset_frame(db: Database, dataset_id: int,
    columns: list[str] | None = None,
    limit: int | None = None,
    with_row_id: bool = False,
) -> pd.DataFrame:
    """Rows of a dataset as a DataFrame (for small results and sklearn inputs).

    ``with_row_id`` adds ``__row_id``, the row's stable identity used by splits,
    predictions and labels (datasets are immutable, so DuckDB's rowid never moves).
    """
    table = _dataset_table(db, dataset_id)
    cols = ", ".join(qident(c) for c in columns) if columns else "*"
    if with_row_id:
        cols = f"rowid AS {ROW_ID}, {cols}"
    sql = f"SELECT {cols} FROM {qident(table)}"
    params: list[Any] = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return db.df(sql, params)


def count_datasets(db: Database, project_id: int) -> dict[str, int]:
    return dict(
        db.rows(
            "SELECT role, count(*) FROM datasets WHERE project_id = ? GROUP BY role",
            [project_id],
        )
    )


def rows_by_id(db: Database, dataset_id: int, row_ids: list[int]) -> pd.DataFrame:
    """Given rows with their ``__row_id`` (e.g. a duplicate group, for display)."""
    table = _dataset_table(db, dataset_id)
    return db.df(
        f"SELECT rowid AS {ROW_ID}, * FROM {qident(table)}"
        " WHERE rowid IN (SELECT unnest(?::BIGINT[])) ORDER BY rowid",
        [[int(r) for r in row_ids]],
    )


def derive_dataset(db: Database, dataset_id: int,
    name: str,
    replace: dict[str, dict[str, str]],
    *,
    actor: str,
    note: str = "",
) -> int:
    """A new version of a dataset with values replaced per column (row order kept).

    ``replace`` maps column -> {old value: new value} (text columns). The original is
    kept; the new dataset's ``parent_id`` points to it and it inherits the column type
    overrides and stated ranges.
    """
    parent = require_dataset(db, dataset_id)
    schema = dict(dataset_schema(db, dataset_id))
    missing = [c for c in replace if c not in schema]
    if missing:
        raise StoreError(f"Column(s) {', '.join(map(repr, missing))} are not in {parent.name}.")
    exprs, params = [], []
    for col, mapping in replace.items():
        if not mapping:
            continue
        c = qident(col)
        whens = " ".join("WHEN ? THEN ?" for _ in mapping)
        exprs.append(f"CASE {c}::VARCHAR {whens} ELSE {c}::VARCHAR END AS {c}")
        for old, new in mapping.items():
            params += [str(old), str(new)]
    select = f"* REPLACE ({', '.join(exprs)})" if exprs else "*"

    def create(cur: duckdb.DuckDBPyConnection, table: str) -> None:
        cur.execute(
            f"CREATE TABLE {qident(table)} AS SELECT {select} FROM {qident(parent.table_name)}"
            " ORDER BY rowid",
            params,
        )

    def inherit(cur: duckdb.DuckDBPyConnection, new_id: int) -> None:
        cur.execute(
            "INSERT INTO column_types SELECT project_id, ?, column_name, detected, rule,"
            " override, range_low, range_high, ?, ? FROM column_types WHERE dataset_id = ?"
            " AND (override IS NOT NULL OR range_low IS NOT NULL OR range_high IS NOT NULL)",
            [new_id, utcnow(), actor, dataset_id],
        )

    return _create_dataset(db,
        parent.project_id, name, create, source=f"derived from {parent.name}",
        role=parent.role, actor=actor, parent_id=dataset_id, note=note,
        detail={"parent": parent.name, "replaced": {k: len(v) for k, v in replace.items()}},
        after=inherit,
    )


def dataset_lineage(db: Database, dataset_id: int) -> list[int]:
    """The dataset and its ancestors (parent_id chain), newest first."""
    rows = db.rows(
        "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM datasets WHERE id = ?"
        " UNION ALL SELECT d.id, d.parent_id FROM datasets d JOIN up ON d.id = up.parent_id)"
        " SELECT id FROM up",
        [dataset_id],
    )
    return [int(r[0]) for r in rows]


def sample_rows(db: Database, dataset_id: int, n: int, columns: list[str] | None = None, seed: int = 0
) -> pd.DataFrame:
    """A seeded reservoir sample of up to ``n`` rows (for the domain classifier)."""
    table = _dataset_table(db, dataset_id)
    cols = ", ".join(qident(c) for c in columns) if columns else "*"
    return db.df(
        f"SELECT {cols} FROM {qident(table)}"
        f" USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE ({int(seed)})"
    )


def insert_dataset_subset(db: Database, project_id: int,
    source_dataset_id: int,
    name: str,
    *,
    columns: list[str],
    not_null: str | None,
    time_column: str | None,
    since: datetime | None,
    actor: str,
    note: str = "",
) -> int:
    """A new dataset version from a filtered projection of another (SQL filter, Arrow, no pandas).

    Used by continuous training: the labelled production rows since a date.
    """
    src = require_dataset(db, source_dataset_id)
    have = {c for c, _ in dataset_schema(db, source_dataset_id)}
    missing = [c for c in columns if c not in have]
    if missing:
        raise StoreError(f"{src.name!r} lacks the columns {', '.join(missing)}.")
    where, params = ["TRUE"], []
    if not_null:
        where.append(f"{qident(not_null)} IS NOT NULL")
    if time_column and since is not None:
        where.append(f"{qident(time_column)} >= ?")
        params.append(since)
    order = f" ORDER BY {qident(time_column)}" if time_column else ""
    sql = (
        f"SELECT {', '.join(qident(c) for c in columns)} FROM {qident(src.table_name)}"
        f" WHERE {' AND '.join(where)}{order}"
    )
    with db.cursor() as cur:
        arrow = cur.sql(sql, params=params).to_arrow_table()
    return insert_dataset(db,
        project_id, name, arrow, source=f"subset of {src.name}", role="training",
        actor=actor, parent_id=source_dataset_id, note=note,
    )
