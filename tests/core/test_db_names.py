"""Every repository says the same about a taken name and a row that is gone
(``core.db.rows.refuse_taken_name`` and ``require``), word for word."""

from __future__ import annotations

import pandas as pd
import pytest

from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.errors import StoreError

LABELS = pd.DataFrame(
    {"item_id": ["k1"], "annotator": ["rev"], "label": ["yes"], "labeled_at": [None]}
)


def _split(store, pid: int, did: int, name: str) -> int:
    parts = pd.DataFrame({"row_id": [0, 1], "part": ["train", "test"], "ladder": [1.0, None]})
    return splits_db.insert_split(
        store, pid, did, name, parts, method="random", target=None, params={}, actor="a"
    )


def _labels(store, pid: int, name: str) -> int:
    return labeling_db.insert_label_set(
        store, pid, name, LABELS, item_dataset_id=None, item_id_column=None, source="t", actor="a"
    )


def test_a_taken_name_is_refused_with_one_message(store):
    pid = projects_db.create_project(store, "P", "a")
    frame = pd.DataFrame({"width": [1, 2]})
    did = datasets_db.insert_dataset(store, pid, "w", frame, source="t", role="other", actor="a")
    _split(store, pid, did, "s")
    _labels(store, pid, "l")
    taken = r"^This project has a {} named '{}' already; choose another name\.$"
    with pytest.raises(StoreError, match=taken.format("dataset", "w")):
        datasets_db.insert_dataset(store, pid, "w", frame, source="t", role="other", actor="a")
    with pytest.raises(StoreError, match=taken.format("split", "s")):
        _split(store, pid, did, "s")
    with pytest.raises(StoreError, match=taken.format("labels set", "l")):
        _labels(store, pid, " l ")
    other = projects_db.create_project(store, "Q", "a")
    assert datasets_db.insert_dataset(store, other, "w", frame, source="t", role="other", actor="a")


def test_a_row_that_is_gone_is_named(store):
    pid = projects_db.create_project(store, "P", "a")
    with pytest.raises(StoreError, match=r"^That dataset does not exist \(any more\)\.$"):
        datasets_db.require_dataset(store, 999)
    with pytest.raises(StoreError, match=r"^That dataset does not exist \(any more\)\.$"):
        _split(store, pid, 999, "s")
    with pytest.raises(StoreError, match=r"^That split does not exist \(any more\)\.$"):
        splits_db.require_split(store, 999)
    with pytest.raises(StoreError, match=r"^That labels set does not exist \(any more\)\.$"):
        labeling_db.insert_label_decision(store, 999, "k1", "yes", "agreed", "a")
