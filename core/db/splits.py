"""Splits: per-row train/dev/test assignments with the learning ladder, and the
set-based counts the split builder and the balance view need."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.db.datasets import ROW_ID
from core.errors import StoreError


@dataclass(frozen=True)
class SplitRow:
    id: int
    project_id: int
    dataset_id: int
    name: str
    method: str
    target: str | None
    params: dict[str, Any]
    content_hash: str
    n_train: int
    n_dev: int
    n_test: int
    created_at: datetime
    created_by: str


_SPLIT_COLS = (
        "id, project_id, dataset_id, name, method, target, params, content_hash,"
        " n_train, n_dev, n_test, created_at, created_by"
    )


def _split_row(r: tuple) -> SplitRow:
    values = list(r)
    values[6] = json.loads(values[6])  # params
    return SplitRow(*values)


def insert_split(db: Database, project_id: int,
    dataset_id: int,
    name: str,
    assignments: pd.DataFrame,
    *,
    method: str,
    target: str | None,
    params: dict[str, Any],
    actor: str,
) -> int:
    """Store a split: ``assignments`` has ``row_id``, ``part`` (train/dev/test), ``ladder``.

    ``ladder`` is, for a train row, the smallest learning-ladder share (e.g. 0.1) whose
    nested subset of train holds it; NULL for dev and test rows. The split's hash covers
    the dataset version and every assignment, so equal splits share a hash.
    """
    name = name.strip()
    if not name:
        raise StoreError("A split needs a name.")
    ds = datasets_db.get_dataset(db, dataset_id)
    if ds is None:
        raise StoreError("That dataset does not exist (any more).")
    frame = assignments[["row_id", "part", "ladder"]]

    def fill(cur: Any, sid: int) -> None:
        with registered(cur, _assign=frame):
            cur.execute(
                "INSERT INTO split_assignments SELECT ?, ?, row_id::BIGINT, part::VARCHAR,"
                " ladder::DOUBLE FROM _assign",
                [sid, project_id],
            )

    return _store_split(db, project_id, ds, name, fill, method=method, target=target,
                        params=params, actor=actor)


def _store_split(db: Database, project_id: int, ds: datasets_db.DatasetRow, name: str,
                 fill: Any, *, method: str, target: str | None, params: dict[str, Any],
                 actor: str) -> int:
    """One transaction: a new split id, ``fill(cur, sid)`` inserting its assignments, then
    its counts, content hash and catalog row."""
    name = name.strip()
    if not name:
        raise StoreError("A split needs a name.")
    with db.write(
        actor, "create", "split", project_id=project_id,
        detail={"name": name, "dataset": ds.name, "method": method},
    ) as (cur, audit):
        # checked inside the write: writes take turns, so no session takes the name between
        if cur.execute(
            "SELECT 1 FROM splits WHERE project_id = ? AND name = ?", [project_id, name]
        ).fetchall():
            raise StoreError(f"This project has a split named {name!r} already.")
        (sid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
        fill(cur, sid)
        counts = dict(
            cur.execute(
                "SELECT part, count(*) FROM split_assignments WHERE split_id = ? GROUP BY part",
                [sid],
            ).fetchall()
        )
        (h,) = cur.execute(
            "SELECT coalesce(sum(hash(row_id, part, ladder))::VARCHAR, '0')"
            " FROM split_assignments WHERE split_id = ?",
            [sid],
        ).fetchall()[0]
        digest = hashlib.sha256(f"{ds.content_hash}:{h}".encode()).hexdigest()[:16]
        cur.execute(
            f"INSERT INTO splits ({_SPLIT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sid, project_id, ds.id, name, method, target, json.dumps(params, default=str),
             digest, counts.get("train", 0), counts.get("dev", 0), counts.get("test", 0),
             utcnow(), actor],
        )
        audit["entity_id"] = sid
        audit["detail"]["hash"] = digest
    return int(sid)


def stratum_counts(db: Database, dataset_id: int, columns: list[str]) -> list[tuple]:
    """Rows per combination of ``columns``' values: (value, ..., rows), ordered by the
    values with NULL last -- the order :func:`set_assignment_sql` numbers strata in."""
    table = qident(datasets_db._dataset_table(db, dataset_id))
    if not columns:
        return [tuple(r) for r in db.rows(f"SELECT count(*) FROM {table}")]
    sel = ", ".join(f"{qident(c)} AS v{i}" for i, c in enumerate(columns))
    order = ", ".join(f"v{i} NULLS LAST" for i in range(len(columns)))
    return [tuple(r) for r in db.rows(
        f"SELECT {sel}, count(*) FROM {table} GROUP BY ALL ORDER BY {order}"
    )]


_ORDER = "__split_order"  # a temporary table of the cursor's own connection


@dataclass(frozen=True)
class AssignmentSql:
    """A set-based split as two statements: ``order`` writes every row's stratum and class
    to a temporary table sorted by (stratum, seeded hash), so a row's rank in its stratum
    is its position there less the stratum's start (values as literals: :func:`literal`);
    ``select`` reads ``row_id``, ``part`` and ``ladder`` from it (``$1`` the strata's
    starts, ``$2``/``$3`` the train and dev cuts by stratum, then each rung's quotas by
    class, all ``BIGINT[]``)."""

    order: str
    select: str


def set_assignment_sql(db: Database, dataset_id: int, columns: list[str], *, seed: int,
                       rungs: list[float], ladder_by_stratum: bool, strata: list[tuple]
                       ) -> AssignmentSql:
    """The statements of a stratified (or plain random) split, set-based: rows ranked within
    their stratum (the combination of ``columns``' values, numbered as
    :func:`stratum_counts` orders them; a class is the first column's value) by a seeded
    hash of the row id, cut at the per-stratum sizes given as parameters. The ladder ranks
    train rows by that same rank when ``ladder_by_stratum`` (strata are classes), else by
    a second seeded hash per class (a window function).

    DESIGN: one parallel sort into a temporary table, then positions: at 10M rows a
    ``row_number() OVER (PARTITION BY stratum ...)`` with two strata ran on one core per
    stratum and cost three times the sort.
    """
    table = qident(datasets_db._dataset_table(db, dataset_id))
    dtypes = dict(datasets_db.dataset_schema(db, dataset_id))
    seed = int(seed)
    if columns:
        # each value's place in its column's sorted values (NULL last), then the stratum of
        # the pair from a lookup. Literal lists: with the lists as parameters DuckDB 2.0
        # evaluated them per row (4x slower); a join's output sorted 4x slower too.
        lists = stratum_lookup(strata, len(columns))
        lit = [_literal_list(vs, dtypes[c]) for vs, c in zip(lists, columns, strict=False)]
        pos = [
            f"coalesce(list_position({lit[i]}, {qident(c)}), {len(lists[i]) + 1})"
            for i, c in enumerate(columns)
        ]
        code = (
            f"{pos[0]} - 1" if len(columns) == 1
            else f"{_literal_list(lists[2], 'BIGINT')}[({pos[0]} - 1) * {len(lists[1]) + 1}"
            f" + {pos[1]}]"
        )
        src = f"SELECT rowid AS row_id, {code} AS code, {pos[0]} - 1 AS cls FROM {table}"
    else:
        src = f"SELECT rowid AS row_id, 0 AS code, 0 AS cls FROM {table}"
    order_sql = (
        f"CREATE OR REPLACE TEMP TABLE {_ORDER} AS SELECT row_id, code, cls FROM ({src})"
        f" ORDER BY code, hash(row_id, {seed}), row_id"
    )
    lrk = ("rk" if ladder_by_stratum else
           f"row_number() OVER (PARTITION BY part, cls ORDER BY hash(row_id, {seed}, 1),"
           " row_id) - 1")
    ladder = " ".join(
        f"WHEN lrk < (${4 + j}::BIGINT[])[cls + 1] THEN {float(r)!r}"
        for j, r in enumerate(rungs)
    )
    select_sql = (
        "SELECT row_id, ['train', 'dev', 'test'][part + 1] AS part,"
        f" CASE WHEN part = 0 THEN CASE {ladder} END END::DOUBLE AS ladder FROM ("
        f" SELECT *, CASE WHEN part = 0 THEN {lrk} END AS lrk FROM ("
        " SELECT row_id, cls, rk, CASE WHEN rk < ($2::BIGINT[])[code + 1] THEN 0"
        " WHEN rk < ($3::BIGINT[])[code + 1] THEN 1 ELSE 2 END AS part FROM ("
        # inside a transaction a new table's row ids start at DuckDB's local offset
        f" SELECT row_id, code, cls, rowid - (SELECT min(rowid) FROM {_ORDER})"
        f" - ($1::BIGINT[])[code + 1] AS rk FROM {_ORDER})))"
    )
    return AssignmentSql(order_sql, select_sql)


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


def _literal_list(values: list[Any], dtype: str) -> str:
    lits = [literal(v) for v in values]
    if any(x is None for x in lits):
        raise StoreError("A stratum value cannot be written as a literal.")
    return f"([{', '.join(str(x) for x in lits)}]::{dtype}[])"


def literal_values(strata: list[tuple], n_columns: int) -> bool:
    """Whether every stratum value can be written as a literal (:func:`literal`)."""
    return all(r[i] is None or literal(r[i]) is not None for r in strata for i in range(n_columns))


def stratum_lookup(strata: list[tuple], n_columns: int) -> list[list[Any]]:
    """The parameters after the cuts for :func:`set_assignment_sql`: per column its sorted
    non-null values and, for two columns, each (place, place) pair's stratum number
    (-1 for a pair that does not occur), strata as :func:`stratum_counts` returns them."""
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


def run_assignment_sql(db: Database, sql: AssignmentSql, params: list[Any]) -> pd.DataFrame:
    """The assignments of a :func:`set_assignment_sql` split, in row-id order."""
    with db.cursor() as cur:
        cur.execute(sql.order)
        try:
            return cur.execute(f"SELECT * FROM ({sql.select}) ORDER BY row_id", params).df()
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {_ORDER}")


def insert_set_split(db: Database, project_id: int, dataset_id: int, name: str,
                     sql: AssignmentSql,
                     sql_params: list[Any], *, method: str, target: str | None,
                     params: dict[str, Any], actor: str) -> int:
    """Store a split whose assignments a query computes (:func:`set_assignment_sql`):
    ``INSERT ... SELECT`` in the store, no row leaves DuckDB."""
    ds = datasets_db.get_dataset(db, dataset_id)
    if ds is None:
        raise StoreError("That dataset does not exist (any more).")

    def fill(cur: Any, sid: int) -> None:
        cur.execute(sql.order)
        n = len(sql_params)
        cur.execute(
            f"INSERT INTO split_assignments SELECT ${n + 1}, ${n + 2}, row_id, part, ladder"
            f" FROM ({sql.select})",
            [*sql_params, sid, project_id],
        )
        cur.execute(f"DROP TABLE {_ORDER}")

    return _store_split(db, project_id, ds, name, fill, method=method, target=target,
                        params=params, actor=actor)


def list_splits(db: Database, project_id: int, dataset_id: int | None = None) -> list[SplitRow]:
    sql = f"SELECT {_SPLIT_COLS} FROM splits WHERE project_id = ?"
    params: list[Any] = [project_id]
    if dataset_id is not None:
        sql += " AND dataset_id = ?"
        params.append(dataset_id)
    return [_split_row(r) for r in db.rows(sql + " ORDER BY created_at, id", params)]


def get_split(db: Database, split_id: int) -> SplitRow | None:
    rows = db.rows(f"SELECT {_SPLIT_COLS} FROM splits WHERE id = ?", [split_id])
    return _split_row(rows[0]) if rows else None


def split_frame(db: Database, split_id: int,
    columns: list[str] | None = None,
    parts: list[str] | None = None,
    max_ladder: float | None = None,
) -> pd.DataFrame:
    """The split's rows with ``__row_id``, ``__part`` and ``__ladder`` and the asked columns.

    ``max_ladder`` keeps train rows on the ladder up to that share (dev/test untouched).
    """
    split = get_split(db, split_id)
    if split is None:
        raise StoreError("That split does not exist (any more).")
    table = datasets_db._dataset_table(db, split.dataset_id)
    cols = ", ".join(f"d.{qident(c)}" for c in columns) if columns else "d.*"
    sql = (
        f"SELECT a.row_id AS {ROW_ID}, a.part AS __part, a.ladder AS __ladder, {cols}"
        f" FROM split_assignments a JOIN {qident(table)} d ON d.rowid = a.row_id"
        " WHERE a.split_id = ?"
    )
    params: list[Any] = [split_id]
    if parts:
        sql += " AND a.part IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(parts))
    if max_ladder is not None:
        sql += " AND (a.part <> 'train' OR a.ladder <= ?)"
        params.append(float(max_ladder))
    return db.df(sql + " ORDER BY a.row_id", params)


def split_leakage(db: Database, split_id: int, columns: list[str]) -> dict[str, int]:
    """Dev/test rows whose values in ``columns`` equal some train row's: {part: rows}."""
    split = get_split(db, split_id)
    if split is None:
        raise StoreError("That split does not exist (any more).")
    if not columns:
        return {}
    table = qident(datasets_db._dataset_table(db, split.dataset_id))
    key = f"hash({', '.join(qident(c) for c in columns)})"
    rows = db.rows(
        f"WITH a AS (SELECT s.part, {key} AS k FROM split_assignments s"
        f" JOIN {table} d ON d.rowid = s.row_id WHERE s.split_id = ?),"
        " tr AS (SELECT DISTINCT k FROM a WHERE part = 'train')"
        " SELECT part, count(*) FROM a WHERE part <> 'train' AND k IN (SELECT k FROM tr)"
        " GROUP BY part ORDER BY part",
        [split_id],
    )
    return {p: int(n) for p, n in rows}


# --- the counts the split builder and the balance view need
def balance_counts(db: Database, dataset_id: int, column: str, limit: int | None = None
) -> list[tuple[Any, int]]:
    """``(value, rows)`` of one column, most frequent first (NULL is a value here)."""
    table = datasets_db._dataset_table(db, dataset_id)
    sql = (
        f"SELECT {qident(column)} AS v, count(*) AS n FROM {qident(table)}"
        " GROUP BY ALL ORDER BY n DESC, v NULLS LAST"
    )
    params: list[Any] = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [(v, int(n)) for v, n in db.rows(sql, params)]


def balance_by_annotator(db: Database, dataset_id: int, item: str, annotator: str, label: str
) -> pd.DataFrame:
    """Per annotator and label: labels given (``n``) and the annotator's items (``n_items``)."""
    table = datasets_db._dataset_table(db, dataset_id)
    a, lab, it = qident(annotator), qident(label), qident(item)
    return db.df(
        f"SELECT {a} AS annotator, {lab} AS label, count(*) AS n,"
        f" any_value(n_items) AS n_items"
        f" FROM {qident(table)} JOIN (SELECT {a} AS _a, count(DISTINCT {it}) AS n_items"
        f" FROM {qident(table)} GROUP BY ALL) ON _a IS NOT DISTINCT FROM {a}"
        " GROUP BY ALL ORDER BY 1, 2"
    )


def split_input_frame(db: Database, dataset_id: int, columns: list[str]) -> pd.DataFrame:
    """``__row_id`` and the given columns, in row-id order (a split's deterministic input)."""
    table = datasets_db._dataset_table(db, dataset_id)
    cols = "".join(f", {qident(c)}" for c in columns)
    return db.df(f"SELECT rowid AS {ROW_ID}{cols} FROM {qident(table)} ORDER BY rowid")


def split_distinct_counts(db: Database, dataset_id: int, columns: list[str]) -> dict[str, int]:
    """Approximate distinct values per column, in one scan."""
    if not columns:
        return {}
    table = datasets_db._dataset_table(db, dataset_id)
    exprs = ", ".join(f"approx_count_distinct({qident(c)})" for c in columns)
    row = db.rows(f"SELECT {exprs} FROM {qident(table)}")[0]
    return {c: int(n or 0) for c, n in zip(columns, row, strict=True)}


def split_time_quantiles(db: Database, dataset_id: int, column: str, probs: list[float]) -> list:
    """Quantiles (actual values) of a date/time column, e.g. to propose split cutoffs."""
    table = datasets_db._dataset_table(db, dataset_id)
    (qs,) = db.rows(
        f"SELECT quantile_disc({qident(column)}, ?::DOUBLE[]) FROM {qident(table)}",
        [list(probs)],
    )[0]
    return list(qs or [])


def split_column_quantiles(db: Database, dataset_id: int, column: str, probs: list[float]
) -> tuple[int, list[float | None]]:
    """Approximate distinct count and exact quantiles of a numeric column (finite values)."""
    table = datasets_db._dataset_table(db, dataset_id)
    c = qident(column)
    n, qs = db.rows(
        f"SELECT approx_count_distinct({c}), quantile_cont({c}::DOUBLE, ?::DOUBLE[])"
        f" FILTER (WHERE isfinite({c}::DOUBLE)) FROM {qident(table)}",
        [list(probs)],
    )[0]
    return int(n or 0), list(qs or [])


def split_value_counts(db: Database, split_id: int,
    column: str,
    edges: list[float] | None = None,
    by_month: bool = False,
) -> pd.DataFrame:
    """Rows per part and value of a column of the split's dataset (``part``, ``value``, ``n``).

    With ``edges`` the value is the bin index (``x < edges[0]`` is 0, NULL and NaN stay
    NULL); with ``by_month`` a date/time column counts per 'YYYY-MM'.
    """
    split = get_split(db, split_id)
    if split is None:
        raise StoreError("That split does not exist (any more).")
    table = datasets_db._dataset_table(db, split.dataset_id)
    x = f"d.{qident(column)}"
    params: list[Any] = []
    if edges is not None:
        whens = " ".join(f"WHEN {x} < ? THEN {i}" for i in range(len(edges)))
        value = (
            f"CASE WHEN {x} IS NULL OR isnan({x}::DOUBLE) THEN NULL {whens}"
            f" ELSE {len(edges)} END"
        )
        params += [float(e) for e in edges]
    elif by_month:
        value = f"strftime(date_trunc('month', {x}), '%Y-%m')"
    else:
        value = x
    return db.df(
        f"SELECT a.part AS part, {value} AS value, count(*) AS n"
        f" FROM split_assignments a JOIN {qident(table)} d ON d.rowid = a.row_id"
        " WHERE a.split_id = ? GROUP BY ALL ORDER BY 1, 2",
        [*params, split_id],
    )


def split_assignment_frame(db: Database, split_id: int) -> pd.DataFrame:
    """A split's assignments: row_id, part, ladder (by row id)."""
    return db.df(
        "SELECT row_id, part, ladder FROM split_assignments WHERE split_id = ? ORDER BY row_id",
        [split_id],
    )
