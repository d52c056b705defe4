from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(app_env: Path) -> AppTest:
    """The app on the demo project, home page already run once."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def own_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> Path:
    """The path of a fresh database for a project of the user's own (no demo seeded), with
    empty Streamlit caches before and after the test."""
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "own.duckdb"))
    monkeypatch.setenv("WORKBENCH_SEED_DEMO", "0")
    return tmp_path / "own.duckdb"
