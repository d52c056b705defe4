"""What error analysis reads of the other stages: the scoping brief's primary metric, HLP
and sensitive columns, and annotators' accuracy per row (per-slice human-level performance)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core import labeling, scoping
from core.analysis.source import SliceSource
from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db import training as training_db
from core.db.database import Database


@dataclass(frozen=True)
class ScopingContext:
    """What the scoping brief says to error analysis (all empty without a brief)."""

    primary: str | None = None  # the primary metric's name
    hlp: float | None = None  # the global human-level performance ...
    hlp_metric: str | None = None  # ... in this metric
    sensitive: tuple[str, ...] = ()  # columns to check for fairness gaps


def scoping_context(store: Database, project_id: int) -> ScopingContext:
    """Primary metric, HLP baseline and sensitive columns from the scoping brief, if any."""
    contract = scoping.get_contract(store, project_id)
    if contract is None:
        return ScopingContext()
    hlp = contract.hlp
    return ScopingContext(
        primary=None if contract.primary is None else contract.primary.name,
        hlp=None if hlp is None or hlp.value is None else float(hlp.value),
        hlp_metric=None if hlp is None else hlp.metric,
        sensitive=tuple(contract.sensitive_columns or ()),
    )


def human_accuracy_by_row(store: Database, source: SliceSource) -> tuple[pd.DataFrame | None, str]:
    """Per row of the run's part: the annotators' mean accuracy against the row's true label.

    Uses a labels set (Labeling page) whose items are rows of the run's dataset or of an
    ancestor version. Returns a frame (row_id, v) or None, and the labels set's name.
    """
    if source.dataset_id is None or source.project_id is None or source.run_id is None:
        return None, ""
    lineage = set(source.tag_datasets)
    for ls in labeling.list_label_sets(store, source.project_id):
        item_col = ls.item_id_column
        if ls.item_dataset_id not in lineage or not item_col:
            continue
        long = labeling_db.label_frame(store, ls.id)
        if long.empty:
            continue
        ids = datasets_db.dataset_frame(store, source.dataset_id, [item_col], with_row_id=True)
        ids = pd.DataFrame({"row_id": ids["__row_id"], "item_id": ids[item_col].astype(str)})
        preds = training_db.run_predictions(store, source.run_id, [source.part or "dev"])
        rows = preds[["row_id", "y_true"]].merge(ids, on="row_id")
        lab = pd.DataFrame(
            {
                "item_id": long["item_id"].astype(str),
                "label": _norm_label(long["label"]),
            }
        )
        joined = lab.merge(rows, on="item_id")
        if joined.empty:
            continue
        joined["v"] = (joined["label"] == _norm_label(joined["y_true"])).astype(float)
        return joined.groupby("row_id", as_index=False)["v"].mean(), str(ls.name or "")
    return None, ""


def _norm_label(values: pd.Series) -> pd.Series:
    """Labels as text with integral numbers without '.0' (1.0 and '1' match), value by value
    (``labeling.normalize_labels`` converts only an all-numeric column)."""

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        t = str(v).strip()
        try:
            f = float(t)
            return str(int(f)) if f == int(f) else t
        except (ValueError, OverflowError):  # not a number, or infinite
            return t

    return values.map(one)
