"""Data quality: one stored report per dataset version, computed set-based in DuckDB.

DESIGN
------
* The report is built from a handful of scans (``core.db.scans.column_profile`` does every
  per-column statistic in one pass; value counts, histograms, null bands and duplicates
  one query each) and stored as JSON keyed by the dataset's content hash and a key of
  the parameters that change it (column types, stated ranges, rounding, the splits).
  Pages read it back; it is rebuilt only when one of those changes.
* The findings come from the checks of ``core.data.quality_checks``; inconsistent
  spellings are grouped by ``core.data.spelling`` on the distinct values only.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from core.data.columns import ColumnType, column_types
from core.data.detect import distinct_of
from core.data.profile import EXACT_MAX_ROWS, SHAPE_SAMPLE, approximation_notes
from core.data.quality_checks import Issue, find_issues
from core.data.spelling import SpellingGroup, find_spelling_groups
from core.data.stored_profile import column_profile
from core.db import data as data_db
from core.db import datasets as datasets_db
from core.db import scans as scans_db
from core.db import splits as splits_db
from core.db import types as types_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.progress import Progress, no_progress

REPORT_VERSION = 1
TOP_VALUES = 20  # kept per column for the charts
SPELLING_MAX_DISTINCT = 1000  # value counts fetched per text column for spelling groups
SPELLING_TYPES = ("categorical", "target", "boolean")  # text columns checked for spellings
MODE_SAMPLE_SHARE = 0.9  # a big numeric column's sampled mode this common is counted
NEAR_SAMPLE_SPREAD = 100  # value combinations per near-duplicate sample bucket, at least
NEAR_SAMPLE_MAX_COLUMNS = 3  # columns hashed to draw the near-duplicate sample, at most


@dataclass(frozen=True)
class QualityReport:
    """Every quality finding and statistic of one dataset version, stored as JSON."""

    dataset_id: int
    content_hash: str
    params_key: str
    n_rows: int
    n_cols: int
    columns: list[dict[str, Any]]  # profile + type + rule per column
    issues: list[Issue]
    duplicates: dict[str, Any]
    leakage: list[dict[str, Any]]
    spelling: list[SpellingGroup]
    top_values: dict[str, list[tuple[str, int]]]
    histograms: dict[str, dict[str, Any]]
    null_bands: dict[str, list]
    params: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> QualityReport:
        d = json.loads(text)
        d["issues"] = [Issue(**i) for i in d["issues"]]
        d["spelling"] = [
            SpellingGroup(
                g["column"],
                g["canonical"],
                [tuple(v) for v in g["variants"]],
                g["reason"],
            )
            for g in d["spelling"]
        ]
        d["top_values"] = {k: [tuple(v) for v in vs] for k, vs in d["top_values"].items()}
        return cls(**d)

    def issues_frame(self) -> pd.DataFrame:
        order = {"error": 0, "warning": 1, "info": 2}
        frame = pd.DataFrame(
            [asdict(i) for i in self.issues],
            columns=["severity", "kind", "column", "count", "message"],
        )
        return frame.sort_values(
            "severity", key=lambda s: s.map(order), kind="stable", ignore_index=True
        )

    def columns_frame(self) -> pd.DataFrame:
        """Per column: type, missing share, distinct values, range, mean and std."""
        rows = []
        for c in self.columns:
            nn, n = c.get("nn") or 0, c.get("n") or 0
            rows.append(
                {
                    "column": c["column"],
                    "type": c["type"],
                    "stored as": c["dtype"],
                    "missing": (n - nn) / n if n else 0.0,
                    "distinct": c.get("distinct"),
                    "min": c.get("min"),
                    "max": c.get("max"),
                    "mean": c.get("mean"),
                    "std": c.get("std"),
                }
            )
        return pd.DataFrame(rows)

    def notes(self) -> list[str]:
        """What in the report is approximate, in sentences (empty when all is exact)."""
        notes = approximation_notes(self.columns)
        k = int(self.duplicates.get("near_sample") or 1)
        if k > 1:
            cols = self.duplicates.get("near_sample_columns") or []
            hashed = f"rounded values of {', '.join(cols)}" if cols else "rounded numbers"
            notes.append(
                f"Near-duplicate rows are estimated: counted on the rows whose hash of the "
                f"{hashed} falls in 1 of {k} buckets (a group of near duplicates shares those "
                f"values, so it is never split), times {k}. Exact duplicates are counted on "
                "every row."
            )
        return notes

    def column(self, name: str) -> dict[str, Any]:
        return next(c for c in self.columns if c["column"] == name)

    def counts(self) -> dict[str, int]:
        """Headline numbers: issues by severity, duplicate rows, missing cells."""
        sev = pd.Series([i.severity for i in self.issues], dtype=object).value_counts()
        missing = sum((c.get("n") or 0) - (c.get("nn") or 0) for c in self.columns)
        return {
            "errors": int(sev.get("error", 0)),
            "warnings": int(sev.get("warning", 0)),
            "exact_duplicates": int(self.duplicates.get("exact_rows") or 0),
            "near_duplicates": int(self.duplicates.get("near_rows") or 0),
            "missing_cells": int(missing),
        }


# ------------------------------------------------------------------ stored reports
def _params(
    store: Database, ds: DatasetRow, types: list[ColumnType], decimals: int
) -> tuple[dict[str, Any], str]:
    """What the report depends on besides the data, and its key."""
    params = {
        "version": REPORT_VERSION,
        "types": {t.column: t.type for t in types},
        "ranges": {
            t.column: [t.range_low, t.range_high]
            for t in types
            if t.range_low is not None or t.range_high is not None
        },
        "decimals": decimals,
        "splits": [s.id for s in splits_db.list_splits(store, ds.project_id, ds.id)],
    }
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return params, key


def get_report(store: Database, dataset_id: int, decimals: int = 2) -> QualityReport | None:
    """The stored report for the dataset's current version and settings, if any."""
    ds = datasets_db.require_dataset(store, dataset_id)
    _, key = _params(store, ds, column_types(store, dataset_id), decimals)
    row = data_db.get_quality_report(store, dataset_id, key)
    return QualityReport.from_json(row.report) if row else None


# ------------------------------------------------------------------ building a report
def build_report(
    store: Database,
    dataset_id: int,
    actor: str,
    *,
    decimals: int = 2,
    exact_distinct_max_rows: int = EXACT_MAX_ROWS,
    progress: Progress = no_progress,
) -> QualityReport:
    """Compute every quality check of a dataset in DuckDB and store the report."""
    t0 = time.perf_counter()
    ds = datasets_db.require_dataset(store, dataset_id)
    progress(0.05, "Profiling every column (one pass)")
    types, columns = _profile(store, ds, actor, exact_distinct_max_rows)
    params, key = _params(store, ds, types, decimals)
    progress(0.35, "Counting values and binning numbers")
    all_counts = _value_counts(store, ds, columns)
    histograms = _histograms(store, ds.id, columns)
    progress(0.55, "Finding missing values by row range")
    bands = scans_db.null_bands(store, ds.id, bands=40)
    progress(0.65, "Looking for exact and near-duplicate rows")
    keys = [t.column for t in types if t.type != "identifier"]
    sampled = near_sample_columns(columns, keys, ds.n_rows, decimals)
    duplicates = _duplicates(store, ds.id, keys, decimals, sampled, _unique(columns, ds.n_rows))
    progress(0.8, "Checking splits for rows shared by train and test")
    targets = {t.column for t in types if t.type == "target"}
    leakage = [row for sid in params["splits"] for row in _leakage(store, sid, keys, targets)]
    progress(0.9, "Grouping inconsistent spellings")
    spelling = find_spelling_groups(
        {
            c["column"]: all_counts.get(c["column"], [])
            for c in columns
            if c["kind"] == "string" and c["type"] in SPELLING_TYPES
        }
    )
    report = QualityReport(
        dataset_id=ds.id,
        content_hash=ds.content_hash,
        params_key=key,
        n_rows=ds.n_rows,
        n_cols=ds.n_cols,
        columns=columns,
        issues=[],
        duplicates=duplicates,
        leakage=leakage,
        spelling=spelling,
        top_values={
            c: [(str(v), int(k)) for v, k in vs[:TOP_VALUES]] for c, vs in all_counts.items()
        },
        histograms=histograms,
        null_bands={
            k: bands[k].tolist()
            for k in ("band", "first_row", "last_row", "rows", "column", "nulls")
        },
        params=params,
    )
    issues = find_issues(report, all_counts)
    seconds = time.perf_counter() - t0
    report = replace(report, issues=issues, seconds=seconds)
    data_db.insert_quality_report(store, ds.id, key, report.to_json(), seconds, actor)
    progress(1.0, f"Quality report ready ({seconds:.1f} s)")
    return report


def _profile(
    store: Database, ds: DatasetRow, actor: str, exact_max_rows: int
) -> tuple[list[ColumnType], list[dict[str, Any]]]:
    """The column types (detected on first use) and per column its profile with its type;
    the profile is the one type detection stored while the stated ranges are unchanged."""
    ranges = {
        r.column_name: (r.range_low, r.range_high) for r in data_db.list_column_types(store, ds.id)
    }
    profile = column_profile(store, ds.id, ranges, actor=actor, exact_max_rows=exact_max_rows)
    types = column_types(store, ds.id, actor, profile=profile)
    by_col = {t.column: t for t in types}
    columns = [
        {
            **{k: _clean(v) for k, v in p.items()},
            "type": by_col[p["column"]].type,
            "detected": by_col[p["column"]].detected,
            "rule": by_col[p["column"]].rule,
            "range_low": by_col[p["column"]].range_low,
            "range_high": by_col[p["column"]].range_high,
        }
        for p in profile.to_dict("records")
    ]
    return types, _with_std(store, ds.id, columns)


def _with_std(store: Database, dataset_id: int, columns: list[dict[str, Any]]
              ) -> list[dict[str, Any]]:
    """The sample standard deviation (ddof 1) of the numeric columns whose profile left it
    out (a big table's columns profiled from storage statistics: see
    :func:`core.db.scans.centred_squares`), from squares centred on the exact mean."""
    todo = {
        c["column"]: float(c["mean"])
        for c in columns
        if c["kind"] in types_db.NUMERIC_KINDS and _clean(c.get("std")) is None
        and _clean(c.get("mean")) is not None and int(c.get("nn") or 0) > 1
    }  # fmt: skip
    squares = scans_db.centred_squares(store, dataset_id, todo)
    return [
        {**c, "std": math.sqrt(squares[c["column"]] / (int(c["nn"]) - 1))}
        if c["column"] in squares else c
        for c in columns
    ]  # fmt: skip


def _counted(c: dict[str, Any], n_rows: int) -> bool:
    """Whether a column's values are counted: text with few values (spellings, charts),
    numbers with few values, and every categorical text column."""
    if distinct_of(c) is None:  # not counted (a big table's decimal column): its sampled mode
        return True
    distinct = c["distinct"] or 0
    if c["kind"] in ("string", "boolean") and distinct <= SPELLING_MAX_DISTINCT:
        return True
    if c["kind"] in ("integer", "float") and distinct <= max(50, 0.01 * n_rows + 1):
        return True
    return c["kind"] == "string" and c["type"] in SPELLING_TYPES


def _value_counts(
    store: Database, ds: DatasetRow, columns: list[dict[str, Any]]
) -> dict[str, list[tuple[str, int]]]:
    """(value, rows) per counted column, most frequent first.

    In a table of more than ``EXACT_MAX_ROWS`` rows, a numeric column with more than 50
    values (or a decimal column whose values were not counted) is counted for one reason
    only -- the near-constant check -- so only its
    candidate mode is: the most frequent value of a block sample, counted exactly on
    every row when it holds at least ``MODE_SAMPLE_SHARE`` of the sample (a value in 99%
    of the rows does, unless the sample is far off). Its list then holds that one value.
    """
    counted = [c for c in columns if _counted(c, ds.n_rows)]
    big = ds.n_rows > EXACT_MAX_ROWS
    modes = [
        c["column"] for c in counted
        if big and c["kind"] in ("integer", "float")
        and (distinct_of(c) is None or int(c["distinct"]) > 50)
    ]  # fmt: skip
    full = [c["column"] for c in counted if c["column"] not in modes]
    vc = scans_db.value_counts(store, ds.id, full, top=SPELLING_MAX_DISTINCT)
    out = {
        str(col): list(zip(g["value"], g["n"].astype(int), strict=True))
        for col, g in vc.groupby("column")
    }
    candidates = scans_db.top_value_candidates(store, ds.id, modes, SHAPE_SAMPLE)
    likely = {c: v for c, (v, share) in candidates.items() if share >= MODE_SAMPLE_SHARE}
    for col, k in scans_db.count_values(store, ds.id, likely).items():
        out[col] = [(likely[col], k)]
    return out


def _histogram_spec(c: dict[str, Any], bins: int = 30) -> tuple[float, float, int] | None:
    lo, hi = c.get("min_num"), c.get("max_num")
    if lo is None or hi is None or not (hi > lo):
        return None
    if c["kind"] == "integer" and hi - lo < 40:
        return float(lo) - 0.5, 1.0, int(hi - lo) + 1
    return float(lo), (float(hi) - float(lo)) / bins * (1 + 1e-9), bins


def _histograms(
    store: Database, dataset_id: int, columns: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Equal-width bin counts of every numeric and date column with a range."""
    specs = []
    for c in columns:
        if c["kind"] in ("integer", "float", "datetime"):
            spec = _histogram_spec(c)
            if spec:
                specs.append((c["column"], *spec, c["kind"] == "datetime"))
    counts = scans_db.histograms(store, dataset_id, specs)
    return {
        col: {"low": lo, "width": w, "bins": b, "datetime": dt, "counts": counts[col]}
        for col, lo, w, b, dt in specs
    }


def near_sample_columns(
    columns: list[dict[str, Any]], keys: list[str], n_rows: int, decimals: int
) -> list[str]:
    """The key columns whose hash draws a big table's near-duplicate sample (empty: a
    table counted whole, or too few values in any three columns -- then every number,
    date and other non-text key column draws it, as the scan does by default).

    Any subset of the non-text key columns keeps near-duplicate groups whole (their
    members share every rounded value); hashing a few instead of all of them is what
    makes the sample cheap. The columns with the most rounded values (the profile's
    distinct count, at most the values ``decimals`` digits apart in its range) and not
    half missing are taken, most first, until their values combine in at least
    ``NEAR_SAMPLE_SPREAD`` ways per sample bucket: the buckets then hold about as many
    rows each, and the sample about its intended size. Two at least where there are two,
    so that one column's very common value cannot fill a bucket alone.

    >>> cols = [{"column": c, "kind": k, "n": 10**7, "nn": 10**7, "distinct": d,
    ...          "min_num": 0.0, "max_num": 30.0} for c, k, d in
    ...         [("w", "float", 9000), ("q", "integer", 31), ("s", "string", 10**6)]]
    >>> near_sample_columns(cols, ["w", "q", "s"], 10**7, decimals=2)
    ['w', 'q']
    >>> near_sample_columns(cols, ["w", "q", "s"], 10**5, decimals=2)
    []
    >>> near_sample_columns([{**cols[0], "distinct": None}, cols[1]], ["w", "q"], 10**7, 2)
    ['w', 'q']
    """
    buckets = n_rows // scans_db.NEAR_SAMPLE_ROWS
    if buckets <= 1:
        return []
    ranked: list[tuple[float, str]] = []
    for c in columns:
        n, nn = c.get("n") or 0, c.get("nn") or 0
        values = _rounded_values(c, decimals)
        if c["column"] in keys and c["kind"] != "string" and values > 1 and nn * 2 >= n:
            ranked.append((values, c["column"]))
    ranked.sort(key=lambda t: -t[0])
    chosen, ways = [], 1.0
    for values, col in ranked[:NEAR_SAMPLE_MAX_COLUMNS]:
        chosen.append(col)
        ways *= values
        if ways >= NEAR_SAMPLE_SPREAD * buckets and len(chosen) >= min(2, len(ranked)):
            return chosen
    return []


def _unique(columns: list[dict[str, Any]], n_rows: int) -> list[str]:
    """Columns whose exact distinct count says every row holds a different value."""
    return [
        c["column"]
        for c in columns
        if n_rows > 0
        and c.get("distinct_exact") is not False
        and c.get("nn") == n_rows
        and distinct_of(c) == n_rows
    ]


def _rounded_values(c: dict[str, Any], decimals: int) -> float:
    """A column's distinct values after near-duplicate rounding, about: floats rounded to
    ``decimals`` digits have at most range x 10^decimals + 1 (the bound alone, capped at
    the non-null rows, where a big table's decimal column was not counted); 0 unknown."""
    counted = distinct_of(c)
    d = float(counted) if counted is not None else float(c.get("nn") or 0)
    lo, hi = c.get("min_num"), c.get("max_num")
    if c["kind"] == "float" and lo is not None and hi is not None:
        span = (float(hi) - float(lo)) * 10 ** int(decimals) + 1
        if math.isfinite(span):
            return min(d, span)
    return d if counted is not None else 0.0


def _duplicates(
    store: Database,
    dataset_id: int,
    keys: list[str],
    decimals: int,
    sample_columns: list[str] | None = None,
    unique_columns: list[str] | None = None,
) -> dict[str, Any]:
    """The duplicate summary as the report stores it, with rows counted per kind."""
    s = scans_db.duplicate_summary(
        store, dataset_id, keys, decimals=decimals, sample_columns=sample_columns,
        unique_columns=unique_columns,
    )
    dup: dict[str, Any] = asdict(s)
    if s.distinct_key is not None and s.distinct_norm is not None and s.distinct_all is not None:
        dup["exact_rows"] = s.n - s.distinct_key
        dup["near_rows"] = s.distinct_key - s.distinct_norm
        dup["exact_rows_all_columns"] = s.n - s.distinct_all
    dup["compared_columns"] = keys
    return dup


def _leakage(
    store: Database, split_id: int, keys: list[str], targets: set[str]
) -> list[dict[str, Any]]:
    """Dev and test rows of a split that equal a train row in every input column."""
    split = splits_db.get_split(store, split_id)
    if split is None:
        return []
    # inputs only: the column typed target and the split's own target (a split may be
    # stratified by a column the type detection did not call a target)
    outputs = targets | ({split.target} if split.target else set())
    found = splits_db.split_leakage(store, split_id, [c for c in keys if c not in outputs])
    return [
        {
            "split_id": split_id,
            "split": split.name,
            "part": part,
            "rows": found.get(part, 0),
            "of": split.n_dev if part == "dev" else split.n_test,
        }
        for part in ("dev", "test")
    ]


def _clean(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
