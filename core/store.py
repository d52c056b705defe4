"""The only module that talks to DuckDB.

DESIGN
------
* One ``Store`` per database file and server process; every operation opens its own
  ``cursor()`` because a shared DuckDB connection refuses concurrent calls.
* The schema is a named list of migrations recorded in ``schema_migrations``; applying
  them is idempotent, so opening a store twice changes nothing.
* Every write goes through ``_write``: one transaction that also appends a row to
  ``audit_log`` (who, when, what). A failed write rolls back both.
* A dataset's rows live in their own DuckDB table (``ds_<id>``); the ``datasets`` catalog
  holds name, source, role, shape and a content hash (the data version).
* Values go in as ``?`` parameters; names (tables, columns) only through ``qident``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd


class StoreError(Exception):
    """A failure the user can act on; its message is shown as is."""


class StoreOpenError(StoreError):
    """The database file cannot be opened; the message names the file and the remedy."""


def qident(name: str) -> str:
    '''Quote a table or column name as a SQL identifier.

    >>> print(qident('my "col"'))
    "my ""col"""
    '''
    return '"' + str(name).replace('"', '""') + '"'


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE SEQUENCE IF NOT EXISTS id_seq START 1;
        CREATE TABLE projects (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            name VARCHAR NOT NULL UNIQUE,
            description VARCHAR NOT NULL DEFAULT '',
            is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE datasets (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            n_rows BIGINT NOT NULL,
            n_cols INTEGER NOT NULL,
            content_hash VARCHAR NOT NULL,
            table_name VARCHAR NOT NULL UNIQUE,
            parent_id BIGINT,
            note VARCHAR NOT NULL DEFAULT '',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            UNIQUE (project_id, name)
        );
        CREATE TABLE audit_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            logged_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            entity VARCHAR NOT NULL,
            entity_id BIGINT,
            project_id BIGINT,
            detail VARCHAR NOT NULL DEFAULT '{}'
        );
        """,
    ),
    (
        "0002_splits",
        """
        CREATE TABLE splits (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            dataset_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            method VARCHAR NOT NULL,
            target VARCHAR,
            params VARCHAR NOT NULL DEFAULT '{}',
            content_hash VARCHAR NOT NULL,
            n_train BIGINT NOT NULL,
            n_dev BIGINT NOT NULL,
            n_test BIGINT NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            UNIQUE (project_id, name)
        );
        CREATE TABLE split_assignments (
            split_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            row_id BIGINT NOT NULL,
            part VARCHAR NOT NULL,
            ladder DOUBLE
        );
        """,
    ),
    # MIGRATION SLOT 0003_scoping (issue 3)
    # MIGRATION SLOT 0004_data (issue 4: column types, quality)
    # MIGRATION SLOT 0005_labels (issue 5)
    # MIGRATION SLOT 0006_training (issue 6)
    # MIGRATION SLOT 0007_slices (issue 7)
    # MIGRATION SLOT 0008_deploy (issue 8)
    # MIGRATION SLOT 0009_monitor (issue 9)
]

ROW_ID = "__row_id"  # a dataset row's identity: DuckDB's rowid of its immutable table

DATASET_ROLES = ("training", "reference", "production", "labels", "other")


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    description: str
    is_demo: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class SplitRow:
    id: int
    project_id: int
    dataset_id: int
    name: str
    method: str
    target: str | None
    params: dict
    content_hash: str
    n_train: int
    n_dev: int
    n_test: int
    created_at: datetime
    created_by: str


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


def _open_message(path: Path, exc: Exception) -> str:
    text = str(exc)
    if "not a valid DuckDB database" in text:
        return (
            f"The file {path} exists but is not a DuckDB database, so the workbench will not "
            "touch it. Point WORKBENCH_DB at a new file name or at a workbench database."
        )
    if "lock" in text.lower():
        return (
            f"The database {path} is in use by another process (DuckDB allows one process per "
            "file). Stop the other workbench or notebook using it, or set WORKBENCH_DB to "
            "another file."
        )
    return (
        f"The database {path} cannot be opened: {text.splitlines()[0]}. Check that its folder "
        "exists and is writable, or set WORKBENCH_DB to a writable path."
    )


class Store:
    """A workbench database: projects, datasets, audit log and every stored result."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.RLock()  # serialises schema changes and demo seeding
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreOpenError(
                f"The folder {self.path.parent} for the database {self.path} cannot be created "
                f"({exc.strerror}). Set WORKBENCH_DB to a path in a writable folder."
            ) from exc
        try:
            self._con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            raise StoreOpenError(_open_message(self.path, exc)) from exc
        try:
            self.migrate()
        except duckdb.Error as exc:
            self._con.close()
            raise StoreOpenError(
                f"The database {self.path} could not be prepared: {exc}. If it is read-only, "
                "make it writable or set WORKBENCH_DB to another file."
            ) from exc

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        self._con.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def _write(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: int | None = None,
        project_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, Any]]]:
        """One transaction with its audit row; the body may fill in ``audit['entity_id']``."""
        audit: dict[str, Any] = {
            "entity_id": entity_id,
            "project_id": project_id,
            "detail": dict(detail or {}),
        }
        with self._cursor() as cur:
            cur.begin()
            try:
                yield cur, audit
                cur.execute(
                    "INSERT INTO audit_log (logged_at, actor, action, entity, entity_id, project_id, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        utcnow(),
                        actor,
                        action,
                        entity,
                        audit["entity_id"],
                        audit["project_id"],
                        json.dumps(audit["detail"], default=str),
                    ],
                )
                cur.commit()
            except BaseException:
                cur.rollback()
                raise

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with self._cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def _df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        with self._cursor() as cur:
            return cur.execute(sql, params or []).df()

    # ---------------------------------------------------------------- migrations
    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns the names applied now."""
        applied_now: list[str] = []
        with self._lock, self._cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
            )
            done = {r[0] for r in cur.execute("SELECT name FROM schema_migrations").fetchall()}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                cur.begin()
                try:
                    cur.execute(sql)
                    cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, utcnow()])
                    cur.commit()
                except BaseException:
                    cur.rollback()
                    raise
                applied_now.append(name)
        return applied_now

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT name FROM schema_migrations ORDER BY name")]

    def table_names(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT table_name FROM duckdb_tables() ORDER BY 1")]

    # ------------------------------------------------------------------ projects
    def create_project(
        self, name: str, actor: str, description: str = "", is_demo: bool = False
    ) -> int:
        name = name.strip()
        if not name:
            raise StoreError("A project needs a name.")
        if self._rows("SELECT 1 FROM projects WHERE name = ?", [name]):
            raise StoreError(f"A project named {name!r} exists already; choose another name.")
        with self._write(actor, "create", "project", detail={"name": name}) as (cur, audit):
            (pid,) = cur.execute(
                "INSERT INTO projects (name, description, is_demo, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                [name, description, is_demo, utcnow(), actor],
            ).fetchall()[0]
            audit["entity_id"] = audit["project_id"] = pid
        return int(pid)

    def list_projects(self) -> list[ProjectRow]:
        rows = self._rows(
            "SELECT id, name, description, is_demo, created_at, created_by FROM projects"
            " ORDER BY is_demo DESC, created_at, id"
        )
        return [ProjectRow(*r) for r in rows]

    def get_project(self, project_id: int) -> ProjectRow | None:
        rows = self._rows(
            "SELECT id, name, description, is_demo, created_at, created_by FROM projects"
            " WHERE id = ?",
            [project_id],
        )
        return ProjectRow(*rows[0]) if rows else None

    def delete_project(self, project_id: int, actor: str) -> None:
        """Delete a project, its datasets and their tables, in one transaction."""
        project = self.get_project(project_id)
        if project is None:
            raise StoreError("That project does not exist (any more).")
        with self._write(
            actor, "delete", "project", project_id, project_id, {"name": project.name}
        ) as (cur, _):
            for (table,) in cur.execute(
                "SELECT table_name FROM datasets WHERE project_id = ?", [project_id]
            ).fetchall():
                cur.execute(f"DROP TABLE IF EXISTS {qident(table)}")
            for table in self._project_tables():
                cur.execute(f"DELETE FROM {qident(table)} WHERE project_id = ?", [project_id])
            cur.execute("DELETE FROM projects WHERE id = ?", [project_id])

    def _project_tables(self) -> list[str]:
        """Result tables keyed by project (all but projects and the audit log)."""
        rows = self._rows(
            "SELECT DISTINCT table_name FROM duckdb_columns() WHERE column_name = 'project_id'"
            " AND table_name NOT IN ('projects', 'audit_log') AND NOT internal"
        )
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ datasets
    def _dataset_hash(self, cur: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, str]:
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

    def insert_dataset(
        self,
        project_id: int,
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
        name = name.strip()
        if not name:
            raise StoreError("A dataset needs a name.")
        if role not in DATASET_ROLES:
            raise StoreError(f"Unknown role {role!r}; use one of {', '.join(DATASET_ROLES)}.")
        if self._rows(
            "SELECT 1 FROM datasets WHERE project_id = ? AND name = ?", [project_id, name]
        ):
            raise StoreError(f"This project has a dataset named {name!r} already.")
        with self._write(
            actor, "create", "dataset", project_id=project_id, detail={"name": name, "source": source}
        ) as (cur, audit):
            (did,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
            table = f"ds_{did}"
            if isinstance(data, pd.DataFrame):
                # through Arrow: DuckDB's pandas scan mis-reads strided (e.g. reversed) arrays
                import pyarrow as pa

                data = pa.Table.from_pandas(data, preserve_index=False)
            cur.register("_incoming", data)
            try:
                cur.execute(f"CREATE TABLE {qident(table)} AS SELECT * FROM _incoming")
            finally:
                cur.unregister("_incoming")
            n_rows, n_cols, digest = self._dataset_hash(cur, table)
            cur.execute(
                "INSERT INTO datasets (id, project_id, name, source, role, n_rows, n_cols,"
                " content_hash, table_name, parent_id, note, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [did, project_id, name, source, role, n_rows, n_cols, digest, table,
                 parent_id, note, utcnow(), actor],
            )
            audit["entity_id"] = did
            audit["detail"].update(rows=n_rows, cols=n_cols, hash=digest)
        return int(did)

    _DATASET_COLS = (
        "id, project_id, name, source, role, n_rows, n_cols, content_hash, table_name,"
        " parent_id, note, created_at, created_by"
    )

    def list_datasets(self, project_id: int, role: str | None = None) -> list[DatasetRow]:
        sql = f"SELECT {self._DATASET_COLS} FROM datasets WHERE project_id = ?"
        params: list[Any] = [project_id]
        if role:
            sql += " AND role = ?"
            params.append(role)
        return [DatasetRow(*r) for r in self._rows(sql + " ORDER BY created_at, id", params)]

    def get_dataset(self, dataset_id: int) -> DatasetRow | None:
        rows = self._rows(f"SELECT {self._DATASET_COLS} FROM datasets WHERE id = ?", [dataset_id])
        return DatasetRow(*rows[0]) if rows else None

    def _dataset_table(self, dataset_id: int) -> str:
        ds = self.get_dataset(dataset_id)
        if ds is None:
            raise StoreError("That dataset does not exist (any more).")
        return ds.table_name

    def dataset_schema(self, dataset_id: int) -> list[tuple[str, str]]:
        table = self._dataset_table(dataset_id)
        return [
            (r[0], r[1])
            for r in self._rows(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?"
                " ORDER BY column_index",
                [table],
            )
        ]

    def dataset_frame(
        self,
        dataset_id: int,
        columns: list[str] | None = None,
        limit: int | None = None,
        with_row_id: bool = False,
    ) -> pd.DataFrame:
        """Rows of a dataset as a DataFrame (for small results and sklearn inputs).

        ``with_row_id`` adds ``__row_id``, the row's stable identity used by splits,
        predictions and labels (datasets are immutable, so DuckDB's rowid never moves).
        """
        table = self._dataset_table(dataset_id)
        cols = ", ".join(qident(c) for c in columns) if columns else "*"
        if with_row_id:
            cols = f"rowid AS {ROW_ID}, {cols}"
        sql = f"SELECT {cols} FROM {qident(table)}"
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return self._df(sql, params)

    def count_datasets(self, project_id: int) -> dict[str, int]:
        return dict(
            self._rows(
                "SELECT role, count(*) FROM datasets WHERE project_id = ? GROUP BY role",
                [project_id],
            )
        )

    # -------------------------------------------------------------------- splits
    _SPLIT_COLS = (
        "id, project_id, dataset_id, name, method, target, params, content_hash,"
        " n_train, n_dev, n_test, created_at, created_by"
    )

    @staticmethod
    def _split_row(r: tuple) -> SplitRow:
        r = list(r)
        r[6] = json.loads(r[6])
        return SplitRow(*r)

    def insert_split(
        self,
        project_id: int,
        dataset_id: int,
        name: str,
        assignments: pd.DataFrame,
        *,
        method: str,
        target: str | None,
        params: dict[str, Any],
        actor: str,
    ) -> int:
        """Store a split: ``assignments`` has ``row_id``, ``part`` (train/dev/test), ``ladder``.

        ``ladder`` is, for a train row, the smallest learning-ladder share (e.g. 0.1) whose
        nested subset of train holds it; NULL for dev and test rows. The split's hash covers
        the dataset version and every assignment, so equal splits share a hash.
        """
        name = name.strip()
        if not name:
            raise StoreError("A split needs a name.")
        ds = self.get_dataset(dataset_id)
        if ds is None:
            raise StoreError("That dataset does not exist (any more).")
        if self._rows("SELECT 1 FROM splits WHERE project_id = ? AND name = ?", [project_id, name]):
            raise StoreError(f"This project has a split named {name!r} already.")
        frame = assignments[["row_id", "part", "ladder"]]
        with self._write(
            actor, "create", "split", project_id=project_id,
            detail={"name": name, "dataset": ds.name, "method": method},
        ) as (cur, audit):
            (sid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
            cur.register("_assign", frame)
            try:
                cur.execute(
                    "INSERT INTO split_assignments SELECT ?, ?, row_id::BIGINT, part::VARCHAR,"
                    " ladder::DOUBLE FROM _assign",
                    [sid, project_id],
                )
            finally:
                cur.unregister("_assign")
            counts = dict(
                cur.execute(
                    "SELECT part, count(*) FROM split_assignments WHERE split_id = ? GROUP BY part",
                    [sid],
                ).fetchall()
            )
            (h,) = cur.execute(
                "SELECT coalesce(sum(hash(row_id, part, ladder))::VARCHAR, '0')"
                " FROM split_assignments WHERE split_id = ?",
                [sid],
            ).fetchall()[0]
            digest = hashlib.sha256(f"{ds.content_hash}:{h}".encode()).hexdigest()[:16]
            cur.execute(
                f"INSERT INTO splits ({self._SPLIT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, project_id, dataset_id, name, method, target, json.dumps(params, default=str),
                 digest, counts.get("train", 0), counts.get("dev", 0), counts.get("test", 0),
                 utcnow(), actor],
            )
            audit["entity_id"] = sid
            audit["detail"]["hash"] = digest
        return int(sid)

    def list_splits(self, project_id: int, dataset_id: int | None = None) -> list[SplitRow]:
        sql = f"SELECT {self._SPLIT_COLS} FROM splits WHERE project_id = ?"
        params: list[Any] = [project_id]
        if dataset_id is not None:
            sql += " AND dataset_id = ?"
            params.append(dataset_id)
        return [self._split_row(r) for r in self._rows(sql + " ORDER BY created_at, id", params)]

    def get_split(self, split_id: int) -> SplitRow | None:
        rows = self._rows(f"SELECT {self._SPLIT_COLS} FROM splits WHERE id = ?", [split_id])
        return self._split_row(rows[0]) if rows else None

    def split_frame(
        self,
        split_id: int,
        columns: list[str] | None = None,
        parts: list[str] | None = None,
        max_ladder: float | None = None,
    ) -> pd.DataFrame:
        """The split's rows with ``__row_id``, ``__part`` and ``__ladder`` and the asked columns.

        ``max_ladder`` keeps train rows on the ladder up to that share (dev/test untouched).
        """
        split = self.get_split(split_id)
        if split is None:
            raise StoreError("That split does not exist (any more).")
        table = self._dataset_table(split.dataset_id)
        cols = ", ".join(f"d.{qident(c)}" for c in columns) if columns else "d.*"
        sql = (
            f"SELECT a.row_id AS {ROW_ID}, a.part AS __part, a.ladder AS __ladder, {cols}"
            f" FROM split_assignments a JOIN {qident(table)} d ON d.rowid = a.row_id"
            " WHERE a.split_id = ?"
        )
        params: list[Any] = [split_id]
        if parts:
            sql += " AND a.part IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(parts))
        if max_ladder is not None:
            sql += " AND (a.part <> 'train' OR a.ladder <= ?)"
            params.append(float(max_ladder))
        return self._df(sql + " ORDER BY a.row_id", params)

    # ===== SECTION scoping (issue 3) =====

    # ===== SECTION data: column types, quality (issue 4) =====

    # ===== SECTION labels (issue 5) =====

    # ===== SECTION training and registry (issue 6) =====

    # ===== SECTION slices (issue 7) =====

    # ===== SECTION deploy (issue 8) =====

    # ===== SECTION monitor: profiles, drift, alerts (issue 9) =====

    # ----------------------------------------------------------------- audit log
    def list_audit(self, project_id: int | None = None, limit: int = 200) -> pd.DataFrame:
        sql = "SELECT logged_at, actor, action, entity, entity_id, project_id, detail FROM audit_log"
        params: list[Any] = []
        if project_id is not None:
            sql += " WHERE project_id = ?"
            params.append(project_id)
        return self._df(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])

    def is_empty(self) -> bool:
        return not self._rows("SELECT 1 FROM projects LIMIT 1")

    def is_pristine(self) -> bool:
        """Nothing was ever written: no project and no audit row (a first start)."""
        return self.is_empty() and not self._rows("SELECT 1 FROM audit_log LIMIT 1")
