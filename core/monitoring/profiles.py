"""Mergeable column profiles: one set-based DuckDB pass, stored, reused, merged exactly.

DESIGN
------
A profile holds, per column and time window, what every drift statistic needs, so that
drift is computed from two profiles without rescanning any table:

* all columns: ``n`` (rows), ``nulls`` (NULL, NaN and +-inf count as missing);
* numeric: ``sum``, ``sumsq`` (sum of squared deviations from a fixed centre, which keeps the
  variance exact to rounding when the mean is far from zero), ``min``, ``max``, counts on a
  fixed grid, and the count and sum of values below / above the reference's range;
* categorical: the count per category, unseen categories kept.

The grid is the reference's: ``key = floor((v - a) / w)`` clamped to ``[kmin, kmax]``, with
``a`` and ``w`` chosen so that :data:`BODY_BINS` equal bins span the reference's 0.1 % to
99.9 % quantiles (estimated on about :data:`SAMPLE_ROWS` rows in evenly spaced blocks) and
the grid runs on over the tails up to the exact reference min and max, at most :data:`TAIL_BINS`
further bins on each side (beyond that the outermost bin is wider). Integer columns whose
range spans at most ``BODY_BINS + 2 * TAIL_BINS`` values get one bin per integer, which makes
KS and Wasserstein exact. An arithmetic key (no binary search over edges) counted by
DuckDB's perfect-hash aggregate keeps the pass cheap (DuckDB's ``histogram`` with edges was
3-10x slower); the price of equal-width bins, a coarser resolution where the density is
high, is reported per result as a guaranteed error bound (:mod:`core.monitoring.drift`).

Cost, measured by ``bench.drift`` (20 columns, 2 cores): the bins dominate. A group-by over
the bin key costs 5-6x a plain ``sum`` per column, so profiling both sides from scratch is
15x the benchmark's scan floor at 1M rows a side and 5.5x at 10M (600 MB memory limit); a
monitoring run, which reuses the stored reference profile, is 7.7x and 2.8x. At 1M rows the
floor is 47 ms, so the fixed costs (storing two profiles, 20 statistics and p-values, about
0.15 s at any size) alone exceed 3x. Exporting the columns to a compiled
kernel instead was tried: the Arrow export alone costs as much as the scan floor.

A categorical column keeps the reference's :data:`MAX_CATEGORIES` most frequent categories
(ties by name). When the reference has more, the rest are pooled into ``other`` on both
sides (``complete`` is False in the spec). Otherwise a category the reference never had
is kept by name, up to :data:`MAX_CATEGORIES` unseen names chosen by sort order rather than by
count, so that merging stays exact; further unseen names go to ``other``.

Merge law: two profiles on the same grid, of two parts of a table, merge into the profile
of the whole: counts, n, nulls, min and max exactly, sums up to floating-point rounding.

Profiles are stored (``profiles`` and ``profile_columns`` tables) with the dataset's content
hash; profiling the same data version with the same grid and windows returns the stored id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import scans as scans_db
from core.db.database import Database
from core.db.scans import window_key
from core.errors import StoreError

BODY_BINS = 16_384
TAIL_BINS = 16_384
SAMPLE_ROWS = 100_000
MAX_CATEGORIES = 1_000
QUANTILE_RANGE = (0.001, 0.999)
OTHER = "__other__"
ALL = "all"
NO_TIMESTAMP = "no timestamp"

_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_CATEGORICAL_TYPES = {"VARCHAR", "BOOLEAN"}


class ProfileError(StoreError):
    """Profiles that cannot be profiled, merged or compared; the message says why."""


def column_kind(data_type: str) -> str:
    """``numeric``, ``categorical`` or ``skipped`` for a DuckDB type name.

    >>> column_kind("BIGINT"), column_kind("DECIMAL(10,2)"), column_kind("VARCHAR")
    ('numeric', 'numeric', 'categorical')
    >>> column_kind("TIMESTAMP")
    'skipped'
    """
    base = data_type.split("(")[0].upper()
    if base in _INTEGER_TYPES or base in _FLOAT_TYPES or base == "DECIMAL":
        return "numeric"
    if base in _CATEGORICAL_TYPES or base.startswith("ENUM"):
        return "categorical"
    return "skipped"


def is_integer_type(data_type: str) -> bool:
    return data_type.split("(")[0].upper() in _INTEGER_TYPES


@dataclass(frozen=True)
class ColumnProfile:
    """One column in one window. ``valid`` = ``n - nulls`` values enter the statistics."""

    column: str
    kind: str
    data_type: str
    window: str
    window_start: datetime | None
    n: int
    nulls: int
    sum: float = 0.0
    sumsq: float = 0.0
    min: float | None = None
    max: float | None = None
    below: int = 0
    below_sum: float = 0.0
    above: int = 0
    above_sum: float = 0.0
    bin_keys: tuple[int, ...] = ()
    bin_counts: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    category_counts: tuple[int, ...] = ()
    other: int = 0
    note: str = ""

    @property
    def valid(self) -> int:
        return self.n - self.nulls

    def category_map(self) -> dict[str, int]:
        return dict(zip(self.categories, self.category_counts, strict=True))


@dataclass(frozen=True)
class Profile:
    """A stored (or merged) profile: a grid ``spec`` and one entry per column and window."""

    id: int | None
    dataset_id: int | None
    content_hash: str
    reference_profile_id: int | None
    time_column: str | None
    window_size: str | None
    n_rows: int
    spec: dict[str, Any]
    columns: tuple[ColumnProfile, ...] = field(default_factory=tuple)

    @property
    def windows(self) -> list[str]:
        seen: dict[str, None] = {}
        for c in sorted(self.columns, key=_window_order):
            seen.setdefault(c.window, None)
        return list(seen)

    def column(self, name: str, window: str = ALL) -> ColumnProfile | None:
        for c in self.columns:
            if c.column == name and c.window == window:
                return c
        return None

    def total(self) -> Profile:
        """The whole table as one window ``all`` (windows merged exactly)."""
        merged: dict[str, ColumnProfile] = {}
        for c in self.columns:
            c = replace(c, window=ALL, window_start=None)
            merged[c.column] = (
                _merge_column(merged[c.column], c, self.spec)
                if c.column in merged
                else c
            )
        return replace(self, id=self.id, columns=tuple(merged.values()))

    def to_frame(self) -> pd.DataFrame:
        """One row per window and column: counts, mean, std, range and the profile's note."""
        rows = []
        for c in sorted(self.columns, key=_window_order):
            mean, std = moments(c, self.spec.get(c.column, {}))
            rows.append(
                {
                    "window": c.window,
                    "window_start": c.window_start,
                    "column": c.column,
                    "kind": c.kind,
                    "n": c.n,
                    "nulls": c.nulls,
                    "null_rate": c.nulls / c.n if c.n else float("nan"),
                    "mean": mean,
                    "std": std,
                    "min": c.min,
                    "max": c.max,
                    "below_range": c.below,
                    "above_range": c.above,
                    "categories": len(c.categories),
                    "other": c.other,
                    "note": c.note,
                }
            )
        return pd.DataFrame(rows)


def _window_order(c: ColumnProfile) -> tuple:
    return (c.window_start is None, c.window_start or datetime.min, c.window, c.column)


def moments(c: ColumnProfile, spec: dict[str, Any]) -> tuple[float, float]:
    """Mean and sample standard deviation of a numeric column profile (NaN if undefined).

    >>> c = ColumnProfile("x", "numeric", "DOUBLE", "all", None, n=3, nulls=0, sum=6.0,
    ...                   sumsq=2.0)  # values 1, 2, 3 around centre 2
    >>> moments(c, {"center": 2.0})
    (2.0, 1.0)
    """
    k = c.valid
    if c.kind != "numeric" or k == 0:
        return float("nan"), float("nan")
    mean = c.sum / k
    if k < 2:
        return mean, float("nan")
    center = float(spec.get("center", 0.0))
    dev = c.sum - k * center
    var = max(c.sumsq - dev * dev / k, 0.0) / (k - 1)
    return mean, math.sqrt(var)


# --------------------------------------------------------------------------- the grid
def numeric_grid(
    data_type: str, lo: float, hi: float, sample: np.ndarray
) -> dict[str, Any]:
    """The bin grid of a numeric column from its exact range and a sample of its values.

    Examples
    --------
    >>> g = numeric_grid("BIGINT", 0.0, 5.0, np.array([0, 1, 2, 5]))
    >>> g["a"], g["w"], g["kmin"], g["kmax"], g["discrete"]
    (-0.5, 1.0, 0, 5, True)
    >>> g = numeric_grid("DOUBLE", 0.0, 1.0, np.linspace(0, 1, 1001))
    >>> g["kmin"], g["kmax"], round(g["w"] * BODY_BINS, 3)
    (-17, 16400, 0.998)
    """
    lo, hi = float(lo), float(hi)
    sample = np.asarray(sample, dtype=float)
    sample = sample[np.isfinite(sample)]
    center = float(np.median(sample)) if sample.size else lo
    base = {
        "kind": "numeric",
        "data_type": data_type,
        "center": center,
        "ref_min": lo,
        "ref_max": hi,
    }
    span = BODY_BINS + 2 * TAIL_BINS
    if hi == lo or (is_integer_type(data_type) and hi - lo <= span):
        # one bin per integer (or the single value): the CDF is known at every atom
        return {
            **base,
            "a": lo - 0.5,
            "w": 1.0,
            "kmin": 0,
            "kmax": int(hi - lo),
            "discrete": True,
        }
    q_lo, q_hi = np.quantile(sample, QUANTILE_RANGE) if sample.size else (lo, hi)
    q_lo, q_hi = float(q_lo), float(q_hi)
    if not q_hi > q_lo:
        q_lo, q_hi = lo, hi
    w = (q_hi - q_lo) / BODY_BINS
    a = q_lo
    kmin = max(math.floor((lo - a) / w), -TAIL_BINS)
    kmax = min(math.floor((hi - a) / w), BODY_BINS + TAIL_BINS)
    return {
        **base,
        "a": a,
        "w": w,
        "kmin": int(kmin),
        "kmax": int(kmax),
        "discrete": False,
    }


def numeric_edges(spec: dict[str, Any]) -> np.ndarray:
    """Boundaries of the grid's bins inside the reference range: ``kmax - kmin + 2`` values.

    Bin ``k`` holds ``[edges[i], edges[i + 1])`` (the last one closed) with ``i = k - kmin``.

    >>> numeric_edges({"a": 0.0, "w": 0.5, "kmin": 0, "kmax": 3, "ref_min": 0.1,
    ...                "ref_max": 1.9}).tolist()
    [0.1, 0.5, 1.0, 1.5, 1.9]
    """
    k = np.arange(spec["kmin"] + 1, spec["kmax"] + 1)
    inner = spec["a"] + k * spec["w"]
    return np.concatenate([[spec["ref_min"]], inner, [spec["ref_max"]]])


def dense_counts(c: ColumnProfile, spec: dict[str, Any]) -> np.ndarray:
    """In-range counts per bin from ``kmin`` to ``kmax`` (out-of-range values removed)."""
    out = np.zeros(spec["kmax"] - spec["kmin"] + 1, dtype=np.int64)
    if c.bin_keys:
        keys = np.asarray(c.bin_keys) - spec["kmin"]
        out += np.bincount(keys, np.asarray(c.bin_counts), len(out)).astype(np.int64)
    # the clamped end bins also hold the values below / above the reference range
    out[0] -= c.below
    out[-1] -= c.above
    return out


# ---------------------------------------------------------------------------- merging
def _cap_categories(
    counts: dict[str, int], spec: dict[str, Any], other: int = 0
) -> tuple[dict[str, int], int]:
    """Keep the spec's categories and, when the spec is complete, the first unseen names.

    >>> _cap_categories({"a": 2, "z": 1, "b": 4}, {"categories": ["a"], "complete": True,
    ...                                             "max_unseen": 1})
    ({'a': 2, 'b': 4}, 1)
    """
    known = set(spec.get("categories", []))
    kept = {k: v for k, v in counts.items() if k in known}
    unseen = sorted(k for k in counts if k not in known)
    if spec.get("complete", True):
        cap = int(spec.get("max_unseen", MAX_CATEGORIES))
        kept.update({k: counts[k] for k in unseen[:cap]})
        other += sum(counts[k] for k in unseen[cap:])
    else:
        other += sum(counts[k] for k in unseen)
    return kept, other


def _merge_column(
    x: ColumnProfile, y: ColumnProfile, spec: dict[str, Any]
) -> ColumnProfile:
    if x.kind != y.kind:
        raise ProfileError(
            f"Column {x.column!r} is {x.kind} in one profile, {y.kind} in the other."
        )
    mins = [v for v in (x.min, y.min) if v is not None]
    maxs = [v for v in (x.max, y.max) if v is not None]
    keys: dict[int, int] = {}
    for k, n in zip(
        (*x.bin_keys, *y.bin_keys), (*x.bin_counts, *y.bin_counts), strict=True
    ):
        keys[k] = keys.get(k, 0) + n
    cats: dict[str, int] = x.category_map()
    for k, n in y.category_map().items():
        cats[k] = cats.get(k, 0) + n
    cats, other = _cap_categories(cats, spec.get(x.column, {}), x.other + y.other)
    order = sorted(cats, key=lambda k: (-cats[k], k))
    notes = "; ".join(dict.fromkeys(n for n in (x.note, y.note) if n))
    return replace(
        x,
        n=x.n + y.n,
        nulls=x.nulls + y.nulls,
        sum=x.sum + y.sum,
        sumsq=x.sumsq + y.sumsq,
        min=min(mins) if mins else None,
        max=max(maxs) if maxs else None,
        below=x.below + y.below,
        below_sum=x.below_sum + y.below_sum,
        above=x.above + y.above,
        above_sum=x.above_sum + y.above_sum,
        bin_keys=tuple(sorted(keys)),
        bin_counts=tuple(keys[k] for k in sorted(keys)),
        categories=tuple(order),
        category_counts=tuple(cats[k] for k in order),
        other=other,
        note=notes,
    )


def merge_profiles(a: Profile, b: Profile) -> Profile:
    """The profile of the union of the two profiled parts (same grid required).

    Entries of the same window and column are merged; windows present in one part only
    are kept. Counts, ``n``, ``nulls``, ``min`` and ``max`` are exact; ``sum`` and
    ``sumsq`` equal the union's up to floating-point rounding.

    Examples
    --------
    >>> spec = {"x": {"kind": "categorical", "categories": ["a"], "complete": True}}
    >>> def part(counts):
    ...     c = ColumnProfile("x", "categorical", "VARCHAR", "all", None, n=sum(counts.values()),
    ...                       nulls=0, categories=tuple(counts), category_counts=tuple(counts.values()))
    ...     return Profile(None, None, "", None, None, None, c.n, spec, (c,))
    >>> m = merge_profiles(part({"a": 2, "b": 1}), part({"a": 1, "c": 5}))
    >>> m.n_rows, m.column("x").category_map()
    (9, {'c': 5, 'a': 3, 'b': 1})
    """
    if _grid_key(a.spec) != _grid_key(b.spec):
        raise ProfileError(
            "These profiles use different grids (different references); profile both parts "
            "against the same reference profile before merging."
        )
    merged: dict[tuple[str, str], ColumnProfile] = {}
    for c in (*a.columns, *b.columns):
        key = (c.window, c.column)
        merged[key] = _merge_column(merged[key], c, a.spec) if key in merged else c
    same = a.dataset_id == b.dataset_id
    return Profile(
        id=None,
        dataset_id=a.dataset_id if same else None,
        content_hash=a.content_hash
        if same and a.content_hash == b.content_hash
        else "",
        reference_profile_id=a.reference_profile_id,
        time_column=a.time_column,
        window_size=a.window_size,
        n_rows=a.n_rows + b.n_rows,
        spec=a.spec,
        columns=tuple(sorted(merged.values(), key=_window_order)),
    )


def _grid_key(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        k: {
            f: v.get(f)
            for f in (
                "kind",
                "a",
                "w",
                "kmin",
                "kmax",
                "center",
                "categories",
                "complete",
            )
        }
        for k, v in spec.items()
    }


# -------------------------------------------------------------------------- profiling
def _window_label(w: Any, windowed: bool) -> tuple[str, datetime | None]:
    if w is None or (isinstance(w, float) and math.isnan(w)) or pd.isna(w):
        return (NO_TIMESTAMP if windowed else ALL), None
    ts = pd.Timestamp(w).to_pydatetime()
    fmt = "%Y-%m-%d" if ts.time() == datetime.min.time() else "%Y-%m-%d %H:%M"
    return ts.strftime(fmt), ts


def _spec_for(
    store: Database, dataset_id: int, schema: list[tuple[str, str]], skip: set[str]
) -> dict[str, Any]:
    """The grid of a reference: numeric ranges and sample quantiles; categories come later."""
    spec: dict[str, Any] = {}
    numeric = [c for c, t in schema if c not in skip and column_kind(t) == "numeric"]
    ranges, sample = scans_db.profile_ranges(store, dataset_id, numeric, SAMPLE_ROWS)
    for i, col in enumerate(numeric):
        dtype = dict(schema)[col]
        lo, hi = ranges[i]
        if lo is None or hi is None:
            spec[col] = {
                "kind": "empty",
                "data_type": dtype,
                "note": "the reference has no values in this column",
            }
            continue
        spec[col] = numeric_grid(
            dtype,
            float(lo),
            float(hi),
            sample[f"v{i}"],
        )
    for col, dtype in schema:
        if col in skip or col in spec:
            continue
        kind = column_kind(dtype)
        if kind == "categorical":
            spec[col] = {
                "kind": "categorical",
                "data_type": dtype,
                "categories": [],
                "complete": True,
                "max_unseen": MAX_CATEGORIES,
            }
        else:
            spec[col] = {
                "kind": "skipped",
                "data_type": dtype,
                "note": f"type {dtype} is not profiled (numeric and categorical are)",
            }
    return spec


def profile_dataset(
    store: Database,
    dataset_id: int,
    *,
    reference_profile_id: int | None = None,
    time_column: str | None = None,
    window: str | None = None,
    actor: str = "workbench",
) -> int:
    """Profile a dataset in one set-based pass and store it; returns the profile id.

    Without ``reference_profile_id`` the dataset is a reference: its grid (bins and
    categories) is derived from it. With one, the reference's grid is reused, so the two
    profiles can be compared (:func:`core.monitoring.drift.compute_drift`) and merged. With
    ``time_column`` and ``window`` (a DuckDB interval such as ``'1 month'``) every column is
    profiled per window; rows without a parseable timestamp form the window
    ``"no timestamp"``. The same data version profiled the same way returns the stored id.
    """
    ds = datasets_db.get_dataset(store, dataset_id)
    if ds is None:
        raise ProfileError("That dataset does not exist (any more).")
    n_rows, content_hash, schema = scans_db.profile_table_info(store, dataset_id)
    names = [c for c, _ in schema]
    if window and not time_column:
        raise ProfileError(
            "A window needs a time column; pick the column holding the timestamp."
        )
    if time_column and time_column not in names:
        raise ProfileError(f"The time column {time_column!r} is not in {ds.name!r}.")
    skip = {time_column} if time_column else set()
    if time_column and not window:
        time_column = None
    if window:
        monitoring_db.check_interval(store, window)
    found = monitoring_db.find_profile(
        store, dataset_id, content_hash, reference_profile_id, time_column, window
    )
    if found is not None:
        return found

    types = dict(schema)
    notes: dict[str, str] = {}
    if reference_profile_id is None:
        spec = _spec_for(store, dataset_id, schema, skip)
    else:
        spec = monitoring_db.get_profile_rows(store, reference_profile_id, columns=False)[0]["spec"]
        for col, s in spec.items():
            if col not in types:
                notes[col] = "missing from this dataset"
            elif (
                s["kind"] == "numeric"
                and column_kind(types[col]) != "numeric"
                or types[col] != s["data_type"]
            ):
                notes[col] = f"type changed from {s['data_type']} to {types[col]}"
        for col in names:
            if col not in spec and col not in skip:
                notes[col] = "not in the reference"

    numeric = [
        c
        for c, s in spec.items()
        if s["kind"] == "numeric" and c in types and column_kind(types[c]) == "numeric"
    ]
    categorical = [
        c
        for c, s in spec.items()
        if s["kind"] in ("categorical", "empty") and c in types
    ]
    extra: list[
        str
    ] = []  # columns the reference lacks are listed with a note, not scanned
    num_specs = [{"column": c, **spec[c]} for c in numeric]
    scan_args = {
        "time_column": time_column,
        "window": window,
        "own_grid": reference_profile_id is None,
    }
    mom, bins, cats = scans_db.profile_scan(
        store, dataset_id, num_specs, categorical + extra, **scan_args
    )
    finite = mom[[c for c in mom.columns if c[:1] in "sq" or c[:2] in ("mn", "mx")]]
    if len(mom) and not np.isfinite(finite.to_numpy(dtype=float, na_value=0.0)).all():
        mom, bins, cats = scans_db.profile_scan(
            store, dataset_id, num_specs, categorical + extra, safe=True, **scan_args
        )

    if reference_profile_id is None:
        for j, col in enumerate(categorical):
            if spec[col]["kind"] != "categorical":
                continue
            sub = cats[cats["c"] == j].groupby("k")["n"].sum()
            order = sorted(sub.index, key=lambda k: (-int(sub[k]), k))
            spec[col]["categories"] = order[:MAX_CATEGORIES]
            spec[col]["complete"] = len(order) <= MAX_CATEGORIES
            spec[col]["n_distinct"] = len(order)

    columns = _columns_from_scan(
        spec,
        types,
        numeric,
        categorical + extra,
        notes,
        mom,
        bins,
        cats,
        bool(time_column),
    )
    return monitoring_db.insert_profile(
        store, ds.project_id,
        dataset_id,
        content_hash=content_hash,
        reference_profile_id=reference_profile_id,
        time_column=time_column,
        window=window,
        n_rows=n_rows,
        spec=spec,
        columns=_columns_table(columns),
        actor=actor,
    )


def _columns_from_scan(
    spec: dict[str, Any],
    types: dict[str, str],
    numeric: list[str],
    counted: list[str],
    notes: dict[str, str],
    mom: pd.DataFrame,
    bins: pd.DataFrame,
    cats: pd.DataFrame,
    windowed: bool,
) -> list[ColumnProfile]:
    if mom.empty:  # an empty table: one empty window
        mom = pd.DataFrame({"w": [None], "n_rows": [0]})
    out: list[ColumnProfile] = []
    bins_by_w = (
        {window_key(w): g for w, g in bins.groupby("w", dropna=False)} if len(bins) else {}
    )
    cats_by_w = (
        {window_key(w): g for w, g in cats.groupby("w", dropna=False)} if len(cats) else {}
    )
    for row in mom.to_dict("records"):
        label, start = _window_label(row["w"], windowed)
        n = int(row["n_rows"])
        wb = bins_by_w.get(window_key(row["w"]), bins.iloc[:0])
        wc = cats_by_w.get(window_key(row["w"]), cats.iloc[:0])
        by_column = {int(c): g for c, g in wb.groupby("c")} if len(wb) else {}
        for i, col in enumerate(numeric):
            valid = int(row.get(f"n{i}", 0) or 0)
            b = by_column.get(i, wb.iloc[:0]).sort_values("k")
            out.append(
                ColumnProfile(
                    column=col,
                    kind="numeric",
                    data_type=types[col],
                    window=label,
                    window_start=start,
                    n=n,
                    nulls=n - valid,
                    sum=_f(row.get(f"s{i}")),
                    sumsq=_f(row.get(f"q{i}")),
                    min=_opt(row.get(f"mn{i}")),
                    max=_opt(row.get(f"mx{i}")),
                    below=int(_f(row.get(f"bn{i}"))),
                    below_sum=_f(row.get(f"bs{i}")),
                    above=int(_f(row.get(f"an{i}"))),
                    above_sum=_f(row.get(f"as{i}")),
                    bin_keys=_ints(b["k"]),
                    bin_counts=_ints(b["n"]),
                    note=notes.get(col, ""),
                )
            )
        for j, col in enumerate(counted):
            valid = int(row.get(f"cn{j}", 0) or 0)
            sub = wc[wc["c"] == j]
            s = spec.get(
                col, {"kind": "skipped", "data_type": types[col], "complete": True}
            )
            counts = dict(zip(sub["k"].astype(str), sub["n"].astype(int), strict=True))
            kept, other = (
                _cap_categories(counts, s) if s["kind"] == "categorical" else ({}, 0)
            )
            order = sorted(kept, key=lambda k: (-kept[k], k))
            kind = s["kind"] if s["kind"] in ("categorical", "empty") else "skipped"
            out.append(
                ColumnProfile(
                    column=col,
                    kind=kind,
                    data_type=types[col],
                    window=label,
                    window_start=start,
                    n=n,
                    nulls=n - valid,
                    categories=tuple(order),
                    category_counts=tuple(int(kept[k]) for k in order),
                    other=int(other),
                    note=notes.get(col, s.get("note", "")),
                )
            )
        for col in sorted(set(notes) - set(numeric) - set(counted)):
            s = spec.get(col, {})
            out.append(
                ColumnProfile(
                    column=col,
                    kind="skipped",
                    data_type=types.get(col, s.get("data_type", "")),
                    window=label,
                    window_start=start,
                    n=n,
                    nulls=0,
                    note=notes[col],
                )
            )
    return out


def _ints(values: Any) -> tuple[int, ...]:
    """Python ints from a list, array or Series (``tolist`` converts in C: 16k bins x 40)."""
    return tuple(np.asarray(values, dtype=np.int64).tolist())


def _f(v: Any) -> float:
    return 0.0 if v is None or pd.isna(v) else float(v)


def _opt(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _list_array(values: list[tuple], type_: Any) -> Any:
    """An Arrow list column from Python sequences, built from offsets (no per-item boxing)."""
    import pyarrow as pa

    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    if type_ == pa.string():
        items = pa.array([x for v in values for x in v], type=type_)
    else:
        parts = [np.asarray(v, dtype=np.int64) for v in values if len(v)]
        items = pa.array(np.concatenate(parts) if parts else np.zeros(0, np.int64))
    return pa.ListArray.from_arrays(pa.array(offsets), items)


def _columns_table(columns: Iterable[ColumnProfile]) -> Any:
    """The ``profile_columns`` rows of a profile as an Arrow table."""
    import pyarrow as pa

    cols = list(columns)
    return pa.table({
        "window_label": pa.array([c.window for c in cols], pa.string()),
        "window_start": pa.array([c.window_start for c in cols], pa.timestamp("us")),
        "column_name": pa.array([c.column for c in cols], pa.string()),
        "kind": pa.array([c.kind for c in cols], pa.string()),
        "data_type": pa.array([c.data_type for c in cols], pa.string()),
        "n": pa.array([c.n for c in cols], pa.int64()),
        "nulls": pa.array([c.nulls for c in cols], pa.int64()),
        "sum": pa.array([c.sum for c in cols], pa.float64()),
        "sumsq": pa.array([c.sumsq for c in cols], pa.float64()),
        "min": pa.array([c.min for c in cols], pa.float64()),
        "max": pa.array([c.max for c in cols], pa.float64()),
        "below": pa.array([c.below for c in cols], pa.int64()),
        "below_sum": pa.array([c.below_sum for c in cols], pa.float64()),
        "above": pa.array([c.above for c in cols], pa.int64()),
        "above_sum": pa.array([c.above_sum for c in cols], pa.float64()),
        "bin_keys": _list_array([c.bin_keys for c in cols], pa.int64()),
        "bin_counts": _list_array([c.bin_counts for c in cols], pa.int64()),
        "categories": _list_array([c.categories for c in cols], pa.string()),
        "category_counts": _list_array([c.category_counts for c in cols], pa.int64()),
        "other": pa.array([c.other for c in cols], pa.int64()),
        "note": pa.array([c.note for c in cols], pa.string()),
    })


def get_profile(store: Database, profile_id: int) -> Profile:
    """A stored profile with all its windows and columns."""
    head, cols = monitoring_db.get_profile_rows(store, profile_id)
    columns = []
    for r in cols.itertuples(index=False):
        start = (
            None
            if pd.isna(r.window_start)
            else pd.Timestamp(r.window_start).to_pydatetime()
        )
        columns.append(
            ColumnProfile(
                column=r.column_name,
                kind=r.kind,
                data_type=r.data_type,
                window=r.window_label,
                window_start=start,
                n=int(r.n),
                nulls=int(r.nulls),
                sum=_f(r.sum),
                sumsq=_f(r.sumsq),
                min=_opt(r.min),
                max=_opt(r.max),
                below=int(r.below),
                below_sum=float(r.below_sum),
                above=int(r.above),
                above_sum=float(r.above_sum),
                bin_keys=_ints(_seq(r.bin_keys)),
                bin_counts=_ints(_seq(r.bin_counts)),
                categories=tuple(str(x) for x in _seq(r.categories)),
                category_counts=_ints(_seq(r.category_counts)),
                other=int(r.other),
                note=r.note,
            )
        )
    return Profile(
        id=head["id"],
        dataset_id=head["dataset_id"],
        content_hash=head["content_hash"],
        reference_profile_id=head["reference_profile_id"],
        time_column=head["time_column"],
        window_size=head["window_size"],
        n_rows=int(head["n_rows"]),
        spec=head["spec"],
        columns=tuple(sorted(columns, key=_window_order)),
    )


def _seq(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    return v
