"""A split request: the methods, parts, shares and ladder, the checks every request passes
before any row is read, and :class:`SplitError`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db.database import Database
from core.errors import StoreError

PARTS = ("train", "dev", "test")
METHODS = {
    "random": "Random",
    "stratified": "Stratified by target",
    "stratified_by_column": "Stratified by target and a column",
    "time": "Time-based",
    "order": "File order",
    "group": "Group-based",
}
STRATIFIED = ("stratified", "stratified_by_column")
DEFAULT_SHARES = (0.7, 0.15, 0.15)
DEFAULT_LADDER = (0.1, 0.25, 0.5, 1.0)
MAX_CLASSES = 100  # a "target" with more distinct values is not a class label
MISSING = "(missing)"
OTHER = "(other)"


class SplitError(StoreError):
    """A split or balance request that cannot be honoured; the message says what to do."""


def missing_class_warning(part: str, lacking: Sequence[Any], target: Any) -> str:
    """The warning for a part with rows but none of the classes ``lacking``."""
    shown = ", ".join(str(c) for c in sorted(lacking, key=str)[:5])
    return (f"{part} has no row of class {shown} of {target!r} (a rare class); "
            "its metrics there will be undefined.")


def is_missing(v: Any) -> bool:
    """None, NaN, NaT or NA (a value that is not there)."""
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def require_columns(store: Database, dataset_id: int, columns: Sequence[str]) -> None:
    """SplitError unless the dataset exists and has every one of ``columns``."""
    if datasets_db.get_dataset(store, dataset_id) is None:
        raise SplitError("That dataset does not exist (any more).")
    names = {c for c, _ in datasets_db.dataset_schema(store, dataset_id)}
    missing = [c for c in columns if c not in names]
    if missing:
        raise SplitError(
            f"The dataset has no column {', '.join(repr(c) for c in missing)}; pick one of its "
            "columns."
        )


@dataclass(frozen=True)
class SplitRequest:
    """A checked split request: the method and the columns and numbers it uses."""

    method: str
    target: str | None
    shares: tuple[float, float, float]
    seed: int
    stratify_column: str | None
    time_column: str | None
    time_cutoffs: Sequence[datetime | date | str] | None
    group_column: str | None
    ladder: tuple[float, ...]

    def columns(self) -> list[str]:
        """The columns the method reads: the target and the method's own column."""
        own = {
            "stratified_by_column": self.stratify_column,
            "time": self.time_column,
            "group": self.group_column,
        }.get(self.method)
        return [c for c in dict.fromkeys([self.target, own]) if c]


_NEEDS = {  # method -> (the request field it cannot do without, what to tell the user)
    "stratified": ("target", "A stratified split needs a target column: pick the target."),
    "stratified_by_column": (
        "target",
        "A stratified split needs a target column: pick the target.",
    ),
    "time": ("time_column", "A time-based split needs a time column: pick one."),
    "group": ("group_column", "A group-based split needs a group column (e.g. customer id)."),
}


def checked_request(
    method: str, seed: Any, shares: Sequence[float], ladder: Sequence[float], **columns: Any
) -> SplitRequest:
    if method not in METHODS:
        raise SplitError(f"Unknown split method {method!r}; use one of {', '.join(METHODS)}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SplitError("The seed must be a whole number ≥ 0.")
    request = SplitRequest(
        method=method,
        seed=int(seed),
        ladder=_check_ladder(ladder),
        shares=_check_shares(shares) if method != "time" else DEFAULT_SHARES,
        **{**columns, "target": columns.get("target") or None},
    )
    if method in _NEEDS and not getattr(request, _NEEDS[method][0]):
        raise SplitError(_NEEDS[method][1])
    if method == "stratified_by_column":
        if not request.stratify_column:
            raise SplitError("Pick the column to stratify by (besides the target).")
        if request.stratify_column == request.target:
            raise SplitError("The extra stratification column must differ from the target.")
    return request


def _check_shares(shares: Sequence[float]) -> tuple[float, float, float]:
    try:
        values = tuple(float(s) for s in shares)
    except (TypeError, ValueError):
        raise SplitError("Shares must be three numbers (train, dev, test).") from None
    if len(values) != 3:
        raise SplitError("Give three shares: train, dev and test.")
    if any(not math.isfinite(s) or s < 0 or s > 1 for s in values):
        raise SplitError("Each share must be between 0 and 1.")
    if abs(sum(values) - 1) > 1e-6:
        raise SplitError(
            f"The shares add up to {sum(values):.2f}; train + dev + test must be 1 (e.g. 0.7, "
            "0.15, 0.15)."
        )
    if values[0] <= 0:
        raise SplitError("The train share must be above 0.")
    return values[0], values[1], values[2]


def _check_ladder(ladder: Sequence[float]) -> tuple[float, ...]:
    try:
        rungs = sorted({round(float(r), 6) for r in ladder})
    except (TypeError, ValueError):
        raise SplitError("The ladder must be shares of train such as 0.1, 0.25, 0.5, 1.") from None
    if any(not math.isfinite(r) or r <= 0 or r > 1 for r in rungs):
        raise SplitError("Each ladder rung must be a share of train above 0 and at most 1.")
    if not rungs or rungs[-1] < 1:
        rungs.append(1.0)
    return tuple(rungs)
