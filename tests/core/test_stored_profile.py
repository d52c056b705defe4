"""The column profile type detection computes is stored and read back by the quality report."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core import backup, data
from core.access import Actor, Role
from core.data import stored_profile
from core.data.profile import EXACT_MAX_ROWS
from core.db import data as data_db
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database

EDITOR = Actor("ed@example.org", Role.EDITOR)
VIEWER = Actor("vera@example.org", Role.VIEWER)


def _frame(n: int = 300, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    width = rng.normal(4.0, 1.5, n)
    width[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "sku": np.arange(n),
            "width": width,
            "shade": np.array(["teal", "Teal ", "ochre", None], dtype=object)[
                rng.integers(0, 4, n)
            ],
            "batch": rng.choice(["12", "13", "x"], n),
            "sold": pd.date_range("2024-01-01", periods=n, freq="h"),
            "empty": np.full(n, np.nan),
            "flag": rng.random(n) < 0.3,
            "kept": rng.integers(0, 2, n),
        }
    )


@pytest.fixture
def did(store: Database) -> int:
    pid = projects_db.create_project(store, "Shelves", EDITOR)
    return datasets_db.insert_dataset(store, pid, "stock", _frame(), source="t",
                                      role="training", actor=EDITOR)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Record every computed profile's ranges (the real computation still runs)."""
    calls: list[dict] = []
    real = stored_profile.profile_columns

    def counted(store, dataset_id, ranges=None, **kw):
        calls.append(dict(ranges or {}))
        return real(store, dataset_id, ranges, **kw)

    monkeypatch.setattr(stored_profile, "profile_columns", counted)
    return calls


def test_the_profile_survives_its_json(store: Database, did: int):
    for exact_max_rows in (10**6, 0):  # exact, and approximate with sampled shapes
        frame = stored_profile.profile_columns(store, did, {"width": (1.0, None)},
                                               exact_max_rows=exact_max_rows, shape_sample=50)
        back = stored_profile.profile_from_json(stored_profile.profile_to_json(frame))
        pd.testing.assert_frame_equal(back, frame)


def test_the_report_reuses_the_profile_type_detection_stored(
    store: Database, did: int, monkeypatch: pytest.MonkeyPatch
):
    fresh = data.build_report(store, did, EDITOR)  # profile computed inside the report
    calls = _counting(monkeypatch)
    pid = projects_db.create_project(store, "Shelves again", EDITOR)
    again = datasets_db.insert_dataset(store, pid, "stock", _frame(), source="t",
                                       role="training", actor=EDITOR)
    data.column_types(store, again, EDITOR)
    assert len(calls) == 1
    report = data.build_report(store, again, EDITOR)
    assert len(calls) == 1  # read back, not computed again
    assert report.columns == fresh.columns
    assert report.issues == fresh.issues and report.duplicates == fresh.duplicates


def test_a_changed_range_recomputes_the_profile(
    store: Database, did: int, monkeypatch: pytest.MonkeyPatch
):
    calls = _counting(monkeypatch)
    data.build_report(store, did, EDITOR)
    data.build_report(store, did, EDITOR, decimals=1)  # another report, the same profile
    assert len(calls) == 1
    edited = data.column_types_frame(data.column_types(store, did))
    edited.loc[edited["column"] == "width", "high"] = 5.0
    data.save_column_settings(store, did, edited, EDITOR)
    report = data.build_report(store, did, EDITOR)
    assert len(calls) == 2 and calls[1]["width"] == (None, 5.0)
    width = _frame()["width"]
    assert report.column("width")["n_above"] == int((width > 5.0).sum())
    # a type change alone keeps the profile (it does not depend on types)
    edited = data.column_types_frame(data.column_types(store, did))
    edited.loc[edited["column"] == "kept", "type"] = "target"
    data.save_column_settings(store, did, edited, EDITOR)
    assert data.build_report(store, did, EDITOR).column("kept")["type"] == "target"
    assert len(calls) == 2


def test_a_viewer_opening_a_dataset_stores_its_profile(store: Database, did: int):
    data.column_types(store, did, VIEWER)
    _, key = stored_profile.profile_params(None, EXACT_MAX_ROWS)
    assert data_db.get_column_profile(store, did, key) is not None


def test_the_stored_profile_goes_with_its_project(store: Database, did: int,
                                                   monkeypatch: pytest.MonkeyPatch):
    pid = datasets_db.require_dataset(store, did).project_id
    data.column_types(store, did, EDITOR)
    archive = io.BytesIO()
    backup.export_project(store, pid, archive, EDITOR)
    imported = backup.import_project(store, io.BytesIO(archive.getvalue()), EDITOR)
    calls = _counting(monkeypatch)
    (new_did,) = [d.id for d in datasets_db.list_datasets(store, imported.project_id)]
    data.build_report(store, new_did, EDITOR)
    assert calls == []  # the imported dataset's profile came with it
    projects_db.delete_project(store, pid, Actor("ada@example.org", Role.ADMIN))
    left = store.rows("SELECT DISTINCT dataset_id FROM column_profiles")
    assert left == [(new_did,)]
