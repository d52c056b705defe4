"""Class balance and train/dev/test split design, with a nested learning-data ladder.

DESIGN
------
* A split is stored as one assignment per row id (``split_assignments``): the part
  (train/dev/test) and, for train rows, the smallest rung of the learning ladder that holds
  the row. The store hashes the dataset version with every assignment, so equal splits
  share a hash whatever their name.
* Assignments are computed in numpy on the few columns a method needs (row id, target,
  stratum, time or group), read in row-id order, so a seed always gives the same split.
  Rows are shuffled once by a seeded priority and cut per stratum; the number of rows of
  each stratum in each part is a controlled rounding of its exact share: every cell is
  within one row of exact and each part's total is within one row of its share.
* The ladder is nested by construction: one seeded priority per train row, ranked within
  its class; the rung of a row is the first rung whose per-class quota covers its rank.
* Counting (class balance, per-part distributions) is a GROUP BY in DuckDB.
* Every check runs before anything is written; a failed split stores nothing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core import config
from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.database import Database
from core.db.datasets import ROW_ID
from core.errors import StoreError

PARTS = ("train", "dev", "test")
METHODS = {
    "random": "Random",
    "stratified": "Stratified by target",
    "stratified_by_column": "Stratified by target and a column",
    "time": "Time-based",
    "group": "Group-based",
}
DEFAULT_SHARES = (0.7, 0.15, 0.15)
DEFAULT_LADDER = (0.1, 0.25, 0.5, 1.0)
MAX_CLASSES = 100  # a "target" with more distinct values is not a class label
MISSING = "(missing)"
OTHER = "(other)"


class SplitError(StoreError):
    """A split or balance request that cannot be honoured; the message says what to do."""


# --------------------------------------------------------------------------- balance
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
    present = [(c, int(n)) for c, n in counts if not _is_missing(c) and n > 0]
    n_missing = int(sum(n for c, n in counts if _is_missing(c)))
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
    _require_columns(store, dataset_id, [target])
    counts = splits_db.balance_counts(store, dataset_id, target, limit=MAX_CLASSES + 2)
    n_classes = sum(1 for c, _ in counts if not _is_missing(c))
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
    _require_columns(store, labels_dataset_id, [item, annotator, label])
    frame = splits_db.balance_by_annotator(store, labels_dataset_id, item, annotator, label)
    if frame.empty:
        return pd.DataFrame(columns=["annotator", "label", "n", "share", "n_items"])
    frame["label"] = frame["label"].map(lambda v: MISSING if _is_missing(v) else v)
    totals = frame.groupby("annotator")["n"].transform("sum")
    frame["share"] = frame["n"] / totals
    return frame.sort_values(["annotator", "label"], key=lambda s: s.astype(str)).reset_index(
        drop=True
    )[["annotator", "label", "n", "share", "n_items"]]


def is_labels_dataset(store: Database, dataset_id: int) -> bool:
    """A long-form labels dataset: it has ``item_id``, ``annotator`` and ``label`` columns."""
    names = {c for c, _ in datasets_db.dataset_schema(store, dataset_id)}
    return {"item_id", "annotator", "label"} <= names


# ------------------------------------------------------------- pure split arithmetic
def allocate(sizes: Sequence[int] | np.ndarray, shares: Sequence[float]) -> np.ndarray:
    """Rows of each stratum per part: a controlled rounding of ``sizes × shares``.

    Every cell is within one row of its exact value, every row sums to its stratum size
    and each column (part) total is the largest-remainder rounding of its share of all rows.

    Examples
    --------
    >>> allocate([10, 7, 3], [0.7, 0.15, 0.15]).tolist()
    [[7, 2, 1], [5, 1, 1], [2, 0, 1]]
    >>> allocate([10, 7, 3], [0.7, 0.15, 0.15]).sum(axis=0).tolist()  # 14, 3, 3 of 20
    [14, 3, 3]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    share = np.asarray(shares, dtype=float)
    exact = sizes[:, None] * share[None, :]
    base = np.floor(exact + 1e-9).astype(np.int64)
    base = np.minimum(base, sizes[:, None])
    frac = exact - base
    left = sizes - base.sum(axis=1)  # rows per stratum still to place (< number of parts)
    totals = _largest_remainder(int(sizes.sum()), share)
    need = totals - base.sum(axis=0)  # rows per part still to place
    # Ryser's greedy fill: each stratum's leftovers go to the parts still needing most rows,
    # at most one per part (so a cell stays within one row of exact).
    order = np.lexsort((-frac.max(axis=1), -left))
    for k in order:
        r = int(left[k])
        if r <= 0:
            continue
        rank = np.lexsort((np.arange(len(share)), -frac[k], -np.maximum(need, 0)))
        chosen = rank[:r]
        base[k, chosen] += 1
        need[chosen] -= 1
    return base


def _largest_remainder(n: int, shares: np.ndarray) -> np.ndarray:
    exact = n * shares
    out = np.floor(exact + 1e-9).astype(np.int64)
    rest = n - int(out.sum())
    if rest > 0:
        order = np.lexsort((np.arange(len(shares)), -(exact - out)))
        out[order[:rest]] += 1
    return out


def assign_parts(codes: np.ndarray, shares: Sequence[float], seed: int) -> np.ndarray:
    """Part index (0 train, 1 dev, 2 test) per row, stratified by the integer ``codes``.

    Rows must come in a fixed order (row id); the same codes, shares and seed always give
    the same parts.

    Examples
    --------
    >>> parts = assign_parts(np.array([0] * 10 + [1] * 10), [0.6, 0.2, 0.2], seed=1)
    >>> np.bincount(parts[:10]).tolist(), np.bincount(parts[10:]).tolist()
    ([6, 2, 2], [6, 2, 2])
    """
    codes = np.asarray(codes, dtype=np.int64)
    n = len(codes)
    out = np.zeros(n, dtype=np.int8)
    if n == 0:
        return out
    _, codes = np.unique(codes, return_inverse=True)
    sizes = np.bincount(codes)
    cells = allocate(sizes, shares)
    order, rank = _ranked(codes, np.random.default_rng(seed).random(n))
    c = codes[order]
    cut1 = cells[:, 0][c]
    cut2 = cut1 + cells[:, 1][c]
    out[order] = (rank >= cut1).astype(np.int8) + (rank >= cut2).astype(np.int8)
    return out


def _ranked(codes: np.ndarray, priority: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ordered by (code, priority) and each row's rank within its code (in that order)."""
    order = np.lexsort((priority, codes))
    c = codes[order]
    starts = np.searchsorted(c, np.arange(c.max() + 1 if len(c) else 0))
    rank = np.arange(len(c)) - starts[c]
    return order, rank


def ladder_levels(codes: np.ndarray, rungs: Sequence[float], seed: int) -> np.ndarray:
    """The smallest rung holding each (train) row; the rungs' subsets are nested.

    Each rung keeps about its share of every class (at least one row of each class), so
    a learning curve's smallest rung still sees every class.

    Examples
    --------
    >>> lv = ladder_levels(np.array([0] * 40 + [1] * 10), (0.1, 0.5, 1.0), seed=3)
    >>> [int((lv <= r).sum()) for r in (0.1, 0.5, 1.0)]
    [5, 25, 50]
    """
    codes = np.asarray(codes, dtype=np.int64)
    n = len(codes)
    levels = np.full(n, np.nan)
    if n == 0:
        return levels
    _, codes = np.unique(codes, return_inverse=True)
    sizes = np.bincount(codes)
    order, rank = _ranked(codes, np.random.default_rng([seed, 1]).random(n))
    c = codes[order]
    sorted_levels = np.full(n, np.nan)
    quota = np.zeros(len(sizes), dtype=np.int64)
    for r in rungs:
        take = allocate(sizes, [r, 1.0 - r])[:, 0] if r < 1 else sizes.copy()
        quota = np.minimum(np.maximum(np.maximum(take, quota), np.minimum(sizes, 1)), sizes)
        newly = np.isnan(sorted_levels) & (rank < quota[c])
        sorted_levels[newly] = r
    levels[order] = sorted_levels
    return levels


def group_parts(groups: np.ndarray, shares: Sequence[float], seed: int) -> np.ndarray:
    """Part index per row such that all rows of a group land in the same part.

    Groups are dealt in a seeded random order, each to the part that is furthest below
    its share of rows; while as many groups remain as parts are still empty, they go to
    the empty parts, so every part with a share gets a group whenever there are enough.

    Examples
    --------
    >>> g = np.repeat(np.arange(20), 5)
    >>> parts = group_parts(g, [0.6, 0.2, 0.2], seed=0)
    >>> np.bincount(parts).tolist(), all(len(set(parts[g == k])) == 1 for k in range(20))
    ([60, 20, 20], True)
    """
    groups = np.asarray(groups, dtype=np.int64)
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int8)
    _, codes = np.unique(groups, return_inverse=True)
    sizes = np.bincount(codes)
    perm = np.random.default_rng(seed).permutation(len(sizes))
    target = [float(s) * len(groups) for s in shares]
    wanted = [p for p, s in enumerate(shares) if s > 0]
    filled = [0.0] * len(target)
    n_groups = [0] * len(target)
    part_of_group = np.empty(len(sizes), dtype=np.int8)
    remaining = len(sizes)
    for g, size in zip(perm.tolist(), sizes[perm].tolist(), strict=True):
        empty = [p for p in wanted if n_groups[p] == 0]
        pool = empty if len(empty) >= remaining else wanted
        p = max(pool, key=lambda q: (target[q] - filled[q], -q))
        part_of_group[g] = p
        filled[p] += size
        n_groups[p] += 1
        remaining -= 1
    return part_of_group[codes]


# ----------------------------------------------------------------------- plan & store
@dataclass(frozen=True)
class SplitPlan:
    """A split computed but not stored: assignments (``row_id``, ``part``, ``ladder``)."""

    method: str
    target: str | None
    assignments: pd.DataFrame
    params: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        vc = self.assignments["part"].value_counts()
        return {p: int(vc.get(p, 0)) for p in PARTS}


def plan_split(
    store: Database,
    dataset_id: int,
    *,
    method: str,
    target: str | None = None,
    shares: Sequence[float] = DEFAULT_SHARES,
    seed: int = 0,
    stratify_column: str | None = None,
    time_column: str | None = None,
    time_cutoffs: Sequence[datetime | date | str] | None = None,
    group_column: str | None = None,
    ladder: Sequence[float] = DEFAULT_LADDER,
) -> SplitPlan:
    """Validate a split request and compute its assignments (nothing is stored)."""
    if method not in METHODS:
        raise SplitError(f"Unknown split method {method!r}; use one of {', '.join(METHODS)}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SplitError("The seed must be a whole number ≥ 0.")
    seed = int(seed)
    target = target or None
    rungs = _check_ladder(ladder)
    shares_t = _check_shares(shares) if method != "time" else None
    if method in ("stratified", "stratified_by_column") and not target:
        raise SplitError("A stratified split needs a target column: pick the target.")
    if method == "stratified_by_column" and not stratify_column:
        raise SplitError("Pick the column to stratify by (besides the target).")
    if method == "stratified_by_column" and stratify_column == target:
        raise SplitError("The extra stratification column must differ from the target.")
    if method == "time" and not time_column:
        raise SplitError("A time-based split needs a time column: pick one.")
    if method == "group" and not group_column:
        raise SplitError("A group-based split needs a group column (e.g. customer id).")

    needed = [
        c
        for c in dict.fromkeys(
            [
                target,
                stratify_column if method == "stratified_by_column" else None,
                time_column if method == "time" else None,
                group_column if method == "group" else None,
            ]
        )
        if c
    ]
    _require_columns(store, dataset_id, needed)
    frame = splits_db.split_input_frame(store, dataset_id, needed)
    n = len(frame)
    if n < 3:
        raise SplitError(f"The dataset has {n} row(s); a train/dev/test split needs at least 3.")
    row_ids = frame[ROW_ID].to_numpy(dtype=np.int64)
    warnings: list[str] = []

    target_codes = None  # class codes of the target when it is a class label
    if target:
        codes_all, n_null = _codes(frame[target])
        n_classes = int(np.unique(codes_all[frame[target].notna().to_numpy()]).size)
        if n_classes < 2:
            raise SplitError(
                f"The target {target!r} has {n_classes} distinct value(s); a model needs at "
                "least two. Pick another target or another dataset."
            )
        if n_classes <= MAX_CLASSES:
            target_codes = codes_all
        elif method in ("stratified", "stratified_by_column"):
            raise SplitError(
                f"The target {target!r} has {n_classes:,} distinct values (a numeric target?): "
                "too many to stratify by. Use a random, time or group split."
            )
        if n_null:
            warnings.append(
                f"{n_null} row(s) have no {target!r} value; they are split like a class of "
                "their own (training drops them)."
                if target_codes is not None
                else f"{n_null} row(s) have no {target!r} value (training drops them)."
            )

    params: dict[str, Any] = {"seed": seed, "ladder": list(rungs)}
    if method in ("random", "stratified", "stratified_by_column"):
        if method == "random":
            codes = np.zeros(n, dtype=np.int64)
        elif method == "stratified":
            codes = target_codes
        else:
            col_codes, _ = _codes(frame[stratify_column])
            codes = target_codes * (int(col_codes.max()) + 1) + col_codes
        if method != "random":
            _check_strata(
                frame,
                codes,
                [target]
                + (
                    [stratify_column]
                    if stratify_column and method == "stratified_by_column"
                    else []
                ),
            )
        part_idx = assign_parts(codes, shares_t, seed)
        params["shares"] = list(shares_t)
        if method == "stratified_by_column":
            params["stratify_column"] = stratify_column
    elif method == "time":
        part_idx, cut = _time_parts(frame[time_column], time_column, time_cutoffs, warnings)
        params.update(time_column=time_column, time_cutoffs=[c.isoformat() for c in cut])
    else:
        gcodes, n_null = _codes(frame[group_column], null_singletons=True)
        n_groups = int(np.unique(gcodes).size)
        needed_parts = int(sum(1 for s in shares_t if s > 0))
        if n_groups < needed_parts:
            raise SplitError(
                f"{group_column!r} has {n_groups} group(s), too few for {needed_parts} parts; "
                "pick a column with more groups."
            )
        part_idx = group_parts(gcodes, shares_t, seed)
        if n_null:
            warnings.append(f"{n_null} row(s) have no {group_column!r}; each is its own group.")
        got = np.bincount(part_idx, minlength=3) / n
        worst = int(np.argmax(np.abs(got - np.asarray(shares_t))))
        if abs(got[worst] - shares_t[worst]) > 0.05:
            warnings.append(
                f"Whole groups cannot hit the shares exactly: {PARTS[worst]} holds "
                f"{got[worst]:.1%} of the rows instead of {shares_t[worst]:.0%} (a few large "
                "groups); try another seed."
            )
        for p in range(3):
            if shares_t[p] > 0 and not (part_idx == p).any():
                raise SplitError(
                    f"No group landed in {PARTS[p]}: the groups are too few or too large for "
                    "these shares. Try another seed or larger shares."
                )
        params.update(shares=list(shares_t), group_column=group_column)

    # ladder: nested subsets of train, stratified by the target when there is one
    is_train = part_idx == 0
    ladder_vals = np.full(n, np.nan)
    train_codes = (
        target_codes[is_train]
        if target_codes is not None
        else np.zeros(int(is_train.sum()), dtype=np.int64)
    )
    ladder_vals[is_train] = ladder_levels(train_codes, rungs, seed)

    if target_codes is not None:
        warnings += _missing_class_warnings(frame[target], part_idx)
    assignments = pd.DataFrame(
        {
            "row_id": row_ids,
            "part": np.asarray(PARTS, dtype=object)[part_idx],
            "ladder": ladder_vals,
        }
    )
    params["warnings"] = list(warnings)
    return SplitPlan(method, target, assignments, params, tuple(warnings))


def create_split(
    store: Database,
    project_id: int,
    dataset_id: int,
    name: str,
    *,
    method: str,
    target: str | None = None,
    shares: Sequence[float] = DEFAULT_SHARES,
    seed: int = 0,
    stratify_column: str | None = None,
    time_column: str | None = None,
    time_cutoffs: Sequence[datetime | date | str] | None = None,
    group_column: str | None = None,
    ladder: Sequence[float] = DEFAULT_LADDER,
    actor: str,
) -> int:
    """Compute and store a split of a dataset; returns the split id.

    ``method`` is ``random``, ``stratified`` (by ``target``), ``stratified_by_column``
    (target and ``stratify_column``), ``time`` (train before ``time_cutoffs[0]``, dev before
    ``time_cutoffs[1]``, test from then on; a naive cutoff is UTC for a time-zone-aware
    column) or ``group`` (no ``group_column`` value in two
    parts). ``ladder`` lists the nested shares of train kept for learning curves (1.0 is
    added when missing). A rare class missing from a part is a warning, stored in the
    split's ``params["warnings"]``; anything else wrong raises :class:`SplitError` and
    stores nothing.
    """
    name = (name or "").strip()
    if not name:
        raise SplitError("Give the split a name.")
    ds = datasets_db.get_dataset(store, dataset_id)
    if ds is None or ds.project_id != project_id:
        raise SplitError("That dataset is not in this project (any more).")
    if any(s.name == name for s in splits_db.list_splits(store, project_id)):
        raise SplitError(f"This project has a split named {name!r} already; choose another name.")
    plan = plan_split(
        store,
        dataset_id,
        method=method,
        target=target,
        shares=shares,
        seed=seed,
        stratify_column=stratify_column,
        time_column=time_column,
        time_cutoffs=time_cutoffs,
        group_column=group_column,
        ladder=ladder,
    )
    return splits_db.insert_split(
        store, project_id,
        dataset_id,
        name,
        plan.assignments,
        method=method,
        target=plan.target,
        params=plan.params,
        actor=actor,
    )


# ---------------------------------------------------------------------- inspection
def split_summary(store: Database, split_id: int, columns: Sequence[str]) -> pd.DataFrame:
    """Distribution of each column per part, side by side.

    One row per (column, value): ``column``, ``value``, then ``<part>_n`` and
    ``<part>_share`` for train, dev and test, and ``max_gap`` (largest difference of the
    shares between parts, in share points). Categorical values are the top 10 (the rest
    pooled as "(other)"); numeric columns with many values are cut at the dataset's
    quintiles; dates and times by month. Counted by GROUP BY in DuckDB.
    """
    split = _get_split(store, split_id)
    _require_columns(store, split.dataset_id, list(columns))
    types = dict(datasets_db.dataset_schema(store, split.dataset_id))
    frames = []
    for col in dict.fromkeys(columns):
        frames.append(_column_distribution(store, split_id, split.dataset_id, col, types[col]))
    out_cols = (
        ["column", "value"] + [f"{p}_{k}" for p in PARTS for k in ("n", "share")] + ["max_gap"]
    )
    if not frames:
        return pd.DataFrame(columns=out_cols)
    return pd.concat(frames, ignore_index=True)[out_cols]


def missing_classes(store: Database, split_id: int, target: str) -> dict[str, list[Any]]:
    """Per non-empty part, the classes of ``target`` present in the split but absent there.

    Only parts that miss a class appear, so an empty dict means every part has every class.
    """
    split = _get_split(store, split_id)
    _require_columns(store, split.dataset_id, [target])
    counts = splits_db.split_value_counts(store, split_id, target)
    counts = counts[counts["value"].map(lambda v: not _is_missing(v))]
    classes = sorted(set(counts["value"]), key=str)
    out: dict[str, list[Any]] = {}
    for part in PARTS:
        if getattr(split, f"n_{part}") == 0:
            continue
        have = set(counts.loc[counts["part"] == part, "value"])
        lacking = [c for c in classes if c not in have]
        if lacking:
            out[part] = lacking
    return out


def splits_frame(splits: list) -> pd.DataFrame:
    """Stored splits as a display table."""
    return pd.DataFrame(
        [
            {
                "name": s.name,
                "method": METHODS.get(s.method, s.method),
                "target": s.target,
                "train": s.n_train,
                "dev": s.n_dev,
                "test": s.n_test,
                "ladder": ", ".join(f"{r:.0%}" for r in s.params.get("ladder", [])),
                "hash": s.content_hash,
                "created": s.created_at,
                "by": s.created_by,
            }
            for s in splits
        ],
        columns=[
            "name",
            "method",
            "target",
            "train",
            "dev",
            "test",
            "ladder",
            "hash",
            "created",
            "by",
        ],
    )


def describe_split(split: Any) -> str:
    """One line saying how a stored split was made (method, its columns, shares, seed)."""
    p = split.params
    if split.method == "time":
        c1, c2 = (str(c)[:16].replace("T", " ").removesuffix(" 00:00") for c in p["time_cutoffs"])
        how = f"by {p['time_column']}: train before {c1}, dev before {c2}, test from {c2} on"
    else:
        how = " / ".join(f"{s:.0%}" for s in p.get("shares", [])) + " train / dev / test"
        if split.method == "stratified":
            how += f", stratified by {split.target}"
        elif split.method == "stratified_by_column":
            how += f", stratified by {split.target} and {p.get('stratify_column')}"
        elif split.method == "group":
            how += f", no {p.get('group_column')} in two parts"
    ladder = ", ".join(f"{r:.0%}" for r in p.get("ladder", []))
    return (
        f"{METHODS.get(split.method, split.method)} {how}; seed {p.get('seed')}; ladder {ladder}."
    )


_TARGET_NAMES = ("needs_review", "target", "label", "y", "class", "outcome", "churn")


def suggest_target(columns: Sequence[str]) -> str | None:
    """A likely target among ``columns`` (a conventional name, else the last column).

    >>> suggest_target(["a", "Target", "b"]), suggest_target(["a", "b"]), suggest_target([])
    ('Target', 'b', None)
    """
    lower = {c.lower(): c for c in columns}
    for name in _TARGET_NAMES:
        if name in lower:
            return lower[name]
    return columns[-1] if columns else None


def column_kinds(store: Database, dataset_id: int) -> dict[str, str]:
    """``numeric``, ``datetime`` or ``categorical`` per column, from the stored SQL types."""
    return {c: _column_kind(t) for c, t in datasets_db.dataset_schema(store, dataset_id)}


def comparison_columns(
    store: Database, split: Any, kinds: dict[str, str], extra: int = 2
) -> list[str]:
    """Columns worth comparing across a split's parts: its target and the method's column,
    then up to ``extra`` low-cardinality categorical columns (identifiers are skipped)."""
    keys = [
        c
        for c in dict.fromkeys(
            [
                split.target,
                split.params.get("stratify_column"),
                split.params.get("group_column"),
                split.params.get("time_column"),
            ]
        )
        if c and c in kinds
    ]
    candidates = [c for c, k in kinds.items() if k == "categorical" and c not in keys]
    distinct = splits_db.split_distinct_counts(store, split.dataset_id, candidates)
    return keys + [c for c in candidates if 1 < distinct[c] <= 20][:extra]


def suggest_time_cutoffs(
    store: Database, dataset_id: int, column: str, shares: Sequence[float] = DEFAULT_SHARES
) -> tuple[date, date] | None:
    """Dates at which about ``shares[0]`` of rows come before cutoff 1 and the dev share
    before cutoff 2, or None when the column holds no dates."""
    probs = [float(shares[0]), float(shares[0]) + float(shares[1])]
    qs = splits_db.split_time_quantiles(store, dataset_id, column, probs)
    if len(qs) != 2 or any(_is_missing(q) for q in qs):
        return None
    a, b = (pd.Timestamp(q).date() for q in qs)
    return a, max(a, b)


def unique_split_name(store: Database, project_id: int, base: str) -> str:
    """``base``, or ``base_2``, ``base_3``… when the project has that name already."""
    taken = {s.name for s in splits_db.list_splits(store, project_id)}
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


# ---------------------------------------------------------------------------- helpers
def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _require_columns(store: Database, dataset_id: int, columns: Sequence[str]) -> None:
    if datasets_db.get_dataset(store, dataset_id) is None:
        raise SplitError("That dataset does not exist (any more).")
    names = {c for c, _ in datasets_db.dataset_schema(store, dataset_id)}
    missing = [c for c in columns if c not in names]
    if missing:
        raise SplitError(
            f"The dataset has no column {', '.join(repr(c) for c in missing)}; pick one of its "
            "columns."
        )


def _get_split(store: Database, split_id: int):
    split = splits_db.get_split(store, split_id)
    if split is None:
        raise SplitError("That split does not exist (any more).")
    return split


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
    return values  # type: ignore[return-value]


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


def _codes(values: pd.Series, null_singletons: bool = False) -> tuple[np.ndarray, int]:
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


def _missing_class_warnings(target: pd.Series, part_idx: np.ndarray) -> list[str]:
    present = target.notna().to_numpy()
    classes = pd.unique(target[present])
    out = []
    for p, part in enumerate(PARTS):
        in_part = part_idx == p
        if not in_part.any():
            continue
        have = set(pd.unique(target[present & in_part]))
        lacking = [c for c in classes if c not in have]
        if lacking:
            shown = ", ".join(str(c) for c in sorted(lacking, key=str)[:5])
            out.append(
                f"{part} has no row of class {shown} of {target.name!r} (a rare class); "
                "its metrics there will be undefined."
            )
    return out


def _column_distribution(
    store: Database, split_id: int, dataset_id: int, column: str, sql_type: str
) -> pd.DataFrame:
    kind = _column_kind(sql_type)
    edges: list[float] | None = None
    if kind == "numeric":
        n_distinct, qs = splits_db.split_column_quantiles(store, dataset_id, column, [0.2, 0.4, 0.6, 0.8])
        if n_distinct > 12:
            edges = sorted({float(q) for q in qs if q is not None and math.isfinite(q)})
    counts = splits_db.split_value_counts(store, split_id, column, edges=edges, by_month=kind == "datetime")
    if edges is not None:
        labels = _bin_labels(edges)
        counts["value"] = counts["value"].map(
            lambda b: MISSING if _is_missing(b) else labels[int(b)]
        )
    else:
        counts["value"] = counts["value"].map(lambda v: MISSING if _is_missing(v) else v)
        if kind == "categorical":
            totals = (
                counts.groupby("value", dropna=False)["n"]
                .sum()
                .sort_values(ascending=False, kind="stable")
            )
            keep = set(totals.index[:10])
            if len(totals) > 10:
                counts["value"] = counts["value"].map(lambda v: v if v in keep else OTHER)
    wide = counts.pivot_table(
        index="value",
        columns="part",
        values="n",
        aggfunc="sum",
        fill_value=0,
        sort=False,
    )
    wide = wide.reindex(columns=list(PARTS), fill_value=0)
    if edges is not None:
        order = [lbl for lbl in [*_bin_labels(edges), MISSING] if lbl in wide.index]
    elif kind == "categorical":
        order = list(wide.sum(axis=1).sort_values(ascending=False, kind="stable").index)
        order = [v for v in order if v not in (OTHER, MISSING)] + [
            v for v in (OTHER, MISSING) if v in wide.index
        ]
    else:
        order = _natural_order(list(wide.index))
    wide = wide.reindex(order)  # not .loc: a list of booleans would act as a mask
    out = pd.DataFrame({"column": column, "value": list(wide.index)})
    shares = []
    for p in PARTS:
        n = wide[p].to_numpy(dtype=np.int64)
        total = n.sum()
        s = n / total if total else np.full(len(n), np.nan)
        out[f"{p}_n"] = n
        out[f"{p}_share"] = s
        if total:
            shares.append(s)
    out["max_gap"] = (np.max(shares, axis=0) - np.min(shares, axis=0)) if shares else np.nan
    out["value"] = out["value"].map(str)
    return out


def _natural_order(values: list[Any]) -> list[Any]:
    """Values sorted by themselves when comparable (numbers, dates), else as text; the
    missing marker last."""
    present = [v for v in values if v != MISSING]
    try:
        present = sorted(present)
    except TypeError:
        present = sorted(present, key=str)
    return present + [MISSING] * (len(present) < len(values))


def _column_kind(sql_type: str) -> str:
    t = sql_type.upper()
    if t.startswith(("TIMESTAMP", "DATE")):
        return "datetime"
    if t.startswith(
        (
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
            "FLOAT",
            "DOUBLE",
            "DECIMAL",
            "REAL",
        )
    ):
        return "numeric"
    return "categorical"


def _bin_labels(edges: list[float]) -> list[str]:
    def f(x: float) -> str:
        return f"{x:,.4g}"

    if not edges:
        return ["all values"]
    labels = [f"< {f(edges[0])}"]
    labels += [f"{f(a)} – < {f(b)}" for a, b in itertools.pairwise(edges)]
    labels.append(f"≥ {f(edges[-1])}")
    return labels
