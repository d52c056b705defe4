"""The brief in the store: save (validated, as a new version), read, history, diff, restore,
import, record a measured baseline; and what later stages read from it (the contract, the
readiness for a go decision, the lifecycle's Scope step)."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd

from core.db import datasets as datasets_db
from core.db import scoping as scoping_db
from core.db.database import Database
from core.db.datasets import ROW_ID
from core.errors import StoreError
from core.scoping.brief import (
    Brief,
    BriefVersion,
    brief_from_dict,
    brief_to_dict,
    clean_line,
    clean_number,
    normalize_brief,
)
from core.scoping.contract import Baseline, Contract
from core.scoping.diff import diff_briefs
from core.scoping.markdown import from_markdown
from core.scoping.validation import ScopingError, check_brief, validate_brief
from core.scoping.vocabulary import BASELINE_KINDS


def project_columns(store: Database, project_id: int) -> dict[str, list[str]]:
    """Column name -> the project's datasets that have it (the choices for x, y, sensitive)."""
    out: dict[str, list[str]] = {}
    for ds in datasets_db.list_datasets(store, project_id):
        for name, _ in datasets_db.dataset_schema(store, ds.id):
            if name != ROW_ID:
                out.setdefault(name, []).append(ds.name)
    return out


def _insert(store: Database, project_id: int, brief: Brief, note: str, actor: str) -> int:
    payload = json.dumps(brief_to_dict(brief), sort_keys=True)
    return scoping_db.insert_brief_version(store, project_id, payload, note, actor)


def save_brief(store: Database, project_id: int, brief: Brief, actor: str, note: str = "") -> int:
    """Validate and save a brief as the project's next version; returns the version number.

    Raises ``ScopingError`` (nothing saved) when a field is invalid.
    """
    brief = normalize_brief(brief)
    errors = validate_brief(brief, set(project_columns(store, project_id)))
    if errors:
        raise ScopingError(errors)
    return _insert(store, project_id, brief, clean_line(note), actor)


def _version(row: scoping_db.BriefRow) -> BriefVersion:
    try:
        brief = brief_from_dict(json.loads(row.brief_json))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise StoreError(
            f"Version {row.version} of this project's brief cannot be read: {exc}."
        ) from exc
    return BriefVersion(row.version, row.created_at, row.created_by, row.note, brief)


def get_brief(store: Database, project_id: int, version: int | None = None) -> BriefVersion | None:
    """One saved version of the brief (default the latest), or None.

    Raises ``StoreError`` when the stored brief cannot be read.
    """
    row = scoping_db.get_brief_version(store, project_id, version)
    return _version(row) if row else None


def _require(store: Database, project_id: int, version: int) -> BriefVersion:
    found = get_brief(store, project_id, version)
    if found is None:
        raise StoreError(f"Version {version} of this project's brief does not exist.")
    return found


def list_versions(store: Database, project_id: int) -> pd.DataFrame:
    """The brief's history, newest first: version, saved at, by, note."""
    rows = scoping_db.list_brief_versions(store, project_id)
    return pd.DataFrame(
        [(r.version, r.created_at, r.created_by, r.note) for r in rows],
        columns=["version", "saved_at", "by", "note"],
    )


def diff_versions(store: Database, project_id: int, old: int, new: int) -> pd.DataFrame:
    """The fields that differ between two saved versions: field, before, after."""
    return diff_briefs(
        _require(store, project_id, old).brief, _require(store, project_id, new).brief
    )


def restore_version(store: Database, project_id: int, version: int, actor: str) -> int:
    """Save an old version again as the newest; returns the new version number."""
    brief = _require(store, project_id, version).brief
    return save_brief(store, project_id, brief, actor, note=f"Restored version {version}")


def import_brief(store: Database, project_id: int, text: str, filename: str, actor: str) -> int:
    """Read a Markdown export and save it as a new version (checked like any save)."""
    brief = from_markdown(text)
    return save_brief(store, project_id, brief, actor, note=f"Imported from {filename}")


def get_contract(store: Database, project_id: int) -> Contract | None:
    """The contract of the latest saved brief, or None when no brief exists."""
    v = get_brief(store, project_id)
    return v.brief.contract if v else None


def record_baseline(
    store: Database,
    project_id: int,
    kind: str,
    value: float,
    metric: str,
    source: str,
    actor: str,
) -> int:
    """Save a new version of the brief with one baseline set (e.g. a measured HLP).

    Only the baseline is validated, so a measurement can be recorded even while the rest of
    the brief is incomplete. Returns the new version number.
    """
    baseline = Baseline(kind, clean_number(value), metric, clean_line(source))
    errors = validate_brief(Brief(contract=Contract(baselines={kind: baseline})))
    if not errors and (baseline.value is None or not baseline.source):
        errors = {f"baseline_{kind}": ["A recorded baseline needs a value and a source."]}
    if errors:
        raise ScopingError(errors)
    current = get_brief(store, project_id)
    brief = normalize_brief(current.brief if current else Brief())
    contract = replace(brief.contract, baselines={**brief.contract.baselines, kind: baseline})
    note = f"{BASELINE_KINDS[kind]} recorded: {metric} {baseline.value:g} ({baseline.source})"
    return _insert(store, project_id, replace(brief, contract=contract), note, actor)


# ------------------------------------------------------- read by other stages
def readiness(store: Database, project_id: int) -> list[str]:
    """What is still missing for a go decision (empty = ready)."""
    v = get_brief(store, project_id)
    if v is None:
        return [
            "No project brief is saved yet: write the problem, f(x) = y, metrics and "
            "baselines on the Scoping page."
        ]
    return check_brief(v.brief, set(project_columns(store, project_id)))


def scope_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """(status, evidence, next action) of the lifecycle's Scope step, from the readiness check."""
    v = get_brief(store, project_id)
    if v is None:
        return (
            "not started",
            "No project brief is stored.",
            "Write the brief: problem, f(x)=y, metrics and baselines.",
        )
    missing = check_brief(v.brief, set(project_columns(store, project_id)))
    if not missing:
        return (
            "done",
            f"Brief v{v.version} is ready for a go decision.",
            "Keep it current: later stages check against its contract.",
        )
    return (
        "in progress",
        f"Brief v{v.version}: {len(missing)} item(s) missing for a go decision.",
        missing[0],
    )
