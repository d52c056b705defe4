"""Column type detection: the type of each column from its one-pass profile, and the rule
that decided it (shown to the user next to the type, who may override it).

The rules are tried in order (``RULES``); the first that recognises the column decides.
The storage kind of a column (``integer``, ``string``, ``list``…) comes from
``core.db.types.column_kind``, so the rules only look at values and names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.db import types

# usual names of the value to predict; a stored "target" type or the project's roles win
TARGET_NAMES = ("target", "label", "y", "class", "outcome", "churn")

_ID_NAME = re.compile(r"(^|[_\s.-])(id|uuid|guid|key|code)$|^id[_\s.-]|Id$", re.IGNORECASE)

Detected = tuple[str, str]  # (type, rule)


def distinct_of(p: dict[str, Any]) -> int | None:
    """A profile row's distinct count; None when it was not counted (a big table's
    decimal column; NaN once the profile went through a DataFrame).

    >>> distinct_of({"distinct": 3}), distinct_of({"distinct": float("nan")})
    (3, None)
    """
    d = p.get("distinct")
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return None
    return int(d)


def _pct(x: float) -> str:
    if 0 < x < 0.01:
        return "<1%"
    return f"{x:.0%}" if x < 0.995 or x == 1 else f"{x:.1%}"


@dataclass(frozen=True)
class _Column:
    """A profile row with the counts every rule reads."""

    name: str
    kind: str
    dtype: str
    nn: int
    distinct: int
    p: dict[str, Any]

    @classmethod
    def of(cls, p: dict[str, Any]) -> _Column:
        nn = int(p.get("nn") or 0)
        distinct = min(distinct_of(p) or 0, nn)
        return cls(p["column"], p["kind"], p["dtype"], nn, distinct, p)

    @property
    def ratio(self) -> float:
        return self.distinct / self.nn if self.nn else 0.0

    def count(self, stat: str) -> int:
        return int(self.p.get(stat) or 0)


def _all_missing(c: _Column) -> Detected | None:
    if c.nn == 0:
        t = "numeric" if c.kind in types.NUMERIC_KINDS else "categorical"
        return t, "every value is missing (a candidate to drop)"
    return None


def _nested(c: _Column) -> Detected | None:
    """Lists (of pixel values: an image) and other non-scalar values."""
    if c.kind == "list":
        element = types.list_element_type(c.dtype)
        if element is not None and types.is_numeric(element):
            p = c.p
            size = (
                f"{int(p['len_min'])} numbers"
                if p.get("len_min") == p.get("len_max")
                else "a list of numbers"
            )
            return "image", f"each value is {size} (pixel values): an image"
        return "text", "each value is a list of items"
    if c.kind == "other":
        if c.dtype.upper() == "BLOB":
            return "image", "binary values (pictures or files)"
        return "text", f"nested values ({c.dtype})"
    return None


def _boolean(c: _Column) -> Detected | None:
    if c.kind == "boolean":
        return "boolean", "stored as true/false"
    if c.distinct <= 2 and c.kind == "integer" and {c.p.get("min"), c.p.get("max")} <= {"0", "1"}:
        return "boolean", "2 distinct values, 0 and 1"
    if c.kind == "string" and c.distinct <= 2 and c.count("n_bool_like") == c.nn:
        return "boolean", f"2 distinct values, both yes/no words ({c.p['min']!r}, {c.p['max']!r})"
    return None


def _datetime(c: _Column) -> Detected | None:
    if c.kind == "datetime":
        return "datetime", "stored as a date/time"
    if c.kind == "string" and c.count("n_datetime_like") >= 0.95 * c.nn:
        share = c.count("n_datetime_like") / c.nn
        return "datetime", f"{_pct(share)} of the values parse as dates/times"
    return None


def _identifier(c: _Column) -> Detected | None:
    """An ID by its name and distinct values, or a run of consecutive integers."""
    if _ID_NAME.search(c.name) and c.kind in ("integer", "string"):
        if c.ratio >= 0.9:
            return (
                "identifier",
                f"the name looks like an ID and {_pct(c.ratio)} of values are distinct",
            )
        if c.distinct >= 1000:
            return (
                "identifier",
                f"the name looks like an ID with {c.distinct:,} distinct values (a key)",
            )
    # an approximate distinct count (big tables) is within a few percent
    all_distinct = c.distinct == c.nn if c.p.get("distinct_exact", True) else c.ratio >= 0.97
    if c.kind == "integer" and c.nn >= 20 and all_distinct:
        lo, hi = float(c.p.get("min_num") or 0), float(c.p.get("max_num") or 0)
        if hi - lo + 1 == c.nn:
            return (
                "identifier",
                f"consecutive integers {lo:,.0f}..{hi:,.0f}, all distinct: a row number",
            )
    return None


def _numeric(c: _Column) -> Detected | None:
    if c.kind in types.NUMERIC_KINDS:
        if distinct_of(c.p) is None:  # not counted (a big table's decimal column)
            return "numeric", "stored as numbers"
        return "numeric", f"stored as numbers ({c.distinct:,} distinct values)"
    numeric_like = c.count("n_numeric_like")
    if c.kind == "string" and numeric_like >= 0.95 * c.nn:
        return (
            "numeric",
            f"stored as text, but {_pct(numeric_like / c.nn)} of values parse as numbers",
        )
    return None


def _free_text_or_key(c: _Column) -> Detected | None:
    """Text columns: long values are free text, short ones nearly all distinct an ID."""
    words, length = float(c.p.get("words_avg") or 0), float(c.p.get("len_avg") or 0)
    if (words >= 3 or length >= 30) and c.ratio >= 0.3:
        return "text", f"free text: on average {words:.1f} words and {length:.0f} characters"
    if c.nn >= 20 and c.ratio >= 0.95 and words < 2:
        return "identifier", f"{_pct(c.ratio)} of the short values are distinct: an ID"
    return None


RULES: tuple[Callable[[_Column], Detected | None], ...] = (
    _all_missing,
    _nested,
    _boolean,
    _datetime,
    _identifier,
    _numeric,
    _free_text_or_key,
)


def detect_type(p: dict[str, Any], is_target: bool = False) -> Detected:
    """The type of one column from its profile row, and the rule that decided it.

    Examples
    --------
    >>> detect_type({"column": "zip", "kind": "string", "dtype": "VARCHAR", "n": 4, "nn": 4,
    ...              "distinct": 2, "n_bool_like": 4, "min": "no", "max": "yes"})
    ('boolean', "2 distinct values, both yes/no words ('no', 'yes')")
    """
    c = _Column.of(p)
    if is_target:
        return "target", f"the name {c.name!r} is a usual name for the value to predict"
    for rule in RULES:
        found = rule(c)
        if found is not None:
            return found
    return "categorical", f"{c.distinct:,} distinct values ({_pct(c.ratio)} of rows)"


def detect_column_types(profile: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(column, type, rule) for every profiled column; at most one target (by name)."""
    lower = {c.lower(): c for c in profile["column"]}
    target = next((lower[t] for t in TARGET_NAMES if t in lower), None)
    return [
        (p["column"], *detect_type(p, is_target=p["column"] == target))
        for p in profile.to_dict("records")
    ]
