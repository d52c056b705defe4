"""The JSON documents one command writes for another to read, e.g. on a Spark cluster: the
reference grid (``python -m core.monitor --export-grid``) and the slice spec
(``python -m core.slices --export-spec``). Each carries a ``"format"`` tag; reading one back
checks the tag and names the file and the command that writes it when it is not one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import StoreError


def read_document(path: str, fmt: str, what: str, command: str, flag: str,
                  error: type[StoreError]) -> dict[str, Any]:
    """The JSON object in ``path`` tagged ``fmt``; ``error`` naming the file otherwise.

    ``what`` names the document ("grid", "spec"); ``command`` and ``flag`` say how to write
    one (``python -m core.monitor --project P`` and ``--export-grid``).
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(f"Cannot read the {what} file {path!r} ({exc}); write it with {command} "
                    f"{flag} FILE.") from exc
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise error(f"{path!r} is not a {what} file written by {flag}.")
    return doc
