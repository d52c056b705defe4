"""The database: one DuckDB connection per file and server process, a cursor per
operation, every write one transaction with its audit row, identifiers quoted.

DESIGN
------
* One :class:`Database` per database file and server process; every operation opens its
  own ``cursor()`` because a shared DuckDB connection refuses concurrent calls.
* The schema is the numbered SQL files of :mod:`core.db.migrations`, recorded in
  ``schema_migrations``; applying them is idempotent, so opening a database twice changes
  nothing.
* Every write goes through :meth:`Database.write`: the actor's role is checked against
  :data:`core.access.RULES` first (a viewer's write raises ``PermissionDenied`` before any
  change), then one transaction that also appends a row to ``audit_log`` (who, when, what). A failed write rolls back both, and its own error is
  the one raised; a write that ran out of space (ENOSPC, EFBIG) is said in words once,
  here, as :class:`core.errors.DiskFullError` naming the database. Writes of one process take turns (the database's lock), so a version
  number or a "create if absent" decided inside the block is never lost to another session.
* Values go in as ``?`` parameters; names (tables, columns) only through :func:`qident`.
* What is stored lives in one repository module per stage (``core.db.datasets``,
  ``core.db.training`` …): functions that take the database first.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from core import access
from core.db import migrations
from core.db.clock import utcnow
from core.errors import DiskFullError, StoreOpenError, disk_full_message, is_disk_full


def qident(name: str) -> str:
    '''Quote a table or column name as a SQL identifier.

    >>> print(qident('my "col"'))
    "my ""col"""
    '''
    return '"' + str(name).replace('"', '""') + '"'


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


@contextmanager
def registered(cur: duckdb.DuckDBPyConnection, **frames: Any) -> Iterator[None]:
    """DataFrames or Arrow tables readable by SQL under their keyword names for the block
    (registered on the cursor, so on this operation only)."""
    for name, frame in frames.items():
        cur.register(name, frame)
    try:
        yield
    except BaseException:
        for name in frames:  # an aborted transaction refuses this: the error in flight matters
            with contextlib.suppress(duckdb.Error):
                cur.unregister(name)
        raise
    for name in frames:
        cur.unregister(name)


class Database:
    """A workbench database file: its connection, cursors, audited writes and schema."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock = threading.RLock()  # serialises schema changes and demo seeding
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
        # aggregate, an array instead of a hash table (see core.db.profile_scan.profile_scan)
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
            from core.db import jobs, training

            if training.fail_interrupted_runs(self) + jobs.interrupt_stale_jobs(self):
                # a process died mid-work: whatever it wrote past the last checkpoint (a
                # killed load's blocks) is garbage at the file's end; a checkpoint now,
                # with these marks to write, truncates it (best effort: a full disk)
                with contextlib.suppress(duckdb.Error):
                    self._con.execute("CHECKPOINT")
        except migrations.NewerSchemaError as exc:
            self._con.close()
            raise StoreOpenError(
                f"The database {self.path} was written by a newer version of the workbench "
                f"(its schema is {exc.database_version}; this version knows up to "
                f"{exc.code_version}), so it was not opened and nothing in it was changed. "
                "Run the newer workbench on it, or set WORKBENCH_DB to another file."
            ) from exc
        except duckdb.Error as exc:
            self._con.close()
            raise StoreOpenError(
                f"The database {self.path} could not be prepared: {exc}. If it is read-only, "
                "make it writable or set WORKBENCH_DB to another file."
            ) from exc

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the shared connection for one operation, closed afterwards."""
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def write(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: int | None = None,
        project_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, Any]]]:
        """One transaction with its audit row; the body may fill in ``audit['entity_id']``.

        ``actor`` is an :class:`core.access.Actor` (a plain name is a server-side process,
        see :func:`core.access.as_actor`); its role must allow ``action`` on ``entity``, else
        :class:`core.access.PermissionDenied` is raised and nothing is written.
        """
        who = access.check(actor, action, entity)
        audit: dict[str, Any] = {
            "entity_id": entity_id,
            "project_id": project_id,
            "detail": dict(detail or {}),
        }
        # one writer at a time in this process: a version number or a name checked inside
        # the block cannot be taken by another session before this transaction commits
        with self.lock, self.cursor() as cur:
            cur.begin()
            try:
                yield cur, audit
                cur.execute(
                    "INSERT INTO audit_log (logged_at, actor, action, entity, entity_id,"
                    " project_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        utcnow(),
                        who.name,
                        action,
                        entity,
                        audit["entity_id"],
                        audit["project_id"],
                        json.dumps(audit["detail"], default=str),
                    ],
                )
                cur.commit()
            except BaseException as exc:
                try:
                    cur.rollback()
                except duckdb.Error:
                    pass  # a failed commit ended the transaction: keep the original error
                if is_disk_full(exc) and not isinstance(exc, DiskFullError):
                    raise DiskFullError(disk_full_message(self.path)) from exc
                raise

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """All rows of a query as tuples."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """A query's result as a DataFrame (for tables a page shows)."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns the names applied now."""
        with self.lock, self.cursor() as cur:
            return migrations.apply(cur)

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT name FROM schema_migrations ORDER BY name")]

    def table_names(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT table_name FROM duckdb_tables() ORDER BY 1")]
