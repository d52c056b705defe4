"""Class balance of a target column, and the label distribution per annotator of a
long-form labels dataset; counted by one GROUP BY in DuckDB."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core import config
from core.data.split_request import MAX_CLASSES, MISSING, SplitError, is_missing, require_columns
from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.database import Database

LABELS_COLUMNS = ("item_id", "annotator", "label")  # a long-form labels dataset


@dataclass(frozen=True)
class BalanceResult:
    """Class counts of one target column.

    ``classes`` run from the most to the least frequent; ``shares`` are of the rows with a
    value (``n_missing`` rows have none); ``rare`` are the classes below ``rare_share``;
    ``imbalance_ratio`` is the majority count over the minority count.
    """

    target: str
    classes: tuple[Any, ...]
    counts: tuple[int, ...]
    shares: tuple[float, ...]
    rare: tuple[Any, ...]
    imbalance_ratio: float
    n_missing: int
    rare_share: float

    @property
    def n_rows(self) -> int:
        return int(sum(self.counts)) + self.n_missing

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "class": list(self.classes),
                "count": list(self.counts),
                "share": list(self.shares),
                "rare": [c in self.rare for c in self.classes],
            }
        )


def balance_from_counts(
    target: str, counts: Sequence[tuple[Any, int]], rare_share: float
) -> BalanceResult:
    """A :class:`BalanceResult` from ``(class, count)`` pairs (``None`` = missing value).

    Examples
    --------
    >>> r = balance_from_counts("y", [(0, 900), (1, 80), (2, 20), (None, 5)], 0.05)
    >>> r.classes, r.rare, r.imbalance_ratio, r.n_missing
    ((0, 1, 2), (2,), 45.0, 5)
    >>> [round(s, 3) for s in r.shares]
    [0.9, 0.08, 0.02]
    """
    present = [(c, int(n)) for c, n in counts if not is_missing(c) and n > 0]
    n_missing = int(sum(n for c, n in counts if is_missing(c)))
    present.sort(key=lambda cn: (-cn[1], str(cn[0])))
    total = sum(n for _, n in present)
    classes = tuple(c for c, _ in present)
    values = tuple(n for _, n in present)
    shares = tuple(n / total for n in values) if total else ()
    rare = tuple(c for c, s in zip(classes, shares, strict=True) if s < rare_share)
    ratio = values[0] / values[-1] if values else math.nan
    return BalanceResult(
        target,
        classes,
        values,
        shares,
        rare,
        float(ratio),
        n_missing,
        float(rare_share),
    )


def class_balance(
    store: Database,
    dataset_id: int,
    target: str,
    rare_share: float | None = None,
) -> BalanceResult:
    """Counts and shares per class of ``target``, rare classes and the imbalance ratio.

    Counted by one GROUP BY in DuckDB. ``rare_share`` defaults to the setting
    ``WORKBENCH_RARE_CLASS_SHARE``. A column with more than ``MAX_CLASSES`` distinct values
    is refused: it is not a class label.
    """
    if rare_share is None:
        rare_share = config.get_float("WORKBENCH_RARE_CLASS_SHARE")
    require_columns(store, dataset_id, [target])
    counts = splits_db.balance_counts(store, dataset_id, target, limit=MAX_CLASSES + 2)
    n_classes = sum(1 for c, _ in counts if not is_missing(c))
    if n_classes > MAX_CLASSES:
        raise SplitError(
            f"{target!r} has more than {MAX_CLASSES} distinct values, so it is not a class "
            "label; pick a categorical target (for a numeric target look at its distribution)."
        )
    return balance_from_counts(target, counts, rare_share)


def annotator_label_distribution(
    store: Database,
    labels_dataset_id: int,
    *,
    item: str = "item_id",
    annotator: str = "annotator",
    label: str = "label",
) -> pd.DataFrame:
    """Per-annotator label distribution of a long-form labels dataset (item, annotator, label).

    Returns one row per annotator and label: ``annotator``, ``label``, ``n``, ``share`` (of
    that annotator's labels) and ``n_items`` (items that annotator labelled).
    """
    require_columns(store, labels_dataset_id, [item, annotator, label])
    frame = splits_db.balance_by_annotator(store, labels_dataset_id, item, annotator, label)
    if frame.empty:
        return pd.DataFrame(columns=["annotator", "label", "n", "share", "n_items"])
    frame["label"] = frame["label"].map(lambda v: MISSING if is_missing(v) else v)
    totals = frame.groupby("annotator")["n"].transform("sum")
    frame["share"] = frame["n"] / totals
    return frame.sort_values(["annotator", "label"], key=lambda s: s.astype(str)).reset_index(
        drop=True
    )[["annotator", "label", "n", "share", "n_items"]]


def is_labels_dataset(store: Database, dataset_id: int) -> bool:
    """A long-form labels dataset: it has ``item_id``, ``annotator`` and ``label`` columns."""
    names = {c for c, _ in datasets_db.dataset_schema(store, dataset_id)}
    return set(LABELS_COLUMNS) <= names
