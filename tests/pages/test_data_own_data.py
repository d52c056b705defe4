"""The Data page on a user's own data (not the demo): a gzip upload, a numeric target, a
file-order split, the first distribution shown, and column roles saved on this page."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import projects
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.db.database import Database
from tests.pages.helpers import errors

PAGE = "pages/2_Data.py"


def _pumps(n: int = 240, seed: int = 2) -> pd.DataFrame:
    """Pump readings: an ID first, no date column, a numeric target last (many values)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "reading_uid": [f"R-{i:05d}" for i in range(n)],
            "flow_rate": rng.gamma(3, 2, n).round(2),
            "site": rng.choice(["north", "south", "east"], n),
            "energy_kwh": np.round(rng.normal(40, 6, n), 2),
        }
    )


def _csv_gz(frame: pd.DataFrame) -> bytes:
    return gzip.compress(frame.to_csv(index=False).encode())


@pytest.fixture
def own(app_env: Path) -> tuple[AppTest, int]:
    """The Data page on a new project with no dataset yet."""
    s = Database(app_env)
    try:
        pid = projects_db.create_project(s, "Pump energy", "tester")
    finally:
        s.close()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"),
                           default_timeout=180)  # fmt: skip
    at.session_state["project_id"] = pid
    at.run()
    at.switch_page(PAGE).run()
    assert not errors(at)
    return at, pid


def _upload(at: AppTest, name: str, payload: bytes) -> AppTest:
    at.file_uploader(key="data.upload").set_value((name, payload, "application/gzip")).run()
    at.button(key="data.load").click().run()
    assert not errors(at)
    return at


def _stored(app_env: Path, read):
    st.cache_resource.clear()  # release the app's connection to read the file here
    s = Database(app_env)
    try:
        return read(s)
    finally:
        s.close()


def test_gzip_upload_loads_and_a_broken_one_names_the_file(own):
    at, _ = own
    _upload(at, "pump readings.csv.gz", b"reading_uid,flow_rate\nR-1,2.5\n")
    msgs = [e.value for e in at.error]
    assert any("pump readings.csv.gz" in m and "not gzip-compressed" in m for m in msgs), msgs
    assert not any("upload" in m.split("pump readings")[0] for m in msgs)
    _upload(at, "pump readings.csv.gz", _csv_gz(_pumps()))
    assert any("Loaded 240 rows and 4 columns" in s.value for s in at.success)


def test_numeric_target_shows_its_distribution_and_splits_without_class_warnings(own):
    at, _ = own
    _upload(at, "pumps.csv.gz", _csv_gz(_pumps()))
    did = at.session_state["data.dataset_id"]
    assert at.selectbox(key=f"data.balance_target.{did}").value == "energy_kwh"
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Median"] == f"{np.quantile(_pumps()['energy_kwh'], 0.5):,.4g}"
    assert "Classes" not in metrics
    table = next(d.value for d in at.dataframe if "statistic" in d.value.columns)
    assert "median" in table["statistic"].tolist()
    # a random split of the numeric target: no "has no row of class" warnings
    at.segmented_control(key=f"data.split_method.{did}").set_value("random").run()
    at.button(key=f"data.split_create.{did}").click().run()
    assert not errors(at)
    assert any("Stored split" in s.value for s in at.success), [e.value for e in at.error]
    assert not [w.value for w in at.warning if "class" in w.value]
    # stratified on the number: quantile bins, said in the split's description
    at.segmented_control(key=f"data.split_method.{did}").set_value("stratified").run()
    at.button(key=f"data.split_create.{did}").click().run()
    assert not errors(at)
    assert any("5 quantile bins" in c.value for c in at.caption)


def test_file_order_split_is_offered_without_a_date_column(own, app_env):
    at, pid = own
    _upload(at, "pumps.csv.gz", _csv_gz(_pumps()))
    did = at.session_state["data.dataset_id"]
    at.segmented_control(key=f"data.split_method.{did}").set_value("time").run()
    assert any("File order" in i.value for i in at.info)
    at.segmented_control(key=f"data.split_method.{did}").set_value("order").run()
    at.button(key=f"data.split_create.{did}").click().run()
    assert not errors(at)
    assert any("168 train, 36 dev, 36 test" in s.value for s in at.success)
    assert any("by row order" in c.value for c in at.caption)

    def parts(s):
        (row,) = splits_db.list_splits(s, pid, did)
        return splits_db.split_assignment_frame(s, row.id)["part"].tolist()

    assert _stored(app_env, parts) == ["train"] * 168 + ["dev"] * 36 + ["test"] * 36


def test_distribution_opens_on_a_feature_not_the_identifier(own):
    at, _ = own
    _upload(at, "pumps.csv.gz", _csv_gz(_pumps()))
    did = at.session_state["data.dataset_id"]
    # no target is typed or set: the first numeric column, not the ID
    assert at.selectbox(key=f"data.dist_column.{did}").value == "flow_rate"


def test_distribution_opens_on_the_target_role(own):
    at, _ = own
    _upload(at, "pumps.csv.gz", _csv_gz(_pumps()))
    at.selectbox(key="data.role.target").set_value("energy_kwh")
    next(b for b in at.get("form_submit_button") if "column roles" in b.label).click()
    at.run()
    assert not errors(at)
    _upload(at, "pumps again.csv.gz", _csv_gz(_pumps(seed=5)))  # a new dataset: first visit
    did = at.session_state["data.dataset_id"]
    assert at.selectbox(key=f"data.dist_column.{did}").value == "energy_kwh"


def test_column_roles_saved_on_the_data_page_are_the_projects(own, app_env):
    at, pid = own
    _upload(at, "pumps.csv.gz", _csv_gz(_pumps()))
    assert at.selectbox(key="data.role.id").value == "reading_uid"  # proposed
    assert any(c.value == "Why: the only identifier column." for c in at.caption)
    at.selectbox(key="data.role.target").set_value("energy_kwh")
    next(b for b in at.get("form_submit_button") if "column roles" in b.label).click()
    at.run()
    assert not errors(at)
    assert any("Column roles saved" in s.value for s in at.success)
    roles = _stored(app_env, lambda s: projects.column_roles(s, pid))
    assert (roles.target, roles.id, roles.time) == ("energy_kwh", "reading_uid", None)
    assert _stored(app_env, lambda s: len(datasets_db.list_datasets(s, pid))) == 1
