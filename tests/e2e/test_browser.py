"""Real-browser smoke test: every NAV page of `streamlit run app.py` with the demo seeded."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_app
from tests.e2e.driver import wait_ready
from ui.nav import NAV

pytestmark = pytest.mark.e2e


def test_every_page_renders_in_a_real_browser(server, browser):
    problems: list[str] = []
    page = open_app(browser, server)
    wait_ready(page)
    links = page.eval_on_selector_all(
        "[data-testid='stSidebar'] a[href]", "els => els.map(e => [e.innerText, e.href])"
    )
    assert len(links) == len(NAV), f"menu shows {len(links)} links, NAV has {len(NAV)}"
    for label, href in links:
        page.goto(href)
        wait_ready(page)
        exc = page.locator("[data-testid='stException']").count()
        main_text = page.locator("[data-testid='stMain']").inner_text().strip()
        if exc:
            problems.append(f"{label!r}: {exc} exception box(es)")
        if len(main_text) < 40:
            problems.append(f"{label!r}: page is empty")
        if "Page not found" in page.content():
            problems.append(f"{label!r}: page not found")
    page.close()
    assert problems == [], problems
