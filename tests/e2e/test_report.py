"""The stakeholder report in a real browser: opened from a file with every request
intercepted — nothing may leave the machine — its figures drawn by the inline plotly.js,
and a screenshot taken."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.db import projects as projects_db
from core.db.database import Database
from core.governance import facts, report

pytestmark = pytest.mark.e2e

LOCAL = ("file:", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def report_file(_demo_db_template, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report_e2e")
    db = folder / "demo.duckdb"
    shutil.copy(_demo_db_template, db)
    store = Database(db)
    try:
        f = facts.collect_facts(store, projects_db.list_projects(store)[0].id)
        path = folder / "report.html"
        path.write_text(report.report_html(f), encoding="utf-8")
    finally:
        store.close()
    return path


def test_report_opens_offline_with_its_figures(browser, report_file, tmp_path):
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    requested, blocked = [], []

    def guard(route):
        url = route.request.url
        requested.append(url)
        if url.startswith(LOCAL):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("websocket", lambda ws: blocked.append(ws.url))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(report_file.as_uri())
    page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 4",
                           timeout=60_000)
    assert blocked == [], f"requests that would leave the machine: {blocked}"
    assert requested and all(u.startswith(LOCAL) for u in requested)
    assert errors == []
    assert "How good it is" in page.locator("body").inner_text()
    n_plots = page.locator(".plotly-graph-div").count()
    n_bars = page.locator(".plotly-graph-div .bars path").count()
    assert n_plots >= 4 and n_bars > 5
    shot = tmp_path / "report.png"
    page.locator(".plotly-graph-div").first.scroll_into_view_if_needed()
    page.screenshot(path=str(shot), full_page=False)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    blue = (np.abs(pixels - np.array([31, 119, 180])).max(axis=2) <= 10).sum()
    assert blue > 1_000, "the model's bars are drawn in the screenshot"
    page.close()


def test_the_guard_sees_a_request_that_would_leave(browser, tmp_path):
    """The interception above is not blind: a page that fetches from outside is caught."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text("<html><body><img src='http://192.0.2.1/x.png'>"
                     "<script src='https://cdn.plot.ly/plotly-3.0.0.min.js'></script>"
                     "</body></html>", encoding="utf-8")
    page = browser.new_page()
    blocked: list[str] = []

    def guard(route):
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(leaky.as_uri())
    page.wait_for_timeout(500)
    assert sorted(blocked) == ["http://192.0.2.1/x.png", "https://cdn.plot.ly/plotly-3.0.0.min.js"]
    page.close()
