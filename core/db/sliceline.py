"""SliceLine's level-wise lattice search, set-based in DuckDB (Sagadeeva & Boehm 2021).

Keys
----
Every column of the search is integer-coded first (``analysis.code_sql``: 0 = missing,
then values or bins; codes < 256). One predicate "column ``i`` has code ``c``" is the key
``(i + 1) * PREDICATE_BASE + c``, so ``key // PREDICATE_BASE - 1`` is the column and
``key % PREDICATE_BASE`` the code (:func:`decode_predicate`). A slice of one to three
predicates, in column order, is packed into one BIGINT in base ``SLICE_BASE``:
``p1``, ``p1 * SLICE_BASE + p2``, ``(p1 * SLICE_BASE + p2) * SLICE_BASE + p3``. With at
most ``MAX_COLUMNS`` columns a predicate key stays below ``SLICE_BASE`` and a level-3 key
below 2**60, so keys are unique across levels and the key of a slice's sub-slice is
computed from its predicates (``_sub_slice_keys``).

Temp tables of one search: ``_sl_enc`` the coded rows and their error ``e``; ``_sl_k``
the constants (alpha, mean error, n, minimum support); ``_sl_s`` every evaluated slice
(key, level, p1..p3, size ``ss``, errors ``se``, max error ``sm``, score); ``_sl_c`` the
candidates of the next level with their upper bound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from core.db import analysis as analysis_db
from core.db.database import Database, registered
from core.errors import StoreError

PREDICATE_BASE = 1024  # predicate key = (column index + 1) * PREDICATE_BASE + code
SLICE_BASE = 1 << 20  # slice key = predicate keys as digits in this base
MAX_COLUMNS = 999  # (MAX_COLUMNS + 1) * PREDICATE_BASE < SLICE_BASE
_TEMP_TABLES = ("_sl_enc", "_sl_k", "_sl_s", "_sl_c")

_P, _K = PREDICATE_BASE, SLICE_BASE  # short names for the SQL below


def decode_predicate(key: int) -> tuple[int, int]:
    """(column index, code) of a predicate key.

    Examples
    --------
    >>> decode_predicate(3 * PREDICATE_BASE + 2)
    (2, 2)
    """
    return int(key) // PREDICATE_BASE - 1, int(key) % PREDICATE_BASE


def slice_lattice(
    db: Database,
    source: analysis_db.SliceBase,
    specs: list[tuple[str, str, list]],
    *,
    alpha: float,
    min_support: int,
    max_level: int,
    top_k: int,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """SliceLine's level-wise lattice search, set-based in DuckDB.

    Each level is one GROUP BY GROUPING SETS pass over the integer-coded rows (one set
    per combination of columns that still has candidates). Candidates of level L join
    two surviving slices of level L-1 sharing L-2 predicates (all parents must survive:
    size >= ``min_support``, errors > 0) and are pruned by SliceLine's upper bound on
    their score against the running top-k. Returns the kept slices — score > 0, size >=
    ``min_support``, and no sub-slice with a score at least as high — best first, with
    p1..p3 predicate keys (see :func:`decode_predicate`), and totals.
    """
    m = len(specs)
    if m == 0:
        return pd.DataFrame(), {"n": 0, "errors": 0.0}
    if m > MAX_COLUMNS:
        raise StoreError(f"Slice discovery takes at most {MAX_COLUMNS} columns.")
    with analysis_db.slice_cursor(db, source, [s[0] for s in specs]) as (cur, base, params):
        _encode(cur, specs, base, params)
        try:
            rows = cur.execute("SELECT count(*), coalesce(sum(e), 0) FROM _sl_enc").fetchall()
            n, total = rows[0]

            def evaluate(level: int, sets: list[tuple[int, ...]], sigma: int, only: bool) -> None:
                _evaluate(cur, level, sets, sigma, only_candidates=only)

            return _search(cur, m, int(n), float(total), evaluate, alpha=alpha,
                           min_support=min_support, max_level=max_level, top_k=top_k)
        finally:
            for t in _TEMP_TABLES:
                cur.execute(f"DROP TABLE IF EXISTS {t}")


# what fills ``_sl_s`` with one level's slices: (level, column sets, sigma, only candidates)
Evaluate = Callable[[int, list[tuple[int, ...]], int, bool], None]
# one level's aggregates computed elsewhere (e.g. on Spark): (level, column sets, sigma,
# candidate keys or None at level 1) -> frame of key, p1, p2, p3, ss, se, sm, ss >= sigma
Aggregate = Callable[[int, list[tuple[int, ...]], int, "list[int] | None"], pd.DataFrame]


def _search(
    cur: Any,
    m: int,
    n: int,
    total: float,
    evaluate: Evaluate,
    *,
    alpha: float,
    min_support: int,
    max_level: int,
    top_k: int,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The level-wise search over ``m`` columns of ``n`` rows with ``total`` errors, each
    level's slices put into ``_sl_s`` by ``evaluate``; the kept top-k and totals."""
    totals = {"n": int(n), "errors": float(total)}
    if n == 0 or total <= 0:
        return pd.DataFrame(), totals
    top_k = max(int(top_k), 1)
    sigma = max(int(min_support), 1)
    _create_tables(cur, alpha=alpha, mean_error=float(total) / n, n=n, sigma=sigma)
    evaluate(1, [(i,) for i in range(m)], sigma, False)
    for level in range(2, min(max_level, 3) + 1):
        sets = _next_candidates(cur, level, _threshold(cur, top_k))
        if not sets:
            break
        evaluate(level, sets, sigma, True)
    result = cur.execute(f"{_REPORTED} LIMIT ?", [top_k]).df()
    totals["evaluated"] = float(cur.execute("SELECT count(*) FROM _sl_s").fetchall()[0][0])
    return result, totals


def lattice_of_aggregates(
    aggregate: Aggregate,
    m: int,
    n: int,
    total: float,
    *,
    alpha: float,
    min_support: int,
    max_level: int,
    top_k: int,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """:func:`slice_lattice` on aggregates computed elsewhere: the same candidates, bounds,
    pruning and reported set (in an in-memory DuckDB holding only slices, never rows),
    each level's counts, error sums and max errors from ``aggregate``."""
    if not 1 <= m <= MAX_COLUMNS:
        raise StoreError(f"Slice discovery takes 1 to {MAX_COLUMNS} columns.")
    con = duckdb.connect()
    try:

        def evaluate(level: int, sets: list[tuple[int, ...]], sigma: int, only: bool) -> None:
            keys = None
            if only:
                keys = [int(r[0]) for r in con.execute("SELECT key FROM _sl_c").fetchall()]
            _insert_level(con, level, aggregate(level, sets, sigma, keys))

        return _search(con, m, n, total, evaluate, alpha=alpha, min_support=min_support,
                       max_level=max_level, top_k=top_k)
    finally:
        con.close()


def _insert_level(cur: Any, level: int, agg: pd.DataFrame) -> None:
    """Add a level's aggregates (key, p1..p3, ss, se, sm) to ``_sl_s`` with their score."""
    frame = agg[["key", "p1", "p2", "p3", "ss", "se", "sm"]].astype(
        {"key": "int64", "p1": "Int64", "p2": "Int64", "p3": "Int64", "ss": "int64",
         "se": "float64", "sm": "float64"}
    )
    with registered(cur, _sl_agg=frame):
        cur.execute(
            f"INSERT INTO _sl_s SELECT g.key::BIGINT, {level}, g.p1::BIGINT, g.p2::BIGINT,"
            " g.p3::BIGINT, g.ss::BIGINT, g.se::DOUBLE, g.sm::DOUBLE,"
            f" {_score('g.ss::BIGINT', 'g.se::DOUBLE')} FROM _sl_agg g, _sl_k k"
        )


def _encode(cur: Any, specs: list[tuple[str, str, list]], base: str, params: list) -> None:
    """``_sl_enc``: one row per predicted row, its column codes c0..c(m-1) and error e."""
    codes, cparams = [], []
    for i, s in enumerate(specs):
        sql, p = analysis_db.code_sql(s)
        codes.append(f"{sql}::UTINYINT AS c{i}")
        cparams += p
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _sl_enc AS SELECT {', '.join(codes)}, __err AS e"
        f" FROM ({base}) WHERE __err IS NOT NULL",
        [*cparams, *params],
    )


def _create_tables(cur: Any, *, alpha: float, mean_error: float, n: int, sigma: int) -> None:
    """The constants ``_sl_k`` and the empty slice and candidate tables."""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _sl_k AS SELECT ?::DOUBLE AS a, ?::DOUBLE AS eb,"
        " ?::DOUBLE AS n, ?::DOUBLE AS sig",
        [float(alpha), mean_error, float(n), float(sigma)],
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _sl_s (key BIGINT, level INTEGER, p1 BIGINT,"
        " p2 BIGINT, p3 BIGINT, ss BIGINT, se DOUBLE, sm DOUBLE, score DOUBLE)"
    )
    cur.execute("CREATE OR REPLACE TEMP TABLE _sl_c (key BIGINT, ub DOUBLE)")


def _score(ss: str, se: str) -> str:
    """SQL of SliceLine's score of a slice of size ``ss`` with ``se`` errors (``k`` = _sl_k):
    alpha * (error rate / mean error rate - 1) - (1 - alpha) * (n / size - 1)."""
    return f"(k.a * (({se}) / ({ss}) / k.eb - 1) - (1 - k.a) * (k.n / ({ss}) - 1))"


def _upper_bound(ss: str, se: str, sm: str) -> str:
    """SQL of SliceLine's upper bound on the score of any slice inside one of size ``ss``,
    ``se`` errors and max error ``sm``: the best score at size sigma, ``ss`` or in between."""
    mid = f"greatest(least({se} / nullif({sm}, 0), {ss}), k.sig)"
    return (
        "greatest("
        + ", ".join(_score(s, f"least({s} * {sm}, {se})") for s in ("k.sig", mid, ss))
        + ")"
    )


def _pack(level: int, digits: list[str]) -> str:
    """SQL of the slice key of ``level`` predicate keys (see the module docstring)."""
    key = digits[0]
    for d in digits[1:level]:
        key = f"({key}) * {_K} + {d}"
    return key


def _evaluate(
    cur: Any, level: int, sets: list[tuple[int, ...]], sigma: int, only_candidates: bool
) -> None:
    """Add to ``_sl_s`` the slices of ``level`` on these column sets with size >= sigma
    (only the ``_sl_c`` candidates when ``only_candidates``), in one GROUPING SETS pass.

    In a grouping set's rows the other columns are NULL, so the non-NULL predicate keys,
    in column order, are the slice's p1..p3.
    """
    used = sorted({i for s in sets for i in s})
    plist = "[" + ", ".join(f"{(i + 1) * _P} + c{i}" for i in used) + "]"
    grouping = ", ".join("(" + ", ".join(f"c{i}" for i in s) + ")" for s in sets)
    key = _pack(level, ["q[1]", "q[2]", "q[3]"])
    join = " JOIN _sl_c c ON c.key = g.key" if only_candidates else ""
    cur.execute(
        f"INSERT INTO _sl_s SELECT g.key, {level}, g.q[1], g.q[2], g.q[3], g.ss, g.se,"
        f" g.sm, {_score('g.ss', 'g.se')} FROM (SELECT *, {key} AS key FROM"
        f" (SELECT list_filter({plist}::BIGINT[], lambda x: x IS NOT NULL) AS q,"
        " count(*) AS ss, sum(e) AS se, max(e) AS sm"
        f" FROM _sl_enc GROUP BY GROUPING SETS ({grouping}) HAVING count(*) >= ?))"
        f" g{join}, _sl_k k",
        [sigma],
    )


def _sub_slice_keys() -> str:
    """SQL list of the keys of slice ``s``'s proper sub-slices (empty at level 1)."""
    return (
        "CASE s.level WHEN 2 THEN [s.p1, s.p2]"
        f" WHEN 3 THEN [s.p1, s.p2, s.p3, s.p1 * {_K} + s.p2, s.p1 * {_K} + s.p3,"
        f" s.p2 * {_K} + s.p3] ELSE []::BIGINT[] END"
    )


# The slices SliceLine reports, best first: score > 0 and no sub-slice scoring at least as
# high. All of an evaluated slice's sub-slices are evaluated before it, so this set is
# final once computed. Pruning must bound against the k-th best *reported* slice: raw
# scores would let equal-score supersets of one strong slice fill the top-k, raise the
# bound and prune a better slice that is reported.
_REPORTED = (
    f"WITH anc AS (SELECT s.key, s.score, unnest({_sub_slice_keys()}) AS akey FROM _sl_s s),"
    " beaten AS (SELECT DISTINCT anc.key FROM anc JOIN _sl_s p ON p.key = anc.akey"
    " WHERE p.score >= anc.score)"
    " SELECT s.level, s.p1, s.p2, s.p3, s.ss AS size, s.se AS errors,"
    " s.sm AS max_error, s.score FROM _sl_s s"
    " WHERE s.score > 0 AND s.key NOT IN (SELECT key FROM beaten)"
    " ORDER BY s.score DESC, s.level, s.key"
)


def _threshold(cur: Any, top_k: int) -> float:
    """The pruning bound: the k-th best reported score so far (0 while fewer than k)."""
    rows = cur.execute(f"{_REPORTED} LIMIT 1 OFFSET ?", [top_k - 1]).fetchall()
    return max(rows[0][-1], 0.0) if rows else 0.0


def _candidates(level: int) -> str:
    """SQL of the level's candidates (q1..q3, and bounds on ss, se, sm from the parents).

    Level 2 pairs two level-1 slices on different columns; level 3 joins two level-2
    slices sharing their first predicate and requires the third parent (their second
    predicates) to have survived too. Parents must have errors.
    """
    if level == 2:
        return (
            "SELECT a.p1 AS q1, b.p1 AS q2, NULL::BIGINT AS q3,"
            " least(a.ss, b.ss) AS ss, least(a.se, b.se) AS se, least(a.sm, b.sm) AS sm"
            " FROM _sl_s a JOIN _sl_s b ON a.level = 1 AND b.level = 1"
            f" AND a.p1 // {_P} < b.p1 // {_P} WHERE a.se > 0 AND b.se > 0"
        )
    return (
        "SELECT a.p1 AS q1, a.p2 AS q2, b.p2 AS q3,"
        " least(a.ss, b.ss, c.ss) AS ss, least(a.se, b.se, c.se) AS se,"
        " least(a.sm, b.sm, c.sm) AS sm"
        " FROM _sl_s a JOIN _sl_s b ON a.level = 2 AND b.level = 2"
        f" AND a.p1 = b.p1 AND a.p2 // {_P} < b.p2 // {_P}"
        f" JOIN _sl_s c ON c.level = 2 AND c.key = a.p2 * {_K} + b.p2"
        " WHERE a.se > 0 AND b.se > 0 AND c.se > 0"
    )


def _next_candidates(cur: Any, level: int, threshold: float) -> list[tuple[int, ...]]:
    """Fill ``_sl_c`` with the level's candidates whose upper bound beats ``threshold``;
    return the column sets they use (what the next GROUPING SETS pass must group by)."""
    cur.execute("DELETE FROM _sl_c")
    bound = _upper_bound("x.ss", "x.se", "x.sm")
    cur.execute(
        f"INSERT INTO _sl_c SELECT {_pack(level, ['q1', 'q2', 'q3'])}, {bound} AS ub"
        f" FROM ({_candidates(level)}) x, _sl_k k WHERE x.ss >= k.sig AND {bound} > ?",
        [threshold],
    )
    columns = ", ".join(
        f"(key // {_K ** (level - 1 - j)}) % {_K} // {_P} - 1 AS f{j}" for j in range(level)
    )
    return [
        tuple(int(v) for v in r)
        for r in cur.execute(f"SELECT DISTINCT {columns} FROM _sl_c ORDER BY ALL").fetchall()
    ]
