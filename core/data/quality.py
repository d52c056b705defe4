"""Data quality: one stored report per dataset version, computed set-based in DuckDB.

DESIGN
------
* The report is built from a handful of scans (``core.db.scans.column_profile`` does every
  per-column statistic in one pass; value counts, histograms, null bands and duplicates
  one query each) and stored as JSON keyed by the dataset's content hash and a key of
  the parameters that change it (column types, stated ranges, rounding, the splits).
  Pages read it back; it is rebuilt only when one of those changes.
* Inconsistent spellings are found on the distinct values only (never the rows): values
  whose normalised key (case, accents, punctuation, whitespace) is equal, or whose keys
  are near-equal by similarity or are initials of one another ("NY" / "New York"), form a
  group; the proposed mapping sends every variant to the group's most frequent spelling.
  Accepting it creates a new dataset version; the original is kept.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from core.data import datasets
from core.db import data as data_db
from core.db import datasets as datasets_db
from core.db import scans as scans_db
from core.db import splits as splits_db
from core.db.database import Database
from core.errors import StoreError

Progress = Callable[[float, str], None]
REPORT_VERSION = 1
TOP_VALUES = 20  # kept per column for the charts
SPELLING_MAX_DISTINCT = 1000  # value counts fetched per text column for spelling groups
NEAR_CONSTANT_SHARE = 0.99
SIMILARITY = 0.88


def _no_progress(fraction: float, message: str) -> None:
    pass


@dataclass(frozen=True)
class Issue:
    severity: str  # "error", "warning", "info"
    kind: str
    column: str | None
    count: int | None
    message: str


@dataclass(frozen=True)
class SpellingGroup:
    column: str
    canonical: str
    variants: list[tuple[str, int]]  # (value, rows), most frequent first
    reason: str


@dataclass(frozen=True)
class QualityReport:
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


# ------------------------------------------------------------------ spelling groups
def normalize_key(value: str) -> str:
    """Case, accents, punctuation and whitespace removed: the key spellings are grouped by.

    >>> normalize_key("  New-York. "), normalize_key("São  Paulo")
    ('new york', 'sao paulo')
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def _initials(key: str) -> str:
    words = key.split()
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def _similar(a: str, b: str, threshold: float) -> bool:
    if min(len(a), len(b)) < 4 or re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return False
    m = difflib.SequenceMatcher(None, a, b)
    return (
        m.real_quick_ratio() >= threshold
        and m.quick_ratio() >= threshold
        and m.ratio() >= threshold
    )


class _Partition:
    """Union-find over keys, remembering why groups were joined."""

    def __init__(self, keys: list[str]) -> None:
        self.parent = {k: k for k in keys}
        self.reasons: dict[str, set[str]] = {}

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: str, b: str, why: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.reasons.setdefault(ra, set()).update(self.reasons.pop(rb, set()))
        self.reasons.setdefault(ra, set()).add(why)


def find_spelling_groups(
    counts: dict[str, list[tuple[str, int]]],
    threshold: float = SIMILARITY,
    max_similarity_keys: int = 400,
) -> list[SpellingGroup]:
    """Groups of values that are probably one category spelled differently.

    ``counts`` maps a column to its (value, rows). Values join a group when their
    normalised keys are equal, when one key is the initials of another ("ny" / "new york"),
    or when the keys are similar (difflib ratio >= ``threshold``, both at least 4
    characters, the same numbers) — the last only for columns with at most
    ``max_similarity_keys`` distinct keys.

    Examples
    --------
    >>> g = find_spelling_groups({"city": [("NY", 50), ("New York", 40), ("ny ", 10),
    ...                                    ("Boston", 30), ("boston", 2)]})
    >>> [(x.canonical, [v for v, _ in x.variants]) for x in g]
    [('NY', ['NY', 'New York', 'ny ']), ('Boston', ['Boston', 'boston'])]
    """
    groups: list[SpellingGroup] = []
    for column, values in counts.items():
        by_key: dict[str, list[tuple[str, int]]] = {}
        for value, n in values:
            key = normalize_key(value)
            if key:
                by_key.setdefault(key, []).append((str(value), int(n)))
        keys = list(by_key)
        groups_of = _Partition(keys)
        initials = {_initials(k): k for k in keys if _initials(k)}
        for k in keys:
            short = k.replace(" ", "")
            if short in initials and initials[short] != k:
                groups_of.union(initials[short], k, "initials")
        if len(keys) <= max_similarity_keys:
            for i, a in enumerate(keys):
                for b in keys[i + 1 :]:
                    if abs(len(a) - len(b)) <= max(2, len(a) // 4) and _similar(a, b, threshold):
                        groups_of.union(a, b, "similar spelling")
        members: dict[str, list[tuple[str, int]]] = {}
        for k in keys:
            members.setdefault(groups_of.find(k), []).extend(by_key[k])
        for root, variants in members.items():
            if len(variants) < 2:
                continue
            variants = sorted(variants, key=lambda v: (-v[1], v[0]))
            why = {"same letters ignoring case, accents, punctuation and spaces"}
            why |= groups_of.reasons.get(root, set())
            groups.append(SpellingGroup(column, variants[0][0], variants, "; ".join(sorted(why))))
    return sorted(groups, key=lambda g: (g.column, -sum(n for _, n in g.variants)))


def mapping_frame(groups: list[SpellingGroup]) -> pd.DataFrame:
    """The proposed mapping as an editable table: column, value, rows, becomes, apply."""
    rows = [
        {
            "column": g.column,
            "value": v,
            "rows": n,
            "becomes": g.canonical,
            "apply": True,
        }
        for g in groups
        for v, n in g.variants
        if v != g.canonical
    ]
    return pd.DataFrame(rows, columns=["column", "value", "rows", "becomes", "apply"])


def mapping_from_frame(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    """{column: {value: new value}} from the edited table (rows with apply ticked)."""
    out: dict[str, dict[str, str]] = {}
    for r in frame.to_dict("records"):
        if r.get("apply") and r["value"] != r["becomes"] and str(r["becomes"]).strip():
            out.setdefault(r["column"], {})[r["value"]] = str(r["becomes"])
    return out


def standardize(
    store: Database,
    dataset_id: int,
    mapping: dict[str, dict[str, str]],
    *,
    name: str,
    actor: str,
) -> int:
    """A new dataset version with the mapping applied; the original is kept.

    Raises StoreError when the mapping is empty.
    """
    mapping = {c: m for c, m in mapping.items() if m}
    if not mapping:
        raise StoreError("No value is selected to change: tick 'apply' for at least one row.")
    note = "Standardized spellings: " + "; ".join(
        f"{c}: "
        + ", ".join(f"{a!r}->{b!r}" for a, b in list(m.items())[:5])
        + (" ..." if len(m) > 5 else "")
        for c, m in mapping.items()
    )
    return datasets_db.derive_dataset(store, dataset_id, name, mapping, actor=actor, note=note[:500])


# ------------------------------------------------------------------ the report
def _params(
    store: Database, dataset_id: int, types: list[datasets.ColumnType], decimals: int
) -> tuple[dict[str, Any], str]:
    params = {
        "version": REPORT_VERSION,
        "types": {t.column: t.type for t in types},
        "ranges": {
            t.column: [t.range_low, t.range_high]
            for t in types
            if t.range_low is not None or t.range_high is not None
        },
        "decimals": decimals,
        "splits": [
            s.id for s in splits_db.list_splits(store, datasets_db.get_dataset(store, dataset_id).project_id, dataset_id)
        ],
    }
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return params, key


def get_report(store: Database, dataset_id: int, decimals: int = 2) -> QualityReport | None:
    """The stored report for the dataset's current version and settings, if any."""
    types = datasets.column_types(store, dataset_id)
    _, key = _params(store, dataset_id, types, decimals)
    row = data_db.get_quality_report(store, dataset_id, key)
    return QualityReport.from_json(row["report"]) if row else None


def latest_report(store: Database, dataset_id: int) -> QualityReport | None:
    """The newest stored report of this dataset version, whatever its settings."""
    row = data_db.get_quality_report(store, dataset_id)
    return QualityReport.from_json(row["report"]) if row else None


def ensure_report(
    store: Database,
    dataset_id: int,
    actor: str,
    *,
    decimals: int = 2,
    progress: Progress = _no_progress,
) -> QualityReport:
    """The stored report, or a new one built and stored."""
    return get_report(store, dataset_id, decimals) or build_report(
        store, dataset_id, actor, decimals=decimals, progress=progress
    )


def _histogram_spec(c: dict[str, Any], bins: int = 30) -> tuple[float, float, int] | None:
    lo, hi = c.get("min_num"), c.get("max_num")
    if lo is None or hi is None or not (hi > lo):
        return None
    if c["kind"] == "integer" and hi - lo < 40:
        return float(lo) - 0.5, 1.0, int(hi - lo) + 1
    return float(lo), (float(hi) - float(lo)) / bins * (1 + 1e-9), bins


def build_report(
    store: Database,
    dataset_id: int,
    actor: str,
    *,
    decimals: int = 2,
    exact_distinct_max_rows: int = 200_000,
    progress: Progress = _no_progress,
) -> QualityReport:
    """Compute every quality check of a dataset in DuckDB and store the report."""
    t0 = time.perf_counter()
    ds = datasets_db.get_dataset(store, dataset_id)
    if ds is None:
        raise StoreError("That dataset does not exist (any more).")
    progress(0.05, "Profiling every column (one pass)")
    stored = data_db.list_column_types(store, dataset_id)
    ranges = {
        r["column_name"]: (
            datasets._none(r["range_low"]),
            datasets._none(r["range_high"]),
        )
        for r in stored.to_dict("records")
    }
    profile = scans_db.column_profile(
        store, dataset_id, ranges, exact_distinct=ds.n_rows <= exact_distinct_max_rows
    )
    types = datasets.column_types(store, dataset_id, actor, profile=profile)
    params, key = _params(store, dataset_id, types, decimals)
    by_col = {t.column: t for t in types}
    columns = []
    for p in profile.to_dict("records"):
        t = by_col[p["column"]]
        columns.append(
            {
                **{k: _clean(v) for k, v in p.items()},
                "type": t.type,
                "detected": t.detected,
                "rule": t.rule,
                "range_low": t.range_low,
                "range_high": t.range_high,
            }
        )

    progress(0.35, "Counting values and binning numbers")
    n = ds.n_rows
    count_cols = [
        c["column"]
        for c in columns
        if c["kind"] in ("string", "boolean")
        and (c["distinct"] or 0) <= SPELLING_MAX_DISTINCT
        or c["kind"] in ("integer", "float")
        and (c["distinct"] or 0) <= max(50, 0.01 * n + 1)
        or c["kind"] == "string"
        and c["type"] in ("categorical", "target", "boolean")
    ]
    vc = scans_db.value_counts(store, dataset_id, count_cols, top=SPELLING_MAX_DISTINCT)
    all_counts = {
        col: list(zip(g["value"], g["n"].astype(int), strict=True))
        for col, g in vc.groupby("column")
    }
    top_values = {
        c: [(str(v), int(k)) for v, k in vals[:TOP_VALUES]] for c, vals in all_counts.items()
    }
    specs = []
    for c in columns:
        if c["kind"] in ("integer", "float", "datetime"):
            spec = _histogram_spec(c)
            if spec:
                specs.append((c["column"], *spec, c["kind"] == "datetime"))
    counts = scans_db.histograms(store, dataset_id, specs)
    histograms = {
        col: {"low": lo, "width": w, "bins": b, "datetime": dt, "counts": counts[col]}
        for col, lo, w, b, dt in specs
    }

    progress(0.55, "Finding missing values by row range")
    bands = scans_db.null_bands(store, dataset_id, bands=40)
    null_bands = {
        k: bands[k].tolist() for k in ("band", "first_row", "last_row", "rows", "column", "nulls")
    }

    progress(0.65, "Looking for exact and near-duplicate rows")
    keys = [t.column for t in types if t.type != "identifier"]
    dup = scans_db.duplicate_summary(store, dataset_id, keys, decimals=decimals)
    if dup["distinct_key"] is not None:
        dup["exact_rows"] = dup["n"] - dup["distinct_key"]
        dup["near_rows"] = dup["distinct_key"] - dup["distinct_norm"]
        dup["exact_rows_all_columns"] = dup["n"] - dup["distinct_all"]
    dup["compared_columns"] = keys

    progress(0.8, "Checking splits for rows shared by train and test")
    typed_targets = {t.column for t in types if t.type == "target"}
    leakage = []
    for split_id in params["splits"]:
        split = splits_db.get_split(store, split_id)
        # inputs only: the column typed target and the split's own target (a split may be
        # stratified by a column the type detection did not call a target)
        outputs = typed_targets | ({split.target} if split.target else set())
        found = splits_db.split_leakage(store, split_id, [c for c in keys if c not in outputs])
        for part in ("dev", "test"):
            leakage.append(
                {
                    "split_id": split_id,
                    "split": split.name,
                    "part": part,
                    "rows": found.get(part, 0),
                    "of": split.n_dev if part == "dev" else split.n_test,
                }
            )

    progress(0.9, "Grouping inconsistent spellings")
    text_counts = {
        c["column"]: all_counts.get(c["column"], [])
        for c in columns
        if c["kind"] == "string" and c["type"] in ("categorical", "target", "boolean")
    }
    spelling = find_spelling_groups(text_counts)

    report = QualityReport(
        dataset_id=dataset_id,
        content_hash=ds.content_hash,
        params_key=key,
        n_rows=n,
        n_cols=ds.n_cols,
        columns=columns,
        issues=[],
        duplicates=dup,
        leakage=leakage,
        spelling=spelling,
        top_values=top_values,
        histograms=histograms,
        null_bands=null_bands,
        params=params,
    )
    issues = find_issues(report, all_counts)
    seconds = time.perf_counter() - t0
    report = QualityReport(**{**report.__dict__, "issues": issues, "seconds": seconds})
    data_db.insert_quality_report(store, dataset_id, key, report.to_json(), seconds, actor)
    progress(1.0, f"Quality report ready ({seconds:.1f} s)")
    return report


def _clean(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _fmt(n: int) -> str:
    return f"{n:,}"


def find_issues(report: QualityReport, counts: dict[str, list[tuple[str, int]]]) -> list[Issue]:
    """Every finding of the report as a flat list, most severe first within each column."""
    out: list[Issue] = []
    n = report.n_rows
    if report.n_cols == 1:
        out.append(
            Issue(
                "warning",
                "single_column",
                None,
                1,
                "The dataset has a single column: a model needs inputs and a target.",
            )
        )
    for c in report.columns:
        col, nn = c["column"], int(c.get("nn") or 0)
        missing = n - nn
        if n and nn == 0:
            out.append(
                Issue(
                    "error",
                    "all_null",
                    col,
                    n,
                    "Every value is missing: drop the column or check the export.",
                )
            )
            continue
        if missing:
            sev = "warning" if missing / n >= 0.05 else "info"
            out.append(
                Issue(
                    sev,
                    "nulls",
                    col,
                    missing,
                    f"{missing / n:.1%} missing ({_fmt(missing)} rows).",
                )
            )
        distinct = int(c.get("distinct") or 0)
        if c["type"] == "target":
            if distinct == 1:
                out.append(
                    Issue(
                        "error",
                        "one_class",
                        col,
                        nn,
                        f"The target has one class "
                        f"only ({c.get('min')!r}): there is nothing to learn. Add rows "
                        "of the other outcome(s) or pick another target.",
                    )
                )
        elif distinct == 1 and c["kind"] != "list":
            out.append(
                Issue(
                    "warning",
                    "constant",
                    col,
                    nn,
                    f"A single value ({c.get('min')!r}) "
                    "in every non-missing row: it carries no information.",
                )
            )
        elif col in counts and counts[col] and nn:
            value, top = counts[col][0]
            if top / nn >= NEAR_CONSTANT_SHARE:
                out.append(
                    Issue(
                        "info",
                        "near_constant",
                        col,
                        top,
                        f"{value!r} in {top / nn:.1%} of the rows: nearly constant.",
                    )
                )
        if c["type"] == "identifier":
            out.append(
                Issue(
                    "info",
                    "identifier",
                    col,
                    distinct,
                    f"Identifier-like ({c['rule']}): keep it out of the model's inputs.",
                )
            )
        non_finite = sum(int(c.get(k) or 0) for k in ("n_nan", "n_posinf", "n_neginf"))
        if non_finite:
            parts = [
                f"{int(c.get(k) or 0):,} {label}"
                for k, label in (
                    ("n_nan", "NaN"),
                    ("n_posinf", "+inf"),
                    ("n_neginf", "-inf"),
                )
                if c.get(k)
            ]
            out.append(
                Issue(
                    "warning",
                    "non_finite",
                    col,
                    non_finite,
                    f"{', '.join(parts)}: most models reject them; impute or drop these rows.",
                )
            )
        below, above = int(c.get("n_below") or 0), int(c.get("n_above") or 0)
        if below or above:
            out.append(
                Issue(
                    "warning",
                    "out_of_range",
                    col,
                    below + above,
                    f"{below:,} below {c['range_low']} and {above:,} above "
                    f"{c['range_high']} (the stated range).",
                )
            )
        if c["kind"] == "string":
            blank = int(c.get("n_blank") or 0)
            if blank:
                out.append(
                    Issue(
                        "warning",
                        "blank",
                        col,
                        blank,
                        f"{blank:,} values are empty "
                        "or only spaces: they are probably missing values.",
                    )
                )
            numeric_like = int(c.get("n_numeric_like") or 0)
            filled = nn - blank
            if 0 < numeric_like < filled and c["type"] not in ("text", "identifier"):
                out.append(
                    Issue(
                        "warning",
                        "mixed_types",
                        col,
                        filled - numeric_like,
                        f"Mixed types: {numeric_like / filled:.0%} numbers and "
                        f"{1 - numeric_like / filled:.0%} text (e.g. "
                        f"{c.get('example_number')!r} and {c.get('example_text')!r}).",
                    )
                )
            padded = int(c.get("n_padded") or 0)
            if padded:
                out.append(
                    Issue(
                        "info",
                        "padded",
                        col,
                        padded,
                        f"{padded:,} values have leading or trailing spaces.",
                    )
                )
    d = report.duplicates
    if d.get("exact_rows"):
        ignoring = (
            ", ignoring identifier columns" if len(d["compared_columns"]) < report.n_cols else ""
        )
        out.append(
            Issue(
                "warning",
                "exact_duplicates",
                None,
                d["exact_rows"],
                f"{d['exact_rows']:,} rows repeat an earlier row exactly{ignoring}.",
            )
        )
    if d.get("near_rows"):
        out.append(
            Issue(
                "warning",
                "near_duplicates",
                None,
                d["near_rows"],
                f"{d['near_rows']:,} more rows repeat another once case, spaces and "
                f"rounding to {report.params.get('decimals', 2)} decimals are ignored.",
            )
        )
    for leak in report.leakage:
        if leak["rows"]:
            out.append(
                Issue(
                    "error",
                    "leakage",
                    None,
                    leak["rows"],
                    f"Split {leak['split']!r}: {leak['rows']:,} of {leak['of']:,} "
                    f"{leak['part']} rows equal a train row in every input column.",
                )
            )
    for g in report.spelling:
        shown = ", ".join(repr(v) for v, _ in g.variants[:5])
        out.append(
            Issue(
                "warning",
                "spelling",
                g.column,
                sum(k for _, k in g.variants[1:]),
                f"{len(g.variants)} spellings of one value: {shown} -> {g.canonical!r}.",
            )
        )
    return out
