"""Set-based passes over a dataset table: value counts, histograms, null bands and
duplicates; the column profile is :mod:`core.db.column_scan`'s (re-exported here), the
drift profile scan :mod:`core.db.profile_scan`'s."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db import types
from core.db.column_scan import (  # noqa: F401 - re-exported
    EXACT_STATS,
    SAMPLED_STRING_STATS,
    SHAPE_STATS,
    centred_squares,
    column_profile,
    exact_column_stats,
)
from core.db.database import Database, qident
from core.db.profile_scan import block_sample_sql


def value_counts(db: Database, dataset_id: int, columns: list[str], top: int = 1000) -> pd.DataFrame:
    """The ``top`` most frequent non-null values of each column: column, value (text), n."""
    table = datasets_db._dataset_table(db, dataset_id)
    if not columns:
        return pd.DataFrame({"column": [], "value": [], "n": []})
    parts = [
        f"(SELECT {i} AS col, {qident(c)}::VARCHAR AS value, count(*) AS n"
        f" FROM {qident(table)} WHERE {qident(c)} IS NOT NULL GROUP BY {qident(c)}"
        f" ORDER BY n DESC, value LIMIT {int(top)})"
        for i, c in enumerate(columns)
    ]
    df = db.df(" UNION ALL ".join(parts))
    df["column"] = [columns[i] for i in df["col"]]
    return df[["column", "value", "n"]].sort_values(
        ["column", "n", "value"], ascending=[True, False, True], ignore_index=True)


def top_value_candidates(db: Database, dataset_id: int, columns: list[str], sample_rows: int
) -> dict[str, tuple[str, float]]:
    """Per column the most frequent non-null value (as text) in a block sample of about
    ``sample_rows`` rows (:func:`core.db.profile_scan.block_sample_sql`) and its share
    of the sample's non-null values; a column with no value in the sample is left out."""
    if not columns:
        return {}
    table = qident(datasets_db._dataset_table(db, dataset_id))
    n_rows = datasets_db.require_dataset(db, dataset_id).n_rows
    cols = ", ".join(qident(c) for c in columns)
    parts = [
        f"(SELECT {i} AS col, {qident(c)}::VARCHAR AS value,"
        f" count(*) / sum(count(*)) OVER () AS share FROM s"
        f" WHERE {qident(c)} IS NOT NULL GROUP BY {qident(c)} ORDER BY share DESC, value LIMIT 1)"
        for i, c in enumerate(columns)
    ]
    sql = (
        f"WITH s AS MATERIALIZED (SELECT {cols} FROM {table}"
        f"{block_sample_sql(n_rows, sample_rows)}) {' UNION ALL '.join(parts)}"
    )
    return {columns[int(i)]: (str(v), float(sh)) for i, v, sh in db.rows(sql)}


def count_values(db: Database, dataset_id: int, values: dict[str, str]) -> dict[str, int]:
    """Rows equal to one value per column (given as text, compared in the column's own
    type), in one scan."""
    if not values:
        return {}
    table = qident(datasets_db._dataset_table(db, dataset_id))
    dtypes = dict(datasets_db.dataset_schema(db, dataset_id))
    cols = list(values)
    exprs = ", ".join(f"count_if({qident(c)} = ?::{dtypes[c]})" for c in cols)
    (row,) = db.rows(f"SELECT {exprs} FROM {table}", [values[c] for c in cols])
    return {c: int(k) for c, k in zip(cols, row, strict=True)}


def histograms(db: Database, dataset_id: int, specs: list[tuple[str, float, float, int, bool]]
) -> dict[str, list[int]]:
    """Counts per equal-width bin of each column.

    ``specs``: (column, low, width, bins, is_datetime); datetimes are binned on epoch
    seconds, values below the first bin and above the last are counted in it, non-finite
    values are left out. One ``GROUP BY`` on the floored bin number (a double: NULL, NaN
    and infinities fall in groups of their own, dropped here, so no row is filtered or
    cast) per column, run as one ``UNION ALL``: at 10M rows several times faster than
    DuckDB's ``histogram()`` aggregate of every column in one scan (a map per group),
    and a third faster than filtering non-finite values, casting and clamping in SQL.
    """
    if not specs:
        return {}
    table = qident(datasets_db._dataset_table(db, dataset_id))
    parts, params = [], []
    for i, (col, low, width, _, is_dt) in enumerate(specs):
        x = f"epoch({qident(col)}::TIMESTAMP)" if is_dt else f"{qident(col)}::DOUBLE"
        parts.append(
            f"SELECT {i} AS c, floor(({x} - ?::DOUBLE) / ?::DOUBLE) AS k, count(*) AS n"
            f" FROM {table} GROUP BY 2"
        )
        params += [float(low), float(width)]
    out = {col: [0] * int(bins) for col, _, _, bins, _ in specs}
    for c, k, n in db.rows(" UNION ALL ".join(parts), params):
        if k is None or not math.isfinite(k):
            continue
        counts = out[specs[int(c)][0]]
        counts[min(max(int(k), 0), len(counts) - 1)] += int(n)
    return out


def null_bands(db: Database, dataset_id: int, bands: int = 40) -> pd.DataFrame:
    """Nulls per column in consecutive row bands (for the null heatmap), long form.

    Columns: band, first_row, last_row, rows, column, nulls.
    """
    table = datasets_db._dataset_table(db, dataset_id)
    schema = datasets_db.dataset_schema(db, dataset_id)
    n = max(datasets_db.require_dataset(db, dataset_id).n_rows, 1)
    bands = max(1, min(int(bands), n))
    exprs = [f"count(*) - count({qident(c)}) AS n{i}" for i, (c, _) in enumerate(schema)]
    wide = db.df(
        f"SELECT (rowid * ? // ?)::BIGINT AS band, min(rowid) AS first_row,"
        f" max(rowid) AS last_row, count(*) AS rows, {', '.join(exprs)}"
        f" FROM {qident(table)} GROUP BY 1 ORDER BY 1",
        [bands, n],
    )
    long = wide.melt(id_vars=["band", "first_row", "last_row", "rows"], var_name="col",
                     value_name="nulls")
    long["column"] = [schema[int(c[1:])][0] for c in long["col"]]
    return long.drop(columns="col")


@dataclass(frozen=True)
class DuplicateSummary:
    """Distinct rows of a dataset: all columns, the key columns, and the key columns
    normalised (None without key columns), with example groups of row ids.

    ``near_sample`` is 1 when near duplicates were counted on every row, else K: they
    were counted on the rows whose hash of the normalised ``near_sample_columns`` falls in
    one of K buckets, and ``distinct_norm`` is the key's distinct rows less K times the
    near-duplicate rows found there (an unbiased estimate: the members of a near-duplicate
    group share every normalised value, so a group is never split)."""

    n: int
    distinct_all: int | None
    distinct_key: int | None
    distinct_norm: int | None
    exact_groups: list[list[int]]
    near_groups: list[list[int]]
    near_sample: int = 1
    near_sample_columns: list[str] = field(default_factory=list)


# a value holding none of these is unchanged by collapsing runs of RE2's \s ([\t\n\f\r ])
_WHITESPACE_RUN = ("'  '", "chr(9)", "chr(10)", "chr(12)", "chr(13)")


def _normalised(col: str, kind: str, decimals: int) -> tuple[str, bool]:
    """A key column as near-duplicate detection compares it, and whether the expression
    is cheap enough for every row (numbers and the rest; text needs a regular expression).
    Numbers are rounded as ``round(x * 10^decimals)``: the same groups as ``round(x,
    decimals)`` but about four times faster in DuckDB 2.0. Text is trimmed, lower-cased
    and its whitespace runs collapsed to one space; the regular expression runs only on
    values that hold a run or a tab, newline, form feed or return (``contains`` tests
    cost a fraction of it: the sample query of 500,000 of 10M rows with 5 text columns
    took 0.68 s with the expression on every value, 0.53 s so)."""
    c = qident(col)
    if kind == "string":
        runs = " OR ".join(f"contains({c}, {w})" for w in _WHITESPACE_RUN)
        return (
            f"lower(CASE WHEN {runs} THEN regexp_replace(trim({c}), '\\s+', ' ', 'g')"
            f" ELSE trim({c}) END)",
            False,
        )
    if kind == "float":
        return f"round({c}::DOUBLE * {10 ** int(decimals)})", True
    return c, True


NEAR_SAMPLE_ROWS = 500_000  # near duplicates are counted on about this many rows


def duplicate_summary(db: Database, dataset_id: int,
    key_columns: list[str],
    decimals: int = 2,
    examples: int = 5,
    near_sample_rows: int = NEAR_SAMPLE_ROWS,
    *,
    sample_columns: list[str] | None = None,
    unique_columns: list[str] | None = None,
) -> DuplicateSummary:
    """Exact and near-duplicate rows, set-based.

    Exact duplicates compare ``key_columns`` (e.g. all but identifiers) by the hash of
    their values, on every row; near duplicates compare them after normalising text
    (case, surrounding and repeated whitespace) and rounding numbers to ``decimals``, on
    every row of a table of up to ``near_sample_rows`` rows and on a hash sample of about
    that many rows of a bigger one (see :class:`DuplicateSummary`). The sample is drawn
    on the hash of the normalised ``sample_columns`` (key columns that are not text; by
    default every such key column): any subset keeps near-duplicate groups whole, and a
    few columns with many values hash far faster than all of them. ``unique_columns``
    are columns known to hold a different non-null value in every row (counted exactly):
    with one, every row is distinct, and with one among the keys every key too, so that
    ``count(DISTINCT)`` -- a hash table of every row, the dearest query here -- is not
    run. Returns counts of distinct rows and example groups of row ids.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    schema = datasets_db.dataset_schema(db, dataset_id)
    kinds = dict(schema)
    n_rows = datasets_db.require_dataset(db, dataset_id).n_rows
    if not key_columns:
        return DuplicateSummary(n_rows, None, None, None, [], [])
    norm = [_normalised(c, types.column_kind(kinds[c]), decimals) for c in key_columns]
    key = f"hash({', '.join(qident(c) for c in key_columns)})"
    nkey = f"hash({', '.join(e for e, _ in norm)})"
    # the same for every member of a near group
    cheap = [c for c, (_, ok) in zip(key_columns, norm, strict=True) if ok]
    chosen = [c for c in (sample_columns or []) if c in cheap] or cheap
    proof = [e for c, (e, _) in zip(key_columns, norm, strict=True) if c in chosen]
    k = max(1, n_rows // max(int(near_sample_rows), 1)) if proof else 1
    where = f" WHERE hash({', '.join(proof)}) % {k} = 0" if k > 1 else ""
    everything = len(key_columns) == len(schema)
    groups = (
        "SELECT list(rowid ORDER BY rowid)[1:5], count(*) AS k FROM {table}{where}"
        " GROUP BY {by} HAVING {having} ORDER BY k DESC, min(rowid) LIMIT ?"
    )
    unique = set(unique_columns or [])
    with db.cursor() as cur:
        n, d_all, d_key = _distinct_rows(
            cur, table, n_rows, key, everything,
            all_unique=bool(unique), key_unique=bool(unique & set(key_columns)),
        )
        s_key, s_norm = cur.execute(
            f"SELECT count(DISTINCT {key}), count(DISTINCT {nkey}) FROM {table}{where}"
        ).fetchall()[0]
        exact = near = []
        if d_key < n:
            exact = cur.execute(groups.format(table=table, where="", by=key,
                                              having="count(*) > 1"), [examples]).fetchall()
        if s_norm < s_key:
            near = cur.execute(groups.format(table=table, where=where, by=nkey,
                                             having=f"count(DISTINCT {key}) > 1"),
                               [examples]).fetchall()
    return DuplicateSummary(
        int(n), int(d_all), int(d_key), int(d_key) - (int(s_key) - int(s_norm)) * k,
        [[int(r) for r in ids] for ids, _ in exact],
        [[int(r) for r in ids] for ids, _ in near],
        k,
        chosen if k > 1 else [],
    )


def _distinct_rows(cur: Any, table: str, n_rows: int, key: str, everything: bool, *,
                   all_unique: bool, key_unique: bool) -> tuple[int, int, int]:
    """(rows, distinct rows, distinct key rows) in one scan, or none when a unique column
    already tells (``key`` is every column when ``everything``)."""
    all_sql = None if all_unique else (key if everything else "hash(t)")
    key_sql = None if key_unique or everything else key
    if all_sql is None and key_sql is None:
        return n_rows, n_rows, n_rows
    n, d_all, d_key = cur.execute(
        f"SELECT count(*), {f'count(DISTINCT {all_sql})' if all_sql else 'NULL'},"
        f" {f'count(DISTINCT {key_sql})' if key_sql else 'NULL'} FROM {table} t"
    ).fetchall()[0]
    d_all = n if d_all is None else d_all
    d_key = d_all if everything else (n if d_key is None else d_key)
    return int(n), int(d_all), int(d_key)


@dataclass(frozen=True)
class NumericSummary:
    """One numeric column's finite values in one scan: count, distinct values, values with
    a fractional part, mean, sample std (ddof = 1), extremes and quantiles (``quantile_cont``:
    linear interpolation, numpy's default)."""

    n_rows: int
    n_finite: int
    n_distinct: int
    n_fractional: int
    mean: float | None
    std: float | None
    minimum: float | None
    maximum: float | None
    quantiles: list[float]


def numeric_summary(db: Database, dataset_id: int, column: str, probs: list[float]
) -> NumericSummary:
    """:class:`NumericSummary` of a numeric column (NULL, NaN and ±inf are left out)."""
    table = datasets_db._dataset_table(db, dataset_id)
    x = f"{qident(column)}::DOUBLE"
    fx = f"CASE WHEN isfinite({x}) THEN {x} END"
    (row,) = db.rows(
        f"SELECT count(*), count({fx}), count(DISTINCT {fx}), count_if({fx} <> floor({fx})),"
        f" avg({fx}), stddev_samp({fx}), min({fx}), max({fx}),"
        f" quantile_cont({fx}, ?::DOUBLE[]) FROM {qident(table)}",
        [list(probs)],
    )
    n, nf, nd, nfrac, mean, std, lo, hi, qs = row
    return NumericSummary(int(n), int(nf), int(nd), int(nfrac or 0), mean, std, lo, hi,
                          [float(q) for q in (qs or [])])
