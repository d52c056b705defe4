"""The schema as numbered SQL files (``0001_initial.sql`` …), applied in name order.

Each file runs in one transaction together with its row in ``schema_migrations``, so a
file is applied completely or not at all, and re-applying the set is a no-op. A new
table or column is a new file; an applied file is never edited.

The schema's version is the name of its newest migration. A database that records a
migration this code does not have was written by a newer workbench: it is refused before
anything is applied or written (:class:`NewerSchemaError`), never opened "without a word".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.db.clock import utcnow

FOLDER = Path(__file__).parent


def migrations() -> list[tuple[str, str]]:
    """(name, SQL) of every migration file, in order."""
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(FOLDER.glob("[0-9]*.sql"))]


class NewerSchemaError(Exception):
    """The database holds migrations this code does not know: a newer workbench wrote it."""

    def __init__(self, database_version: str, code_version: str, unknown: list[str]):
        super().__init__(
            f"schema {database_version} is newer than this workbench's schema {code_version} "
            f"(unknown migration(s): {', '.join(unknown)})"
        )
        self.database_version = database_version
        self.code_version = code_version
        self.unknown = unknown


def check_version(done: set[str], known: list[str]) -> None:
    """Refuse a database that records a migration ``known`` lacks (a newer schema).

    >>> check_version({"0001_a", "0002_b"}, ["0001_a", "0002_b", "0003_c"])
    >>> check_version({"0001_a", "0009_z"}, ["0001_a", "0002_b"])
    Traceback (most recent call last):
    ...
    core.db.migrations.NewerSchemaError: schema 0009_z is newer than this workbench's schema 0002_b (unknown migration(s): 0009_z)
    """
    unknown = sorted(done - set(known))
    if unknown:
        raise NewerSchemaError(max(done), max(known) if known else "none", unknown)


def apply(cur: Any) -> list[str]:
    """Apply the migrations not yet recorded on this cursor; returns the names applied.

    Raises NewerSchemaError, before changing anything, when the database is newer.
    """
    cur.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    done = {r[0] for r in cur.execute("SELECT name FROM schema_migrations").fetchall()}
    check_version(done, [name for name, _ in migrations()])
    applied: list[str] = []
    for name, sql in migrations():
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
        applied.append(name)
    return applied
