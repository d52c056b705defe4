"""Names are checked once, at creation: one line, collapsed spaces, a length limit."""

from __future__ import annotations

import pandas as pd
import pytest

from core import data, projects
from core import labeling as L
from core.db import datasets as datasets_db
from core.errors import StoreError
from core.names import MAX_NAME_LENGTH, clean_name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("  a  b\t c ", "a b c"), ("Cafe\u0301", "Café"), ("![t](http://h/p.png)", "![t](http://h/p.png)"),
     ("👩\u200d🔬 lab", "👩\u200d🔬 lab")],
)
def test_names_are_normalised(raw, clean):
    assert clean_name(raw, "project") == clean


@pytest.mark.parametrize("raw", ["a\nb", "a\rb", "a\x00b", "a\u2028b", "evil\u202etxt.csv"])
def test_line_breaks_and_control_characters_are_refused(raw):
    with pytest.raises(StoreError, match="project name .* line break or another control"):
        clean_name(raw, "project")


def test_blank_and_long_names_are_refused():
    with pytest.raises(StoreError, match="A dataset needs a name"):
        clean_name(" \t ", "dataset")
    with pytest.raises(StoreError, match=f"at most {MAX_NAME_LENGTH}"):
        clean_name("x" * (MAX_NAME_LENGTH + 1), "dataset")


def test_project_creation_checks_the_name(store):
    pid = projects.create_project(store, "  Churn   v2 ", "t")
    assert [p.name for p in projects.list_projects(store) if p.id == pid] == ["Churn v2"]
    with pytest.raises(StoreError, match="line break"):
        projects.create_project(store, "Churn\n# v3", "t")
    assert len(projects.list_projects(store)) == 1


def test_dataset_labels_set_and_queue_names_are_checked(store, tmp_path):
    pid = projects.create_project(store, "Names", "t")
    f = tmp_path / "rows.csv"
    f.write_text("ref,size\nr1,1\nr2,2\n")
    tables = store.table_names()
    with pytest.raises(StoreError, match="dataset name"):
        data.ingest_path(store, pid, f, name="rows\n# big", actor="t")
    assert store.table_names() == tables
    did = data.ingest_path(store, pid, f, name=" rows  v1 ", actor="t").dataset_id
    assert datasets_db.require_dataset(store, did).name == "rows v1"
    long = pd.DataFrame({"item_id": ["r1"], "annotator": ["ann"], "label": ["a"],
                         "labeled_at": [pd.NaT]})
    with pytest.raises(StoreError, match="labels set name"):
        L.import_labels(store, pid, "set\nx", long, item_dataset_id=None, item_id_column=None,
                        actor="t")
    with pytest.raises(StoreError, match="labeling queue name"):
        L.create_label_queue(store, pid, "q\x07", dataset_id=did, id_column="ref",
                             choices="a, b", columns=["size"], item_ids=["r1"], source="t",
                             actor="t")
    assert L.list_label_sets(store, pid) == []


def test_a_tag_with_a_line_break_is_refused():
    from core.analysis.drill import tag_rows
    from core.analysis.source import SliceSource

    src = SliceSource(run_id=1, project_id=1, dataset_id=1)
    with pytest.raises(StoreError, match="tag name .* line break"):
        tag_rows(None, src, [1], "blurry\n# photo", "ana")  # type: ignore[arg-type]
