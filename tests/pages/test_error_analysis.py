from __future__ import annotations

import streamlit as st

from core import analysis as S
from core.db import projects as projects_db
from core.db.database import Database

PAGE = "pages/5_Error_analysis.py"


def _exc(at) -> list:
    return [e.value for e in at.exception]


def _submit(at, label: str):
    return next(b for b in at.get("form_submit_button") if b.label == label)


def test_page_shows_the_slice_table_and_tags_an_error(app, app_env):
    app.switch_page(PAGE).run()
    assert not _exc(app)
    assert not app.error, [e.value for e in app.error]
    frames = [d.value for d in app.dataframe]
    slices = next(f for f in frames if {"priority", "gap_to_hlp", "share"} <= set(f.columns))
    assert len(slices) > 10 and slices["priority"].is_monotonic_decreasing
    assert any(m.label.startswith("Overall") for m in app.metric)
    # fairness gaps for the brief's sensitive columns
    assert any("worst" in f.columns for f in frames)

    # tag the first two errors of the chosen slice
    rows = app.multiselect(key="errors.tag_rows")
    picked = rows.options[:2]
    rows.set_value([int(p) for p in picked])
    app.text_input(key="errors.tag").input("ambiguous label")
    _submit(app, "Tag rows").click()
    app.run()
    assert not _exc(app)
    tags = next(
        d.value
        for d in app.dataframe
        if "tag" in d.value.columns
        and "row_id" in d.value.columns
        and "created_by" in d.value.columns
    )
    assert set(tags["tag"]) == {"ambiguous label"} and len(tags) == 2

    # the tag is now a slice of the table
    frames = [d.value for d in app.dataframe]
    slices = next(f for f in frames if "priority" in f.columns)
    assert ((slices["column"] == "tag") & (slices["value"] == "ambiguous label")).any()


def test_discover_and_record_an_action(app, app_env):
    app.switch_page(PAGE).run()
    _submit(app, "Find problem slices").click()
    app.run()
    assert not _exc(app)
    assert any("slices evaluated" in c.value for c in app.caption)
    app.text_area(key="errors.action_note").input("collect 300 more dear claims")
    _submit(app, "Record action").click()
    app.run()
    assert not _exc(app)
    st.cache_resource.clear()  # release the database so the test can open it
    store = Database(app_env)
    try:
        pid = projects_db.list_projects(store)[0].id
        (action,) = S.open_actions(store, pid)
        assert action.note == "collect 300 more dear claims" and action.action == "collect"
        assert action.run_id is not None
        assert S.latest_discovery(store, action.run_id, "dev") is not None
    finally:
        store.close()
