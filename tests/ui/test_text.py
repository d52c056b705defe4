"""User text shows literally: ``ui.text.literal`` checked with a CommonMark renderer."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ui.text import literal

MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
ATTACKS = [
    "![t](http://host/p.png)",
    "<img src=http://host/p.png>",
    "Churn\n# v2",
    "[click](javascript:alert(1))",
    "**bold** _it_ `code` ~~gone~~",
    ":red[alarm] :material/delete: :smile: $x^2$",
    "1. item\n- item\n> quote\n---",
    "&lt;b&gt; \\ back\\slash \\' quote",
    "| a | b |\n|---|---|\n| 1 | 2 |",
]


def _visible(markdown: str) -> tuple[str, str]:
    """(the HTML markdown-it renders, its text with tags removed and entities decoded)."""
    out = MD.render(markdown)
    text = html.unescape(re.sub(r"<[^>]+>", "", out.replace("<br />", " ")))
    return out, " ".join(text.split())


@pytest.mark.parametrize("text", ATTACKS)
def test_markdown_and_html_show_literally(text):
    out, shown = _visible(literal(text))
    assert shown == " ".join(text.split())
    tags = set(re.findall(r"<(\w+)", out))
    assert tags <= {"p"}, tags  # no img, a, h1, strong, code, ol, table, hr …


def test_multiline_keeps_lines_but_makes_no_heading():
    out, shown = _visible(literal("Why\n# not a heading\n\n- nor a list", multiline=True))
    assert set(re.findall(r"<(\w+)", out)) <= {"p", "br"}
    assert shown == "Why # not a heading - nor a list"


def test_streamlit_syntax_is_escaped_and_plain_text_is_not():
    assert literal(":red[x] $y$ :smile:") == "\\:red\\[x\\] \\$y\\$ \\:smile:"
    plain = "Line 3 of sales 2025.csv: the value 'a;b' (needs_review) is 1.5, not 2."
    assert literal(plain) == plain


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
def test_any_text_renders_as_itself(text):
    out, shown = _visible(literal(text))
    expected = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    assert shown == expected
    assert set(re.findall(r"<(\w+)", out)) <= {"p"}


PIECES = st.sampled_from(
    [*"ab1 _*~`[]()!<>&#$|:\\-+=.)\n\t\"'{}^é", "http://", ":red[", "&lt;", "1. ", "---"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=25).map("".join), st.booleans())
def test_markdown_heavy_text_renders_as_itself(text, multiline):
    out, shown = _visible(literal(text, multiline=multiline))
    lines = text.split("\n") if multiline else [text]
    assert shown == " ".join(" ".join(lines).split())
    assert set(re.findall(r"<(\w+)", out)) <= {"p", "br"}
