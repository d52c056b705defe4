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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd


class StoreError(Exception):
    """A failure the user can act on; its message is shown as is."""


class StoreOpenError(StoreError):
    """The database file cannot be opened; the message names the file and the remedy."""


class IngestError(StoreError):
    """A file could not be loaded; ``kind`` says why (e.g. "encoding", "types", "no_rows")."""

    def __init__(self, message: str, kind: str = "other"):
        super().__init__(message)
        self.kind = kind


def _ingest_kind(exc: Exception) -> str:
    text = str(exc)
    if "Invalid unicode" in text or "not utf-8 encoded" in text:
        return "encoding"
    if "Could not convert" in text or "Error when converting" in text:
        return "types"
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        return "columns"
    if "Error when sniffing file" in text:
        return "dialect"
    if "No files found" in text or "No such file" in text or "Cannot open file" in text:
        return "missing"
    if "Parquet" in text or "parquet" in text:
        return "parquet"
    return "other"


def _ingest_message(exc: Exception, path: str | Path, encoding: str | None = None) -> str:
    """A DuckDB read error as a sentence that says what to do."""
    import re

    text = str(exc)
    line = re.search(r"on Line: (\d+)", text)
    where = f"Line {line.group(1)}" if line else "A line"
    name = Path(path).name
    kind = _ingest_kind(exc)
    if kind == "encoding":
        enc = encoding or "utf-8"
        return (f"{where} of {name} is not valid {enc}: the file is in another encoding or mixes "
                "encodings. Choose the encoding by hand (latin-1 reads any byte; 'mixed' repairs "
                "line by line) and load again.")
    if kind == "columns":
        return (f"{where} of {name} has a different number of fields than the header: the "
                "delimiter may be wrong or a quoted field is broken. Pick the delimiter by hand "
                "and check the quoting of that line.")
    if kind == "types":
        return (f"{where} of {name} holds a value that does not fit the column type guessed from "
                "the first rows. The workbench retries reading the whole file to guess types; "
                "if this persists, load every column as text.")
    if kind == "missing":
        return f"The file {path} cannot be found or read. Check the path and its permissions."
    if kind == "dialect":
        return (f"{name} cannot be read as CSV with these settings: its lines have different "
                "numbers of fields or broken quotes. Check the delimiter and the encoding.")
    if kind == "parquet":
        return (f"{name} is not a readable Parquet file ({text.splitlines()[0]}). Check that it "
                "is Parquet, or load it as CSV.")
    return f"{name} could not be loaded: {text.splitlines()[0]}"


def qident(name: str) -> str:
    '''Quote a table or column name as a SQL identifier.

    >>> print(qident('my "col"'))
    "my ""col"""
    '''
    return '"' + str(name).replace('"', '""') + '"'


def window_key(w: Any) -> Any:
    """A window start as a dict key (NULL, NaT and NaN all mean "no window")."""
    return None if w is None or pd.isna(w) else pd.Timestamp(w)


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
    (
        "0003_scoping",
        """
        CREATE TABLE scoping_briefs (
            project_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            brief VARCHAR NOT NULL,
            note VARCHAR NOT NULL DEFAULT '',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            PRIMARY KEY (project_id, version)
        );
        """,
    ),
    # MIGRATION SLOT 0004_data (issue 4: column types, quality)
    (
        "0004_data",
        """
        CREATE TABLE column_types (
            project_id BIGINT NOT NULL,
            dataset_id BIGINT NOT NULL,
            column_name VARCHAR NOT NULL,
            detected VARCHAR NOT NULL,
            rule VARCHAR NOT NULL,
            override VARCHAR,
            range_low DOUBLE,
            range_high DOUBLE,
            updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR NOT NULL,
            PRIMARY KEY (dataset_id, column_name)
        );
        CREATE TABLE quality_reports (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            dataset_id BIGINT NOT NULL,
            content_hash VARCHAR NOT NULL,
            params_key VARCHAR NOT NULL,
            report VARCHAR NOT NULL,
            seconds DOUBLE NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        """,
    ),
    # MIGRATION SLOT 0005_labels (issue 5)
    (
        "0005_labels",
        """
        CREATE TABLE label_sets (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            item_dataset_id BIGINT,
            item_id_column VARCHAR,
            ground_truth_column VARCHAR,
            feature_columns VARCHAR NOT NULL DEFAULT '[]',
            source VARCHAR NOT NULL,
            note VARCHAR NOT NULL DEFAULT '',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE label_versions (
            label_set_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            parent_version INTEGER,
            note VARCHAR NOT NULL DEFAULT '',
            n_labels BIGINT NOT NULL,
            n_items BIGINT NOT NULL,
            n_decisions BIGINT NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE labels (
            label_set_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            item_id VARCHAR NOT NULL,
            annotator VARCHAR NOT NULL,
            label VARCHAR NOT NULL,
            labeled_at TIMESTAMP
        );
        CREATE TABLE label_decisions (
            label_set_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            item_id VARCHAR NOT NULL,
            label VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            reviewer VARCHAR NOT NULL,
            decided_at TIMESTAMP NOT NULL,
            made_in_version INTEGER NOT NULL
        );
        CREATE TABLE relabel_queue (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            label_set_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            item_id VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            score DOUBLE,
            added_at TIMESTAMP NOT NULL,
            added_by VARCHAR NOT NULL
        );
        CREATE TABLE label_instructions (
            project_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            body VARCHAR NOT NULL,
            note VARCHAR NOT NULL DEFAULT '',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE label_error_runs (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            label_set_id BIGINT NOT NULL,
            labels_version INTEGER NOT NULL,
            label_source VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            n_folds INTEGER NOT NULL,
            seed BIGINT NOT NULL,
            features VARCHAR NOT NULL DEFAULT '[]',
            thresholds VARCHAR NOT NULL DEFAULT '{}',
            n_items BIGINT NOT NULL,
            n_flagged BIGINT NOT NULL,
            oof_accuracy DOUBLE,
            duration_s DOUBLE,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE label_error_scores (
            run_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            item_id VARCHAR NOT NULL,
            given_label VARCHAR NOT NULL,
            predicted_label VARCHAR NOT NULL,
            self_confidence DOUBLE NOT NULL,
            threshold DOUBLE NOT NULL,
            flagged BOOLEAN NOT NULL,
            rank INTEGER NOT NULL
        );
        """,
    ),
    # MIGRATION SLOT 0006_training (issue 6)
    (
        "0006_training",
        """
        CREATE TABLE runs (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            parent_id BIGINT,
            name VARCHAR NOT NULL,
            run_type VARCHAR NOT NULL DEFAULT 'train',
            status VARCHAR NOT NULL,
            error VARCHAR,
            model_kind VARCHAR NOT NULL,
            params VARCHAR NOT NULL DEFAULT '{}',
            preprocessing VARCHAR NOT NULL DEFAULT '{}',
            split_id BIGINT,
            dataset_id BIGINT,
            dataset_hash VARCHAR,
            split_hash VARCHAR,
            target VARCHAR,
            positive_class VARCHAR,
            task_type VARCHAR,
            features VARCHAR NOT NULL DEFAULT '[]',
            library_versions VARCHAR NOT NULL DEFAULT '{}',
            seed BIGINT,
            max_ladder DOUBLE,
            n_train BIGINT,
            duration_s DOUBLE,
            peak_mem_mb DOUBLE,
            artifact_path VARCHAR,
            artifact_sha256 VARCHAR,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE run_metrics (
            run_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            part VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            class VARCHAR,
            value DOUBLE
        );
        CREATE TABLE predictions (
            run_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            row_id BIGINT NOT NULL,
            part VARCHAR NOT NULL,
            y_true VARCHAR,
            y_pred VARCHAR,
            score DOUBLE
        );
        CREATE TABLE model_versions (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            run_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            alias VARCHAR,
            status VARCHAR NOT NULL DEFAULT 'active',
            artifact_path VARCHAR NOT NULL,
            artifact_sha256 VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            UNIQUE (project_id, version)
        );
        """,
    ),
    # MIGRATION SLOT 0007_slices (issue 7)
    (
        "0007_slices",
        """
        CREATE TABLE slice_tags (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            run_id BIGINT,
            dataset_id BIGINT NOT NULL,
            row_id BIGINT NOT NULL,
            tag VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE slice_actions (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            run_id BIGINT,
            label VARCHAR NOT NULL,
            slice VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            note VARCHAR NOT NULL DEFAULT '',
            status VARCHAR NOT NULL DEFAULT 'open',
            evidence VARCHAR NOT NULL DEFAULT '{}',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL,
            closed_at TIMESTAMP,
            closed_by VARCHAR
        );
        CREATE TABLE slice_discoveries (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            run_id BIGINT,
            part VARCHAR,
            params VARCHAR NOT NULL DEFAULT '{}',
            stats VARCHAR NOT NULL DEFAULT '{}',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE discovered_slices (
            discovery_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            rank INTEGER NOT NULL,
            label VARCHAR NOT NULL,
            level INTEGER NOT NULL,
            slice VARCHAR NOT NULL,
            size BIGINT NOT NULL,
            errors DOUBLE NOT NULL,
            error_rate DOUBLE NOT NULL,
            score DOUBLE NOT NULL
        );
        """,
    ),
    # MIGRATION SLOT 0008_deploy (issue 8)
    (
        "0008_deploy",
        """
        CREATE TABLE deploy_simulations (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            pattern VARCHAR NOT NULL,
            dataset_id BIGINT NOT NULL,
            dataset_hash VARCHAR NOT NULL,
            incumbent VARCHAR NOT NULL DEFAULT '{}',
            candidate VARCHAR NOT NULL DEFAULT '{}',
            settings VARCHAR NOT NULL DEFAULT '{}',
            summary VARCHAR NOT NULL DEFAULT '{}',
            decision VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE deploy_windows (
            simulation_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            window_idx INTEGER NOT NULL,
            window_start TIMESTAMP NOT NULL,
            window_end TIMESTAMP NOT NULL,
            step INTEGER,
            share_target DOUBLE,
            n_requests BIGINT,
            n_routed BIGINT,
            n_cand_served BIGINT,
            n_fallback BIGINT,
            n_incumbent BIGINT,
            share_served DOUBLE,
            agreement DOUBLE,
            n_labeled BIGINT,
            wrong_cand BIGINT,
            wrong_inc BIGINT,
            wrong_cand_counterfactual BIGINT,
            failed_cand BIGINT,
            failed_inc BIGINT,
            cand_p95_ms DOUBLE,
            inc_p95_ms DOUBLE,
            infer_ms DOUBLE,
            breached VARCHAR
        );
        CREATE TABLE deploy_checks (
            simulation_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            window_idx INTEGER NOT NULL,
            guardrail VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            threshold DOUBLE,
            value DOUBLE,
            bound DOUBLE,
            n BIGINT,
            status VARCHAR NOT NULL,
            point_bad BOOLEAN,
            share DOUBLE,
            step INTEGER,
            incumbent_value DOUBLE
        );
        CREATE TABLE deploy_events (
            simulation_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            "at" TIMESTAMP NOT NULL,
            window_idx INTEGER,
            kind VARCHAR NOT NULL,
            share_from DOUBLE,
            share_to DOUBLE,
            reason VARCHAR NOT NULL DEFAULT ''
        );
        """,
    ),
    # MIGRATION SLOT 0009_monitor (issue 9)
    (
        "0009_monitor",
        """
        CREATE TABLE profiles (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            dataset_id BIGINT NOT NULL,
            content_hash VARCHAR NOT NULL,
            reference_profile_id BIGINT,
            time_column VARCHAR,
            window_size VARCHAR,
            n_rows BIGINT NOT NULL,
            spec VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE profile_columns (
            profile_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            window_label VARCHAR NOT NULL,
            window_start TIMESTAMP,
            column_name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            data_type VARCHAR NOT NULL,
            n BIGINT NOT NULL,
            nulls BIGINT NOT NULL,
            sum DOUBLE,
            sumsq DOUBLE,
            min DOUBLE,
            max DOUBLE,
            below BIGINT NOT NULL,
            below_sum DOUBLE NOT NULL,
            above BIGINT NOT NULL,
            above_sum DOUBLE NOT NULL,
            bin_keys BIGINT[],
            bin_counts BIGINT[],
            categories VARCHAR[],
            category_counts BIGINT[],
            other BIGINT NOT NULL,
            note VARCHAR NOT NULL DEFAULT ''
        );
        """,
    ),
    # MIGRATION SLOT 0010_monitor_runs (monitoring page, alerts)
    (
        "0010_monitor_runs",
        """
        CREATE TABLE monitor_runs (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            reference_dataset_id BIGINT NOT NULL,
            current_dataset_id BIGINT NOT NULL,
            model_version_id BIGINT,
            time_column VARCHAR NOT NULL,
            time_window VARCHAR NOT NULL,
            settings VARCHAR NOT NULL DEFAULT '{}',
            summary VARCHAR NOT NULL DEFAULT '{}',
            source VARCHAR NOT NULL DEFAULT 'page',
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR NOT NULL
        );
        CREATE TABLE monitor_results (
            run_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            kind VARCHAR NOT NULL,
            window_start TIMESTAMP,
            column_name VARCHAR,
            metric VARCHAR NOT NULL,
            value DOUBLE,
            threshold DOUBLE,
            flagged BOOLEAN,
            note VARCHAR
        );
        CREATE TABLE alerts (
            id BIGINT PRIMARY KEY DEFAULT nextval('id_seq'),
            project_id BIGINT NOT NULL,
            run_id BIGINT NOT NULL,
            window_start TIMESTAMP,
            check_name VARCHAR NOT NULL,
            column_name VARCHAR,
            value DOUBLE,
            threshold DOUBLE,
            severity VARCHAR NOT NULL,
            policy VARCHAR NOT NULL,
            message VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'open',
            acknowledged_by VARCHAR,
            acknowledged_at TIMESTAMP,
            created_at TIMESTAMP NOT NULL
        );
        """,
    ),
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
        from core import config

        # group-bys over up to 2^17 integer keys (profile bins) use DuckDB's perfect-hash
        # aggregate, an array instead of a hash table (see profile_scan)
        self._con.execute("SET GLOBAL perfect_ht_threshold = 17")
        limit = config.get("WORKBENCH_DUCKDB_MEMORY")
        if limit:
            try:
                self._con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
            except duckdb.Error as exc:
                self._con.close()
                raise StoreOpenError(
                    f"WORKBENCH_DUCKDB_MEMORY={limit!r} is not a memory size; use e.g. '1GB'."
                ) from exc
        try:
            self.migrate()
            self.fail_interrupted_runs()
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

    def _create_dataset(
        self,
        project_id: int,
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
        if self._rows(
            "SELECT 1 FROM datasets WHERE project_id = ? AND name = ?", [project_id, name]
        ):
            raise StoreError(f"This project has a dataset named {name!r} already.")
        with self._write(
            actor, "create", "dataset", project_id=project_id,
            detail={"name": name, "source": source, **(detail or {})},
        ) as (cur, audit):
            (did,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
            table = f"ds_{did}"
            create(cur, table)
            n_rows, n_cols, digest = self._dataset_hash(cur, table)
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
        if isinstance(data, pd.DataFrame):
            # through Arrow: DuckDB's pandas scan mis-reads strided (e.g. reversed) arrays
            import pyarrow as pa

            data = pa.Table.from_pandas(data, preserve_index=False)

        def create(cur: duckdb.DuckDBPyConnection, table: str) -> None:
            cur.register("_incoming", data)
            try:
                cur.execute(f"CREATE TABLE {qident(table)} AS SELECT * FROM _incoming")
            finally:
                cur.unregister("_incoming")

        return self._create_dataset(
            project_id, name, create, source=source, role=role, actor=actor,
            parent_id=parent_id, note=note,
        )

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
    # A project brief is JSON (built and read by core.scoping); each save appends a version.
    def insert_brief_version(self, project_id: int, brief_json: str, note: str, actor: str) -> int:
        """Append a new version of a project's brief; returns its version number (1, 2, ...)."""
        if self.get_project(project_id) is None:
            raise StoreError("That project does not exist (any more).")
        with self._write(actor, "save", "brief", project_id=project_id, detail={"note": note}) as (
            cur,
            audit,
        ):
            (version,) = cur.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM scoping_briefs WHERE project_id = ?",
                [project_id],
            ).fetchall()[0]
            cur.execute(
                "INSERT INTO scoping_briefs (project_id, version, brief, note, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [project_id, version, brief_json, note, utcnow(), actor],
            )
            audit["entity_id"] = version
            audit["detail"]["version"] = version
        return int(version)

    def list_brief_versions(self, project_id: int) -> list[tuple[int, datetime, str, str]]:
        """(version, created_at, created_by, note) of every saved brief, newest first."""
        return self._rows(
            "SELECT version, created_at, created_by, note FROM scoping_briefs"
            " WHERE project_id = ? ORDER BY version DESC",
            [project_id],
        )

    def get_brief_version(
        self, project_id: int, version: int | None = None
    ) -> tuple[int, datetime, str, str, str] | None:
        """(version, created_at, created_by, note, brief_json) of one version (default latest)."""
        sql = (
            "SELECT version, created_at, created_by, note, brief FROM scoping_briefs"
            " WHERE project_id = ?"
        )
        params: list[Any] = [project_id]
        if version is not None:
            sql += " AND version = ?"
            params.append(int(version))
        rows = self._rows(sql + " ORDER BY version DESC LIMIT 1", params)
        return rows[0] if rows else None


    # ===== SECTION data: column types, quality (issue 4) =====
    # File ingest (CSV/Parquet read by DuckDB straight into the dataset table), the one-pass
    # column profile, value counts, histograms, null bands, duplicates, split leakage, the
    # stored column types (detected + the user's override) and stored quality reports.

    _CSV_OPTIONS = ("delim", "quote", "escape", "encoding", "header", "names", "sample_size",
                    "all_varchar", "null_padding", "strict_mode")

    @classmethod
    def _reader_sql(cls, path: str | Path, reader: str, options: dict[str, Any] | None
                    ) -> tuple[str, list[Any]]:
        """``read_csv(?, opt = ?, ...)`` or ``read_parquet(?)``; option names are whitelisted."""
        options = options or {}
        if reader == "parquet":
            return "read_parquet(?)", [str(path)]
        if reader != "csv":
            raise StoreError(f"Unknown file format {reader!r}; use csv or parquet.")
        keys = [k for k in cls._CSV_OPTIONS if options.get(k) is not None]
        sql = "read_csv(?" + "".join(f", {k} = ?" for k in keys) + ")"
        return sql, [str(path), *(options[k] for k in keys)]

    def sniff_csv(self, path: str | Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """DuckDB's CSV sniffer: delimiter, quote, escape, header and column names/types."""
        options = {k: v for k, v in (options or {}).items() if k in self._CSV_OPTIONS and k != "names"}
        sql, params = self._reader_sql(path, "csv", options)
        try:
            rows = self._rows(
                "SELECT Delimiter, Quote, Escape, HasHeader, Columns FROM sniff_"
                + sql.removeprefix("read_"),  # sniff_csv takes read_csv's options
                params,
            )
        except duckdb.Error as exc:
            raise IngestError(_ingest_message(exc, path, options.get("encoding")),
                              _ingest_kind(exc)) from exc
        delim, quote, escape, header, columns = rows[0]
        return {
            "delim": delim, "quote": quote, "escape": escape, "header": bool(header),
            "columns": [(c["name"], c["type"]) for c in columns],
        }

    def file_schema(self, path: str | Path, reader: str, options: dict[str, Any] | None = None
                    ) -> list[tuple[str, str]]:
        """Column names and DuckDB types of a CSV or Parquet file as it would be loaded."""
        sql, params = self._reader_sql(path, reader, options)
        try:
            rows = self._rows(f"DESCRIBE SELECT * FROM {sql}", params)
        except duckdb.Error as exc:
            raise IngestError(_ingest_message(exc, path, (options or {}).get("encoding")),
                              _ingest_kind(exc)) from exc
        return [(r[0], r[1]) for r in rows]

    def preview_file(self, path: str | Path, reader: str, options: dict[str, Any] | None = None,
                     limit: int = 20) -> pd.DataFrame:
        sql, params = self._reader_sql(path, reader, options)
        try:
            return self._df(f"SELECT * FROM {sql} LIMIT ?", [*params, int(limit)])
        except duckdb.Error as exc:
            raise IngestError(_ingest_message(exc, path, (options or {}).get("encoding")),
                              _ingest_kind(exc)) from exc

    @staticmethod
    def _execute_with_progress(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any],
                               progress: Callable[[float], None] | None) -> None:
        """Run one statement; with ``progress``, report DuckDB's own progress (0..1) meanwhile.

        The statement runs in a worker thread while this thread polls ``query_progress``, so
        the callback (e.g. a Streamlit progress bar) is called from the caller's thread.
        """
        if progress is None:
            cur.execute(sql, params)
            return
        cur.execute("SET enable_progress_bar = true")
        cur.execute("SET enable_progress_bar_print = false")
        failure: list[BaseException] = []

        def run() -> None:
            try:
                cur.execute(sql, params)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(exc)

        worker = threading.Thread(target=run, name="workbench-ingest", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.25)
                try:
                    done = cur.query_progress()
                except duckdb.Error:
                    done = -1
                if done >= 0:
                    progress(min(float(done), 100.0) / 100.0)
        except BaseException:  # e.g. the page was stopped: stop the query before rolling back
            cur.interrupt()
            worker.join()
            raise
        if failure:
            raise failure[0]

    def ingest_file(
        self,
        project_id: int,
        name: str,
        path: str | Path,
        *,
        reader: str,
        options: dict[str, Any] | None = None,
        columns: list[tuple[str, str]] | None = None,
        source: str,
        role: str,
        actor: str,
        note: str = "",
        progress: Callable[[float], None] | None = None,
    ) -> int:
        """Load a CSV or Parquet file into a new dataset with one ``CREATE TABLE AS``.

        The rows never pass through Python. ``columns`` optionally selects and renames
        (source name, new name). A file without data rows, or any read error, rolls back the
        whole transaction: no table and no catalog row remain.
        """
        sql, params = self._reader_sql(path, reader, options)
        select = (
            ", ".join(f"{qident(src)} AS {qident(dst)}" for src, dst in columns) if columns else "*"
        )

        def create(cur: duckdb.DuckDBPyConnection, table: str) -> None:
            try:
                self._execute_with_progress(
                    cur, f"CREATE TABLE {qident(table)} AS SELECT {select} FROM {sql}", params,
                    progress,
                )
            except duckdb.Error as exc:
                raise IngestError(_ingest_message(exc, path, (options or {}).get("encoding")),
                                  _ingest_kind(exc)) from exc
            if not cur.execute(f"SELECT 1 FROM {qident(table)} LIMIT 1").fetchall():
                raise IngestError(
                    "The file has a header but no data rows, so nothing was stored. "
                    "Export the data again with its rows.", "no_rows")

        return self._create_dataset(
            project_id, name, create, source=source, role=role, actor=actor, note=note,
            detail={"file": Path(path).name, "reader": reader},
        )

    @staticmethod
    def _column_kind(dtype: str) -> str:
        t = dtype.upper()
        if t.endswith("]"):
            return "list"
        if t in ("FLOAT", "DOUBLE", "REAL"):
            return "float"
        if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "UHUGEINT") or t.startswith("DECIMAL"):
            return "integer" if not t.startswith("DECIMAL") else "float"
        if t == "VARCHAR":
            return "string"
        if t == "BOOLEAN":
            return "boolean"
        if t == "DATE" or t.startswith("TIMESTAMP"):
            return "datetime"
        return "other"

    _BOOL_WORDS = ("true", "false", "yes", "no", "y", "n", "t", "f", "0", "1")

    def column_profile(
        self,
        dataset_id: int,
        ranges: dict[str, tuple[float | None, float | None]] | None = None,
        exact_distinct: bool = True,
    ) -> pd.DataFrame:
        """Per-column statistics of a dataset in one scan, one row per column.

        Columns: column, dtype, kind, n, nn (non-null), distinct, min/max (as text),
        min_num/max_num (numbers; epoch seconds for datetimes), mean, std (finite values),
        n_nan, n_posinf, n_neginf, len_min/len_max/len_avg (strings and lists), n_blank,
        n_padded, n_numeric_like, n_datetime_like, n_bool_like, words_avg, example_text,
        example_number, n_true, n_below/n_above (outside the stated ``ranges``).
        """
        table = self._dataset_table(dataset_id)
        schema = self.dataset_schema(dataset_id)
        ranges = ranges or {}
        exprs: list[str] = ["count(*) AS n"]
        params: list[Any] = []
        stats: list[list[str]] = []
        distinct = "count(DISTINCT {c})" if exact_distinct else "approx_count_distinct({c})"
        # CASE inside the aggregate and count_if: several times faster than FILTER clauses
        for i, (col, dtype) in enumerate(schema):
            c, kind = qident(col), self._column_kind(dtype)
            e: dict[str, str] = {"nn": f"count({c})", "distinct": distinct.format(c=c)}
            if kind in ("integer", "float"):
                x = f"{c}::DOUBLE"
                fx = f"CASE WHEN isfinite({x}) THEN {x} END"
                fc = f"CASE WHEN isfinite({x}) THEN {c} END"
                e.update(min_num=f"min({fx})", max_num=f"max({fx})", mean=f"avg({fx})",
                         std=f"stddev_samp({fx})", min=f"min({fc})::VARCHAR",
                         max=f"max({fc})::VARCHAR")
                if kind == "float":
                    e.update(n_nan=f"count_if(isnan({x}))",
                             n_posinf=f"count_if({x} = 'inf'::DOUBLE)",
                             n_neginf=f"count_if({x} = '-inf'::DOUBLE)")
                low, high = ranges.get(col, (None, None))
                if low is not None:
                    e["n_below"] = f"count_if({x} < ?::DOUBLE)"
                    params.append(float(low))
                if high is not None:
                    e["n_above"] = f"count_if({x} > ?::DOUBLE)"
                    params.append(float(high))
            elif kind == "string":
                num = f"TRY_CAST({c} AS DOUBLE)"
                words = ", ".join("'" + w + "'" for w in self._BOOL_WORDS)
                e.update(
                    min=f"min({c})", max=f"max({c})",
                    len_min=f"min(length({c}))", len_max=f"max(length({c}))",
                    len_avg=f"avg(length({c}))",
                    n_blank=f"count_if(trim({c}) = '')",
                    n_padded=f"count_if({c} <> trim({c}))",
                    n_numeric_like=f"count({num})",
                    n_datetime_like=f"count(TRY_CAST({c} AS TIMESTAMP))",
                    n_bool_like=f"count_if(lower(trim({c})) IN ({words}))",
                    words_avg=f"avg(length(trim({c})) - length(replace(trim({c}), ' ', '')) + 1)",
                    example_text=f"any_value(CASE WHEN {num} IS NULL AND trim({c}) <> '' THEN {c} END)",
                    example_number=f"any_value(CASE WHEN {num} IS NOT NULL THEN {c} END)",
                )
            elif kind == "boolean":
                e.update(n_true=f"count_if({c})", min=f"min({c})::VARCHAR",
                         max=f"max({c})::VARCHAR")
            elif kind == "datetime":
                e.update(min=f"min({c})::VARCHAR", max=f"max({c})::VARCHAR",
                         min_num=f"epoch(min({c})::TIMESTAMP)",
                         max_num=f"epoch(max({c})::TIMESTAMP)")
            elif kind == "list":
                e.update(len_min=f"min(len({c}))", len_max=f"max(len({c}))",
                         len_avg=f"avg(len({c}))")
            names = []
            for stat, expr in e.items():
                exprs.append(f"{expr} AS s{i}_{stat}")
                names.append(stat)
            stats.append(names)
        with self._cursor() as cur:
            res = cur.execute(f"SELECT {', '.join(exprs)} FROM {qident(table)}", params)
            values = dict(zip([d[0] for d in res.description], res.fetchall()[0], strict=True))
        rows = []
        for i, (col, dtype) in enumerate(schema):
            row: dict[str, Any] = {"column": col, "dtype": dtype, "kind": self._column_kind(dtype),
                                   "n": int(values["n"]), "distinct_exact": exact_distinct}
            for stat in stats[i]:
                row[stat] = values[f"s{i}_{stat}"]
            rows.append(row)
        return pd.DataFrame(rows)

    def value_counts(self, dataset_id: int, columns: list[str], top: int = 1000) -> pd.DataFrame:
        """The ``top`` most frequent non-null values of each column: column, value (text), n."""
        table = self._dataset_table(dataset_id)
        if not columns:
            return pd.DataFrame({"column": [], "value": [], "n": []})
        parts = [
            f"(SELECT {i} AS col, {qident(c)}::VARCHAR AS value, count(*) AS n"
            f" FROM {qident(table)} WHERE {qident(c)} IS NOT NULL GROUP BY {qident(c)}"
            f" ORDER BY n DESC, value LIMIT {int(top)})"
            for i, c in enumerate(columns)
        ]
        df = self._df(" UNION ALL ".join(parts))
        df["column"] = [columns[i] for i in df["col"]]
        return df[["column", "value", "n"]].sort_values(
            ["column", "n", "value"], ascending=[True, False, True], ignore_index=True)

    def histograms(
        self, dataset_id: int, specs: list[tuple[str, float, float, int, bool]]
    ) -> dict[str, list[int]]:
        """Counts per equal-width bin, all columns in one scan.

        ``specs``: (column, low, width, bins, is_datetime); datetimes are binned on epoch
        seconds, non-finite values are left out.
        """
        if not specs:
            return {}
        table = self._dataset_table(dataset_id)
        exprs, params = [], []
        for i, (col, low, width, bins, is_dt) in enumerate(specs):
            x = f"epoch({qident(col)}::TIMESTAMP)" if is_dt else f"{qident(col)}::DOUBLE"
            exprs.append(
                f"histogram(CASE WHEN isfinite({x}) THEN least(greatest("
                f"floor(({x} - ?::DOUBLE) / ?::DOUBLE)::BIGINT, 0), ?::BIGINT) END) AS h{i}"
            )
            params += [float(low), float(width), int(bins) - 1]
        (row,) = self._rows(f"SELECT {', '.join(exprs)} FROM {qident(table)}", params)
        out = {}
        for (col, _, _, bins, _), hist in zip(specs, row, strict=True):
            counts = [0] * int(bins)
            for b, n in (hist or {}).items():
                if b is not None:
                    counts[int(b)] = int(n)
            out[col] = counts
        return out

    def null_bands(self, dataset_id: int, bands: int = 40) -> pd.DataFrame:
        """Nulls per column in consecutive row bands (for the null heatmap), long form.

        Columns: band, first_row, last_row, rows, column, nulls.
        """
        table = self._dataset_table(dataset_id)
        schema = self.dataset_schema(dataset_id)
        ds = self.get_dataset(dataset_id)
        n = max(int(ds.n_rows), 1)
        bands = max(1, min(int(bands), n))
        exprs = [f"count(*) - count({qident(c)}) AS n{i}" for i, (c, _) in enumerate(schema)]
        wide = self._df(
            f"SELECT (rowid * ? // ?)::BIGINT AS band, min(rowid) AS first_row,"
            f" max(rowid) AS last_row, count(*) AS rows, {', '.join(exprs)}"
            f" FROM {qident(table)} GROUP BY 1 ORDER BY 1",
            [bands, n],
        )
        long = wide.melt(id_vars=["band", "first_row", "last_row", "rows"], var_name="col",
                         value_name="nulls")
        long["column"] = [schema[int(c[1:])][0] for c in long["col"]]
        return long.drop(columns="col")

    def duplicate_summary(
        self,
        dataset_id: int,
        key_columns: list[str],
        decimals: int = 2,
        examples: int = 5,
    ) -> dict[str, Any]:
        """Exact and near-duplicate rows, set-based.

        Exact duplicates compare ``key_columns`` (e.g. all but identifiers); near duplicates
        compare them after normalising text (case, surrounding and repeated whitespace) and
        rounding numbers to ``decimals``. Returns counts of distinct rows and example groups
        of row ids.
        """
        table = qident(self._dataset_table(dataset_id))
        kinds = dict(self.dataset_schema(dataset_id))
        if not key_columns:
            return {"n": self.get_dataset(dataset_id).n_rows, "distinct_all": None,
                    "distinct_key": None, "distinct_norm": None, "exact_groups": [],
                    "near_groups": []}
        norm = []
        for col in key_columns:
            c, kind = qident(col), self._column_kind(kinds[col])
            if kind == "string":
                norm.append(f"lower(regexp_replace(trim({c}), '\\s+', ' ', 'g'))")
            elif kind == "float":
                norm.append(f"round({c}::DOUBLE, {int(decimals)})")
            else:
                norm.append(c)
        key = f"hash({', '.join(qident(c) for c in key_columns)})"
        nkey = f"hash({', '.join(norm)})"
        with self._cursor() as cur:
            n, d_all, d_key, d_norm = cur.execute(
                f"SELECT count(*), count(DISTINCT hash(t)), count(DISTINCT {key}),"
                f" count(DISTINCT {nkey}) FROM {table} t"
            ).fetchall()[0]
            exact = near = []
            if d_key < n:
                exact = cur.execute(
                    f"SELECT list(rowid ORDER BY rowid)[1:5], count(*) AS k FROM {table}"
                    f" GROUP BY {key} HAVING count(*) > 1 ORDER BY k DESC, min(rowid) LIMIT ?",
                    [examples],
                ).fetchall()
            if d_norm < d_key:
                near = cur.execute(
                    f"SELECT list(rowid ORDER BY rowid)[1:5], count(*) AS k FROM {table}"
                    f" GROUP BY {nkey} HAVING count(DISTINCT {key}) > 1"
                    f" ORDER BY k DESC, min(rowid) LIMIT ?",
                    [examples],
                ).fetchall()
        return {
            "n": int(n), "distinct_all": int(d_all), "distinct_key": int(d_key),
            "distinct_norm": int(d_norm),
            "exact_groups": [[int(r) for r in ids] for ids, _ in exact],
            "near_groups": [[int(r) for r in ids] for ids, _ in near],
        }

    def rows_by_id(self, dataset_id: int, row_ids: list[int]) -> pd.DataFrame:
        """Given rows with their ``__row_id`` (e.g. a duplicate group, for display)."""
        table = self._dataset_table(dataset_id)
        return self._df(
            f"SELECT rowid AS {ROW_ID}, * FROM {qident(table)}"
            " WHERE rowid IN (SELECT unnest(?::BIGINT[])) ORDER BY rowid",
            [[int(r) for r in row_ids]],
        )

    def split_leakage(self, split_id: int, columns: list[str]) -> dict[str, int]:
        """Dev/test rows whose values in ``columns`` equal some train row's: {part: rows}."""
        split = self.get_split(split_id)
        if split is None:
            raise StoreError("That split does not exist (any more).")
        if not columns:
            return {}
        table = qident(self._dataset_table(split.dataset_id))
        key = f"hash({', '.join(qident(c) for c in columns)})"
        rows = self._rows(
            f"WITH a AS (SELECT s.part, {key} AS k FROM split_assignments s"
            f" JOIN {table} d ON d.rowid = s.row_id WHERE s.split_id = ?),"
            " tr AS (SELECT DISTINCT k FROM a WHERE part = 'train')"
            " SELECT part, count(*) FROM a WHERE part <> 'train' AND k IN (SELECT k FROM tr)"
            " GROUP BY part ORDER BY part",
            [split_id],
        )
        return {p: int(n) for p, n in rows}

    # column types: detected by core.datasets, overridden by the user, keyed by dataset+column
    def save_detected_types(
        self, dataset_id: int, detected: list[tuple[str, str, str]], actor: str
    ) -> None:
        """Store (column, type, rule) as detected; a user's override and range are kept."""
        ds = self.get_dataset(dataset_id)
        if ds is None:
            raise StoreError("That dataset does not exist (any more).")
        with self._write(actor, "detect", "column_types", dataset_id, ds.project_id,
                         {"dataset": ds.name, "columns": len(detected)}) as (cur, _):
            for col, kind, rule in detected:
                cur.execute(
                    "INSERT INTO column_types (project_id, dataset_id, column_name, detected, rule,"
                    " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (dataset_id, column_name) DO UPDATE SET"
                    " detected = excluded.detected, rule = excluded.rule",
                    [ds.project_id, dataset_id, col, kind, rule, utcnow(), actor],
                )

    def set_column_settings(self, dataset_id: int, changes: list[dict[str, Any]], actor: str
                            ) -> None:
        """Store the user's type override and stated range per column (None clears them).

        Each change: column, override, range_low, range_high. The column must have been
        detected first (``save_detected_types``).
        """
        ds = self.get_dataset(dataset_id)
        if ds is None:
            raise StoreError("That dataset does not exist (any more).")
        known = set(self.list_column_types(dataset_id)["column_name"])
        unknown = [c["column"] for c in changes if c["column"] not in known]
        if unknown:
            raise StoreError(f"Unknown column(s) {', '.join(map(repr, unknown))} in {ds.name}.")
        with self._write(actor, "update", "column_types", dataset_id, ds.project_id,
                         {"dataset": ds.name, "changes": changes}) as (cur, _):
            for c in changes:
                cur.execute(
                    "UPDATE column_types SET override = ?, range_low = ?, range_high = ?,"
                    " updated_at = ?, updated_by = ? WHERE dataset_id = ? AND column_name = ?",
                    [c.get("override"), c.get("range_low"), c.get("range_high"), utcnow(), actor,
                     dataset_id, c["column"]],
                )

    def list_column_types(self, dataset_id: int) -> pd.DataFrame:
        """column_name, detected, rule, override, range_low, range_high, updated_at/by."""
        return self._df(
            "SELECT ct.column_name, ct.detected, ct.rule, ct.override, ct.range_low,"
            " ct.range_high, ct.updated_at, ct.updated_by FROM column_types ct"
            " JOIN duckdb_columns() dc ON dc.table_name = ? AND dc.column_name = ct.column_name"
            " WHERE ct.dataset_id = ? ORDER BY dc.column_index",
            [self._dataset_table(dataset_id), dataset_id],
        )

    # quality reports: append-only, read back by the dataset's content hash and parameters
    def insert_quality_report(
        self, dataset_id: int, params_key: str, report: str, seconds: float, actor: str
    ) -> int:
        ds = self.get_dataset(dataset_id)
        if ds is None:
            raise StoreError("That dataset does not exist (any more).")
        with self._write(actor, "create", "quality_report", project_id=ds.project_id,
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

    def get_quality_report(self, dataset_id: int, params_key: str | None = None
                           ) -> dict[str, Any] | None:
        """The newest stored report for the dataset's current content (and ``params_key``)."""
        ds = self.get_dataset(dataset_id)
        if ds is None:
            return None
        sql = ("SELECT id, params_key, report, seconds, created_at, created_by FROM quality_reports"
               " WHERE dataset_id = ? AND content_hash = ?")
        params: list[Any] = [dataset_id, ds.content_hash]
        if params_key is not None:
            sql += " AND params_key = ?"
            params.append(params_key)
        rows = self._rows(sql + " ORDER BY id DESC LIMIT 1", params)
        if not rows:
            return None
        rid, key, report, seconds, created_at, created_by = rows[0]
        return {"id": rid, "params_key": key, "report": report, "seconds": seconds,
                "created_at": created_at, "created_by": created_by}

    def count_quality_reports(self, project_id: int) -> int:
        return int(self._rows(
            "SELECT count(DISTINCT dataset_id) FROM quality_reports WHERE project_id = ?",
            [project_id])[0][0])

    def derive_dataset(
        self,
        dataset_id: int,
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
        parent = self.get_dataset(dataset_id)
        if parent is None:
            raise StoreError("That dataset does not exist (any more).")
        schema = dict(self.dataset_schema(dataset_id))
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

        return self._create_dataset(
            parent.project_id, name, create, source=f"derived from {parent.name}",
            role=parent.role, actor=actor, parent_id=dataset_id, note=note,
            detail={"parent": parent.name, "replaced": {k: len(v) for k, v in replace.items()}},
            after=inherit,
        )

    # --- splits and balance (issue 4b)
    def balance_counts(
        self, dataset_id: int, column: str, limit: int | None = None
    ) -> list[tuple[Any, int]]:
        """``(value, rows)`` of one column, most frequent first (NULL is a value here)."""
        table = self._dataset_table(dataset_id)
        sql = (
            f"SELECT {qident(column)} AS v, count(*) AS n FROM {qident(table)}"
            " GROUP BY ALL ORDER BY n DESC, v NULLS LAST"
        )
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [(v, int(n)) for v, n in self._rows(sql, params)]

    def balance_by_annotator(
        self, dataset_id: int, item: str, annotator: str, label: str
    ) -> pd.DataFrame:
        """Per annotator and label: labels given (``n``) and the annotator's items (``n_items``)."""
        table = self._dataset_table(dataset_id)
        a, lab, it = qident(annotator), qident(label), qident(item)
        return self._df(
            f"SELECT {a} AS annotator, {lab} AS label, count(*) AS n,"
            f" any_value(n_items) AS n_items"
            f" FROM {qident(table)} JOIN (SELECT {a} AS _a, count(DISTINCT {it}) AS n_items"
            f" FROM {qident(table)} GROUP BY ALL) ON _a IS NOT DISTINCT FROM {a}"
            " GROUP BY ALL ORDER BY 1, 2"
        )

    def split_input_frame(self, dataset_id: int, columns: list[str]) -> pd.DataFrame:
        """``__row_id`` and the given columns, in row-id order (a split's deterministic input)."""
        table = self._dataset_table(dataset_id)
        cols = "".join(f", {qident(c)}" for c in columns)
        return self._df(f"SELECT rowid AS {ROW_ID}{cols} FROM {qident(table)} ORDER BY rowid")

    def split_distinct_counts(self, dataset_id: int, columns: list[str]) -> dict[str, int]:
        """Approximate distinct values per column, in one scan."""
        if not columns:
            return {}
        table = self._dataset_table(dataset_id)
        exprs = ", ".join(f"approx_count_distinct({qident(c)})" for c in columns)
        row = self._rows(f"SELECT {exprs} FROM {qident(table)}")[0]
        return {c: int(n or 0) for c, n in zip(columns, row, strict=True)}

    def split_time_quantiles(self, dataset_id: int, column: str, probs: list[float]) -> list:
        """Quantiles (actual values) of a date/time column, e.g. to propose split cutoffs."""
        table = self._dataset_table(dataset_id)
        (qs,) = self._rows(
            f"SELECT quantile_disc({qident(column)}, ?::DOUBLE[]) FROM {qident(table)}",
            [list(probs)],
        )[0]
        return list(qs or [])

    def split_column_quantiles(
        self, dataset_id: int, column: str, probs: list[float]
    ) -> tuple[int, list[float | None]]:
        """Approximate distinct count and exact quantiles of a numeric column (finite values)."""
        table = self._dataset_table(dataset_id)
        c = qident(column)
        n, qs = self._rows(
            f"SELECT approx_count_distinct({c}), quantile_cont({c}::DOUBLE, ?::DOUBLE[])"
            f" FILTER (WHERE isfinite({c}::DOUBLE)) FROM {qident(table)}",
            [list(probs)],
        )[0]
        return int(n or 0), list(qs or [])

    def split_value_counts(
        self,
        split_id: int,
        column: str,
        edges: list[float] | None = None,
        by_month: bool = False,
    ) -> pd.DataFrame:
        """Rows per part and value of a column of the split's dataset (``part``, ``value``, ``n``).

        With ``edges`` the value is the bin index (``x < edges[0]`` is 0, NULL and NaN stay
        NULL); with ``by_month`` a date/time column counts per 'YYYY-MM'.
        """
        split = self.get_split(split_id)
        if split is None:
            raise StoreError("That split does not exist (any more).")
        table = self._dataset_table(split.dataset_id)
        x = f"d.{qident(column)}"
        params: list[Any] = []
        if edges is not None:
            whens = " ".join(f"WHEN {x} < ? THEN {i}" for i in range(len(edges)))
            value = (
                f"CASE WHEN {x} IS NULL OR isnan({x}::DOUBLE) THEN NULL {whens}"
                f" ELSE {len(edges)} END"
            )
            params += [float(e) for e in edges]
        elif by_month:
            value = f"strftime(date_trunc('month', {x}), '%Y-%m')"
        else:
            value = x
        return self._df(
            f"SELECT a.part AS part, {value} AS value, count(*) AS n"
            f" FROM split_assignments a JOIN {qident(table)} d ON d.rowid = a.row_id"
            " WHERE a.split_id = ? GROUP BY ALL ORDER BY 1, 2",
            [*params, split_id],
        )

    # ===== SECTION labels (issue 5) =====
    _LABEL_SET_COLS = (
        "id, project_id, name, item_dataset_id, item_id_column, ground_truth_column,"
        " feature_columns, source, note, created_at, created_by"
    )

    def _label_set_dict(self, row: tuple) -> dict[str, Any]:
        d = dict(zip([c.strip() for c in self._LABEL_SET_COLS.split(",")], row, strict=True))
        d["feature_columns"] = json.loads(d["feature_columns"])
        return d

    @staticmethod
    def _register_frame(cur: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa  # DuckDB's pandas scan mis-reads strided arrays; Arrow does not

        cur.register(name, pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False))

    def _insert_label_version(
        self, cur: duckdb.DuckDBPyConnection, set_id: int, project_id: int, version: int,
        parent: int | None, note: str, actor: str,
    ) -> None:
        (n_labels, n_items), (n_dec,) = (
            cur.execute(
                "SELECT count(*), count(DISTINCT item_id) FROM labels"
                " WHERE label_set_id = ? AND version = ?", [set_id, version],
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
        self,
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
        name = name.strip()
        if not name:
            raise StoreError("A labels set needs a name.")
        if self._rows(
            "SELECT 1 FROM label_sets WHERE project_id = ? AND name = ?", [project_id, name]
        ):
            raise StoreError(f"This project has a labels set named {name!r} already.")
        frame = labels[["item_id", "annotator", "label", "labeled_at"]]
        with self._lock, self._write(
            actor, "create", "label_set", project_id=project_id,
            detail={"name": name, "source": source, "labels": len(frame)},
        ) as (cur, audit):
            (sid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
            cur.execute(
                f"INSERT INTO label_sets ({self._LABEL_SET_COLS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, project_id, name, item_dataset_id, item_id_column, ground_truth_column,
                 json.dumps(list(feature_columns or [])), source, note, utcnow(), actor],
            )
            self._register_frame(cur, "_labels", frame)
            try:
                cur.execute(
                    "INSERT INTO labels SELECT ?, ?, 1, item_id::VARCHAR, annotator::VARCHAR,"
                    " label::VARCHAR, labeled_at::TIMESTAMP FROM _labels",
                    [sid, project_id],
                )
            finally:
                cur.unregister("_labels")
            self._insert_label_version(cur, sid, project_id, 1, None, f"imported from {source}", actor)
            audit["entity_id"] = sid
        return int(sid)

    def list_label_sets(self, project_id: int) -> list[dict[str, Any]]:
        rows = self._rows(
            f"SELECT {self._LABEL_SET_COLS} FROM label_sets WHERE project_id = ?"
            " ORDER BY created_at, id",
            [project_id],
        )
        return [self._label_set_dict(r) for r in rows]

    def get_label_set(self, label_set_id: int) -> dict[str, Any] | None:
        rows = self._rows(
            f"SELECT {self._LABEL_SET_COLS} FROM label_sets WHERE id = ?", [label_set_id]
        )
        return self._label_set_dict(rows[0]) if rows else None

    def latest_label_version(self, label_set_id: int) -> int:
        """The newest version of a labels set (0 when the set does not exist)."""
        return int(
            self._rows(
                "SELECT coalesce(max(version), 0) FROM label_versions WHERE label_set_id = ?",
                [label_set_id],
            )[0][0]
        )

    def list_label_versions(self, label_set_id: int) -> pd.DataFrame:
        return self._df(
            "SELECT version, parent_version, note, n_labels, n_items, n_decisions, created_at,"
            " created_by FROM label_versions WHERE label_set_id = ? ORDER BY version DESC",
            [label_set_id],
        )

    def label_frame(self, label_set_id: int, version: int | None = None) -> pd.DataFrame:
        """Long-form labels of one version (the latest by default)."""
        version = version or self.latest_label_version(label_set_id)
        return self._df(
            "SELECT item_id, annotator, label, labeled_at FROM labels"
            " WHERE label_set_id = ? AND version = ? ORDER BY item_id, annotator",
            [label_set_id, version],
        )

    def label_decisions(self, label_set_id: int, version: int | None = None) -> pd.DataFrame:
        """Reviewers' consensus decisions in force in one version (the latest by default)."""
        version = version or self.latest_label_version(label_set_id)
        return self._df(
            "SELECT item_id, label, reason, reviewer, decided_at, made_in_version"
            " FROM label_decisions WHERE label_set_id = ? AND version = ?"
            " ORDER BY decided_at, item_id",
            [label_set_id, version],
        )

    def insert_label_decision(
        self, label_set_id: int, item_id: str, label: str, reason: str, actor: str
    ) -> int:
        """Record a reviewer's consensus label as a new version; the previous one is kept."""
        ls = self.get_label_set(label_set_id)
        if ls is None:
            raise StoreError("That labels set does not exist (any more).")
        pid = ls["project_id"]
        with self._lock, self._write(
            actor, "decide", "label", label_set_id, pid,
            {"item_id": item_id, "label": label, "reason": reason},
        ) as (cur, audit):
            (old,) = cur.execute(
                "SELECT coalesce(max(version), 0) FROM label_versions WHERE label_set_id = ?",
                [label_set_id],
            ).fetchall()[0]
            new = int(old) + 1
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
            self._insert_label_version(
                cur, label_set_id, pid, new, int(old), f"consensus {item_id} = {label}", actor
            )
            audit["detail"]["version"] = new
        return new

    def insert_relabel_items(
        self, label_set_id: int, items: pd.DataFrame, *, source: str, actor: str
    ) -> int:
        """Add items (``item_id``, ``score``) to a labels set's relabel queue."""
        ls = self.get_label_set(label_set_id)
        if ls is None:
            raise StoreError("That labels set does not exist (any more).")
        frame = items[["item_id", "score"]]
        with self._write(
            actor, "queue", "label", label_set_id, ls["project_id"],
            {"items": len(frame), "source": source},
        ) as (cur, _):
            self._register_frame(cur, "_queue", frame)
            try:
                cur.execute(
                    "INSERT INTO relabel_queue (label_set_id, project_id, item_id, source, score,"
                    " added_at, added_by) SELECT ?, ?, item_id::VARCHAR, ?, score::DOUBLE, ?, ?"
                    " FROM _queue",
                    [label_set_id, ls["project_id"], source, utcnow(), actor],
                )
            finally:
                cur.unregister("_queue")
        return len(frame)

    def list_relabel_items(self, label_set_id: int) -> pd.DataFrame:
        return self._df(
            "SELECT id, item_id, source, score, added_at, added_by FROM relabel_queue"
            " WHERE label_set_id = ? ORDER BY added_at, id",
            [label_set_id],
        )

    def item_rows(self, dataset_id: int, id_column: str, item_ids: list[str]) -> pd.DataFrame:
        """The item dataset's rows whose id (compared as text) is among ``item_ids``."""
        table = self._dataset_table(dataset_id)
        return self._df(
            f"SELECT * FROM {qident(table)} WHERE CAST({qident(id_column)} AS VARCHAR)"
            " IN (SELECT unnest(?::VARCHAR[]))",
            [[str(i) for i in item_ids]],
        )

    def unknown_items(self, dataset_id: int, id_column: str, item_ids: list[str]) -> list[str]:
        """Ids of ``item_ids`` that the item dataset does not hold (set-based anti-join)."""
        table = self._dataset_table(dataset_id)
        rows = self._rows(
            f"SELECT i FROM (SELECT DISTINCT unnest(?::VARCHAR[]) AS i) q WHERE NOT EXISTS"
            f" (SELECT 1 FROM {qident(table)} d WHERE CAST(d.{qident(id_column)} AS VARCHAR) = q.i)"
            " ORDER BY i",
            [[str(i) for i in item_ids]],
        )
        return [r[0] for r in rows]

    def insert_label_instructions(self, project_id: int, body: str, note: str, actor: str) -> int:
        """A new version of the project's labeling instructions (Markdown); returns it."""
        with self._lock, self._write(
            actor, "create", "label_instructions", project_id=project_id, detail={"note": note}
        ) as (cur, audit):
            (old,) = cur.execute(
                "SELECT coalesce(max(version), 0) FROM label_instructions WHERE project_id = ?",
                [project_id],
            ).fetchall()[0]
            version = int(old) + 1
            cur.execute(
                "INSERT INTO label_instructions VALUES (?, ?, ?, ?, ?, ?)",
                [project_id, version, body, note, utcnow(), actor],
            )
            audit["detail"]["version"] = version
        return version

    def list_label_instructions(self, project_id: int) -> pd.DataFrame:
        return self._df(
            "SELECT version, body, note, created_at, created_by FROM label_instructions"
            " WHERE project_id = ? ORDER BY version DESC",
            [project_id],
        )

    def insert_label_error_run(
        self, project_id: int, label_set_id: int, meta: dict[str, Any], scores: pd.DataFrame,
        actor: str,
    ) -> int:
        """Store one label-error detection (its settings and every item's score)."""
        frame = scores[["item_id", "given_label", "predicted_label", "self_confidence",
                        "threshold", "flagged", "rank"]]
        with self._write(
            actor, "create", "label_error_run", project_id=project_id,
            detail={"label_set_id": label_set_id, "model": meta["model"]},
        ) as (cur, audit):
            (rid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
            cur.execute(
                "INSERT INTO label_error_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [rid, project_id, label_set_id, meta["labels_version"], meta["label_source"],
                 meta["model"], meta["n_folds"], meta["seed"], json.dumps(meta["features"]),
                 json.dumps(meta["thresholds"]), len(frame), int(frame["flagged"].sum()),
                 meta.get("oof_accuracy"), meta.get("duration_s"), utcnow(), actor],
            )
            self._register_frame(cur, "_scores", frame)
            try:
                cur.execute(
                    "INSERT INTO label_error_scores SELECT ?, ?, item_id::VARCHAR,"
                    " given_label::VARCHAR, predicted_label::VARCHAR, self_confidence::DOUBLE,"
                    " threshold::DOUBLE, flagged::BOOLEAN, rank::INTEGER FROM _scores",
                    [rid, project_id],
                )
            finally:
                cur.unregister("_scores")
            audit["entity_id"] = rid
        return int(rid)

    def list_label_error_runs(self, project_id: int, label_set_id: int | None = None) -> pd.DataFrame:
        sql = (
            "SELECT id, label_set_id, labels_version, label_source, model, n_folds, seed, features,"
            " thresholds, n_items, n_flagged, oof_accuracy, duration_s, created_at, created_by"
            " FROM label_error_runs WHERE project_id = ?"
        )
        params: list[Any] = [project_id]
        if label_set_id is not None:
            sql += " AND label_set_id = ?"
            params.append(label_set_id)
        return self._df(sql + " ORDER BY created_at DESC, id DESC", params)

    def label_error_scores(self, run_id: int) -> pd.DataFrame:
        return self._df(
            "SELECT item_id, given_label, predicted_label, self_confidence, threshold, flagged,"
            " rank FROM label_error_scores WHERE run_id = ? ORDER BY rank",
            [run_id],
        )

    # ===== SECTION training and registry (issue 6) =====
    # Runs are written twice: once as 'running' when training starts, then once as 'done'
    # (with metrics, per-row predictions and the artifact) or 'failed' (with the error).
    _RUN_JSON = ("params", "preprocessing", "features", "library_versions")
    _RUN_COLS = (
        "id, project_id, parent_id, name, run_type, status, error, model_kind, params,"
        " preprocessing, split_id, dataset_id, dataset_hash, split_hash, target,"
        " positive_class, task_type, features, library_versions, seed, max_ladder, n_train,"
        " duration_s, peak_mem_mb, artifact_path, artifact_sha256, created_at, created_by"
    )

    def _run_dicts(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        names = [c.strip() for c in self._RUN_COLS.split(",")]
        out = []
        for r in self._rows(sql, params):
            d = dict(zip(names, r, strict=True))
            for key in self._RUN_JSON:
                d[key] = json.loads(d[key]) if d[key] else ({} if key != "features" else [])
            out.append(d)
        return out

    def fail_interrupted_runs(self, actor: str = "workbench") -> int:
        """Mark runs still 'running' as failed: only this process may open the file, so a
        run left 'running' when it opens belongs to a process that stopped mid-training."""
        rows = self._rows("SELECT id, project_id FROM runs WHERE status = 'running'")
        for run_id, project_id in rows:
            with self._write(actor, "interrupt", "run", run_id, project_id) as (cur, _):
                cur.execute(
                    "UPDATE runs SET status = 'failed', error = ? WHERE id = ?",
                    ["Interrupted: the workbench stopped before this run finished.", run_id],
                )
        return len(rows)

    def insert_run(self, project_id: int, actor: str, **fields: Any) -> int:
        """Record a run as 'running'; ``fields`` are columns of ``runs`` (JSON ones as objects)."""
        allowed = {c.strip() for c in self._RUN_COLS.split(",")} - {
            "id", "project_id", "status", "created_at", "created_by"
        }
        unknown = set(fields) - allowed
        if unknown:
            raise StoreError(f"Unknown run fields: {sorted(unknown)}")
        values = {
            k: (json.dumps(v, default=str) if k in self._RUN_JSON else v) for k, v in fields.items()
        }
        cols = ["project_id", "status", "created_at", "created_by", *values]
        row = [project_id, "running", utcnow(), actor, *values.values()]
        with self._write(
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

    def finish_run(
        self,
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
        run = self.get_run(run_id)
        if run is None:
            raise StoreError("That run does not exist (any more).")
        sets = {k: (json.dumps(v, default=str) if k in self._RUN_JSON else v) for k, v in updates.items()}
        sets["status"] = "done"
        with self._write(
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

    def fail_run(self, run_id: int, actor: str, error: str, updates: dict[str, Any]) -> None:
        """Mark a run failed with its error; nothing else is written."""
        run = self.get_run(run_id)
        if run is None:
            raise StoreError("That run does not exist (any more).")
        sets = {k: (json.dumps(v, default=str) if k in self._RUN_JSON else v) for k, v in updates.items()}
        sets.update(status="failed", error=error)
        with self._write(
            actor, "fail", "run", run_id, run["project_id"], {"name": run["name"], "error": error[:500]}
        ) as (cur, _):
            cur.execute(
                f"UPDATE runs SET {', '.join(f'{qident(k)} = ?' for k in sets)} WHERE id = ?",
                [*sets.values(), run_id],
            )

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        rows = self._run_dicts(f"SELECT {self._RUN_COLS} FROM runs WHERE id = ?", [run_id])
        return rows[0] if rows else None

    def list_runs(
        self,
        project_id: int,
        *,
        parent_id: int | None = None,
        top_level: bool = False,
        status: str | None = None,
        split_id: int | None = None,
        model_kind: str | None = None,
    ) -> list[dict[str, Any]]:
        """Runs of a project, newest first; filters combine with AND."""
        sql = f"SELECT {self._RUN_COLS} FROM runs WHERE project_id = ?"
        params: list[Any] = [project_id]
        for col, value in (("parent_id", parent_id), ("status", status), ("split_id", split_id),
                           ("model_kind", model_kind)):
            if value is not None:
                sql += f" AND {qident(col)} = ?"
                params.append(value)
        if top_level:
            sql += " AND parent_id IS NULL"
        return self._run_dicts(sql + " ORDER BY created_at DESC, id DESC", params)

    def run_metrics(self, run_ids: list[int], part: str | None = None) -> pd.DataFrame:
        """Long table run_id, part, metric, class, value of the given runs."""
        sql = (
            "SELECT run_id, part, metric, class, value FROM run_metrics"
            " WHERE run_id IN (SELECT unnest(?::BIGINT[]))"
        )
        params: list[Any] = [[int(r) for r in run_ids]]
        if part is not None:
            sql += " AND part = ?"
            params.append(part)
        return self._df(sql + " ORDER BY run_id, part, metric, class NULLS FIRST", params)

    def run_predictions(self, run_id: int, parts: list[str] | None = None) -> pd.DataFrame:
        """Stored per-row predictions: row_id, part, y_true, y_pred, score."""
        sql = "SELECT row_id, part, y_true, y_pred, score FROM predictions WHERE run_id = ?"
        params: list[Any] = [run_id]
        if parts:
            sql += " AND part IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(parts))
        return self._df(sql + " ORDER BY part, row_id", params)

    def prediction_confusion(self, run_id: int, part: str) -> pd.DataFrame:
        """Counts per (y_true, y_pred) pair of a run's part: the confusion matrix, long form."""
        return self._df(
            "SELECT y_true, y_pred, count(*) AS n FROM predictions WHERE run_id = ? AND part = ?"
            " GROUP BY ALL ORDER BY y_true, y_pred",
            [run_id, part],
        )

    def prediction_calibration(
        self, run_id: int, part: str, positive_class: str, bins: int = 10
    ) -> pd.DataFrame:
        """Reliability table: per equal-width score bin its count, mean score, positive share."""
        return self._df(
            "SELECT least(floor(score * ?)::INTEGER, ? - 1) AS bin, count(*) AS n,"
            " avg(score) AS mean_score, avg((y_true = ?)::INTEGER) AS frac_positive"
            " FROM predictions WHERE run_id = ? AND part = ? AND score IS NOT NULL"
            " GROUP BY ALL ORDER BY bin",
            [bins, bins, positive_class, run_id, part],
        )

    _MV_COLS = (
        "id, project_id, run_id, version, alias, status, artifact_path, artifact_sha256,"
        " created_at, created_by"
    )

    def _mv_dicts(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        names = [c.strip() for c in self._MV_COLS.split(",")]
        return [dict(zip(names, r, strict=True)) for r in self._rows(sql, params)]

    def insert_model_version(
        self, project_id: int, run_id: int, artifact_path: str, artifact_sha256: str, actor: str
    ) -> int:
        """Register a run's saved model as the project's next version (active, no alias)."""
        with self._write(
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

    def get_model_version(self, version_id: int) -> dict[str, Any] | None:
        rows = self._mv_dicts(f"SELECT {self._MV_COLS} FROM model_versions WHERE id = ?", [version_id])
        return rows[0] if rows else None

    def list_model_versions(
        self, project_id: int, alias: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        sql = f"SELECT {self._MV_COLS} FROM model_versions WHERE project_id = ?"
        params: list[Any] = [project_id]
        if alias is not None:
            sql += " AND alias = ?"
            params.append(alias)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        return self._mv_dicts(sql + " ORDER BY version DESC", params)

    def set_model_version(
        self, version_id: int, actor: str, *, alias: str | None, status: str
    ) -> None:
        """Set a version's alias and status; an alias moves off any other version (one each)."""
        mv = self.get_model_version(version_id)
        if mv is None:
            raise StoreError("That model version does not exist (any more).")
        action = "set_alias" if status == mv["status"] else {"archived": "archive"}.get(status, "restore")
        with self._write(
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


    # ===== SECTION slices (issue 7) =====
    # Error analysis reads a "slice base": one row per prediction of a run's part joined to
    # its dataset row (or an in-memory frame, for tests and the benchmark), with __err (1/0
    # misclassified, or the squared error for regression). Columns are encoded as small
    # integer codes (0 = missing, 1..m = listed values or numeric bins, m+1 = other) so the
    # per-slice table and the SliceLine lattice are GROUP BYs over integers.
    _SL_P = 1024  # a predicate's key is (column index + 1) * 1024 + code
    _SL_K = 1 << 20  # a slice's key packs up to three predicate keys

    @contextmanager
    def _slice_cursor(self, source: Any, columns: list[str]) -> Iterator[tuple[Any, str, list]]:
        """A cursor with the slice base's SQL and parameters (frames registered on it)."""
        for c in columns:
            if c.startswith("__"):
                raise StoreError(f"Column {c!r}: names starting with '__' are reserved.")
        cols = "".join(f", d.{qident(c)}" for c in columns)
        with self._cursor() as cur:
            if source.frame is not None:
                cur.register("_sl_frame", source.frame)
                frm = (
                    "SELECT d.row_id::BIGINT AS __rid, d.y_true::VARCHAR AS __y,"
                    f" d.y_pred::VARCHAR AS __yhat, d.score::DOUBLE AS __score{cols} FROM _sl_frame d"
                )
                params: list[Any] = []
            else:
                run = self.get_run(int(source.run_id or 0))
                if run is None or run.get("dataset_id") is None:
                    raise StoreError("That run does not exist (any more) or has no dataset.")
                table = self._dataset_table(run["dataset_id"])
                frm = (
                    "SELECT p.row_id AS __rid, p.y_true AS __y, p.y_pred AS __yhat,"
                    f" p.score AS __score{cols} FROM predictions p"
                    f" JOIN {qident(table)} d ON d.rowid = p.row_id"
                    " WHERE p.run_id = ? AND p.part = ?"
                )
                params = [int(source.run_id or 0), source.part]
            if source.regression:
                err = "(TRY_CAST(__y AS DOUBLE) - TRY_CAST(__yhat AS DOUBLE)) ** 2"
            else:
                err = "(__y IS DISTINCT FROM __yhat)::DOUBLE"
            sql = (
                f"SELECT *, {err} AS __err, coalesce(__y = ?, FALSE) AS __pos,"
                f" coalesce(__yhat = ?, FALSE) AS __pred_pos FROM ({frm}) b"
            )
            try:
                yield cur, sql, [source.positive_class, source.positive_class, *params]
            except duckdb.Error as exc:
                raise StoreError(f"The slice query failed: {str(exc).splitlines()[0]}") from exc
            finally:
                if source.frame is not None:
                    cur.unregister("_sl_frame")

    @staticmethod
    def _slice_code(spec: tuple[str, str, list]) -> tuple[str, list]:
        """SQL (and params) of a column's integer code; ``spec`` is (column, kind, values|edges)."""
        col, kind, arg = spec
        c = qident(col)
        if kind == "num":
            terms = "".join(f" + ({c}::DOUBLE >= ?)::INTEGER" for _ in arg)
            return (
                f"(CASE WHEN {c} IS NULL OR isnan({c}::DOUBLE) THEN 0 ELSE 1{terms} END)",
                [float(e) for e in arg],
            )
        value = f"strftime({c}, '%Y-%m')" if kind == "month" else f"{c}::VARCHAR"
        return (
            f"(CASE WHEN {c} IS NULL THEN 0"
            f" ELSE coalesce(list_position(?::VARCHAR[], {value}), ?) END)",
            [[str(v) for v in arg], len(arg) + 1],
        )

    def _slice_where(
        self, preds: list[dict[str, Any]], rid: str, project_id: int | None, tag_datasets: tuple
    ) -> tuple[str, list]:
        """A conjunction of stored predicates (see core.slices.Predicate) as SQL."""
        parts, params = ["TRUE"], []
        for p in preds:
            op = p.get("op")
            c = qident(p.get("column", ""))
            if op == "tag":
                parts.append(
                    f"{rid} IN (SELECT row_id FROM slice_tags WHERE project_id = ? AND tag = ?"
                    " AND dataset_id IN (SELECT unnest(?::BIGINT[])))"
                )
                params += [project_id, p["value"], [int(d) for d in tag_datasets]]
            elif op == "missing":
                parts.append(f"({c} IS NULL OR isnan({c}::DOUBLE))" if p.get("numeric") else f"{c} IS NULL")
            elif op == "eq":
                parts.append(f"{c}::VARCHAR = ?")
                params.append(str(p["value"]))
            elif op == "month":
                parts.append(f"strftime({c}, '%Y-%m') = ?")
                params.append(str(p["value"]))
            elif op == "other":
                parts.append(f"({c} IS NOT NULL AND NOT list_contains(?::VARCHAR[], {c}::VARCHAR))")
                params.append([str(v) for v in p.get("values", [])])
            elif op == "range":
                parts.append(f"({c} IS NOT NULL AND NOT isnan({c}::DOUBLE))")
                if p.get("lo") is not None:
                    parts.append(f"{c}::DOUBLE >= ?")
                    params.append(float(p["lo"]))
                if p.get("hi") is not None:
                    parts.append(f"{c}::DOUBLE < ?")
                    params.append(float(p["hi"]))
            else:
                raise StoreError(f"Unknown slice predicate {op!r}.")
        return " AND ".join(parts), params

    def slice_columns(self, source: Any) -> list[tuple[str, str]]:
        """Columns (name, DuckDB type) available to slice the source by."""
        if source.frame is not None:
            all_names = getattr(source.frame, "column_names", None) or list(source.frame.columns)
            names = [c for c in all_names if c not in ("row_id", "y_true", "y_pred", "score")]
        else:
            run = self.get_run(int(source.run_id or 0))
            if run is None or run.get("dataset_id") is None:
                raise StoreError("That run does not exist (any more) or has no dataset.")
            names = [n for n, _ in self.dataset_schema(run["dataset_id"])]
        with self._slice_cursor(source, names) as (cur, base, params):
            rows = cur.execute(f"DESCRIBE SELECT * FROM ({base}) LIMIT 0", params).fetchall()
        skip = {"__rid", "__y", "__yhat", "__score", "__err", "__pos", "__pred_pos"}
        return [(r[0], r[1]) for r in rows if r[0] not in skip]

    def slice_column_stats(
        self, source: Any, numeric: list[str], other: list[str], months: list[str] = (),
        top: int = 30, quantiles: tuple[float, ...] = (), max_distinct: int = 10,
    ) -> tuple[int, pd.DataFrame, pd.DataFrame]:
        """Rows; per column n_null, n_distinct (approximate; and min, max, quantiles for
        ``numeric``) in one scan; then the ``top`` most frequent values (as text, with
        counts) of text columns, of months of ``months`` and of numeric columns with at
        most ``max_distinct`` values. Columns with a value per row get no top values."""
        cols = [*numeric, *other, *months]
        with self._slice_cursor(source, cols) as (cur, base, params):
            # straight from the base: materialising it first costs more than rescanning
            src = f"({base}) _sl_stat"
            exprs, qparams = ["count(*)"], []
            for c in cols:
                q = qident(c)
                if c in numeric:
                    v = f"(CASE WHEN isnan({q}::DOUBLE) THEN NULL ELSE {q}::DOUBLE END)"
                    exprs += [f"count(*) - count({v})", f"approx_count_distinct({v})",
                              f"min({v})", f"max({v})"]
                    if quantiles:
                        exprs.append(f"quantile_cont({v}, ?::DOUBLE[])")
                        qparams.append(list(quantiles))
                    else:
                        exprs.append("NULL")
                else:
                    exprs += [f"count(*) - count({q})", f"approx_count_distinct({q})",
                              "NULL", "NULL", "NULL"]
            row = cur.execute(
                f"SELECT {', '.join(exprs)} FROM {src}", [*qparams, *params]
            ).fetchall()[0]
            n = int(row[0])
            stats = [(c, *row[1 + 5 * i: 6 + 5 * i]) for i, c in enumerate(cols)]
            tops = []
            for c, _, n_distinct, *_rest in stats:
                if (c in numeric and n_distinct > max_distinct) or (
                    c in other and n_distinct > 0.5 * n > 10
                ):
                    continue
                q = f"strftime({qident(c)}, '%Y-%m')" if c in months else f"{qident(c)}::VARCHAR"
                tops += [
                    (c, *r)
                    for r in cur.execute(
                        f"SELECT {q} AS v, count(*) AS n FROM {src} WHERE {qident(c)} IS NOT NULL"
                        " GROUP BY 1 ORDER BY n DESC, v LIMIT ?",
                        [*params, top],
                    ).fetchall()
                ]
        stat_df = pd.DataFrame(stats, columns=["column", "n_null", "n_distinct", "min", "max", "quantiles"])
        top_df = pd.DataFrame(tops, columns=["column", "value", "n"])
        return n, stat_df, top_df

    def slice_aggregates(
        self,
        source: Any,
        specs: list[tuple[str, str, list]],
        *,
        with_auc: bool = False,
        row_values: Any = None,
    ) -> pd.DataFrame:
        """Counts per slice: ``col`` -1 is the whole part, 0..m-1 a spec's column (``code``),
        m the manual tags (``tag``). n, err (sum of errors), pos, pred_pos, tp, sum_score,
        brier and log-loss sums, abs/squared error sums, and ROC AUC when asked;
        ``row_values`` (row_id, v) adds v_sum and v_n per slice (e.g. annotator accuracy)."""
        m = len(specs)
        codes, cparams = [], []
        for s in specs:
            sql, p = self._slice_code(s)
            codes.append(sql)
            cparams += p
        keep = "__rid, __y, __yhat, __score, __err, __pos, __pred_pos, __v"
        with self._slice_cursor(source, [s[0] for s in specs]) as (cur, base, params):
            if row_values is not None:
                cur.register("_sl_rv", row_values)
                base = (
                    f"SELECT b.*, rv.v::DOUBLE AS __v FROM ({base}) b"
                    " LEFT JOIN _sl_rv rv ON rv.row_id = b.__rid"
                )
            else:
                base = f"SELECT *, NULL::DOUBLE AS __v FROM ({base})"
            sql = (
                f"WITH base AS ({base}),"
                f" coded AS (SELECT {keep}, [{', '.join(codes) or 'NULL'}]::INTEGER[] AS __codes"
                " FROM base),"
                f" long AS (SELECT -1 AS col, 0 AS code, NULL::VARCHAR AS tag, {keep} FROM coded"
            )
            allp = [*params, *cparams]
            if m:
                sql += (
                    f" UNION ALL SELECT unnest(range({m}))::INTEGER AS col, unnest(__codes) AS code,"
                    f" NULL::VARCHAR AS tag, {keep} FROM coded"
                )
            if source.tag_datasets:
                sql += (
                    f" UNION ALL SELECT {m}, 0, t.tag, {', '.join('c.' + k.strip() for k in keep.split(','))}"
                    " FROM coded c JOIN (SELECT DISTINCT row_id, tag FROM slice_tags"
                    " WHERE project_id = ? AND dataset_id IN (SELECT unnest(?::BIGINT[]))) t"
                    " ON t.row_id = c.__rid"
                )
                allp += [source.project_id, [int(d) for d in source.tag_datasets]]
            sql += (
                "), agg AS (SELECT col, code, tag, count(*) AS n, sum(__err) AS err,"
                " sum(__pos::INTEGER) AS pos, sum(__pred_pos::INTEGER) AS pred_pos,"
                " sum((__pos AND __pred_pos)::INTEGER) AS tp, sum(__score) AS sum_score,"
                " sum((__score - __pos::INTEGER) ** 2) AS brier_sum,"
                " -sum(CASE WHEN __pos THEN ln(greatest(__score, 1e-15))"
                " ELSE ln(greatest(1 - __score, 1e-15)) END) AS logloss_sum,"
                " sum(sqrt(__err)) AS abs_err_sum, count(__score) AS n_score,"
                " sum(__v) AS v_sum, count(__v) AS v_n"
                " FROM long GROUP BY ALL)"
            )
            if with_auc:
                sql += (
                    ", ranked AS (SELECT col, code, tag, __pos, (rank() OVER w + count(*) OVER w)"
                    " / 2.0 AS rk FROM long WHERE __score IS NOT NULL"
                    " WINDOW w AS (PARTITION BY col, code, tag ORDER BY __score)),"
                    " auc AS (SELECT col, code, tag, sum(CASE WHEN __pos THEN rk END) AS rsum,"
                    " sum(__pos::INTEGER) AS np, count(*) - sum(__pos::INTEGER) AS nn"
                    " FROM ranked GROUP BY ALL)"
                    " SELECT agg.*, CASE WHEN auc.np > 0 AND auc.nn > 0 THEN"
                    " (auc.rsum - auc.np * (auc.np + 1) / 2.0) / (auc.np * auc.nn) END AS auc"
                    " FROM agg LEFT JOIN auc ON agg.col = auc.col AND agg.code = auc.code"
                    " AND agg.tag IS NOT DISTINCT FROM auc.tag"
                )
            else:
                sql += " SELECT agg.*, NULL::DOUBLE AS auc FROM agg"
            try:
                return cur.execute(sql + " ORDER BY col, code, tag", allp).df()
            finally:
                if row_values is not None:
                    cur.unregister("_sl_rv")

    def slice_lattice(
        self,
        source: Any,
        specs: list[tuple[str, str, list]],
        *,
        alpha: float,
        min_support: int,
        max_level: int,
        top_k: int,
    ) -> tuple[pd.DataFrame, dict[str, float]]:
        """SliceLine's level-wise lattice search, set-based in DuckDB.

        Each level is one GROUP BY GROUPING SETS pass over the integer-coded rows (one set
        per combination of columns that still has candidates). Candidates of level L join
        two surviving slices of level L-1 sharing L-2 predicates (all parents must survive:
        size >= ``min_support``, errors > 0) and are pruned by SliceLine's upper bound on
        their score against the running top-k. Returns the kept slices — score > 0, size >=
        ``min_support``, and no sub-slice with a score at least as high — best first, with
        p1..p3 predicate keys ((column index + 1) * 1024 + code), and totals.
        """
        m = len(specs)
        if m == 0:
            return pd.DataFrame(), {"n": 0, "errors": 0.0}
        if m >= 1000:
            raise StoreError("Slice discovery takes at most 999 columns.")
        codes, cparams = [], []
        for i, s in enumerate(specs):
            sql, p = self._slice_code(s)
            codes.append(f"{sql}::UTINYINT AS c{i}")
            cparams += p
        P, K = self._SL_P, self._SL_K
        with self._slice_cursor(source, [s[0] for s in specs]) as (cur, base, params):
            cur.execute(
                f"CREATE OR REPLACE TEMP TABLE _sl_enc AS SELECT {', '.join(codes)}, __err AS e"
                f" FROM ({base}) WHERE __err IS NOT NULL",
                [*cparams, *params],
            )
            try:
                n, total = cur.execute("SELECT count(*), coalesce(sum(e), 0) FROM _sl_enc").fetchall()[0]
                totals = {"n": int(n), "errors": float(total)}
                if n == 0 or total <= 0:
                    return pd.DataFrame(), totals
                sigma = max(int(min_support), 1)
                cur.execute(
                    "CREATE OR REPLACE TEMP TABLE _sl_k AS SELECT ?::DOUBLE AS a, ?::DOUBLE AS eb,"
                    " ?::DOUBLE AS n, ?::DOUBLE AS sig",
                    [float(alpha), float(total) / n, float(n), float(sigma)],
                )
                cur.execute(
                    "CREATE OR REPLACE TEMP TABLE _sl_s (key BIGINT, level INTEGER, p1 BIGINT,"
                    " p2 BIGINT, p3 BIGINT, ss BIGINT, se DOUBLE, sm DOUBLE, score DOUBLE)"
                )
                cur.execute("CREATE OR REPLACE TEMP TABLE _sl_c (key BIGINT, ub DOUBLE)")

                def score(ss: str, se: str) -> str:
                    return f"(k.a * (({se}) / ({ss}) / k.eb - 1) - (1 - k.a) * (k.n / ({ss}) - 1))"

                # in a grouping set's rows the other columns are NULL, so the non-NULL
                # predicate keys, in column order, are the slice's p1..p3

                def evaluate(level: int, sets: list[tuple[int, ...]], only_candidates: bool) -> None:
                    used = sorted({i for s in sets for i in s})
                    plist = "[" + ", ".join(f"{(i + 1) * P} + c{i}" for i in used) + "]"
                    grouping = ", ".join("(" + ", ".join(f"c{i}" for i in s) + ")" for s in sets)
                    key = {1: "q[1]", 2: f"q[1] * {K} + q[2]", 3: f"(q[1] * {K} + q[2]) * {K} + q[3]"}[level]
                    join = " JOIN _sl_c c ON c.key = g.key" if only_candidates else ""
                    cur.execute(
                        f"INSERT INTO _sl_s SELECT g.key, {level}, g.q[1], g.q[2], g.q[3], g.ss, g.se,"
                        f" g.sm, {score('g.ss', 'g.se')} FROM (SELECT *, {key} AS key FROM"
                        f" (SELECT list_filter({plist}::BIGINT[], lambda x: x IS NOT NULL) AS q,"
                        " count(*) AS ss, sum(e) AS se, max(e) AS sm"
                        f" FROM _sl_enc GROUP BY GROUPING SETS ({grouping}) HAVING count(*) >= ?))"
                        f" g{join}, _sl_k k",
                        [sigma],
                    )

                # A slice with a sub-slice scoring at least as high is never reported, and all
                # of an evaluated slice's sub-slices are evaluated before it, so this set is
                # final once computed. Pruning must bound against the k-th best *reported*
                # slice: raw scores would let equal-score supersets of one strong slice fill
                # the top-k, raise the bound and prune a better slice that is reported.
                reported = (
                    f"WITH anc AS (SELECT s.key, s.score, unnest(CASE s.level"
                    f" WHEN 2 THEN [s.p1, s.p2]"
                    f" WHEN 3 THEN [s.p1, s.p2, s.p3, s.p1 * {K} + s.p2, s.p1 * {K} + s.p3,"
                    f" s.p2 * {K} + s.p3] ELSE []::BIGINT[] END) AS akey FROM _sl_s s),"
                    " beaten AS (SELECT DISTINCT anc.key FROM anc JOIN _sl_s p ON p.key = anc.akey"
                    " WHERE p.score >= anc.score)"
                    " SELECT s.level, s.p1, s.p2, s.p3, s.ss AS size, s.se AS errors,"
                    " s.sm AS max_error, s.score FROM _sl_s s"
                    " WHERE s.score > 0 AND s.key NOT IN (SELECT key FROM beaten)"
                    " ORDER BY s.score DESC, s.level, s.key"
                )

                def threshold() -> float:
                    rows = cur.execute(
                        f"{reported} LIMIT 1 OFFSET ?", [max(int(top_k), 1) - 1]
                    ).fetchall()
                    return max(rows[0][-1], 0.0) if rows else 0.0

                def ub(ss: str, se: str, sm: str) -> str:
                    mid = f"greatest(least({se} / nullif({sm}, 0), {ss}), k.sig)"
                    return "greatest(" + ", ".join(
                        score(s, f"least({s} * {sm}, {se})") for s in ("k.sig", mid, ss)
                    ) + ")"

                evaluate(1, [(i,) for i in range(m)], only_candidates=False)
                for level in range(2, min(max_level, 3) + 1):
                    th = threshold()
                    cur.execute("DELETE FROM _sl_c")
                    if level == 2:
                        cand = (
                            "SELECT a.p1 AS q1, b.p1 AS q2, NULL::BIGINT AS q3,"
                            " least(a.ss, b.ss) AS ss, least(a.se, b.se) AS se, least(a.sm, b.sm) AS sm"
                            " FROM _sl_s a JOIN _sl_s b ON a.level = 1 AND b.level = 1"
                            f" AND a.p1 // {P} < b.p1 // {P} WHERE a.se > 0 AND b.se > 0"
                        )
                        ckey = f"q1 * {K} + q2"
                    else:
                        cand = (
                            "SELECT a.p1 AS q1, a.p2 AS q2, b.p2 AS q3,"
                            " least(a.ss, b.ss, c.ss) AS ss, least(a.se, b.se, c.se) AS se,"
                            " least(a.sm, b.sm, c.sm) AS sm"
                            " FROM _sl_s a JOIN _sl_s b ON a.level = 2 AND b.level = 2"
                            f" AND a.p1 = b.p1 AND a.p2 // {P} < b.p2 // {P}"
                            f" JOIN _sl_s c ON c.level = 2 AND c.key = a.p2 * {K} + b.p2"
                            " WHERE a.se > 0 AND b.se > 0 AND c.se > 0"
                        )
                        ckey = f"(q1 * {K} + q2) * {K} + q3"
                    cur.execute(
                        f"INSERT INTO _sl_c SELECT {ckey}, {ub('x.ss', 'x.se', 'x.sm')} AS ub"
                        f" FROM ({cand}) x, _sl_k k WHERE x.ss >= k.sig"
                        f" AND {ub('x.ss', 'x.se', 'x.sm')} > ?",
                        [th],
                    )
                    qcols = ", ".join(
                        f"(key // {K ** (level - 1 - j)}) % {K} // {P} - 1 AS f{j}" for j in range(level)
                    )
                    sets = [
                        tuple(int(v) for v in r)
                        for r in cur.execute(f"SELECT DISTINCT {qcols} FROM _sl_c ORDER BY ALL").fetchall()
                    ]
                    if not sets:
                        break
                    evaluate(level, sets, only_candidates=True)
                result = cur.execute(f"{reported} LIMIT ?", [max(int(top_k), 1)]).df()
                totals["evaluated"] = float(
                    cur.execute("SELECT count(*) FROM _sl_s").fetchall()[0][0]
                )
                return result, totals
            finally:
                for t in ("_sl_enc", "_sl_k", "_sl_s", "_sl_c"):
                    cur.execute(f"DROP TABLE IF EXISTS {t}")

    def slice_rows(
        self,
        source: Any,
        columns: list[str],
        preds: list[dict[str, Any]],
        *,
        only_errors: bool = False,
        limit: int = 500,
        annotations: tuple[int, str, str] | None = None,
    ) -> tuple[int, pd.DataFrame]:
        """Rows of a slice (count and the first ``limit``): row id, y, ŷ, score, error,
        manual tags, annotator labels (``annotations`` = (labels dataset id, its item column,
        the matching column of the data)) and the columns."""
        need = list(dict.fromkeys([*columns, *[p["column"] for p in preds if p.get("op") != "tag"]]))
        if annotations is not None and annotations[2] not in need:
            need.append(annotations[2])
        with self._slice_cursor(source, need) as (cur, base, params):
            where, wparams = self._slice_where(preds, "__rid", source.project_id, source.tag_datasets)
            if only_errors:
                where += " AND __err > 0"
            tags = "NULL::VARCHAR"
            tparams: list[Any] = []
            if source.tag_datasets:
                tags = (
                    "(SELECT string_agg(DISTINCT tag, ', ' ORDER BY tag) FROM slice_tags t"
                    " WHERE t.project_id = ? AND t.row_id = s.__rid"
                    " AND t.dataset_id IN (SELECT unnest(?::BIGINT[])))"
                )
                tparams = [source.project_id, [int(d) for d in source.tag_datasets]]
            labels = "NULL::VARCHAR"
            lparams: list[Any] = []
            if annotations is not None:
                ltable = self._dataset_table(annotations[0])
                labels = (
                    f"(SELECT string_agg(l.annotator::VARCHAR || ': ' || l.label::VARCHAR, ', '"
                    f" ORDER BY l.annotator) FROM {qident(ltable)} l"
                    f" WHERE l.{qident(annotations[1])}::VARCHAR = s.{qident(annotations[2])}::VARCHAR)"
                )
            (n,) = cur.execute(
                f"SELECT count(*) FROM ({base}) s WHERE {where}", [*params, *wparams]
            ).fetchall()[0]
            cols = "".join(f", s.{qident(c)}" for c in columns)
            frame = cur.execute(
                f"SELECT s.__rid AS row_id, s.__y AS y_true, s.__yhat AS y_pred, s.__score AS score,"
                f" s.__err AS error, {tags} AS tags, {labels} AS annotator_labels{cols}"
                f" FROM ({base}) s WHERE {where} ORDER BY s.__err DESC, s.__rid LIMIT ?",
                [*tparams, *lparams, *params, *wparams, int(limit)],
            ).df()
        return int(n), frame

    def dataset_slice_frame(
        self, split_id: int, preds: list[dict[str, Any]], parts: list[str], project_id: int,
        tag_datasets: tuple = (),
    ) -> pd.DataFrame:
        """Rows of a split's parts that fall in a slice, with ``__row_id`` and ``__ladder``."""
        split = self.get_split(split_id)
        if split is None:
            raise StoreError("That split does not exist (any more).")
        table = self._dataset_table(split.dataset_id)
        where, wparams = self._slice_where(preds, "rowid", project_id, tag_datasets)
        return self._df(
            f"SELECT a.ladder AS __ladder, d.* FROM (SELECT rowid AS {ROW_ID}, * FROM"
            f" {qident(table)} WHERE {where}) d JOIN split_assignments a"
            f" ON a.row_id = d.{ROW_ID} AND a.split_id = ?"
            f" WHERE a.part IN (SELECT unnest(?::VARCHAR[])) ORDER BY d.{ROW_ID}",
            [*wparams, split_id, list(parts)],
        )

    def split_assignment_frame(self, split_id: int) -> pd.DataFrame:
        """A split's assignments: row_id, part, ladder (by row id)."""
        return self._df(
            "SELECT row_id, part, ladder FROM split_assignments WHERE split_id = ? ORDER BY row_id",
            [split_id],
        )

    def dataset_lineage(self, dataset_id: int) -> list[int]:
        """The dataset and its ancestors (parent_id chain), newest first."""
        rows = self._rows(
            "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM datasets WHERE id = ?"
            " UNION ALL SELECT d.id, d.parent_id FROM datasets d JOIN up ON d.id = up.parent_id)"
            " SELECT id FROM up",
            [dataset_id],
        )
        return [int(r[0]) for r in rows]

    # manual tags: per run and row with author; read back for every dataset of the lineage
    def insert_slice_tags(
        self, project_id: int, run_id: int | None, dataset_id: int, row_ids: list[int], tag: str,
        actor: str,
    ) -> int:
        tag = " ".join(str(tag).split())
        if not tag:
            raise StoreError("A tag needs some text, e.g. 'blurry' or 'ambiguous label'.")
        if len(tag) > 80:
            raise StoreError("Keep a tag under 80 characters; put details in an action's note.")
        ids = sorted({int(r) for r in row_ids})
        if not ids:
            raise StoreError("Pick at least one row to tag.")
        with self._write(
            actor, "tag", "slice_tag", run_id, project_id, {"tag": tag, "rows": len(ids)}
        ) as (cur, _):
            cur.execute(
                "INSERT INTO slice_tags (project_id, run_id, dataset_id, row_id, tag, created_at,"
                " created_by) SELECT ?, ?, ?, r, ?, ?, ? FROM unnest(?::BIGINT[]) t(r)"
                " WHERE NOT EXISTS (SELECT 1 FROM slice_tags s WHERE s.project_id = ?"
                " AND s.dataset_id = ? AND s.row_id = r AND s.tag = ?)",
                [project_id, run_id, dataset_id, tag, utcnow(), actor, ids, project_id,
                 dataset_id, tag],
            )
        return len(ids)

    def delete_slice_tags(
        self, project_id: int, dataset_ids: list[int], row_ids: list[int], tag: str, actor: str
    ) -> None:
        with self._write(
            actor, "untag", "slice_tag", None, project_id, {"tag": tag, "rows": len(row_ids)}
        ) as (cur, _):
            cur.execute(
                "DELETE FROM slice_tags WHERE project_id = ? AND tag = ?"
                " AND dataset_id IN (SELECT unnest(?::BIGINT[]))"
                " AND row_id IN (SELECT unnest(?::BIGINT[]))",
                [project_id, tag, [int(d) for d in dataset_ids], [int(r) for r in row_ids]],
            )

    def list_slice_tags(self, project_id: int, dataset_ids: list[int]) -> pd.DataFrame:
        """Tags on rows of these datasets: row_id, tag, run_id, dataset_id, created_at, created_by."""
        return self._df(
            "SELECT row_id, tag, run_id, dataset_id, created_at, created_by FROM slice_tags"
            " WHERE project_id = ? AND dataset_id IN (SELECT unnest(?::BIGINT[]))"
            " ORDER BY tag, row_id",
            [project_id, [int(d) for d in dataset_ids]],
        )

    # actions per slice; their status moves open -> done/dropped (audited)
    _ACTION_COLS = (
        "id, project_id, run_id, label, slice, action, note, status, evidence, created_at,"
        " created_by, closed_at, closed_by"
    )

    def insert_slice_action(
        self, project_id: int, run_id: int | None, label: str, preds: list[dict[str, Any]],
        action: str, note: str, evidence: dict[str, Any], actor: str,
    ) -> int:
        with self._write(
            actor, "create", "slice_action", None, project_id, {"slice": label, "action": action}
        ) as (cur, audit):
            (aid,) = cur.execute(
                "INSERT INTO slice_actions (project_id, run_id, label, slice, action, note, status,"
                " evidence, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)"
                " RETURNING id",
                [project_id, run_id, label, json.dumps(preds, default=str), action, note,
                 json.dumps(evidence, default=str), utcnow(), actor],
            ).fetchall()[0]
            audit["entity_id"] = aid
        return int(aid)

    def set_slice_action_status(self, action_id: int, status: str, actor: str) -> None:
        rows = self._rows("SELECT project_id, label FROM slice_actions WHERE id = ?", [action_id])
        if not rows:
            raise StoreError("That action does not exist (any more).")
        with self._write(
            actor, status, "slice_action", action_id, rows[0][0], {"slice": rows[0][1]}
        ) as (cur, _):
            cur.execute(
                "UPDATE slice_actions SET status = ?, closed_at = ?, closed_by = ? WHERE id = ?",
                [status, None if status == "open" else utcnow(), None if status == "open" else actor,
                 action_id],
            )

    def list_slice_actions(self, project_id: int, status: str | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {self._ACTION_COLS} FROM slice_actions WHERE project_id = ?"
        params: list[Any] = [project_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        names = [c.strip() for c in self._ACTION_COLS.split(",")]
        out = []
        for r in self._rows(sql + " ORDER BY created_at DESC, id DESC", params):
            d = dict(zip(names, r, strict=True))
            d["slice"] = json.loads(d["slice"])
            d["evidence"] = json.loads(d["evidence"])
            out.append(d)
        return out

    # stored discoveries: the search's inputs and its top-k, append-only per run
    def insert_slice_discovery(
        self, project_id: int, run_id: int | None, part: str | None, params: dict[str, Any],
        slices: pd.DataFrame, stats: dict[str, Any], actor: str,
    ) -> int:
        """``slices`` has rank, label, level, slice (JSON), size, errors, error_rate, score."""
        with self._write(
            actor, "discover", "slice_discovery", run_id, project_id, {"found": len(slices)}
        ) as (cur, audit):
            (did,) = cur.execute(
                "INSERT INTO slice_discoveries (project_id, run_id, part, params, stats, created_at,"
                " created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [project_id, run_id, part, json.dumps(params, default=str),
                 json.dumps(stats, default=str), utcnow(), actor],
            ).fetchall()[0]
            if len(slices):
                frame = slices[["rank", "label", "level", "slice", "size", "errors", "error_rate", "score"]]
                cur.register("_found", frame)
                try:
                    cur.execute(
                        "INSERT INTO discovered_slices SELECT ?, ?, rank::INTEGER, label::VARCHAR,"
                        " level::INTEGER, slice::VARCHAR, size::BIGINT, errors::DOUBLE,"
                        " error_rate::DOUBLE, score::DOUBLE FROM _found",
                        [did, project_id],
                    )
                finally:
                    cur.unregister("_found")
            audit["entity_id"] = did
        return int(did)

    def latest_slice_discovery(self, run_id: int, part: str) -> tuple[dict[str, Any], pd.DataFrame] | None:
        rows = self._rows(
            "SELECT id, params, stats, created_at, created_by FROM slice_discoveries"
            " WHERE run_id = ? AND part = ? ORDER BY id DESC LIMIT 1",
            [run_id, part],
        )
        if not rows:
            return None
        did, params, stats, at, by = rows[0]
        meta = {"id": did, "params": json.loads(params), "stats": json.loads(stats),
                "created_at": at, "created_by": by}
        frame = self._df(
            "SELECT rank, label, level, slice, size, errors, error_rate, score FROM discovered_slices"
            " WHERE discovery_id = ? ORDER BY rank",
            [did],
        )
        return meta, frame


    # ===== SECTION deploy (issue 8) =====
    # A simulation is written once with its settings, summary, per-window timeline,
    # guardrail checks and events (append-only, keyed by the simulation id).
    _DEPLOY_COLS = (
        "id, project_id, name, pattern, dataset_id, dataset_hash, incumbent, candidate,"
        " settings, summary, decision, created_at, created_by"
    )
    _DEPLOY_JSON = ("incumbent", "candidate", "settings", "summary")
    _DEPLOY_TABLES = {
        "deploy_windows": (
            "window_idx, window_start, window_end, step, share_target, n_requests, n_routed,"
            " n_cand_served, n_fallback, n_incumbent, share_served, agreement, n_labeled,"
            " wrong_cand, wrong_inc, wrong_cand_counterfactual, failed_cand, failed_inc,"
            " cand_p95_ms, inc_p95_ms, infer_ms, breached"
        ),
        "deploy_checks": (
            "window_idx, guardrail, metric, threshold, value, bound, n, status, point_bad,"
            " share, step, incumbent_value"
        ),
        "deploy_events": "at, window_idx, kind, share_from, share_to, reason",
    }

    def insert_deploy_simulation(
        self,
        project_id: int,
        actor: str,
        *,
        name: str,
        pattern: str,
        dataset_id: int,
        dataset_hash: str,
        incumbent: dict[str, Any],
        candidate: dict[str, Any],
        settings: dict[str, Any],
        summary: dict[str, Any],
        decision: str,
        timeline: pd.DataFrame,
        checks: pd.DataFrame,
        events: pd.DataFrame,
    ) -> int:
        """Store a finished rollout simulation and its tables in one transaction."""
        frames = {"deploy_windows": timeline, "deploy_checks": checks, "deploy_events": events}
        with self._write(
            actor, "simulate", "deploy_simulation", project_id=project_id,
            detail={"name": name, "pattern": pattern, "decision": decision},
        ) as (cur, audit):
            (sid,) = cur.execute(
                f"INSERT INTO deploy_simulations ({self._DEPLOY_COLS}) VALUES"
                " (nextval('id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [project_id, name, pattern, dataset_id, dataset_hash,
                 json.dumps(incumbent, default=str), json.dumps(candidate, default=str),
                 json.dumps(settings, default=str), json.dumps(summary, default=str),
                 decision, utcnow(), actor],
            ).fetchall()[0]
            for table, cols in self._DEPLOY_TABLES.items():
                names = [c.strip() for c in cols.split(",")]
                frame = frames[table]
                if frame is None or frame.empty:
                    continue
                cur.register("_deploy_part", frame[names].reset_index(drop=True))
                try:
                    cur.execute(
                        f"INSERT INTO {qident(table)} (simulation_id, project_id,"
                        f" {', '.join(qident(c) for c in names)})"
                        f" SELECT ?, ?, {', '.join(qident(c) for c in names)} FROM _deploy_part",
                        [sid, project_id],
                    )
                finally:
                    cur.unregister("_deploy_part")
            audit["entity_id"] = sid
        return int(sid)

    def _deploy_dicts(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        names = [c.strip() for c in self._DEPLOY_COLS.split(",")]
        out = []
        for r in self._rows(sql, params):
            d = dict(zip(names, r, strict=True))
            for key in self._DEPLOY_JSON:
                d[key] = json.loads(d[key]) if d[key] else {}
            out.append(d)
        return out

    def list_deploy_simulations(self, project_id: int) -> list[dict[str, Any]]:
        """A project's simulations, newest first (JSON columns decoded)."""
        return self._deploy_dicts(
            f"SELECT {self._DEPLOY_COLS} FROM deploy_simulations WHERE project_id = ?"
            " ORDER BY created_at DESC, id DESC",
            [project_id],
        )

    def get_deploy_simulation(self, simulation_id: int) -> dict[str, Any] | None:
        rows = self._deploy_dicts(
            f"SELECT {self._DEPLOY_COLS} FROM deploy_simulations WHERE id = ?", [simulation_id]
        )
        return rows[0] if rows else None

    def _deploy_part(self, table: str, simulation_id: int, order: str) -> pd.DataFrame:
        cols = ", ".join(qident(c.strip()) for c in self._DEPLOY_TABLES[table].split(","))
        return self._df(
            f"SELECT {cols} FROM {qident(table)} WHERE simulation_id = ? ORDER BY {order}",
            [simulation_id],  # order is one of the literals below, never user input
        )

    def deploy_timeline(self, simulation_id: int) -> pd.DataFrame:
        return self._deploy_part("deploy_windows", simulation_id, "window_idx")

    def deploy_checks(self, simulation_id: int) -> pd.DataFrame:
        return self._deploy_part("deploy_checks", simulation_id, "window_idx, guardrail")

    def deploy_events(self, simulation_id: int) -> pd.DataFrame:
        return self._deploy_part("deploy_events", simulation_id, '"at", window_idx')

    # ===== SECTION monitor: profiles, drift, alerts (issue 9) =====
    # Profiles (core/profiles.py): the SQL of a set-based profile pass. Each numeric column
    # is binned on a fixed grid key = floor((v - a) / w) clamped to [kmin, kmax]; its
    # moments and out-of-range counts come from one aggregate over all columns.
    _NUMERIC_TYPES = (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
    )

    @staticmethod
    def _profile_window_sql(time_column: str | None, window: str | None) -> str:
        if not time_column or not window:
            return "NULL::TIMESTAMP"
        ts = f"TRY_CAST({qident(time_column)} AS TIMESTAMP)"
        return f"time_bucket(?::INTERVAL, {ts})"

    @staticmethod
    def _profile_value_sql(column: str, safe: bool) -> str:
        x = f"{qident(column)}::DOUBLE"
        # NaN and +-inf count as missing (documented in core.profiles); the safe form costs
        # a little, so it only runs when a first pass met a non-finite value
        return f"(CASE WHEN isfinite({x}) THEN {x} END)" if safe else x

    def profile_table_info(self, dataset_id: int) -> tuple[int, str, list[tuple[str, str]]]:
        """Rows, content hash and ``(column, type)`` of a dataset, for profiling."""
        ds = self.get_dataset(dataset_id)
        if ds is None:
            raise StoreError("That dataset does not exist (any more).")
        return ds.n_rows, ds.content_hash, self.dataset_schema(dataset_id)

    def profile_ranges(
        self, dataset_id: int, numeric: list[str], sample_rows: int
    ) -> tuple[list[tuple[float | None, float | None]], dict[str, np.ndarray]]:
        """Exact finite (min, max) per numeric column and a block sample of each.

        The reference's grid comes from these (its first pass); a current profile reuses
        the grid and never runs this. The extremes come from verified storage statistics
        where they can (:meth:`_stored_extremes`), else from ``min``/``max`` of the finite
        values; ``(None, None)`` means no finite value. The sample (float arrays, NaN for
        missing) is :meth:`_block_sample_sql`'s.
        """
        table = qident(self._dataset_table(dataset_id))
        if not numeric:
            return [], {}
        plain = [self._profile_value_sql(c, False) for c in numeric]
        safe = [self._profile_value_sql(c, True) for c in numeric]
        with self._cursor() as cur:
            (n_rows,) = cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
            found = self._stored_extremes(cur, table, plain)
            rest = [i for i in range(len(numeric)) if i not in found]
            if rest:
                agg = ", ".join(f"min({safe[i]}), max({safe[i]})" for i in rest)
                row = cur.execute(f"SELECT {agg} FROM {table}").fetchall()[0]
                for j, i in enumerate(rest):
                    found[i] = (row[2 * j], row[2 * j + 1])
            sel = ", ".join(f"{v} AS v{i}" for i, v in enumerate(safe))
            raw = cur.execute(
                f"SELECT {sel} FROM {table}{self._block_sample_sql(int(n_rows), sample_rows)}"
            ).fetchnumpy()
        draws = {
            k: np.ma.filled(np.ma.asarray(v, dtype=float), np.nan) for k, v in raw.items()
        }
        ranges = [
            (None, None) if lo is None or hi is None else (float(lo), float(hi))
            for lo, hi in (found[i] for i in range(len(numeric)))
        ]
        return ranges, draws

    def profile_scan(
        self,
        dataset_id: int,
        numeric: list[dict[str, Any]],
        categorical: list[str],
        *,
        time_column: str | None = None,
        window: str | None = None,
        safe: bool = False,
        own_grid: bool = False,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """One profile pass: moments per column and window, numeric bin counts, category counts.

        ``numeric`` items hold ``column``, ``a``, ``w``, ``kmin``, ``kmax``, ``center``,
        ``ref_min``, ``ref_max`` (the reference's grid). Returns three long frames keyed by
        ``w`` (window start, NULL for the whole table or a missing timestamp): moments (one
        row per window: ``n_rows`` and per numeric column ``n``, ``s``, ``q``, ``mn``, ``mx``
        and the count and sum of values below / above the reference's range, ``bn``, ``bs``,
        ``an``, ``as``), bins (``c``, ``k``, ``n``) and categories (``c``, ``k``, ``n``).

        ``own_grid`` says the grid was derived from this very table, so no value lies
        outside the reference range (no tail scan) and, unwindowed, min and max are the
        grid's (not recomputed).

        DESIGN: what this costs, per column and 1M rows on the 2-core CI machine, against
        about 1 ms for the benchmark's ``sum``: a hash aggregate over the bin key about 6 ms
        (the perfect-hash aggregate, enabled for up to 2^17 keys in :meth:`__init__`: the
        key is clamped with CASE, whose bounds DuckDB propagates, not ``least/greatest``,
        which cost as much again); ``min`` + ``max`` 1.6 ms; each tail count or sum written
        as an aggregate 1-3 ms, so the tails are separate filtered scans (zone maps skip
        most row groups: 13 ms for 15 columns instead of 110 ms). ``FILTER`` clauses on many
        aggregates of one query are far slower (500 ms); avoid them.
        """
        table = qident(self._dataset_table(dataset_id))
        wsql = self._profile_window_sql(time_column, window)
        wpar = [window] if wsql != "NULL::TIMESTAMP" else []
        windowed = bool(wpar)
        extremes: dict[int, tuple[float, float]] = {}
        if not (windowed or own_grid or safe) and numeric:
            values = [self._profile_value_sql(s["column"], False) for s in numeric]
            with self._cursor() as cur:
                extremes = self._stored_extremes(cur, table, values)
        parts = ["count(*) AS n_rows"]
        for i, spec in enumerate(numeric):
            v = self._profile_value_sql(spec["column"], safe)
            c = float(spec["center"])
            parts.append(
                f"count({v}) AS n{i}, sum({v}) AS s{i}, sum(({v} - {c!r}) * ({v} - {c!r})) AS q{i}"
            )
            if windowed or not (own_grid or i in extremes):
                parts.append(f"min({v}) AS mn{i}, max({v}) AS mx{i}")
        for j, col in enumerate(categorical):
            parts.append(f"count({qident(col)}) AS cn{j}")
        bins, cats, tails = [], [], []
        bin_params: list[Any] = []
        tail_params: list[Any] = []
        for i, spec in enumerate(numeric):
            v = self._profile_value_sql(spec["column"], safe)
            a, w = float(spec["a"]), float(spec["w"])
            kmin, kmax = int(spec["kmin"]), int(spec["kmax"])
            # the same keys as least(greatest(floor((v - a) / w), kmin), kmax): a value
            # half a bin beyond an end bin's inner edge can only round into that bin
            low, high = a + (kmin + 0.5) * w, a + (kmax + 0.5) * w
            key = (
                f"CASE WHEN {v} < {low!r} THEN {kmin} WHEN {v} >= {high!r} THEN {kmax}"
                f" ELSE floor(({v} - {a!r}) / {w!r})::INTEGER END"
            )
            bins.append(
                f"SELECT {wsql} AS w, {i} AS c, {key} AS k, count({v}) AS n"
                f" FROM {table} WHERE {v} IS NOT NULL GROUP BY ALL"
            )
            bin_params += wpar
            if not own_grid:
                lo, hi = float(spec["ref_min"]), float(spec["ref_max"])
                for side, cond in (("b", f"{v} < {lo!r}"), ("a", f"{v} > {hi!r}")):
                    tails.append(
                        f"SELECT {wsql} AS w, {i} AS c, '{side}' AS side, count(*) AS n,"
                        f" sum({v}) AS s FROM {table} WHERE {cond} GROUP BY ALL"
                    )
                    tail_params += wpar
        cat_params: list[Any] = []
        for j, col in enumerate(categorical):
            cats.append(
                f"SELECT {wsql} AS w, {j} AS c, {qident(col)}::VARCHAR AS k, count(*) AS n"
                f" FROM {table} WHERE {qident(col)} IS NOT NULL GROUP BY ALL"
            )
            cat_params += wpar
        empty = pd.DataFrame({"w": [], "c": [], "k": [], "n": []})
        with self._cursor() as cur:
            moments = cur.execute(
                f"SELECT {wsql} AS w, {', '.join(parts)} FROM {table}"
                + (" GROUP BY ALL ORDER BY w" if windowed else ""),
                wpar,
            ).df()
            bin_df = cur.execute(" UNION ALL ".join(bins), bin_params).df() if bins else empty
            cat_df = cur.execute(" UNION ALL ".join(cats), cat_params).df() if cats else empty
            tail_df = (
                cur.execute(" UNION ALL ".join(tails), tail_params).df() if tails else None
            )
        added: dict[str, np.ndarray] = {}
        for i, spec in enumerate(numeric):
            if f"mn{i}" not in moments:  # unwindowed: the grid's or the stored exact range
                lo, hi = extremes.get(i, (spec["ref_min"], spec["ref_max"]))
                valid = moments[f"n{i}"].to_numpy() > 0
                added[f"mn{i}"] = np.where(valid, float(lo), np.nan)
                added[f"mx{i}"] = np.where(valid, float(hi), np.nan)
            for side in ("b", "a"):
                added[f"{side}n{i}"] = np.zeros(len(moments), dtype=np.int64)
                added[f"{side}s{i}"] = np.zeros(len(moments))
        if tail_df is not None and len(tail_df):
            row_of = {window_key(w): r for r, w in enumerate(moments["w"])}
            for t in tail_df.itertuples(index=False):
                r = row_of.get(window_key(t.w))
                if r is not None:
                    added[f"{t.side}n{t.c}"][r] = int(t.n)
                    added[f"{t.side}s{t.c}"][r] = float(t.s)
        moments = pd.concat([moments, pd.DataFrame(added, index=moments.index)], axis=1)
        return moments, bin_df, cat_df

    @staticmethod
    def _block_sample_sql(n_rows: int, sample_rows: int, block: int = 2048) -> str:
        """A WHERE clause keeping about ``sample_rows`` rows in evenly spaced ``rowid`` blocks.

        Deterministic (the same rows every time, unlike DuckDB's multi-threaded system
        sample), spread over the whole table, and cheap: the rowid ranges prune row groups,
        so 10M rows cost 0.03 s where every k-th row (a full scan) cost 0.33 s and a seeded
        reservoir sample (one thread) more. Blocks are what the grid's quantiles need; the
        grid only places the bins, so a poor sample costs resolution, never correctness.

        >>> Store._block_sample_sql(1000, 5000)
        ''
        >>> Store._block_sample_sql(10_000, 4096, block=2048)
        ' WHERE rowid BETWEEN 0 AND 2047 OR rowid BETWEEN 5000 AND 7047'
        """
        if n_rows <= sample_rows:
            return ""
        blocks = -(-int(sample_rows) // block)
        stride = n_rows // blocks
        return " WHERE " + " OR ".join(
            f"rowid BETWEEN {b * stride} AND {b * stride + block - 1}" for b in range(blocks)
        )

    @staticmethod
    def _stored_extremes(
        cur: duckdb.DuckDBPyConnection, table: str, values: list[str]
    ) -> dict[int, tuple[float, float]]:
        """Exact min and max of value expressions from DuckDB's storage statistics, verified.

        A dataset table is written once, so its zone maps hold its exact extremes; each is
        verified by probing for one row equal to it, which the zone maps answer while
        skipping nearly every row group (13 ms instead of 0.62 s for ``min`` and ``max`` of
        15 columns at 10M rows). An expression whose statistics are absent, not finite or
        not attained is left out, so the caller aggregates it.
        """
        try:
            rows = cur.execute(
                f"SELECT {', '.join(f'stats({v})' for v in values)} FROM {table} LIMIT 1"
            ).fetchall()
        except duckdb.Error:
            return {}
        found: dict[int, tuple[float, float]] = {}
        for i, st in enumerate(rows[0] if rows else ()):
            if not isinstance(st, dict):
                continue
            try:
                lo, hi = float(st.get("min")), float(st.get("max"))
            except (TypeError, ValueError):
                continue
            if np.isfinite(lo) and np.isfinite(hi) and lo <= hi:
                found[i] = (lo, hi)
        if not found:
            return {}
        # one equality filter per query: DuckDB prunes row groups by zone map for it
        probes = [(i, x) for i, pair in found.items() for x in sorted(set(pair))]
        checks = " UNION ALL ".join(
            f"(SELECT {i} AS c, {x!r}::DOUBLE AS x FROM {table}"
            f" WHERE {values[i]} = {x!r}::DOUBLE LIMIT 1)"
            for i, x in probes
        )
        seen = {(int(c), float(x)) for c, x in cur.execute(checks).fetchall()}
        return {i: v for i, v in found.items() if all((i, x) in seen for x in v)}

    def check_interval(self, window: str) -> None:
        """Raise StoreError unless ``window`` is a DuckDB interval such as '1 month'."""
        try:
            self._rows("SELECT ?::INTERVAL", [window])
        except duckdb.Error as exc:
            raise StoreError(
                f"{window!r} is not a time window; write it like '7 days', '1 month' or '1 hour'."
            ) from exc

    def find_profile(
        self,
        dataset_id: int,
        content_hash: str,
        reference_profile_id: int | None,
        time_column: str | None,
        window: str | None,
    ) -> int | None:
        """The id of a stored profile of this data version with the same grid and windows."""
        rows = self._rows(
            "SELECT id FROM profiles WHERE dataset_id = ? AND content_hash = ?"
            " AND reference_profile_id IS NOT DISTINCT FROM ?"
            " AND time_column IS NOT DISTINCT FROM ? AND window_size IS NOT DISTINCT FROM ?"
            " ORDER BY id DESC LIMIT 1",
            [dataset_id, content_hash, reference_profile_id, time_column, window],
        )
        return int(rows[0][0]) if rows else None

    def insert_profile(
        self,
        project_id: int,
        dataset_id: int,
        *,
        content_hash: str,
        reference_profile_id: int | None,
        time_column: str | None,
        window: str | None,
        n_rows: int,
        spec: dict[str, Any],
        columns: Any,
        actor: str,
    ) -> int:
        """Store a profile and its per-column, per-window rows (an Arrow table) in one
        transaction."""

        with self._write(
            actor, "create", "profile", project_id=project_id,
            detail={"dataset_id": dataset_id, "reference_profile_id": reference_profile_id,
                    "window": window},
        ) as (cur, audit):
            (pid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
            cur.execute(
                "INSERT INTO profiles (id, project_id, dataset_id, content_hash,"
                " reference_profile_id, time_column, window_size, n_rows, spec, created_at,"
                " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [pid, project_id, dataset_id, content_hash, reference_profile_id, time_column,
                 window, n_rows, json.dumps(spec), utcnow(), actor],
            )
            cur.register("_profile_cols", columns)
            try:
                cur.execute(
                    "INSERT INTO profile_columns SELECT ?, ?, window_label, window_start::TIMESTAMP,"
                    " column_name, kind, data_type, n, nulls, sum, sumsq, min, max, below,"
                    " below_sum, above, above_sum, bin_keys::BIGINT[], bin_counts::BIGINT[],"
                    " categories::VARCHAR[], category_counts::BIGINT[], other, note"
                    " FROM _profile_cols",
                    [pid, project_id],
                )
            finally:
                cur.unregister("_profile_cols")
            audit["entity_id"] = pid
        return int(pid)

    def get_profile_rows(
        self, profile_id: int, columns: bool = True
    ) -> tuple[dict[str, Any], pd.DataFrame]:
        """A stored profile's header (a dict) and its column rows (empty if not ``columns``)."""
        rows = self._rows(
            "SELECT id, project_id, dataset_id, content_hash, reference_profile_id, time_column,"
            " window_size, n_rows, spec, created_at, created_by FROM profiles WHERE id = ?",
            [profile_id],
        )
        if not rows:
            raise StoreError(f"Profile {profile_id} does not exist (any more).")
        keys = ("id", "project_id", "dataset_id", "content_hash", "reference_profile_id",
                "time_column", "window_size", "n_rows", "spec", "created_at", "created_by")
        head = dict(zip(keys, rows[0], strict=True))
        head["spec"] = json.loads(head["spec"])
        if not columns:
            return head, pd.DataFrame()
        cols = self._df(
            "SELECT * EXCLUDE (profile_id, project_id) FROM profile_columns WHERE profile_id = ?"
            " ORDER BY window_start NULLS LAST, window_label, column_name",
            [profile_id],
        )
        return head, cols

    def list_profiles(self, project_id: int) -> pd.DataFrame:
        return self._df(
            "SELECT p.id, p.dataset_id, d.name AS dataset, p.content_hash,"
            " p.reference_profile_id, p.time_column, p.window_size, p.n_rows, p.created_at,"
            " p.created_by FROM profiles p LEFT JOIN datasets d ON d.id = p.dataset_id"
            " WHERE p.project_id = ? ORDER BY p.id",
            [project_id],
        )

    def sample_rows(
        self, dataset_id: int, n: int, columns: list[str] | None = None, seed: int = 0
    ) -> pd.DataFrame:
        """A seeded reservoir sample of up to ``n`` rows (for the domain classifier)."""
        table = self._dataset_table(dataset_id)
        cols = ", ".join(qident(c) for c in columns) if columns else "*"
        return self._df(
            f"SELECT {cols} FROM {qident(table)}"
            f" USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE ({int(seed)})"
        )

    def scan_floor(self, dataset_id: int) -> int:
        """A plain scan (count, and sum or count of every column): the benchmark's floor."""
        table = self._dataset_table(dataset_id)
        parts = ["count(*)"]
        for col, dtype in self.dataset_schema(dataset_id):
            numeric = dtype.split("(")[0] in self._NUMERIC_TYPES or dtype.startswith("DECIMAL")
            parts.append(f"sum({qident(col)})" if numeric else f"count({qident(col)})")
        return int(self._rows(f"SELECT {', '.join(parts)} FROM {qident(table)}")[0][0])

    def create_drift_benchmark(
        self, project_id: int, rows: int, actor: str, seed: int = 42
    ) -> tuple[int, int]:
        """Generate the drift benchmark's reference and current tables (20 columns each).

        15 numeric columns (normal, lognormal, uniform, integer counts) and 5 categorical
        ones; the current side shifts a third of them. Generated in DuckDB so that 10M rows
        never pass through Python.
        """
        ids = []
        for side, shift in (("reference", 0.0), ("current", 1.0)):
            with self._write(actor, "create", "dataset", project_id=project_id,
                             detail={"name": f"bench_{side}", "rows": rows}) as (cur, audit):
                (did,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
                table = f"ds_{did}"
                cur.execute("SELECT setseed(?)", [0.1 if side == "reference" else 0.2])
                z = "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"
                cols = []
                for i in range(15):
                    s = shift if i % 3 == 0 else 0.0
                    kind = i % 4
                    if kind == 0:
                        cols.append(f"{10 * i} + {1 + i} * ({z} + {0.2 * s}) AS num_{i}")
                    elif kind == 1:
                        cols.append(f"exp(0.8 * {z} + {0.3 * s}) * 1000 AS num_{i}")
                    elif kind == 2:
                        cols.append(f"random() * {100 + 10 * s} AS num_{i}")
                    else:
                        cols.append(f"floor(-ln(1 - random()) * {3 + s})::BIGINT AS num_{i}")
                for j in range(5):
                    k = [3, 8, 20, 50, 200][j]
                    extra = 1 if (shift and j % 2 == 0) else 0
                    cols.append(f"'cat' || floor(random() * {k + extra})::BIGINT AS cat_{j}")
                cur.execute(
                    f"CREATE TABLE {qident(table)} AS SELECT {', '.join(cols)} FROM range(?)",
                    [int(rows)],
                )
                n_rows, n_cols, digest = self._dataset_hash(cur, table)
                cur.execute(
                    "INSERT INTO datasets (id, project_id, name, source, role, n_rows, n_cols,"
                    " content_hash, table_name, parent_id, note, created_at, created_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?, ?)",
                    [did, project_id, f"bench_{side}", "generated", "reference"
                     if side == "reference" else "production", n_rows, n_cols, digest, table,
                     utcnow(), actor],
                )
                audit["entity_id"] = did
            ids.append(int(did))
        return ids[0], ids[1]


    # ===== SECTION monitoring runs, checks and alerts (lead) =====
    def insert_dataset_subset(
        self,
        project_id: int,
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
        src = self.get_dataset(source_dataset_id)
        if src is None:
            raise StoreError("That dataset does not exist (any more).")
        have = {c for c, _ in self.dataset_schema(source_dataset_id)}
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
        with self._cursor() as cur:
            arrow = cur.sql(sql, params=params).to_arrow_table()
        return self.insert_dataset(
            project_id, name, arrow, source=f"subset of {src.name}", role="training",
            actor=actor, parent_id=source_dataset_id, note=note,
        )

    _WINDOWS = {"day": "day", "week": "week", "month": "month"}

    def window_software_metrics(
        self,
        dataset_id: int,
        time_column: str,
        window: str,
        latency_column: str | None,
        status_column: str | None,
    ) -> pd.DataFrame:
        """Per time window: requests, throughput, latency p50/p95/p99, error rate, availability.

        A request fails when its status is 5xx; rows without a timestamp are counted apart
        (window_start NULL) rather than dropped.
        """
        if window not in self._WINDOWS:
            raise StoreError(f"Unknown window {window!r}; use day, week or month.")
        table = self._dataset_table(dataset_id)
        t = qident(time_column)
        lat = qident(latency_column) if latency_column else "NULL::DOUBLE"
        failed = f"({qident(status_column)} >= 500)" if status_column else "FALSE"
        sql = f"""
            SELECT date_trunc('{self._WINDOWS[window]}', {t}) AS window_start,
                   count(*) AS requests,
                   count(*) / greatest(epoch(max({t}) - min({t})), 1) AS throughput_rps,
                   quantile_cont({lat}, 0.5) AS latency_p50_ms,
                   quantile_cont({lat}, 0.95) AS latency_p95_ms,
                   quantile_cont({lat}, 0.99) AS latency_p99_ms,
                   avg(CASE WHEN {failed} THEN 1.0 ELSE 0.0 END) AS error_rate,
                   1 - avg(CASE WHEN {failed} THEN 1.0 ELSE 0.0 END) AS availability
            FROM {qident(table)} GROUP BY 1 ORDER BY 1 NULLS LAST
        """
        return self._df(sql)

    def insert_monitor_run(
        self,
        project_id: int,
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
        flagged, note. ``alerts`` columns: window_start, check_name, column_name, value,
        threshold, severity, policy, message.
        """
        res_cols = ["kind", "window_start", "column_name", "metric", "value", "threshold",
                    "flagged", "note"]
        al_cols = ["window_start", "check_name", "column_name", "value", "threshold",
                   "severity", "policy", "message"]
        res = results.reindex(columns=res_cols)
        al = alerts.reindex(columns=al_cols)
        with self._write(actor, "create", "monitor_run", project_id=project_id,
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
            cur.register("_res", res)
            cur.register("_al", al)
            try:
                cur.execute(
                    "INSERT INTO monitor_results SELECT ?, ?, kind, window_start::TIMESTAMP,"
                    " column_name::VARCHAR, metric, value::DOUBLE, threshold::DOUBLE,"
                    " flagged::BOOLEAN, note::VARCHAR FROM _res",
                    [rid, project_id],
                )
                cur.execute(
                    "INSERT INTO alerts (project_id, run_id, window_start, check_name, column_name,"
                    " value, threshold, severity, policy, message, created_at)"
                    " SELECT ?, ?, window_start::TIMESTAMP, check_name, column_name::VARCHAR,"
                    " value::DOUBLE, threshold::DOUBLE, severity, policy, message, ? FROM _al",
                    [project_id, rid, utcnow()],
                )
            finally:
                cur.unregister("_res")
                cur.unregister("_al")
            audit["entity_id"] = rid
        return int(rid)

    def list_monitor_runs(self, project_id: int) -> pd.DataFrame:
        return self._df(
            "SELECT id, reference_dataset_id, current_dataset_id, model_version_id, time_column,"
            " time_window, settings, summary, source, created_at, created_by FROM monitor_runs"
            " WHERE project_id = ? ORDER BY id DESC",
            [project_id],
        )

    def monitor_results(self, run_id: int, kind: str | None = None) -> pd.DataFrame:
        sql = (
            "SELECT kind, window_start, column_name, metric, value, threshold, flagged, note"
            " FROM monitor_results WHERE run_id = ?"
        )
        params: list[Any] = [run_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return self._df(sql + " ORDER BY kind, window_start, column_name, metric", params)

    def list_alerts(self, project_id: int, status: str | None = None) -> pd.DataFrame:
        sql = (
            "SELECT id, run_id, window_start, check_name, column_name, value, threshold, severity,"
            " policy, message, status, acknowledged_by, acknowledged_at, created_at FROM alerts"
            " WHERE project_id = ?"
        )
        params: list[Any] = [project_id]
        if status:
            sql += " AND status = ?"
            params.append(status)
        return self._df(sql + " ORDER BY window_start, id", params)

    def acknowledge_alert(self, alert_id: int, actor: str) -> None:
        rows = self._rows("SELECT project_id, status FROM alerts WHERE id = ?", [alert_id])
        if not rows:
            raise StoreError("That alert does not exist (any more).")
        project_id, status = rows[0]
        if status != "open":
            raise StoreError("That alert was acknowledged already.")
        with self._write(actor, "acknowledge", "alert", alert_id, project_id) as (cur, _):
            cur.execute(
                "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?,"
                " acknowledged_at = ? WHERE id = ?",
                [actor, utcnow(), alert_id],
            )

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
