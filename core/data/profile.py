"""The column profile that type detection and the quality report read, within a few scans.

DESIGN
------
* A small table (up to ``EXACT_MAX_ROWS`` rows) is profiled exactly in one scan:
  ``count(DISTINCT)`` and every string-shape test on every row.
* A big one is profiled in one scan with DuckDB's HyperLogLog ``approx_count_distinct``
  (standard error measured at 3.4% on DuckDB 2.0; numeric columns as
  :mod:`core.db.column_scan` explains) while the string shapes (numeric-like, date-like,
  yes/no-like, words, examples), lengths, blanks and padding are tested on a
  deterministic block sample of ``SHAPE_SAMPLE`` rows. Then exact counts are taken, in
  one more scan of only the columns concerned, where a decision hangs on them:

  - the distinct count of a column whose detected type changes when its approximate
    count moves by ``HLL_MARGIN`` (six standard errors) either way -- an identifier
    candidate whose ratio is near 1, a 0/1 column, an ID-named column near 1,000 values;
  - the string shapes of a column in which the sample saw any number, date or yes/no
    word (the sample can decide its type, and its mixed-type counts are then exact);
  - blank and padded values of a column in which the sample saw any;
  - words and lengths of a string column that may be free text or a key (ratio >= 0.3).

  What stays approximate is flagged per column (``distinct_exact``, ``shapes_exact``,
  ``padding_exact``)
  and stated where it is shown (:func:`approximation_notes`): a distinct count within
  the HyperLogLog's error, and shape, blank and padding counts of 0 because the sample
  saw none (rarer values can exist).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.data.detect import detect_type, distinct_of
from core.db import column_scan
from core.db import datasets as datasets_db
from core.db.database import Database

EXACT_MAX_ROWS = 200_000  # up to this many rows, everything is counted exactly
SHAPE_SAMPLE = 100_000  # rows whose string shapes are tested in a big table
HLL_STD_ERROR = 0.034  # DuckDB 2.0's approx_count_distinct, measured (200 hashes x 200k)
HLL_MARGIN = 6 * HLL_STD_ERROR  # an approximate count is trusted this far from a threshold
_SHAPE_COUNTS = ("n_numeric_like", "n_datetime_like", "n_bool_like")
_PADDING = ("n_blank", "n_padded")


def profile_columns(
    store: Database,
    dataset_id: int,
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
    *,
    exact_max_rows: int = EXACT_MAX_ROWS,
    shape_sample: int = SHAPE_SAMPLE,
) -> pd.DataFrame:
    """One row per column: :func:`core.db.scans.column_profile`'s statistics, exact for a
    small table; for a big one approximate where no detected type depends on it, with
    ``distinct_exact`` and ``shapes_exact`` saying which (see the module's DESIGN)."""
    n_rows = datasets_db.require_dataset(store, dataset_id).n_rows
    if n_rows <= exact_max_rows:
        profile = column_scan.column_profile(store, dataset_id, ranges, exact_distinct=True)
        profile["shapes_exact"] = profile["padding_exact"] = True
        return profile
    profile = column_scan.column_profile(
        store, dataset_id, ranges, exact_distinct=False, shape_sample=shape_sample
    )
    rows = profile.to_dict("records")
    wanted = {r["column"]: _undecided(r) for r in rows}
    exact = column_scan.exact_column_stats(store, dataset_id, wanted)
    out = []
    for r in rows:
        found = exact.get(r["column"], {})
        r = {**r, **found}
        if "distinct" in found:
            r["distinct_exact"] = True
        unsampled = r["kind"] != "string" or r.get("shape_rows") == r.get("n")
        r["shapes_exact"] = unsampled or all(s in found for s in _SHAPE_COUNTS)
        r["padding_exact"] = unsampled or all(s in found for s in _PADDING)
        out.append(r)
    return pd.DataFrame(out)


def _undecided(r: dict[str, Any]) -> list[str]:
    """The statistics of one approximate profile row to count exactly (see DESIGN)."""
    wanted: list[str] = []
    if _type_hangs_on_distinct(r):
        wanted.append("distinct")
    if r["kind"] != "string" or r.get("shape_rows") == r.get("n"):
        return wanted  # not text, or its text counted on every row (a few-valued column)
    if any(int(r.get(s) or 0) > 0 for s in _SHAPE_COUNTS):
        wanted += list(column_scan.SHAPE_STATS)
    if any(int(r.get(s) or 0) > 0 for s in _PADDING):
        wanted += list(_PADDING)
    if _ratio_bounds(r)[1] >= 0.3:  # free text or a key: words and lengths decide
        wanted += ["words_avg", "len_min", "len_max", "len_avg"]
    return list(dict.fromkeys(wanted))


def _ratio_bounds(r: dict[str, Any]) -> tuple[float, float]:
    nn = int(r.get("nn") or 0)
    d = int(r.get("distinct") or 0)
    if not nn:
        return 0.0, 0.0
    return d * (1 - HLL_MARGIN) / nn, min(d * (1 + HLL_MARGIN), nn) / nn


def _type_hangs_on_distinct(r: dict[str, Any]) -> bool:
    """Whether the type detected from ``r`` changes within the HyperLogLog margin, or the
    column has at most two values (a constant, a 0/1 or one-class column: exact is cheap).

    >>> row = {"column": "k", "kind": "integer", "dtype": "BIGINT", "nn": 1000,
    ...        "distinct": 990, "min_num": 1, "max_num": 1000, "distinct_exact": False}
    >>> _type_hangs_on_distinct(row), _type_hangs_on_distinct({**row, "distinct": 300})
    (True, False)
    """
    if r.get("distinct_exact", True) or not r.get("nn") or distinct_of(r) is None:
        return False
    d, nn = int(r.get("distinct") or 0), int(r["nn"])
    if d <= 2:
        return True
    probes = {max(0, math.floor(d * (1 - HLL_MARGIN))), d, min(nn, math.ceil(d * (1 + HLL_MARGIN)))}
    for shapes in _shape_variants(r):
        found = {
            detect_type({**r, **shapes, "distinct": x, "distinct_exact": True})[0] for x in probes
        }
        if len(found) > 1:
            return True
    return False


def _shape_variants(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The string shapes a column may have: the sample's estimate and, when the sample saw
    any number, date or yes/no word (those are counted exactly later), each on every value
    and none at all."""
    if r["kind"] != "string":
        return [{}]
    variants = [_extrapolated(r)]
    if any(int(r.get(s) or 0) > 0 for s in _SHAPE_COUNTS):
        nn = int(r.get("nn") or 0)
        variants.append(dict.fromkeys(_SHAPE_COUNTS, 0))
        variants += [{**dict.fromkeys(_SHAPE_COUNTS, 0), s: nn} for s in _SHAPE_COUNTS]
    return variants


def _extrapolated(r: dict[str, Any]) -> dict[str, Any]:
    """A sampled column's shape counts scaled to its non-null values (the sample's rate)."""
    shape_nn = int(r.get("shape_nn") or 0)
    nn = int(r.get("nn") or 0)
    if not shape_nn or shape_nn == nn:
        return {}
    return {s: round(int(r.get(s) or 0) * nn / shape_nn) for s in _SHAPE_COUNTS}


def approximation_notes(columns: list[dict[str, Any]]) -> list[str]:
    """Sentences stating what in a profile is approximate (empty when all is exact).

    >>> approximation_notes([{"column": "a", "distinct": 9, "distinct_exact": False,
    ...                       "shapes_exact": True}])
    ['Distinct counts of a are HyperLogLog estimates (standard error about 3.4%); exact where a column type depends on them.']
    """
    uncounted = [c["column"] for c in columns if c.get("distinct_exact") is False
                 and distinct_of(c) is None]  # fmt: skip
    approx = [c["column"] for c in columns if c.get("distinct_exact") is False
              and distinct_of(c) is not None]  # fmt: skip
    sampled = [
        c for c in columns if c.get("shapes_exact") is False or c.get("padding_exact") is False
    ]
    notes = []
    if approx or uncounted:
        said = []
        if approx:
            said.append(
                f"Distinct counts of {_names(approx)} are HyperLogLog estimates (standard "
                f"error about {HLL_STD_ERROR:.1%}); exact where a column type depends on them"
            )
        if uncounted:
            said.append(
                f"those of the decimal column(s) {_names(uncounted)} were not counted (a "
                "big table: no type or check depends on them; a constant column is found "
                "by its equal extremes)"
            )
        text = "; ".join(said) + "."
        notes.append(text[0].upper() + text[1:])
    if sampled:
        rows = int(sampled[0].get("shape_rows") or 0)
        notes.append(
            f"Numbers, dates, yes/no words, blanks and padding in the text of "
            f"{_names([c['column'] for c in sampled])} were looked for in a sample of "
            f"{rows:,} rows, which saw none (counted on every row where the sample saw any)."
        )
    return notes


def _names(cols: list[str], shown: int = 6) -> str:
    head = ", ".join(cols[:shown])
    return head + (f" and {len(cols) - shown} more" if len(cols) > shown else "")
