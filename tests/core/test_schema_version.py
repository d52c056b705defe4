"""A database written by a newer workbench is refused with both schema versions named."""

from __future__ import annotations

import duckdb
import pytest

from core.db import migrations
from core.db.database import Database
from core.errors import StoreOpenError


def _from_the_future(path) -> list[tuple]:
    Database(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES ('9001_jobs', now())")
    state = con.execute("SELECT * FROM audit_log ORDER BY ALL").fetchall()
    con.close()
    return state


def test_newer_database_is_refused_naming_both_versions_and_left_untouched(tmp_path):
    path = tmp_path / "newer.duckdb"
    audit = _from_the_future(path)
    newest_here = migrations.migrations()[-1][0]
    with pytest.raises(StoreOpenError) as info:
        Database(path)
    text = str(info.value)
    assert str(path) in text and "9001_jobs" in text and newest_here in text
    assert "newer version of the workbench" in text
    con = duckdb.connect(str(path))  # the refusal closed the file and changed nothing
    assert con.execute("SELECT * FROM audit_log ORDER BY ALL").fetchall() == audit
    con.close()
