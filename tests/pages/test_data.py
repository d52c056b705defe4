"""The Data page through AppTest: demo dataset, upload, report, standardize, split."""

from __future__ import annotations

import streamlit as st

from core.db import datasets as datasets_db
from core.db.database import Database
from tests.pages.helpers import errors, open_page

PAGE = "pages/2_Data.py"
CITIES = (
    b"city;temp;sold\nNY;1.5;yes\nny ;2.5;no\nNew York;3.5;yes\nBoston;4.5;no\n"
    b"boston;5.5;yes\nBoston;6.5;no\nNY;7.5;yes\nNY;1.5;yes\n"
)


def _upload(app, name: str, data: bytes):
    app.file_uploader(key="data.upload").set_value((name, data, "text/csv")).run()
    app.button(key="data.load").click().run()
    assert not errors(app)
    return app


def test_demo_dataset_shows_types_quality_and_charts(app):
    open_page(app, PAGE)
    labels = {m.label: m.value for m in app.metric}
    assert labels["Rows"] == "20,000" and labels["Missing cells"] == "222"
    assert [t.label for t in app.tabs][-4:] == [
        "Columns",
        "Quality",
        "Balance",
        "Splits",
    ]
    assert len(app.get("plotly_chart")) >= 2  # distribution and null heatmap
    assert app.dataframe, "the column table and the findings are shown"
    # the report is stored: a rerun reads it back
    app.run()
    assert not errors(app)


def test_upload_csv_see_report_and_standardize(app, app_env):
    open_page(app, PAGE)
    _upload(app, "cities.csv", CITIES)
    assert any("Loaded 8 rows and 3 columns" in s.value for s in app.success)
    assert (
        app.selectbox(key="data.dataset")
        .format_func(app.selectbox(key="data.dataset").value)
        .startswith("cities")
    )
    labels = {m.label: m.value for m in app.metric}
    assert labels["Rows"] == "8" and labels["Exact duplicate rows"] == "1"
    issues = " ".join(m for d in app.dataframe if "message" in d.value for m in d.value["message"])
    assert "spellings of one value" in issues
    app.button(key="data.standardize").click().run()
    assert not errors(app)
    assert any("Created 'cities_standardized'" in s.value for s in app.success)
    st.cache_resource.clear()  # release the file so the test can look at what is stored
    store = Database(app_env)
    try:
        pid = app.session_state["project_id"]
        by_name = {d.name: d for d in datasets_db.list_datasets(store, pid)}
        new, old = by_name["cities_standardized"], by_name["cities"]
        assert new.parent_id == old.id
        assert sorted(set(datasets_db.dataset_frame(store, new.id)["city"])) == ["Boston", "NY"]
        assert len(set(datasets_db.dataset_frame(store, old.id)["city"])) == 5
    finally:
        store.close()


def test_bad_uploads_store_nothing(app):
    open_page(app, PAGE)
    n_before = len(app.selectbox(key="data.dataset").options)
    _upload(app, "empty.csv", b"")
    assert any("empty" in e.value for e in app.error)
    _upload(app, "header.csv", b"a,b,c\n")
    assert any("no data rows" in e.value for e in app.error)
    app.selectbox(key="data.delimiter").set_value("comma ,").run()
    _upload(app, "semi.csv", b"a;b\n1;2\n3;4\n")
    assert any("probably ';'" in e.value for e in app.error)
    assert len(app.selectbox(key="data.dataset").options) == n_before


def test_add_sample_and_override_a_type(app):
    open_page(app, PAGE)
    app.selectbox(key="data.sample").set_value("wine").run()
    app.button(key="data.add_sample").click().run()
    assert not errors(app)
    assert any("Loaded 178 rows" in s.value for s in app.success)
    app.button(key="data.save_types").click().run()
    assert any("0 column(s) changed" in s.value for s in app.success)


def test_build_and_save_a_split(app):
    open_page(app, PAGE)
    _upload(app, "cities.csv", CITIES)
    ds_id = app.session_state["data.dataset_id"]
    before = len(app.get("form_submit_button"))
    assert before, "the split builder of the Splits tab is shown"
    create = [b for b in app.get("form_submit_button") if b.key == f"data.split_create.{ds_id}"]
    assert create
    create[0].click().run()
    assert not errors(app)
    assert any("Stored split" in s.value for s in app.success), [e.value for e in app.error]
    # the quality report follows the new split (leakage check) on the next run
    app.run()
    assert not errors(app)
