"""A set-based split is stored as a rule (the key of the row at each cut): the rows it
gives are exactly the definition -- rank by (seeded key, row id) within the stratum, cut
at the cells, rungs by rank -- whether the cuts come from the one-pass windows or from the
fallback query, and its key is the same in SQL and numpy (so a stored rule reads back the
same rows on any DuckDB version)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import data
from core.data.split_request import PARTS
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import split_rules
from core.db import splits as splits_db


@pytest.fixture
def setup(store):
    pid = projects_db.create_project(store, "P", "t")
    rng = np.random.default_rng(3)
    n = 4_001
    frame = pd.DataFrame(
        {
            "verdict": pd.Series(
                rng.choice(["keep", "drop", "hold", "-"], n, p=[0.55, 0.35, 0.08, 0.02])
            ).replace("-", None),
            "site": rng.choice(["a", "b", "c"], n),
            "w": rng.normal(0, 1, n),
        }
    )
    did = datasets_db.insert_dataset(store, pid, "d", frame, source="t", role="training", actor="t")
    return store, pid, did, frame


def test_key_sql_equals_numpy(store):
    ids = [0, 1, 2, 77, 2**31, 2**32 - 1, 2**32, 2**40 + 5]
    for seed in (0, 1, 12345):
        (got,) = store.rows(
            f"SELECT list({split_rules.key_sql('x', seed)} ORDER BY x)"
            " FROM (SELECT unnest(?::BIGINT[]) AS x)", [ids]
        )[0]
        assert [int(v) for v in got] == split_rules.keys_numpy(np.array(ids), seed).tolist()
    # a bijection on 32 bits: distinct keys
    keys = split_rules.keys_numpy(np.arange(200_000), 9)
    assert len(np.unique(keys >> np.uint64(32))) == 200_000


def _definition(frame: pd.DataFrame, stratum: pd.Series, split) -> pd.DataFrame:
    """Each row's part from the stored counts: rank by (key, row id) within the stratum."""
    keys = split_rules.keys_numpy(np.arange(len(frame)), split.params["seed"])
    order = pd.DataFrame({"s": stratum.fillna("<null>").to_numpy(), "k": keys,
                          "x": np.arange(len(frame))}).sort_values(["s", "k", "x"])
    order["rank"] = order.groupby("s").cumcount()
    return order.sort_values("x")


@pytest.mark.parametrize("seed", [5, 11])
def test_stratified_rule_gives_the_defined_rows(setup, seed):
    store, pid, did, frame = setup
    sid = data.create_split(store, pid, did, "s", method="stratified", target="verdict",
                            seed=seed, actor="t")  # fmt: skip
    split = splits_db.get_split(store, sid)
    assert split is not None and "rule" in split.params
    assert not store.rows("SELECT count(*) FROM split_assignments WHERE split_id = ?", [sid])[0][0]
    got = splits_db.split_frame(store, sid, ["verdict"]).sort_values("__row_id")
    ref = _definition(frame, frame["verdict"], split)
    # per stratum, parts are contiguous in rank order with the stored sizes
    for s, g in ref.groupby("s"):
        parts = got["__part"].to_numpy()[g["x"].to_numpy()][np.argsort(g["rank"].to_numpy())]
        n_train, n_dev = (parts == "train").sum(), (parts == "dev").sum()
        assert (parts[:n_train] == "train").all(), s
        assert (parts[n_train:n_train + n_dev] == "dev").all(), s
        assert (parts[n_train + n_dev:] == "test").all(), s
        # rungs: nested, by rank among train rows
        ladder = got["__ladder"].to_numpy()[g["x"].to_numpy()][np.argsort(g["rank"].to_numpy())]
        assert np.all(np.diff(ladder[:n_train]) >= 0), s
    counts = got["__part"].value_counts()
    assert [int(counts.get(p, 0)) for p in PARTS] == [split.n_train, split.n_dev, split.n_test]


def test_stratified_by_column_rule_is_deterministic_and_its_rungs_rank_a_second_key(setup):
    store, pid, did, frame = setup
    a = data.create_split(store, pid, did, "a", method="stratified_by_column", target="verdict",
                          stratify_column="site", seed=2, actor="t")  # fmt: skip
    b = data.create_split(store, pid, did, "b", method="stratified_by_column", target="verdict",
                          stratify_column="site", seed=2, actor="t")  # fmt: skip
    sa, sb = splits_db.get_split(store, a), splits_db.get_split(store, b)
    assert sa is not None and sb is not None
    assert sa.params["rule"] == sb.params["rule"] and sa.content_hash == sb.content_hash
    fa = splits_db.split_assignment_frame(store, a)
    pd.testing.assert_frame_equal(fa, splits_db.split_assignment_frame(store, b))
    train = fa[fa["part"] == "train"].copy()
    assert train["ladder"].notna().all() and fa.loc[fa["part"] != "train", "ladder"].isna().all()
    train["cls"] = frame["verdict"].fillna("<null>").to_numpy()[train["row_id"].to_numpy()]
    train["k2"] = split_rules.keys_numpy(train["row_id"].to_numpy(), 2, 1)
    for c, g in train.groupby("cls"):
        assert g.sort_values(["k2", "row_id"])["ladder"].is_monotonic_increasing, c


def test_preview_equals_the_stored_split(setup):
    store, pid, did, _ = setup
    plan = data.plan_split(store, did, method="stratified", target="verdict", seed=4)
    sid = data.create_split(store, pid, did, "s", method="stratified", target="verdict",
                            seed=4, actor="t")  # fmt: skip
    stored = splits_db.split_assignment_frame(store, sid)
    pd.testing.assert_frame_equal(
        plan.assignments[["row_id", "part", "ladder"]].reset_index(drop=True),
        stored.reset_index(drop=True), check_dtype=False,
    )


def test_a_tampered_rule_is_text_not_sql(setup):
    store, pid, did, _ = setup
    sid = data.create_split(store, pid, did, "s", method="stratified", target="verdict",
                            seed=1, actor="t")  # fmt: skip
    split = splits_db.get_split(store, sid)
    assert split is not None
    rule = dict(split.params["rule"])
    rule["lists"] = [["keep') OR 1=1; --", *rule["lists"][0][1:]]]
    sql = split_rules.rule_rows_sql(store, did, rule)
    assert "'keep'') OR 1=1; --'" in sql  # quoted as a value
    rule["columns"] = ["no such column"]
    with pytest.raises(Exception, match="not in its dataset"):
        split_rules.rule_rows_sql(store, did, rule)


def test_a_rule_split_comes_back_with_the_same_rows_after_backup(setup, tmp_path):
    from core import backup
    from core.access import Actor, Role

    store, pid, did, _ = setup
    sid = data.create_split(store, pid, did, "s", method="stratified", target="verdict",
                            seed=3, actor="t")  # fmt: skip
    editor = Actor("ed@example.org", Role.EDITOR)
    backup.export_project(store, pid, tmp_path / "p.zip", editor)
    result = backup.import_project(store, tmp_path / "p.zip", editor)
    (copy,) = splits_db.list_splits(store, result.project_id)
    original = splits_db.get_split(store, sid)
    assert original is not None
    assert copy.id != sid and copy.params["rule"] == original.params["rule"]
    pd.testing.assert_frame_equal(splits_db.split_assignment_frame(store, sid),
                                  splits_db.split_assignment_frame(store, copy.id))


@pytest.mark.parametrize("method", ["random", "stratified_by_column"])
def test_random_and_two_column_rules_with_missing_values_keep_their_cells(store, method):
    pid = projects_db.create_project(store, "Q", "t")
    rng = np.random.default_rng(12)
    n = 3_001
    frame = pd.DataFrame({
        "grade": pd.Series(rng.choice(["A", "B", "-"], n, p=[0.6, 0.35, 0.05])).replace("-", None),
        "shop": pd.Series(rng.choice(["x", "y", "-"], n, p=[0.5, 0.45, 0.05])).replace("-", None),
    })
    did = datasets_db.insert_dataset(store, pid, "d", frame, source="t", role="training", actor="t")
    kwargs: dict[str, str] = (
        {} if method == "random" else {"target": "grade", "stratify_column": "shop"}
    )
    plan = data.plan_split(store, did, method=method, seed=8, target=kwargs.get("target"),
                           stratify_column=kwargs.get("stratify_column"))
    sid = data.create_split(store, pid, did, "s", method=method, seed=8, actor="t", **kwargs)
    split = splits_db.get_split(store, sid)
    assert split is not None and "rule" in split.params
    got = splits_db.split_assignment_frame(store, sid)
    assert len(got) == n and got["row_id"].tolist() == list(range(n))
    counts = got["part"].value_counts()
    assert [int(counts.get(p, 0)) for p in PARTS] == [split.n_train, split.n_dev, split.n_test]
    pd.testing.assert_frame_equal(plan.assignments[["row_id", "part", "ladder"]]
                                  .reset_index(drop=True), got, check_dtype=False)
    if method != "random":  # every (grade, shop) stratum, missing values included, is cut
        keys = [frame["grade"].fillna("<none>"), frame["shop"].fillna("<none>")]
        cells = pd.crosstab(keys, got["part"])
        sizes = cells.sum(axis=1)
        train_share = cells["train"] / sizes
        assert ((train_share - 0.7).abs() <= 1 / sizes + 1e-9).all()
