"""The Spark entry points: ``python -m core.monitor --engine spark`` stores the profile the
DuckDB pass would have made; ``--grid``/``--output`` then ``--import-profiles`` carry it
from a cluster to the store; bad files are refused by name and change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.data.ingest import ingest_path
from core.db import projects as projects_db
from core.db.database import Database
from core.monitoring import spark as sp
from core.monitoring.cli import main
from core.monitoring.profile_store import get_profile, profile_dataset
from tests.core.test_spark import spark_or_skip


@pytest.fixture(scope="module")
def spark():
    s = spark_or_skip()
    yield s
    s.stop()


def _frame(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    level = rng.normal(shift, 1, n)
    level[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"level": level,
                         "kind": rng.choice(["p", "q", "r", "s"] if shift else ["p", "q", "r"], n),
                         "batch": rng.integers(0, 3, n)})


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("site")
    rng = np.random.default_rng(3)
    ref, cur = _frame(rng, 3000, 0.0), _frame(rng, 3000, 0.8)
    pq.write_table(pa.Table.from_pandas(ref, preserve_index=False), root / "ref.parquet")
    pq.write_table(pa.Table.from_pandas(cur, preserve_index=False), root / "cur.parquet")
    (root / "lake").mkdir()
    for k in range(2):
        part = cur.iloc[k * 1500:(k + 1) * 1500]
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False),
                       root / "lake" / f"part-{k}.parquet")
    db = root / "wb.duckdb"
    store = Database(db)
    pid = projects_db.create_project(store, "Site", "t")
    ingest_path(store, pid, root / "ref.parquet", name="train", actor="t", role="training")
    store.close()
    return {"root": root, "db": str(db)}


def _args(site, *extra: str) -> list[str]:
    return ["--db", site["db"], "--project", "Site", "--windows", "column:batch",
            "--driver-memory", "512m", *extra]


def _duckdb_profile(site, profile_id: int):
    """The stored profile and the DuckDB pass's profile of the same rows on its grid."""
    store = Database(site["db"])
    try:
        stored = get_profile(store, profile_id)
        pid = projects_db.list_projects(store)[0].id
        did = ingest_path(store, pid, site["root"] / "cur.parquet", name=f"cur{profile_id}",
                          actor="t", role="production").dataset_id
        duck = get_profile(store, profile_dataset(
            store, did, reference_profile_id=stored.reference_profile_id,
            batch_column="batch"))
        n_profiles = len(store.rows("SELECT id FROM profiles"))
    finally:
        store.close()
    return stored, duck, n_profiles


def test_engine_spark_stores_the_profile_duckdb_would_make(spark, site, capsys):
    lake = str(site["root"] / "lake")
    assert main(_args(site, "--engine", "spark", "--current", lake)) == 0
    out = capsys.readouterr().out
    assert "profile " in out and "3,000 rows" in out and "columns drifted" in out
    pid = int(out.split("profile ", 1)[1].split(":", 1)[0])
    stored, duck, _ = _duckdb_profile(site, pid)
    assert stored.dataset_id is None
    assert sp.profile_differences(duck, stored, rel=1e-12) == []


def test_a_cluster_job_writes_rows_the_workbench_imports(spark, site, tmp_path, capsys):
    grid, rows = tmp_path / "grid.json", tmp_path / "rows.parquet"
    assert main(_args(site, "--export-grid", str(grid))) == 0
    # on the cluster: no store, only the grid file
    remote = ["--db", str(tmp_path / "absent" / "wb.duckdb"), "--project", "Site",
              "--windows", "column:batch", "--engine", "spark", "--grid", str(grid),
              "--current", str(site["root"] / "lake"), "--output", str(rows)]
    assert main(remote) == 0
    assert not (tmp_path / "absent").exists()  # the job never touched a store
    assert "written to" in capsys.readouterr().out
    assert main(_args(site, "--import-profiles", str(rows))) == 0
    out = capsys.readouterr().out
    pid = int(out.split("profile ", 1)[1].split(":", 1)[0])
    stored, duck, _ = _duckdb_profile(site, pid)
    assert sp.profile_differences(duck, stored, rel=1e-12) == []


def test_bad_profile_files_are_refused_by_name_and_store_nothing(site, tmp_path, capsys):
    store = Database(site["db"])
    before = len(store.rows("SELECT id FROM profiles"))
    store.close()
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    assert main(_args(site, "--import-profiles", str(junk))) == 2
    assert "junk.parquet" in capsys.readouterr().err
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1, 2]}), other)
    assert main(_args(site, "--import-profiles", str(other))) == 2
    assert "holds no profile rows" in capsys.readouterr().err
    bad_grid = tmp_path / "grid.json"
    bad_grid.write_text(json.dumps({"format": "something else"}))
    assert main(["--project", "Site", "--engine", "spark", "--grid", str(bad_grid),
                 "--current", "x", "--output", str(tmp_path / "o.parquet")]) == 2
    assert "grid.json" in capsys.readouterr().err
    store = Database(site["db"])
    assert len(store.rows("SELECT id FROM profiles")) == before
    store.close()


def test_rows_binned_on_another_grid_are_refused(spark, site, tmp_path, capsys):
    grid, rows = tmp_path / "grid.json", tmp_path / "rows.parquet"
    assert main(_args(site, "--export-grid", str(grid))) == 0
    doc = json.loads(grid.read_text())
    doc["spec"]["level"]["w"] *= 2  # a grid this store's reference never had
    grid.write_text(json.dumps(doc))
    assert main(["--project", "Site", "--windows", "all", "--engine", "spark", "--grid",
                 str(grid), "--current", str(site["root"] / "lake"), "--output",
                 str(rows), "--driver-memory", "512m"]) == 0
    capsys.readouterr()
    assert main(_args(site, "--import-profiles", str(rows))) == 2
    assert "another grid" in capsys.readouterr().err


def test_missing_current_is_named(site, capsys):
    assert main(_args(site, "--engine", "spark")) == 2
    assert "--current" in capsys.readouterr().err
    assert Path(site["db"]).exists()
