"""The Deployment page on a project of the user's own (issue 15): column names unlike the
demo's, roles set, a model trained with core.training; no demo project in the database."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.db.database import Database
from tests.core.deploy_data import OwnProject, build_project
from tests.pages.helpers import open_project_page

PAGE = "pages/6_Deployment.py"


def _build(path: Path, **kw) -> OwnProject:
    store = Database(path)
    try:
        return build_project(store, **kw)
    finally:
        store.close()


def _open(project: OwnProject) -> AppTest:
    return open_project_page(PAGE, project.project_id)


def _text(at: AppTest) -> str:
    return " ".join(x.value for kind in (at.markdown, at.info, at.success, at.warning,
                                         at.caption) for x in kind)


def _run_form(at: AppTest) -> AppTest:
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_rehearsal_vs_the_human_process_is_judged_on_the_streams_labels(own_db):
    p = _build(own_db)
    at = _open(p)
    inc = at.selectbox(key=f"deploy.incumbent.{p.stream_id}")
    assert inc.value == "human" and any("champion" in o for o in inc.options)
    assert at.selectbox(key=f"deploy.col.{p.stream_id}.label_column").value == "outcome_flag"
    at.text_input(key="deploy.window").input("1D")
    at.text_input(key="deploy.schedule").input("10, 100")
    _run_form(at)
    text = _text(at)
    assert "**GO**" in text or "**NO-GO**" in text, text
    assert "NOT JUDGED" not in text and "could not be judged" not in text
    assert "demo" not in text.lower(), "no demo story or wording on another project"


def test_without_incumbent_or_time_column_file_order_vs_the_champion(own_db):
    p = _build(own_db, with_time=False, with_incumbent=False, flip_from=2000)
    at = _open(p)
    assert at.selectbox(key=f"deploy.incumbent.{p.stream_id}").value == p.champion_id
    assert at.selectbox(key=f"deploy.col.{p.stream_id}.time_column").value == "(file order)"
    at.number_input(key=f"deploy.window_requests.{p.stream_id}").set_value(250)
    at.text_input(key="deploy.schedule").input("50, 100")
    at.number_input(key="deploy.healthy").set_value(1)
    _run_form(at)
    text = _text(at)
    assert "Replayed in file order" in text and "windows of 250 requests" in text
    assert "**NO-GO**" in text and "champion" in text
    labels = {m.label: m.value for m in at.metric}
    assert labels["Requests to detect"] == "250"
    assert "vs v1 champion" in text or "champion" in str(at.selectbox(key="deploy.sim").value)


def test_every_summary_number_has_its_help(own_db):
    p = _build(own_db, with_time=False, flip_from=2000)
    at = _open(p)
    at.number_input(key=f"deploy.window_requests.{p.stream_id}").set_value(250)
    at.text_input(key="deploy.schedule").input("50, 100")
    at.number_input(key="deploy.healthy").set_value(1)
    _run_form(at)
    helps = {m.label: m.proto.help for m in at.metric}
    assert set(helps) == {"Served by candidate", "Errors exposed", "Extra wrong vs incumbent",
                          "Rollbacks", "Requests to full rollout", "Requests to detect"}
    assert all(len(h) > 60 for h in helps.values()), helps
    assert "onset is the start of the first window" in helps["Requests to detect"]
    assert "over the whole replay (all 3,000 requests, in file order)" in helps[
        "Served by candidate"]


def test_a_shadow_explains_its_dashes(own_db):
    p = _build(own_db)
    at = _open(p)
    at.multiselect(key="deploy.patterns").set_value(["shadow"])
    at.text_input(key="deploy.window").input("1D")
    _run_form(at)
    dashes = {m.label for m in at.metric if m.value == "—"}
    assert dashes == {"Rollbacks", "Days to full rollout", "Hours to detect"}
    assert any("Hours to detect reads —: a shadow never rolls back" in c.value
               for c in at.caption)
    assert all("**Here:**" in m.proto.help for m in at.metric if m.value == "—")


def test_no_demo_story_on_a_project_named_like_the_demo(own_db):
    """The story box is decided by the project's demo flag (set only when the demo is
    seeded) and the seeded rehearsal: a user's project never shows it, whatever its name."""
    from core.demo import DEMO_PROJECT

    p = _build(own_db, name=DEMO_PROJECT)
    at = _open(p)
    _run_form(at)  # even with a stored rehearsal
    assert not any("demo's story" in i.value for i in at.info)
