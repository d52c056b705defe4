from __future__ import annotations

import streamlit as st

from core import scoping
from core.db import projects as projects_db
from core.db.database import Database
from tests.pages.helpers import errors, open_page

PAGE = "pages/1_Scoping.py"


def _history(app) -> list[int]:
    versions = next(d.value for d in app.dataframe if "by" in d.value.columns)
    return versions["version"].tolist()


def test_demo_brief_is_shown_ready(app):
    at = open_page(app, PAGE)
    assert any("Ready for a go decision" in m.value for m in at.markdown)
    assert at.selectbox(key="scoping.target_column").value == "needs_review"
    assert at.number_input(key="scoping.primary_target").value == 0.6
    assert "customer_age" in at.multiselect(key="scoping.sensitive_columns").value
    assert _history(at) == [2, 1]
    assert at.download_button[0].label.startswith("Download the brief")


def test_fill_form_save_and_see_the_new_version(app, app_env):
    at = open_page(app, PAGE)
    at.number_input(key="scoping.primary_target").set_value(0.65)
    at.number_input(key="scoping.p95_latency_ms").set_value(150.0)
    at.selectbox(key="scoping.secondary_metric_2").set_value("f1")
    at.number_input(key="scoping.secondary_floor_2").set_value(0.45)
    at.text_input(key="scoping.note").input("Tighter latency")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not errors(at)
    assert any("as version 3" in s.value for s in at.success)
    assert _history(at) == [3, 2, 1]
    # the diff of v2 and v3 lists exactly what changed
    diff = next(d.value for d in at.dataframe if "field" in d.value.columns)
    assert set(diff["field"]) == {"Primary metric", "Secondary: f1", "p95 latency (ms)"}
    # the form shows the saved version and the note field is empty again
    assert at.number_input(key="scoping.p95_latency_ms").value == 150.0
    assert at.text_input(key="scoping.note").value == ""
    st.cache_resource.clear()
    store = Database(app_env)
    try:
        pid = projects_db.list_projects(store)[0].id
        c = scoping.get_contract(store, pid)
        assert c.primary.target == 0.65 and c.p95_latency_ms == 150.0
        assert scoping.MetricFloor("f1", 0.45) in c.secondary
        assert scoping.get_brief(store, pid).note == "Tighter latency"
    finally:
        store.close()


def test_invalid_targets_are_refused_with_field_messages(app):
    at = open_page(app, PAGE)
    at.number_input(key="scoping.primary_target").set_value(1.4)
    at.number_input(key="scoping.p95_latency_ms").set_value(-5.0)
    at.selectbox(key="scoping.secondary_metric_2").set_value("recall")
    at.number_input(key="scoping.secondary_floor_2").set_value(0.9)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not errors(at)
    shown = " ".join(e.value for e in at.error)
    assert "Nothing was saved" in shown
    assert "1.4 cannot be reached" in shown
    assert "p95 latency must be above 0" in shown
    assert _history(at) == [2, 1]
    # the user's input stays in the form to be corrected
    assert at.number_input(key="scoping.primary_target").value == 1.4


def test_export_then_import_restores_the_brief(app):
    at = open_page(app, PAGE)
    exported = next(m.value for m in at.code if m.value.startswith("# Project brief"))
    edited = exported.replace("- **p95 latency (ms):** 200", "- **p95 latency (ms):** 120")
    at.file_uploader(key="scoping.import_file").set_value(
        ("brief.md", edited.encode(), "text/markdown")
    )
    at.run()
    at.button(key="scoping.import").click().run()
    assert not errors(at)
    assert any("Imported brief.md as version 3" in s.value for s in at.success)
    assert at.number_input(key="scoping.p95_latency_ms").value == 120.0
    diff = next(d.value for d in at.dataframe if "field" in d.value.columns)
    assert diff["field"].tolist() == ["p95 latency (ms)"]


def test_import_of_a_foreign_file_changes_nothing(app):
    at = open_page(app, PAGE)
    at.file_uploader(key="scoping.import_file").set_value(
        ("notes.md", b"# Hi\nhello", "text/markdown")
    )
    at.run()
    at.button(key="scoping.import").click().run()
    assert not errors(at)
    assert any("not a project brief" in e.value for e in at.error)
    assert _history(at) == [2, 1]


def test_restore_an_old_version(app):
    at = open_page(app, PAGE)
    at.selectbox(key="scoping.diff_a").set_value(1).run()
    at.button(key="scoping.restore").click().run()
    assert not errors(at)
    assert any("Version 1 restored as version 3" in s.value for s in at.success)
    assert at.number_input(key="scoping.primary_target").value == 0.8
    assert any("Not ready for a go decision" in m.value for m in at.markdown)


def test_new_project_without_data_starts_empty(app):
    app.text_input(key="home.new_name").input("Churn v2")
    app.get("form_submit_button")[0].click()
    app.run()
    at = open_page(app, PAGE)
    assert any("No brief yet" in m.value for m in at.markdown)
    assert any("no dataset yet" in i.value for i in at.info)
    at.text_area(key="scoping.problem").input("Customers leave without warning.")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not errors(at)
    assert _history(at) == [1]
    assert any("Not ready" in m.value for m in at.markdown)


def test_the_form_still_shows_the_brief_after_visiting_another_page(app):
    """Streamlit drops a widget's state when a run does not draw it (another page); the
    form must load the saved version again, not come back empty and save an empty brief."""
    at = open_page(app, PAGE)
    assert at.selectbox(key="scoping.target_column").value == "needs_review"
    at.switch_page("pages/2_Data.py").run()
    assert not errors(at)
    at = open_page(at, PAGE)
    assert at.selectbox(key="scoping.target_column").value == "needs_review"
    assert at.number_input(key="scoping.primary_target").value == 0.6
    assert at.text_area(key="scoping.problem").value
