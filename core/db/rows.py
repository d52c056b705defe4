"""What the repositories share to read and check rows: a row dataclass as the SELECT list
and as the typed row read back (JSON text fields decoded), a list query's optional
filters, and the checks that a row exists and that a project's name is free."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from core.db.database import qident
from core.errors import StoreError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
R = TypeVar("R", bound="DataclassInstance")


def select_list(row_type: type[DataclassInstance]) -> str:
    """A row dataclass's fields as a SELECT list: its table's columns, in its field order."""
    return ", ".join(f.name for f in dataclasses.fields(row_type))


def typed_row(row_type: type[R], row: tuple, json_fields: tuple[str, ...] = ()) -> R:
    """A row read with :func:`select_list` as a ``row_type``, its JSON text fields decoded."""
    d = dict(zip((f.name for f in dataclasses.fields(row_type)), row, strict=True))
    for key in json_fields:
        d[key] = json.loads(d[key])
    return row_type(**d)


def where_equal(sql: str, params: list[Any], **equal: Any) -> tuple[str, list[Any]]:
    """``sql`` (its WHERE clause last) and ``params`` narrowed by ``AND <column> = ?`` for
    each keyword that is not None (an optional filter of a list query).

    >>> where_equal("SELECT * FROM t WHERE a = ?", [1], b=None, c="x")
    ('SELECT * FROM t WHERE a = ? AND "c" = ?', [1, 'x'])
    """
    for column, value in equal.items():
        if value is not None:
            sql, params = f"{sql} AND {qident(column)} = ?", [*params, value]
    return sql, params


def require(row: T | None, what: str) -> T:
    """``row`` as read, or StoreError when there is none (e.g. ``what`` = "split")."""
    if row is None:
        raise StoreError(f"That {what} does not exist (any more).")
    return row


def refuse_taken_name(
    cur: duckdb.DuckDBPyConnection, table: str, what: str, project_id: int, name: str
) -> None:
    """StoreError when the project has a ``what`` named ``name`` in ``table`` already.
    Inside a write the answer holds until it commits (writes take turns)."""
    if cur.execute(
        f"SELECT 1 FROM {qident(table)} WHERE project_id = ? AND name = ?", [project_id, name]
    ).fetchall():
        raise StoreError(taken_name(what, name))


def taken_name(what: str, name: str) -> str:
    """The message for a name the project uses already (the write's check, and a stage's
    early check before costly work)."""
    return f"This project has a {what} named {name!r} already; choose another name."
