"""One strategy per split method: the request and the input columns in, a part per row
(0 train, 1 dev, 2 test) and the method's stored parameters out.

``STRATEGIES`` maps a method to its strategy; each checks what only it can check (strata
of one row, cutoffs that leave a part empty, too few groups) and raises
:class:`~core.data.split_request.SplitError` with what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.data.allocation import allocate, assign_parts, group_parts
from core.data.split_request import PARTS, SplitError, SplitRequest


@dataclass(frozen=True)
class SplitInput:
    """What a strategy reads: the request, the columns in row-id order, the target's
    class codes (None when the target is not a class label), and the warnings so far."""

    request: SplitRequest
    frame: pd.DataFrame
    target_codes: np.ndarray | None
    warnings: list[str]


Strategy = Callable[[SplitInput], tuple[np.ndarray, dict[str, Any]]]


def _random(x: SplitInput) -> tuple[np.ndarray, dict[str, Any]]:
    codes = np.zeros(len(x.frame), dtype=np.int64)
    return assign_parts(codes, x.request.shares, x.request.seed), {"shares": list(x.request.shares)}


def _stratified(x: SplitInput) -> tuple[np.ndarray, dict[str, Any]]:
    r = x.request
    codes = _class_codes(x)
    _check_strata(x.frame, codes, [str(r.target)])
    return assign_parts(codes, r.shares, r.seed), {"shares": list(r.shares)}


def _stratified_by_column(x: SplitInput) -> tuple[np.ndarray, dict[str, Any]]:
    r = x.request
    column = str(r.stratify_column)
    col_codes, _ = value_codes(x.frame[column])
    codes = _class_codes(x) * (int(col_codes.max()) + 1) + col_codes
    _check_strata(x.frame, codes, [str(r.target), column])
    return assign_parts(codes, r.shares, r.seed), {
        "shares": list(r.shares),
        "stratify_column": column,
    }


def _time(x: SplitInput) -> tuple[np.ndarray, dict[str, Any]]:
    column = str(x.request.time_column)
    part_idx, cut = _time_parts(x.frame[column], column, x.request.time_cutoffs, x.warnings)
    return part_idx, {"time_column": column, "time_cutoffs": [c.isoformat() for c in cut]}


def _order(x: SplitInput) -> tuple[np.ndarray, dict[str, Any]]:
    """The first rows (by row id, the file's order) train, the next dev, the last test: a
    time split for data without a date column. Sizes are the largest-remainder rounding
    of the shares."""
    sizes = allocate([len(x.frame)], x.request.shares)[0]
    part_idx = np.repeat(np.arange(3, dtype=np.int8), sizes)
    return part_idx, {"shares": list(x.request.shares), "order": "row id"}


def _group(x: SplitInput) -> tuple[np.ndarray, dict[str, Any]]:
    r, column = x.request, str(x.request.group_column)
    gcodes, n_null = value_codes(x.frame[column], null_singletons=True)
    n_groups = int(np.unique(gcodes).size)
    needed_parts = int(sum(1 for s in r.shares if s > 0))
    if n_groups < needed_parts:
        raise SplitError(
            f"{column!r} has {n_groups} group(s), too few for {needed_parts} parts; "
            "pick a column with more groups."
        )
    part_idx = group_parts(gcodes, r.shares, r.seed)
    if n_null:
        x.warnings.append(f"{n_null} row(s) have no {column!r}; each is its own group.")
    got = np.bincount(part_idx, minlength=3) / len(part_idx)
    worst = int(np.argmax(np.abs(got - np.asarray(r.shares))))
    if abs(got[worst] - r.shares[worst]) > 0.05:
        x.warnings.append(
            f"Whole groups cannot hit the shares exactly: {PARTS[worst]} holds "
            f"{got[worst]:.1%} of the rows instead of {r.shares[worst]:.0%} (a few large "
            "groups); try another seed."
        )
    for p in range(3):
        if r.shares[p] > 0 and not (part_idx == p).any():
            raise SplitError(
                f"No group landed in {PARTS[p]}: the groups are too few or too large for "
                "these shares. Try another seed or larger shares."
            )
    return part_idx, {"shares": list(r.shares), "group_column": column}


STRATEGIES: dict[str, Strategy] = {
    "random": _random,
    "stratified": _stratified,
    "stratified_by_column": _stratified_by_column,
    "time": _time,
    "order": _order,
    "group": _group,
}


def _class_codes(x: SplitInput) -> np.ndarray:
    """The target's class codes, which a stratified split cannot do without."""
    if x.target_codes is None:  # _target_codes refuses a stratified split without them
        raise SplitError("A stratified split needs a class label as its target.")
    return x.target_codes


# ------------------------------------------------------------------------ helpers
def value_codes(values: pd.Series, null_singletons: bool = False) -> tuple[np.ndarray, int]:
    """Integer codes of a column's values (sorted, so stable across runs); nulls get one code
    of their own, or each a code of its own with ``null_singletons``."""
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    null = codes < 0
    n_null = int(null.sum())
    if n_null:
        top = int(codes.max()) + 1 if (~null).any() else 0
        codes[null] = top + (np.arange(n_null) if null_singletons else 0)
    return codes, n_null


def _check_strata(frame: pd.DataFrame, codes: np.ndarray, columns: list[str]) -> None:
    _, inverse, sizes = np.unique(codes, return_inverse=True, return_counts=True)
    single = int((sizes == 1).sum())
    if single:
        first = int(np.flatnonzero(sizes[inverse] == 1)[0])
        example = ", ".join(f"{c}={frame[c].iloc[first]!r}" for c in columns)
        raise SplitError(
            f"{single} stratum(s) have a single row (e.g. {example}); a row cannot be shared "
            "between parts. Merge rare values, drop those rows, stratify by fewer columns or "
            "use a random split."
        )


def _to_timestamp(value: Any, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise SplitError(f"The {what} {value!r} is not a date or time.") from None
    if pd.isna(ts):
        raise SplitError(f"Give the {what}.")
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts


def _time_parts(
    values: pd.Series, column: str, cutoffs: Any, warnings: list[str]
) -> tuple[np.ndarray, tuple[pd.Timestamp, pd.Timestamp]]:
    if cutoffs is None or len(cutoffs) != 2:
        raise SplitError("A time-based split needs two cutoffs: end of train and end of dev.")
    c1 = _to_timestamp(cutoffs[0], "train cutoff")
    c2 = _to_timestamp(cutoffs[1], "dev cutoff")
    if c2 < c1:
        raise SplitError("The dev cutoff must not come before the train cutoff.")
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values
    elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise SplitError(f"{column!r} is not a date or time column; pick a date/time column.")
    else:
        ts = pd.to_datetime(values, errors="coerce", format="mixed")
        if (ts.isna() & values.notna()).any():
            raise SplitError(f"{column!r} holds values that are not dates or times.")
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    n_null = int(ts.isna().sum())
    if n_null:
        raise SplitError(
            f"{n_null} row(s) have no {column!r}, so their part is unknown; fill or drop them "
            "first, or use another split method."
        )
    t = ts.to_numpy(dtype="datetime64[ns]")
    part = (t >= np.datetime64(c1.to_datetime64(), "ns")).astype(np.int8) + (
        t >= np.datetime64(c2.to_datetime64(), "ns")
    ).astype(np.int8)
    counts = np.bincount(part, minlength=3)
    if counts[0] == 0:
        raise SplitError(
            f"No row of {column!r} is before {c1:%Y-%m-%d %H:%M}: train would be "
            "empty. Move the train cutoff later."
        )
    if counts[2] == 0:
        raise SplitError(
            f"No row of {column!r} is on or after {c2:%Y-%m-%d %H:%M}: test would "
            "be empty. Move the dev cutoff earlier."
        )
    if counts[1] == 0:
        warnings.append("No row falls between the two cutoffs: the dev part is empty.")
    return part, (c1, c2)
