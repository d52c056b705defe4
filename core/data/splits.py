"""Train/dev/test splits with a nested learning-data ladder: one strategy per method.

DESIGN
------
* A split gives each row id a part (train/dev/test) and, for train rows, the smallest
  rung of the learning ladder that holds the row. The numpy strategies store one
  assignment per row id (``split_assignments``) and the store hashes the dataset version
  with every assignment, so equal splits share a hash whatever their name; the set-based
  ones (``split_sets``) store the rule that decides every assignment, hashed with the
  dataset version.
* Assignments are computed in numpy on the few columns a method needs (row id, target,
  stratum, time or group), read in row-id order, so a seed always gives the same split.
  Rows are shuffled once by a seeded priority and cut per stratum; the number of rows of
  each stratum in each part is a controlled rounding of its exact share: every cell is
  within one row of exact and each part's total is within one row of its share
  (``core.data.allocation``).
* The ladder is nested by construction: one seeded priority per train row, ranked within
  its class; the rung of a row is the first rung whose per-class quota covers its rank.
* Each method is a strategy (``STRATEGIES``) that turns the request and the input columns
  into a part per row; ``plan_split`` validates, reads the columns, runs the strategy and
  adds the ladder. Every check runs before anything is written; a failed split stores
  nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.data.allocation import ladder_levels
from core.data.split_methods import STRATEGIES, SplitInput, value_codes
from core.data.split_request import (
    DEFAULT_LADDER,
    DEFAULT_SHARES,
    MAX_CLASSES,
    PARTS,
    STRATIFIED,
    SplitError,
    SplitRequest,
    checked_request,
    missing_class_warning,
    require_columns,
)
from core.data.split_sets import set_plan
from core.data.targets import STRATIFY_BINS, is_numeric_values, quantile_bins
from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.database import Database
from core.db.datasets import ROW_ID
from core.db.rows import taken_name
from core.db.splits import SplitRow


def get_split(store: Database, split_id: int) -> SplitRow:
    """A stored split; SplitError when it does not exist (any more)."""
    split = splits_db.get_split(store, split_id)
    if split is None:
        raise SplitError("That split does not exist (any more).")
    return split


def list_splits(store: Database, project_id: int, dataset_id: int | None = None) -> list[SplitRow]:
    """The project's stored splits (of one dataset, if given), oldest first."""
    return splits_db.list_splits(store, project_id, dataset_id)


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
    """Validate a split request and compute its assignments (nothing is stored).

    ``method`` is ``random``, ``stratified`` (by ``target``), ``stratified_by_column``
    (target and ``stratify_column``), ``time`` (train before ``time_cutoffs[0]``, dev before
    ``time_cutoffs[1]``, test from then on; a naive cutoff is UTC for a time-zone-aware
    column), ``order`` (the first rows by row id train, the next dev, the last test) or
    ``group`` (no ``group_column`` value in two parts). A numeric target (a number to
    predict) is stratified on its quantile bins, stored as ``params["target_bins"]``. ``ladder`` lists the
    nested shares of train kept for learning curves (1.0 is added when missing). A rare
    class missing from a part is a warning; anything else wrong raises :class:`SplitError`.
    """
    request = checked_request(
        method, seed, shares, ladder, target=target, stratify_column=stratify_column,
        time_column=time_column, time_cutoffs=time_cutoffs, group_column=group_column,
    )  # fmt: skip
    require_columns(store, dataset_id, request.columns())
    plan = set_plan(store, dataset_id, request)
    if plan is not None:
        frame = splits_db.rule_assignment_frame(store, dataset_id, plan.rule)
        return SplitPlan(method, request.target, frame, plan.params, plan.warnings)
    frame = _input_frame(store, dataset_id, request)
    warnings: list[str] = []
    target_codes, target_params = _target_codes(frame, request, warnings)
    part_idx, method_params = STRATEGIES[method](SplitInput(request, frame, target_codes, warnings))
    ladder_vals = _ladder(part_idx, target_codes, request)
    if target_codes is not None and not target_params:  # a class label, not a number
        warnings += _missing_class_warnings(frame[str(request.target)], part_idx)
    assignments = pd.DataFrame(
        {
            "row_id": frame[ROW_ID].to_numpy(dtype=np.int64),
            "part": np.asarray(PARTS, dtype=object)[part_idx],
            "ladder": ladder_vals,
        }
    )
    params = {"seed": request.seed, "ladder": list(request.ladder), **method_params}
    if target_params and method in STRATIFIED:
        params["target_bins"] = target_params["target_bins"]
    params["warnings"] = list(warnings)
    return SplitPlan(method, request.target, assignments, params, tuple(warnings))


def _input_frame(store: Database, dataset_id: int, request: SplitRequest) -> pd.DataFrame:
    """``__row_id`` and the columns the method reads, in row-id order (at least 3 rows)."""
    needed = request.columns()
    require_columns(store, dataset_id, needed)
    frame = splits_db.split_input_frame(store, dataset_id, needed)
    if len(frame) < 3:
        raise SplitError(
            f"The dataset has {len(frame)} row(s); a train/dev/test split needs at least 3."
        )
    return frame


def _target_codes(
    frame: pd.DataFrame, request: SplitRequest, warnings: list[str]
) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Codes of the target's strata, and how a numeric target was binned.

    A class label (at most ``MAX_CLASSES`` values) gives its class codes and no params; a
    number to predict (``core.data.targets``) gives its quantile bins and
    ``{"target_bins": inner edges}``; no target, or any other target, gives no codes.
    """
    target = request.target
    if not target:
        return None, {}
    values = frame[target]
    codes, n_null = value_codes(values)
    n_classes = int(np.unique(codes[values.notna().to_numpy()]).size)
    if n_classes < 2:
        raise SplitError(
            f"The target {target!r} has {n_classes} distinct value(s); a model needs at "
            "least two. Pick another target or another dataset."
        )
    numeric = is_numeric_values(values)
    if n_null:
        warnings.append(
            f"{n_null} row(s) have no {target!r} value (training drops them)."
            if numeric or n_classes > MAX_CLASSES
            else f"{n_null} row(s) have no {target!r} value; they are split like a class of "
            "their own (training drops them)."
        )
    if numeric:
        bins, edges = quantile_bins(values, STRATIFY_BINS)
        return bins, {"target_bins": edges}
    if n_classes > MAX_CLASSES:
        if request.method in STRATIFIED:
            raise SplitError(
                f"The target {target!r} has {n_classes:,} distinct values that are not "
                "numbers: too many classes to stratify by. Use a random, file-order, time "
                "or group split, or pick a class label as the target."
            )
        return None, {}
    return codes, {}


def _ladder(
    part_idx: np.ndarray, target_codes: np.ndarray | None, request: SplitRequest
) -> np.ndarray:
    """Each train row's ladder rung: nested subsets of train, stratified by the target when
    there is one; NaN for dev and test rows."""
    is_train = part_idx == 0
    values = np.full(len(part_idx), np.nan)
    train_codes = (
        target_codes[is_train]
        if target_codes is not None
        else np.zeros(int(is_train.sum()), dtype=np.int64)
    )
    values[is_train] = ladder_levels(train_codes, request.ladder, request.seed)
    return values


def create_split(
    store: Database,
    project_id: int,
    dataset_id: int,
    name: str,
    *,
    actor: str,
    **request: Any,
) -> int:
    """Compute and store a split of a dataset; returns the split id.

    ``request`` holds :func:`plan_split`'s keywords (``method``, ``target``, ``shares``,
    ``seed``, the method's column, ``time_cutoffs``, ``ladder``). The plan's warnings are
    stored in the split's ``params["warnings"]``; anything wrong raises
    :class:`SplitError` and stores nothing.
    """
    name = (name or "").strip()
    if not name:
        raise SplitError("Give the split a name.")
    ds = datasets_db.get_dataset(store, dataset_id)
    if ds is None or ds.project_id != project_id:
        raise SplitError("That dataset is not in this project (any more).")
    if any(s.name == name for s in splits_db.list_splits(store, project_id)):
        raise SplitError(taken_name("split", name))
    checked = checked_request(
        request.get("method", ""), request.get("seed", 0), request.get("shares", DEFAULT_SHARES),
        request.get("ladder", DEFAULT_LADDER), target=request.get("target"),
        stratify_column=request.get("stratify_column"), time_column=request.get("time_column"),
        time_cutoffs=request.get("time_cutoffs"), group_column=request.get("group_column"),
    )  # fmt: skip
    require_columns(store, dataset_id, checked.columns())
    sets = set_plan(store, dataset_id, checked)
    if sets is not None:  # set-based: no row leaves DuckDB
        return splits_db.insert_rule_split(
            store, project_id, dataset_id, name, sets.rule, sets.counts,
            method=checked.method, target=checked.target, params=sets.params, actor=actor,
        )  # fmt: skip
    plan = plan_split(store, dataset_id, **request)
    return splits_db.insert_split(
        store,
        project_id,
        dataset_id,
        name,
        plan.assignments,
        method=plan.method,
        target=plan.target,
        params=plan.params,
        actor=actor,
    )


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
            out.append(missing_class_warning(part, lacking, target.name))
    return out
