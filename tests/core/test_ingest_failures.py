"""A load that fails leaves no table, a clear message and a file that does not keep growing;
reserved column names are renamed at ingest."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from core import data
from core.db import datasets as datasets_db
from core.db import ingest as ingest_db
from core.db import projects as projects_db
from core.errors import IngestError


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "Failures", "tester")


def test_a_load_failing_at_its_last_line_leaves_nothing_and_no_growth(store, pid, tmp_path):
    path = tmp_path / "late break.csv"
    body = "".join(f"{i},{i * 0.5},w{i % 97}\n" for i in range(200_000))
    path.write_text("n,half,word\n" + body + "1,2,3,4,5\n")
    store.rows("CHECKPOINT")
    tables = store.table_names()
    sizes = []
    for _ in range(2):
        with pytest.raises(IngestError, match=r"Line 200002 of late break\.csv"):
            data.ingest_path(store, pid, path, name="late", actor="t")
        assert store.table_names() == tables
        assert datasets_db.list_datasets(store, pid) == []
        sizes.append(store.path.stat().st_size)
    # the second failure reuses the blocks the first one freed: the file does not grow again
    assert sizes[1] <= sizes[0] * 1.1


def test_a_full_disk_is_said_in_words():
    exc = duckdb.IOException('Could not write file "/d/wb.duckdb": No space left on device')
    text = ingest_db._ingest_message(exc, "/tmp/x/claims 2025.csv")
    assert "disk ran out of space while loading claims 2025.csv" in text
    assert "nothing was stored" in text and "WORKBENCH_DB" in text


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_reserved_row_id_column_is_renamed_with_a_message(store, pid, tmp_path, fmt):
    frame = pd.DataFrame({"__row_id": [7, 8], "__ROW_ID": [1, 2], "size": [3, 4]})
    path = tmp_path / f"ids.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_parquet(path)
    res = data.ingest_path(store, pid, path, name="ids", actor="t")
    cols = [c for c, _ in datasets_db.dataset_schema(store, res.dataset_id)]
    assert "__row_id" not in [c.lower() for c in cols]
    assert cols[0] == "__row_id_" and any("reserves" in m for m in res.messages)
    rows = datasets_db.dataset_frame(store, res.dataset_id, with_row_id=True)
    assert rows["__row_id"].tolist() == [0, 1] and rows["__row_id_"].tolist() == [7, 8]
