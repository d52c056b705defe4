"""Error analysis: the slice base (a run's predictions joined to its rows, or a frame),
integer-coded columns, per-slice aggregates, slice rows, tags, actions, discoveries."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import duckdb
import pandas as pd

from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.clock import utcnow
from core.db.database import Database, qident, registered
from core.db.datasets import ROW_ID
from core.db.rows import select_list, typed_row, where_equal
from core.errors import StoreError


class SliceBase(Protocol):
    """What the repository reads of a slice source (``core.analysis.SliceSource``): an
    in-memory ``frame`` (a pyarrow table), or a run's ``part`` on its ``dataset_id``."""

    @property
    def frame(self) -> Any: ...
    @property
    def run_id(self) -> int | None: ...
    @property
    def part(self) -> str | None: ...
    @property
    def dataset_id(self) -> int | None: ...
    @property
    def project_id(self) -> int | None: ...
    @property
    def tag_datasets(self) -> tuple[int, ...]: ...
    @property
    def positive_class(self) -> str | None: ...
    @property
    def regression(self) -> bool: ...


@dataclass(frozen=True)
class SliceActionRow:
    """A ``slice_actions`` row, its JSON columns (``slice``, ``evidence``) decoded."""

    id: int
    project_id: int
    run_id: int | None
    label: str
    slice: list[dict[str, Any]]
    action: str
    note: str
    status: str
    evidence: dict[str, Any]
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    closed_by: str | None


@dataclass(frozen=True)
class DiscoveryRow:
    """A stored slice discovery: its inputs, statistics and top-k (``slice`` decoded)."""

    id: int
    params: dict[str, Any]
    stats: dict[str, Any]
    created_at: datetime
    created_by: str
    slices: pd.DataFrame  # rank, label, level, slice, size, errors, error_rate, score


_ACTION_COLS = select_list(SliceActionRow)
_SLICE_BASE_COLS = {"__rid", "__y", "__yhat", "__score", "__err", "__pos", "__pred_pos"}


@contextmanager
def slice_cursor(
    db: Database, source: SliceBase, columns: list[str]
) -> Iterator[tuple[Any, str, list]]:
    """A cursor with the slice base's SQL and parameters (a frame is registered on it).

    The base has the row id ``__rid``, ``__y``, ``__yhat``, ``__score``, the row's error
    ``__err`` (0/1, or the squared error of a regression), ``__pos`` and ``__pred_pos``
    (truth and prediction are the positive class), then ``columns``.
    """
    for c in columns:
        if c.startswith("__"):
            raise StoreError(f"Column {c!r}: names starting with '__' are reserved.")
    cols = "".join(f", d.{qident(c)}" for c in columns)
    frames = {} if source.frame is None else {"_sl_frame": source.frame}
    with db.cursor() as cur, registered(cur, **frames):
        if source.frame is not None:
            frm = (
                "SELECT d.row_id::BIGINT AS __rid, d.y_true::VARCHAR AS __y,"
                f" d.y_pred::VARCHAR AS __yhat, d.score::DOUBLE AS __score{cols} FROM _sl_frame d"
            )
            params: list[Any] = []
        else:
            frm = (
                "SELECT p.row_id AS __rid, p.y_true AS __y, p.y_pred AS __yhat,"
                f" p.score AS __score{cols} FROM predictions p"
                f" JOIN {qident(_run_table(db, source))} d ON d.rowid = p.row_id"
                " WHERE p.run_id = ? AND p.part = ?"
            )
            params = [int(source.run_id or 0), source.part]
        if source.regression:
            err = "(TRY_CAST(__y AS DOUBLE) - TRY_CAST(__yhat AS DOUBLE)) ** 2"
        else:
            err = "(__y IS DISTINCT FROM __yhat)::DOUBLE"
        sql = (
            f"SELECT *, {err} AS __err, coalesce(__y = ?, FALSE) AS __pos,"
            f" coalesce(__yhat = ?, FALSE) AS __pred_pos FROM ({frm}) b"
        )
        try:
            yield cur, sql, [source.positive_class, source.positive_class, *params]
        except duckdb.Error as exc:
            raise StoreError(f"The slice query failed: {str(exc).splitlines()[0]}") from exc


def _run_table(db: Database, source: SliceBase) -> str:
    """The table of the dataset the source's run was trained on."""
    if source.dataset_id is None:
        raise StoreError("That run does not exist (any more) or has no dataset.")
    return datasets_db._dataset_table(db, source.dataset_id)


def code_sql(spec: tuple[str, str, list]) -> tuple[str, list]:
    """SQL (and params) of a column's integer code; ``spec`` is (column, kind, values|edges).

    0 is missing; a "num" column's bins are 1..len(edges)+1; a "cat" or "month" column's
    listed values are 1..len(values) and every other value is len(values)+1.
    """
    col, kind, arg = spec
    c = qident(col)
    if kind == "num":
        terms = "".join(f" + ({c}::DOUBLE >= ?)::INTEGER" for _ in arg)
        return (
            f"(CASE WHEN {c} IS NULL OR isnan({c}::DOUBLE) THEN 0 ELSE 1{terms} END)",
            [float(e) for e in arg],
        )
    value = f"strftime({c}, '%Y-%m')" if kind == "month" else f"{c}::VARCHAR"
    return (
        f"(CASE WHEN {c} IS NULL THEN 0"
        f" ELSE coalesce(list_position(?::VARCHAR[], {value}), ?) END)",
        [[str(v) for v in arg], len(arg) + 1],
    )


def _slice_where(
    preds: list[dict[str, Any]], rid: str, project_id: int | None, tag_datasets: tuple
) -> tuple[str, list]:
    """A conjunction of stored predicates (``core.analysis.ColumnSpec.predicate``) as SQL."""
    parts, params = ["TRUE"], []
    for p in preds:
        op = p.get("op")
        c = qident(p.get("column", ""))
        if op == "tag":
            parts.append(
                f"{rid} IN (SELECT row_id FROM slice_tags WHERE project_id = ? AND tag = ?"
                " AND dataset_id IN (SELECT unnest(?::BIGINT[])))"
            )
            params += [project_id, p["value"], [int(d) for d in tag_datasets]]
        elif op == "missing":
            parts.append(
                f"({c} IS NULL OR isnan({c}::DOUBLE))" if p.get("numeric") else f"{c} IS NULL"
            )
        elif op == "eq":
            parts.append(f"{c}::VARCHAR = ?")
            params.append(str(p["value"]))
        elif op == "month":
            parts.append(f"strftime({c}, '%Y-%m') = ?")
            params.append(str(p["value"]))
        elif op == "other":
            parts.append(f"({c} IS NOT NULL AND NOT list_contains(?::VARCHAR[], {c}::VARCHAR))")
            params.append([str(v) for v in p.get("values", [])])
        elif op == "range":
            parts.append(f"({c} IS NOT NULL AND NOT isnan({c}::DOUBLE))")
            if p.get("lo") is not None:
                parts.append(f"{c}::DOUBLE >= ?")
                params.append(float(p["lo"]))
            if p.get("hi") is not None:
                parts.append(f"{c}::DOUBLE < ?")
                params.append(float(p["hi"]))
        else:
            raise StoreError(f"Unknown slice predicate {op!r}.")
    return " AND ".join(parts), params


def slice_columns(db: Database, source: SliceBase) -> list[tuple[str, str]]:
    """Columns (name, DuckDB type) available to slice the source by."""
    if source.frame is not None:
        names = [
            c for c in source.frame.column_names if c not in ("row_id", "y_true", "y_pred", "score")
        ]
    else:
        if source.dataset_id is None:
            raise StoreError("That run does not exist (any more) or has no dataset.")
        names = [n for n, _ in datasets_db.dataset_schema(db, source.dataset_id)]
    with slice_cursor(db, source, names) as (cur, base, params):
        rows = cur.execute(f"DESCRIBE SELECT * FROM ({base}) LIMIT 0", params).fetchall()
    return [(r[0], r[1]) for r in rows if r[0] not in _SLICE_BASE_COLS]


def slice_column_stats(
    db: Database,
    source: SliceBase,
    numeric: list[str],
    other: list[str],
    months: Sequence[str] = (),
    top: int = 30,
    quantiles: tuple[float, ...] = (),
    max_distinct: int = 10,
) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """Rows; per column n_null, n_distinct (approximate; and min, max, quantiles for
    ``numeric``) in one scan; then the ``top`` most frequent values (as text, with
    counts) of text columns, of months of ``months`` and of numeric columns with at
    most ``max_distinct`` values. Columns with a value per row get no top values."""
    cols = [*numeric, *other, *months]
    with slice_cursor(db, source, cols) as (cur, base, params):
        # straight from the base: materialising it first costs more than rescanning
        src = f"({base}) _sl_stat"
        exprs, qparams = ["count(*)"], []
        for c in cols:
            q = qident(c)
            if c in numeric:
                v = f"(CASE WHEN isnan({q}::DOUBLE) THEN NULL ELSE {q}::DOUBLE END)"
                exprs += [
                    f"count(*) - count({v})",
                    f"approx_count_distinct({v})",
                    f"min({v})",
                    f"max({v})",
                ]
                if quantiles:
                    exprs.append(f"quantile_cont({v}, ?::DOUBLE[])")
                    qparams.append(list(quantiles))
                else:
                    exprs.append("NULL")
            else:
                exprs += [
                    f"count(*) - count({q})",
                    f"approx_count_distinct({q})",
                    "NULL",
                    "NULL",
                    "NULL",
                ]
        row = cur.execute(f"SELECT {', '.join(exprs)} FROM {src}", [*qparams, *params]).fetchall()[
            0
        ]
        n = int(row[0])
        stats = [(c, *row[1 + 5 * i : 6 + 5 * i]) for i, c in enumerate(cols)]
        tops = []
        for c, _, n_distinct, *_rest in stats:
            if (c in numeric and n_distinct > max_distinct) or (
                c in other and n_distinct > 0.5 * n > 10
            ):
                continue
            q = f"strftime({qident(c)}, '%Y-%m')" if c in months else f"{qident(c)}::VARCHAR"
            tops += [
                (c, *r)
                for r in cur.execute(
                    f"SELECT {q} AS v, count(*) AS n FROM {src} WHERE {qident(c)} IS NOT NULL"
                    " GROUP BY 1 ORDER BY n DESC, v LIMIT ?",
                    [*params, top],
                ).fetchall()
            ]
    stat_df = pd.DataFrame(
        stats, columns=["column", "n_null", "n_distinct", "min", "max", "quantiles"]
    )
    top_df = pd.DataFrame(tops, columns=["column", "value", "n"])
    return n, stat_df, top_df


# per-slice counts of the rows of ``long`` (one row per slice a base row falls in)
_AGGREGATES = (
    "agg AS (SELECT col, code, tag, count(*) AS n, sum(__err) AS err,"
    " sum(__pos::INTEGER) AS pos, sum(__pred_pos::INTEGER) AS pred_pos,"
    " sum((__pos AND __pred_pos)::INTEGER) AS tp, sum(__score) AS sum_score,"
    " sum((__score - __pos::INTEGER) ** 2) AS brier_sum,"
    " -sum(CASE WHEN __pos THEN ln(greatest(__score, 1e-15))"
    " ELSE ln(greatest(1 - __score, 1e-15)) END) AS logloss_sum,"
    " sum(sqrt(__err)) AS abs_err_sum, count(__score) AS n_score,"
    " sum(__v) AS v_sum, count(__v) AS v_n, sum(__vp) AS vp_sum,"
    " sum(CASE WHEN __pos THEN __vp END) AS vtp_sum,"
    " count(CASE WHEN __pos THEN __v END) AS vpos_n"
    " FROM long GROUP BY ALL)"
)
# ROC AUC per slice by the rank-sum (Mann-Whitney U) formula, ties at their mean rank
_WITH_AUC = (
    ", ranked AS (SELECT col, code, tag, __pos, (rank() OVER w + count(*) OVER w)"
    " / 2.0 AS rk FROM long WHERE __score IS NOT NULL"
    " WINDOW w AS (PARTITION BY col, code, tag ORDER BY __score)),"
    " auc AS (SELECT col, code, tag, sum(CASE WHEN __pos THEN rk END) AS rsum,"
    " sum(__pos::INTEGER) AS np, count(*) - sum(__pos::INTEGER) AS nn"
    " FROM ranked GROUP BY ALL)"
    " SELECT agg.*, CASE WHEN auc.np > 0 AND auc.nn > 0 THEN"
    " (auc.rsum - auc.np * (auc.np + 1) / 2.0) / (auc.np * auc.nn) END AS auc"
    " FROM agg LEFT JOIN auc ON agg.col = auc.col AND agg.code = auc.code"
    " AND agg.tag IS NOT DISTINCT FROM auc.tag"
)
_KEEP = "__rid, __y, __yhat, __score, __err, __pos, __pred_pos, __v, __vp"


def slice_aggregates(
    db: Database,
    source: SliceBase,
    specs: list[tuple[str, str, list]],
    *,
    with_auc: bool = False,
    row_values: Any = None,
) -> pd.DataFrame:
    """Counts per slice: ``col`` -1 is the whole part, 0..m-1 a spec's column (``code``),
    m the manual tags (``tag``). n, err (sum of errors), pos, pred_pos, tp, sum_score,
    brier and log-loss sums, abs/squared error sums, and ROC AUC when asked.
    ``row_values`` (row_id, v, vp) adds, over the rows that have them, v_sum and v_n,
    vp_sum, vtp_sum (vp on positive rows) and vpos_n (positive rows); the annotators'
    agreement with the truth (v) and their share of positive labels (vp) per row."""
    with slice_cursor(db, source, [s[0] for s in specs]) as (cur, base, params):
        frames = {} if row_values is None else {"_sl_rv": row_values}
        if row_values is not None:
            base = (
                f"SELECT b.*, rv.v::DOUBLE AS __v, rv.vp::DOUBLE AS __vp FROM ({base}) b"
                " LEFT JOIN _sl_rv rv ON rv.row_id = b.__rid"
            )
        else:
            base = f"SELECT *, NULL::DOUBLE AS __v, NULL::DOUBLE AS __vp FROM ({base})"
        long, lparams = _long_sql(specs, source)
        sql = f"WITH base AS ({base}), {long}, {_AGGREGATES}" + (
            _WITH_AUC if with_auc else " SELECT agg.*, NULL::DOUBLE AS auc FROM agg"
        )
        with registered(cur, **frames):
            return cur.execute(sql + " ORDER BY col, code, tag", [*params, *lparams]).df()


def _long_sql(specs: list[tuple[str, str, list]], source: SliceBase) -> tuple[str, list]:
    """``coded`` (base rows with their codes) and ``long``: each base row once for the
    whole part (col -1), once per spec with its code, once per manual tag (col m)."""
    m = len(specs)
    codes, params = [], []
    for s in specs:
        sql, p = code_sql(s)
        codes.append(sql)
        params += p
    sql = (
        f"coded AS (SELECT {_KEEP}, [{', '.join(codes) or 'NULL'}]::INTEGER[] AS __codes"
        " FROM base),"
        f" long AS (SELECT -1 AS col, 0 AS code, NULL::VARCHAR AS tag, {_KEEP} FROM coded"
    )
    if m:
        sql += (
            f" UNION ALL SELECT unnest(range({m}))::INTEGER AS col, unnest(__codes) AS code,"
            f" NULL::VARCHAR AS tag, {_KEEP} FROM coded"
        )
    if source.tag_datasets:
        sql += (
            f" UNION ALL SELECT {m}, 0, t.tag, {', '.join('c.' + k.strip() for k in _KEEP.split(','))}"
            " FROM coded c JOIN (SELECT DISTINCT row_id, tag FROM slice_tags"
            " WHERE project_id = ? AND dataset_id IN (SELECT unnest(?::BIGINT[]))) t"
            " ON t.row_id = c.__rid"
        )
        params += [source.project_id, [int(d) for d in source.tag_datasets]]
    return sql + ")", params


def slice_rows(
    db: Database,
    source: SliceBase,
    columns: list[str],
    preds: list[dict[str, Any]],
    *,
    only_errors: bool = False,
    limit: int = 500,
    annotations: tuple[int, str, str] | None = None,
) -> tuple[int, pd.DataFrame]:
    """Rows of a slice (count and the first ``limit``): row id, y, ŷ, score, error (0/1;
    a regressor's absolute error as abs_error), manual tags, annotator labels
    (``annotations`` = (labels dataset id, its item column, the matching column of the
    data)) and the columns."""
    need = list(dict.fromkeys([*columns, *[p["column"] for p in preds if p.get("op") != "tag"]]))
    if annotations is not None and annotations[2] not in need:
        need.append(annotations[2])
    with slice_cursor(db, source, need) as (cur, base, params):
        where, wparams = _slice_where(preds, "__rid", source.project_id, source.tag_datasets)
        if only_errors:
            where += " AND __err > 0"
        tags = "NULL::VARCHAR"
        tparams: list[Any] = []
        if source.tag_datasets:
            tags = (
                "(SELECT string_agg(DISTINCT tag, ', ' ORDER BY tag) FROM slice_tags t"
                " WHERE t.project_id = ? AND t.row_id = s.__rid"
                " AND t.dataset_id IN (SELECT unnest(?::BIGINT[])))"
            )
            tparams = [source.project_id, [int(d) for d in source.tag_datasets]]
        labels = "NULL::VARCHAR"
        if annotations is not None:
            ltable = datasets_db._dataset_table(db, annotations[0])
            labels = (
                f"(SELECT string_agg(l.annotator::VARCHAR || ': ' || l.label::VARCHAR, ', '"
                f" ORDER BY l.annotator) FROM {qident(ltable)} l"
                f" WHERE l.{qident(annotations[1])}::VARCHAR = s.{qident(annotations[2])}::VARCHAR)"
            )
        (n,) = cur.execute(
            f"SELECT count(*) FROM ({base}) s WHERE {where}", [*params, *wparams]
        ).fetchall()[0]
        cols = "".join(f", s.{qident(c)}" for c in columns)
        # a regressor's rows show their absolute error (the base holds the squared one)
        err = "sqrt(s.__err) AS abs_error" if source.regression else "s.__err AS error"
        frame = cur.execute(
            f"SELECT s.__rid AS row_id, s.__y AS y_true, s.__yhat AS y_pred, s.__score AS score,"
            f" {err}, {tags} AS tags, {labels} AS annotator_labels{cols}"
            f" FROM ({base}) s WHERE {where} ORDER BY s.__err DESC, s.__rid LIMIT ?",
            [*tparams, *params, *wparams, int(limit)],
        ).df()
    return int(n), frame


def dataset_slice_frame(
    db: Database,
    split_id: int,
    preds: list[dict[str, Any]],
    parts: list[str],
    project_id: int,
    tag_datasets: tuple = (),
) -> pd.DataFrame:
    """Rows of a split's parts that fall in a slice, with ``__row_id`` and ``__ladder``."""
    source, sparams = splits_db.split_rows_sql(db, splits_db.require_split(db, split_id))
    where, wparams = _slice_where(preds, "__row_id", project_id, tag_datasets)
    return db.df(
        f"SELECT __ladder, {ROW_ID}, * EXCLUDE ({ROW_ID}, __part, __ladder) FROM ({source})"
        f" WHERE ({where}) AND __part IN (SELECT unnest(?::VARCHAR[])) ORDER BY {ROW_ID}",
        [*sparams, *wparams, list(parts)],
    )


# manual tags: per run and row with author; read back for every dataset of the lineage
def insert_slice_tags(
    db: Database,
    project_id: int,
    run_id: int | None,
    dataset_id: int,
    row_ids: list[int],
    tag: str,
    actor: str,
) -> int:
    tag = " ".join(str(tag).split())
    if not tag:
        raise StoreError("A tag needs some text, e.g. 'blurry' or 'ambiguous label'.")
    if len(tag) > 80:
        raise StoreError("Keep a tag under 80 characters; put details in an action's note.")
    ids = sorted({int(r) for r in row_ids})
    if not ids:
        raise StoreError("Pick at least one row to tag.")
    with db.write(
        actor, "tag", "slice_tag", run_id, project_id, {"tag": tag, "rows": len(ids)}
    ) as (cur, _):
        cur.execute(
            "INSERT INTO slice_tags (project_id, run_id, dataset_id, row_id, tag, created_at,"
            " created_by) SELECT ?, ?, ?, r, ?, ?, ? FROM unnest(?::BIGINT[]) t(r)"
            " WHERE NOT EXISTS (SELECT 1 FROM slice_tags s WHERE s.project_id = ?"
            " AND s.dataset_id = ? AND s.row_id = r AND s.tag = ?)",
            [
                project_id,
                run_id,
                dataset_id,
                tag,
                utcnow(),
                actor,
                ids,
                project_id,
                dataset_id,
                tag,
            ],
        )
    return len(ids)


def list_slice_tags(db: Database, project_id: int, dataset_ids: list[int]) -> pd.DataFrame:
    """Tags on rows of these datasets: row_id, tag, run_id, dataset_id, created_at, created_by."""
    return db.df(
        "SELECT row_id, tag, run_id, dataset_id, created_at, created_by FROM slice_tags"
        " WHERE project_id = ? AND dataset_id IN (SELECT unnest(?::BIGINT[]))"
        " ORDER BY tag, row_id",
        [project_id, [int(d) for d in dataset_ids]],
    )


def insert_slice_action(
    db: Database,
    project_id: int,
    run_id: int | None,
    label: str,
    preds: list[dict[str, Any]],
    action: str,
    note: str,
    evidence: dict[str, Any],
    actor: str,
) -> int:
    with db.write(
        actor, "create", "slice_action", None, project_id, {"slice": label, "action": action}
    ) as (cur, audit):
        (aid,) = cur.execute(
            "INSERT INTO slice_actions (project_id, run_id, label, slice, action, note, status,"
            " evidence, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)"
            " RETURNING id",
            [
                project_id,
                run_id,
                label,
                json.dumps(preds, default=str),
                action,
                note,
                json.dumps(evidence, default=str),
                utcnow(),
                actor,
            ],
        ).fetchall()[0]
        audit["entity_id"] = aid
    return int(aid)


def set_slice_action_status(db: Database, action_id: int, status: str, actor: str) -> None:
    rows = db.rows("SELECT project_id, label FROM slice_actions WHERE id = ?", [action_id])
    if not rows:
        raise StoreError("That action does not exist (any more).")
    with db.write(actor, status, "slice_action", action_id, rows[0][0], {"slice": rows[0][1]}) as (
        cur,
        _,
    ):
        cur.execute(
            "UPDATE slice_actions SET status = ?, closed_at = ?, closed_by = ? WHERE id = ?",
            [
                status,
                None if status == "open" else utcnow(),
                None if status == "open" else actor,
                action_id,
            ],
        )


def list_slice_actions(
    db: Database, project_id: int, status: str | None = None
) -> list[SliceActionRow]:
    """A project's slice actions (of one ``status`` if given), newest first."""
    sql, params = where_equal(
        f"SELECT {_ACTION_COLS} FROM slice_actions WHERE project_id = ?", [project_id],
        status=status,
    )
    return [
        typed_row(SliceActionRow, r, ("slice", "evidence"))
        for r in db.rows(sql + " ORDER BY created_at DESC, id DESC", params)
    ]


# stored discoveries: the search's inputs and its top-k, append-only per run
def insert_slice_discovery(
    db: Database,
    project_id: int,
    run_id: int | None,
    part: str | None,
    params: dict[str, Any],
    slices: pd.DataFrame,
    stats: dict[str, Any],
    actor: str,
) -> int:
    """``slices`` has rank, label, level, slice (a list of predicates), size, errors,
    error_rate, score."""
    with db.write(
        actor, "discover", "slice_discovery", run_id, project_id, {"found": len(slices)}
    ) as (cur, audit):
        (did,) = cur.execute(
            "INSERT INTO slice_discoveries (project_id, run_id, part, params, stats, created_at,"
            " created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                project_id,
                run_id,
                part,
                json.dumps(params, default=str),
                json.dumps(stats, default=str),
                utcnow(),
                actor,
            ],
        ).fetchall()[0]
        if len(slices):
            frame = slices[
                ["rank", "label", "level", "slice", "size", "errors", "error_rate", "score"]
            ]
            frame = frame.assign(slice=[json.dumps(p, default=str) for p in frame["slice"]])
            with registered(cur, _found=frame):
                cur.execute(
                    "INSERT INTO discovered_slices SELECT ?, ?, rank::INTEGER, label::VARCHAR,"
                    " level::INTEGER, slice::VARCHAR, size::BIGINT, errors::DOUBLE,"
                    " error_rate::DOUBLE, score::DOUBLE FROM _found",
                    [did, project_id],
                )
        audit["entity_id"] = did
    return int(did)


def latest_slice_discovery(db: Database, run_id: int, part: str) -> DiscoveryRow | None:
    """The last discovery stored for a run's part, or None."""
    rows = db.rows(
        "SELECT id, params, stats, created_at, created_by FROM slice_discoveries"
        " WHERE run_id = ? AND part = ? ORDER BY id DESC LIMIT 1",
        [run_id, part],
    )
    if not rows:
        return None
    did, params, stats, at, by = rows[0]
    frame = db.df(
        "SELECT rank, label, level, slice, size, errors, error_rate, score FROM discovered_slices"
        " WHERE discovery_id = ? ORDER BY rank",
        [did],
    )
    frame = frame.assign(slice=[json.loads(p) for p in frame["slice"]])
    return DiscoveryRow(did, json.loads(params), json.loads(stats), at, by, frame)
