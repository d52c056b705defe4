"""SliceLine discovery on Spark finds the same top-k slices as on DuckDB — keys, sizes,
errors, scores, labels — on awkward data: nulls and NaN, binned numbers with ties on the
edges, categories (text, numbers, floats, booleans, months), ties between slices, a strong
level-3 slice, regression errors, and searches that find nothing.

Spark runs in local mode (``local[2]``), one session for the module; without Java or
pyspark these tests skip with the reason (a failure with WORKBENCH_REQUIRE_SPARK=1).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import analysis as S
from core.analysis.slices_job import main as slices_main
from core.analysis.source import SliceSource, to_arrow
from core.analysis.spark_slices import discover_slices_spark
from core.db.database import Database
from core.monitoring import spark as sp
from tests.core.test_slices import _nested_strong_slices, _project_with_run
from tests.core.test_spark import spark_or_skip


@pytest.fixture(scope="module")
def spark():
    s = spark_or_skip()
    yield s
    s.stop()


def _mixed(n: int = 1500, seed: int = 0) -> pa.Table:
    """Predictions with every kind of column; ``gauge`` has NULLs and NaNs, ``rate`` floats
    whose text differs between the engines (1e-05 / 1.0E-5), ``age`` integers (ties on
    the quantile edges), ``tier`` few integers (a category), ``seen`` months."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["N", "S", "E", "W"], n).astype(object)
    region[rng.uniform(size=n) < 0.06] = None
    kind = rng.choice(["a", "b", "c"], n)
    gauge = np.round(rng.lognormal(3, 1, n), 1)
    gauge[rng.uniform(size=n) < 0.05] = np.nan
    gauge_null = rng.uniform(size=n) < 0.05
    age = rng.integers(18, 80, n)
    tier = rng.integers(0, 4, n)
    rate = rng.choice([1e-05, 0.5, 1.25, 3e7], n)
    flag = rng.uniform(size=n) < 0.3
    seen = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    y = rng.integers(0, 2, n)
    p = np.where((region == "S") & (kind == "b"), 0.45, 0.1)
    p = np.where((tier == 2) & flag & (age < 40), 0.6, p)
    p = np.where(np.isnan(gauge), 0.3, p)
    y_pred = np.where(rng.uniform(size=n) < p, 1 - y, y)
    return pa.table({
        "row_id": np.arange(n), "region": pa.array(region, pa.string()), "kind": kind,
        "gauge": pa.array(gauge, mask=gauge_null),  # NaN stays NaN; the mask is NULL
        "age": age, "tier": tier, "rate": rate, "flag": flag,
        "seen": pa.array(seen.to_numpy().astype("datetime64[us]")),
        "y_true": y.astype(str), "y_pred": y_pred.astype(str), "score": rng.uniform(size=n),
    })


def _table(df: pd.DataFrame, regression: bool = False) -> pa.Table:
    """A frame as the slice base's table (row id, score, truth and prediction as text)."""
    return S.frame_source(df, positive_class="1", regression=regression).frame


def _both(store: Database, spark, table: pa.Table, path: Path, *, regression: bool = False,
          columns: list[str] | None = None, **search) -> tuple[S.Discovery, S.Discovery]:
    """The discovery of the same rows and specs on DuckDB and on Spark (from Parquet)."""
    src = SliceSource(frame=table, positive_class="1", regression=regression)
    plan = S.plan_columns(store, src, columns, exclude=("row_id", "score"))
    duck = S.discover_slices(store, src, plan.specs, **search)
    pq.write_table(table, path)
    df = sp.read_parquet(spark, str(path))
    return duck, discover_slices_spark(df, plan.specs, regression=regression, **search)


def _assert_same(duck: S.Discovery, spk: S.Discovery) -> None:
    pd.testing.assert_frame_equal(duck.slices, spk.slices, check_exact=True)
    for k in ("n", "errors", "evaluated"):
        assert duck.stats.get(k) == spk.stats.get(k), k
    params = {k: v for k, v in spk.params.items() if k != "engine"}
    assert params == duck.params


@pytest.mark.parametrize(("alpha", "min_support", "top_k"),
                         [(0.95, 20, 10), (0.9, 0.03, 25), (0.99, 8, 40)])
def test_mixed_columns_give_the_same_slices(store: Database, spark, tmp_path: Path,
                                            alpha: float, min_support: float, top_k: int):
    duck, spk = _both(store, spark, _mixed(), tmp_path / "mixed.parquet", alpha=alpha,
                      min_support=min_support, top_k=top_k)
    _assert_same(duck, spk)
    assert len(duck.slices) >= 3 and duck.slices["level"].max() >= 2
    assert "region = S AND kind = b" in set(duck.slices["label"])


def test_every_code_of_every_column_is_the_same(store: Database, spark, tmp_path: Path):
    # max_level 1 with support 1 reports every predicate that beats the mean: compare the
    # predicate sizes of each column's codes directly (NULL/NaN, floats, months, booleans)
    table = _mixed(800, seed=3)
    duck, spk = _both(store, spark, table, tmp_path / "codes.parquet", alpha=1.0,
                      min_support=1, top_k=200, max_level=1)
    _assert_same(duck, spk)
    kinds = {p["op"] for s in duck.slices["slice"] for p in s}
    assert {"missing", "range", "eq", "month"} <= kinds


def test_a_strong_level_three_slice_is_found_on_both(store: Database, spark, tmp_path: Path):
    df, _ = _nested_strong_slices()
    table = _table(df)
    for k in (2, 5):
        duck, spk = _both(store, spark, table, tmp_path / f"abc{k}.parquet", alpha=0.95,
                          min_support=10, top_k=k)
        _assert_same(duck, spk)
        assert spk.slices["label"].iloc[1] == "a = 1 AND b = 1 AND c = 1"
        assert spk.slices["size"].iloc[1] == 20 and spk.slices["errors"].iloc[1] == 20


def test_ties_and_nested_slices_are_ordered_alike(store: Database, spark, tmp_path: Path):
    rng = np.random.default_rng(101)
    n = 600
    df = pd.DataFrame({f"x{i}": rng.integers(0, 2, n).astype(str) for i in range(4)})
    df["x4"] = np.where(df["x0"] == "1", "t", rng.choice(["t", "u"], n))  # x0=1 gives x4=t
    p = np.where((df.x0 == "1") & (df.x1 == "1"), 0.6, 0.05)
    p = np.where((df.x2 == "0") & (df.x3 == "1"), 0.45, p)
    y = rng.integers(0, 2, n)
    df["y_true"] = y.astype(str)
    df["y_pred"] = np.where(rng.uniform(size=n) < p, 1 - y, y).astype(str)
    for k in (1, 3, 8):
        duck, spk = _both(store, spark, _table(df), tmp_path / f"ties{k}.parquet",
                          alpha=0.9, min_support=15, top_k=k)
        _assert_same(duck, spk)
    assert duck.slices["score"].duplicated().any() or len(duck.slices) == 8


def test_regression_errors_give_the_same_slices(store: Database, spark, tmp_path: Path):
    # quarters: every squared error and every sum of them is exact, so the engines agree
    # to the last bit (see the module convention of core.analysis.spark_slices)
    rng = np.random.default_rng(11)
    n = 1500
    shade = rng.choice(["red", "green", "blue"], n)
    size = rng.integers(0, 100, n)
    y = rng.integers(0, 80, n) / 4
    noise = rng.integers(-2, 3, n) / 4
    noise = np.where((shade == "red") & (size >= 60), noise * 6, noise)
    y_pred = (y + noise).astype(object)
    y_pred[:7] = "n/a"  # an unreadable prediction: no error, not searched
    table = _table(pd.DataFrame({"shade": shade, "size": size, "y_true": y.astype(str),
                                 "y_pred": [str(v) for v in y_pred]}), regression=True)
    duck, spk = _both(store, spark, table, tmp_path / "reg.parquet", regression=True,
                      alpha=0.95, min_support=30, top_k=8)
    _assert_same(duck, spk)
    assert "rmse" in spk.slices and spk.stats["n"] == n - 7
    assert spk.slices["label"].iloc[0].startswith("shade = red")
    # a share of support counts every row, readable or not: 20 % of 1,500 rows, not 1,493
    duck, spk = _both(store, spark, table, tmp_path / "reg2.parquet", regression=True,
                      alpha=0.95, min_support=0.2, top_k=8)
    _assert_same(duck, spk)
    assert spk.params["min_support"] == 300 and not spk.slices.empty


def test_searches_that_find_nothing_agree(store: Database, spark, tmp_path: Path):
    df = pd.DataFrame({"x": ["a", "b"] * 50, "y_true": ["1"] * 100, "y_pred": ["1"] * 100})
    duck, spk = _both(store, spark, _table(df), tmp_path / "none.parquet", min_support=5)
    assert spk.slices.empty and duck.slices.empty
    assert list(spk.slices.columns) == list(duck.slices.columns)
    df["y_pred"] = ["0"] + ["1"] * 99  # one error: no slice reaches the support
    duck, spk = _both(store, spark, _table(df), tmp_path / "none2.parquet", min_support=60)
    assert spk.slices.empty and duck.slices.empty and spk.stats["errors"] == 1.0


def test_a_missing_column_is_named(store: Database, spark, tmp_path: Path):
    table = to_arrow(pd.DataFrame({"x": ["a", "b"] * 10, "truth": ["1"] * 20,
                                     "y_pred": ["1", "0"] * 10}))
    pq.write_table(table, tmp_path / "bad.parquet")
    df = sp.read_parquet(spark, str(tmp_path / "bad.parquet"))
    specs = [S.ColumnSpec("x", "cat", values=("a", "b")), S.ColumnSpec("w", "cat")]
    with pytest.raises(S.SliceError, match=r"no column 'w', 'y_true'.*--y-true"):
        discover_slices_spark(df, specs, regression=False)


# ------------------------------------------------------------ the command line, end to end
@pytest.fixture()
def site(tmp_path: Path) -> dict:
    """A store with a run whose dev part's predictions (and features) are also Parquet."""
    db = tmp_path / "wb.duckdb"
    store = Database(db)
    ctx = _project_with_run(store, n=900)
    preds = store.df("SELECT row_id, y_true, y_pred FROM predictions WHERE run_id = ? AND"
                     " part = 'dev' ORDER BY row_id", [ctx["rid"]])
    rows = ctx["data"].iloc[preds["row_id"].to_numpy()].reset_index(drop=True)
    lake = tmp_path / "lake"
    lake.mkdir()
    frame = rows[["color", "size", "count"]].assign(y_true=preds["y_true"],
                                                    y_pred=preds["y_pred"])
    for k, part in enumerate(np.array_split(np.arange(len(frame)), 2)):  # two Parquet parts
        pq.write_table(pa.Table.from_pandas(frame.iloc[part], preserve_index=False),
                       lake / f"part-{k}.parquet")
    src = S.source_for_run(store, ctx["rid"], "dev")
    store.close()
    return {"db": str(db), "rid": ctx["rid"], "lake": str(lake), "src": src, "root": tmp_path}


def _latest(db: str, rid: int) -> S.Discovery:
    store = Database(db)
    try:
        found = S.latest_discovery(store, rid, "dev")
        assert found is not None
        return found
    finally:
        store.close()


def test_export_search_and_import_store_duckdbs_slices(spark, site: dict):
    spec, out = str(site["root"] / "spec.json"), str(site["root"] / "found.parquet")
    assert slices_main(["--db", site["db"], "--run", str(site["rid"]), "--part", "dev",
                        "--export-spec", spec]) == 0
    search = ["--spec", spec, "--data", site["lake"], "--min-support", "0.05", "--top-k", "4"]
    assert slices_main([*search, "--output", out]) == 0
    assert slices_main(["--db", site["db"], "--import-slices", out]) == 0
    imported = _latest(site["db"], site["rid"])
    assert slices_main([*search, "--db", site["db"]]) == 0  # straight into the store
    stored = _latest(site["db"], site["rid"])
    store = Database(site["db"])
    try:
        plan = S.plan_columns(store, site["src"], ["color", "size", "count"])
        duck = S.discover_slices(store, site["src"], plan.specs, min_support=0.05, top_k=4)
    finally:
        store.close()
    cols = ["rank", "label", "level", "slice", "size", "errors", "error_rate", "score"]
    assert len(duck.slices) >= 2
    for back in (imported, stored):
        pd.testing.assert_frame_equal(back.slices[cols], duck.slices[cols], check_exact=True,
                                      check_dtype=False)  # stored rank is INTEGER
        assert back.params["engine"] == "spark" and back.params["source"] == site["lake"]
        assert back.stats["n"] == duck.stats["n"] and back.params["min_support"] == 15


def test_an_empty_search_round_trips_and_bad_files_change_nothing(spark, site: dict, capsys):
    spec, out = str(site["root"] / "spec.json"), str(site["root"] / "none.parquet")
    slices_main(["--db", site["db"], "--run", str(site["rid"]), "--export-spec", spec])
    assert slices_main(["--spec", spec, "--data", site["lake"], "--min-support", "5000",
                        "--output", out]) == 0
    assert slices_main(["--db", site["db"], "--import-slices", out]) == 0
    assert _latest(site["db"], site["rid"]).slices.empty
    bad = site["root"] / "bad.parquet"
    pq.write_table(pa.table({"x": [1]}), bad)
    other = json.loads(Path(spec).read_text())
    other["run_id"] = 999
    wrong = site["root"] / "wrong.json"
    wrong.write_text(json.dumps(other))
    capsys.readouterr()
    assert slices_main(["--db", site["db"], "--import-slices", str(bad)]) == 2
    assert "bad.parquet' holds no found slices" in capsys.readouterr().err
    assert slices_main(["--spec", str(wrong), "--data", site["lake"], "--db", site["db"]]) == 2
    assert "run 999" in capsys.readouterr().err
    assert slices_main(["--spec", str(bad), "--data", site["lake"], "--output", out]) == 2
    assert "Cannot read the spec file" in capsys.readouterr().err
    assert slices_main(["--spec", spec, "--data", str(site["root"] / "nowhere"),
                        "--output", out]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert _latest(site["db"], site["rid"]).slices.empty  # still the empty discovery


def test_spark_submit_hands_slices_to_the_slice_job():
    script = Path(__file__).resolve().parents[2] / "core" / "monitoring" / "spark_submit.py"
    out = subprocess.run([sys.executable, str(script), "slices", "--help"], capture_output=True,
                         text=True, timeout=120, check=False)
    assert out.returncode == 0 and "python -m core.slices" in out.stdout
    assert "--export-spec" in out.stdout and "--import-slices" in out.stdout
