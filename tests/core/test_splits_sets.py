"""The set-based (window-function) split keeps the numpy strategies' guarantees: the same
rows per stratum and part, the same ladder quotas, nested rungs, one split per seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import data
from core.data.allocation import assign_parts, ladder_levels
from core.data.split_methods import value_codes
from core.data.split_request import PARTS
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db


@pytest.fixture
def setup(store):
    pid = projects_db.create_project(store, "P", "t")
    rng = np.random.default_rng(8)
    n = 5_003
    frame = pd.DataFrame(
        {
            "outcome": pd.Series(
                rng.choice(["lapse", "renew", "upgrade", "-"], n, p=[0.6, 0.3, 0.07, 0.03])
            ).replace("-", None),
            "zone": rng.choice(["n", "s", "e", "w"], n),
            "v": rng.normal(0, 1, n),
        }
    )
    did = datasets_db.insert_dataset(store, pid, "d", frame, source="t", role="training", actor="t")
    return store, pid, did, frame


def _crosstab(keys: list[pd.Series], part: pd.Series) -> pd.DataFrame:
    return pd.crosstab([k.fillna("<null>") for k in keys], part).reindex(
        columns=list(PARTS), fill_value=0
    )


@pytest.mark.parametrize("seed", [0, 7])
def test_stratified_cells_and_ladder_equal_the_numpy_split(setup, seed):
    store, pid, did, frame = setup
    sid = data.create_split(store, pid, did, f"s{seed}", method="stratified", target="outcome",
                            seed=seed, actor="t")  # fmt: skip
    got = splits_db.split_frame(store, sid, ["outcome"]).sort_values("__row_id")
    codes, _ = value_codes(frame["outcome"])
    parts = np.asarray(PARTS, dtype=object)[assign_parts(codes, (0.7, 0.15, 0.15), seed)]
    old = _crosstab([frame["outcome"]], pd.Series(parts, name="__part"))
    new = _crosstab([got["outcome"].reset_index(drop=True)], got["__part"].reset_index(drop=True))
    pd.testing.assert_frame_equal(new.rename_axis(index=None, columns=None),
                                  old.rename_axis(index=None, columns=None), check_names=False)  # fmt: skip
    train = parts == "train"
    levels = ladder_levels(codes[train], (0.1, 0.25, 0.5, 1.0), seed)
    got_train = got[got["__part"] == "train"]
    for r in (0.1, 0.25, 0.5, 1.0):
        old_n = pd.Series(frame["outcome"][train][levels <= r]).fillna("<null>").value_counts()
        new_n = got_train.loc[got_train["__ladder"] <= r, "outcome"].fillna("<null>").value_counts()
        assert new_n.sort_index().to_dict() == old_n.sort_index().to_dict()


def test_stratified_by_column_cells_equal_the_numpy_split(setup):
    store, pid, did, frame = setup
    sid = data.create_split(store, pid, did, "sc", method="stratified_by_column",
                            target="outcome", stratify_column="zone", seed=3, actor="t")  # fmt: skip
    got = splits_db.split_frame(store, sid, ["outcome", "zone"]).sort_values("__row_id")
    t, _ = value_codes(frame["outcome"])
    z, _ = value_codes(frame["zone"])
    parts = np.asarray(PARTS, dtype=object)[
        assign_parts(t * (z.max() + 1) + z, (0.7, 0.15, 0.15), 3)
    ]
    old = _crosstab([frame["outcome"], frame["zone"]], pd.Series(parts))
    new = _crosstab([got["outcome"].reset_index(drop=True), got["zone"].reset_index(drop=True)],
                    got["__part"].reset_index(drop=True))  # fmt: skip
    assert new.to_numpy().tolist() == old.to_numpy().tolist()
    rungs = [set(got.loc[(got["__part"] == "train") & (got["__ladder"] <= r), "__row_id"])
             for r in (0.1, 0.25, 0.5, 1.0)]  # fmt: skip
    assert all(a <= b for a, b in zip(rungs, rungs[1:], strict=False))
    assert len(rungs[-1]) == (got["__part"] == "train").sum()


def test_same_seed_same_rows_other_seed_other_rows(setup):
    store, pid, did, _ = setup
    kw = {"method": "stratified", "target": "outcome", "actor": "t"}
    a = data.create_split(store, pid, did, "a", seed=11, **kw)
    b = data.create_split(store, pid, did, "b", seed=11, **kw)
    c = data.create_split(store, pid, did, "c", seed=12, **kw)
    fa, fb, fc = (splits_db.split_assignment_frame(store, s) for s in (a, b, c))
    pd.testing.assert_frame_equal(fa, fb)
    assert (fa["part"] != fc["part"]).any()
    plan = data.plan_split(store, did, method="stratified", target="outcome", seed=11)
    assert plan.assignments["part"].tolist() == fa["part"].tolist()


def test_random_split_without_target_is_set_based_and_cut_to_the_shares(setup):
    store, pid, did, _ = setup
    sid = data.create_split(store, pid, did, "r", method="random", seed=1, actor="t")
    split = data.get_split(store, sid)
    assert (split.n_train, split.n_dev, split.n_test) == (
        3502,
        751,
        750,
    )  # largest remainder, ties to the first part
    f = splits_db.split_assignment_frame(store, sid)
    assert ((f["ladder"] <= 0.1) & (f["part"] == "train")).sum() == 350
