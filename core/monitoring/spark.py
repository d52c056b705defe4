"""The profile pass on Apache Spark: the same profile rows as the DuckDB pass, computed where
the data lives, so only the profile (bins, categories, counts, sums) comes back.

DESIGN
------
The DuckDB pass (:func:`core.db.profile_scan.profile_scan`) returns three long frames
(moments, bins, categories) that :mod:`core.monitoring.profile_store` turns into
:class:`~core.monitoring.profiles.ColumnProfile` rows. This module builds the same three
frames with the PySpark DataFrame API (no Python UDF: executors run JVM code only) and hands
them to the same conversion, so the two engines differ only in the aggregation itself.

Rules copied from the DuckDB pass, one by one:

* a numeric value is its column cast to DOUBLE; NaN and +-inf count as missing (the DuckDB
  pass reaches the same through its second, "safe" pass whenever it meets one);
* the bin key is ``floor((v - a) / w)`` clamped to ``[kmin, kmax]`` by the same two
  comparisons (:func:`core.db.profile_scan._bin_key_sql`), in the same IEEE arithmetic;
* tails: count and sum of the values below ``ref_min`` / above ``ref_max``;
* categories: the value as text, the reference's categories kept, then (a complete spec)
  the first ``max_unseen`` unseen names in code-point order, the rest pooled into
  ``other`` (applied inside Spark, so a column of a billion distinct ids returns at most
  ``2 * MAX_CATEGORIES`` names per window);
* windows: DuckDB's ``time_bucket`` (origin Monday 2000-01-03 for hours, days and weeks;
  2000-01-01 for months and years) in integer microseconds, session time zone UTC; a
  batch column's value as text; rows without one form their own window. Blocks of rows in
  file order are refused: a directory of Parquet files on a cluster has no file order.

Convention: counts, ``n``, ``nulls``, bins, categories, ``other``, ``min`` and ``max`` are
exact; ``sum``, ``sumsq`` and the tail sums are floating-point sums whose order differs
between engines (and between runs of either), so they agree to rounding: 1e-12 relative in
the tests and the benchmark, for ``sum`` relative to the sum of the values' magnitudes
(:func:`profile_differences`); exactly when every partial sum is representable.

``pyspark`` is imported inside the functions: the workbench runs without it.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.db.profile_scan import ProfileScan
from core.monitoring.grid import MAX_CATEGORIES
from core.monitoring.profile_store import (
    _columns_from_scan,
    _labeller,
    _notes_against,
    _Plan,
    _plan,
)
from core.monitoring.profiles import ColumnProfile, Profile, ProfileError, _window_order

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame, SparkSession

# DuckDB's time_bucket origins (microseconds since 1970-01-01)
_ORIGIN_DAYS = 946_857_600_000_000  # 2000-01-03, a Monday
_UNIT_MICROS = {"microsecond": 1, "millisecond": 1_000, "second": 1_000_000,
                "minute": 60_000_000, "hour": 3_600_000_000, "day": 86_400_000_000,
                "week": 7 * 86_400_000_000}
_UNIT_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_INTERVAL = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$")


def spark_missing() -> str | None:
    """Why Spark cannot run here (no pyspark, no Java), or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -r requirements-spark.txt)"
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(
            os.path.join(java_home, "bin", "java"))):
        return "no Java runtime (java is not on PATH; apt-get install default-jre-headless)"
    return None


def spark_session(master: str | None = None, *, driver_memory: str = "1g",
                  app_name: str = "workbench-profile") -> SparkSession:
    """A Spark session: no UI, UTC session time (windows are computed in UTC, as DuckDB's
    TIMESTAMP); in local mode kept small (two shuffle partitions, bounded driver memory).

    ``master`` None: the one ``spark-submit --master`` gave, else ``local[2]``.
    """
    reason = spark_missing()
    if reason:
        raise ProfileError(f"Spark cannot run: {reason}.")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if master or "PYSPARK_GATEWAY_PORT" not in os.environ:  # not launched by spark-submit
        master = master or "local[2]"
        builder = builder.master(master)
    if master and master.startswith("local"):
        # on one machine: few shuffle partitions (a cluster keeps its default, AQE coalesces)
        builder = (builder.config("spark.sql.shuffle.partitions", "2")
                   .config("spark.driver.memory", driver_memory))
    spark = (builder.appName(app_name)
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_parquet(spark: SparkSession, path: str) -> DataFrame:
    """A Parquet file or directory (local, ``hdfs://``, ``s3a://`` ...) as a DataFrame;
    ProfileError naming the path when Spark cannot read it."""
    from pyspark.errors import PySparkException

    try:
        return spark.read.parquet(str(path))
    except PySparkException as exc:
        raise ProfileError(
            f"Spark could not read {path!r} as Parquet: {str(exc).splitlines()[0]}. Give a "
            "Parquet file or a directory of Parquet files.") from exc


_SIMPLE_TYPES = {"ByteType": "TINYINT", "ShortType": "SMALLINT", "IntegerType": "INTEGER",
                 "LongType": "BIGINT", "FloatType": "FLOAT", "DoubleType": "DOUBLE",
                 "StringType": "VARCHAR", "BooleanType": "BOOLEAN", "DateType": "DATE",
                 "TimestampType": "TIMESTAMP WITH TIME ZONE", "TimestampNTZType": "TIMESTAMP",
                 "BinaryType": "BLOB"}


def duckdb_type(spark_type: Any) -> str:
    """The DuckDB name of a Spark SQL type (the names the workbench's grid is keyed by).

    >>> duckdb_type(type("LongType", (), {})())
    'BIGINT'
    >>> duckdb_type(type("DecimalType", (), {"precision": 10, "scale": 2})())
    'DECIMAL(10,2)'
    """
    name = type(spark_type).__name__
    if name == "DecimalType":
        return f"DECIMAL({spark_type.precision},{spark_type.scale})"
    if name == "StringType" or name.startswith("VarcharType") or name.startswith("CharType"):
        return "VARCHAR"
    return _SIMPLE_TYPES.get(name, name.removesuffix("Type").upper())


def spark_schema(df: DataFrame) -> list[tuple[str, str]]:
    """(column, DuckDB type name) of a Spark DataFrame, in order."""
    return [(f.name, duckdb_type(f.dataType)) for f in df.schema.fields]


# ------------------------------------------------------------------------------ windows
def parse_interval(window: str) -> tuple[str, int]:
    """``("micros", width)`` or ``("months", n)`` of a one-unit interval such as ``1 week``.

    >>> parse_interval("1 week"), parse_interval("2 months"), parse_interval("1 day")
    (('micros', 604800000000), ('months', 2), ('micros', 86400000000))
    """
    m = _INTERVAL.match(str(window).lower())
    if m and int(m.group(1)) > 0:
        n, unit = int(m.group(1)), m.group(2)
        if unit in _UNIT_MICROS:
            return "micros", n * _UNIT_MICROS[unit]
        if unit in _UNIT_MONTHS:
            return "months", n * _UNIT_MONTHS[unit]
    raise ProfileError(
        f"The window {window!r} is not supported on Spark; write one unit, e.g. '1 day', "
        "'1 week', '1 month', '6 hours'.")


def _time_window(column: str, window: str) -> Column:
    """DuckDB's ``time_bucket(window, TRY_CAST(column AS TIMESTAMP))`` as microseconds."""
    from pyspark.sql import functions as F

    ts = F.col(column).try_cast("timestamp")
    unit, n = parse_interval(window)
    if unit == "micros":
        us = F.unix_micros(ts)
        return us - F.pmod(us - F.lit(_ORIGIN_DAYS), F.lit(n))
    months = (F.year(ts) - 2000) * 12 + F.month(ts) - 1
    start = F.add_months(F.make_date(F.lit(2000), F.lit(1), F.lit(1)),
                         months - F.pmod(months, F.lit(n)))
    return F.unix_micros(start.cast("timestamp"))


@dataclass(frozen=True)
class _Windows:
    """How rows fall into windows: ``kind`` none, time or batch."""

    kind: str
    column: str | None = None
    window: str | None = None

    def expr(self) -> Column:
        from pyspark.sql import functions as F

        if self.kind == "time":
            return _time_window(str(self.column), str(self.window))
        if self.kind == "batch":
            return F.col(str(self.column)).cast("string")
        return F.lit(None).cast("long")

    def to_pandas(self, w: pd.Series) -> pd.Series:
        """Window values as the DuckDB pass returns them (timestamps for periods)."""
        if self.kind == "time":
            return pd.to_datetime(w.astype("Int64"), unit="us")
        return w


# ------------------------------------------------------------------------- the pass
def _value(column: str) -> Column:
    """The column as DOUBLE, NULL where not finite (DuckDB's safe value)."""
    from pyspark.sql import functions as F

    x = F.col(column).cast("double")
    return F.when(~F.isnan(x) & (F.abs(x) != F.lit(math.inf)), x)


def _bin_key(v: Column, spec: dict[str, Any]) -> Column:
    """The grid key of ``v`` with exactly :func:`core.db.profile_scan._bin_key_sql`'s rule."""
    from pyspark.sql import functions as F

    a, w = float(spec["a"]), float(spec["w"])
    kmin, kmax = int(spec["kmin"]), int(spec["kmax"])
    low, high = a + (kmin + 0.5) * w, a + (kmax + 0.5) * w
    return (F.when(v < F.lit(low), F.lit(kmin)).when(v >= F.lit(high), F.lit(kmax))
            .otherwise(F.floor((v - F.lit(a)) / F.lit(w)).cast("long")))


def _moments(df: DataFrame, win: _Windows, plan: _Plan) -> pd.DataFrame:
    """Rows, per numeric column count, sum, centred sum of squares, min, max and tails, per
    counted column its non-null count: :class:`ProfileScan` ``moments``, one row a window."""
    from pyspark.sql import functions as F

    aggs = [F.count(F.lit(1)).alias("n_rows")]
    for i, col in enumerate(plan.numeric):
        s = plan.spec[col]
        v, c = _value(col), F.lit(float(s["center"]))
        below, above = v < F.lit(float(s["ref_min"])), v > F.lit(float(s["ref_max"]))
        aggs += [F.count(v).alias(f"n{i}"), F.sum(v).alias(f"s{i}"),
                 F.sum((v - c) * (v - c)).alias(f"q{i}"),
                 F.min(v).alias(f"mn{i}"), F.max(v).alias(f"mx{i}"),
                 F.count(F.when(below, 1)).alias(f"bn{i}"),
                 F.coalesce(F.sum(F.when(below, v)), F.lit(0.0)).alias(f"bs{i}"),
                 F.count(F.when(above, 1)).alias(f"an{i}"),
                 F.coalesce(F.sum(F.when(above, v)), F.lit(0.0)).alias(f"as{i}")]
    for j, col in enumerate(plan.counted):
        aggs.append(F.count(F.col(col)).alias(f"cn{j}"))
    if win.kind == "none":
        out = _collect(df.agg(*aggs))
        out.insert(0, "w", None)
        return out
    out = _collect(df.groupBy(win.expr().alias("w")).agg(*aggs))
    out["w"] = win.to_pandas(out["w"])
    return out.sort_values("w", na_position="last", ignore_index=True)


def _counts(df: DataFrame, win: _Windows, plan: _Plan) -> DataFrame:
    """Counts per window of every numeric column's bin keys and every categorical column's
    values, in one scan: one array entry per column, exploded, then grouped (Spark
    combines map-side, so only distinct (window, column, key) rows are shuffled)."""
    from pyspark.sql import functions as F

    entries = [F.struct(F.lit(i).alias("c"), _bin_key(_value(col), plan.spec[col]).alias("kb"),
                        F.lit(None).cast("string").alias("ks"))
               for i, col in enumerate(plan.numeric)]
    base = len(plan.numeric)
    entries += [F.struct(F.lit(base + j).alias("c"), F.lit(None).cast("long").alias("kb"),
                         F.col(col).cast("string").alias("ks"))
                for j, col in enumerate(plan.counted)
                if plan.spec[col]["kind"] == "categorical"]
    if not entries:
        return df.select(win.expr().alias("w"), F.lit(0).alias("c"),
                         F.lit(None).cast("long").alias("kb"),
                         F.lit(None).cast("string").alias("ks"),
                         F.lit(0).cast("long").alias("n")).limit(0)
    e = (df.select(win.expr().alias("w"), F.explode(F.array(*entries)).alias("e"))
         .select("w", "e.c", "e.kb", "e.ks")
         .where(F.col("kb").isNotNull() | F.col("ks").isNotNull()))
    return e.groupBy("w", "c", "kb", "ks").agg(F.count(F.lit(1)).alias("n"))


def _capped_categories(counts: DataFrame, plan: _Plan) -> tuple[DataFrame, DataFrame]:
    """The category counts :func:`core.monitoring.profiles._cap_categories` keeps, and the
    pooled ``other`` per window and column, both computed in Spark."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark, base = counts.sparkSession, len(plan.numeric)
    known_rows, caps = [], []
    for j, col in enumerate(plan.counted):
        s = plan.spec[col]
        if s["kind"] != "categorical":
            continue
        known_rows += [(j, str(k)) for k in s.get("categories", [])]
        caps.append((j, int(s.get("max_unseen", MAX_CATEGORIES)) if s.get("complete", True)
                     else 0))
    known = spark.createDataFrame(known_rows, "c int, k string").withColumn("known", F.lit(True))
    cap = spark.createDataFrame(caps, "c int, cap int")
    cats = (counts.where(F.col("c") >= base)
            .select("w", (F.col("c") - base).cast("int").alias("c"), F.col("ks").alias("k"), "n")
            .join(F.broadcast(known), ["c", "k"], "left"))
    # unseen names in code-point order (Spark compares UTF-8 bytes, Python code points: same)
    unseen = (cats.where(F.col("known").isNull())
              .withColumn("r", F.row_number().over(Window.partitionBy("w", "c").orderBy("k")))
              .join(F.broadcast(cap), ["c"]))
    kept = cats.where(F.col("known")).select("w", "c", "k", "n").unionByName(
        unseen.where(F.col("r") <= F.col("cap")).select("w", "c", "k", "n"))
    other = (unseen.where(F.col("r") > F.col("cap")).groupBy("w", "c")
             .agg(F.sum("n").alias("other")))
    return kept, other


def _collect(sdf: DataFrame) -> pd.DataFrame:
    """A small Spark result as pandas (through Arrow, without pyspark's pandas layer)."""
    import warnings

    with warnings.catch_warnings():
        # pyspark checks the pandas version on toArrow too; only pyarrow converts here
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas",
                                FutureWarning)
        table = sdf.toArrow()
    return table.to_pandas()


def profile_spark(
    df: DataFrame,
    spec: dict[str, Any],
    *,
    reference_profile_id: int | None = None,
    time_column: str | None = None,
    window: str | None = None,
    batch_column: str | None = None,
    row_window: int | None = None,
) -> Profile:
    """Profile a Spark DataFrame on a reference's grid ``spec``: the profile the DuckDB
    pass (:func:`core.monitoring.profile_store.profile_dataset` with
    ``reference_profile_id``) makes of the same rows, not yet stored (``id`` None).

    Windows: ``window`` periods of ``time_column`` or one per value of ``batch_column``;
    neither: the whole table. Raises ProfileError on a column or window it cannot use.
    """
    if row_window:
        raise ProfileError(
            "Blocks of rows in file order (rows:N) cannot be profiled on Spark: a directory "
            "of Parquet files has no file order there. Window by a time or batch column.")
    schema = spark_schema(df)
    names = [c for c, _ in schema]
    for role, col in (("time", time_column), ("batch", batch_column)):
        if col and col not in names:
            raise ProfileError(f"The {role} column {col!r} is not in the Spark data "
                               f"(columns: {', '.join(names[:20])}).")
    if window and not time_column:
        raise ProfileError("A window needs a time column; pick the column holding the timestamp.")
    if batch_column:
        win, skip = _Windows("batch", batch_column), {batch_column}
        rec_time, rec_window = batch_column, f"column:{batch_column}"
    else:
        win = _Windows("time", time_column, window) if window else _Windows("none")
        skip = {time_column} if time_column else set()
        rec_time, rec_window = (time_column, window) if window else (None, None)
    if win.kind == "time":
        parse_interval(str(window))  # refuse an unsupported window before any scan
    plan = _plan(spec, schema, _notes_against(spec, schema, skip))
    scan, others = _scan(df, win, plan)
    n_rows = int(scan.moments["n_rows"].sum()) if len(scan.moments) else 0
    label = _labeller(rec_time if win.kind == "time" else None, None, batch_column, n_rows)
    pooled = {(label(w)[0], plan.counted[int(c)]): int(o)
              for w, c, o in others.itertuples(index=False)}
    columns = [replace(c, other=pooled.get((c.window, c.column), 0))
               if c.kind == "categorical" else c
               for c in _columns_from_scan(plan, scan, label)]
    return Profile(None, None, "", reference_profile_id, rec_time, rec_window, n_rows,
                   plan.spec, tuple(sorted(columns, key=_window_order)))


def _scan(df: DataFrame, win: _Windows, plan: _Plan) -> tuple[ProfileScan, pd.DataFrame]:
    """The three frames of :class:`ProfileScan` and the pooled ``other`` counts from two
    scans of the data: the moments, and one collect of the bins, the kept categories and
    the pooled counts (three branches of one grouped count, whose shuffle Spark reuses)."""
    from pyspark.sql import functions as F

    moments = _moments(df, win, plan)
    # cached: the three branches below would otherwise each scan the data (their filters
    # are pushed below the shuffle, so Spark cannot reuse it)
    counts = _counts(df, win, plan).persist()
    try:
        kept, other = _capped_categories(counts, plan)
        none_s, none_l = F.lit(None).cast("string"), F.lit(None).cast("long")
        rows = _collect(
            counts.where(F.col("c") < len(plan.numeric))
            .select(F.lit(0).alias("part"), "w", F.col("c").cast("int").alias("c"),
                    F.col("kb").alias("k"), none_s.alias("ks"), "n")
            .unionByName(kept.select(F.lit(1).alias("part"), "w", "c", none_l.alias("k"),
                                     F.col("k").alias("ks"), "n"))
            .unionByName(other.select(F.lit(2).alias("part"), "w", "c", none_l.alias("k"),
                                      none_s.alias("ks"), F.col("other").alias("n"))))
    finally:
        counts.unpersist()
    if len(rows):
        rows["w"] = win.to_pandas(rows["w"])
    part = rows["part"].to_numpy() if len(rows) else np.zeros(0)
    bins = rows.loc[part == 0, ["w", "c", "k", "n"]].astype({"k": "int64"})
    cats = rows.loc[part == 1, ["w", "c", "ks", "n"]].rename(columns={"ks": "k"})
    pooled = rows.loc[part == 2, ["w", "c", "n"]]
    return ProfileScan(moments, bins.reset_index(drop=True), cats.reset_index(drop=True)), \
        pooled.reset_index(drop=True)


# ------------------------------------------------------------------------ comparing
def profile_differences(a: Profile, b: Profile, *, rel: float = 1e-12, abs_tol: float = 0.0
                        ) -> list[str]:
    """What differs between two profiles' rows (empty: equal). Counts, keys, names,
    ``min``/``max`` and notes must be equal; sums within ``rel`` relative (``abs_tol``
    absolute) tolerance, the rounding of summing in another order: relative to the sum
    of squares and tail sums, and for ``sum`` relative to the values' magnitudes
    (:func:`_magnitude`), since a sum that cancels to near zero keeps their rounding.

    >>> c = ColumnProfile("x", "numeric", "DOUBLE", "all", None, n=2, nulls=0, sum=3.0)
    >>> p = Profile(None, None, "", None, None, None, 2, {}, (c,))
    >>> profile_differences(p, replace(p, columns=(replace(c, sum=3.5),)))
    ['all/x: sum 3.0 != 3.5']
    """
    out: list[str] = []
    if a.n_rows != b.n_rows:
        out.append(f"n_rows {a.n_rows} != {b.n_rows}")
    left = {(c.window, c.column): c for c in a.columns}
    right = {(c.window, c.column): c for c in b.columns}
    for key in sorted(set(left) ^ set(right)):
        out.append(f"{key[0]}/{key[1]}: only in {'the first' if key in left else 'the second'}")
    for key in sorted(set(left) & set(right)):
        center = float(a.spec.get(key[1], {}).get("center", 0.0) or 0.0)
        out += [f"{key[0]}/{key[1]}: {d}" for d in _column_differences(
            left[key], right[key], rel, abs_tol, center)]
    return out


_SUMS = ("sum", "sumsq", "below_sum", "above_sum")


def _magnitude(c: ColumnProfile, center: float) -> float:
    """A bound on the sum of the values' magnitudes, from the profile itself:
    ``sum |v| <= sqrt(valid * sum (v - c)^2) + valid * |c|`` (Cauchy-Schwarz). Summing in
    another order changes a sum by a multiple of this, not of the sum, which may cancel."""
    k = max(c.valid, 0)
    return math.sqrt(k * max(c.sumsq, 0.0)) + k * abs(center)


def _column_differences(x: ColumnProfile, y: ColumnProfile, rel: float, abs_tol: float,
                        center: float = 0.0) -> list[str]:
    out = []
    for f in x.__dataclass_fields__:
        u, v = getattr(x, f), getattr(y, f)
        if f in _SUMS:
            tol = max(abs_tol, rel * _magnitude(x, center)) if f == "sum" else abs_tol
            if not math.isclose(u, v, rel_tol=rel, abs_tol=tol) and not (
                    np.isnan(u) and np.isnan(v)):
                out.append(f"{f} {u!r} != {v!r}")
        elif u != v:
            shown = (f"{u!r} != {v!r}" if len(repr(u)) + len(repr(v)) < 200
                     else f"differ ({len(u)} vs {len(v)} entries)" if hasattr(u, "__len__")
                     else "differ")
            out.append(f"{f} {shown}")
    return out
