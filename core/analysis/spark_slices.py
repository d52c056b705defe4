"""SliceLine discovery on Apache Spark: the per-slice aggregates (size, error sum, max error
per predicate and per candidate conjunction) computed where the data lives; the same top-k
slices as :func:`core.analysis.discovery.discover_slices` on DuckDB.

DESIGN
------
The DuckDB search (``core/db/sliceline.py``) has two halves: a pass over the rows per level
(one GROUP BY GROUPING SETS over the integer-coded columns) and the bookkeeping of slices
(scores, candidates of the next level, SliceLine's upper bound against the running top-k,
the filter of slices a sub-slice explains). Only the first half touches the data. Here it
runs on Spark with the DataFrame API (executors run JVM code only, no Python UDF); the
second half is :func:`core.db.sliceline.lattice_of_aggregates`, the *same* SQL on an
in-memory DuckDB holding only the slices, so the pruning rules exist once.

Rules copied from the DuckDB pass, one by one:

* codes (``core.db.analysis.code_sql``): 0 is missing (NULL, or NaN in a numeric column);
  a "num" column's code is 1 + the number of edges <= the value (as DOUBLE, so -inf is
  bin 1 and +inf the last); a "cat" or "month" column's listed values are 1..k in the
  spec's order and every other value k + 1. A value is matched as DuckDB's text of it
  (``CAST(x AS VARCHAR)``, or ``strftime(x, '%Y-%m')`` for months), except in a FLOAT or
  DOUBLE column, whose text differs between the engines (``1e-05`` / ``1.0E-5``): there
  the listed texts are parsed back to numbers and compared in the column's type;
* the error of a row: a classifier's ``y_true <> y_pred`` compared as text, NULLs equal
  (DuckDB's IS DISTINCT FROM), as 0/1; a regressor's squared error of the two cast to
  DOUBLE (``d * d``, which equals DuckDB's ``d ** 2``); rows whose error is NULL (an
  unreadable number) are not searched;
* a predicate's key ``(i + 1) * 1024 + code`` and a slice's key (predicate keys as digits
  in base 2**20) are :mod:`core.db.sliceline`'s, computed as BIGINT.

Each level is one scan of the cached, coded rows: every row contributes one key per column
set of the level, a broadcast semi-join keeps the candidates' keys (before the shuffle, so
only candidates travel), and a grouped count, sum and max give their aggregates; only slices
with at least the minimum support come back to the driver (at most a few per candidate).

Convention: sizes, max errors and 0/1 error sums are exact, hence equal between engines. A
regressor's squared-error sums are floating-point sums whose order differs between engines
(and runs), so they agree to rounding; scores that tie exactly on one engine may then be
ordered differently on the other. The tests use errors whose sums are exact.

``pyspark`` is imported inside the functions: the workbench runs without it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pandas as pd

from core.analysis.columns import ColumnSpec
from core.analysis.discovery import (
    Discovery,
    _check_search,
    _support_rows,
    discovery_of_lattice,
)
from core.analysis.source import SliceError
from core.db import sliceline as sliceline_db

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

_P, _K = sliceline_db.PREDICATE_BASE, sliceline_db.SLICE_BASE
_FLOATS = {"FLOAT": "float", "DOUBLE": "double"}


def code_column(spec: ColumnSpec, dtype: str) -> Column:
    """Spark expression of the column's integer code, as ``core.db.analysis.code_sql``;
    ``dtype`` is the column's DuckDB type name (``core.monitoring.spark.duckdb_type``)."""
    from pyspark.sql import functions as F

    c = F.col(spec.column)
    if spec.kind == "num":
        x = c.cast("double")
        code = F.lit(1)
        for e in spec.edges:
            code = code + (x >= F.lit(float(e))).cast("int")
        return F.when(c.isNull() | F.isnan(x), F.lit(0)).otherwise(code)
    k = len(spec.values)
    if spec.kind == "cat" and dtype in _FLOATS:
        code = F.lit(k + 1)
        for i in range(k, 0, -1):  # the first listed match wins, as list_position's
            number = _number(spec.values[i - 1])
            if number is not None:
                code = F.when(c == F.lit(number).cast(_FLOATS[dtype]), F.lit(i)).otherwise(code)
        return F.when(c.isNull(), F.lit(0)).otherwise(code)
    text = F.date_format(c, "yyyy-MM") if spec.kind == "month" else c.cast("string")
    first: dict[str, int] = {}
    for i, v in enumerate(spec.values, start=1):
        first.setdefault(str(v), i)
    if not first:
        return F.when(c.isNull(), F.lit(0)).otherwise(F.lit(k + 1))
    lookup = F.create_map(*[F.lit(x) for kv in first.items() for x in kv])
    return F.when(c.isNull(), F.lit(0)).otherwise(
        F.coalesce(F.try_element_at(lookup, text), F.lit(k + 1))
    )


def _number(text: str) -> float | None:
    """A listed value of a float column as a number (None: it can match no value).

    >>> _number("1e-05"), _number("nan") is not None, _number("abc")
    (1e-05, True, None)
    """
    try:
        return float(text)
    except ValueError:
        return None


def error_column(y_true: str, y_pred: str, regression: bool) -> Column:
    """A row's SliceLine error: 0/1 for a classifier, the squared error of a regressor."""
    from pyspark.sql import functions as F

    if regression:
        d = F.col(y_true).try_cast("double") - F.col(y_pred).try_cast("double")
        return d * d
    same = F.col(y_true).cast("string").eqNullSafe(F.col(y_pred).cast("string"))
    return (~same).cast("double")


def _check_columns(df: DataFrame, specs: list[ColumnSpec], y_true: str, y_pred: str
                   ) -> dict[str, str]:
    """The data's DuckDB types by column; SliceError naming the columns it lacks."""
    from core.monitoring.spark import spark_schema

    types = dict(spark_schema(df))
    missing = [c for c in [*(s.column for s in specs), y_true, y_pred] if c not in types]
    if missing:
        raise SliceError(
            f"The data has no column {', '.join(repr(c) for c in missing)} (columns: "
            f"{', '.join(list(types)[:20])}); give the truth and prediction columns with "
            "--y-true / --y-pred and slice only columns the data has."
        )
    return types


def discover_slices_spark(
    df: DataFrame,
    specs: list[ColumnSpec],
    *,
    regression: bool,
    y_true: str = "y_true",
    y_pred: str = "y_pred",
    alpha: float = 0.95,
    min_support: float = 0.01,
    top_k: int = 10,
    max_level: int = 3,
) -> Discovery:
    """SliceLine's top-k slices of a Spark DataFrame of predictions (``y_true``, ``y_pred``
    and the ``specs``' columns): what :func:`core.analysis.discovery.discover_slices`
    finds with the same specs on the same rows. ``min_support`` is a row count, or a share
    of the rows when < 1."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    _check_search(specs, alpha=alpha, top_k=top_k, max_level=max_level)
    if len(specs) > sliceline_db.MAX_COLUMNS:
        raise SliceError(f"Slice discovery takes at most {sliceline_db.MAX_COLUMNS} columns.")
    t0 = time.perf_counter()
    types = _check_columns(df, specs, y_true, y_pred)
    codes = [code_column(s, types[s.column]).cast("short").alias(f"c{i}")
             for i, s in enumerate(specs)]
    coded = df.select(*codes, error_column(y_true, y_pred, regression).alias("e"))
    coded = coded.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        row = coded.agg(F.count(F.lit(1)), F.count("e"), F.sum("e")).collect()[0]
        n_rows, n, total = int(row[0]), int(row[1]), float(row[2] or 0.0)
        sigma = _support_rows(min_support, n_rows)
        searched = coded.where(F.col("e").isNotNull())
        found, totals = sliceline_db.lattice_of_aggregates(
            lambda level, sets, sig, keys: level_aggregates(searched, level, sets, sig, keys),
            len(specs), n, total, alpha=alpha, min_support=sigma, max_level=max_level,
            top_k=top_k,
        )
    finally:
        coded.unpersist()
    params = {"alpha": alpha, "min_support": sigma, "top_k": top_k, "max_level": max_level,
              "columns": [s.column for s in specs],
              "task": "regression" if regression else "classification", "engine": "spark"}
    stats = {**totals, "seconds": time.perf_counter() - t0}
    return discovery_of_lattice(found, specs, params, stats)


def _slice_key(columns: tuple[int, ...]) -> Column:
    """The BIGINT slice key of the row's codes on ``columns`` (``sliceline``'s packing)."""
    from pyspark.sql import functions as F

    key: Column | None = None
    for i in columns:
        pred = F.lit((i + 1) * _P).cast("long") + F.col(f"c{i}")
        key = pred if key is None else key * F.lit(_K).cast("long") + pred
    assert key is not None
    return key


def level_aggregates(
    coded: DataFrame,
    level: int,
    sets: list[tuple[int, ...]],
    sigma: int,
    keys: list[int] | None,
) -> pd.DataFrame:
    """One level's slices on the column ``sets`` with size >= ``sigma`` (only the candidate
    ``keys`` unless None): key, p1..p3, size ``ss``, error sum ``se``, max error ``sm``."""
    from pyspark.sql import functions as F

    from core.monitoring.spark import _collect

    rows = coded.select(F.explode(F.array(*[_slice_key(s) for s in sets])).alias("key"), "e")
    if keys is not None:
        import pyarrow as pa

        cand = coded.sparkSession.createDataFrame(pa.table({"key": pa.array(keys, pa.int64())}))
        rows = rows.join(F.broadcast(cand), "key", "left_semi")
    agg = (rows.groupBy("key")
           .agg(F.count(F.lit(1)).alias("ss"), F.sum("e").alias("se"), F.max("e").alias("sm"))
           .where(F.col("ss") >= F.lit(sigma)))
    out = _collect(agg)
    key = out["key"].astype("int64").to_numpy()
    for j in range(3):  # p1..p3: the key's base-2**20 digits, most significant first
        digit = (key // _K ** (level - 1 - j)) % _K if j < level else None
        out[f"p{j + 1}"] = pd.array(digit if digit is not None else [None] * len(out),
                                    dtype="Int64")
    return out
