"""Splits: train/dev/test assignments with the learning ladder -- stored per row, or
decided by a stored rule (``core.db.split_rules``) -- and the set-based counts the split
builder and the balance view need."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db import split_rules
from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.db.datasets import ROW_ID
from core.db.rows import refuse_taken_name, require, select_list, typed_row, where_equal
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


_SPLIT_COLS = select_list(SplitRow)


def _split_row(r: tuple) -> SplitRow:
    return typed_row(SplitRow, r, ("params",))


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
    ds = datasets_db.require_dataset(db, dataset_id)
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
                 actor: str, known: tuple[dict[str, int], str] | None = None) -> int:
    """One transaction: a new split id, ``fill(cur, sid)`` inserting its assignments, then
    its counts, content hash and catalog row (``known``: the counts and hash of a split
    without assignment rows)."""
    name = name.strip()
    if not name:
        raise StoreError("A split needs a name.")
    with db.write(
        actor, "create", "split", project_id=project_id,
        detail={"name": name, "dataset": ds.name, "method": method},
    ) as (cur, audit):
        refuse_taken_name(cur, "splits", "split", project_id, name)
        (sid,) = cur.execute("SELECT nextval('id_seq')").fetchall()[0]
        if known is not None:
            counts, digest = known
        else:
            fill(cur, sid)
            counts, digest = _counts_and_hash(cur, sid, ds.content_hash)
        cur.execute(
            f"INSERT INTO splits ({_SPLIT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sid, project_id, ds.id, name, method, target, json.dumps(params, default=str),
             digest, counts.get("train", 0), counts.get("dev", 0), counts.get("test", 0),
             utcnow(), actor],
        )
        audit["entity_id"] = sid
        audit["detail"]["hash"] = digest
    return int(sid)


def _counts_and_hash(cur: Any, sid: int, dataset_hash: str) -> tuple[dict[str, int], str]:
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
    return counts, hashlib.sha256(f"{dataset_hash}:{h}".encode()).hexdigest()[:16]


def stratum_counts(db: Database, dataset_id: int, columns: list[str]) -> list[tuple]:
    """Rows per combination of ``columns``' values: (value, ..., rows), ordered by the
    values with NULL last -- the order ``split_rules.stratum_lookup`` numbers strata in."""
    table = qident(datasets_db._dataset_table(db, dataset_id))
    if not columns:
        return [tuple(r) for r in db.rows(f"SELECT count(*) FROM {table}")]
    sel = ", ".join(f"{qident(c)} AS v{i}" for i, c in enumerate(columns))
    order = ", ".join(f"v{i} NULLS LAST" for i in range(len(columns)))
    return [tuple(r) for r in db.rows(
        f"SELECT {sel}, count(*) FROM {table} GROUP BY ALL ORDER BY {order}"
    )]


def insert_rule_split(db: Database, project_id: int, dataset_id: int, name: str,
                      rule: dict[str, Any], counts: dict[str, int], *, method: str,
                      target: str | None, params: dict[str, Any], actor: str) -> int:
    """Store a split whose rows' parts a rule decides (``core.db.split_rules``): the rule
    goes into its parameters, no assignment row is written. Its hash covers the dataset
    version and the rule (which decides every assignment)."""
    ds = datasets_db.require_dataset(db, dataset_id)
    digest = hashlib.sha256(
        f"{ds.content_hash}:rule:{json.dumps(rule, sort_keys=True, default=str)}".encode()
    ).hexdigest()[:16]
    return _store_split(db, project_id, ds, name, None, method=method, target=target,
                        params={**params, "rule": rule}, actor=actor,
                        known=(counts, digest))


def rule_assignment_frame(db: Database, dataset_id: int, rule: dict[str, Any]) -> pd.DataFrame:
    """The assignments (row_id, part, ladder; by row id) a rule gives (a split's preview)."""
    return db.df(
        "SELECT __row_id AS row_id, __part AS part, __ladder AS ladder"
        f" FROM ({split_rules.rule_rows_sql(db, dataset_id, rule)}) ORDER BY row_id"
    )


def split_rows_sql(db: Database, split: SplitRow) -> tuple[str, list[Any]]:
    """A relation of the split's rows -- ``__row_id``, ``__part``, ``__ladder`` and the
    dataset's columns -- and its parameters: from the split's rule, or its stored rows."""
    rule = split.params.get("rule")
    if isinstance(rule, dict):
        return split_rules.rule_rows_sql(db, split.dataset_id, rule), []
    table = qident(datasets_db._dataset_table(db, split.dataset_id))
    return (
        "SELECT a.row_id AS __row_id, a.part AS __part, a.ladder AS __ladder, d.*"
        f" FROM split_assignments a JOIN {table} d ON d.rowid = a.row_id"
        " WHERE a.split_id = ?",
        [split.id],
    )


def require_split(db: Database, split_id: int) -> SplitRow:
    """The split, or StoreError when it does not exist (any more)."""
    return require(get_split(db, split_id), "split")


def list_splits(db: Database, project_id: int, dataset_id: int | None = None) -> list[SplitRow]:
    sql, params = where_equal(
        f"SELECT {_SPLIT_COLS} FROM splits WHERE project_id = ?", [project_id],
        dataset_id=dataset_id,
    )
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
    split = require_split(db, split_id)
    rows, params = split_rows_sql(db, split)
    cols = (
        ", ".join(f"s.{qident(c)}" for c in columns) if columns
        else "s.* EXCLUDE (__row_id, __part, __ladder)"
    )
    sql = (
        f"SELECT s.__row_id AS {ROW_ID}, s.__part AS __part, s.__ladder AS __ladder, {cols}"
        f" FROM ({rows}) s WHERE TRUE"
    )
    if parts:
        sql += " AND s.__part IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(parts))
    if max_ladder is not None:
        sql += " AND (s.__part <> 'train' OR s.__ladder <= ?)"
        params.append(float(max_ladder))
    return db.df(sql + " ORDER BY s.__row_id", params)


def split_leakage(db: Database, split_id: int, columns: list[str]) -> dict[str, int]:
    """Dev/test rows whose values in ``columns`` equal some train row's: {part: rows}."""
    split = require_split(db, split_id)
    if not columns:
        return {}
    source, params = split_rows_sql(db, split)
    key = f"hash({', '.join(qident(c) for c in columns)})"
    rows = db.rows(
        f"WITH a AS (SELECT __part AS part, {key} AS k FROM ({source})),"
        " tr AS (SELECT DISTINCT k FROM a WHERE part = 'train')"
        " SELECT part, count(*) FROM a WHERE part <> 'train' AND k IN (SELECT k FROM tr)"
        " GROUP BY part ORDER BY part",
        params,
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
    split = require_split(db, split_id)
    source, sparams = split_rows_sql(db, split)
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
        f"SELECT d.__part AS part, {value} AS value, count(*) AS n"
        f" FROM ({source}) d GROUP BY ALL ORDER BY 1, 2",
        [*params, *sparams],
    )


def split_assignment_frame(db: Database, split_id: int) -> pd.DataFrame:
    """A split's assignments: row_id, part, ladder (by row id)."""
    split = require_split(db, split_id)
    source, params = split_rows_sql(db, split)
    return db.df(
        "SELECT __row_id AS row_id, __part AS part, __ladder AS ladder"
        f" FROM ({source}) ORDER BY row_id",
        params,
    )
