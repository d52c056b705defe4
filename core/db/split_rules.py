"""Stratified and random splits stored as a rule, not as one row per dataset row.

DESIGN
------
A set-based split (``core.data.split_sets``) ranks the rows of each stratum by a seeded
key and cuts the ranking at the per-stratum cell sizes; train rows take the first rung of
the learning ladder whose class quota covers their rank. Every row's part and rung is
therefore decided by comparing its key with a few thresholds per stratum: the key of the
row at each cut. Those thresholds, the stratum lookup and the seed are the *rule*, stored
in the split's ``params["rule"]``; readers compute each row's part from it
(:func:`rule_rows_sql`) instead of joining ten million stored assignments. At 10M rows
storing the assignments cost about six scans of the table (an ``INSERT`` of 10M rows);
finding the thresholds costs two passes over the stratum columns (:func:`find_cuts`).

* The key of row ``x`` (its ``rowid``) is ``fmix32((x mod 2^32) xor s) * 2^32 + (x mod
  2^32)``, ties broken by ``x``: ``fmix32`` is MurmurHash3's 32-bit finaliser and ``s`` a
  32-bit number derived from the seed (:func:`seed_word`). It is written out in SQL
  integer arithmetic, so a stored rule gives the same rows on every DuckDB version
  (DuckDB's ``hash`` is not promised to stay the same). ``fmix32`` is a bijection, so keys
  are distinct up to 2^32 rows.
* A cut at rank ``k`` of a stratum of ``n`` rows is the (key, row id) of the row with
  ``k`` rows before it (``k = n``: past every row). One pass counts the rows per stratum
  and key bucket (the top 6-12 bits of the key: a small hash table); a second reads only
  the rows of the buckets that hold a cut (about ``n / 2^12`` rows each) and picks the
  cut among them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.db import datasets as datasets_db
from core.db.database import Database, qident
from core.errors import StoreError

_W32 = 1 << 32
_C1, _C2 = 0x85EBCA6B, 0xC2B2AE35  # MurmurHash3 fmix32 multipliers
PAST_ALL: tuple[int, int] = (_W32 * _W32 - 1, (1 << 63) - 1)  # a cut past every row


def seed_word(seed: int, salt: int = 0) -> int:
    """A 32-bit number from a seed and a salt (0: parts, 1: the ladder of a second key)."""
    return int(fmix32_py((int(seed) * 0x9E3779B9 + salt * 0x7F4A7C15 + 0x632BE5AB) % _W32))


def fmix32_py(h: int) -> int:
    """MurmurHash3's 32-bit finaliser (reference for the SQL form)."""
    h ^= h >> 16
    h = (h * _C1) % _W32
    h ^= h >> 13
    h = (h * _C2) % _W32
    return h ^ (h >> 16)


def keys_numpy(row_ids: np.ndarray, seed: int, salt: int = 0) -> np.ndarray:
    """The keys of ``row_ids`` as :func:`key_sql` computes them (uint64; tests, previews)."""
    x = np.asarray(row_ids, dtype=np.uint64) % np.uint64(_W32)
    h = x ^ np.uint64(seed_word(seed, salt))
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(_C1)) % np.uint64(_W32)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(_C2)) % np.uint64(_W32)
    h ^= h >> np.uint64(16)
    return h * np.uint64(_W32) + x


def key_sql(x: str, seed: int, salt: int = 0) -> str:
    """SQL of the key of row id expression ``x`` (UBIGINT; see the module's DESIGN)."""
    mask = _W32 - 1
    lo = f"({x}::UBIGINT & {mask})"
    h = f"xor({lo}, {seed_word(seed, salt)})"
    h = f"(xor({h}, {h} >> 16) * {_C1} & {mask})"
    h = f"(xor({h}, {h} >> 13) * {_C2} & {mask})"
    return f"(xor({h}, {h} >> 16) << 32 | {lo})"


def literal(v: Any) -> str | None:
    """A value as a SQL literal, for the types a class label has (text, whole numbers,
    finite floats, booleans); None for anything else.

    >>> literal("it's"), literal(3), literal(True), literal(float("nan")), literal(b"x")
    ("'it''s'", '3', 'TRUE', None, None)
    """
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else None
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return None


def literal_list(values: list[Any], dtype: str) -> str:
    """A typed SQL list of literal values; StoreError when one cannot be written."""
    lits = [literal(v) for v in values]
    if any(x is None for x in lits):
        raise StoreError("A stratum value cannot be written as a literal.")
    return f"([{', '.join(str(x) for x in lits)}]::{dtype}[])"


def literal_values(strata: list[tuple], n_columns: int) -> bool:
    """Whether every stratum value can be written as a literal (:func:`literal`)."""
    return all(r[i] is None or literal(r[i]) is not None for r in strata for i in range(n_columns))


def stratum_lookup(strata: list[tuple], n_columns: int) -> list[list[Any]]:
    """Per column its sorted non-null values and, for two columns, each (place, place)
    pair's stratum number (-1 for a pair that does not occur), strata as
    ``core.db.splits.stratum_counts`` returns them (values sorted, NULL last)."""
    values = [list(dict.fromkeys(r[i] for r in strata if r[i] is not None)) for i in range(n_columns)]
    if n_columns < 2:
        return values
    width = len(values[1]) + 1
    place = [{v: k + 1 for k, v in enumerate(vs)} for vs in values]
    lookup = [-1] * ((len(values[0]) + 1) * width)
    for code, r in enumerate(strata):
        p0 = place[0].get(r[0], len(values[0]) + 1) if r[0] is not None else len(values[0]) + 1
        p1 = place[1].get(r[1], width) if r[1] is not None else width
        lookup[(p0 - 1) * width + p1 - 1] = code
    return [*values, lookup]


def stratum_exprs(dtypes: dict[str, str], columns: list[str], lists: list[list[Any]]
                  ) -> tuple[str, str]:
    """SQL of a row's stratum number and class (the first column's value's place; NULL
    last) from :func:`stratum_lookup`'s lists. Literal lists: as parameters DuckDB 2.0
    evaluated them per row (4x slower)."""
    if not columns:
        return "0", "0"
    if len(columns) > 2 or any(c not in dtypes for c in columns):
        raise StoreError("The split's columns are not in its dataset (any more).")
    lit = [literal_list(vs, dtypes[c]) for vs, c in zip(lists, columns, strict=False)]
    pos = [
        f"coalesce(list_position({lit[i]}, {qident(c)}), {len(lists[i]) + 1})"
        for i, c in enumerate(columns)
    ]
    if len(columns) == 1:
        return f"({pos[0]} - 1)", f"({pos[0]} - 1)"
    lookup = literal_list([int(v) for v in lists[2]], "BIGINT")
    return f"{lookup}[({pos[0]} - 1) * {len(lists[1]) + 1} + {pos[1]}]", f"({pos[0]} - 1)"


def _below(key: str, x: str, cut: tuple[str, str]) -> str:
    """Whether (key, x) comes before the cut (two SQL expressions)."""
    return f"({key} < {cut[0]} OR ({key} = {cut[0]} AND {x} < {cut[1]}))"


def _cut_lists(cuts: list[list[int]]) -> tuple[str, str]:
    keys = ", ".join(str(int(k)) for k, _ in cuts)
    rows = ", ".join(str(int(r)) for _, r in cuts)
    return f"([{keys}]::UBIGINT[])", f"([{rows}]::BIGINT[])"


def _cut_at(cuts: list[list[int]], index: str) -> tuple[str, str]:
    k, r = _cut_lists(cuts)
    return f"{k}[{index} + 1]", f"{r}[{index} + 1]"


def rule_rows_sql(db: Database, dataset_id: int, rule: dict[str, Any]) -> str:
    """A relation of every row of the dataset with ``__row_id``, ``__part``, ``__ladder``
    and the dataset's columns, parts and rungs computed from ``rule``."""
    table = qident(datasets_db._dataset_table(db, dataset_id))
    code, cls = stratum_exprs(dict(datasets_db.dataset_schema(db, dataset_id)),
                              list(rule["columns"]), rule["lists"])
    key = key_sql("rowid", rule["seed"])
    inner = f"SELECT rowid AS __x, {code} AS __code, {cls} AS __cls, {key} AS __k"
    if not rule["ladder_by_stratum"]:
        inner += f", {key_sql('rowid', rule['seed'], 1)} AS __k2"
    inner += f", * FROM {table}"
    train = _below("__k", "__x", _cut_at(rule["train"], "__code"))
    dev = _below("__k", "__x", _cut_at(rule["dev"], "__code"))
    lkey = "__k" if rule["ladder_by_stratum"] else "__k2"
    lidx = "__code" if rule["ladder_by_stratum"] else "__cls"
    rungs = " ".join(
        f"WHEN {_below(lkey, '__x', _cut_at(cuts, lidx))} THEN {float(r)!r}"
        for r, cuts in zip(rule["rungs"], rule["rung_cuts"], strict=True)
    )
    return (
        "SELECT __x AS __row_id, CASE WHEN __t THEN 'train' WHEN __d THEN 'dev' ELSE 'test'"
        f" END AS __part, CASE WHEN __t THEN CASE {rungs} END END::DOUBLE AS __ladder,"
        " * EXCLUDE (__x, __code, __cls, __k, __t, __d"
        f"{'' if rule['ladder_by_stratum'] else ', __k2'})"
        f" FROM (SELECT {train} AS __t, {dev} AS __d, * FROM ({inner}))"
    )


def find_cuts(
    db: Database,
    source: str,
    columns: list[str],
    group: str,
    key: str,
    sizes: list[int],
    ranks: list[list[int]],
) -> list[list[list[int]]]:
    """For each group ``g`` (0..len(sizes)-1: the SQL expression ``group`` of the
    ``columns`` of the relation ``source``, whose rows have ids ``__x`` and keys ``key``)
    and each rank ``k`` of ``ranks[g]``, the cut (key, row id) before which exactly ``k``
    rows of the group come. Returns ``cuts[j][g]`` for the j-th rank of every group.

    Two passes: rows per group and key bucket (the raw columns grouped first, the group
    computed on the groups), then only the rows of the buckets holding a cut."""
    m = len(ranks[0]) if ranks else 0
    out: list[list[list[int]]] = [[list(PAST_ALL) for _ in sizes] for _ in range(m)]
    if m == 0 or not sizes:
        return out
    bits = min(12, max(6, int(math.log2(max(1, 16_384 // len(sizes))))))
    shift, width = 64 - bits, 1 << bits
    cols = "".join(f"{qident(c)}, " for c in columns)
    hist = np.zeros((len(sizes), width), dtype=np.int64)
    for g, b, n in db.rows(
        f"SELECT {group}, b, n FROM (SELECT {cols}{key} >> {shift} AS b, count(*) AS n"
        f" FROM ({source}) GROUP BY ALL)"
    ):
        if g is not None and 0 <= int(g) < len(sizes):
            hist[int(g), int(b)] += int(n)
    cum = np.cumsum(hist, axis=1)
    wanted: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for g, n in enumerate(sizes):
        for j, k in enumerate(ranks[g]):
            if k >= n or k >= cum[g, -1]:
                continue
            if k <= 0:
                out[j][g] = [0, -1]  # before every row
                continue
            b = int(np.searchsorted(cum[g], k, side="right"))
            below = int(cum[g, b - 1]) if b else 0
            wanted.setdefault((g, b), []).append((j, k - below))
    if not wanted:
        return out
    pairs = ", ".join(str(g * width + b) for g, b in wanted)
    buckets = ", ".join(str(b) for b in sorted({b for _, b in wanted}))
    found: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for g, k, x in db.rows(
        f"SELECT g, k, x FROM (SELECT {group} AS g, k, x FROM (SELECT {cols}{key} AS k,"
        f" __x AS x FROM ({source})) WHERE k >> {shift} IN ({buckets}))"
        f" WHERE g * {width} + (k >> {shift}) IN ({pairs})"
    ):
        found.setdefault((int(g), int(k) >> shift), []).append((int(k), int(x)))
    for (g, b), cuts in wanted.items():
        rows = sorted(found.get((g, b), []))
        for j, offset in cuts:
            out[j][g] = list(rows[offset])
    return out


def build_rule(
    db: Database,
    dataset_id: int,
    columns: list[str],
    strata: list[tuple],
    *,
    seed: int,
    cells: np.ndarray,
    cls: np.ndarray,
    quotas: list[np.ndarray],
    rungs: list[float],
) -> dict[str, Any]:
    """The rule of a set-based split: the strata of ``columns`` (``strata`` as
    ``stratum_counts`` returns them, each stratum's class ``cls``), the cells (rows of each
    stratum per part) and the ladder's quotas (per rung, train rows per class). Strata are
    classes (at most one column): rungs rank train rows by the part key; else by a second
    key within their class."""
    table = qident(datasets_db._dataset_table(db, dataset_id))
    dtypes = dict(datasets_db.dataset_schema(db, dataset_id))
    lists = stratum_lookup(strata, len(columns))
    code, klass = stratum_exprs(dtypes, columns, lists)
    by_stratum = len(columns) <= 1
    key = key_sql("__x", seed)
    sizes = [int(r[-1]) for r in strata]
    ranks = []
    for s in range(len(strata)):
        r = [int(cells[s, 0]), int(cells[s, 0] + cells[s, 1])]
        ranks.append(r + ([int(q[cls[s]]) for q in quotas] if by_stratum else []))
    source = f"SELECT rowid AS __x, * FROM {table}"
    cuts = find_cuts(db, source, columns, code, key, sizes, ranks)
    if by_stratum:
        rung_cuts = cuts[2:]
    else:
        n_cls = int(cls.max()) + 1
        train_sizes = np.bincount(cls, weights=cells[:, 0], minlength=n_cls).astype(int)
        train = _below(key, "__x", _cut_at(cuts[0], code))
        source2 = f"SELECT * FROM ({source}) WHERE {train}"
        ranks2 = [[int(q[c]) for q in quotas] for c in range(n_cls)]
        rung_cuts = find_cuts(db, source2, columns, klass, key_sql("__x", seed, 1),
                              train_sizes.tolist(), ranks2)
    return {
        "kind": "ranked cuts",
        "version": 1,
        "seed": int(seed),
        "columns": list(columns),
        "lists": lists,
        "train": cuts[0],
        "dev": cuts[1],
        "rungs": [float(r) for r in rungs],
        "rung_cuts": rung_cuts,
        "ladder_by_stratum": by_stratum,
    }
