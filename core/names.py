"""Names users give things (projects, datasets, labels sets, queues, tags): normalised and
checked once, at creation, by :func:`clean_name`.

A name is one line of text: surrounding spaces are stripped, runs of spaces or tabs become
one space, Unicode is NFC-normalised (so two spellings of "é" are one name), and a line
break or another control character is refused, since a name is typed again to confirm a
deletion and shown in menus. Markdown in a name is allowed and shown literally by the pages
(``ui.text.literal``).
"""

from __future__ import annotations

import unicodedata

from core.errors import StoreError

MAX_NAME_LENGTH = 100
# control and format characters (line breaks, NUL, bidi overrides); tab is whitespace and
# the zero-width (non-)joiners belong to emoji and some scripts
_REFUSED = ("Cc", "Cf", "Zl", "Zp")
_KEPT = "\t\u200c\u200d"


class InvalidName(StoreError):
    """A name that cannot be used; the message says which and why."""


def clean_name(value: object, what: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """The name to store for ``value``; a StoreError naming ``what`` when it cannot be one.

    Examples
    --------
    >>> clean_name("  Churn \\t  v2 ", "project")
    'Churn v2'
    >>> clean_name("Churn\\n# v2", "project")
    Traceback (most recent call last):
    ...
    core.names.InvalidName: The project name 'Churn\\n# v2' holds a line break or another control character; type it on one line, without them.
    """
    raw = "" if value is None else str(value)
    name = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in _REFUSED and ch not in _KEPT for ch in name):
        raise InvalidName(
            f"The {what} name {raw!r} holds a line break or another control character; "
            "type it on one line, without them."
        )
    name = " ".join(name.split())
    if not name:
        raise InvalidName(f"A {what} needs a name: type one (it cannot be only spaces).")
    if len(name) > max_length:
        raise InvalidName(
            f"The {what} name is {len(name)} characters long; use at most {max_length} "
            f"(it starts {name[:30]!r})."
        )
    return name
