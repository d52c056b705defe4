"""Set-based passes over a dataset table: value counts, histograms, null bands and
duplicates; the column profile is :mod:`core.db.column_scan`'s (re-exported here), the
drift profile scan :mod:`core.db.profile_scan`'s."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.db import datasets as datasets_db
from core.db import types
from core.db.column_scan import (  # noqa: F401 - re-exported
    EXACT_STATS,
    SAMPLED_STRING_STATS,
    SHAPE_STATS,
    column_profile,
    exact_column_stats,
)
from core.db.database import Database, qident


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


def histograms(db: Database, dataset_id: int, specs: list[tuple[str, float, float, int, bool]]
) -> dict[str, list[int]]:
    """Counts per equal-width bin, all columns in one scan.

    ``specs``: (column, low, width, bins, is_datetime); datetimes are binned on epoch
    seconds, non-finite values are left out.
    """
    if not specs:
        return {}
    table = datasets_db._dataset_table(db, dataset_id)
    exprs, params = [], []
    for i, (col, low, width, bins, is_dt) in enumerate(specs):
        x = f"epoch({qident(col)}::TIMESTAMP)" if is_dt else f"{qident(col)}::DOUBLE"
        exprs.append(
            f"histogram(CASE WHEN isfinite({x}) THEN least(greatest("
            f"floor(({x} - ?::DOUBLE) / ?::DOUBLE)::BIGINT, 0), ?::BIGINT) END) AS h{i}"
        )
        params += [float(low), float(width), int(bins) - 1]
    (row,) = db.rows(f"SELECT {', '.join(exprs)} FROM {qident(table)}", params)
    out = {}
    for (col, _, _, bins, _), hist in zip(specs, row, strict=True):
        counts = [0] * int(bins)
        for b, n in (hist or {}).items():
            if b is not None:
                counts[int(b)] = int(n)
        out[col] = counts
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
    normalised (None without key columns), with example groups of row ids."""

    n: int
    distinct_all: int | None
    distinct_key: int | None
    distinct_norm: int | None
    exact_groups: list[list[int]]
    near_groups: list[list[int]]


def duplicate_summary(db: Database, dataset_id: int,
    key_columns: list[str],
    decimals: int = 2,
    examples: int = 5,
) -> DuplicateSummary:
    """Exact and near-duplicate rows, set-based.

    Exact duplicates compare ``key_columns`` (e.g. all but identifiers); near duplicates
    compare them after normalising text (case, surrounding and repeated whitespace) and
    rounding numbers to ``decimals``. Returns counts of distinct rows and example groups
    of row ids.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    kinds = dict(datasets_db.dataset_schema(db, dataset_id))
    if not key_columns:
        n_rows = datasets_db.require_dataset(db, dataset_id).n_rows
        return DuplicateSummary(n_rows, None, None, None, [], [])
    norm = []
    for col in key_columns:
        c, kind = qident(col), types.column_kind(kinds[col])
        if kind == "string":
            norm.append(f"lower(regexp_replace(trim({c}), '\\s+', ' ', 'g'))")
        elif kind == "float":
            norm.append(f"round({c}::DOUBLE, {int(decimals)})")
        else:
            norm.append(c)
    key = f"hash({', '.join(qident(c) for c in key_columns)})"
    nkey = f"hash({', '.join(norm)})"
    groups = (
        f"SELECT list(rowid ORDER BY rowid)[1:5], count(*) AS k FROM {table}"
        " GROUP BY {by} HAVING {having} ORDER BY k DESC, min(rowid) LIMIT ?"
    )
    with db.cursor() as cur:
        n, d_all, d_key, d_norm = cur.execute(
            f"SELECT count(*), count(DISTINCT hash(t)), count(DISTINCT {key}),"
            f" count(DISTINCT {nkey}) FROM {table} t"
        ).fetchall()[0]
        exact = near = []
        if d_key < n:
            exact = cur.execute(groups.format(by=key, having="count(*) > 1"),
                                [examples]).fetchall()
        if d_norm < d_key:
            near = cur.execute(groups.format(by=nkey, having=f"count(DISTINCT {key}) > 1"),
                               [examples]).fetchall()
    return DuplicateSummary(
        int(n), int(d_all), int(d_key), int(d_norm),
        [[int(r) for r in ids] for ids, _ in exact],
        [[int(r) for r in ids] for ids, _ in near],
    )




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
