"""Set-based passes for monitoring: the one-pass drift profile (grid ranges, a block sample,
moments, bin counts, category counts, tails), software metrics per time window, and the
drift benchmark's scan floor.

The algorithms that read these passes live in :mod:`core.monitoring.profile_store`; this
module only builds and runs the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import types
from core.db.database import Database, qident
from core.errors import StoreError

_WINDOWS = {"day": "day", "week": "week", "month": "month"}
_NO_WINDOW = "NULL::TIMESTAMP"


def window_key(w: Any) -> Any:
    """A window as a dict key: a period's start (Timestamp), a block of rows (int) or a
    batch value (str); NULL, NaT and NaN all mean "no window".

    >>> window_key(None), window_key(3), window_key("2025-03-03"), window_key(np.datetime64(0, "s"))
    (None, 3, '2025-03-03', Timestamp('1970-01-01 00:00:00'))
    """
    if w is None or (not isinstance(w, str) and pd.isna(w)):
        return None
    if isinstance(w, str):
        return w
    if isinstance(w, (int, np.integer)) or (isinstance(w, float) and w.is_integer()):
        return int(w)
    return pd.Timestamp(w)


@dataclass(frozen=True)
class ProfileScan:
    """One profile pass, three long frames keyed by ``w`` (the window start; NULL for the
    whole table or a missing timestamp).

    ``moments``: one row per window, ``n_rows`` and per numeric column ``i``: ``n{i}``,
    ``s{i}``, ``q{i}``, ``mn{i}``, ``mx{i}`` and the count and sum of the values below /
    above the reference's range, ``bn{i}``, ``bs{i}``, ``an{i}``, ``as{i}``; per counted
    column ``j``: ``cn{j}``. ``bins``: ``c`` (numeric column index), ``k`` (bin key), ``n``.
    ``categories``: ``c`` (counted column index), ``k`` (the value as text), ``n``.
    """

    moments: pd.DataFrame
    bins: pd.DataFrame
    categories: pd.DataFrame


def _profile_window_sql(time_column: str | None, window: str | None,
                        row_window: int | None = None, batch_column: str | None = None
                        ) -> tuple[str, list[Any]]:
    """The window of a row as SQL and its parameters: the ``window`` period of
    ``time_column``, the block of ``row_window`` rows in file order (``rowid``), the value
    of ``batch_column`` as text, or NULL (the whole table).

    >>> _profile_window_sql(None, None, row_window=500)
    ('(rowid // 500)', [])
    >>> _profile_window_sql(None, None, batch_column="lot")
    ('"lot"::VARCHAR', [])
    """
    if row_window:
        return f"(rowid // {int(row_window)})", []
    if batch_column:
        return f"{qident(batch_column)}::VARCHAR", []
    if not time_column or not window:
        return _NO_WINDOW, []
    ts = f"TRY_CAST({qident(time_column)} AS TIMESTAMP)"
    return f"time_bucket(?::INTERVAL, {ts})", [window]


def _profile_value_sql(column: str, safe: bool) -> str:
    x = f"{qident(column)}::DOUBLE"
    # NaN and +-inf count as missing (documented in core.monitoring.profiles); the safe form
    # costs a little, so it only runs when a first pass met a non-finite value
    return f"(CASE WHEN isfinite({x}) THEN {x} END)" if safe else x


def profile_ranges(db: Database, dataset_id: int, numeric: list[str], sample_rows: int
) -> tuple[list[tuple[float | None, float | None]], dict[str, np.ndarray]]:
    """Exact finite (min, max) per numeric column and a block sample of each.

    The reference's grid comes from these (its first pass); a current profile reuses
    the grid and never runs this. The extremes come from verified storage statistics
    where they can (:func:`_stored_extremes`), else from ``min``/``max`` of the finite
    values; ``(None, None)`` means no finite value. The sample (float arrays, NaN for
    missing, keyed ``v0``, ``v1``, ...) is :func:`block_sample_sql`'s.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    if not numeric:
        return [], {}
    plain = [_profile_value_sql(c, False) for c in numeric]
    safe = [_profile_value_sql(c, True) for c in numeric]
    with db.cursor() as cur:
        (n_rows,) = cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
        found: dict[int, tuple[Any, Any]] = dict(_stored_extremes(cur, table, plain))
        rest = [i for i in range(len(numeric)) if i not in found]
        if rest:
            agg = ", ".join(f"min({safe[i]}), max({safe[i]})" for i in rest)
            row = cur.execute(f"SELECT {agg} FROM {table}").fetchall()[0]
            for j, i in enumerate(rest):
                found[i] = (row[2 * j], row[2 * j + 1])
        sel = ", ".join(f"{v} AS v{i}" for i, v in enumerate(safe))
        raw = cur.execute(
            f"SELECT {sel} FROM {table}{block_sample_sql(int(n_rows), sample_rows)}"
        ).fetchnumpy()
    draws = {
        k: np.ma.filled(np.ma.asarray(v, dtype=float), np.nan) for k, v in raw.items()
    }
    ranges: list[tuple[float | None, float | None]] = [
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
    row_window: int | None = None,
    batch_column: str | None = None,
    safe: bool = False,
    own_grid: bool = False,
) -> ProfileScan:
    """One profile pass: moments per column and window, numeric bin counts, category counts.

    ``numeric`` items hold ``column``, ``a``, ``w``, ``kmin``, ``kmax``, ``center``,
    ``ref_min``, ``ref_max`` (the reference's grid); the frames are :class:`ProfileScan`'s.
    Windows: ``window`` periods of ``time_column``, blocks of ``row_window`` rows in file
    order, or the values of ``batch_column`` (see :func:`_profile_window_sql`).

    ``own_grid`` says the grid was derived from this very table, so no value lies
    outside the reference range (no tail scan) and, unwindowed, min and max are the
    grid's (not recomputed).

    DESIGN: what this costs, per column and 1M rows on the 2-core CI machine, against
    about 1 ms for the benchmark's ``sum``: a hash aggregate over the bin key about 6 ms
    (the perfect-hash aggregate, enabled for up to 2^17 keys in ``Database.__init__``: the
    key is clamped with CASE, whose bounds DuckDB propagates, not ``least/greatest``,
    which cost as much again); ``min`` + ``max`` 1.6 ms; each tail count or sum written
    as an aggregate 1-3 ms, so the tails are separate filtered scans (zone maps skip
    most row groups: 13 ms for 15 columns instead of 110 ms). ``FILTER`` clauses on many
    aggregates of one query are far slower (500 ms); avoid them.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    wsql, wpar = _profile_window_sql(time_column, window, row_window, batch_column)
    windowed = wsql != _NO_WINDOW
    extremes: dict[int, tuple[float, float]] = {}
    if not (windowed or own_grid or safe) and numeric:
        with db.cursor() as cur:
            extremes = _stored_extremes(
                cur, table, [_profile_value_sql(s["column"], False) for s in numeric]
            )
    recompute = [windowed or not (own_grid or i in extremes) for i in range(len(numeric))]
    moments_sql = _moments_sql(table, wsql, numeric, categorical, safe, recompute, windowed)
    bins = [_bins_sql(table, wsql, i, spec, safe) for i, spec in enumerate(numeric)]
    tails = [] if own_grid else [
        sql for i, spec in enumerate(numeric) for sql in _tails_sql(table, wsql, i, spec, safe)
    ]
    cats = [_categories_sql(table, wsql, j, col) for j, col in enumerate(categorical)]
    empty = pd.DataFrame({"w": [], "c": [], "k": [], "n": []})
    with db.cursor() as cur:
        moments = cur.execute(moments_sql, wpar).df()
        bin_df = _union(cur, bins, wpar) if bins else empty
        cat_df = _union(cur, cats, wpar) if cats else empty
        tail_df = _union(cur, tails, wpar) if tails else None
    return ProfileScan(_with_tails(moments, numeric, extremes, tail_df), bin_df, cat_df)


def _union(cur: duckdb.DuckDBPyConnection, parts: list[str], wpar: list[Any]) -> pd.DataFrame:
    """Run the parts as one ``UNION ALL`` query (each part takes the window parameter)."""
    return cur.execute(" UNION ALL ".join(parts), wpar * len(parts)).df()


def _moments_sql(table: str, wsql: str, numeric: list[dict[str, Any]], categorical: list[str],
                 safe: bool, recompute: list[bool], windowed: bool) -> str:
    """Rows, then per numeric column count, sum, centred sum of squares (and min / max where
    ``recompute`` says so), then per counted column its non-null count, per window."""
    parts = ["count(*) AS n_rows"]
    for i, spec in enumerate(numeric):
        v = _profile_value_sql(spec["column"], safe)
        c = float(spec["center"])
        parts.append(
            f"count({v}) AS n{i}, sum({v}) AS s{i}, sum(({v} - {c!r}) * ({v} - {c!r})) AS q{i}"
        )
        if recompute[i]:
            parts.append(f"min({v}) AS mn{i}, max({v}) AS mx{i}")
    for j, col in enumerate(categorical):
        parts.append(f"count({qident(col)}) AS cn{j}")
    return (f"SELECT {wsql} AS w, {', '.join(parts)} FROM {table}"
            + (" GROUP BY ALL ORDER BY w" if windowed else ""))


def _bin_key_sql(v: str, spec: dict[str, Any]) -> str:
    """The grid key of value ``v``, clamped to ``[kmin, kmax]``.

    The same keys as ``least(greatest(floor((v - a) / w), kmin), kmax)``: a value half a bin
    beyond an end bin's inner edge can only round into that bin.

    >>> _bin_key_sql("v", {"a": 0.0, "w": 0.5, "kmin": 0, "kmax": 3})
    'CASE WHEN v < 0.25 THEN 0 WHEN v >= 1.75 THEN 3 ELSE floor((v - 0.0) / 0.5)::INTEGER END'
    """
    a, w = float(spec["a"]), float(spec["w"])
    kmin, kmax = int(spec["kmin"]), int(spec["kmax"])
    low, high = a + (kmin + 0.5) * w, a + (kmax + 0.5) * w
    return (
        f"CASE WHEN {v} < {low!r} THEN {kmin} WHEN {v} >= {high!r} THEN {kmax}"
        f" ELSE floor(({v} - {a!r}) / {w!r})::INTEGER END"
    )


def _bins_sql(table: str, wsql: str, i: int, spec: dict[str, Any], safe: bool) -> str:
    """Counts per window and grid bin of numeric column ``i``."""
    v = _profile_value_sql(spec["column"], safe)
    return (
        f"SELECT {wsql} AS w, {i} AS c, {_bin_key_sql(v, spec)} AS k, count({v}) AS n"
        f" FROM {table} WHERE {v} IS NOT NULL GROUP BY ALL"
    )


def _tails_sql(table: str, wsql: str, i: int, spec: dict[str, Any], safe: bool) -> list[str]:
    """Count and sum per window of the values below (``b``) and above (``a``) the
    reference's range, as two filtered scans that zone maps mostly skip."""
    v = _profile_value_sql(spec["column"], safe)
    lo, hi = float(spec["ref_min"]), float(spec["ref_max"])
    return [
        f"SELECT {wsql} AS w, {i} AS c, '{side}' AS side, count(*) AS n,"
        f" sum({v}) AS s FROM {table} WHERE {cond} GROUP BY ALL"
        for side, cond in (("b", f"{v} < {lo!r}"), ("a", f"{v} > {hi!r}"))
    ]


def _categories_sql(table: str, wsql: str, j: int, column: str) -> str:
    """Counts per window and value (as text) of counted column ``j``."""
    c = qident(column)
    return (
        f"SELECT {wsql} AS w, {j} AS c, {c}::VARCHAR AS k, count(*) AS n"
        f" FROM {table} WHERE {c} IS NOT NULL GROUP BY ALL"
    )


def _with_tails(moments: pd.DataFrame, numeric: list[dict[str, Any]],
                extremes: dict[int, tuple[float, float]], tail_df: pd.DataFrame | None
                ) -> pd.DataFrame:
    """The moments with the extremes that were not recomputed and the tail counts and sums
    (zero where no value lies outside the reference's range)."""
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
    return pd.concat([moments, pd.DataFrame(added, index=moments.index)], axis=1)


def block_sample_sql(n_rows: int, sample_rows: int, block: int = 2048) -> str:
    """A WHERE clause keeping about ``sample_rows`` rows in evenly spaced ``rowid`` blocks.

    Deterministic (the same rows every time, unlike DuckDB's multi-threaded system
    sample), spread over the whole table, and cheap: the rowid ranges prune row groups,
    so 10M rows cost 0.03 s where every k-th row (a full scan) cost 0.33 s and a seeded
    reservoir sample (one thread) more. Blocks are what the grid's quantiles need; the
    grid only places the bins, so a poor sample costs resolution, never correctness.

    >>> block_sample_sql(1000, 5000)
    ''
    >>> block_sample_sql(10_000, 4096, block=2048)
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
        parts.append(f"sum({qident(col)})" if types.is_numeric(dtype) else f"count({qident(col)})")
    return int(db.rows(f"SELECT {', '.join(parts)} FROM {qident(table)}")[0][0])


def window_software_metrics(db: Database, dataset_id: int,
    time_column: str | None,
    window: str,
    latency_column: str | None,
    status_column: str | None,
    *,
    row_window: int | None = None,
    batch_column: str | None = None,
) -> pd.DataFrame:
    """Per window: requests, throughput, latency p50/p95/p99, error rate, availability.

    ``window`` is ``day``, ``week`` or ``month`` of ``time_column``; with ``row_window`` or
    ``batch_column`` the windows are blocks of rows in file order or batch values instead,
    and with neither and no time column the whole table is one window (``window_start``
    NULL). A request fails when its status is 5xx; rows without a timestamp are counted
    apart (window_start NULL) rather than dropped. Throughput needs the time column.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    t = qident(time_column) if time_column else None
    if row_window or batch_column or not t:
        key, _ = _profile_window_sql(None, None, row_window, batch_column)
    elif window in _WINDOWS:
        key = f"date_trunc('{_WINDOWS[window]}', {t})"
    else:
        raise StoreError(f"Unknown window {window!r}; use day, week or month.")
    rate = f"count(*) / greatest(epoch(max({t}) - min({t})), 1)" if t else "NULL::DOUBLE"
    lat = qident(latency_column) if latency_column else "NULL::DOUBLE"
    failed = f"({qident(status_column)} >= 500)" if status_column else "FALSE"
    sql = f"""
        SELECT {key} AS window_start,
               count(*) AS requests,
               {rate} AS throughput_rps,
               quantile_cont({lat}, 0.5) AS latency_p50_ms,
               quantile_cont({lat}, 0.95) AS latency_p95_ms,
               quantile_cont({lat}, 0.99) AS latency_p99_ms,
               avg(CASE WHEN {failed} THEN 1.0 ELSE 0.0 END) AS error_rate,
               1 - avg(CASE WHEN {failed} THEN 1.0 ELSE 0.0 END) AS availability
        FROM {table} GROUP BY 1 ORDER BY 1 NULLS LAST
    """
    return db.df(sql)


def window_frame(db: Database, dataset_id: int, columns: list[str], *,
                 row_window: int | None = None, batch_column: str | None = None
                 ) -> pd.DataFrame:
    """The columns in file order with ``__row`` (the row's position, from 0) and
    ``__window`` (its window, as :func:`profile_scan` keys it: the block number or the
    batch value as text; NULL for the whole table)."""
    table = qident(datasets_db._dataset_table(db, dataset_id))
    key, _ = _profile_window_sql(None, None, row_window, batch_column)
    cols = "".join(f", {qident(c)}" for c in dict.fromkeys(columns))
    return db.df(f"SELECT rowid AS __row, {key} AS __window{cols} FROM {table} ORDER BY rowid")


def batch_order(db: Database, dataset_id: int, batch_column: str) -> list[str]:
    """The batch column's values (as text) in the order each first appears in the file."""
    table = qident(datasets_db._dataset_table(db, dataset_id))
    c = qident(batch_column)
    rows = db.rows(f"SELECT {c}::VARCHAR, min(rowid) AS first FROM {table} WHERE {c} IS NOT NULL"
                   " GROUP BY 1 ORDER BY first")
    return [str(r[0]) for r in rows]


def row_range_subset(db: Database, dataset_id: int, columns: list[str], *, not_null: str,
                     first_row: int = 0, batch_column: str | None = None,
                     batches: list[str] | None = None, time_column: str | None = None,
                     since: Any = None) -> Any:
    """Rows of a dataset as an Arrow table: those with ``not_null`` set, from row
    ``first_row`` on, with ``batch_column`` those whose batch value is in ``batches``, with
    ``time_column`` and ``since`` those from that time on (then in time order, else in file
    order). Retraining reads the labelled rows of a window range with it."""
    table = qident(datasets_db._dataset_table(db, dataset_id))
    where = [f"{qident(not_null)} IS NOT NULL", "rowid >= ?"]
    params: list[Any] = [int(first_row)]
    if batch_column is not None:
        where.append(f"{qident(batch_column)}::VARCHAR IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(batches or []))
    order = "rowid"
    if time_column is not None:
        order = f"{qident(time_column)}, rowid"
        if since is not None:
            where.append(f"{qident(time_column)} >= ?")
            params.append(since)
    sql = (f"SELECT {', '.join(qident(c) for c in dict.fromkeys(columns))} FROM {table}"
           f" WHERE {' AND '.join(where)} ORDER BY {order}")
    with db.cursor() as cur:
        return cur.sql(sql, params=params).to_arrow_table()
