"""User text is text: names and notes with Markdown/HTML show literally on the pages, and
names are checked when created.

What the browser would do is judged by rendering each element's Markdown with markdown-it
(CommonMark): no image, link, heading or HTML may come out of a user's text.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from core.db import projects as projects_db
from core.db.database import Database
from ui.state import PROJECT_ID

ROOT = Path(__file__).resolve().parents[2]
MD = MarkdownIt("commonmark", {"html": True})
IMAGE_NAME = "![t](http://host/p.png) <img src=http://host/q.png>"
NOTE = "Why:\n# Not a heading\n![x](http://host/r.png)"


def _tags(at: AppTest) -> set[str]:
    """Every HTML tag the page's Markdown elements (headers, text, captions, alerts) give."""
    elements = [*at.header, *at.markdown, *at.caption, *at.error, *at.info, *at.success]
    return {t for e in elements for t in re.findall(r"<(\w+)", MD.render(e.value))}


def _home(app_env: Path) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _create(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Create project").click()


def _legacy_project(app_env: Path, name: str, description: str) -> int:
    """A project stored as before names were checked (the repository takes any name)."""
    store = Database(app_env)
    try:
        return projects_db.create_project(store, name, "tester", description)
    finally:
        store.close()


def test_a_project_named_with_markdown_loads_nothing_and_shows_as_typed(app_env):
    at = _home(app_env)
    at.text_input(key="home.new_name").input(IMAGE_NAME)
    at.text_area(key="home.new_description").input(NOTE)
    _create(at)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    header = MD.render(at.header[0].value)
    assert "<img" not in header and "&lt;img src=http" in header
    assert _tags(at) <= {"p", "strong", "em", "br", "ul", "li", "code"}, _tags(at)
    assert not {"img", "a", "h1", "h2", "h3"} & _tags(at)


def test_a_name_with_a_line_break_is_refused_with_a_message(app_env):
    at = _home(app_env)
    at.text_input(key="home.new_name").input("Churn\n# v2")
    _create(at)
    at.run()
    assert not at.exception
    assert any("line break" in e.value for e in at.error)


def test_an_old_multiline_name_shows_on_one_line_and_can_be_deleted(app_env):
    pid = _legacy_project(app_env, "Legacy\n# big heading", NOTE)
    at = _home(app_env)
    at.sidebar.selectbox(key="session.project_picker").set_value(pid).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not {"img", "h1", "h2"} & _tags(at)
    assert at.button(key="home.delete").disabled
    at.text_input(key="home.delete_confirm").input("Legacy # big heading").run()
    assert not at.button(key="home.delete").disabled
    at.button(key="home.delete").click().run()
    assert not at.exception
    assert at.session_state[PROJECT_ID] != pid
    assert not [o for o in at.sidebar.selectbox(key="session.project_picker").options
                if "Legacy" in o]
