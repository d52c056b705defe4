"""Gzip-compressed CSV by path and by upload, and messages that name the user's file."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest

from core import data
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.errors import IngestError

ROWS = "station,reading,zone\n" + "".join(
    f"{i},{i * 0.25:.2f},{'Zürich' if i % 3 else 'Genève'}\n" for i in range(120)
)


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "P", "tester")


def _load(store, pid, path, name="d"):
    return data.ingest_path(store, pid, path, name=name, actor="tester")


def _upload(store, pid, filename, payload, name="u"):
    return data.ingest_upload(store, pid, filename, payload, name=name, actor="tester")


def _temp_mentions(text: str) -> list[str]:
    """Pieces of a message that point at a temporary file rather than the user's."""
    tmp = tempfile.gettempdir()
    return [w for w in ("workbench_", "upload.csv", tmp) if w in text]


def test_gzip_csv_loads_by_path_like_the_plain_file(store, pid, tmp_path):
    plain = tmp_path / "readings.csv"
    plain.write_text(ROWS, encoding="utf-8")
    packed = tmp_path / "readings.csv.gz"
    packed.write_bytes(gzip.compress(ROWS.encode("utf-8")))
    r_plain = _load(store, pid, plain, name="plain")
    r = _load(store, pid, packed, name="packed")
    assert (r.n_rows, r.n_cols, r.encoding, r.delimiter) == (120, 3, "utf-8", ",")
    assert r.messages == ()  # no encoding guess from the compressed bytes
    frame = datasets_db.dataset_frame(store, r.dataset_id)
    assert set(frame["zone"]) == {"Zürich", "Genève"}  # UTF-8 read as UTF-8, not Latin-1
    assert r.content_hash == r_plain.content_hash
    assert data.get_dataset(store, r.dataset_id).source == "file readings.csv.gz"


def test_gzip_csv_loads_by_upload_and_by_content(store, pid):
    packed = gzip.compress(ROWS.encode("utf-8"))
    r = _upload(store, pid, "sensor export.csv.gz", packed, name="a")
    assert (r.n_rows, r.n_cols) == (120, 3)
    assert data.get_dataset(store, r.dataset_id).source == "upload sensor export.csv.gz"
    # gzip inside whatever the name says: recognised by its first bytes
    r2 = _upload(store, pid, "sensor export.csv", packed, name="b")
    assert (r2.n_rows, r2.content_hash) == (120, r.content_hash)
    assert data.default_name("sensor export.csv.gz") == "sensor export"


def test_gzip_with_mixed_encodings_is_repaired(store, pid, tmp_path):
    text = b"city,n\n" + "Zürich,1\n".encode() + "Köln,2\n".encode("cp1252")
    packed = tmp_path / "towns.csv.gz"
    packed.write_bytes(gzip.compress(text))
    r = _load(store, pid, packed)
    assert datasets_db.dataset_frame(store, r.dataset_id)["city"].tolist() == ["Zürich", "Köln"]
    assert any("Windows-1252" in m for m in r.messages)


def test_broken_gzip_upload_names_the_users_file_and_what_to_do(store, pid):
    tables = store.table_names()
    with pytest.raises(IngestError) as info:
        _upload(store, pid, "meter log.csv.gz", b"station,reading\n1,2.5\n")
    msg = str(info.value)
    assert "meter log.csv.gz" in msg and "not gzip-compressed" in msg
    assert "Rename it to meter log.csv" in msg
    assert not _temp_mentions(msg), msg
    assert info.value.kind == "compression"
    truncated = gzip.compress(ROWS.encode() * 50)[:300]
    with pytest.raises(IngestError, match="cannot be decompressed") as info:
        _upload(store, pid, "meter log.csv.gz", truncated)
    assert "meter log.csv.gz" in str(info.value) and not _temp_mentions(str(info.value))
    assert datasets_db.list_datasets(store, pid) == [] and store.table_names() == tables


def test_broken_gzip_by_path_names_the_file(store, pid, tmp_path):
    fake = tmp_path / "levels.csv.gz"
    fake.write_text("a,b\n1,2\n")
    with pytest.raises(IngestError, match=r"levels\.csv\.gz is named \.gz but"):
        _load(store, pid, fake)
    packed_parquet = tmp_path / "levels.parquet.gz"
    packed_parquet.write_bytes(gzip.compress(b"PAR1" + b"\0" * 20))
    with pytest.raises(IngestError, match="gzip-compressed Parquet"):
        _load(store, pid, packed_parquet)


@pytest.mark.parametrize(
    ("filename", "payload", "words"),
    [
        ("ragged rows.csv", b"a;b\n1;2\n3;4;5\n" * 3, "Line"),
        ("blank.csv", b"\n\n   \n", "blank lines"),
        ("header only.csv", b"a,b\n", "no data rows"),
        ("sheet.csv", b"PK\x03\x04rest", "zip or Excel"),
        ("cols.parquet", b"a,b\n1,2\n", "not a Parquet file"),
    ],
)
def test_every_upload_error_names_the_users_file(store, pid, filename, payload, words):
    with pytest.raises(IngestError) as info:
        data.ingest_upload(
            store, pid, filename, payload, name="x", actor="tester",
            options=data.CsvOptions(delimiter=";") if "ragged" in filename else None,
        )  # fmt: skip
    msg = str(info.value)
    assert words in msg, msg
    assert not _temp_mentions(msg), msg
    if words != "no data rows":  # that message speaks of "the file" without a name
        assert filename in msg, msg


def test_upload_name_keeps_the_suffix_and_drops_folders():
    assert data.upload_name("exports/q1 sales.csv.gz") == "q1 sales.csv.gz"
    assert data.upload_name("C:\\Users\\me\\q1.tsv") == "q1.tsv"
    assert Path(data.upload_name("..")).name == "upload.csv"
