from __future__ import annotations

import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.db.migrations import migrations
from core.errors import StoreError, StoreOpenError


def test_migrations_applied_once_and_idempotent(tmp_path):
    path = tmp_path / "w.duckdb"
    s = Database(path)
    assert s.applied_migrations() == sorted(name for name, _ in migrations())
    tables = s.table_names()
    s.close()
    s2 = Database(path)
    assert s2.migrate() == []  # nothing left to apply
    assert s2.table_names() == tables
    assert s2.applied_migrations() == sorted(name for name, _ in migrations())
    s2.close()


def test_every_write_is_audited(store):
    pid = projects_db.create_project(store, "P", "alice", "desc")
    did = datasets_db.insert_dataset(store, pid, "d", pd.DataFrame({"a": [1, 2]}), source="t", role="training",
                               actor="bob")
    projects_db.delete_project(store, pid, "carol")
    audit = projects_db.list_audit(store)
    assert list(zip(audit["actor"], audit["action"], audit["entity"], strict=True)) == [
        ("carol", "delete", "project"),
        ("bob", "create", "dataset"),
        ("alice", "create", "project"),
    ]
    assert audit["entity_id"].tolist()[1] == did


def test_failed_write_rolls_back_data_and_audit(store):
    pid = projects_db.create_project(store, "P", "alice")
    n_audit = len(projects_db.list_audit(store))
    bad = pd.DataFrame({"a": [1]})
    with pytest.raises(StoreError):
        datasets_db.insert_dataset(store, pid, "d", bad, source="t", role="nonsense", actor="a")
    with pytest.raises(Exception):  # noqa: B017 - whatever the failure, nothing may remain
        datasets_db.insert_dataset(store, pid, "d", object(), source="t", role="training", actor="a")
    assert datasets_db.list_datasets(store, pid) == []
    assert len(projects_db.list_audit(store)) == n_audit
    assert [t for t in store.table_names() if t.startswith("ds_")] == []


def test_dataset_roundtrip_and_content_hash(store):
    pid = projects_db.create_project(store, "P", "a")
    df = pd.DataFrame({"x": [1.5, np.nan, 3.0], "odd name \"q\"": ["a", "b", None]})
    d1 = datasets_db.insert_dataset(store, pid, "one", df, source="t", role="training", actor="a")
    d2 = datasets_db.insert_dataset(store, pid, "two", df.iloc[::-1], source="t", role="training", actor="a")
    d3 = datasets_db.insert_dataset(store, pid, "three", df.assign(x=[1.5, 2.0, 3.0]), source="t",
                              role="training", actor="a")
    one, two, three = (datasets_db.get_dataset(store, i) for i in (d1, d2, d3))
    assert (one.n_rows, one.n_cols) == (3, 2)
    assert one.content_hash == two.content_hash  # row order does not change the version
    assert one.content_hash != three.content_hash
    back = datasets_db.dataset_frame(store, d1, with_row_id=True)
    assert back["__row_id"].tolist() == [0, 1, 2]
    assert back["odd name \"q\""].tolist()[:2] == ["a", "b"]


def test_duplicate_names_are_refused(store):
    pid = projects_db.create_project(store, "P", "a")
    with pytest.raises(StoreError, match="exists already"):
        projects_db.create_project(store, " P ", "a")
    datasets_db.insert_dataset(store, pid, "d", pd.DataFrame({"a": [1]}), source="t", role="other", actor="a")
    with pytest.raises(StoreError, match="already"):
        datasets_db.insert_dataset(store, pid, "d", pd.DataFrame({"a": [1]}), source="t", role="other", actor="a")


def test_delete_project_drops_its_tables_only(store):
    p1 = projects_db.create_project(store, "P1", "a")
    p2 = projects_db.create_project(store, "P2", "a")
    d1 = datasets_db.insert_dataset(store, p1, "d", pd.DataFrame({"a": [1]}), source="t", role="other", actor="a")
    d2 = datasets_db.insert_dataset(store, p2, "d", pd.DataFrame({"a": [1]}), source="t", role="other", actor="a")
    t1, t2 = datasets_db.get_dataset(store, d1).table_name, datasets_db.get_dataset(store, d2).table_name
    projects_db.delete_project(store, p1, "a")
    assert projects_db.get_project(store, p1) is None and datasets_db.get_dataset(store, d1) is None
    assert t1 not in store.table_names() and t2 in store.table_names()


def test_split_storage(store):
    pid = projects_db.create_project(store, "P", "a")
    did = datasets_db.insert_dataset(store, pid, "d", pd.DataFrame({"a": range(10)}), source="t", role="training",
                               actor="a")
    assign = pd.DataFrame({"row_id": range(10), "part": ["train"] * 6 + ["dev"] * 2 + ["test"] * 2,
                           "ladder": [0.5] * 3 + [1.0] * 3 + [None] * 4})
    sid = splits_db.insert_split(store, pid, did, "s", assign, method="manual", target=None, params={},
                             actor="a")
    split = splits_db.get_split(store, sid)
    assert (split.n_train, split.n_dev, split.n_test) == (6, 2, 2)
    small = splits_db.split_frame(store, sid, ["a"], parts=["train"], max_ladder=0.5)
    assert small["a"].tolist() == [0, 1, 2]
    sid2 = splits_db.insert_split(store, pid, did, "s2", assign, method="manual", target=None, params={},
                              actor="a")
    assert splits_db.get_split(store, sid2).content_hash == split.content_hash


def test_not_a_duckdb_file_is_left_untouched(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("my precious notes\n" * 100)
    with pytest.raises(StoreOpenError, match="not a DuckDB database"):
        Database(path)
    assert path.read_text() == "my precious notes\n" * 100


def test_unwritable_folder_gives_clear_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreOpenError, match="WORKBENCH_DB"):
        Database(blocker / "sub" / "w.duckdb")


def test_locked_database_gives_clear_message(tmp_path):
    path = tmp_path / "w.duckdb"
    Database(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); "
         "sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreOpenError, match="in use by another process"):
            Database(path)
    finally:
        holder.communicate("\n", timeout=30)
    Database(path).close()  # usable again once released


def test_duckdb_is_only_imported_here():
    assert duckdb.__version__.startswith("2.")


def test_memory_limit_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DUCKDB_MEMORY", "700MB")
    s = Database(tmp_path / "m.duckdb")
    (limit,) = s.rows("SELECT current_setting('memory_limit')")[0]
    s.close()
    assert limit.endswith("MB") or limit.endswith("MiB")
    monkeypatch.setenv("WORKBENCH_DUCKDB_MEMORY", "plenty")
    with pytest.raises(StoreOpenError, match="not a memory size"):
        Database(tmp_path / "n.duckdb")


def test_runs_left_running_by_a_stopped_process_are_marked_failed(tmp_path):
    path = tmp_path / "r.duckdb"
    s = Database(path)
    pid = projects_db.create_project(s, "P", "a")
    rid = training_db.insert_run(s, pid, "a", name="crashed", model_kind="logreg")
    assert training_db.get_run(s, rid).status == "running"
    s.close()
    s = Database(path)  # the next start of the workbench
    run = training_db.get_run(s, rid)
    assert run.status == "failed" and "Interrupted" in run.error
    assert "interrupt" in projects_db.list_audit(s, pid)["action"].tolist()
    s.close()


def test_concurrent_writes_are_never_lost(store):
    """16 sessions (threads on one database) save at once: every brief version and every
    project is stored once; a same-name project is refused with a message, never a trace."""
    import threading

    from core.db import projects as projects_db
    from core.db import scoping as scoping_db
    from core.errors import StoreError

    pid = projects_db.create_project(store, "Shared", "t")
    versions, errors, refused = [], [], []

    def save(i: int) -> None:
        try:
            versions.append(scoping_db.insert_brief_version(store, pid, "{}", f"n{i}", f"u{i}"))
            projects_db.create_project(store, f"P{i}", f"u{i}")
            projects_db.create_project(store, "Same name", f"u{i}")
        except StoreError as exc:
            refused.append(str(exc))
        except Exception as exc:  # a raw error is a failure of the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=save, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(versions) == list(range(1, 17))
    names = [p.name for p in projects_db.list_projects(store)]
    assert sorted(n for n in names if n.startswith("P")) == sorted(f"P{i}" for i in range(16))
    assert names.count("Same name") == 1
    assert len(refused) == 15 and all("exists already" in r for r in refused)


def test_a_failed_statement_inside_registered_keeps_its_own_error(tmp_path):
    """An error inside ``registered`` aborts DuckDB's transaction; unregistering then fails
    too, and must not hide the first error (a page would show 'transaction is aborted')."""
    import duckdb
    import pandas as pd

    from core.db.database import registered

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("CREATE TABLE t (x INTEGER NOT NULL)")
    con.begin()
    with pytest.raises(duckdb.ConstraintException), registered(
            con, _frame=pd.DataFrame({"x": [None]})):
        con.execute("INSERT INTO t SELECT x FROM _frame")
    con.rollback()
    con.close()
