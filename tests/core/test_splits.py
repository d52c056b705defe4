from __future__ import annotations

import itertools
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import data
from core.charts import splits as charts_splits
from core.data import (
    PARTS,
    SplitError,
    allocate,
    assign_parts,
    class_balance,
    create_split,
    group_parts,
    ladder_levels,
    missing_classes,
    split_summary,
)
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db


def _frame(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.choice(["ok", "review", "fraud"], size=n, p=[0.75, 0.22, 0.03])
    return pd.DataFrame(
        {
            "ts": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 240, n), unit="D"),
            "customer": rng.integers(0, n // 8, n),
            "region": rng.choice(["N", "S", "E"], size=n),
            "amount": rng.lognormal(8, 1, n).round(2),
            "y": y,
        }
    )


@pytest.fixture
def ds(store):
    pid = projects_db.create_project(store, "P", "t")
    did = datasets_db.insert_dataset(store, pid, "claims", _frame(), source="t", role="training", actor="t")
    return store, pid, did


def _counts(store) -> tuple[int, int, int]:
    return (
        len(store.rows("SELECT * FROM splits")),
        store.rows("SELECT count(*) FROM split_assignments")[0][0],
        len(projects_db.list_audit(store)),
    )


# ------------------------------------------------------------------ pure arithmetic
@settings(max_examples=150, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 60), min_size=1, max_size=12),
    raw=st.tuples(st.integers(1, 20), st.integers(0, 20), st.integers(0, 20)),
)
def test_allocate_is_a_controlled_rounding(sizes, raw):
    shares = np.array(raw, float) / sum(raw)
    cells = allocate(sizes, shares)
    exact = np.array(sizes)[:, None] * shares[None, :]
    assert (cells >= 0).all()
    assert cells.sum(axis=1).tolist() == list(sizes)
    assert np.abs(cells - exact).max() <= 1 + 1e-9
    assert np.abs(cells.sum(axis=0) - sum(sizes) * shares).max() <= 1 + 1e-9


@settings(max_examples=100, deadline=None)
@given(
    codes=st.lists(st.integers(0, 5), min_size=1, max_size=300),
    raw=st.tuples(st.integers(1, 10), st.integers(0, 10), st.integers(0, 10)),
    seed=st.integers(0, 2**32 - 1),
)
def test_assign_parts_stratified_within_one_row_and_deterministic(codes, raw, seed):
    codes = np.array(codes)
    shares = np.array(raw, float) / sum(raw)
    parts = assign_parts(codes, shares, seed)
    assert len(parts) == len(codes) and set(np.unique(parts)) <= {0, 1, 2}
    for k in np.unique(codes):
        got = np.bincount(parts[codes == k], minlength=3)
        assert np.abs(got - (codes == k).sum() * shares).max() <= 1 + 1e-9
    assert np.abs(np.bincount(parts, minlength=3) - len(codes) * shares).max() <= 1 + 1e-9
    assert (assign_parts(codes, shares, seed) == parts).all()


@settings(max_examples=100, deadline=None)
@given(
    groups=st.lists(st.integers(0, 40), min_size=1, max_size=300),
    seed=st.integers(0, 10_000),
)
def test_group_parts_never_put_a_group_in_two_parts(groups, seed):
    groups = np.array(groups)
    parts = group_parts(groups, [0.6, 0.2, 0.2], seed)
    for g in np.unique(groups):
        assert len(np.unique(parts[groups == g])) == 1


@settings(max_examples=100, deadline=None)
@given(codes=st.lists(st.integers(0, 3), min_size=1, max_size=300), seed=st.integers(0, 999))
def test_ladder_is_nested_and_keeps_every_class(codes, seed):
    codes = np.array(codes)
    rungs = (0.1, 0.25, 0.5, 1.0)
    levels = ladder_levels(codes, rungs, seed)
    assert not np.isnan(levels).any() and set(np.unique(levels)) <= set(rungs)
    for small, big in itertools.pairwise(rungs):
        assert set(np.flatnonzero(levels <= small)) <= set(np.flatnonzero(levels <= big))
    for r in rungs:
        on = levels <= r
        assert set(codes[on]) == set(codes), "every class on every rung"
        for k in np.unique(codes):
            n_k = (codes == k).sum()
            assert abs(on[codes == k].sum() - max(1, r * n_k)) <= 1 + 1e-9


# ------------------------------------------------------------------ stored splits
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=st.sampled_from(["random", "stratified", "stratified_by_column", "time", "group"]),
    seed=st.integers(0, 10_000),
    train=st.integers(40, 80),
)
def test_parts_partition_the_rows(ds, method, seed, train):
    store, pid, did = ds
    dev = (100 - train) // 2
    name = f"s{len(splits_db.list_splits(store, pid))}"
    sid = create_split(
        store, pid, did, name, method=method, target="y", seed=seed,
        shares=(train / 100, dev / 100, (100 - train - dev) / 100),
        stratify_column="region", group_column="customer", time_column="ts",
        time_cutoffs=(datetime(2025, 5, 1), datetime(2025, 7, 1)), actor="t",
    )  # fmt: skip
    frame = splits_db.split_frame(store, sid)
    row_ids = datasets_db.dataset_frame(store, did, with_row_id=True)["__row_id"]
    assert frame["__row_id"].is_unique
    assert sorted(frame["__row_id"]) == sorted(row_ids)
    assert set(frame["__part"]) == set(PARTS)
    split = splits_db.get_split(store, sid)
    assert split.n_train + split.n_dev + split.n_test == len(row_ids)


def test_stratified_shares_within_one_row_of_exact(ds):
    store, pid, did = ds
    sid = create_split(store, pid, did, "strat", method="stratified", target="y", seed=5,
                       actor="t")  # fmt: skip
    frame = splits_db.split_frame(store, sid, ["y"])
    table = pd.crosstab(frame["y"], frame["__part"])[list(PARTS)]
    exact = table.sum(axis=1).to_numpy()[:, None] * np.array([0.7, 0.15, 0.15])
    assert np.abs(table.to_numpy() - exact).max() <= 1
    assert np.abs(table.sum().to_numpy() - 1000 * np.array([0.7, 0.15, 0.15])).max() <= 1


def test_stratified_by_column_balances_every_cell(ds):
    store, pid, did = ds
    sid = create_split(store, pid, did, "sc", method="stratified_by_column", target="y",
                       stratify_column="region", seed=2, actor="t")  # fmt: skip
    frame = splits_db.split_frame(store, sid, ["y", "region"])
    table = pd.crosstab([frame["y"], frame["region"]], frame["__part"])[list(PARTS)]
    exact = table.sum(axis=1).to_numpy()[:, None] * np.array([0.7, 0.15, 0.15])
    assert np.abs(table.to_numpy() - exact).max() <= 1


def test_time_split_never_leaks(ds):
    store, pid, did = ds
    c1, c2 = datetime(2025, 5, 1), datetime(2025, 7, 1)
    sid = create_split(store, pid, did, "time", method="time", target="y", time_column="ts",
                       time_cutoffs=(c1, c2), actor="t")  # fmt: skip
    f = splits_db.split_frame(store, sid, ["ts"])
    by = f.groupby("__part")["ts"]
    assert by.max()["train"] < pd.Timestamp(c1) <= by.min()["dev"]
    assert by.max()["dev"] < pd.Timestamp(c2) <= by.min()["test"]
    assert splits_db.get_split(store, sid).params["time_cutoffs"] == [c1.isoformat(), c2.isoformat()]


def test_group_split_never_leaks(ds):
    store, pid, did = ds
    sid = create_split(store, pid, did, "grp", method="group", group_column="customer",
                       target="y", seed=11, actor="t")  # fmt: skip
    f = splits_db.split_frame(store, sid, ["customer"])
    assert f.groupby("customer")["__part"].nunique().max() == 1
    shares = f["__part"].value_counts(normalize=True)
    assert abs(shares["train"] - 0.7) < 0.05


def test_same_seed_same_split_same_hash(ds):
    store, pid, did = ds
    kw = {"method": "stratified", "target": "y", "seed": 42, "actor": "t"}
    a = splits_db.get_split(store, create_split(store, pid, did, "a", **kw))
    b = splits_db.get_split(store, create_split(store, pid, did, "b", **kw))
    c = splits_db.get_split(store, create_split(store, pid, did, "c", **{**kw, "seed": 43}))
    assert a.content_hash == b.content_hash != c.content_hash
    fa, fb = splits_db.split_frame(store, a.id), splits_db.split_frame(store, b.id)
    pd.testing.assert_frame_equal(fa, fb)


def test_ladder_nested_and_stratified_within_train(ds):
    store, pid, did = ds
    sid = create_split(store, pid, did, "lad", method="random", target="y", seed=1,
                       ladder=(0.5, 0.1, 0.25), actor="t")  # fmt: skip
    assert splits_db.get_split(store, sid).params["ladder"] == [0.1, 0.25, 0.5, 1.0]  # sorted, 1.0 added
    f = splits_db.split_frame(store, sid, ["y"])
    assert f.loc[f["__part"] != "train", "__ladder"].isna().all()
    train = f[f["__part"] == "train"]
    prev: set = set()
    for r in (0.1, 0.25, 0.5, 1.0):
        rung = set(splits_db.split_frame(store, sid, parts=["train"], max_ladder=r)["__row_id"])
        assert prev <= rung
        prev = rung
        sub = train[train["__ladder"] <= r]
        assert abs(len(sub) - r * len(train)) <= 3  # one row per class
        assert set(sub["y"]) == {"ok", "review", "fraud"}
    assert len(prev) == len(train)


def test_rare_class_missing_from_a_part_is_a_warning(store):
    pid = projects_db.create_project(store, "P", "t")
    df = pd.DataFrame({"y": ["a"] * 60 + ["b"] * 37 + ["c"] * 3, "x": range(100)})
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    plan = data.plan_split(store, did, method="random", target="y", seed=0)
    sid = create_split(store, pid, did, "r", method="random", target="y", seed=0, actor="t")
    missing = missing_classes(store, sid, "y")
    assert missing and all(v == ["c"] for v in missing.values())
    assert any("class c" in w for w in splits_db.get_split(store, sid).params["warnings"])
    assert plan.warnings == tuple(splits_db.get_split(store, sid).params["warnings"])
    # stratified, three rows of c: 2.1 / 0.45 / 0.45 rounds to 2 / 1 / 0 (within one row)
    strat = create_split(store, pid, did, "s", method="stratified", target="y", actor="t")
    assert sum(len(v) for v in missing_classes(store, strat, "y").values()) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "random", "shares": (0.7, 0.2, 0.2)}, "add up to 1.10"),
        ({"method": "random", "shares": (0.7, 0.3)}, "three shares"),
        ({"method": "random", "shares": (0, 0.5, 0.5)}, "train share"),
        ({"method": "random", "shares": (1.2, -0.1, -0.1)}, "between 0 and 1"),
        ({"method": "shuffle"}, "Unknown split method"),
        ({"method": "random", "seed": -1}, "seed"),
        ({"method": "stratified"}, "needs a target"),
        ({"method": "stratified", "target": "nope"}, "no column 'nope'"),
        ({"method": "stratified", "target": "tag"}, "too many classes to stratify"),
        ({"method": "stratified", "target": "rare"}, "single row \\(e.g. rare='b'\\)"),
        ({"method": "stratified_by_column", "target": "y", "stratify_column": "y"}, "must differ"),
        ({"method": "stratified_by_column", "target": "y"}, "column to stratify"),
        ({"method": "time", "time_cutoffs": ("2025-05-01", "2025-07-01")}, "needs a time column"),
        ({"method": "time", "time_column": "ts"}, "two cutoffs"),
        (
            {
                "method": "time",
                "time_column": "missing",
                "time_cutoffs": ("2025-05-01", "2025-07-01"),
            },
            "no column 'missing'",
        ),
        (
            {
                "method": "time",
                "time_column": "amount",
                "time_cutoffs": ("2025-05-01", "2025-07-01"),
            },
            "not a date or time",
        ),
        (
            {"method": "time", "time_column": "ts", "time_cutoffs": ("2025-07-01", "2025-05-01")},
            "must not come before",
        ),
        (
            {"method": "time", "time_column": "ts", "time_cutoffs": ("2024-01-01", "2024-02-01")},
            "train would be empty",
        ),
        (
            {"method": "time", "time_column": "ts", "time_cutoffs": ("2025-05-01", "2030-01-01")},
            "test would be empty",
        ),
        (
            {"method": "time", "time_column": "ts", "time_cutoffs": ("when?", "2025-07-01")},
            "not a date",
        ),
        ({"method": "group"}, "needs a group column"),
        (
            {"method": "group", "group_column": "const"},
            "too few",
        ),
        ({"method": "random", "ladder": (0, 0.5)}, "ladder rung"),
        ({"method": "random", "target": "const"}, "1 distinct value"),
    ],
)
def test_bad_inputs_raise_and_store_nothing(store, kwargs, message):
    pid = projects_db.create_project(store, "P", "t")
    df = _frame(200).assign(
        const="same", rare=["b"] + ["a"] * 199, tag=[f"t{i}" for i in range(200)]
    )
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    before = _counts(store)
    with pytest.raises(SplitError, match=message):
        create_split(store, pid, did, "bad", actor="t", **kwargs)
    assert _counts(store) == before


def test_other_bad_requests(store):
    pid = projects_db.create_project(store, "P", "t")
    df = pd.DataFrame({"ts": pd.to_datetime(["2025-01-01", None, "2025-03-01", "2025-04-01"]),
                       "y": [0, 1, 0, 1]})  # fmt: skip
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    tiny = datasets_db.insert_dataset(store, pid, "tiny", df.head(2), source="t", role="training", actor="t")
    before = _counts(store)
    with pytest.raises(SplitError, match="1 row"):
        create_split(store, pid, did, "t", method="time", time_column="ts",
                     time_cutoffs=("2025-02-01", "2025-03-15"), actor="t")  # fmt: skip
    with pytest.raises(SplitError, match="at least 3"):
        create_split(store, pid, tiny, "t", method="random", actor="t")
    with pytest.raises(SplitError, match="name"):
        create_split(store, pid, did, "  ", method="random", actor="t")
    with pytest.raises(SplitError, match="not in this project"):
        create_split(store, pid + 999, did, "x", method="random", actor="t")
    assert _counts(store) == before
    create_split(store, pid, did, "x", method="random", actor="t")
    with pytest.raises(SplitError, match="already"):
        create_split(store, pid, did, "x", method="random", actor="t")


def test_time_split_accepts_strings_and_time_zones(store):
    pid = projects_db.create_project(store, "P", "t")
    ts = pd.date_range("2025-01-01", periods=90, freq="D", tz="Europe/Berlin")
    df = pd.DataFrame({"when": ts, "as_text": ts.strftime("%Y-%m-%d"), "y": np.arange(90) % 2})
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    # a naive cutoff is UTC for a time-zone-aware column: Berlin's 1 Feb 00:00 is 31 Jan UTC
    for col, expect in (("when", (32, 28, 30)), ("as_text", (31, 28, 31))):
        sid = create_split(store, pid, did, col, method="time", time_column=col, target="y",
                           time_cutoffs=("2025-02-01", "2025-03-01"), actor="t")  # fmt: skip
        s = splits_db.get_split(store, sid)
        assert (s.n_train, s.n_dev, s.n_test) == expect


# ------------------------------------------------------------------ balance
def test_class_balance_matches_pandas(store):
    pid = projects_db.create_project(store, "P", "t")
    df = _frame(5000, seed=3)
    df.loc[:9, "y"] = None
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    r = class_balance(store, did, "y", rare_share=0.05)
    vc = df["y"].value_counts()
    assert r.classes == tuple(vc.index) and r.counts == tuple(vc.tolist())
    assert r.n_missing == 10 and r.n_rows == 5000
    np.testing.assert_allclose(r.shares, (vc / vc.sum()).to_numpy())
    assert r.rare == ("fraud",)
    assert r.imbalance_ratio == pytest.approx(vc.max() / vc.min())
    frame = r.to_frame()
    assert frame.columns.tolist() == ["class", "count", "share", "rare"]
    assert frame["rare"].tolist() == [False, False, True]
    fig = charts_splits.class_balance_figure(r)
    assert "Class balance of y" in fig.layout.title.text
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text == "rows"


def test_class_balance_odd_targets(store):
    pid = projects_db.create_project(store, "P", "t")
    df = pd.DataFrame({"one": ["a"] * 5, "none": [None] * 5, "num": np.arange(5) / 7})
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    one = class_balance(store, did, "one")
    assert one.n_classes == 1 and one.imbalance_ratio == 1.0
    empty = class_balance(store, did, "none")
    assert empty.n_classes == 0 and empty.n_missing == 5
    big = datasets_db.insert_dataset(store, pid, "big", pd.DataFrame({"v": np.arange(500.0)}), source="t",
                               role="training", actor="t")  # fmt: skip
    with pytest.raises(SplitError, match="not a class label"):
        class_balance(store, big, "v")
    with pytest.raises(SplitError, match="no column"):
        class_balance(store, did, "nope")


def test_rare_share_defaults_to_the_setting(store, monkeypatch):
    pid = projects_db.create_project(store, "P", "t")
    did = datasets_db.insert_dataset(store, pid, "d", _frame(2000), source="t", role="training", actor="t")
    monkeypatch.setenv("WORKBENCH_RARE_CLASS_SHARE", "0.25")
    assert set(class_balance(store, did, "y").rare) == {"review", "fraud"}


def test_annotator_distribution_matches_pandas(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    lab = next(d for d in datasets_db.list_datasets(demo_store, pid) if d.role == "labels")
    got = data.annotator_label_distribution(demo_store, lab.id)
    raw = datasets_db.dataset_frame(demo_store, lab.id)
    ct = pd.crosstab(raw["annotator"], raw["label"], normalize="index")
    for row in got.itertuples():
        assert row.share == pytest.approx(ct.loc[row.annotator, row.label])
        assert row.n_items == raw.loc[raw["annotator"] == row.annotator, "item_id"].nunique()
    assert data.is_labels_dataset(demo_store, lab.id)
    fig = charts_splits.annotator_distribution_figure(got)
    assert len(fig.data) == 2 and fig.layout.yaxis.title.text


# ------------------------------------------------------------------ summaries and demo
def test_split_summary_matches_pandas(ds):
    store, pid, did = ds
    sid = create_split(store, pid, did, "s", method="random", target="y", seed=3, actor="t")
    summary = split_summary(store, sid, ["y", "region", "amount", "ts"])
    f = splits_db.split_frame(store, sid, ["y", "region", "amount", "ts"])
    y = summary[summary["column"] == "y"].set_index("value")
    ct = pd.crosstab(f["y"], f["__part"])
    for part in PARTS:
        assert y[f"{part}_n"].to_dict() == ct[part].to_dict()
        assert y[f"{part}_share"].sum() == pytest.approx(1)
    amount = summary[summary["column"] == "amount"]
    assert len(amount) == 5 and amount["train_n"].sum() == 700  # quintile bins
    months = summary[summary["column"] == "ts"]["value"].tolist()
    assert months == sorted(months) and months[0] == "2025-01"
    gap = (y[[f"{p}_share" for p in PARTS]].max(axis=1) - y[[f"{p}_share" for p in PARTS]]
           .min(axis=1))  # fmt: skip
    np.testing.assert_allclose(y["max_gap"], gap)
    fig = charts_splits.split_parts_figure(summary, "region")
    assert [t.name for t in fig.data] == list(PARTS) and fig.layout.xaxis.title.text == "region"


def test_demo_seeds_the_time_split(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    (split,) = [s for s in splits_db.list_splits(demo_store, pid) if s.name == "claims_time_split"]
    assert split.method == "time" and split.target == "needs_review"
    assert split.params["ladder"] == [0.1, 0.25, 0.5, 1.0]
    f = splits_db.split_frame(demo_store, split.id, ["submitted_at"])
    months = f.groupby("__part")["submitted_at"].agg(["min", "max"])
    assert months.loc["train", "max"] < pd.Timestamp("2025-07-01") <= months.loc["dev", "min"]
    assert months.loc["dev", "max"] < pd.Timestamp("2025-08-01") <= months.loc["test", "min"]
    assert split.n_train + split.n_dev + split.n_test == 20_000
    assert missing_classes(demo_store, split.id, "needs_review") == {}


def test_odd_column_names_and_values(store):
    pid = projects_db.create_project(store, "P", "t")
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            'the "label"': rng.choice([True, False], 300),
            "select": rng.choice(["a", "b"], 300),
            "größe": np.where(np.arange(300) % 50 == 0, np.inf, rng.normal(size=300)),
        }
    )
    df.loc[::30, "größe"] = np.nan
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    sid = create_split(store, pid, did, "odd", method="stratified_by_column",
                       target='the "label"', stratify_column="select", actor="t")  # fmt: skip
    summary = split_summary(store, sid, ['the "label"', "select", "größe"])
    sizes = summary.groupby("column")[[f"{p}_n" for p in PARTS]].sum()
    assert (sizes.to_numpy() == sizes.iloc[0].to_numpy()).all()  # every row counted once
    assert "(missing)" in summary.loc[summary["column"] == "größe", "value"].tolist()
    assert class_balance(store, did, 'the "label"').n_classes == 2


def test_numeric_target_splits_randomly_with_a_plain_ladder(ds):
    store, pid, did = ds
    sid = create_split(store, pid, did, "reg", method="random", target="amount", actor="t")
    f = splits_db.split_frame(store, sid)
    train = f[f["__part"] == "train"]
    assert (train["__ladder"] <= 0.1).sum() == 70  # 10% of 700, not one row per "class"
    assert splits_db.get_split(store, sid).params["warnings"] == []


def test_every_method_has_one_strategy():
    from core.data.split_methods import STRATEGIES, SplitInput
    from core.data.split_request import checked_request

    assert set(STRATEGIES) == set(data.METHODS)
    frame = pd.DataFrame({"y": [0, 1] * 10, "g": list(range(10)) * 2,
                          "ts": pd.date_range("2025-01-01", periods=20, freq="D")})  # fmt: skip
    columns = {"target": "y", "stratify_column": "g", "group_column": "g", "time_column": "ts",
               "time_cutoffs": ("2025-01-10", "2025-01-15")}  # fmt: skip
    for method, strategy in STRATEGIES.items():
        request = checked_request(method, 0, data.DEFAULT_SHARES, data.DEFAULT_LADDER, **columns)
        codes = frame["y"].to_numpy() if method.startswith("stratified") else None
        parts, params = strategy(SplitInput(request, frame, codes, []))
        assert len(parts) == 20 and set(parts) <= {0, 1, 2}, method
        assert ("time_cutoffs" in params) == (method == "time")
