"""Class balance and the split builder (ui/data_splits.py) on the Data page's Balance and
Splits tabs, on a private copy of the demo database."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from tests.pages.helpers import errors

DATASET = "data.dataset_id"  # the Data page's chosen dataset (a plain session key)


@pytest.fixture
def ids(app_env: Path) -> dict[str, int]:
    s = Database(app_env)
    try:
        pid = projects_db.list_projects(s)[0].id
        return {d.name: d.id for d in datasets_db.list_datasets(s, pid)}
    finally:
        s.close()


@pytest.fixture
def at(ids, app: AppTest) -> AppTest:
    app.session_state[DATASET] = ids["claims_2025_train"]
    app.switch_page("pages/2_Data.py").run()
    assert not errors(app)
    return app


def frame_with(app: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all these columns."""
    for df in app.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def test_balance_shows_classes_ratio_and_chart(at):
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Classes"] == "2"
    assert metrics["Imbalance ratio"].endswith(": 1")
    table = frame_with(at, "class", "count", "rare")
    assert table["class"].tolist() == [0, 1] and table["count"].sum() == 20_000
    assert at.get("plotly_chart"), "the class-balance chart is drawn"


def test_rare_class_is_flagged(at, ids):
    at.selectbox(key=f"data.balance_target.{ids['claims_2025_train']}").set_value(
        "claim_type"
    ).run()
    assert not errors(at)
    assert any("liability" in w.value for w in at.warning)


def test_labels_dataset_shows_each_annotator(at, ids):
    at.session_state[DATASET] = ids["claims_annotations"]
    at.run()
    assert not errors(at)
    assert "Labels per annotator" in [h.value for h in at.subheader]
    per_annotator = frame_with(at, "annotator", "n_items")
    assert per_annotator["annotator"].tolist() == ["ana", "ben", "chen"]


def test_seeded_split_is_listed_and_compared(at):
    stored = frame_with(at, "name", "hash", "ladder")
    assert "claims_time_split" in stored["name"].tolist()
    summary = frame_with(at, "column", "value", "max gap")
    assert set(summary["column"]) >= {"needs_review", "submitted_at"}
    assert not [w for w in at.warning if "has no row of class" in w.value]


def test_build_and_save_a_split(at, ids):
    did = ids["claims_2025_train"]
    name_box = next(t for t in at.text_input if t.key.startswith(f"data.split_name.{did}"))
    name_box.input("my_stratified")
    at.number_input(key=f"data.split_seed.{did}").set_value(7)
    at.button(key=f"data.split_create.{did}").click().run()
    assert not errors(at)
    assert any("my_stratified" in s.value and "14,000 train" in s.value for s in at.success)
    stored = frame_with(at, "name", "hash", "ladder")
    row = stored[stored["name"] == "my_stratified"].iloc[0]
    assert (row["train"], row["dev"], row["test"]) == (14_000, 3_000, 3_000)
    assert len(row["hash"]) == 16
    inspected = at.selectbox(key=f"data.split_inspect.{did}")
    assert inspected.format_func(inspected.value) == "my_stratified"  # the new split is shown


def test_time_split_from_the_form(at, ids):
    did = ids["claims_2025_train"]
    at.segmented_control(key=f"data.split_method.{did}").set_value("time").run()
    assert not errors(at)
    assert at.date_input(key=f"data.split_cut1.{did}").value is not None
    at.button(key=f"data.split_create.{did}").click().run()
    assert not errors(at)
    assert any("claims_2025_train_time" in s.value for s in at.success)
    assert len(frame_with(at, "name", "hash", "ladder")) == 2


def test_bad_shares_show_an_error_and_store_nothing(at, ids):
    did = ids["claims_2025_train"]
    at.number_input(key=f"data.split_train.{did}").set_value(0.9)
    at.button(key=f"data.split_create.{did}").click().run()
    assert not errors(at)
    assert any("add up to 1.20" in e.value for e in at.error)
    assert frame_with(at, "name", "hash", "ladder")["name"].tolist() == ["claims_time_split"]


def test_group_split_warns_about_uneven_parts(at, ids):
    did = ids["claims_2025_train"]
    at.segmented_control(key=f"data.split_method.{did}").set_value("group").run()
    at.selectbox(key=f"data.split_group.{did}").set_value("region")
    at.number_input(key=f"data.split_seed.{did}").set_value(1)
    at.button(key=f"data.split_create.{did}").click().run()
    assert not errors(at)
    assert any("Whole groups" in w.value for w in at.warning)
