"""Profiling a dataset in one set-based pass, storing the profile and reading it back.

DESIGN
------
:func:`profile_dataset` plans the pass (the reference's grid, or a new grid when the dataset
is the reference), runs it in DuckDB (:func:`core.db.profile_scan.profile_scan`), turns the
long result frames into :class:`~core.monitoring.profiles.ColumnProfile` rows and stores
them. Profiles are stored (``profiles`` and ``profile_columns`` tables) with the dataset's
content hash; profiling the same data version with the same grid and windows returns the
stored id.

Cost, measured by ``bench.drift`` (20 columns, 2 cores): the bins dominate. A group-by over
the bin key costs 5-6x a plain ``sum`` per column, so profiling both sides from scratch is
15x the benchmark's scan floor at 1M rows a side and 5.5x at 10M (600 MB memory limit); a
monitoring run, which reuses the stored reference profile, is 7.7x and 2.8x. At 1M rows the
floor is 47 ms, so the fixed costs (storing two profiles, 20 statistics and p-values, about
0.15 s at any size) alone exceed 3x. Exporting the columns to a compiled
kernel instead was tried: the Arrow export alone costs as much as the scan floor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import profile_scan as profile_scan_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.profile_scan import ProfileScan, window_key
from core.monitoring.grid import (
    MAX_CATEGORIES,
    SAMPLE_ROWS,
    categorical_spec,
    numeric_grid,
    profile_kind,
)
from core.monitoring.profiles import (
    ALL,
    NO_BATCH,
    NO_TIMESTAMP,
    ColumnProfile,
    Profile,
    ProfileError,
    _cap_categories,
    _window_order,
)


@dataclass(frozen=True)
class _Plan:
    """What one pass profiles: the grid ``spec``, the dataset's column types, the binned
    (``numeric``) and counted (categorical or empty) columns, and a note per column that
    is missing, retyped or new against the reference."""

    spec: dict[str, Any]
    types: dict[str, str]
    numeric: list[str]
    counted: list[str]
    notes: dict[str, str]


def profile_dataset(
    store: Database,
    dataset_id: int,
    *,
    reference_profile_id: int | None = None,
    time_column: str | None = None,
    window: str | None = None,
    row_window: int | None = None,
    batch_column: str | None = None,
    actor: str = "workbench",
) -> int:
    """Profile a dataset in one set-based pass and store it; returns the profile id.

    Without ``reference_profile_id`` the dataset is a reference: its grid (bins and
    categories) is derived from it. With one, the reference's grid is reused, so the two
    profiles can be compared (:func:`core.monitoring.drift.compute_drift`) and merged. With
    ``time_column`` and ``window`` (a DuckDB interval such as ``'1 month'``) every column is
    profiled per window; rows without a parseable timestamp form the window
    ``"no timestamp"``. Without a time column, ``row_window`` profiles blocks of that many
    rows in file order and ``batch_column`` one window per value of that column (rows
    without one form the window ``"no batch value"``); the windows' labels are
    :mod:`core.monitoring.windows`'. The same data version profiled the same way returns
    the stored id.
    """
    ds = datasets_db.get_dataset(store, dataset_id)
    if ds is None:
        raise ProfileError("That dataset does not exist (any more).")
    schema = datasets_db.dataset_schema(store, dataset_id)
    if row_window or batch_column:
        time_column, window, skip = _other_windowing(ds, schema, row_window, batch_column)
    else:
        time_column, skip = _windowing(store, ds, schema, time_column, window)
    found = monitoring_db.find_profile(
        store, dataset_id, ds.content_hash, reference_profile_id, time_column, window
    )
    if found is not None:
        return found
    own_grid = reference_profile_id is None
    if reference_profile_id is None:
        plan = _plan(_spec_for(store, dataset_id, schema, skip), schema, {})
    else:
        spec = monitoring_db.get_profile(store, reference_profile_id).spec
        plan = _plan(spec, schema, _notes_against(spec, schema, skip))
    scan = _scan(store, dataset_id, plan, time_column=None if batch_column else time_column,
                 window=None if row_window or batch_column else window, row_window=row_window,
                 batch_column=batch_column, own_grid=own_grid)
    if own_grid:
        _count_categories(plan, scan.categories)
    columns = _columns_from_scan(plan, scan, _labeller(time_column, row_window, batch_column,
                                                       ds.n_rows))
    return monitoring_db.insert_profile(
        store, ds.project_id, dataset_id, content_hash=ds.content_hash,
        reference_profile_id=reference_profile_id, time_column=time_column, window=window,
        n_rows=ds.n_rows, spec=plan.spec, columns=_columns_table(columns), actor=actor,
    )


def _windowing(store: Database, ds: DatasetRow, schema: list[tuple[str, str]],
               time_column: str | None, window: str | None) -> tuple[str | None, set[str]]:
    """The time column the profile is windowed by (None without a window) and the columns
    left out of the profile (the time column); raises ProfileError on a bad pair."""
    if window and not time_column:
        raise ProfileError(
            "A window needs a time column; pick the column holding the timestamp."
        )
    if time_column and time_column not in [c for c, _ in schema]:
        raise ProfileError(f"The time column {time_column!r} is not in {ds.name!r}.")
    skip = {time_column} if time_column else set()
    if window:
        monitoring_db.check_interval(store, window)
    return (time_column if window else None), skip


def _other_windowing(ds: DatasetRow, schema: list[tuple[str, str]], row_window: int | None,
                     batch_column: str | None) -> tuple[str | None, str, set[str]]:
    """Row or batch windows: the profile's recorded column (the batch column, left out of
    the profile as a time column is), its window spec, and the columns left out."""
    if row_window and batch_column:
        raise ProfileError("Window by rows or by a batch column, not both.")
    if row_window:
        if int(row_window) < 1:
            raise ProfileError("A row window needs at least 1 row.")
        return None, f"rows:{int(row_window)}", set()
    if batch_column not in [c for c, _ in schema]:
        raise ProfileError(f"The batch column {batch_column!r} is not in {ds.name!r}.")
    return batch_column, f"column:{batch_column}", {str(batch_column)}


def _labeller(time_column: str | None, row_window: int | None, batch_column: str | None,
              n_rows: int) -> Callable[[Any], tuple[str, datetime | None]]:
    """A scan's window value -> (the window's label, its start): periods for a time
    column, labelled blocks of rows, batch values; the whole table without any."""
    from core.monitoring.windows import row_label

    if row_window:
        return lambda w: ((ALL, None) if window_key(w) is None  # an empty table
                          else (row_label(int(w), int(row_window), n_rows), None))
    if batch_column:
        return lambda w: ((NO_BATCH, None) if window_key(w) is None else (str(w), None))
    return lambda w: _window_label(w, bool(time_column))


def _spec_for(
    store: Database, dataset_id: int, schema: list[tuple[str, str]], skip: set[str]
) -> dict[str, Any]:
    """The grid of a reference: numeric ranges and sample quantiles; categories come later."""
    spec: dict[str, Any] = {}
    numeric = [c for c, t in schema if c not in skip and profile_kind(t) == "numeric"]
    ranges, sample = profile_scan_db.profile_ranges(store, dataset_id, numeric, SAMPLE_ROWS)
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
        spec[col] = numeric_grid(dtype, float(lo), float(hi), sample[f"v{i}"])
    for col, dtype in schema:
        if col in skip or col in spec:
            continue
        if profile_kind(dtype) == "categorical":
            spec[col] = categorical_spec(dtype)
        else:
            spec[col] = {
                "kind": "skipped",
                "data_type": dtype,
                "note": f"type {dtype} is not profiled (numeric and categorical are)",
            }
    return spec


def _notes_against(spec: dict[str, Any], schema: list[tuple[str, str]], skip: set[str]
                   ) -> dict[str, str]:
    """Why a column is not compared with the reference: missing, retyped or new."""
    types = dict(schema)
    notes: dict[str, str] = {}
    for col, s in spec.items():
        if col not in types:
            notes[col] = "missing from this dataset"
        elif (
            s["kind"] == "numeric"
            and profile_kind(types[col]) != "numeric"
            or types[col] != s["data_type"]
        ):
            notes[col] = f"type changed from {s['data_type']} to {types[col]}"
    for col in types:
        if col not in spec and col not in skip:
            notes[col] = "not in the reference"
    return notes


def _plan(spec: dict[str, Any], schema: list[tuple[str, str]], notes: dict[str, str]) -> _Plan:
    """Bin the spec's numeric columns that are still numeric here; count the categorical
    and empty ones present here (columns the reference lacks are noted, not scanned)."""
    types = dict(schema)
    numeric = [
        c
        for c, s in spec.items()
        if s["kind"] == "numeric" and c in types and profile_kind(types[c]) == "numeric"
    ]
    counted = [c for c, s in spec.items() if s["kind"] in ("categorical", "empty") and c in types]
    return _Plan(spec, types, numeric, counted, notes)


def _scan(store: Database, dataset_id: int, plan: _Plan, **scan_args: Any) -> ProfileScan:
    """The profile pass; again with NaN and +-inf read as missing if the first met any."""
    num_specs = [{"column": c, **plan.spec[c]} for c in plan.numeric]
    scan = profile_scan_db.profile_scan(store, dataset_id, num_specs, plan.counted, **scan_args)
    if _non_finite(scan.moments, len(num_specs)):
        scan = profile_scan_db.profile_scan(
            store, dataset_id, num_specs, plan.counted, safe=True, **scan_args
        )
    return scan


def _non_finite(mom: pd.DataFrame, n_numeric: int) -> bool:
    """Whether a column met NaN or +-inf: a sum or extreme that is not finite where the
    column counted values (a NULL sum of a window without values is no sign; NaN is, and
    the frame shows both as NaN, so the count tells them apart)."""
    for i in range(n_numeric):
        counted = mom[f"n{i}"].to_numpy(dtype=float, na_value=0.0) > 0
        for name in (f"s{i}", f"q{i}", f"mn{i}", f"mx{i}"):
            if name in mom and not np.isfinite(
                    mom[name].to_numpy(dtype=float, na_value=np.nan)[counted]).all():
                return True
    return False


def _count_categories(plan: _Plan, cats: pd.DataFrame) -> None:
    """A reference's categories: its most frequent (ties by name), at most MAX_CATEGORIES."""
    for j, col in enumerate(plan.counted):
        if plan.spec[col]["kind"] != "categorical":
            continue
        sub = cats[cats["c"] == j].groupby("k")["n"].sum()
        order = sorted(sub.index, key=lambda k: (-int(sub[k]), k))
        plan.spec[col]["categories"] = order[:MAX_CATEGORIES]
        plan.spec[col]["complete"] = len(order) <= MAX_CATEGORIES
        plan.spec[col]["n_distinct"] = len(order)


# ----------------------------------------------------------------- scan -> column profiles
def _window_label(w: Any, windowed: bool) -> tuple[str, datetime | None]:
    if w is None or (isinstance(w, float) and math.isnan(w)) or pd.isna(w):
        return (NO_TIMESTAMP if windowed else ALL), None
    ts = pd.Timestamp(w).to_pydatetime()
    fmt = "%Y-%m-%d" if ts.time() == datetime.min.time() else "%Y-%m-%d %H:%M"
    return ts.strftime(fmt), ts


def _by_window(frame: pd.DataFrame) -> dict[Any, pd.DataFrame]:
    if not len(frame):
        return {}
    return {window_key(w): g for w, g in frame.groupby("w", dropna=False)}


def _columns_from_scan(plan: _Plan, scan: ProfileScan,
                      label: Callable[[Any], tuple[str, datetime | None]]
                      ) -> list[ColumnProfile]:
    """One ColumnProfile per window and column: binned, counted, then noted columns."""
    mom = scan.moments
    if mom.empty:  # an empty table: one empty window
        mom = pd.DataFrame({"w": [None], "n_rows": [0]})
    bins_by_w, cats_by_w = _by_window(scan.bins), _by_window(scan.categories)
    out: list[ColumnProfile] = []
    for row in mom.to_dict("records"):
        name, start = label(row["w"])
        at = {"window": name, "window_start": start, "n": int(row["n_rows"])}
        key = window_key(row["w"])
        out += _numeric_columns(plan, row, bins_by_w.get(key, scan.bins.iloc[:0]), at)
        out += _counted_columns(plan, row, cats_by_w.get(key, scan.categories.iloc[:0]), at)
        out += _noted_columns(plan, at)
    return out


def _numeric_columns(plan: _Plan, row: dict[str, Any], bins: pd.DataFrame, at: dict[str, Any]
                     ) -> list[ColumnProfile]:
    by_column = {int(c): g for c, g in bins.groupby("c")} if len(bins) else {}
    out = []
    for i, col in enumerate(plan.numeric):
        valid = int(row.get(f"n{i}", 0) or 0)
        b = by_column.get(i, bins.iloc[:0]).sort_values("k")
        out.append(
            ColumnProfile(
                column=col,
                kind="numeric",
                data_type=plan.types[col],
                **at,
                nulls=at["n"] - valid,
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
                note=plan.notes.get(col, ""),
            )
        )
    return out


def _counted_columns(plan: _Plan, row: dict[str, Any], cats: pd.DataFrame, at: dict[str, Any]
                     ) -> list[ColumnProfile]:
    out = []
    for j, col in enumerate(plan.counted):
        valid = int(row.get(f"cn{j}", 0) or 0)
        sub = cats[cats["c"] == j]
        s = plan.spec[col]
        counts = dict(zip(sub["k"].astype(str), sub["n"].astype(int), strict=True))
        kept, other = _cap_categories(counts, s) if s["kind"] == "categorical" else ({}, 0)
        order = sorted(kept, key=lambda k: (-kept[k], k))
        out.append(
            ColumnProfile(
                column=col,
                kind=s["kind"] if s["kind"] in ("categorical", "empty") else "skipped",
                data_type=plan.types[col],
                **at,
                nulls=at["n"] - valid,
                categories=tuple(order),
                category_counts=tuple(int(kept[k]) for k in order),
                other=int(other),
                note=plan.notes.get(col, str(s.get("note", ""))),
            )
        )
    return out


def _noted_columns(plan: _Plan, at: dict[str, Any]) -> list[ColumnProfile]:
    """Columns missing here, retyped, or not in the reference: listed with their note."""
    out = []
    for col in sorted(set(plan.notes) - set(plan.numeric) - set(plan.counted)):
        s = plan.spec.get(col, {})
        data_type = plan.types[col] if col in plan.types else str(s.get("data_type", ""))
        out.append(
            ColumnProfile(column=col, kind="skipped", data_type=data_type, **at, nulls=0,
                          note=plan.notes[col])
        )
    return out


def _ints(values: Any) -> tuple[int, ...]:
    """Python ints from a list, array or Series (``tolist`` converts in C: 16k bins x 40)."""
    return tuple(np.asarray(values, dtype=np.int64).tolist())


def _f(v: Any) -> float:
    return 0.0 if v is None or pd.isna(v) else float(v)


def _opt(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


# ------------------------------------------------------------------ storing and reading
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
    head = monitoring_db.get_profile(store, profile_id)
    columns = [_stored_column(r) for r in
               monitoring_db.profile_columns(store, profile_id).itertuples(index=False)]
    return Profile(
        id=head.id,
        dataset_id=head.dataset_id,
        content_hash=head.content_hash,
        reference_profile_id=head.reference_profile_id,
        time_column=head.time_column,
        window_size=head.window_size,
        n_rows=int(head.n_rows),
        spec=head.spec,
        columns=tuple(sorted(columns, key=_window_order)),
    )


def _stored_column(r: Any) -> ColumnProfile:
    """A ColumnProfile from one stored ``profile_columns`` row."""
    start = None if pd.isna(r.window_start) else pd.Timestamp(r.window_start).to_pydatetime()
    return ColumnProfile(
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


def _seq(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    return v
