"""SliceLine's level-wise lattice search, set-based in DuckDB (Sagadeeva & Boehm 2021)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.db import analysis as analysis_db
from core.db.database import Database
from core.errors import StoreError

_SL_P = 1024
_SL_K = 1 << 20


def slice_lattice(db: Database, source: Any,
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
    p1..p3 predicate keys ((column index + 1) * 1024 + code), and totals.
    """
    m = len(specs)
    if m == 0:
        return pd.DataFrame(), {"n": 0, "errors": 0.0}
    if m >= 1000:
        raise StoreError("Slice discovery takes at most 999 columns.")
    codes, cparams = [], []
    for i, s in enumerate(specs):
        sql, p = analysis_db._slice_code(s)
        codes.append(f"{sql}::UTINYINT AS c{i}")
        cparams += p
    P, K = _SL_P, _SL_K
    with analysis_db._slice_cursor(db, source, [s[0] for s in specs]) as (cur, base, params):
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _sl_enc AS SELECT {', '.join(codes)}, __err AS e"
            f" FROM ({base}) WHERE __err IS NOT NULL",
            [*cparams, *params],
        )
        try:
            n, total = cur.execute("SELECT count(*), coalesce(sum(e), 0) FROM _sl_enc").fetchall()[0]
            totals = {"n": int(n), "errors": float(total)}
            if n == 0 or total <= 0:
                return pd.DataFrame(), totals
            sigma = max(int(min_support), 1)
            cur.execute(
                "CREATE OR REPLACE TEMP TABLE _sl_k AS SELECT ?::DOUBLE AS a, ?::DOUBLE AS eb,"
                " ?::DOUBLE AS n, ?::DOUBLE AS sig",
                [float(alpha), float(total) / n, float(n), float(sigma)],
            )
            cur.execute(
                "CREATE OR REPLACE TEMP TABLE _sl_s (key BIGINT, level INTEGER, p1 BIGINT,"
                " p2 BIGINT, p3 BIGINT, ss BIGINT, se DOUBLE, sm DOUBLE, score DOUBLE)"
            )
            cur.execute("CREATE OR REPLACE TEMP TABLE _sl_c (key BIGINT, ub DOUBLE)")

            def score(ss: str, se: str) -> str:
                return f"(k.a * (({se}) / ({ss}) / k.eb - 1) - (1 - k.a) * (k.n / ({ss}) - 1))"

            # in a grouping set's rows the other columns are NULL, so the non-NULL
            # predicate keys, in column order, are the slice's p1..p3

            def evaluate(level: int, sets: list[tuple[int, ...]], only_candidates: bool) -> None:
                used = sorted({i for s in sets for i in s})
                plist = "[" + ", ".join(f"{(i + 1) * P} + c{i}" for i in used) + "]"
                grouping = ", ".join("(" + ", ".join(f"c{i}" for i in s) + ")" for s in sets)
                key = {1: "q[1]", 2: f"q[1] * {K} + q[2]", 3: f"(q[1] * {K} + q[2]) * {K} + q[3]"}[level]
                join = " JOIN _sl_c c ON c.key = g.key" if only_candidates else ""
                cur.execute(
                    f"INSERT INTO _sl_s SELECT g.key, {level}, g.q[1], g.q[2], g.q[3], g.ss, g.se,"
                    f" g.sm, {score('g.ss', 'g.se')} FROM (SELECT *, {key} AS key FROM"
                    f" (SELECT list_filter({plist}::BIGINT[], lambda x: x IS NOT NULL) AS q,"
                    " count(*) AS ss, sum(e) AS se, max(e) AS sm"
                    f" FROM _sl_enc GROUP BY GROUPING SETS ({grouping}) HAVING count(*) >= ?))"
                    f" g{join}, _sl_k k",
                    [sigma],
                )

            # A slice with a sub-slice scoring at least as high is never reported, and all
            # of an evaluated slice's sub-slices are evaluated before it, so this set is
            # final once computed. Pruning must bound against the k-th best *reported*
            # slice: raw scores would let equal-score supersets of one strong slice fill
            # the top-k, raise the bound and prune a better slice that is reported.
            reported = (
                f"WITH anc AS (SELECT s.key, s.score, unnest(CASE s.level"
                f" WHEN 2 THEN [s.p1, s.p2]"
                f" WHEN 3 THEN [s.p1, s.p2, s.p3, s.p1 * {K} + s.p2, s.p1 * {K} + s.p3,"
                f" s.p2 * {K} + s.p3] ELSE []::BIGINT[] END) AS akey FROM _sl_s s),"
                " beaten AS (SELECT DISTINCT anc.key FROM anc JOIN _sl_s p ON p.key = anc.akey"
                " WHERE p.score >= anc.score)"
                " SELECT s.level, s.p1, s.p2, s.p3, s.ss AS size, s.se AS errors,"
                " s.sm AS max_error, s.score FROM _sl_s s"
                " WHERE s.score > 0 AND s.key NOT IN (SELECT key FROM beaten)"
                " ORDER BY s.score DESC, s.level, s.key"
            )

            def threshold() -> float:
                rows = cur.execute(
                    f"{reported} LIMIT 1 OFFSET ?", [max(int(top_k), 1) - 1]
                ).fetchall()
                return max(rows[0][-1], 0.0) if rows else 0.0

            def ub(ss: str, se: str, sm: str) -> str:
                mid = f"greatest(least({se} / nullif({sm}, 0), {ss}), k.sig)"
                return "greatest(" + ", ".join(
                    score(s, f"least({s} * {sm}, {se})") for s in ("k.sig", mid, ss)
                ) + ")"

            evaluate(1, [(i,) for i in range(m)], only_candidates=False)
            for level in range(2, min(max_level, 3) + 1):
                th = threshold()
                cur.execute("DELETE FROM _sl_c")
                if level == 2:
                    cand = (
                        "SELECT a.p1 AS q1, b.p1 AS q2, NULL::BIGINT AS q3,"
                        " least(a.ss, b.ss) AS ss, least(a.se, b.se) AS se, least(a.sm, b.sm) AS sm"
                        " FROM _sl_s a JOIN _sl_s b ON a.level = 1 AND b.level = 1"
                        f" AND a.p1 // {P} < b.p1 // {P} WHERE a.se > 0 AND b.se > 0"
                    )
                    ckey = f"q1 * {K} + q2"
                else:
                    cand = (
                        "SELECT a.p1 AS q1, a.p2 AS q2, b.p2 AS q3,"
                        " least(a.ss, b.ss, c.ss) AS ss, least(a.se, b.se, c.se) AS se,"
                        " least(a.sm, b.sm, c.sm) AS sm"
                        " FROM _sl_s a JOIN _sl_s b ON a.level = 2 AND b.level = 2"
                        f" AND a.p1 = b.p1 AND a.p2 // {P} < b.p2 // {P}"
                        f" JOIN _sl_s c ON c.level = 2 AND c.key = a.p2 * {K} + b.p2"
                        " WHERE a.se > 0 AND b.se > 0 AND c.se > 0"
                    )
                    ckey = f"(q1 * {K} + q2) * {K} + q3"
                cur.execute(
                    f"INSERT INTO _sl_c SELECT {ckey}, {ub('x.ss', 'x.se', 'x.sm')} AS ub"
                    f" FROM ({cand}) x, _sl_k k WHERE x.ss >= k.sig"
                    f" AND {ub('x.ss', 'x.se', 'x.sm')} > ?",
                    [th],
                )
                qcols = ", ".join(
                    f"(key // {K ** (level - 1 - j)}) % {K} // {P} - 1 AS f{j}" for j in range(level)
                )
                sets = [
                    tuple(int(v) for v in r)
                    for r in cur.execute(f"SELECT DISTINCT {qcols} FROM _sl_c ORDER BY ALL").fetchall()
                ]
                if not sets:
                    break
                evaluate(level, sets, only_candidates=True)
            result = cur.execute(f"{reported} LIMIT ?", [max(int(top_k), 1)]).df()
            totals["evaluated"] = float(
                cur.execute("SELECT count(*) FROM _sl_s").fetchall()[0][0]
            )
            return result, totals
        finally:
            for t in ("_sl_enc", "_sl_k", "_sl_s", "_sl_c"):
                cur.execute(f"DROP TABLE IF EXISTS {t}")
