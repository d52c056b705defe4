"""European CSV: ';' between fields and decimal commas inside them, read as numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import data
from core.db import datasets as datasets_db
from core.db import projects as projects_db


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "EU", "tester")


def _european(tmp_path, frame: pd.DataFrame, name: str = "eu.csv"):
    path = tmp_path / name
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return path


def test_semicolon_file_with_decimal_commas_only_numbers(store, pid, tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"weight_kg": rng.random(40).round(2) * 90,
                          "ratio": rng.random(40).round(3)})
    path = _european(tmp_path, frame)
    res = data.ingest_path(store, pid, path, name="eu", actor="t")
    assert res.delimiter == ";" and (res.n_rows, res.n_cols) == (40, 2)
    assert [c for c, _ in datasets_db.dataset_schema(store, res.dataset_id)] == ["weight_kg",
                                                                                 "ratio"]
    got = datasets_db.dataset_frame(store, res.dataset_id)
    want = pd.read_csv(path, sep=";", decimal=",")  # the reference reader
    pd.testing.assert_frame_equal(got.astype(float), want.astype(float))
    assert any("decimal comma" in m for m in res.messages)


def test_semicolon_file_with_text_ints_and_decimal_commas(store, pid, tmp_path):
    frame = pd.DataFrame({"shop": ["Köln", "Lyon", "Gent"] * 5, "units": range(15),
                          "price": [1.5, 20.25, -3.0] * 5})
    res = data.ingest_path(store, pid, _european(tmp_path, frame), name="eu", actor="t")
    types = dict(datasets_db.dataset_schema(store, res.dataset_id))
    assert types["price"] == "DOUBLE" and types["units"] == "BIGINT"
    got = datasets_db.dataset_frame(store, res.dataset_id)
    assert got["price"].tolist() == frame["price"].tolist()
    assert got["shop"].tolist() == frame["shop"].tolist()


def test_plain_comma_file_is_unchanged(store, pid, tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b\n1.5,x\n2.5,y\n")
    res = data.ingest_path(store, pid, path, name="plain", actor="t")
    assert res.delimiter == "," and res.messages == ()
    assert datasets_db.dataset_frame(store, res.dataset_id)["a"].tolist() == [1.5, 2.5]
