"""The Overview's derived state: lifecycle steps and open error-analysis actions."""

from __future__ import annotations

from core import analysis as slices
from core import projects
from core.db import projects as projects_db


def test_demo_lifecycle_is_derived_from_stored_results(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    steps = {s.step: s for s in projects.lifecycle(demo_store, pid)}
    assert list(steps) == list(projects.LIFECYCLE)
    assert steps["Scope"].status == "done" and steps["Build"].status == "done"
    assert steps["Monitor"].status == "in progress"  # the demo run left open alerts


def test_open_actions_show_on_the_overview(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    assert projects.open_actions_frame(demo_store, pid).empty
    slices.record_action(demo_store, pid, None, [{"column": "region", "op": "eq",
                                                  "value": "Coastal"}],
                         "collect", "new region, too few claims", "analyst")
    frame = projects.open_actions_frame(demo_store, pid)
    assert len(frame) == 1
    assert frame["action"].iloc[0] == "Collect more data"
    assert "Coastal" in frame["slice"].iloc[0]
