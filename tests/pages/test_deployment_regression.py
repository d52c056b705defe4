"""The Deployment page on a regression project (issue 15): a ridge against a mean baseline,
no time column; the form offers an error tolerance (not a decision threshold) and the
regression guardrails, and the rehearsal runs to a judged verdict whose legend says what a
wrong prediction is. Before: "Run the rehearsal" raised AttributeError (predict_proba)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from streamlit.testing.v1 import AppTest

from core.db.database import Database
from tests.core.deploy_regression_data import MAE_TARGET, build_regression_project
from tests.pages.helpers import open_project_page

PAGE = "pages/6_Deployment.py"


def _open(path: Path, **kw):
    store = Database(path)
    try:
        p = build_regression_project(store, **kw)
    finally:
        store.close()
    return p, open_project_page(PAGE, p.project_id)


def _run_form(at: AppTest) -> AppTest:
    cast(Any, at.get("form_submit_button")[0]).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _text(at: AppTest) -> str:
    return " ".join(x.value for kind in (at.markdown, at.info, at.success, at.warning,
                                         at.caption) for x in kind)


def test_the_form_offers_an_error_tolerance_and_regression_guardrails(own_db):
    p, at = _open(own_db)
    assert at.number_input(key="deploy.tolerance").value == MAE_TARGET
    keys = {w.key for w in at.number_input}
    assert "deploy.threshold" not in keys and "deploy.fallback" not in keys
    text = _text(at)
    assert "mean − z·sd/√n" in text and "not judged (never a pass)" in text
    assert at.selectbox(key=f"deploy.incumbent.{p.stream_id}").value == p.ridge_id  # champion


@pytest.mark.parametrize("pattern", ["canary", "shadow", "blue_green"])
def test_a_regression_rehearsal_runs_and_says_what_a_wrong_prediction_is(own_db, pattern):
    p, at = _open(own_db)
    at.selectbox(key=f"deploy.incumbent.{p.stream_id}").set_value(p.baseline_id)
    at.multiselect(key="deploy.patterns").set_value([pattern])
    at.number_input(key=f"deploy.window_requests.{p.stream_id}").set_value(200)
    _run_form(at)
    text = _text(at)
    assert "**GO**" in text, text
    assert "MAE ≤ 9" in " ".join(str(d.value) for d in at.dataframe) + text
    helps = {m.label: m.proto.help for m in at.metric}
    assert "absolute error |outcome − prediction| exceeds the error tolerance (9)" in helps[
        "Errors exposed"]
    assert "a wrong answer is a prediction whose absolute error" in text


def test_a_tolerance_set_on_the_page_is_used(own_db):
    p, at = _open(own_db)
    at.selectbox(key=f"deploy.incumbent.{p.stream_id}").set_value(p.baseline_id)
    at.multiselect(key="deploy.patterns").set_value(["blue_green"])
    at.number_input(key="deploy.tolerance").set_value(25.0)
    _run_form(at)
    assert "exceeds the error tolerance (25)" in _text(at)


def test_a_stream_without_labels_is_not_judged(own_db):
    p, at = _open(own_db, with_labels=False)
    at.selectbox(key=f"deploy.incumbent.{p.stream_id}").set_value(p.baseline_id)
    _run_form(at)
    text = _text(at)
    assert "**NOT JUDGED**" in text and "**GO**" not in text
    assert {m.label: m.value for m in at.metric}["Errors exposed"] == "not known"
