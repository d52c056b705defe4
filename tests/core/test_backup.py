"""Backup and restore of a project: one zip archive, checked by hash, imported with new ids."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from core import backup, projects
from core.access import Actor, PermissionDenied, Role
from core.db import projects as projects_db
from core.db import training as training_db
from core.db.database import Database
from core.errors import WorkbenchError
from core.training import registry

EDITOR = Actor("ed@example.org", Role.EDITOR)


def _demo_id(store: Database) -> int:
    return next(p.id for p in projects_db.list_projects(store) if p.is_demo)


def _counts(store: Database, pid: int, tables: list[str]) -> dict[str, int]:
    return {t: store.rows(f"SELECT count(*) FROM {t} WHERE project_id = ?", [pid])[0][0]
            for t in tables}


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory, _demo_db_template: Path) -> Path:
    """The demo project exported once (from a copy of the seeded demo database)."""
    import shutil

    folder = tmp_path_factory.mktemp("archive")
    db_path = folder / "source.duckdb"
    shutil.copy(_demo_db_template, db_path)
    store = Database(db_path)
    try:
        backup.export_project(store, _demo_id(store), folder / "demo.zip", EDITOR)
    finally:
        store.close()
    return folder / "demo.zip"


def test_a_project_comes_back_whole_under_new_ids(demo_store: Database, demo_archive: Path):
    pid = _demo_id(demo_store)
    manifest = json.loads(zipfile.ZipFile(demo_archive).read("manifest.json"))
    assert manifest["exported_by"] == "ed@example.org"
    assert {"scoping_briefs", "column_roles", "alert_policies", "runs", "predictions",
            "model_versions", "labels", "monitor_runs"} <= set(manifest["tables"])
    assert len(manifest["models"]) == 2  # the champion's and the challenger's files
    result = backup.import_project(demo_store, demo_archive, EDITOR)
    assert result.project_id != pid and result.name == "Claims triage (demo) (imported 1)"
    tables = sorted(manifest["tables"])
    assert _counts(demo_store, result.project_id, tables) == _counts(demo_store, pid, tables)
    frame_old = projects.datasets_frame(demo_store, pid)
    frame_new = projects.datasets_frame(demo_store, result.project_id)
    assert frame_new["hash"].tolist() == frame_old["hash"].tolist()  # same data versions
    # every id is new and every reference points inside the imported project
    new_runs = training_db.list_runs(demo_store, result.project_id)
    old_runs = {r.id for r in training_db.list_runs(demo_store, pid)}
    assert new_runs and not {r.id for r in new_runs} & old_runs
    new_ds = {r[0] for r in demo_store.rows(
        "SELECT id FROM datasets WHERE project_id = ?", [result.project_id])}
    assert {r.dataset_id for r in new_runs} <= new_ds
    # the champion's model file was restored, and loads because its hash matches
    champion = registry.get_champion(demo_store, result.project_id)
    assert champion is not None and champion.artifact_path.startswith(f"{result.project_id}/")
    assert registry.load_artifact(champion.artifact_path, champion.artifact_sha256) is not None
    # predictions still join their dataset rows (row identity kept by row order)
    joined = demo_store.rows(
        "SELECT count(*) FROM predictions p JOIN runs r ON r.id = p.run_id"
        " WHERE p.project_id = ? AND r.id = ?", [result.project_id, champion.run_id])[0][0]
    assert joined > 0
    exports = projects_db.list_audit(demo_store, pid)
    assert "export" not in set(exports["action"])  # the archive came from another copy
    backup.export_project(demo_store, pid, io.BytesIO(), Actor("vera@x.org", Role.VIEWER))
    last = projects_db.list_audit(demo_store, pid, limit=1)
    assert last[["actor", "action"]].values.tolist() == [["vera@x.org", "export"]]
    audit = projects_db.list_audit(demo_store, result.project_id)
    assert (audit["action"] == "import").sum() == 1
    assert audit["actor"].iloc[-1] == "ed@example.org"


def _rewrite(archive: Path, dest: Path, change) -> Path:
    """A copy of ``archive`` whose members pass through ``change(name, data) -> data|None``."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(dest, "w") as out:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                out.writestr(info.filename, data)
        extra = change("__extra__", b"")
        if extra:
            out.writestr("tables/evil.parquet", extra)
    return dest


def _flip(name: str, data: bytes) -> bytes | None:
    if name == "tables/scoping_briefs.parquet":
        return data[:100] + bytes([data[100] ^ 1]) + data[101:]
    return None if name == "__extra__" else data


@pytest.mark.parametrize("change, message", [
    (_flip, "tables/scoping_briefs.parquet does not match the SHA-256"),
    (lambda n, d: None if n in ("manifest.json", "__extra__") else d, "has no manifest.json"),
    (lambda n, d: b"x" if n == "__extra__" else d, "holds files its manifest does not list"),
    (lambda n, d: None if n.startswith("models/") or n == "__extra__" else d,
     "files listed in its manifest are missing"),
    (lambda n, d: json.dumps({**json.loads(d), "files": {"../../etc/x": {}}}).encode()
     if n == "manifest.json" else (None if n == "__extra__" else d), "unexpected names"),
    (lambda n, d: json.dumps({**json.loads(d), "schema": [*json.loads(d)["schema"],
                                                          "9999_future"]}).encode()
     if n == "manifest.json" else (None if n == "__extra__" else d),
     "exported by a newer workbench \\(schema 9999_future; this one has 00"),
])
def test_a_changed_archive_is_refused_and_nothing_stored(
        demo_store: Database, demo_archive: Path, tmp_path: Path, change, message):
    bad = _rewrite(demo_archive, tmp_path / "changed.zip", change)
    before = _counts(demo_store, 0, ["audit_log"]) | {
        "projects": len(projects_db.list_projects(demo_store))}
    with pytest.raises(WorkbenchError, match=message) as info:
        backup.import_project(demo_store, bad, EDITOR)
    assert "The file changed.zip cannot be imported" in str(info.value)
    assert "Nothing was imported" in str(info.value)
    after = _counts(demo_store, 0, ["audit_log"]) | {
        "projects": len(projects_db.list_projects(demo_store))}
    assert after == before


def test_a_model_file_that_does_not_hash_as_its_run_recorded_is_refused(
        demo_store: Database, demo_archive: Path, tmp_path: Path):
    """A consistent rewrite (model and manifest changed together) still fails: the runs
    table records the model's hash."""
    with zipfile.ZipFile(demo_archive) as src:
        manifest = json.loads(src.read("manifest.json"))
        member = sorted(manifest["models"].values())[0]
        forged = src.read(member) + b"\0"
        import hashlib

        manifest["files"][member]["sha256"] = hashlib.sha256(forged).hexdigest()
        with zipfile.ZipFile(tmp_path / "forged.zip", "w") as out:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == member:
                    data = forged
                elif info.filename == "manifest.json":
                    data = json.dumps(manifest).encode()
                out.writestr(info.filename, data)
    with pytest.raises(WorkbenchError, match="does not hash as its run recorded"):
        backup.import_project(demo_store, tmp_path / "forged.zip", EDITOR)


def test_not_a_zip_and_a_viewer_are_refused(demo_store: Database, demo_archive: Path):
    with pytest.raises(WorkbenchError, match="not a zip archive"):
        backup.import_project(demo_store, io.BytesIO(b"PK but not really"), EDITOR,
                              label="The file x.zip")
    viewer = Actor("vera@example.org", Role.VIEWER)
    with pytest.raises(PermissionDenied, match="may not import project"):
        backup.import_project(demo_store, demo_archive, viewer)


def test_deleting_a_project_removes_its_model_files(demo_store: Database):
    pid = _demo_id(demo_store)
    paths = [registry.artifact_root() / r.artifact_path
             for r in training_db.list_runs(demo_store, pid) if r.artifact_path]
    assert paths and all(p.is_file() for p in paths)
    stranger = registry.artifact_root() / str(pid) / "other_database_model.skops"
    stranger.write_bytes(b"a model another database file saved under the same project id")
    projects.delete_project(demo_store, pid, "admin")
    assert not any(p.exists() for p in paths)
    assert stranger.exists()  # only the files this project's runs point to are removed


def test_the_command_line_exports_and_imports(demo_db: Path, tmp_path: Path, capsys):
    out = tmp_path / "cli.zip"
    assert backup.main(["--db", str(demo_db), "export", "--project", "Claims triage (demo)",
                        "--out", str(out)]) == 0
    assert "3 datasets, 2 model files" in capsys.readouterr().out
    target = tmp_path / "other.duckdb"
    assert backup.main(["--db", str(target), "import", str(out), "--name", "Claims copy"]) == 0
    assert "as project 'Claims copy'" in capsys.readouterr().out
    assert backup.main(["--db", str(target), "export", "--project", "Nope",
                        "--out", str(out)]) == 2
    assert "--project: no project is named 'Nope'" in capsys.readouterr().err
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert backup.main(["--db", str(target), "import", str(tmp_path / "junk.zip")]) == 2
    assert "junk.zip cannot be imported" in capsys.readouterr().err
    store = Database(target)
    try:
        frame = projects.datasets_frame(store, projects_db.list_projects(store)[0].id)
        assert isinstance(frame, pd.DataFrame) and len(frame) == 3
    finally:
        store.close()
