"""Stratified and plain random splits computed set-based in DuckDB (window functions), with
the same guarantees as the numpy strategies of ``core.data.split_methods``.

DESIGN
------
* Only the strata's sizes leave DuckDB (one ``GROUP BY``): the cells -- rows of each
  stratum per part -- are the same controlled rounding (``core.data.allocation.allocate``),
  so every cell is within one row of exact and each part's total within one row of its
  share; the ladder's per-class quotas are ``ladder_levels``'s.
* Rows are then ranked within their stratum by a seeded key of the row id and cut at the
  cells; train rows take the first rung whose class quota covers their rank (the stratum
  rank itself when strata are classes, else a second seeded key per class), so the rungs
  are nested. The same seed gives the same split. What is stored is the rule -- the key
  of the row at each cut -- found in one pass, not ten million assignment rows
  (``core.db.split_rules``: its DESIGN has the figures).
* It serves ``stratified`` and ``stratified_by_column`` with a class-label target (at most
  ``MAX_CLASSES`` values, not a number to predict) and ``random`` without a target;
  anything else (numeric targets, time, order, group, a random split whose ladder keeps
  classes) takes the numpy strategies. The assignments differ from theirs row by row (a
  hash, not numpy's generator), the guarantees do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.data.allocation import allocate
from core.data.split_request import (
    MAX_CLASSES,
    PARTS,
    SplitError,
    SplitRequest,
    missing_class_warning,
)
from core.data.targets import is_numeric_target
from core.db import datasets as datasets_db
from core.db import split_rules, types
from core.db import splits as splits_db
from core.db.database import Database

SET_METHODS = ("stratified", "stratified_by_column", "random")


@dataclass(frozen=True)
class SetPlan:
    """A set-based split ready to store: its rule (``core.db.split_rules``), the split's
    stored parameters and warnings, and its part sizes."""

    rule: dict[str, Any]
    params: dict[str, Any]
    warnings: tuple[str, ...]
    counts: dict[str, int]


def set_plan(store: Database, dataset_id: int, request: SplitRequest) -> SetPlan | None:
    """The set-based plan of a checked request, or None when the numpy strategies serve it
    (see DESIGN). Raises :class:`SplitError` as they would."""
    if request.method not in SET_METHODS:
        return None
    target = request.target
    by_target: list[tuple] | None = None
    if request.method == "random":
        if target:  # its ladder keeps every class or target bin: the numpy strategy's
            return None
        columns: list[str] = []
    else:
        is_label, by_target = _is_class_label(store, dataset_id, str(target))
        if not is_label:
            return None
        columns = [c for c in (target, request.stratify_column) if c]
    strata = (
        by_target if columns == [target] and by_target is not None
        else splits_db.stratum_counts(store, dataset_id, columns)
    )
    if not split_rules.literal_values(strata, len(columns)):
        return None  # e.g. dates as classes: the numpy strategy takes them
    sizes = np.array([int(r[-1]) for r in strata], dtype=np.int64)
    if sizes.sum() < 3:
        raise SplitError(
            f"The dataset has {int(sizes.sum())} row(s); a train/dev/test split needs at least 3."
        )
    warnings: list[str] = []
    cls = _class_of_strata(strata, columns, target, warnings)
    if columns:
        _check_single_rows(strata, columns)
    cells = allocate(sizes, request.shares)
    quotas = _quotas(cells[:, 0], cls, request.ladder)
    if columns:
        warnings += _missing_class_warnings(strata, cells, cls, str(target))
    rule = split_rules.build_rule(
        store, dataset_id, columns, strata, seed=request.seed, cells=cells, cls=cls,
        quotas=quotas, rungs=list(request.ladder),
    )  # fmt: skip
    params: dict[str, Any] = {"seed": request.seed, "ladder": list(request.ladder),
                              "shares": list(request.shares)}  # fmt: skip
    if request.method == "stratified_by_column":
        params["stratify_column"] = request.stratify_column
    params["warnings"] = list(warnings)
    counts: dict[str, int] = {str(p): int(x) for p, x in zip(PARTS, cells.sum(axis=0), strict=True)}
    return SetPlan(rule, params, tuple(warnings), counts)


def _is_class_label(store: Database, dataset_id: int, target: str
                    ) -> tuple[bool, list[tuple] | None]:
    """Whether the target has few values (approximately counted: at most twice
    ``MAX_CLASSES``) and, if numeric, is not a number to predict; with the target's
    stratum counts when they were needed to tell."""
    approx = splits_db.split_distinct_counts(store, dataset_id, [target]).get(target, 0)
    if approx > 2 * MAX_CLASSES:
        return False, None
    dtype = dict(datasets_db.dataset_schema(store, dataset_id))[target]
    if not types.is_numeric(dtype):
        return True, None
    strata = splits_db.stratum_counts(store, dataset_id, [target])
    x = np.asarray([float(r[0]) for r in strata if r[0] is not None])
    x = x[np.isfinite(x)]
    return not is_numeric_target(True, int(x.size), int((x != np.floor(x)).sum())), strata


def _class_of_strata(
    strata: list[tuple], columns: list[str], target: str | None, warnings: list[str]
) -> np.ndarray:
    """Each stratum's class (the target's value, numbered in order); the target's checks."""
    if not columns:
        return np.zeros(len(strata), dtype=np.int64)
    values = [r[0] for r in strata]
    order = {v: i for i, v in enumerate(dict.fromkeys(values))}
    cls = np.array([order[v] for v in values], dtype=np.int64)
    classes = [v for v in order if v is not None]
    if len(classes) < 2:
        raise SplitError(
            f"The target {target!r} has {len(classes)} distinct value(s); a model needs at "
            "least two. Pick another target or another dataset."
        )
    if len(classes) > MAX_CLASSES:
        raise SplitError(
            f"The target {target!r} has {len(classes):,} distinct values that are not "
            "numbers: too many classes to stratify by. Use a random, file-order, time "
            "or group split, or pick a class label as the target."
        )
    n_null = sum(int(r[-1]) for r in strata if r[0] is None)
    if n_null:
        warnings.append(
            f"{n_null} row(s) have no {target!r} value; they are split like a class of "
            "their own (training drops them)."
        )
    return cls


def _check_single_rows(strata: list[tuple], columns: list[str]) -> None:
    single = [r for r in strata if int(r[-1]) == 1]
    if single:
        example = ", ".join(f"{c}={v!r}" for c, v in zip(columns, single[0][:-1], strict=True))
        raise SplitError(
            f"{len(single)} stratum(s) have a single row (e.g. {example}); a row cannot be "
            "shared between parts. Merge rare values, drop those rows, stratify by fewer "
            "columns or use a random split."
        )


def _quotas(train: np.ndarray, cls: np.ndarray, rungs: tuple[float, ...]) -> list[np.ndarray]:
    """Per rung, each class's train rows on that rung (``ladder_levels``'s rule: about its
    share of the class, at least one row, nested)."""
    sizes = np.bincount(cls, weights=train, minlength=int(cls.max()) + 1 if len(cls) else 1)
    sizes = sizes.astype(np.int64)
    quota = np.zeros(len(sizes), dtype=np.int64)
    out = []
    for r in rungs:
        take = allocate(sizes, [r, 1.0 - r])[:, 0] if r < 1 else sizes.copy()
        quota = np.minimum(np.maximum(np.maximum(take, quota), np.minimum(sizes, 1)), sizes)
        out.append(quota.copy())
    return out


def _missing_class_warnings(
    strata: list[tuple], cells: np.ndarray, cls: np.ndarray, target: str
) -> list[str]:
    """A part with rows but none of some class: known from the cells before any row moves."""
    per_class = np.zeros((int(cls.max()) + 1, 3), dtype=np.int64)
    np.add.at(per_class, cls, cells)
    values = {int(c): strata[i][0] for i, c in enumerate(cls)}
    out = []
    for p, part in enumerate(PARTS):
        if per_class[:, p].sum() == 0:
            continue
        lacking = [values[c] for c in range(len(per_class)) if per_class[c, p] == 0]
        lacking = [v for v in lacking if v is not None]
        if lacking:
            out.append(missing_class_warning(part, lacking, target))
    return out
