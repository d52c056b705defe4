"""Local and hosted mode: which server paths may be read, the upload limit, the bind address.

Every refusal is checked in core (``core.data.ingest_path`` / ``ingest_upload``), whatever
page or script calls it, and stores nothing.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from core import config, data
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.errors import IngestError, StoreError

ROOT = Path(__file__).resolve().parents[2]
CSV = "size,colour\n1,red\n2,blue\n3,red\n"


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "Modes", "tester")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Local mode with no WORKBENCH_DATA_DIRS: the (temporary) home folder is allowed."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.delenv("WORKBENCH_DATA_DIRS", raising=False)
    monkeypatch.delenv("WORKBENCH_MODE", raising=False)
    (h / "items.csv").write_text(CSV)
    return h


def _refused(store, pid, path, *words: str) -> IngestError:
    tables, before = store.table_names(), datasets_db.list_datasets(store, pid)
    with pytest.raises(IngestError) as info:
        data.ingest_path(store, pid, path, name="x", actor="tester")
    for w in words:
        assert w in str(info.value)
    assert datasets_db.list_datasets(store, pid) == before
    assert store.table_names() == tables
    return info.value


def test_local_mode_reads_files_under_home_only(store, pid, home):
    assert config.mode() == "local"
    assert config.data_dirs() == [home.resolve()]
    res = data.ingest_path(store, pid, home / "items.csv", name="items", actor="tester")
    assert res.n_rows == 3


@pytest.mark.parametrize("path", ["/etc/shadow", "/etc/passwd", "/proc/self/environ"])
def test_system_files_are_refused_naming_path_and_setting(store, pid, home, path):
    exc = _refused(store, pid, path, path, "WORKBENCH_DATA_DIRS")
    assert exc.kind == "not_allowed"


def test_dotdot_escape_is_refused(store, pid, home):
    sneaky = f"{home}/../../../../etc/passwd"
    _refused(store, pid, sneaky, sneaky, "WORKBENCH_DATA_DIRS")


def test_symlink_out_of_an_allowed_folder_is_refused(store, pid, home):
    link = home / "innocent.csv"
    os.symlink("/etc/passwd", link)
    _refused(store, pid, link, "innocent.csv", "WORKBENCH_DATA_DIRS")


def test_folder_and_missing_file_are_clear(store, pid, home):
    (home / "sub").mkdir()
    _refused(store, pid, home / "sub", "not a regular file")
    _refused(store, pid, home / "nope.csv", "nope.csv", "cannot be found")


def test_hosted_mode_turns_server_paths_off(store, pid, home, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MODE", "hosted")
    assert not config.server_paths_enabled()
    _refused(store, pid, home / "items.csv", "is off", "WORKBENCH_DATA_DIRS", "hosted")


def test_hosted_mode_with_an_allow_list(store, pid, home, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "batch.csv").write_text(CSV)
    monkeypatch.setenv("WORKBENCH_MODE", "hosted")
    monkeypatch.setenv("WORKBENCH_DATA_DIRS", f"{shared}{os.pathsep}{tmp_path / 'other'}")
    assert data.ingest_path(store, pid, shared / "batch.csv", name="b", actor="t").n_rows == 3
    _refused(store, pid, home / "items.csv", "items.csv", str(shared))


def test_unknown_mode_names_the_setting(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MODE", "public")
    with pytest.raises(StoreError, match="WORKBENCH_MODE='public'"):
        config.mode()


def test_upload_limit_refuses_a_bigger_file_and_stores_nothing(store, pid, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MODE", "hosted")
    assert config.max_upload_mb() == 200
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "1")
    big = ("a,b\n" + "12345,67890\n" * 100_000).encode()  # 1.1 MB
    tables = store.table_names()
    with pytest.raises(IngestError, match=r"big\.csv is 1 MB.*1 MB.*WORKBENCH_MAX_UPLOAD_MB"):
        data.ingest_upload(store, pid, "big.csv", big, name="big", actor="t")
    assert store.table_names() == tables
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "2")
    assert data.ingest_upload(store, pid, "big.csv", big, name="big", actor="t").n_rows == 100_000


def test_upload_limit_holds_for_a_labels_file_too(monkeypatch):
    from core import labeling as L

    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "1")
    big = b"id,ann\n" + b"1,a\n" * 300_000
    with pytest.raises(L.LabelError, match=r"votes\.csv is 1 MB.*WORKBENCH_MAX_UPLOAD_MB"):
        L.read_labels_csv(big, filename="votes.csv")


def test_bad_upload_limit_names_the_setting(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "lots")
    with pytest.raises(StoreError, match="WORKBENCH_MAX_UPLOAD_MB='lots'"):
        config.max_upload_mb()


def test_local_server_binds_loopback_only():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["address"] == "127.0.0.1"
