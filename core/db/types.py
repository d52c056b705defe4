"""DuckDB type name -> column kind: the one copy of the rule.

Every stage asks this module what a column of a given DuckDB type holds; none tests type
names itself. The kinds:

``integer``  TINYINT … HUGEINT and their unsigned forms (UTINYINT … UHUGEINT)
``float``    FLOAT, DOUBLE (REAL) and DECIMAL(p,s): numbers that are not whole
``string``   VARCHAR and ENUM(…) (an ENUM reads like text)
``boolean``  BOOLEAN
``datetime`` DATE and every TIMESTAMP (with or without time zone, _S/_MS/_NS)
``list``     a LIST (``T[]``) or ARRAY (``T[n]``) of anything
``other``    the rest: TIME of day, INTERVAL, BLOB, UUID, BIT, BIGNUM, STRUCT, MAP, UNION …

Coarser questions (numeric? a date?) are answered from the kind by the helpers below.
"""

from __future__ import annotations

import re

INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL", "DECIMAL", "NUMERIC"})
NUMERIC_KINDS = ("integer", "float")
KINDS = ("integer", "float", "string", "boolean", "datetime", "list", "other")

_LIST = re.compile(r"^(?P<element>.+)\[\d*\]$")


def _base(dtype: str) -> str:
    """The type name without its parameters: ``DECIMAL(10,2)`` -> ``DECIMAL``."""
    return dtype.strip().upper().split("(")[0].strip()


def column_kind(dtype: str) -> str:
    """The kind of values a column of DuckDB type ``dtype`` holds (see the module doc).

    Examples
    --------
    >>> [column_kind(t) for t in ("UHUGEINT", "DECIMAL(10,2)", "VARCHAR", "TIMESTAMP_NS")]
    ['integer', 'float', 'string', 'datetime']
    >>> [column_kind(t) for t in ("DOUBLE[64]", "ENUM('a', 'b')", "TIME", "BLOB")]
    ['list', 'string', 'other', 'other']
    """
    base = _base(dtype)
    if _LIST.match(dtype.strip()) or base in ("LIST", "ARRAY"):
        return "list"
    if base in INTEGER_TYPES:
        return "integer"
    if base in FLOAT_TYPES:
        return "float"
    if base in ("VARCHAR", "ENUM"):
        return "string"
    if base == "BOOLEAN":
        return "boolean"
    if base == "DATE" or base.startswith("TIMESTAMP"):
        return "datetime"
    return "other"


def list_element_type(dtype: str) -> str | None:
    """The element type of a LIST or ARRAY type, else None.

    >>> list_element_type("INTEGER[64]"), list_element_type("VARCHAR[]"), list_element_type("BIGINT")
    ('INTEGER', 'VARCHAR', None)
    """
    m = _LIST.match(dtype.strip())
    return m.group("element") if m else None


def is_numeric(dtype: str) -> bool:
    """Whole or fractional numbers (``integer`` or ``float``)."""
    return column_kind(dtype) in NUMERIC_KINDS


def is_integer(dtype: str) -> bool:
    """Whole numbers, signed or unsigned."""
    return column_kind(dtype) == "integer"


def is_datetime(dtype: str) -> bool:
    """A date or a timestamp (a point in time, which a time-based split can cut)."""
    return column_kind(dtype) == "datetime"


def is_temporal(dtype: str) -> bool:
    """A date, a timestamp or a time of day (``TIME``, ``TIME_NS``, ``TIME WITH TIME ZONE``).

    >>> is_temporal("TIME WITH TIME ZONE"), is_temporal("DATE"), is_temporal("INTERVAL")
    (True, True, False)
    """
    return is_datetime(dtype) or (column_kind(dtype) == "other" and _base(dtype).startswith("TIME"))
