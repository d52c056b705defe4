"""Set-based passes over a dataset table: the one-pass column profile, value counts,
histograms, null bands, duplicates, the drift profile scan and the scan floor."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import types
from core.db.database import Database, qident
from core.errors import StoreError


def window_key(w: Any) -> Any:
    """A window start as a dict key (NULL, NaT and NaN all mean "no window")."""
    return None if w is None or pd.isna(w) else pd.Timestamp(w)


_BOOL_WORDS = ("true", "false", "yes", "no", "y", "n", "t", "f", "0", "1")
_NUMERIC_TYPES = (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
        "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
    )
_WINDOWS = {"day": "day", "week": "week", "month": "month"}


def column_profile(db: Database, dataset_id: int,
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
    exact_distinct: bool = True,
) -> pd.DataFrame:
    """Per-column statistics of a dataset in one scan, one row per column.

    Columns: column, dtype, kind, n, nn (non-null), distinct, min/max (as text),
    min_num/max_num (numbers; epoch seconds for datetimes), mean, std (finite values),
    n_nan, n_posinf, n_neginf, len_min/len_max/len_avg (strings and lists), n_blank,
    n_padded, n_numeric_like, n_datetime_like, n_bool_like, words_avg, example_text,
    example_number, n_true, n_below/n_above (outside the stated ``ranges``).
    """
    table = datasets_db._dataset_table(db, dataset_id)
    schema = datasets_db.dataset_schema(db, dataset_id)
    ranges = ranges or {}
    exprs: list[str] = ["count(*) AS n"]
    params: list[Any] = []
    stats: list[list[str]] = []
    distinct = "count(DISTINCT {c})" if exact_distinct else "approx_count_distinct({c})"
    # CASE inside the aggregate and count_if: several times faster than FILTER clauses
    for i, (col, dtype) in enumerate(schema):
        c, kind = qident(col), types._column_kind(dtype)
        e: dict[str, str] = {"nn": f"count({c})", "distinct": distinct.format(c=c)}
        if kind in ("integer", "float"):
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
            low, high = ranges.get(col, (None, None))
            if low is not None:
                e["n_below"] = f"count_if({x} < ?::DOUBLE)"
                params.append(float(low))
            if high is not None:
                e["n_above"] = f"count_if({x} > ?::DOUBLE)"
                params.append(float(high))
        elif kind == "string":
            num = f"TRY_CAST({c} AS DOUBLE)"
            words = ", ".join("'" + w + "'" for w in _BOOL_WORDS)
            e.update(
                min=f"min({c})", max=f"max({c})",
                len_min=f"min(length({c}))", len_max=f"max(length({c}))",
                len_avg=f"avg(length({c}))",
                n_blank=f"count_if(trim({c}) = '')",
                n_padded=f"count_if({c} <> trim({c}))",
                n_numeric_like=f"count({num})",
                n_datetime_like=f"count(TRY_CAST({c} AS TIMESTAMP))",
                n_bool_like=f"count_if(lower(trim({c})) IN ({words}))",
                words_avg=f"avg(length(trim({c})) - length(replace(trim({c}), ' ', '')) + 1)",
                example_text=f"any_value(CASE WHEN {num} IS NULL AND trim({c}) <> '' THEN {c} END)",
                example_number=f"any_value(CASE WHEN {num} IS NOT NULL THEN {c} END)",
            )
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
        names = []
        for stat, expr in e.items():
            exprs.append(f"{expr} AS s{i}_{stat}")
            names.append(stat)
        stats.append(names)
    with db.cursor() as cur:
        res = cur.execute(f"SELECT {', '.join(exprs)} FROM {qident(table)}", params)
        values = dict(zip([d[0] for d in res.description], res.fetchall()[0], strict=True))
    rows = []
    for i, (col, dtype) in enumerate(schema):
        row: dict[str, Any] = {"column": col, "dtype": dtype, "kind": types._column_kind(dtype),
                               "n": int(values["n"]), "distinct_exact": exact_distinct}
        for stat in stats[i]:
            row[stat] = values[f"s{i}_{stat}"]
        rows.append(row)
    return pd.DataFrame(rows)


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
    ds = datasets_db.get_dataset(db, dataset_id)
    n = max(int(ds.n_rows), 1)
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


def duplicate_summary(db: Database, dataset_id: int,
    key_columns: list[str],
    decimals: int = 2,
    examples: int = 5,
) -> dict[str, Any]:
    """Exact and near-duplicate rows, set-based.

    Exact duplicates compare ``key_columns`` (e.g. all but identifiers); near duplicates
    compare them after normalising text (case, surrounding and repeated whitespace) and
    rounding numbers to ``decimals``. Returns counts of distinct rows and example groups
    of row ids.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    kinds = dict(datasets_db.dataset_schema(db, dataset_id))
    if not key_columns:
        return {"n": datasets_db.get_dataset(db, dataset_id).n_rows, "distinct_all": None,
                "distinct_key": None, "distinct_norm": None, "exact_groups": [],
                "near_groups": []}
    norm = []
    for col in key_columns:
        c, kind = qident(col), types._column_kind(kinds[col])
        if kind == "string":
            norm.append(f"lower(regexp_replace(trim({c}), '\\s+', ' ', 'g'))")
        elif kind == "float":
            norm.append(f"round({c}::DOUBLE, {int(decimals)})")
        else:
            norm.append(c)
    key = f"hash({', '.join(qident(c) for c in key_columns)})"
    nkey = f"hash({', '.join(norm)})"
    with db.cursor() as cur:
        n, d_all, d_key, d_norm = cur.execute(
            f"SELECT count(*), count(DISTINCT hash(t)), count(DISTINCT {key}),"
            f" count(DISTINCT {nkey}) FROM {table} t"
        ).fetchall()[0]
        exact = near = []
        if d_key < n:
            exact = cur.execute(
                f"SELECT list(rowid ORDER BY rowid)[1:5], count(*) AS k FROM {table}"
                f" GROUP BY {key} HAVING count(*) > 1 ORDER BY k DESC, min(rowid) LIMIT ?",
                [examples],
            ).fetchall()
        if d_norm < d_key:
            near = cur.execute(
                f"SELECT list(rowid ORDER BY rowid)[1:5], count(*) AS k FROM {table}"
                f" GROUP BY {nkey} HAVING count(DISTINCT {key}) > 1"
                f" ORDER BY k DESC, min(rowid) LIMIT ?",
                [examples],
            ).fetchall()
    return {
        "n": int(n), "distinct_all": int(d_all), "distinct_key": int(d_key),
        "distinct_norm": int(d_norm),
        "exact_groups": [[int(r) for r in ids] for ids, _ in exact],
        "near_groups": [[int(r) for r in ids] for ids, _ in near],
    }


def _profile_window_sql(time_column: str | None, window: str | None) -> str:
    if not time_column or not window:
        return "NULL::TIMESTAMP"
    ts = f"TRY_CAST({qident(time_column)} AS TIMESTAMP)"
    return f"time_bucket(?::INTERVAL, {ts})"


def _profile_value_sql(column: str, safe: bool) -> str:
    x = f"{qident(column)}::DOUBLE"
    # NaN and +-inf count as missing (documented in core.profiles); the safe form costs
    # a little, so it only runs when a first pass met a non-finite value
    return f"(CASE WHEN isfinite({x}) THEN {x} END)" if safe else x


def profile_table_info(db: Database, dataset_id: int) -> tuple[int, str, list[tuple[str, str]]]:
    """Rows, content hash and ``(column, type)`` of a dataset, for profiling."""
    ds = datasets_db.get_dataset(db, dataset_id)
    if ds is None:
        raise StoreError("That dataset does not exist (any more).")
    return ds.n_rows, ds.content_hash, datasets_db.dataset_schema(db, dataset_id)


def profile_ranges(db: Database, dataset_id: int, numeric: list[str], sample_rows: int
) -> tuple[list[tuple[float | None, float | None]], dict[str, np.ndarray]]:
    """Exact finite (min, max) per numeric column and a block sample of each.

    The reference's grid comes from these (its first pass); a current profile reuses
    the grid and never runs this. The extremes come from verified storage statistics
    where they can (:meth:`_stored_extremes`), else from ``min``/``max`` of the finite
    values; ``(None, None)`` means no finite value. The sample (float arrays, NaN for
    missing) is :meth:`_block_sample_sql`'s.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    if not numeric:
        return [], {}
    plain = [_profile_value_sql(c, False) for c in numeric]
    safe = [_profile_value_sql(c, True) for c in numeric]
    with db.cursor() as cur:
        (n_rows,) = cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
        found = _stored_extremes(cur, table, plain)
        rest = [i for i in range(len(numeric)) if i not in found]
        if rest:
            agg = ", ".join(f"min({safe[i]}), max({safe[i]})" for i in rest)
            row = cur.execute(f"SELECT {agg} FROM {table}").fetchall()[0]
            for j, i in enumerate(rest):
                found[i] = (row[2 * j], row[2 * j + 1])
        sel = ", ".join(f"{v} AS v{i}" for i, v in enumerate(safe))
        raw = cur.execute(
            f"SELECT {sel} FROM {table}{_block_sample_sql(int(n_rows), sample_rows)}"
        ).fetchnumpy()
    draws = {
        k: np.ma.filled(np.ma.asarray(v, dtype=float), np.nan) for k, v in raw.items()
    }
    ranges = [
        (None, None) if lo is None or hi is None else (float(lo), float(hi))
        for lo, hi in (found[i] for i in range(len(numeric)))
    ]
    return ranges, draws


def profile_scan(db: Database, dataset_id: int,
    numeric: list[dict[str, Any]],
    categorical: list[str],
    *,
    time_column: str | None = None,
    window: str | None = None,
    safe: bool = False,
    own_grid: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One profile pass: moments per column and window, numeric bin counts, category counts.

    ``numeric`` items hold ``column``, ``a``, ``w``, ``kmin``, ``kmax``, ``center``,
    ``ref_min``, ``ref_max`` (the reference's grid). Returns three long frames keyed by
    ``w`` (window start, NULL for the whole table or a missing timestamp): moments (one
    row per window: ``n_rows`` and per numeric column ``n``, ``s``, ``q``, ``mn``, ``mx``
    and the count and sum of values below / above the reference's range, ``bn``, ``bs``,
    ``an``, ``as``), bins (``c``, ``k``, ``n``) and categories (``c``, ``k``, ``n``).

    ``own_grid`` says the grid was derived from this very table, so no value lies
    outside the reference range (no tail scan) and, unwindowed, min and max are the
    grid's (not recomputed).

    DESIGN: what this costs, per column and 1M rows on the 2-core CI machine, against
    about 1 ms for the benchmark's ``sum``: a hash aggregate over the bin key about 6 ms
    (the perfect-hash aggregate, enabled for up to 2^17 keys in :meth:`__init__`: the
    key is clamped with CASE, whose bounds DuckDB propagates, not ``least/greatest``,
    which cost as much again); ``min`` + ``max`` 1.6 ms; each tail count or sum written
    as an aggregate 1-3 ms, so the tails are separate filtered scans (zone maps skip
    most row groups: 13 ms for 15 columns instead of 110 ms). ``FILTER`` clauses on many
    aggregates of one query are far slower (500 ms); avoid them.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    wsql = _profile_window_sql(time_column, window)
    wpar = [window] if wsql != "NULL::TIMESTAMP" else []
    windowed = bool(wpar)
    extremes: dict[int, tuple[float, float]] = {}
    if not (windowed or own_grid or safe) and numeric:
        values = [_profile_value_sql(s["column"], False) for s in numeric]
        with db.cursor() as cur:
            extremes = _stored_extremes(cur, table, values)
    parts = ["count(*) AS n_rows"]
    for i, spec in enumerate(numeric):
        v = _profile_value_sql(spec["column"], safe)
        c = float(spec["center"])
        parts.append(
            f"count({v}) AS n{i}, sum({v}) AS s{i}, sum(({v} - {c!r}) * ({v} - {c!r})) AS q{i}"
        )
        if windowed or not (own_grid or i in extremes):
            parts.append(f"min({v}) AS mn{i}, max({v}) AS mx{i}")
    for j, col in enumerate(categorical):
        parts.append(f"count({qident(col)}) AS cn{j}")
    bins, cats, tails = [], [], []
    bin_params: list[Any] = []
    tail_params: list[Any] = []
    for i, spec in enumerate(numeric):
        v = _profile_value_sql(spec["column"], safe)
        a, w = float(spec["a"]), float(spec["w"])
        kmin, kmax = int(spec["kmin"]), int(spec["kmax"])
        # the same keys as least(greatest(floor((v - a) / w), kmin), kmax): a value
        # half a bin beyond an end bin's inner edge can only round into that bin
        low, high = a + (kmin + 0.5) * w, a + (kmax + 0.5) * w
        key = (
            f"CASE WHEN {v} < {low!r} THEN {kmin} WHEN {v} >= {high!r} THEN {kmax}"
            f" ELSE floor(({v} - {a!r}) / {w!r})::INTEGER END"
        )
        bins.append(
            f"SELECT {wsql} AS w, {i} AS c, {key} AS k, count({v}) AS n"
            f" FROM {table} WHERE {v} IS NOT NULL GROUP BY ALL"
        )
        bin_params += wpar
        if not own_grid:
            lo, hi = float(spec["ref_min"]), float(spec["ref_max"])
            for side, cond in (("b", f"{v} < {lo!r}"), ("a", f"{v} > {hi!r}")):
                tails.append(
                    f"SELECT {wsql} AS w, {i} AS c, '{side}' AS side, count(*) AS n,"
                    f" sum({v}) AS s FROM {table} WHERE {cond} GROUP BY ALL"
                )
                tail_params += wpar
    cat_params: list[Any] = []
    for j, col in enumerate(categorical):
        cats.append(
            f"SELECT {wsql} AS w, {j} AS c, {qident(col)}::VARCHAR AS k, count(*) AS n"
            f" FROM {table} WHERE {qident(col)} IS NOT NULL GROUP BY ALL"
        )
        cat_params += wpar
    empty = pd.DataFrame({"w": [], "c": [], "k": [], "n": []})
    with db.cursor() as cur:
        moments = cur.execute(
            f"SELECT {wsql} AS w, {', '.join(parts)} FROM {table}"
            + (" GROUP BY ALL ORDER BY w" if windowed else ""),
            wpar,
        ).df()
        bin_df = cur.execute(" UNION ALL ".join(bins), bin_params).df() if bins else empty
        cat_df = cur.execute(" UNION ALL ".join(cats), cat_params).df() if cats else empty
        tail_df = (
            cur.execute(" UNION ALL ".join(tails), tail_params).df() if tails else None
        )
    added: dict[str, np.ndarray] = {}
    for i, spec in enumerate(numeric):
        if f"mn{i}" not in moments:  # unwindowed: the grid's or the stored exact range
            lo, hi = extremes.get(i, (spec["ref_min"], spec["ref_max"]))
            valid = moments[f"n{i}"].to_numpy() > 0
            added[f"mn{i}"] = np.where(valid, float(lo), np.nan)
            added[f"mx{i}"] = np.where(valid, float(hi), np.nan)
        for side in ("b", "a"):
            added[f"{side}n{i}"] = np.zeros(len(moments), dtype=np.int64)
            added[f"{side}s{i}"] = np.zeros(len(moments))
    if tail_df is not None and len(tail_df):
        row_of = {window_key(w): r for r, w in enumerate(moments["w"])}
        for t in tail_df.itertuples(index=False):
            r = row_of.get(window_key(t.w))
            if r is not None:
                added[f"{t.side}n{t.c}"][r] = int(t.n)
                added[f"{t.side}s{t.c}"][r] = float(t.s)
    moments = pd.concat([moments, pd.DataFrame(added, index=moments.index)], axis=1)
    return moments, bin_df, cat_df


def _block_sample_sql(n_rows: int, sample_rows: int, block: int = 2048) -> str:
    """A WHERE clause keeping about ``sample_rows`` rows in evenly spaced ``rowid`` blocks.

    Deterministic (the same rows every time, unlike DuckDB's multi-threaded system
    sample), spread over the whole table, and cheap: the rowid ranges prune row groups,
    so 10M rows cost 0.03 s where every k-th row (a full scan) cost 0.33 s and a seeded
    reservoir sample (one thread) more. Blocks are what the grid's quantiles need; the
    grid only places the bins, so a poor sample costs resolution, never correctness.

    >>> _block_sample_sql(1000, 5000)
    ''
    >>> _block_sample_sql(10_000, 4096, block=2048)
    ' WHERE rowid BETWEEN 0 AND 2047 OR rowid BETWEEN 5000 AND 7047'
    """
    if n_rows <= sample_rows:
        return ""
    blocks = -(-int(sample_rows) // block)
    stride = n_rows // blocks
    return " WHERE " + " OR ".join(
        f"rowid BETWEEN {b * stride} AND {b * stride + block - 1}" for b in range(blocks)
    )


def _stored_extremes(
    cur: duckdb.DuckDBPyConnection, table: str, values: list[str]
) -> dict[int, tuple[float, float]]:
    """Exact min and max of value expressions from DuckDB's storage statistics, verified.

    A dataset table is written once, so its zone maps hold its exact extremes; each is
    verified by probing for one row equal to it, which the zone maps answer while
    skipping nearly every row group (13 ms instead of 0.62 s for ``min`` and ``max`` of
    15 columns at 10M rows). An expression whose statistics are absent, not finite or
    not attained is left out, so the caller aggregates it.
    """
    try:
        rows = cur.execute(
            f"SELECT {', '.join(f'stats({v})' for v in values)} FROM {table} LIMIT 1"
        ).fetchall()
    except duckdb.Error:
        return {}
    found: dict[int, tuple[float, float]] = {}
    for i, st in enumerate(rows[0] if rows else ()):
        if not isinstance(st, dict):
            continue
        try:
            lo, hi = float(st.get("min")), float(st.get("max"))
        except (TypeError, ValueError):
            continue
        if np.isfinite(lo) and np.isfinite(hi) and lo <= hi:
            found[i] = (lo, hi)
    if not found:
        return {}
    # one equality filter per query: DuckDB prunes row groups by zone map for it
    probes = [(i, x) for i, pair in found.items() for x in sorted(set(pair))]
    checks = " UNION ALL ".join(
        f"(SELECT {i} AS c, {x!r}::DOUBLE AS x FROM {table}"
        f" WHERE {values[i]} = {x!r}::DOUBLE LIMIT 1)"
        for i, x in probes
    )
    seen = {(int(c), float(x)) for c, x in cur.execute(checks).fetchall()}
    return {i: v for i, v in found.items() if all((i, x) in seen for x in v)}


def scan_floor(db: Database, dataset_id: int) -> int:
    """A plain scan (count, and sum or count of every column): the benchmark's floor."""
    table = datasets_db._dataset_table(db, dataset_id)
    parts = ["count(*)"]
    for col, dtype in datasets_db.dataset_schema(db, dataset_id):
        numeric = dtype.split("(")[0] in _NUMERIC_TYPES or dtype.startswith("DECIMAL")
        parts.append(f"sum({qident(col)})" if numeric else f"count({qident(col)})")
    return int(db.rows(f"SELECT {', '.join(parts)} FROM {qident(table)}")[0][0])


def window_software_metrics(db: Database, dataset_id: int,
    time_column: str,
    window: str,
    latency_column: str | None,
    status_column: str | None,
) -> pd.DataFrame:
    """Per time window: requests, throughput, latency p50/p95/p99, error rate, availability.

    A request fails when its status is 5xx; rows without a timestamp are counted apart
    (window_start NULL) rather than dropped.
    """
    if window not in _WINDOWS:
        raise StoreError(f"Unknown window {window!r}; use day, week or month.")
    table = datasets_db._dataset_table(db, dataset_id)
    t = qident(time_column)
    lat = qident(latency_column) if latency_column else "NULL::DOUBLE"
    failed = f"({qident(status_column)} >= 500)" if status_column else "FALSE"
    sql = f"""
        SELECT date_trunc('{_WINDOWS[window]}', {t}) AS window_start,
               count(*) AS requests,
               count(*) / greatest(epoch(max({t}) - min({t})), 1) AS throughput_rps,
               quantile_cont({lat}, 0.5) AS latency_p50_ms,
               quantile_cont({lat}, 0.95) AS latency_p95_ms,
               quantile_cont({lat}, 0.99) AS latency_p99_ms,
               avg(CASE WHEN {failed} THEN 1.0 ELSE 0.0 END) AS error_rate,
               1 - avg(CASE WHEN {failed} THEN 1.0 ELSE 0.0 END) AS availability
        FROM {qident(table)} GROUP BY 1 ORDER BY 1 NULLS LAST
    """
    return db.df(sql)
