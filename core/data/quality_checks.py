"""The quality checks: one small function per finding, applied to a built report.

A dataset check reads the whole report and returns its findings; a column check reads one
column's profile and returns at most one. ``find_issues`` runs them in table order: the
dataset's shape, then each column (a column with no value at all gets that finding only),
then duplicates, leakage and spellings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.data.detect import distinct_of

if TYPE_CHECKING:
    from core.data.quality import QualityReport

NEAR_CONSTANT_SHARE = 0.99


@dataclass(frozen=True)
class Issue:
    """One finding: how bad, which check, which column (None: the dataset), how many."""

    severity: str  # "error", "warning", "info"
    kind: str
    column: str | None
    count: int | None
    message: str


@dataclass(frozen=True)
class _Column:
    """One column of the report with the counts its checks read."""

    p: dict[str, Any]  # profile + type + rule
    n: int  # rows of the dataset
    top: list[tuple[str, int]]  # most frequent values, if counted

    @property
    def name(self) -> str:
        return self.p["column"]

    @property
    def nn(self) -> int:
        return int(self.p.get("nn") or 0)

    @property
    def distinct(self) -> int:
        """Distinct values; for a column whose distinct values were not counted (a big
        table's decimal column) 1 when its extremes are equal and it has no NaN or
        infinity, else 0 (unknown: more than one)."""
        d = distinct_of(self.p)
        if d is None:
            p = self.p
            finite = not any(int(p.get(k) or 0) for k in ("n_nan", "n_posinf", "n_neginf"))
            one = p.get("min_num") is not None and p.get("min_num") == p.get("max_num")
            return 1 if self.nn and finite and one else 0
        return d

    def count(self, stat: str) -> int:
        return int(self.p.get(stat) or 0)

    @property
    def is_constant(self) -> bool:
        return self.distinct == 1 and self.p["kind"] != "list"

    def issue(self, *, severity: str, kind: str, count: int, message: str) -> Issue:
        return Issue(severity=severity, kind=kind, column=self.name, count=count, message=message)


# ------------------------------------------------------------------ column checks
def _all_null(c: _Column) -> Issue | None:
    if c.n and c.nn == 0:
        return c.issue(
            severity="error",
            kind="all_null",
            count=c.n,
            message="Every value is missing: drop the column or check the export.",
        )
    return None


def _nulls(c: _Column) -> Issue | None:
    missing = c.n - c.nn
    if not missing:
        return None
    return c.issue(
        severity="warning" if missing / c.n >= 0.05 else "info",
        kind="nulls",
        count=missing,
        message=f"{missing / c.n:.1%} missing ({missing:,} rows).",
    )


def _one_class(c: _Column) -> Issue | None:
    if c.p["type"] != "target" or c.distinct != 1:
        return None
    return c.issue(
        severity="error",
        kind="one_class",
        count=c.nn,
        message=f"The target has one class only ({c.p.get('min')!r}): there is nothing to "
        "learn. Add rows of the other outcome(s) or pick another target.",
    )


def _constant(c: _Column) -> Issue | None:
    if c.p["type"] == "target" or not c.is_constant:
        return None
    return c.issue(
        severity="warning",
        kind="constant",
        count=c.nn,
        message=f"A single value ({c.p.get('min')!r}) in every non-missing row: it carries "
        "no information.",
    )


def _near_constant(c: _Column) -> Issue | None:
    if c.p["type"] == "target" or c.is_constant or not c.top or not c.nn:
        return None
    value, top = c.top[0]
    if top / c.nn < NEAR_CONSTANT_SHARE:
        return None
    return c.issue(
        severity="info",
        kind="near_constant",
        count=top,
        message=f"{value!r} in {top / c.nn:.1%} of the rows: nearly constant.",
    )


def _identifier(c: _Column) -> Issue | None:
    if c.p["type"] != "identifier":
        return None
    return c.issue(
        severity="info",
        kind="identifier",
        count=c.distinct,
        message=f"Identifier-like ({c.p['rule']}): keep it out of the model's inputs.",
    )


def _non_finite(c: _Column) -> Issue | None:
    labels = {"n_nan": "NaN", "n_posinf": "+inf", "n_neginf": "-inf"}
    total = sum(c.count(k) for k in labels)
    if not total:
        return None
    parts = [f"{c.count(k):,} {label}" for k, label in labels.items() if c.count(k)]
    return c.issue(
        severity="warning",
        kind="non_finite",
        count=total,
        message=f"{', '.join(parts)}: most models reject them; impute or drop these rows.",
    )


def _out_of_range(c: _Column) -> Issue | None:
    below, above = c.count("n_below"), c.count("n_above")
    if not (below or above):
        return None
    return c.issue(
        severity="warning",
        kind="out_of_range",
        count=below + above,
        message=f"{below:,} below {c.p['range_low']} and {above:,} above "
        f"{c.p['range_high']} (the stated range).",
    )


def _blank(c: _Column) -> Issue | None:
    blank = c.count("n_blank")
    if c.p["kind"] != "string" or not blank:
        return None
    return c.issue(
        severity="warning",
        kind="blank",
        count=blank,
        message=f"{blank:,} values are empty or only spaces: they are probably missing values.",
    )


def _mixed_types(c: _Column) -> Issue | None:
    numeric_like, filled = c.count("n_numeric_like"), c.nn - c.count("n_blank")
    if c.p["kind"] != "string" or c.p["type"] in ("text", "identifier"):
        return None
    if not 0 < numeric_like < filled:
        return None
    return c.issue(
        severity="warning",
        kind="mixed_types",
        count=filled - numeric_like,
        message=f"Mixed types: {numeric_like / filled:.0%} numbers and "
        f"{1 - numeric_like / filled:.0%} text (e.g. {c.p.get('example_number')!r} and "
        f"{c.p.get('example_text')!r}).",
    )


def _padded(c: _Column) -> Issue | None:
    padded = c.count("n_padded")
    if c.p["kind"] != "string" or not padded:
        return None
    return c.issue(
        severity="info",
        kind="padded",
        count=padded,
        message=f"{padded:,} values have leading or trailing spaces.",
    )


COLUMN_CHECKS: tuple[Callable[[_Column], Issue | None], ...] = (
    _nulls,
    _one_class,
    _constant,
    _near_constant,
    _identifier,
    _non_finite,
    _out_of_range,
    _blank,
    _mixed_types,
    _padded,
)


# ------------------------------------------------------------------ dataset checks
def _single_column(report: QualityReport) -> list[Issue]:
    if report.n_cols != 1:
        return []
    return [
        Issue(
            severity="warning",
            kind="single_column",
            column=None,
            count=1,
            message="The dataset has a single column: a model needs inputs and a target.",
        )
    ]


def _exact_duplicates(report: QualityReport) -> list[Issue]:
    d = report.duplicates
    if not d.get("exact_rows"):
        return []
    ignoring = ", ignoring identifier columns" if len(d["compared_columns"]) < report.n_cols else ""
    return [
        Issue(
            severity="warning",
            kind="exact_duplicates",
            column=None,
            count=d["exact_rows"],
            message=f"{d['exact_rows']:,} rows repeat an earlier row exactly{ignoring}.",
        )
    ]


def _near_duplicates(report: QualityReport) -> list[Issue]:
    d = report.duplicates
    if not d.get("near_rows"):
        return []
    k = int(d.get("near_sample") or 1)
    about, sampled = (
        ("About ", f" (estimated from the 1 in {k} rows of a hash sample)") if k > 1 else ("", "")
    )
    return [
        Issue(
            severity="warning",
            kind="near_duplicates",
            column=None,
            count=d["near_rows"],
            message=f"{about}{d['near_rows']:,} more rows repeat another once case, spaces and "
            f"rounding to {report.params.get('decimals', 2)} decimals are ignored{sampled}.",
        )
    ]


def _leakage(report: QualityReport) -> list[Issue]:
    return [
        Issue(
            severity="error",
            kind="leakage",
            column=None,
            count=leak["rows"],
            message=f"Split {leak['split']!r}: {leak['rows']:,} of {leak['of']:,} "
            f"{leak['part']} rows equal a train row in every input column.",
        )
        for leak in report.leakage
        if leak["rows"]
    ]


def _spelling(report: QualityReport) -> list[Issue]:
    return [
        Issue(
            severity="warning",
            kind="spelling",
            column=g.column,
            count=sum(k for _, k in g.variants[1:]),
            message=f"{len(g.variants)} spellings of one value: "
            f"{', '.join(repr(v) for v, _ in g.variants[:5])} -> {g.canonical!r}.",
        )
        for g in report.spelling
    ]


DatasetCheck = Callable[["QualityReport"], list[Issue]]
BEFORE_COLUMNS: tuple[DatasetCheck, ...] = (_single_column,)
AFTER_COLUMNS: tuple[DatasetCheck, ...] = (
    _exact_duplicates,
    _near_duplicates,
    _leakage,
    _spelling,
)


def column_issues(c: dict[str, Any], n_rows: int, top: list[tuple[str, int]]) -> list[Issue]:
    """The findings of one column (profile + type + rule), given its most frequent values."""
    col = _Column(c, n_rows, top)
    only = _all_null(col)
    if only is not None:
        return [only]
    return [issue for check in COLUMN_CHECKS if (issue := check(col)) is not None]


def find_issues(report: QualityReport, counts: dict[str, list[tuple[str, int]]]) -> list[Issue]:
    """Every finding of the report as a flat list, most severe first within each column."""
    out = [issue for check in BEFORE_COLUMNS for issue in check(report)]
    for c in report.columns:
        out += column_issues(c, report.n_rows, counts.get(c["column"], []))
    out += [issue for check in AFTER_COLUMNS for issue in check(report)]
    return out
