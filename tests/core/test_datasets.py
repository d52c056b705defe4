"""Ingest of CSV/Parquet (every kind of bad input), column names and type detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import data
from core.db import datasets as datasets_db
from core.db import ingest as ingest_db
from core.db import projects as projects_db
from core.db import scans as scans_db
from core.errors import IngestError, StoreError


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "P", "tester")


def _write(tmp_path: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def _nothing_stored(store, pid, tables_before):
    assert datasets_db.list_datasets(store, pid) == []
    assert store.table_names() == tables_before


def _ingest(store, pid, path, name="d", **kw):
    return data.ingest_path(store, pid, path, name=name, actor="tester", **kw)


def test_csv_loads_with_sniffed_delimiter_and_content_hash(store, pid, tmp_path):
    p = _write(tmp_path, "a.csv", "x;y;city\n1;2.5;NY\n2;3.5;Boston\n3;;Paris\n")
    progress = []
    r = _ingest(store, pid, p, progress=lambda f, m: progress.append(f))
    assert (r.n_rows, r.n_cols, r.delimiter, r.encoding) == (3, 3, ";", "utf-8")
    assert progress[0] == 0.0 and progress[-1] == 1.0
    frame = datasets_db.dataset_frame(store, r.dataset_id)
    assert frame["city"].tolist() == ["NY", "Boston", "Paris"]
    assert datasets_db.dataset_schema(store, r.dataset_id) == [
        ("x", "BIGINT"),
        ("y", "DOUBLE"),
        ("city", "VARCHAR"),
    ]
    # the same rows written as Parquet give the same data version
    pq = tmp_path / "a.parquet"
    frame.to_parquet(pq)
    r2 = _ingest(store, pid, pq, name="pq")
    assert r2.content_hash == r.content_hash
    assert datasets_db.get_dataset(store, r.dataset_id).source == "file a.csv"


def test_odd_column_names_work_or_are_renamed(store, pid, tmp_path):
    header = '"x ""q""",my col,select,"",é,A,a,rowid,order\n'
    p = _write(tmp_path, "odd.csv", header + "1,2,3,4,5,6,7,8,9\n10,20,30,40,50,60,70,80,90\n")
    r = _ingest(store, pid, p)
    names = [c for c, _ in datasets_db.dataset_schema(store, r.dataset_id)]
    assert names == [
        'x "q"',
        "my col",
        "select",
        "column_4",
        "é",
        "A",
        "a_2",
        "rowid_",
        "order",
    ]
    assert any("column_4" in m for m in r.messages) and any("a_2" in m for m in r.messages)
    assert any("rowid_" in m for m in r.messages)
    # every later stage copes with them: row identity, types, quality report
    frame = datasets_db.dataset_frame(store, r.dataset_id, with_row_id=True)
    assert frame["__row_id"].tolist() == [0, 1]
    assert frame['x "q"'].tolist() == [1, 10]
    report = data.build_report(store, r.dataset_id, "tester")
    assert [c["column"] for c in report.columns] == names


@pytest.mark.parametrize(
    ("content", "kind", "words"),
    [
        (b"", "empty", "empty"),
        (b"\n\n  \n", "empty", "blank"),
        (b"a,b,c\n", "no_rows", "no data rows"),
        (b"PK\x03\x04rest-of-a-zip", "format", "Excel"),
    ],
)
def test_empty_and_header_only_files_store_nothing(store, pid, tmp_path, content, kind, words):
    before = store.table_names()
    with pytest.raises(IngestError, match=words) as err:
        _ingest(store, pid, _write(tmp_path, "bad.csv", content))
    assert err.value.kind == kind
    _nothing_stored(store, pid, before)


def test_wrong_delimiter_is_explained(store, pid, tmp_path):
    p = _write(tmp_path, "semi.csv", "a;b;c\n1;2;3\n4;5;6\n")
    before = store.table_names()
    with pytest.raises(IngestError, match="probably ';'") as err:
        _ingest(store, pid, p, options=data.CsvOptions(delimiter=","))
    assert err.value.kind == "delimiter"
    _nothing_stored(store, pid, before)


def test_broken_line_is_named(store, pid, tmp_path):
    p = _write(tmp_path, "ragged.csv", "a,b\n1,2\n3,4,5,6\n" + "7,8\n" * 10)
    with pytest.raises(IngestError, match="Line 3 .* 4 fields where the header has 2"):
        _ingest(store, pid, p, options=data.CsvOptions(delimiter=","))
    with pytest.raises(IngestError, match="probably ','"):
        _ingest(store, pid, p)
    assert datasets_db.list_datasets(store, pid) == []


def test_encodings_latin1_utf16_bom_and_mixed(store, pid, tmp_path):
    latin = _write(tmp_path, "latin.csv", "city,n\nMünchen,1\nKöln,2\n", "latin-1")
    r = _ingest(store, pid, latin, name="latin")
    assert r.encoding == "latin-1"
    assert datasets_db.dataset_frame(store, r.dataset_id)["city"].tolist() == ["München", "Köln"]
    u16 = _write(tmp_path, "u16.csv", "city,n\nZürich,1\n", "utf-16")
    assert (
        datasets_db.dataset_frame(store, _ingest(store, pid, u16, name="u16").dataset_id)["city"][0] == "Zürich"
    )
    bom = _write(tmp_path, "bom.csv", b"\xef\xbb\xbfa,b\n1,2\n")
    assert [
        c for c, _ in datasets_db.dataset_schema(store, _ingest(store, pid, bom, name="bom").dataset_id)
    ] == ["a", "b"]
    mixed = _write(
        tmp_path,
        "mixed.csv",
        "city,n\nMünchen,1\n".encode() + "Köln,2\n".encode("latin-1"),
    )
    assert data.detect_encoding(mixed)[0] == "mixed"
    r = _ingest(store, pid, mixed, name="mixed")
    assert datasets_db.dataset_frame(store, r.dataset_id)["city"].tolist() == ["München", "Köln"]
    assert any("Windows-1252" in m for m in r.messages)
    # forcing UTF-8 on the mixed file fails cleanly, naming the line
    before = store.table_names()
    with pytest.raises(IngestError, match="Line 3 .* not valid utf-8") as err:
        _ingest(
            store,
            pid,
            mixed,
            name="forced",
            options=data.CsvOptions(encoding="utf-8"),
        )
    assert err.value.kind == "encoding"
    assert store.table_names() == before and len(datasets_db.list_datasets(store, pid)) == 4


def test_late_type_change_is_retried_on_the_whole_file(store, pid, tmp_path):
    rows = "x,y\n" + "".join(f"{i},a\n" for i in range(25_000)) + "oops,b\n"
    r = _ingest(store, pid, _write(tmp_path, "late.csv", rows))
    assert r.n_rows == 25_001
    assert dict(datasets_db.dataset_schema(store, r.dataset_id))["x"] == "VARCHAR"
    assert any("whole file" in m for m in r.messages)


def test_one_column_nan_inf_and_all_null_columns_load(store, pid, tmp_path):
    one = _ingest(store, pid, _write(tmp_path, "one.csv", "x\n1\n2\n"), name="one")
    assert one.n_cols == 1 and any("single column" in m for m in one.messages)
    p = _write(tmp_path, "nan.csv", "x,empty,y\n1.5,,a\nnan,,b\ninf,,c\n-inf,,d\n")
    r = _ingest(store, pid, p, name="nan")
    x = datasets_db.dataset_frame(store, r.dataset_id)["x"].to_numpy()
    assert np.isnan(x[1]) and x[2] == np.inf and x[3] == -np.inf
    report = data.build_report(store, r.dataset_id, "tester")
    kinds = {(i.kind, i.column) for i in report.issues}
    assert ("non_finite", "x") in kinds and ("all_null", "empty") in kinds


def test_no_header_gets_numbered_columns(store, pid, tmp_path):
    r = _ingest(store, pid, _write(tmp_path, "nh.csv", "1,2\n3,4\n5,6\n"))
    assert [c for c, _ in datasets_db.dataset_schema(store, r.dataset_id)] == [
        "column_1",
        "column_2",
    ]
    assert r.n_rows == 3 and any("No header" in m for m in r.messages)


def test_parquet_with_odd_names_and_a_fake_parquet(store, pid, tmp_path):
    pq = tmp_path / "odd.parquet"
    pd.DataFrame({"a b": [1, 2], "rowid": [3, 4], "Ω": ["x", "y"]}).to_parquet(pq)
    r = _ingest(store, pid, pq)
    assert [c for c, _ in datasets_db.dataset_schema(store, r.dataset_id)] == ["a b", "rowid_", "Ω"]
    fake = _write(tmp_path, "fake.parquet", "a,b\n1,2\n")
    with pytest.raises(IngestError, match="not a Parquet file"):
        _ingest(store, pid, fake, name="fake")


def test_failed_ingest_rolls_back_table_and_catalog(store, pid, tmp_path):
    before = store.table_names()
    n_audit = len(projects_db.list_audit(store))
    with pytest.raises(StoreError, match="no data rows"):
        ingest_db.ingest_file(
            store, pid,
            "x",
            _write(tmp_path, "h.csv", "a,b\n"),
            reader="csv",
            source="t",
            role="training",
            actor="tester",
        )
    assert store.table_names() == before and datasets_db.list_datasets(store, pid) == []
    assert len(projects_db.list_audit(store)) == n_audit
    with pytest.raises(StoreError, match="already"):
        ok = _write(tmp_path, "ok.csv", "a\n1\n")
        _ingest(store, pid, ok, name="same")
        _ingest(store, pid, ok, name="same")


def test_upload_goes_through_a_temp_file(store, pid):
    r = data.ingest_upload(store, pid, "up.csv", b"a,b\n1,2\n", name="up", actor="tester")
    assert r.n_rows == 1 and datasets_db.get_dataset(store, r.dataset_id).source == "upload up.csv"


def _profile_types(store, pid, frame):
    did = datasets_db.insert_dataset(store, pid, "t", frame, source="t", role="training", actor="tester")
    return did, {
        c: (t, rule) for c, t, rule in data.detect_column_types(scans_db.column_profile(store, did))
    }


def test_type_detection_on_crafted_columns(store, pid):
    n = 60
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "row_number": np.arange(1, n + 1),
            "amount": rng.normal(100, 10, n),
            "count": rng.integers(0, 5, n),
            "flag01": rng.integers(0, 2, n),
            "yes_no": rng.choice(["yes", "no"], n),
            "truth": rng.choice([True, False], n),
            "city": rng.choice(["Paris", "Rome", "Oslo"], n),
            "when": pd.date_range("2025-01-01", periods=n, freq="D"),
            "when_text": [f"2025-02-{i % 28 + 1:02d}" for i in range(n)],
            "num_text": [str(i * 1.5) for i in range(n)],
            "comment": [f"the customer wrote message number {i} about a claim" for i in range(n)],
            "empty": [None] * n,
            "pixels": [list(range(64))] * n,
            "target": rng.choice(["a", "b"], n),
        }
    )
    _, types = _profile_types(store, pid, frame)
    expected = {
        "customer_id": "identifier",
        "row_number": "identifier",
        "amount": "numeric",
        "count": "numeric",
        "flag01": "boolean",
        "yes_no": "boolean",
        "truth": "boolean",
        "city": "categorical",
        "when": "datetime",
        "when_text": "datetime",
        "num_text": "numeric",
        "comment": "text",
        "empty": "categorical",
        "pixels": "image",
        "target": "target",
    }
    assert {c: t for c, (t, _) in types.items()} == expected
    assert "parse as numbers" in types["num_text"][1]
    assert "missing" in types["empty"][1]


def test_image_column_of_digits_and_override_is_stored(store, pid):
    from core.projects import add_sample_dataset

    did = add_sample_dataset(store, pid, "digits", "tester")
    types = {t.column: t for t in data.column_types(store, did, "tester")}
    assert types["image"].type == "image" and not types["image"].structured
    assert types["target"].type == "target" and types["row_id"].type == "identifier"
    frame = data.column_types_frame(list(types.values()))
    frame.loc[frame["column"] == "px_10", ["type", "low", "high"]] = [
        "categorical",
        0,
        16,
    ]
    assert data.save_column_settings(store, did, frame, "tester") == 1
    again = {t.column: t for t in data.column_types(store, did)}
    assert (
        again["px_10"].type,
        again["px_10"].detected,
        again["px_10"].range_high,
    ) == ("categorical", "numeric", 16.0)
    frame.loc[frame["column"] == "px_11", "type"] = "target"
    with pytest.raises(StoreError, match="Only one column can be the target"):
        data.save_column_settings(store, did, frame, "tester")
    frame.loc[frame["column"] == "px_11", ["type", "low", "high"]] = ["numeric", 5, 1]
    with pytest.raises(StoreError, match="range .* is empty"):
        data.save_column_settings(store, did, frame, "tester")
    assert data.target_column(store, did) == "target"


def test_detection_rules_decide_in_order():
    from core.data.detect import RULES, detect_type

    base = {"column": "n", "kind": "integer", "dtype": "BIGINT", "nn": 30, "distinct": 30,
            "min_num": 1, "max_num": 30}  # fmt: skip
    assert detect_type(base)[0] == "identifier"  # consecutive integers: a row number
    assert detect_type({**base, "max_num": 99})[0] == "numeric"
    assert detect_type({**base, "nn": 0})[1].startswith("every value is missing")
    assert detect_type({**base, "dtype": "UUID", "kind": "other"}) == (
        "text",
        "nested values (UUID)",
    )
    assert detect_type({**base, "dtype": "UTINYINT[64]", "kind": "list", "len_min": 64,
                        "len_max": 64})[0] == "image"  # fmt: skip
    assert len(RULES) == len(set(RULES))


def test_an_enum_column_is_profiled_as_text(store, pid):
    did = datasets_db._create_dataset(
        store, pid, "enum",
        lambda cur, table: cur.execute(
            f'CREATE TABLE "{table}" AS SELECT (CASE WHEN i % 3 = 0 THEN \'b\' ELSE \'a\' END)'
            "::ENUM('a', 'b') AS e FROM range(30) t(i)"
        ),
        source="t", role="training", actor="tester",
    )  # fmt: skip
    (p,) = scans_db.column_profile(store, did).to_dict("records")
    assert (p["kind"], p["min"], p["max"], p["distinct"], p["n_blank"]) == ("string", "a", "b", 2, 0)
    assert data.detect_column_types(scans_db.column_profile(store, did))[0][1] == "categorical"


# ------------------------------------------------------------------ the lifecycle's Data step
def test_data_step_names_what_is_stored_and_its_own_next_action(store, pid):
    from core.db import data as data_db

    assert data.data_step(store, pid) == (
        "not started", "No dataset yet.", "Load a CSV, Parquet or sample dataset on the Data page."
    )
    frame = pd.DataFrame({"pressure": np.arange(30.0), "valve": ["open", "shut", "half"] * 10})
    other = datasets_db.insert_dataset(store, pid, "ref", frame, source="t", role="reference",
                                       actor="t")  # fmt: skip
    status, evidence, action = data.data_step(store, pid)
    assert status == "in progress" and "none for training" in evidence
    assert "role 'training'" in action and "Data page" in action
    did = datasets_db.insert_dataset(store, pid, "gauges", frame, source="t", role="training",
                                     actor="t")  # fmt: skip
    # a split without a quality report: the step is done, but says so and asks for the report
    data.create_split(store, pid, did, "s", method="random", actor="t")
    status, evidence, action = data.data_step(store, pid)
    assert status == "done"
    assert evidence == "2 dataset(s), 1 for training; no quality report; 1 split(s)."
    assert action.startswith("Run the quality report on the Data page")
    assert "model" not in action.lower()  # never a later stage's action
    data.build_report(store, did, "t")
    status, evidence, action = data.data_step(store, pid)
    assert evidence == "2 dataset(s), 1 for training; quality report for 1 of 2; 1 split(s)."
    assert status == "done" and "model" not in action.lower() and "Data page" in action
    assert data_db.count_quality_reports(store, pid) == 1 and other
