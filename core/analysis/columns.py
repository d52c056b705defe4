"""How columns are cut into slices: :class:`ColumnSpec` (codes, labels, stored predicates),
quantile and typed bin edges, and :func:`plan_columns` (one DuckDB pass decides every cut)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.source import SliceError, SliceSource
from core.db import analysis as analysis_db
from core.db import types
from core.db.database import Database

MISSING, OTHER = "(missing)", "(other)"


@dataclass(frozen=True)
class ColumnSpec:
    """How a column is cut: ``kind`` "cat" (listed ``values``, the rest "(other)"), "month"
    (calendar months of a timestamp) or "num" (bins between sorted ``edges``)."""

    column: str
    kind: str
    values: tuple[str, ...] = ()
    edges: tuple[float, ...] = ()

    def to_store(self) -> tuple[str, str, list]:
        return (
            self.column,
            self.kind,
            list(self.edges if self.kind == "num" else self.values),
        )

    def label(self, code: int) -> str:
        """The text of a code: 0 is missing; for "num" 1..k+1 are the bins.

        Examples
        --------
        >>> s = ColumnSpec("age", "num", edges=(30.0, 50.0))
        >>> [s.label(c) for c in range(4)]
        ['(missing)', '< 30', '30 – 50', '≥ 50']
        >>> ColumnSpec("region", "cat", values=("N", "S")).label(3)
        '(other)'
        """
        code = int(code)
        if code == 0:
            return MISSING
        if self.kind == "num":
            e = self.edges
            if not e:
                return "all values"
            if code == 1:
                return f"< {_fmt(e[0])}"
            if code == len(e) + 1:
                return f"≥ {_fmt(e[-1])}"
            return f"{_fmt(e[code - 2])} – {_fmt(e[code - 1])}"
        return self.values[code - 1] if code <= len(self.values) else OTHER

    def predicate(self, code: int) -> dict[str, Any]:
        """A stored, self-contained predicate (re-applicable to any data with the column)."""
        code = int(code)
        if code == 0:
            return {
                "column": self.column,
                "op": "missing",
                "numeric": self.kind == "num",
            }
        if self.kind == "num":
            e = self.edges
            lo = e[code - 2] if code >= 2 else None
            hi = e[code - 1] if code - 1 < len(e) else None
            return {"column": self.column, "op": "range", "lo": lo, "hi": hi}
        if code > len(self.values):
            return {"column": self.column, "op": "other", "values": list(self.values)}
        op = "month" if self.kind == "month" else "eq"
        return {"column": self.column, "op": op, "value": self.values[code - 1]}


def _fmt(x: float) -> str:
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}".replace(",", " ") if abs(x) >= 10_000 else str(int(x))
    return f"{x:.4g}"


def predicate_label(p: dict[str, Any]) -> str:
    """Human text of a stored predicate.

    Examples
    --------
    >>> predicate_label({"column": "x", "op": "range", "lo": 1, "hi": None})
    'x ≥ 1'
    >>> predicate_label({"column": "region", "op": "eq", "value": "North"})
    'region = North'
    """
    c, op = p.get("column", ""), p.get("op")
    if op == "tag":
        return f"tag = {p['value']}"
    if op == "missing":
        return f"{c} is missing"
    if op == "other":
        return f"{c} = (other)"
    if op == "range":
        lo, hi = p.get("lo"), p.get("hi")
        if lo is not None and hi is not None:
            return f"{_fmt(lo)} ≤ {c} < {_fmt(hi)}"
        if lo is not None:
            return f"{c} ≥ {_fmt(lo)}"
        if hi is not None:
            return f"{c} < {_fmt(hi)}"
        return f"{c} (any value)"
    return f"{c} = {p.get('value')}"


def group_name(column: Any, value: Any) -> str:
    """A one-column group as a person reads it: ``region = North``, and for the open
    bins of a number ``claim_amount < 1561`` or ``age ≥ 55`` (not ``= < 1561``).

    >>> [group_name("age", v) for v in ("< 30", "30 – 50", "≥ 50", "(missing)")]
    ['age < 30', 'age = 30 – 50', 'age ≥ 50', 'age = (missing)']
    """
    text = str(value)
    if text.startswith(("< ", "≥ ")):
        return f"{column} {text}"
    return f"{column} = {text}"


def slice_label(preds: list[dict[str, Any]]) -> str:
    """Human text of a slice (its predicates joined by AND; no predicate is all rows)."""
    return " AND ".join(predicate_label(p) for p in preds) or "all rows"


def quantile_edges(quantiles: list[float] | None) -> tuple[float, ...]:
    """Distinct, finite, sorted quantile values (bins never repeat an edge).

    Examples
    --------
    >>> quantile_edges([1.0, 1.0, 2.5, float("nan")])
    (1.0, 2.5)
    """
    if quantiles is None:
        return ()
    vals = [float(q) for q in quantiles if q is not None and np.isfinite(q)]
    return tuple(sorted(set(vals)))


def parse_edges(text: str) -> tuple[float, ...]:
    """Edges typed by a user, e.g. ``"1000, 5000, 20000"``.

    Examples
    --------
    >>> parse_edges("5000, 1000; 1000")
    (1000.0, 5000.0)
    """
    out = []
    for tok in str(text).replace(";", ",").split(","):
        tok = tok.strip().replace(" ", "")
        if not tok:
            continue
        try:
            v = float(tok)
        except ValueError as exc:
            raise SliceError(
                f"Bin edge {tok!r} is not a number; type edges like 1000, 5000."
            ) from exc
        if not math.isfinite(v):
            raise SliceError("Bin edges must be finite numbers.")
        out.append(v)
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class ColumnPlan:
    specs: list[ColumnSpec]
    notes: list[str] = field(default_factory=list)  # columns skipped or odd, and why


def plan_columns(
    store: Database,
    source: SliceSource,
    columns: list[str] | None = None,
    *,
    bins: int = 4,
    edges: dict[str, tuple[float, ...]] | None = None,
    max_values: int = 20,
    exclude: tuple[str, ...] = (),
) -> ColumnPlan:
    """Decide how to cut each column: one DuckDB pass for counts, distinct values, quantiles.

    Numeric columns with at most 10 distinct values are treated as categories; numeric
    columns get ``bins`` quantile bins unless ``edges`` gives them by hand; text columns
    keep their ``max_values`` most frequent values; timestamps are cut by month. Columns
    with one value, only nulls, or (almost) one value per row are skipped with a note.
    """
    if bins < 2 or bins > 20:
        raise SliceError("Use between 2 and 20 bins for numeric columns.")
    available = dict(analysis_db.slice_columns(store, source))
    wanted = [c for c in (columns if columns is not None else list(available)) if c not in exclude]
    notes = [f"{c}: not a column of this data." for c in wanted if c not in available]
    wanted = [c for c in wanted if c in available]
    numeric = [c for c in wanted if types.is_numeric(available[c])]
    months = [c for c in wanted if types.is_datetime(available[c])]
    other = [c for c in wanted if c not in numeric and c not in months]
    qs = tuple(i / bins for i in range(1, bins))
    n, stats, tops = analysis_db.slice_column_stats(
        store, source, numeric, other, months, top=max(max_values, 11), quantiles=qs
    )
    if n == 0:
        raise SliceError("There are no rows to slice.")
    specs: list[ColumnSpec] = []
    for row in stats.itertuples(index=False):
        c = str(row.column)
        kind = "num" if c in numeric else "month" if c in months else "cat"
        spec = _cut(
            c,
            kind,
            row,
            tops[tops["column"] == c],
            n,
            notes,
            edges=(edges or {}).get(c),
            max_values=max_values,
        )
        if spec is not None:
            specs.append(spec)
    order = {c: i for i, c in enumerate(wanted)}
    return ColumnPlan(sorted(specs, key=lambda s: order[s.column]), notes)


def _cut(
    c: str,
    kind: str,
    row: Any,
    top: pd.DataFrame,
    n: int,
    notes: list[str],
    *,
    edges: tuple[float, ...] | None,
    max_values: int,
) -> ColumnSpec | None:
    """One column's cut from its statistics ``row`` and ``top`` values (None: skipped);
    ``kind`` is the column's type ("num", "month" or "cat"), notes are appended."""
    if row.n_null == n:
        notes.append(f"{c}: every value is missing; it is shown as one '(missing)' slice.")
    elif row.n_null == 0 and (row.n_distinct <= 1 or (kind == "month" and len(top) <= 1)):
        notes.append(f"{c}: one value only, so it cannot separate slices; skipped.")
        return None
    if kind == "num" and edges is not None:
        return ColumnSpec(c, "num", edges=tuple(sorted(set(edges))))
    if kind == "num" and len(top) <= 10 and row.n_distinct <= 10:
        return ColumnSpec(c, "cat", values=tuple(sorted(top["value"], key=lambda v: float(v))))
    if kind == "num":
        return ColumnSpec(c, "num", edges=quantile_edges(row.quantiles))
    if kind == "cat" and row.n_distinct > 0.5 * n and n > 20:
        notes.append(f"{c}: nearly one value per row (an identifier?); skipped.")
        return None
    vals = tuple(top["value"].head(max_values))
    return ColumnSpec(c, kind, values=tuple(sorted(vals)) if kind == "month" else vals)
