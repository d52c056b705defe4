from __future__ import annotations

import streamlit as st

from tests.pages.helpers import errors

PAGE = "pages/6_Deployment.py"


def test_demo_shows_a_stored_canary_timeline_and_decision(app):
    app.switch_page(PAGE).run()
    assert not errors(app)
    assert app.selectbox(key="deploy.sim").value is not None
    text = " ".join(m.value for m in app.markdown) + " ".join(w.value for w in app.warning)
    assert "NO-GO" in text and "Rolled back" in text, "the seeded canary caught the drift"
    assert app.get("plotly_chart"), "a timeline is drawn"
    assert any("demo's story" in i.value for i in app.info), "the seeded demo tells its story"
    detect = next(m for m in app.metric if m.label == "Hours to detect")
    assert detect.value == "336" and "onset is the start of the first window" in detect.proto.help
    assert "(7D here)" in detect.proto.help


def test_run_a_canary_on_the_demo(app):
    app.switch_page(PAGE).run()
    before = len(app.selectbox(key="deploy.sim").options)
    app.text_input(key="deploy.window").input("14D")
    app.text_input(key="deploy.schedule").input("10, 50, 100")
    app.get("form_submit_button")[0].click()
    app.run()
    assert not errors(app)
    assert not app.error
    sims = app.selectbox(key="deploy.sim")
    assert len(sims.options) == before + 1
    assert "canary" in str(sims.value) or "canary" in " ".join(sims.options[:1])
    text = (
        " ".join(m.value for m in app.markdown)
        + " ".join(w.value for w in app.warning)
        + " ".join(s.value for s in app.success)
    )
    assert "GO" in text
    assert app.get("plotly_chart")


def test_bad_schedule_is_refused_and_nothing_stored(app):
    app.switch_page(PAGE).run()
    before = len(app.selectbox(key="deploy.sim").options)
    app.text_input(key="deploy.schedule").input("50, 25, 120")
    app.get("form_submit_button")[0].click()
    app.run()
    assert not errors(app)
    assert any("increase" in e.value for e in app.error)
    assert len(app.selectbox(key="deploy.sim").options) == before


def test_empty_project_shows_what_is_missing(app):
    app.text_input(key="home.new_name").input("Empty one")
    app.get("form_submit_button")[0].click()
    app.run()
    app.switch_page(PAGE).run()
    assert not errors(app)
    assert any("Nothing to rehearse yet" in i.value for i in app.info)
    st.cache_data.clear()


def test_a_rehearsal_without_labels_is_shown_not_judged(app):
    app.switch_page(PAGE).run()
    label = next(s for s in app.selectbox if str(s.key).endswith(".label_column"))
    label.set_value("(none)")
    app.get("form_submit_button")[0].click()
    app.run()
    assert not errors(app)
    assert "not judged" in str(app.selectbox(key="deploy.sim").value) or any(
        "not judged" in o for o in app.selectbox(key="deploy.sim").options
    )
    infos = " ".join(i.value for i in app.info)
    assert "NOT JUDGED" in infos and "GO —" not in infos
    assert not any(s.value.startswith("**GO**") for s in app.success)
    text = " ".join(m.value for m in app.markdown)
    assert "Set the label column under 'Stream columns'" in text
    exposed = next(m for m in app.metric if m.label == "Errors exposed")
    assert exposed.value == "not known"
