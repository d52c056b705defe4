"""The Spark profile pass equals the DuckDB pass, row for row, on awkward data; partial
profiles merge into the profile of the union on both engines.

Spark runs in local mode (``local[2]``), one session for the module. Without Java or
pyspark these tests skip with the reason; with WORKBENCH_REQUIRE_SPARK=1 (set by .ci/run)
that is a failure instead, so CI never passes them unrun.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.data.ingest import ingest_path
from core.db import projects as projects_db
from core.db.database import Database
from core.monitoring import spark as sp
from core.monitoring.profile_store import get_profile, profile_dataset
from core.monitoring.profiles import NO_BATCH, NO_TIMESTAMP, ProfileError, merge_profiles

N_REF, N_CUR = 4000, 6000


def spark_or_skip():
    """A module's Spark session, or a skip naming what is missing (a failure in CI)."""
    reason = sp.spark_missing()
    if reason:
        if os.environ.get("WORKBENCH_REQUIRE_SPARK") == "1":
            pytest.fail(f"WORKBENCH_REQUIRE_SPARK=1 but {reason}")
        pytest.skip(f"Spark tests skipped: {reason}")
    return sp.spark_session(driver_memory="512m", app_name="workbench-tests")


@pytest.fixture(scope="module")
def spark():
    s = spark_or_skip()
    yield s
    s.stop()


def _write(frame: pd.DataFrame, path: Path) -> None:
    """Parquet in which the missing values of ``gauge`` and ``noise`` are NULL in the first
    half of the rows and NaN in the second (pandas' NaN would all become NULL)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name in ("gauge", "noise"):
        if name in frame:
            values = frame[name].to_numpy(dtype=float)
            null = np.isnan(values) & (np.arange(len(values)) < len(values) // 2)
            table = table.set_column(table.schema.get_field_index(name), name,
                                     pa.array(values, mask=null))  # second half: NaN
    pq.write_table(table, path)


def _reference(rng: np.random.Generator) -> pd.DataFrame:
    n = N_REF
    return pd.DataFrame({
        # dyadic values: every partial sum is exact, so sums must agree to the last bit
        "gauge": np.round(rng.normal(50, 10, n) * 64) / 64,
        "noise": rng.lognormal(0, 1, n),
        "steps": rng.integers(-3, 40, n),
        "shade": rng.choice(["red", "green", "blue", "amber"], n),
        "token": [f"t{i:04d}" for i in rng.integers(0, 1100, n)],  # over the category cap
        "flag": rng.random(n) < 0.3,
        "blank": np.full(n, np.nan),  # no value at all in the reference: kind "empty"
        "stamp": pd.date_range("2024-11-01", periods=n, freq="53min").astype("datetime64[us]"),
        "lot": rng.integers(0, 5, n),
    })


def _current(rng: np.random.Generator, spec: dict) -> pd.DataFrame:
    n = N_CUR
    g = spec["gauge"]
    # values on bin edges, on the clamp thresholds, on the reference's extremes and beyond
    ks = np.arange(g["kmin"], g["kmax"] + 1, 97)
    edges = np.concatenate([
        g["a"] + ks * g["w"], [g["a"] + (g["kmin"] + 0.5) * g["w"]],
        [g["a"] + (g["kmax"] + 0.5) * g["w"], g["ref_min"], g["ref_max"]],
        np.nextafter([g["ref_min"], g["ref_max"]], [-np.inf, np.inf]),
        [g["ref_min"] - 100, g["ref_max"] + 100]])
    gauge = np.round(rng.normal(53, 12, n) * 64) / 64
    gauge[: len(edges)] = edges
    gauge[rng.random(n) < 0.04] = np.nan
    gauge[[-1, -2, -3]] = [np.inf, -np.inf, np.nan]
    noise = rng.lognormal(0.2, 1, n)
    noise[rng.random(n) < 0.02] = np.inf
    token = np.array([f"t{i:04d}" for i in rng.integers(0, 1500, n)], dtype=object)
    shade = rng.choice(["red", "green", "blue", "amber", "violet", "Ochre", "éclair"], n)
    frame = pd.DataFrame({
        "gauge": gauge, "noise": noise,
        "steps": rng.integers(-10, 60, n).astype(float),  # a float now: a retyped column
        "shade": pd.Series(shade, dtype=object), "token": token,
        "flag": rng.random(n) < 0.5,
        "blank": np.where(rng.random(n) < 0.1, rng.normal(size=n), np.nan),
        "stamp": pd.date_range("2025-02-20", periods=n, freq="41min").astype("datetime64[us]"),
        "lot": rng.integers(0, 6, n).astype(float),
        "extra": rng.normal(size=n),  # not in the reference
    })
    frame.loc[frame.index[:50], "stamp"] = pd.NaT  # rows without a timestamp
    frame.loc[frame.index[100:160], "lot"] = np.nan  # rows without a batch value
    # an "empty" window: every numeric value of batch 5 is missing, and every shade
    five = frame["lot"] == 5
    frame.loc[five, ["gauge", "noise"]] = np.nan
    frame.loc[five, "shade"] = None
    frame.loc[frame.index[200:260], "shade"] = None
    return frame


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory):
    """A store with a reference profile, the current data as one Parquet file (ingested)
    and as a directory of three Parquet parts (for Spark)."""
    root = tmp_path_factory.mktemp("lake")
    rng = np.random.default_rng(7)
    store = Database(root / "wb.duckdb")
    pid = projects_db.create_project(store, "Lake", "t")
    _write(_reference(rng), root / "ref.parquet")
    ref_id = ingest_path(store, pid, root / "ref.parquet", name="ref", actor="t").dataset_id
    ref_pid = profile_dataset(store, ref_id)
    spec = get_profile(store, ref_pid).spec
    cur = _current(rng, spec)
    _write(cur, root / "cur.parquet")
    (root / "parts").mkdir()
    for k, part in enumerate(np.array_split(np.arange(len(cur)), 3)):
        _write(cur.iloc[part], root / "parts" / f"part-{k}.parquet")
    cur_id = ingest_path(store, pid, root / "cur.parquet", name="cur", actor="t",
                         role="production").dataset_id
    yield {"store": store, "root": root, "ref_pid": ref_pid, "spec": spec, "cur_id": cur_id,
           "project_id": pid}
    store.close()


WINDOWINGS = {
    "whole": {},
    "week": {"time_column": "stamp", "window": "1 week"},
    "month": {"time_column": "stamp", "window": "1 month"},
    "batch": {"batch_column": "lot"},
}


def test_the_reference_grid_has_what_the_equality_tests_need(lake):
    spec = lake["spec"]
    assert spec["token"]["complete"] is False  # more reference categories than the cap
    assert spec["shade"]["complete"] is True
    assert spec["blank"]["kind"] == "empty"
    assert spec["steps"]["discrete"] is True and spec["gauge"]["discrete"] is False
    gauge = pq.read_table(lake["root"] / "cur.parquet").column("gauge").to_numpy(
        zero_copy_only=False)
    assert np.isnan(gauge).sum() > pq.read_table(lake["root"] / "cur.parquet").column(
        "gauge").null_count > 0  # NULLs and real NaNs


@pytest.mark.parametrize("how", list(WINDOWINGS))
def test_spark_profile_equals_duckdb_profile(spark, lake, how):
    kw = WINDOWINGS[how]
    duck = get_profile(lake["store"], profile_dataset(
        lake["store"], lake["cur_id"], reference_profile_id=lake["ref_pid"], **kw))
    df = sp.read_parquet(spark, str(lake["root"] / "parts"))
    on_spark = sp.profile_spark(df, lake["spec"], reference_profile_id=lake["ref_pid"], **kw)
    assert sp.profile_differences(duck, on_spark, rel=1e-12) == []
    # the dyadic column's sums are exact whatever the order of summation
    for c in duck.columns:
        if c.column == "gauge":
            s = on_spark.column("gauge", c.window)
            assert s is not None and (s.sum, s.sumsq) == (c.sum, c.sumsq)
    # the awkward cases really occurred
    total = on_spark.total()
    gauge, shade = total.column("gauge"), total.column("shade")
    assert gauge is not None and gauge.below > 0 and gauge.above > 0 and gauge.nulls >= 3
    assert shade is not None and "violet" in shade.categories  # unseen, kept by name
    token = total.column("token")
    assert token is not None and token.other > 0 and len(token.categories) <= 1000
    if how == "week":
        assert NO_TIMESTAMP in on_spark.windows
    if how == "batch":
        assert NO_BATCH in on_spark.windows
        empty = on_spark.column("gauge", "5.0")
        assert empty is not None and empty.valid == 0 and empty.bin_keys == ()


def test_unseen_names_beyond_the_cap_are_pooled_the_same_way(spark, lake):
    """A complete spec keeps at most max_unseen unseen names (first by name): the same
    names on both engines, the rest in ``other``."""
    df = sp.read_parquet(spark, str(lake["root"] / "parts"))
    spec = {**lake["spec"], "token": {**lake["spec"]["token"], "complete": True,
                                     "max_unseen": 7}}
    on_spark = sp.profile_spark(df, spec).column("token")
    names = pd.read_parquet(lake["root"] / "cur.parquet")["token"]
    known = set(spec["token"]["categories"])
    unseen = sorted(set(names) - known)
    assert on_spark is not None
    assert set(on_spark.categories) == (set(names) & known) | set(unseen[:7])
    assert on_spark.other == int(names.isin(unseen[7:]).sum())


def test_merged_spark_parts_equal_the_duckdb_profile_of_the_union(spark, lake):
    df = sp.read_parquet(spark, str(lake["root"] / "parts"))
    kw = WINDOWINGS["week"]
    first = df.where("noise < 1.5 OR noise IS NULL")
    second = df.where("NOT (noise < 1.5 OR noise IS NULL)")
    parts = [sp.profile_spark(p, lake["spec"], reference_profile_id=lake["ref_pid"], **kw)
             for p in (first, second)]
    duck = get_profile(lake["store"], profile_dataset(
        lake["store"], lake["cur_id"], reference_profile_id=lake["ref_pid"], **kw))
    merged = merge_profiles(*parts)
    assert sp.profile_differences(duck, merged, rel=1e-12) == []


def test_merged_duckdb_parts_equal_the_duckdb_profile_of_the_union(lake):
    """The merge law on the DuckDB engine: the current data in two ingested halves."""
    store, root = lake["store"], lake["root"]
    cur = pd.read_parquet(root / "cur.parquet")
    ids = []
    for k, half in enumerate((cur.iloc[::2], cur.iloc[1::2])):
        _write(half, root / f"half{k}.parquet")
        ids.append(ingest_path(store, lake["project_id"], root / f"half{k}.parquet",
                               name=f"half{k}", actor="t", role="production").dataset_id)
    kw = WINDOWINGS["batch"]
    parts = [get_profile(store, profile_dataset(store, i, reference_profile_id=lake["ref_pid"],
                                                **kw)) for i in ids]
    whole = get_profile(store, profile_dataset(
        store, lake["cur_id"], reference_profile_id=lake["ref_pid"], **kw))
    assert sp.profile_differences(whole, merge_profiles(*parts), rel=1e-12) == []


def test_what_spark_cannot_window_is_refused_with_the_reason(spark, lake):
    df = sp.read_parquet(spark, str(lake["root"] / "parts"))
    with pytest.raises(ProfileError, match="file order"):
        sp.profile_spark(df, lake["spec"], row_window=100)
    with pytest.raises(ProfileError, match="'when' is not in the Spark data"):
        sp.profile_spark(df, lake["spec"], time_column="when", window="1 week")
    with pytest.raises(ProfileError, match="not supported on Spark"):
        sp.profile_spark(df, lake["spec"], time_column="stamp", window="1 month 2 days")
    with pytest.raises(ProfileError, match="could not read"):
        sp.read_parquet(spark, str(lake["root"] / "no-such-dir"))


def test_profile_differences_names_what_differs():
    from core.monitoring.profiles import ColumnProfile, Profile

    c = ColumnProfile("x", "numeric", "DOUBLE", "all", None, n=4, nulls=1, sum=1.0,
                      bin_keys=(1, 2), bin_counts=(2, 1))
    p = Profile(None, None, "", None, None, None, 4, {}, (c,))
    q = replace(p, columns=(replace(c, bin_counts=(1, 2), sum=1.0 + 1e-15),))
    assert sp.profile_differences(p, q, rel=1e-12) == ["all/x: bin_counts (2, 1) != (1, 2)"]
    assert sp.profile_differences(p, replace(p, columns=())) == ["all/x: only in the first"]


def test_duckdb_counts_nan_in_a_parquet_file_as_missing(tmp_path):
    """A float column of a Parquet file can hold NaN (not NULL). The DuckDB pass must read
    it as missing, as it does +-inf: found by bench.spark, where Spark said 379 missing
    values and DuckDB 379 values above the reference range, a sum of 0 and no maximum."""
    store = Database(tmp_path / "nan.duckdb")
    pid = projects_db.create_project(store, "NaN", "t")
    ref = np.linspace(0.0, 10.0, 101)
    cur = np.array([1.0, np.nan, 2.0, np.nan, 12.0])
    for name, values in (("ref", ref), ("cur", cur)):
        pq.write_table(pa.table({"v": pa.array(values)}), tmp_path / f"{name}.parquet")
    assert pq.read_table(tmp_path / "cur.parquet").column("v").null_count == 0  # real NaNs
    ids = [ingest_path(store, pid, tmp_path / f"{n}.parquet", name=n, actor="t").dataset_id
           for n in ("ref", "cur")]
    ref_pid = profile_dataset(store, ids[0])
    c = get_profile(store, profile_dataset(store, ids[1], reference_profile_id=ref_pid)).column("v")
    store.close()
    assert c is not None
    assert (c.n, c.nulls, c.sum, c.min, c.max) == (5, 2, 15.0, 1.0, 12.0)
    assert (c.below, c.above, c.above_sum) == (0, 1, 12.0)


def test_a_sum_that_cancels_is_compared_to_the_magnitudes_not_to_itself():
    """Found by bench.spark at 10M rows: a weekly sum of ~385,000 standard normal values
    was -20.46697928854394 on one engine and -20.466979288511602 on the other (1.6e-12
    relative to itself, 1e-16 relative to the values' magnitudes): rounding, not a
    difference. A real difference of the same relative size of the magnitudes is still one."""
    from core.monitoring.profiles import ColumnProfile, Profile

    c = ColumnProfile("x", "numeric", "DOUBLE", "w", None, n=385_000, nulls=0,
                      sum=-20.46697928854394, sumsq=385_000.0)
    p = Profile(None, None, "", None, None, None, c.n, {"x": {"center": 0.0}}, (c,))
    rounded = replace(p, columns=(replace(c, sum=-20.466979288511602),))
    assert sp.profile_differences(p, rounded, rel=1e-12) == []
    shifted = replace(p, columns=(replace(c, sum=-20.46697928854394 + 1e-3),))
    assert sp.profile_differences(p, shifted, rel=1e-12) != []
