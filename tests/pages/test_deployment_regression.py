"""The Deployment page on a regression project (issue 15): a ridge against a mean baseline,
no time column; the form offers an error tolerance (not a decision threshold) and the
regression guardrails, and the rehearsal runs to a judged verdict whose legend says what a
wrong prediction is. Before: "Run the rehearsal" raised AttributeError (predict_proba)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.db.database import Database
from tests.core.deploy_regression_data import MAE_TARGET, build_regression_project
from ui import state

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/6_Deployment.py"


@pytest.fixture
def reg_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "reg.duckdb"))
    monkeypatch.setenv("WORKBENCH_SEED_DEMO", "0")
    monkeypatch.setenv("WORKBENCH_ARTIFACTS", str(tmp_path / "artifacts"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield tmp_path / "reg.duckdb"
    st.cache_data.clear()
    st.cache_resource.clear()


def _open(path: Path, **kw):
    store = Database(path)
    try:
        p = build_regression_project(store, **kw)
    finally:
        store.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state[state.PROJECT_ID] = p.project_id
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return p, at


def _run_form(at: AppTest) -> AppTest:
    cast(Any, at.get("form_submit_button")[0]).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _text(at: AppTest) -> str:
    return " ".join(x.value for kind in (at.markdown, at.info, at.success, at.warning,
                                         at.caption) for x in kind)


def test_the_form_offers_an_error_tolerance_and_regression_guardrails(reg_db):
    p, at = _open(reg_db)
    assert at.number_input(key="deploy.tolerance").value == MAE_TARGET
    keys = {w.key for w in at.number_input}
    assert "deploy.threshold" not in keys and "deploy.fallback" not in keys
    text = _text(at)
    assert "mean − z·sd/√n" in text and "not judged (never a pass)" in text
    assert at.selectbox(key=f"deploy.incumbent.{p.stream_id}").value == p.ridge_id  # champion


@pytest.mark.parametrize("pattern", ["canary", "shadow", "blue_green"])
def test_a_regression_rehearsal_runs_and_says_what_a_wrong_prediction_is(reg_db, pattern):
    p, at = _open(reg_db)
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


def test_a_tolerance_set_on_the_page_is_used(reg_db):
    p, at = _open(reg_db)
    at.selectbox(key=f"deploy.incumbent.{p.stream_id}").set_value(p.baseline_id)
    at.multiselect(key="deploy.patterns").set_value(["blue_green"])
    at.number_input(key="deploy.tolerance").set_value(25.0)
    _run_form(at)
    assert "exceeds the error tolerance (25)" in _text(at)


def test_a_stream_without_labels_is_not_judged(reg_db):
    p, at = _open(reg_db, with_labels=False)
    at.selectbox(key=f"deploy.incumbent.{p.stream_id}").set_value(p.baseline_id)
    _run_form(at)
    text = _text(at)
    assert "**NOT JUDGED**" in text and "**GO**" not in text
    assert {m.label: m.value for m in at.metric}["Errors exposed"] == "not known"
