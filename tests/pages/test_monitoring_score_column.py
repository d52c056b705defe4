"""The Monitoring page for a model that runs elsewhere (issue 15): no model registered here,
the scores in a column (the project's score role), column names unlike the demo's; and the
score role in the Overview's roles editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.projects import column_roles, save_column_roles
from tests.pages.helpers import open_project_page

PAGE = "pages/7_Monitoring.py"


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(1.8 * x[:, 0] - 1.2 * x[:, 1] + shift)))
    y = (rng.uniform(size=n) < (0.5 if shift else p)).astype(int)
    return pd.DataFrame({"temp_c": x[:, 0], "hum_pct": x[:, 1], "p_outside": p, "outcome": y})


def _build(path: Path, role: bool = True) -> int:
    store = Database(path)
    try:
        pid = projects_db.create_project(store, "Gate scoring", "a model that runs elsewhere")
        datasets_db.insert_dataset(store, pid, "gate_history", _frame(2000, 1), source="t",
                                   role="training", actor="t")
        datasets_db.insert_dataset(store, pid, "gate_batch", _frame(800, 2, shift=2.0),
                                   source="t", role="production", actor="t")
        save_column_roles(store, pid, {"target": "outcome",
                                       "score": "p_outside" if role else None}, "t")
        return pid
    finally:
        store.close()


def test_no_model_runs_on_the_score_column(own_db):
    at = open_project_page(PAGE, _build(own_db))
    assert at.selectbox(key="monitoring.model").value is None  # nothing registered here
    assert at.selectbox(key="monitoring.score").value == "p_outside"  # the project's role
    at.selectbox(key="monitoring.window").set_value("rows")
    at.number_input(key="monitoring.rows").set_value(400)
    button: Any = at.get("form_submit_button")[0]
    button.click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("column 'p_outside'" in i.value for i in at.info)
    assert any("not available for a model that runs elsewhere" in c.value for c in at.caption)
    alerts = next(d.value for d in at.dataframe if "policy" in d.value.columns)
    assert "output drift" in set(alerts["policy"])


def test_the_roles_editor_offers_the_score_role(own_db):
    pid = _build(own_db, role=False)
    at = open_project_page("pages/2_Data.py", pid)
    box = at.selectbox(key="data.role.score")
    assert "model that runs elsewhere" in (box.help or "")
    box.set_value("p_outside")
    buttons: list[Any] = list(at.get("form_submit_button"))
    next(b for b in buttons if "column roles" in b.label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    import streamlit as st

    st.cache_resource.clear()  # close the app's connection before opening the file here
    store = Database(own_db)
    try:
        assert column_roles(store, pid).score == "p_outside"
    finally:
        store.close()
