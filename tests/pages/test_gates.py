"""The Gates section on the Data, Training and Deployment pages: stored gate runs and the
checks of one, failed checks first; an empty state that shows the command to run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.db import projects as projects_db
from core.db.database import Database
from core.demo.seed import DEMO_PROJECT
from core.gates import Check, GateResult, save_gate_run

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"data": "pages/2_Data.py", "model": "pages/4_Training.py",
         "deploy": "pages/6_Deployment.py"}
KEYS = {"data": "data", "model": "training", "deploy": "deploy"}


def _store_runs(db: Path) -> dict[str, int]:
    """A real deploy gate on the demo's shadow rehearsal, and a data and a model gate run."""
    from core.deploy.simulations import simulations_frame
    from core.gates.deploy import run_deploy_gate

    s = Database(db)
    try:
        pid = next(p.id for p in projects_db.list_projects(s) if p.name == DEMO_PROJECT)
        shadow = int(simulations_frame(s, pid).set_index("pattern")["id"]["shadow"])
        ids = {"deploy": save_gate_run(s, run_deploy_gate(s, pid, DEMO_PROJECT, shadow),
                                       "tester", source="test").gate_run_id or 0}
        for gate, checks in {
            "data": (Check("types", "amount_eur", "failed", None, None, "DOUBLE -> VARCHAR"),
                     Check("drift", "amount_eur", "passed", 0.01, 0.1, "psi 0.01")),
            "model": (Check("metric", "Recall ≥ 0.6", "passed", 0.63, 0.6, "test part"),
                      Check("latency", "p95 latency (ms)", "not applicable")),
        }.items():
            result = GateResult(gate, pid, DEMO_PROJECT, f"a {gate} candidate", {}, checks)
            ids[gate] = save_gate_run(s, result, "tester", source="test").gate_run_id or 0
    finally:
        s.close()
    return ids


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    """The page's one table with ``column`` (AppTest does not keep a dataframe's key)."""
    [frame] = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


@pytest.fixture
def gated_app(app_env: Path) -> tuple[AppTest, dict[str, int]]:
    ids = _store_runs(app_env)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, ids


@pytest.mark.parametrize("gate", ["data", "model", "deploy"])
def test_page_shows_its_gate_runs(gated_app: tuple[AppTest, dict[str, int]], gate: str) -> None:
    at, ids = gated_app
    at.switch_page(PAGES[gate]).run()
    assert not at.exception, [e.value for e in at.exception]
    pick = at.selectbox(key=f"{KEYS[gate]}.gate_run")
    assert pick.value == ids[gate]  # only this stage's gate, the newest first
    assert len(pick.options) == 1
    runs = _frame(at, "subject")
    assert list(runs["gate"]) == [gate]
    checks = _frame(at, "check_group")
    if gate == "data":
        assert list(checks["status"]) == ["failed", "passed"]  # failed first
        assert list(runs["verdict"]) == ["failed"]
    if gate == "deploy":
        assert list(checks["status"]) == ["passed"]
    assert any(f"core.gate {gate}" in c.value for c in at.code)


def test_no_gate_run_shows_the_command(app: AppTest) -> None:
    app.switch_page(PAGES["deploy"]).run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("No deploy gate has run" in i.value for i in app.info)
    assert any("core.gate deploy" in c.value for c in app.code)


def test_retrained_challenger_is_preselected_for_a_canary(app_env: Path) -> None:
    """``python -m core.retrain`` without --rehearse leaves its challenger for the page."""
    from core.gates.retrain import main

    assert main(["--db", str(app_env), "--project", DEMO_PROJECT]) in (0, 1)
    s = Database(app_env)
    pid = next(p.id for p in projects_db.list_projects(s) if p.name == DEMO_PROJECT)
    from core.gates import pending_canary

    version_id, _ = pending_canary(s, pid) or (None, None)
    s.close()
    assert version_id is not None
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(PAGES["deploy"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Continuous training registered" in m.value for m in at.success)
    assert at.selectbox(key="deploy.candidate").value == version_id
