"""The app on a database from a newer workbench: one message naming both versions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.db.database import Database

ROOT = Path(__file__).resolve().parents[2]


def test_newer_database_gets_a_message_not_a_traceback(monkeypatch, tmp_path):
    db = tmp_path / "newer.duckdb"
    Database(db).close()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_migrations VALUES ('9001_jobs', now())")
    con.close()
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert len(at.error) == 1
        assert "9001" in at.error[0].value and "newer version" in at.error[0].value
    finally:
        st.cache_resource.clear()
