"""Driving Streamlit widgets from Playwright by their visible labels, as a user would."""

from __future__ import annotations

from pathlib import Path

READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def wait_ready(page, settle_ms: int = 700) -> None:
    """Wait until the script run ends (twice: a rerun may follow a widget change)."""
    page.wait_for_selector(READY, timeout=240_000)
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector(READY, timeout=240_000)


def problems(page, where: str) -> list[str]:
    """Exception boxes on the page, named by where we are."""
    n = page.locator("[data-testid='stException']").count()
    return [f"{where}: {n} exception box(es): "
            + page.locator("[data-testid='stException']").first.inner_text()[:500]] if n else []


def goto(page, base: str, label: str) -> None:
    """Open a page from the sidebar menu by its label."""
    page.locator("[data-testid='stSidebar'] a", has_text=label).first.click()
    wait_ready(page)


def expand(page, label: str) -> None:
    """Open a collapsed expander by its label."""
    summary = page.locator("[data-testid='stExpander'] summary", has_text=label).first
    details = summary.locator("xpath=..")
    if details.get_attribute("open") is None:
        summary.click()
        wait_ready(page, 300)


def fill(page, label: str, text: str, *, scope=None) -> None:
    """Type into a text input or area by its label, then leave it (Streamlit commits on blur)."""
    box = (scope or page).get_by_label(label, exact=True).first
    box.fill(text)
    box.press("Tab")
    wait_ready(page, 300)


def select(page, label: str, option: str, *, scope=None) -> None:
    """Pick an option of a selectbox by the selectbox's label and the option's text."""
    root = (scope or page).locator("[data-testid='stSelectbox']", has_text=label).first
    root.locator("[data-baseweb='select']").click()
    page.locator("[role='option']", has_text=option).first.click()
    wait_ready(page, 300)


def click(page, text: str, *, scope=None) -> None:
    """Click a button (or form submit button) by its text."""
    (scope or page).get_by_role("button", name=text).first.click()
    wait_ready(page)


def upload(page, path: Path, *, index: int = 0) -> None:
    """Give a file to the ``index``-th file uploader on the page."""
    page.locator("[data-testid='stFileUploader'] input[type='file']").nth(index).set_input_files(
        str(path)
    )
    wait_ready(page)


def text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()
