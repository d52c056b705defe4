"""The one DuckDB type -> column kind rule, over every type DuckDB knows."""

from __future__ import annotations

import pytest

from core.db import types

# every logical type name of duckdb_types(): a new DuckDB type must be placed here
BY_NAME = {
    "TINYINT": "integer",
    "SMALLINT": "integer",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "HUGEINT": "integer",
    "UTINYINT": "integer",
    "USMALLINT": "integer",
    "UINTEGER": "integer",
    "UBIGINT": "integer",
    "UHUGEINT": "integer",
    "FLOAT": "float",
    "DOUBLE": "float",
    "DECIMAL": "float",
    "VARCHAR": "string",
    "ENUM": "string",
    "BOOLEAN": "boolean",
    "DATE": "datetime",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "TIMESTAMPTZ_NS": "datetime",
    "TIMESTAMP_MS": "datetime",
    "TIMESTAMP_NS": "datetime",
    "TIMESTAMP_S": "datetime",
    "LIST": "list",
    "ARRAY": "list",
    "TIME": "other",
    "TIME WITH TIME ZONE": "other",
    "TIME_NS": "other",
    "INTERVAL": "other",
    "BLOB": "other",
    "BIT": "other",
    "BIGNUM": "other",
    "UUID": "other",
    "STRUCT": "other",
    "MAP": "other",
    "UNION": "other",
    "GEOMETRY": "other",
    "VARIANT": "other",
    "NULL": "other",
    "TUPLE": "other",
    "TYPE": "other",
}

# (SQL expression, the type DuckDB reports for a column of it, its kind)
COLUMNS = [
    ("1::UTINYINT", "UTINYINT", "integer"),
    ("1::UHUGEINT", "UHUGEINT", "integer"),
    ("1::HUGEINT", "HUGEINT", "integer"),
    ("1.5::DECIMAL(10,2)", "DECIMAL(10,2)", "float"),
    ("1::NUMERIC", "DECIMAL(18,3)", "float"),
    ("1.5::REAL", "FLOAT", "float"),
    ("'a'::VARCHAR(10)", "VARCHAR", "string"),
    ("'a'::ENUM('a', 'b')", "ENUM('a', 'b')", "string"),
    ("true", "BOOLEAN", "boolean"),
    ("DATE '2025-01-01'", "DATE", "datetime"),
    ("now()::TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "datetime"),
    ("TIMESTAMP '2025-01-01'::TIMESTAMP_NS", "TIMESTAMP_NS", "datetime"),
    ("[1, 2]", "INTEGER[]", "list"),
    ("[1.5, 2]::DECIMAL(4,1)[2]", "DECIMAL(4,1)[2]", "list"),
    ("TIME '10:00'", "TIME", "other"),
    ("INTERVAL 1 DAY", "INTERVAL", "other"),
    ("'x'::BLOB", "BLOB", "other"),
    ("uuid()", "UUID", "other"),
    ("{'x': 1}", "STRUCT(x INTEGER)", "other"),
    ("map([1], [2])", "MAP(INTEGER, INTEGER)", "other"),
]


def test_every_duckdb_type_name_has_a_kind(store):
    names = {r[0] for r in store.rows("SELECT DISTINCT logical_type FROM duckdb_types()")}
    assert names <= set(BY_NAME), f"place these in core/db/types.py: {names - set(BY_NAME)}"
    assert {n: types.column_kind(n) for n in BY_NAME} == BY_NAME
    assert set(BY_NAME.values()) == set(types.KINDS)


@pytest.mark.parametrize(("expr", "reported", "kind"), COLUMNS)
def test_reported_column_types(store, expr, reported, kind):
    (dtype,) = store.rows(f"SELECT typeof({expr})")[0]
    assert dtype == reported
    assert types.column_kind(dtype) == kind
    assert types.is_numeric(dtype) == (kind in ("integer", "float"))
    assert types.is_integer(dtype) == (kind == "integer")
    assert types.is_datetime(dtype) == (kind == "datetime")


def test_list_elements_and_temporal_types():
    assert types.list_element_type("DECIMAL(4,1)[2]") == "DECIMAL(4,1)"
    assert types.list_element_type("VARCHAR[][]") == "VARCHAR[]"
    assert types.list_element_type("STRUCT(a INTEGER[])") is None
    assert [types.is_temporal(t) for t in ("TIME_NS", "TIMESTAMP", "UUID", "INTEGER")] == [
        True,
        True,
        False,
        False,
    ]
