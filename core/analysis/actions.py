"""What to do about a slice: collect, augment, relabel or ignore, recorded with a note and
closed when done (open actions show on the Overview checklist)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from core.analysis.columns import slice_label
from core.analysis.source import SliceError
from core.db import analysis as analysis_db
from core.db.database import Database

ACTIONS = {
    "collect": "Collect more data",
    "augment": "Augment / oversample",
    "relabel": "Relabel",
    "ignore": "Ignore (accept the gap)",
}
STATUSES = ("open", "done", "dropped")


@dataclass(frozen=True)
class SliceAction(analysis_db.SliceActionRow):
    """A recorded action on a slice (the stored row) with its action's label."""

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def record_action(
    store: Database,
    project_id: int,
    run_id: int | None,
    preds: list[dict[str, Any]],
    action: str,
    note: str,
    actor: str,
    evidence: dict[str, Any] | None = None,
) -> int:
    """Decide what to do about a slice: collect, augment, relabel or ignore, with a note."""
    if action not in ACTIONS:
        raise SliceError(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}.")
    return analysis_db.insert_slice_action(
        store,
        project_id,
        run_id,
        slice_label(preds),
        preds,
        action,
        str(note or "").strip(),
        evidence or {},
        actor,
    )


def list_actions(store: Database, project_id: int, status: str | None = None) -> list[SliceAction]:
    """A project's actions (of one ``status`` if given), newest first."""
    return [
        SliceAction(**{f.name: getattr(row, f.name) for f in fields(row)})
        for row in analysis_db.list_slice_actions(store, project_id, status)
    ]


def open_actions(store: Database, project_id: int) -> list[SliceAction]:
    """Actions still open (for the home checklist)."""
    return list_actions(store, project_id, "open")


def close_action(store: Database, action_id: int, actor: str, status: str = "done") -> None:
    """Mark an action done or dropped (or open it again)."""
    if status not in STATUSES:
        raise SliceError("An action is open, done or dropped.")
    analysis_db.set_slice_action_status(store, action_id, status, actor)
