"""Shared fixtures: temp stores, a demo database built once per session, AppTest setup."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# One OpenMP thread per test process: pytest runs one worker per core (pytest.ini), and
# scikit-learn's histogram boosting crawls when two workers each start a thread per core.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Models saved by tests (the demo's champion included) go to a temp folder, never data/.
SESSION_ARTIFACTS = os.environ["WORKBENCH_ARTIFACTS"] = tempfile.mkdtemp(prefix="wb-artifacts-")
# Files that tests load by server path live in the temp folder (pytest's tmp_path).
os.environ.setdefault("WORKBENCH_DATA_DIRS", tempfile.gettempdir())

import pytest  # noqa: E402

from core.db.database import Database  # noqa: E402
from core.demo import seed_demo  # noqa: E402


@pytest.fixture(autouse=True)
def _private_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test saves models in its own folder, which starts with the seeded demo's model
    files: deleting a project deletes its model files, and temp databases reuse project ids."""
    private = tmp_path / "artifacts"
    shutil.copytree(SESSION_ARTIFACTS, private, dirs_exist_ok=True)
    monkeypatch.setenv("WORKBENCH_ARTIFACTS", str(private))


@pytest.fixture
def store(tmp_path: Path) -> Database:
    s = Database(tmp_path / "test.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def _demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    s = Database(path)
    seed_demo(s)
    s.close()
    return path


@pytest.fixture
def demo_db(_demo_db_template: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded demo database (seeding once keeps the suite fast)."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(_demo_db_template, path)
    return path


@pytest.fixture
def demo_store(demo_db: Path) -> Database:
    s = Database(demo_db)
    yield s
    s.close()


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Empty Streamlit caches before and after the test."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()  # closes the store so the next test may open its file


@pytest.fixture
def app_env(demo_db: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> Path:
    """Point the app at a private demo database and start with empty Streamlit caches."""
    monkeypatch.setenv("WORKBENCH_DB", str(demo_db))
    return demo_db
