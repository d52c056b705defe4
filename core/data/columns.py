"""Column types as stored per dataset: detected once (``core.data.detect``), with the rule
that decided, and the user's override and stated valid range, which win."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.data.detect import detect_column_types
from core.data.stored_profile import column_profile
from core.db import data as data_db
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.data import ColumnSetting
from core.db.database import Database
from core.errors import StoreError

COLUMN_TYPES = (
    "numeric",
    "categorical",
    "boolean",
    "text",
    "datetime",
    "identifier",
    "target",
    "image",
)
UNSTRUCTURED = ("text", "image")


@dataclass(frozen=True)
class ColumnType:
    """A column's stored type: detected with its rule, the override that wins, the range."""

    column: str
    dtype: str
    detected: str
    rule: str
    override: str | None = None
    range_low: float | None = None
    range_high: float | None = None

    @property
    def type(self) -> str:
        return self.override or self.detected

    @property
    def structured(self) -> bool:
        return self.type not in UNSTRUCTURED


def column_types(
    store: Database,
    dataset_id: int,
    actor: str = "workbench",
    profile: pd.DataFrame | None = None,
) -> list[ColumnType]:
    """The stored types of a dataset's columns, detected (and stored) on first use, from
    ``profile`` or the stored column profile (:mod:`core.data.stored_profile`: computed and
    stored here when there is none, so the quality report reads it back)."""
    schema = datasets_db.dataset_schema(store, dataset_id)
    stored = data_db.list_column_types(store, dataset_id)
    if {r.column_name for r in stored} != {c for c, _ in schema}:
        if profile is None:
            profile = column_profile(store, dataset_id, actor=actor)
        data_db.save_detected_types(store, dataset_id, detect_column_types(profile), actor)
        stored = data_db.list_column_types(store, dataset_id)
    dtypes = dict(schema)
    return [
        ColumnType(
            r.column_name,
            dtypes[r.column_name],
            r.detected,
            r.rule,
            r.override,
            r.range_low,
            r.range_high,
        )
        for r in stored
    ]


def _blank(v: Any) -> Any:
    """None for an empty cell of an edited table (None, NaN or NA), else the value."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v


def column_types_frame(types: list[ColumnType]) -> pd.DataFrame:
    """The editable table of the Columns tab: one row per column."""
    return pd.DataFrame(
        [
            {
                "column": t.column,
                "stored as": t.dtype,
                "detected": t.detected,
                "rule": t.rule,
                "type": t.type,
                "low": t.range_low,
                "high": t.range_high,
                "structure": "structured" if t.structured else "unstructured",
            }
            for t in types
        ]
    )


def _edited_setting(row: dict[str, Any], current: dict[str, ColumnType]) -> ColumnSetting:
    """One edited row as the setting to store; StoreError for what cannot be stored."""
    col = row["column"]
    t = current.get(col)
    if t is None:
        raise StoreError(f"Unknown column {col!r}.")
    kind = _blank(row.get("type")) or t.detected
    if kind not in COLUMN_TYPES:
        raise StoreError(f"{kind!r} is not a column type; use one of {', '.join(COLUMN_TYPES)}.")
    low, high = _blank(row.get("low")), _blank(row.get("high"))
    low = None if low is None else float(low)
    high = None if high is None else float(high)
    if low is not None and high is not None and low > high:
        raise StoreError(f"The stated range of {col!r} is empty: low {low:g} > high {high:g}.")
    return ColumnSetting(col, None if kind == t.detected else kind, low, high)


def save_column_settings(store: Database, dataset_id: int, edited: pd.DataFrame, actor: str) -> int:
    """Store the edited types and stated ranges (the ``column_types_frame`` layout).

    A type equal to the detected one clears the override. Returns the number of changed
    columns. Raises StoreError for an unknown type, low > high, or more than one target.
    """
    current = {t.column: t for t in column_types(store, dataset_id, actor)}
    settings = [_edited_setting(row, current) for row in edited.to_dict("records")]
    targets = [s.column for s in settings if (s.override or current[s.column].detected) == "target"]
    if len(targets) > 1:
        raise StoreError(
            f"Only one column can be the target; {', '.join(map(repr, targets))} "
            "are all marked as target."
        )
    changes = [
        s
        for s in settings
        if (s.override, s.range_low, s.range_high)
        != (current[s.column].override, current[s.column].range_low, current[s.column].range_high)
    ]
    if changes:
        data_db.set_column_settings(store, dataset_id, changes, actor)
    return len(changes)


def target_column(store: Database, dataset_id: int) -> str | None:
    """The dataset's target column as stored (override or detected), if any."""
    return next((t.column for t in column_types(store, dataset_id) if t.type == "target"), None)


FIRST_SHOWN = ("target", "numeric", "categorical", "boolean")  # worth a first look, in order


def first_shown_column(types: list[ColumnType], target_role: str | None = None) -> str | None:
    """The column whose distribution the Data page opens on: the target (typed as target,
    else the project's target role), else the first numeric, categorical or boolean
    column, else the first that is not an identifier or free text; never an identifier
    when anything else exists.

    >>> ts = [ColumnType("row_key", "VARCHAR", "identifier", ""),
    ...       ColumnType("notes", "VARCHAR", "text", ""),
    ...       ColumnType("kwh", "DOUBLE", "numeric", "")]
    >>> first_shown_column(ts), first_shown_column(ts, target_role="notes")
    ('kwh', 'notes')
    """
    names = [t.column for t in types]
    typed = next((t.column for t in types if t.type == "target"), None)
    if typed or target_role in names:
        return typed or target_role
    for kind in FIRST_SHOWN:
        found = next((t.column for t in types if t.type == kind), None)
        if found:
            return found
    rest = [t.column for t in types if t.type not in ("identifier", "text")]
    return (rest or names or [None])[0]


def default_distribution_column(store: Database, dataset_id: int) -> str | None:
    """:func:`first_shown_column` of a stored dataset, with its project's target role."""
    ds = datasets_db.require_dataset(store, dataset_id)
    role = projects_db.get_column_roles(store, ds.project_id).get("target")
    return first_shown_column(column_types(store, dataset_id), role)
