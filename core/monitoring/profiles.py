"""Mergeable column profiles: what a profile holds, and the exact merge of two profiles.

DESIGN
------
A profile holds, per column and time window, what every drift statistic needs, so that
drift is computed from two profiles without rescanning any table:

* all columns: ``n`` (rows), ``nulls`` (NULL, NaN and +-inf count as missing);
* numeric: ``sum``, ``sumsq`` (sum of squared deviations from a fixed centre, which keeps the
  variance exact to rounding when the mean is far from zero), ``min``, ``max``, counts on a
  fixed grid (:mod:`core.monitoring.grid`), and the count and sum of values below / above
  the reference's range;
* categorical: the count per category, unseen categories kept.

A categorical column keeps the reference's :data:`MAX_CATEGORIES` most frequent categories
(ties by name). When the reference has more, the rest are pooled into ``other`` on both
sides (``complete`` is False in the spec). Otherwise a category the reference never had
is kept by name, up to :data:`MAX_CATEGORIES` unseen names chosen by sort order rather than by
count, so that merging stays exact; further unseen names go to ``other``.

Merge law: two profiles on the same grid, of two parts of a table, merge into the profile
of the whole: counts, n, nulls, min and max exactly, sums up to floating-point rounding.

Profiling a table in one set-based pass and storing the result is
:mod:`core.monitoring.profile_store`'s.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from core.errors import StoreError
from core.monitoring.grid import MAX_CATEGORIES

ALL = "all"
NO_TIMESTAMP = "no timestamp"
NO_BATCH = "no batch value"  # rows without a value of the batch column a run windows by


class ProfileError(StoreError):
    """Profiles that cannot be profiled, merged or compared; the message says why."""


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
    """Periods by start; blocks of rows ("rows 1,001–1,500") by their first row; the rest
    by label."""
    first = _ROWS.match(c.window)
    rows = int(first.group(1).replace(",", "")) if first else 0
    return (c.window_start is None, c.window_start or datetime.min, first is None, rows,
            c.window, c.column)


_ROWS = re.compile(r"^rows ([\d,]+)–")


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
