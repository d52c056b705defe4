from __future__ import annotations

from ui.state import PROJECT_ID


def test_home_renders_demo_project(app):
    assert not at_exception(app)
    assert any("Claims triage" in h.value for h in app.header)
    assert app.dataframe, "the dataset catalog is shown"
    # the demo's monitoring run left open alerts, shown on the home page
    assert any("Open alerts (" in s.value and "(0)" not in s.value for s in app.subheader)
    text = " ".join(m.value for m in app.markdown)
    for step in ("Scope", "Data", "Build", "Deploy", "Monitor", "Update"):
        assert step in text


def test_create_project_and_switch_to_it(app):
    demo_id = app.session_state[PROJECT_ID]
    app.text_input(key="home.new_name").input("Churn v2")
    app.text_area(key="home.new_description").input("Predict churn")
    app.get("form_submit_button")[0].click()
    app.run()
    assert not at_exception(app)
    assert any(h.value == "Churn v2" for h in app.header)
    assert app.session_state[PROJECT_ID] != demo_id
    # the new project starts empty: its Data step is not started
    assert "No dataset yet." in " ".join(c.value for c in app.caption)
    # switch back to the demo with the sidebar picker
    app.sidebar.selectbox(key="session.project_picker").set_value(demo_id).run()
    assert not at_exception(app)
    assert any("Claims triage" in h.value for h in app.header)
    assert app.session_state[PROJECT_ID] == demo_id


def test_duplicate_project_name_is_refused(app):
    app.text_input(key="home.new_name").input("Claims triage (demo)")
    app.get("form_submit_button")[0].click()
    app.run()
    assert not at_exception(app)
    assert any("exists already" in e.value for e in app.error)


def test_delete_needs_the_name_typed(app, app_env):
    delete = app.button(key="home.delete")
    assert delete.disabled
    app.text_input(key="home.delete_confirm").input("Claims triage (demo)").run()
    app.button(key="home.delete").click().run()
    assert not at_exception(app)
    assert any("No project yet" in i.value for i in app.info)


def test_add_bundled_dataset(app):
    app.selectbox(key="home.sample").set_value("wine").run()
    app.button(key="home.add_sample").click().run()
    assert not at_exception(app)
    catalog = next(d.value for d in app.dataframe if "name" in d.value.columns)
    names = catalog["name"].tolist()
    assert "sklearn_wine" in names


def at_exception(at) -> list:
    return [e.value for e in at.exception]


def test_column_roles_are_shown_and_saved(app, app_env):
    from core import projects
    from core.db.database import Database

    # the demo stored its roles; the editor shows them
    assert app.selectbox(key="home.role.time").value == "submitted_at"
    assert app.selectbox(key="home.role.incumbent").value == "adjuster_decision"
    app.selectbox(key="home.role.latency").set_value("(none)")
    next(b for b in app.get("form_submit_button") if "column roles" in b.label).click()
    app.run()
    assert not at_exception(app)
    assert any("Column roles saved" in s.value for s in app.success)
    import streamlit as st

    st.cache_resource.clear()  # close the app's connection before opening the file here
    db = Database(app_env)
    try:
        pid = projects.list_projects(db)[0].id
        roles = projects.column_roles(db, pid)
        assert roles.latency is None and roles.time == "submitted_at"
    finally:
        db.close()


def test_one_column_cannot_play_two_roles(app):
    app.selectbox(key="home.role.id").set_value("submitted_at")
    next(b for b in app.get("form_submit_button") if "column roles" in b.label).click()
    app.run()
    assert not at_exception(app)
    assert any("two roles" in e.value for e in app.error)
