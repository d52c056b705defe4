"""Looking at splits: each column's distribution per part side by side, classes missing
from a part, stored splits as a table and in one sentence, and the builder's suggestions
(target, cutoffs, a free name, columns worth comparing)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import target_column
from core.data.datasets import free_name
from core.data.detect import TARGET_NAMES
from core.data.split_request import (
    DEFAULT_SHARES,
    METHODS,
    MISSING,
    OTHER,
    PARTS,
    is_missing,
    require_columns,
)
from core.data.splits import get_split
from core.data.targets import target_kind
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.db import types
from core.db.database import Database
from core.db.splits import SplitRow


def split_summary(store: Database, split_id: int, columns: Sequence[str]) -> pd.DataFrame:
    """Distribution of each column per part, side by side.

    One row per (column, value): ``column``, ``value``, then ``<part>_n`` and
    ``<part>_share`` for train, dev and test, and ``max_gap`` (largest difference of the
    shares between parts, in share points). Categorical values are the top 10 (the rest
    pooled as "(other)"); numeric columns with many values are cut at the dataset's
    quintiles; dates and times by month. Counted by GROUP BY in DuckDB.
    """
    split = get_split(store, split_id)
    require_columns(store, split.dataset_id, list(columns))
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
    A number to predict (a regression target, ``core.data.targets``) has no classes: {}.
    """
    split = get_split(store, split_id)
    require_columns(store, split.dataset_id, [target])
    if target_kind(store, split.dataset_id, target) == "numeric":
        return {}
    counts = splits_db.split_value_counts(store, split_id, target)
    counts = counts[counts["value"].map(lambda v: not is_missing(v))]
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


def splits_frame(splits: list[SplitRow]) -> pd.DataFrame:
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


def describe_split(split: SplitRow) -> str:
    """One line saying how a stored split was made (method, its columns, shares, seed)."""
    p = split.params
    if split.method == "time":
        c1, c2 = (str(c)[:16].replace("T", " ").removesuffix(" 00:00") for c in p["time_cutoffs"])
        how = f"by {p['time_column']}: train before {c1}, dev before {c2}, test from {c2} on"
    elif split.method == "order":
        tr, dv, te = (f"{s:.0%}" for s in p.get("shares", DEFAULT_SHARES))
        how = f"by row order: the first {tr} of rows train, the next {dv} dev, the last {te} test"
    else:
        how = " / ".join(f"{s:.0%}" for s in p.get("shares", [])) + " train / dev / test"
        target = split.target
        if "target_bins" in p:
            target = f"{target} (a number: {len(p['target_bins']) + 1} quantile bins)"
        if split.method == "stratified":
            how += f", stratified by {target}"
        elif split.method == "stratified_by_column":
            how += f", stratified by {target} and {p.get('stratify_column')}"
        elif split.method == "group":
            how += f", no {p.get('group_column')} in two parts"
    ladder = ", ".join(f"{r:.0%}" for r in p.get("ladder", []))
    return (
        f"{METHODS.get(split.method, split.method)} {how}; seed {p.get('seed')}; ladder {ladder}."
    )


def suggest_target(columns: Sequence[str], typed: str | None = None) -> str | None:
    """A likely target among ``columns``: the column typed as target, else a conventional
    name, else the last column.

    >>> suggest_target(["a", "Target", "b"]), suggest_target(["a", "b"]), suggest_target([])
    ('Target', 'b', None)
    >>> suggest_target(["a", "label", "b"], typed="a")
    'a'
    """
    if typed in columns:
        return typed
    lower = {c.lower(): c for c in columns}
    for name in TARGET_NAMES:
        if name in lower:
            return lower[name]
    return columns[-1] if columns else None


def default_target(store: Database, dataset_id: int) -> str | None:
    """The target to offer first for a dataset: its column typed as target, else the
    project's target role, else a conventional name, else the last column."""
    ds = datasets_db.require_dataset(store, dataset_id)
    columns = [c for c, _ in datasets_db.dataset_schema(store, dataset_id)]
    typed = target_column(store, dataset_id)
    role = projects_db.get_column_roles(store, ds.project_id).get("target")
    return suggest_target(columns, typed if typed in columns else role)


def distribution_kind(dtype: str) -> str:
    """How a column's values are compared across parts: ``numeric`` (binned at quintiles),
    ``datetime`` (by month) or ``categorical`` (top values)."""
    if types.is_numeric(dtype):
        return "numeric"
    return "datetime" if types.is_datetime(dtype) else "categorical"


def column_kinds(store: Database, dataset_id: int) -> dict[str, str]:
    """:func:`distribution_kind` per column, from the stored SQL types."""
    return {c: distribution_kind(t) for c, t in datasets_db.dataset_schema(store, dataset_id)}


def comparison_columns(
    store: Database, split: SplitRow, kinds: dict[str, str], extra: int = 2
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
    if len(qs) != 2 or any(is_missing(q) for q in qs):
        return None
    a, b = (pd.Timestamp(q).date() for q in qs)
    return a, max(a, b)


def unique_split_name(store: Database, project_id: int, base: str) -> str:
    """``base``, or ``base_2``, ``base_3``… when the project has that name already."""
    return free_name(base, {s.name for s in splits_db.list_splits(store, project_id)},
                     "{base}_{n}")


def _column_distribution(
    store: Database, split_id: int, dataset_id: int, column: str, sql_type: str
) -> pd.DataFrame:
    """One column's rows per part and value, side by side with each part's shares."""
    kind = distribution_kind(sql_type)
    counts, edges = _labelled_counts(store, split_id, dataset_id, column, kind)
    wide = counts.pivot_table(
        index="value",
        columns="part",
        values="n",
        aggfunc="sum",
        fill_value=0,
        sort=False,
    )
    wide = wide.reindex(columns=list(PARTS), fill_value=0)
    # not .loc: a list of booleans would act as a mask
    wide = wide.reindex(_value_order(wide, kind, edges))
    return _shares_side_by_side(column, wide)


def _labelled_counts(
    store: Database, split_id: int, dataset_id: int, column: str, kind: str
) -> tuple[pd.DataFrame, list[float] | None]:
    """Rows per part and value label: numbers with many values by quintile bin, dates by
    month, categories as the top 10 (the rest pooled as "(other)"); and the bin edges."""
    edges: list[float] | None = None
    if kind == "numeric":
        n_distinct, qs = splits_db.split_column_quantiles(
            store, dataset_id, column, [0.2, 0.4, 0.6, 0.8]
        )
        if n_distinct > 12:
            edges = sorted({float(q) for q in qs if q is not None and math.isfinite(q)})
    counts = splits_db.split_value_counts(
        store, split_id, column, edges=edges, by_month=kind == "datetime"
    )
    if edges is not None:
        labels = _bin_labels(edges)
        counts["value"] = counts["value"].map(
            lambda b: MISSING if is_missing(b) else labels[int(b)]
        )
        return counts, edges
    counts["value"] = counts["value"].map(lambda v: MISSING if is_missing(v) else v)
    if kind == "categorical":
        totals = (
            counts.groupby("value", dropna=False)["n"]
            .sum()
            .sort_values(ascending=False, kind="stable")
        )
        keep = set(totals.index[:10])
        if len(totals) > 10:
            counts["value"] = counts["value"].map(lambda v: v if v in keep else OTHER)
    return counts, None


def _value_order(wide: pd.DataFrame, kind: str, edges: list[float] | None) -> list[Any]:
    """Bins in order, categories most frequent first, anything else in natural order; the
    pooled and missing values last."""
    if edges is not None:
        return [lbl for lbl in [*_bin_labels(edges), MISSING] if lbl in wide.index]
    if kind == "categorical":
        order = list(wide.sum(axis=1).sort_values(ascending=False, kind="stable").index)
        return [v for v in order if v not in (OTHER, MISSING)] + [
            v for v in (OTHER, MISSING) if v in wide.index
        ]
    return _natural_order(list(wide.index))


def _shares_side_by_side(column: str, wide: pd.DataFrame) -> pd.DataFrame:
    """``<part>_n`` and ``<part>_share`` per value, and the largest gap between parts."""
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


def _bin_labels(edges: list[float]) -> list[str]:
    def f(x: float) -> str:
        return f"{x:,.4g}"

    if not edges:
        return ["all values"]
    labels = [f"< {f(edges[0])}"]
    labels += [f"{f(a)} – < {f(b)}" for a, b in itertools.pairwise(edges)]
    labels.append(f"≥ {f(edges[-1])}")
    return labels
