from __future__ import annotations

from tests.pages.helpers import open_page

PAGE = "pages/7_Monitoring.py"


def test_monitoring_page_shows_the_demo_run(app):
    at = open_page(app, PAGE)
    assert any(m.label == "Open alerts" for m in at.metric)
    assert int(next(m for m in at.metric if m.label == "Open alerts").value) >= 3
    assert len(at.tabs) == 6
    # heatmap and the other charts are rendered (plotly elements)
    assert len(at.get("plotly_chart")) >= 4


def test_acknowledge_an_alert(app):
    at = open_page(app, PAGE)
    before = int(next(m for m in at.metric if m.label == "Open alerts").value)
    at.button(key="monitoring.ack").click().run()
    assert not at.exception
    after = int(next(m for m in at.metric if m.label == "Open alerts").value)
    assert after == before - 1


def test_trigger_retraining(app):
    at = open_page(app, PAGE)
    at.button(key="monitoring.retrain").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("registered as challenger" in s.value for s in at.success)
    assert at.session_state["deploy.prefill_candidate"] > 0
    # the loop closes: the Deployment page pre-selects the new challenger for a canary
    at.switch_page("pages/6_Deployment.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("pre-selected as candidate" in s.value for s in at.success)
    assert at.selectbox(key="deploy.candidate").value == at.session_state[
        "deploy.prefill_candidate"]


def test_new_run_from_the_form(app):
    at = open_page(app, PAGE)
    runs_before = len(at.selectbox(key="monitoring.run").options)
    at.selectbox(key="monitoring.window").set_value("month")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.selectbox(key="monitoring.run").options) == runs_before + 1


def test_a_new_run_is_shown_once_stored(app):
    # Before the fix the picker stayed on the run picked before, so the page showed the old
    # run ("no alert") while the new run had raised a high-severity alert.
    at = open_page(app, PAGE)
    before = at.selectbox(key="monitoring.run").value
    at.selectbox(key="monitoring.window").set_value("month")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="monitoring.run")
    assert picker.value != before and picker.value > before
    assert picker.index == 0 and " · month · " in picker.options[0]  # the newest run
