"""A database that cannot be opened gets one clear message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_caches():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def _run(monkeypatch, db: Path) -> AppTest:
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    return at


def test_not_a_database(monkeypatch, tmp_path):
    db = tmp_path / "report.duckdb"
    db.write_bytes(b"quarterly report" * 64)
    at = _run(monkeypatch, db)
    assert not at.exception
    assert len(at.error) == 1 and str(db) in at.error[0].value
    assert db.read_bytes() == b"quarterly report" * 64


def test_unwritable_folder(monkeypatch, tmp_path):
    blocker = tmp_path / "plain_file"
    blocker.write_text("x")
    at = _run(monkeypatch, blocker / "db" / "w.duckdb")
    assert not at.exception
    assert len(at.error) == 1 and "WORKBENCH_DB" in at.error[0].value
