"""User text shown as text: names, notes, tags, brief fields and messages that quote them.

Streamlit renders Markdown (and its own ``:red[…]``, ``:emoji:`` and ``$…$`` syntax) in
``st.markdown``, ``st.write``, headers, captions, alerts, expander and widget labels, so a
project named ``![t](http://host/p.png)`` would make every viewer's browser fetch that URL,
and a newline followed by ``#`` would add a heading. :func:`literal` escapes a text so that
it shows as typed; every place that puts user text (or a message quoting it) into one of
those elements goes through it. ``st.dataframe`` cells and selectbox options are plain text
already.

CommonMark lets any ASCII punctuation be escaped with a backslash, so escaping all of it is
safe whatever the text holds; ``tests/ui/test_text.py`` renders the result with markdown-it
(a CommonMark implementation) and checks the visible text equals the input.
"""

from __future__ import annotations

import re

# always escaped: emphasis, code, links and images, HTML and autolinks, entities, Streamlit's
# LaTeX, tables, headings
_ALWAYS = re.compile(r"([\\`*~\[\]<>&$|#])")
# "_" only where it could open or close emphasis (CommonMark ignores it inside a word), so
# column names such as needs_review read as typed
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# ":" followed by a character starts Streamlit's directives (:red[…], :material/…:, :smile:)
_COLON = re.compile(r":(?=\S)")
# what makes a line a list item, a quote or a setext heading underline
_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")
_SPACES = re.compile(r"[^\S\n]+")


def literal(text: object, *, multiline: bool = False) -> str:
    r"""Markdown that displays ``text`` literally (ordinary words and punctuation unchanged).

    One line by default (every run of whitespace, newlines included, becomes one space);
    with ``multiline`` the lines are kept as hard line breaks, each escaped on its own, so no
    line can start a heading, list or quote.

    Examples
    --------
    >>> print(literal("![t](http://h/p.png)"))
    !\[t\](http\://h/p.png)
    >>> print(literal("Churn\n# v2 for needs_review"))
    Churn \# v2 for needs_review
    >>> literal("a\n\n- b", multiline=True).split("\n")
    ['a  ', '\\- b']
    """
    raw = "" if text is None else str(text)
    raw = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in raw)
    if not multiline:
        return _escape_line(" ".join(raw.split()))
    lines = [_SPACES.sub(" ", ln).strip() for ln in raw.replace("\r\n", "\n").split("\n")]
    return "  \n".join(_escape_line(ln) for ln in lines if ln)


def _escape_line(line: str) -> str:
    out = _UNDERSCORE.sub(r"\\_", _ALWAYS.sub(r"\\\1", line))
    out = _COLON.sub(r"\\:", out)
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", out)


def message(exc: BaseException | str) -> str:
    """An error's message, escaped: messages quote names, file names and values."""
    return literal(exc, multiline=True)
