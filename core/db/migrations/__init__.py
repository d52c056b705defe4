"""The schema as numbered SQL files (``0001_initial.sql`` …), applied in name order.

Each file runs in one transaction together with its row in ``schema_migrations``, so a
file is applied completely or not at all, and re-applying the set is a no-op. A new
table or column is a new file; an applied file is never edited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.db.clock import utcnow

FOLDER = Path(__file__).parent


def migrations() -> list[tuple[str, str]]:
    """(name, SQL) of every migration file, in order."""
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(FOLDER.glob("[0-9]*.sql"))]


def apply(cur: Any) -> list[str]:
    """Apply the migrations not yet recorded on this cursor; returns the names applied."""
    cur.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
    done = {r[0] for r in cur.execute("SELECT name FROM schema_migrations").fetchall()}
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
