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


def human_labels_by_row(store: Database, source: SliceSource) -> tuple[pd.DataFrame | None, str]:
    """Per row of the run's part that annotators labelled: ``v``, the share of its labels
    equal to the row's true label, and ``vp``, the share equal to the positive class.

    From these the annotators' accuracy, precision, recall and F1 of any slice follow
    (``core.analysis.table.human_metric``), each label weighted 1 / (labels on its row).
    Of the labels sets (Labeling page, imported or labelled in the app) whose items are
    rows of the run's dataset or of an ancestor version, uses the one that labelled the
    most rows of the part. Returns a frame (row_id, v, vp) or None, and the set's name.
    """
    if source.dataset_id is None or source.project_id is None or source.run_id is None:
        return None, ""
    lineage = set(source.tag_datasets)
    preds = None
    best: tuple[pd.DataFrame | None, str] = (None, "")
    for ls in labeling.list_label_sets(store, source.project_id):
        item_col = ls.item_id_column
        if ls.item_dataset_id not in lineage or not item_col:
            continue
        long = labeling_db.label_frame(store, ls.id)
        if long.empty:
            continue
        if preds is None:
            preds = training_db.run_predictions(store, source.run_id, [source.part or "dev"])
        ids = _item_ids(store, source, item_col, preds["row_id"])
        rows = preds[["row_id", "y_true"]].merge(ids, on="row_id")
        lab = pd.DataFrame(
            {"item_id": long["item_id"].astype(str), "label": _norm_label(long["label"])}
        )
        joined = lab.merge(rows, on="item_id")
        if joined.empty:
            continue
        joined["v"] = (joined["label"] == _norm_label(joined["y_true"])).astype(float)
        positive = _norm_label(pd.Series([source.positive_class]))[0]
        joined["vp"] = (joined["label"] == positive).astype(float)
        per_row = joined.groupby("row_id", as_index=False)[["v", "vp"]].mean()
        if best[0] is None or len(per_row) > len(best[0]):
            best = (per_row, str(ls.name or ""))
    return best


def _item_ids(
    store: Database, source: SliceSource, item_col: str, row_ids: pd.Series
) -> pd.DataFrame:
    """(row_id, item_id as text) of the run's rows; the row number itself when the labels
    set identifies items by it (``labeling.ROW_NUMBER``)."""
    if item_col == labeling.ROW_NUMBER:
        return pd.DataFrame({"row_id": row_ids, "item_id": row_ids.astype("int64").astype(str)})
    ids = datasets_db.dataset_frame(
        store, int(source.dataset_id or 0), [item_col], with_row_id=True
    )
    return pd.DataFrame({"row_id": ids["__row_id"], "item_id": ids[item_col].astype(str)})


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
