"""The DuckDB type -> column kind rule (the one copy)."""

from __future__ import annotations


def _column_kind(dtype: str) -> str:
    t = dtype.upper()
    if t.endswith("]"):
        return "list"
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return "float"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT", "UHUGEINT") or t.startswith("DECIMAL"):
        return "integer" if not t.startswith("DECIMAL") else "float"
    if t == "VARCHAR":
        return "string"
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "datetime"
    return "other"
