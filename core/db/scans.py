"""Set-based passes over a dataset table: the one-pass column profile, value counts,
histograms, null bands and duplicates (the drift profile scan is in
:mod:`core.db.profile_scan`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db import types
from core.db.database import Database, qident
from core.db.profile_scan import block_sample_sql

_BOOL_WORDS = ("true", "false", "yes", "no", "y", "n", "t", "f", "0", "1")


# string shapes: tested on every row of a small table, on a block sample of a big one
SHAPE_STATS = ("n_numeric_like", "n_datetime_like", "n_bool_like", "words_avg",
               "example_text", "example_number")
EXACT_STATS = ("distinct", *SHAPE_STATS)  # what a confirming pass can count exactly


def _shape_exprs(c: str) -> dict[str, str]:
    """The string-shape statistics of the quoted column ``c`` (name -> aggregate SQL)."""
    num = f"TRY_CAST({c} AS DOUBLE)"
    words = ", ".join("'" + w + "'" for w in _BOOL_WORDS)
    return {
        "n_numeric_like": f"count({num})",
        "n_datetime_like": f"count(TRY_CAST({c} AS TIMESTAMP))",
        "n_bool_like": f"count_if(lower(trim({c})) IN ({words}))",
        "words_avg": f"avg(length(trim({c})) - length(replace(trim({c}), ' ', '')) + 1)",
        "example_text": f"any_value(CASE WHEN {num} IS NULL AND trim({c}) <> '' THEN {c} END)",
        "example_number": f"any_value(CASE WHEN {num} IS NOT NULL THEN {c} END)",
    }


def _profile_exprs(col: str, kind: str, distinct: str, shapes: bool,
                   low: float | None, high: float | None) -> tuple[dict[str, str], list[Any]]:
    """The statistics of one column (name -> aggregate SQL) and their parameters; string
    shapes only with ``shapes`` (else :func:`_shape_exprs` runs them on a sample)."""
    c = qident(col)
    e: dict[str, str] = {"nn": f"count({c})", "distinct": distinct.format(c=c)}
    params: list[Any] = []
    # CASE inside the aggregate and count_if: several times faster than FILTER clauses
    if kind in types.NUMERIC_KINDS:
        x = f"{c}::DOUBLE"
        fx = f"CASE WHEN isfinite({x}) THEN {x} END"
        fc = f"CASE WHEN isfinite({x}) THEN {c} END"
        e.update(min_num=f"min({fx})", max_num=f"max({fx})", mean=f"avg({fx})",
                 std=f"stddev_samp({fx})", min=f"min({fc})::VARCHAR",
                 max=f"max({fc})::VARCHAR")
        if kind == "float":
            e.update(n_nan=f"count_if(isnan({x}))",
                     n_posinf=f"count_if({x} = 'inf'::DOUBLE)",
                     n_neginf=f"count_if({x} = '-inf'::DOUBLE)")
        if low is not None:
            e["n_below"] = f"count_if({x} < ?::DOUBLE)"
            params.append(float(low))
        if high is not None:
            e["n_above"] = f"count_if({x} > ?::DOUBLE)"
            params.append(float(high))
    elif kind == "string":
        e.update(
            min=f"min({c})::VARCHAR", max=f"max({c})::VARCHAR",
            len_min=f"min(length({c}))", len_max=f"max(length({c}))",
            len_avg=f"avg(length({c}))",
            n_blank=f"count_if(trim({c}) = '')",
            n_padded=f"count_if({c} <> trim({c}))",
        )
        if shapes:
            e.update(_shape_exprs(c))
    elif kind == "boolean":
        e.update(n_true=f"count_if({c})", min=f"min({c})::VARCHAR",
                 max=f"max({c})::VARCHAR")
    elif kind == "datetime":
        e.update(min=f"min({c})::VARCHAR", max=f"max({c})::VARCHAR",
                 min_num=f"epoch(min({c})::TIMESTAMP)",
                 max_num=f"epoch(max({c})::TIMESTAMP)")
    elif kind == "list":
        e.update(len_min=f"min(len({c}))", len_max=f"max(len({c}))",
                 len_avg=f"avg(len({c}))")
    return e, params


def column_profile(db: Database, dataset_id: int,
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
    exact_distinct: bool = True,
    shape_sample: int | None = None,
) -> pd.DataFrame:
    """Per-column statistics of a dataset in one scan, one row per column.

    Columns: column, dtype, kind (``core.db.types.column_kind``), n, nn (non-null),
    distinct, min/max (as text), min_num/max_num (numbers; epoch seconds for datetimes),
    mean, std (finite values), n_nan, n_posinf, n_neginf, len_min/len_max/len_avg (strings
    and lists), n_blank, n_padded, n_numeric_like, n_datetime_like, n_bool_like, words_avg,
    example_text, example_number, n_true, n_below/n_above (outside the stated ``ranges``),
    distinct_exact, shape_rows and shape_nn.

    ``distinct`` is ``count(DISTINCT)`` with ``exact_distinct``, else DuckDB's
    HyperLogLog ``approx_count_distinct`` (``distinct_exact`` False). The string shapes
    (:data:`SHAPE_STATS`) are counted on every row unless ``shape_sample`` is given and
    the table is larger: then on a deterministic block sample of about that many rows
    (``shape_rows`` rows, ``shape_nn`` non-null values of the column), raw, not scaled.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    schema = datasets_db.dataset_schema(db, dataset_id)
    n_rows = datasets_db.require_dataset(db, dataset_id).n_rows
    ranges = ranges or {}
    sampled = shape_sample is not None and n_rows > shape_sample
    distinct = "count(DISTINCT {c})" if exact_distinct else "approx_count_distinct({c})"
    exprs: list[str] = ["count(*) AS n"]
    params: list[Any] = []
    stats: list[list[str]] = []
    kinds = [types.column_kind(dtype) for _, dtype in schema]
    for i, (col, _) in enumerate(schema):
        e, p = _profile_exprs(col, kinds[i], distinct, not sampled,
                              *ranges.get(col, (None, None)))
        exprs += [f"{expr} AS s{i}_{stat}" for stat, expr in e.items()]
        params += p
        stats.append(list(e))
    with db.cursor() as cur:
        res = cur.execute(f"SELECT {', '.join(exprs)} FROM {table}", params)
        values = dict(zip([d[0] for d in res.description], res.fetchall()[0], strict=True))
    strings = [i for i, k in enumerate(kinds) if k == "string"]
    if sampled and strings:
        values.update(_sampled_shapes(db, table, n_rows, int(shape_sample or 0),
                                      [(i, schema[i][0]) for i in strings]))
    rows = []
    for i, (col, dtype) in enumerate(schema):
        row: dict[str, Any] = {"column": col, "dtype": dtype, "kind": kinds[i],
                               "n": int(values["n"]), "distinct_exact": exact_distinct}
        for stat in stats[i]:
            row[stat] = values[f"s{i}_{stat}"]
        if kinds[i] == "string":
            for stat in (*SHAPE_STATS, "shape_rows", "shape_nn"):
                row[stat] = values.get(f"s{i}_{stat}", row.get("n" if stat == "shape_rows"
                                                                else "nn"))
        rows.append(row)
    return pd.DataFrame(rows)


def _sampled_shapes(db: Database, table: str, n_rows: int, sample: int,
                    columns: list[tuple[int, str]]) -> dict[str, Any]:
    """The string shapes of ``columns`` (index, name) on a block sample, keyed like
    :func:`column_profile`'s values, with each column's ``shape_rows`` and ``shape_nn``."""
    exprs = ["count(*) AS shape_rows"]
    for i, col in columns:
        c = qident(col)
        exprs.append(f"count({c}) AS s{i}_shape_nn")
        exprs += [f"{e} AS s{i}_{stat}" for stat, e in _shape_exprs(c).items()]
    with db.cursor() as cur:
        res = cur.execute(f"SELECT {', '.join(exprs)} FROM {table}"
                          f"{block_sample_sql(n_rows, sample)}")
        values = dict(zip([d[0] for d in res.description], res.fetchall()[0], strict=True))
    for i, _ in columns:
        values[f"s{i}_shape_rows"] = values["shape_rows"]
    return values


def exact_column_stats(db: Database, dataset_id: int, wanted: dict[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """Exact values of some statistics of some columns, in one scan.

    ``wanted`` maps a column to the statistics to count exactly (of :data:`EXACT_STATS`:
    ``distinct`` is ``count(DISTINCT)``, the rest are string shapes); returns them by
    column. Used to confirm what an approximate profile could not decide.
    """
    wanted = {c: [s for s in stats if s in EXACT_STATS] for c, stats in wanted.items()}
    wanted = {c: stats for c, stats in wanted.items() if stats}
    if not wanted:
        return {}
    table = qident(datasets_db._dataset_table(db, dataset_id))
    exprs, keys = [], []
    for i, (col, stats) in enumerate(wanted.items()):
        c = qident(col)
        found = {"distinct": f"count(DISTINCT {c})", **_shape_exprs(c)}
        for stat in stats:
            exprs.append(f"{found[stat]} AS e{i}_{stat}")
            keys.append((col, stat))
    (row,) = db.rows(f"SELECT {', '.join(exprs)} FROM {table}")
    out: dict[str, dict[str, Any]] = {c: {} for c in wanted}
    for (col, stat), v in zip(keys, row, strict=True):
        out[col][stat] = v
    return out


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
