"""Numeric (regression) targets in the Data stage, and the file-order split, on generated
data whose columns are unlike the demo's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import data
from core.charts import splits as charts_splits
from core.data import PARTS, SplitError, create_split, missing_classes
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db


def _harvest(n: int = 600, seed: int = 4) -> pd.DataFrame:
    """Crop yields: a numeric target on a 0.1 grid with rare tail values (~80 distinct)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sown_on": pd.Timestamp("2024-03-01") + pd.to_timedelta(np.arange(n) // 4, unit="D"),
            "plot_code": rng.integers(0, 60, n),
            "soil": rng.choice(["loam", "clay", "sand"], n),
            "rain_mm": rng.gamma(4, 20, n).round(1),
            "yield_t": np.round(rng.normal(10.0, 1.6, n), 1),
        }
    )


@pytest.fixture
def farm(store):
    pid = projects_db.create_project(store, "Farm", "t")
    did = datasets_db.insert_dataset(store, pid, "harvest", _harvest(), source="t",
                                     role="training", actor="t")  # fmt: skip
    return store, pid, did


def test_target_kind_rule():
    assert data.is_numeric_target(True, 21, 0) and not data.is_numeric_target(True, 20, 0)
    assert data.is_numeric_target(True, 2, 1)  # 0.5 / 1.5: a number, not classes
    assert not data.is_numeric_target(False, 1000, 0)


def test_numeric_target_kind_from_the_store(farm):
    store, pid, did = farm
    assert _harvest()["yield_t"].nunique() <= 100  # the old rule took these as classes
    assert data.target_kind(store, did, "yield_t") == "numeric"
    assert data.target_kind(store, did, "soil") == "classes"
    flags = pd.DataFrame({"flag": [0, 1] * 30, "count": np.arange(60) % 7})
    fid = datasets_db.insert_dataset(store, pid, "f", flags, source="t", role="training", actor="t")
    assert data.target_kind(store, fid, "flag") == "classes"
    assert data.target_kind(store, fid, "count") == "classes"  # 7 whole numbers


def test_target_distribution_matches_numpy(store):
    pid = projects_db.create_project(store, "P", "t")
    rng = np.random.default_rng(11)
    x = rng.lognormal(3, 0.7, 2000)
    col = x.copy()
    col[:7] = np.nan
    col[7:9] = np.inf
    did = datasets_db.insert_dataset(store, pid, "d", pd.DataFrame({"price_eur": col}),
                                     source="t", role="training", actor="t")  # fmt: skip
    dist = data.target_distribution(store, did, "price_eur", bins=25)
    finite = col[np.isfinite(col)]
    assert (dist.n_rows, dist.n_missing, dist.n) == (2000, 9, 1991)
    assert dist.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert dist.std == pytest.approx(finite.std(ddof=1), rel=1e-9)
    assert (dist.minimum, dist.maximum) == (finite.min(), finite.max())
    for p, q in dist.quantiles:
        assert q == pytest.approx(np.quantile(finite, p), rel=1e-12)
    counts, edges = np.histogram(finite, bins=25, range=(finite.min(), finite.max()))
    assert list(dist.counts) == counts.tolist()
    np.testing.assert_allclose(dist.edges, edges, rtol=1e-12)
    frame = dist.to_frame()
    assert frame.loc[frame["statistic"] == "median", "value"].item() == dist.quantile(0.5)


def test_target_distribution_figure_is_labelled(farm):
    store, _, did = farm
    fig = charts_splits.target_distribution_figure(data.target_distribution(store, did, "yield_t"))
    assert fig.layout.title.text.startswith("Distribution of yield_t (numeric target")
    assert fig.layout.xaxis.title.text == "yield_t" and fig.layout.yaxis.title.text == "rows"
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert legend == ["rows", "5% and 95% quantiles", "quartiles (25%, 75%)", "median"]
    median = next(t for t in fig.data if t.name == "median")
    assert median.x[0] == pytest.approx(np.quantile(_harvest()["yield_t"], 0.5))


def test_random_split_of_a_numeric_target_warns_per_no_class(farm):
    store, pid, did = farm
    sid = create_split(store, pid, did, "r", method="random", target="yield_t", seed=3,
                       actor="t")  # fmt: skip
    split = data.get_split(store, sid)
    assert split.params["warnings"] == []
    assert missing_classes(store, sid, "yield_t") == {}
    assert "target_bins" not in split.params  # binned only to stratify (and the ladder)
    # the ladder still nests and keeps its share of train
    f = splits_db.split_frame(store, sid)
    train = f[f["__part"] == "train"]
    assert (train["__ladder"] <= 0.1).sum() == round(0.1 * len(train))


def test_stratified_split_of_a_numeric_target_uses_quantile_bins(farm):
    store, pid, did = farm
    sid = create_split(store, pid, did, "s", method="stratified", target="yield_t", seed=1,
                       actor="t")  # fmt: skip
    split = data.get_split(store, sid)
    y = _harvest()["yield_t"]
    edges = sorted(set(np.quantile(y, [0.2, 0.4, 0.6, 0.8]).tolist()))
    assert split.params["target_bins"] == pytest.approx(edges)
    assert split.params["warnings"] == []
    frame = splits_db.split_frame(store, sid, ["yield_t"])
    bins = np.searchsorted(edges, frame["yield_t"], side="right")
    table = pd.crosstab(bins, frame["__part"])[list(PARTS)].to_numpy()
    exact = table.sum(axis=1)[:, None] * np.array([0.7, 0.15, 0.15])
    assert np.abs(table - exact).max() <= 1  # every bin within one row of its share
    text = data.describe_split(split)
    assert "stratified by yield_t (a number: 5 quantile bins)" in text


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "time", "time_column": "sown_on", "time_cutoffs": ("2024-06-01", "2024-06-20")},
        {"method": "group", "group_column": "plot_code"},
        {"method": "stratified_by_column", "stratify_column": "soil"},
        {"method": "order"},
    ],
)
def test_other_methods_work_with_a_numeric_target(farm, request_):
    store, pid, did = farm
    sid = create_split(store, pid, did, "x", target="yield_t", actor="t", **request_)
    split = data.get_split(store, sid)
    assert split.n_train + split.n_dev + split.n_test == 600
    assert split.params["warnings"] == []


def test_text_target_with_too_many_values_still_cannot_be_stratified(store):
    pid = projects_db.create_project(store, "P", "t")
    df = pd.DataFrame({"ticket": [f"T-{i}" for i in range(300)], "v": np.arange(300)})
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    with pytest.raises(SplitError, match="too many classes to stratify"):
        create_split(store, pid, did, "s", method="stratified", target="ticket", actor="t")


# ------------------------------------------------------------------ file order
@pytest.mark.parametrize(
    ("n", "shares", "sizes"),
    [(600, (0.7, 0.15, 0.15), (420, 90, 90)), (101, (0.6, 0.2, 0.2), (61, 20, 20)),
     (7, (0.5, 0.25, 0.25), (3, 2, 2)), (50, (0.8, 0.2, 0.0), (40, 10, 0))],
)  # fmt: skip
def test_file_order_split_is_contiguous_and_exact(store, n, shares, sizes):
    pid = projects_db.create_project(store, "P", "t")
    rng = np.random.default_rng(n)
    df = pd.DataFrame({"reading": rng.normal(size=n), "batch": rng.integers(0, 3, n)})
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    sid = create_split(store, pid, did, "o", method="order", shares=shares, seed=9, actor="t")
    split = data.get_split(store, sid)
    assert (split.n_train, split.n_dev, split.n_test) == sizes
    parts = splits_db.split_assignment_frame(store, sid).sort_values("row_id")["part"].tolist()
    assert parts == ["train"] * sizes[0] + ["dev"] * sizes[1] + ["test"] * sizes[2]
    # the same whatever the seed (the order decides), so the same hash
    other = create_split(store, pid, did, "o2", method="order", shares=shares, seed=1, actor="t")
    assert data.get_split(store, other).n_train == sizes[0]
    text = data.describe_split(split)
    assert text.startswith("File order by row order: the first")


def test_file_order_is_offered_with_the_methods():
    assert "order" in data.METHODS
