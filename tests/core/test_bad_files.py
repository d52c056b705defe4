"""The bad-file corpus through both imports: Data (upload and server path) and Labeling.

Each bad file gets a message naming the user's file and stores nothing (catalog, tables,
labels sets and audit log unchanged). Files that are imperfect but readable (mixed
encodings, Latin-1) load in both imports by the same decoding rule.
"""

from __future__ import annotations

import pandas as pd
import pytest

from core import data
from core import labeling as L
from core.data.ingest import upload_name
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.errors import StoreError
from tests.data.bad_files import BAD_FILES, REPAIRED


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "Bad files", "tester")


def _state(store, pid):
    return (datasets_db.list_datasets(store, pid), store.table_names(),
            L.list_label_sets(store, pid), store.rows("SELECT count(*) FROM audit_log"))


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_data_upload_refuses_naming_the_file(store, pid, name):
    before = _state(store, pid)
    with pytest.raises(StoreError) as info:
        data.ingest_upload(store, pid, name, BAD_FILES[name], name="bad", actor="t")
    assert upload_name(name) in str(info.value)
    assert "workbench_" not in str(info.value)  # never a temporary copy's name
    assert _state(store, pid) == before


@pytest.mark.parametrize("name", [n for n in BAD_FILES if "/" not in n])
def test_data_server_path_refuses_naming_the_file(store, pid, name, tmp_path):
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    before = _state(store, pid)
    with pytest.raises(StoreError) as info:
        data.ingest_path(store, pid, path, name="bad", actor="t")
    assert name in str(info.value)
    assert _state(store, pid) == before


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_labels_import_refuses_naming_the_file(store, pid, name):
    before = _state(store, pid)
    with pytest.raises(L.LabelError) as info:
        long = L.read_labels_csv(BAD_FILES[name], filename=name)
        L.import_labels(store, pid, "labels", long, item_dataset_id=None,
                        item_id_column=None, actor="t")
    assert name in str(info.value)
    assert _state(store, pid) == before


@pytest.mark.parametrize("name", ["mixed encodings.csv", "latin1.csv"])
def test_both_imports_read_latin1_and_mixed_files_alike(store, pid, name):
    res = data.ingest_upload(store, pid, name, REPAIRED[name], name="ok", actor="t")
    raters = set(datasets_db.dataset_frame(store, res.dataset_id)["rater"])
    long = L.read_labels_csv(REPAIRED[name], filename=name)
    assert set(long["annotator"]) == raters
    assert "Jürgen" in raters and "Renée" in raters


def test_duplicate_column_names(store, pid):
    name = "duplicate columns.csv"
    res = data.ingest_upload(store, pid, name, REPAIRED[name], name="dup", actor="t")
    assert any("grade_2" in m for m in res.messages)  # Data renames, and says so
    with pytest.raises(L.LabelError, match="duplicate columns.csv repeats .*'grade'"):
        L.read_labels_csv(REPAIRED[name], filename=name)


# labels tables that once raised a traceback (pandas' "value_name … cannot match")
MALFORMED_LABELS = {
    "id,label\n1,a\n2,b\n": "no annotator column",
    "item,annotator\n1,ann\n": "no label column",
    "id,label,annotator_x\n1,a,b\n": None,  # wide form: annotators 'label' and 'annotator_x'
    "label,annotator,value\n1,a,b\n": "needs columns for item_id",
    "id;ann;bob\n1;a\n2;b;c\n": "Line 2 of mine.csv has 2 fields",
    "id\n1\n2\n": "no delimiter",
    '"id,ann\n1,a\n': "no delimiter",
}


@pytest.mark.parametrize("text", list(MALFORMED_LABELS))
def test_malformed_labels_tables_give_a_message(text):
    expected = MALFORMED_LABELS[text]
    try:
        long = L.read_labels_csv(text.encode(), filename="mine.csv")
    except L.LabelError as exc:
        assert "mine.csv" in str(exc)
        assert expected is not None and expected in str(exc), str(exc)
    else:
        assert expected is None
        assert isinstance(long, pd.DataFrame) and len(long) > 0


def test_explicit_wide_form_with_a_label_column_does_not_crash():
    long = L.read_labels_csv(b"id,label,other\n1,a,b\n", form="wide", filename="w.csv")
    assert sorted(long["annotator"]) == ["label", "other"]
