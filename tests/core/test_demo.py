"""The demo's story, asserted: each fact the README tells a stakeholder holds in the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.demo import generator as demo
from core.demo import seed_demo


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate_demo()


def test_same_seed_same_data():
    a, b = demo.generate_demo(seed=3, n_train=800), demo.generate_demo(seed=3, n_train=800)
    pd.testing.assert_frame_equal(a.train, b.train)
    pd.testing.assert_frame_equal(a.production, b.production)
    pd.testing.assert_frame_equal(a.annotations, b.annotations)
    c = demo.generate_demo(seed=4, n_train=800)
    assert not a.train.equals(c.train)


def test_shape_and_features(data):
    assert 8 <= len(demo.FEATURES) <= 15
    assert set(demo.NUMERIC_FEATURES) and set(demo.CATEGORICAL_FEATURES)
    for frame in (data.train, data.production):
        assert set(demo.FEATURES) <= set(frame.columns)
        assert {demo.TARGET, demo.HUMAN_DECISION, "submitted_at"} <= set(frame.columns)
    assert len(data.train) == 20_000 and len(data.production) == 30_000
    # binary decision, a minority of claims need review
    assert set(data.train[demo.TARGET].unique()) == {0, 1}
    assert 0.12 < data.train[demo.TARGET].mean() < 0.3


def test_timestamps_span_months(data):
    tr, pr = data.train["submitted_at"], data.production["submitted_at"]
    assert tr.min() >= pd.Timestamp(demo.TRAIN_START) and tr.max() < pd.Timestamp(demo.PROD_START)
    assert pr.min() >= pd.Timestamp(demo.PROD_START) and pr.max() < pd.Timestamp(demo.PROD_END)
    assert tr.dt.to_period("M").nunique() == 8 and pr.dt.to_period("M").nunique() == 6
    assert pr.is_monotonic_increasing


def test_rare_category(data):
    share = (data.train["claim_type"] == demo.RARE_CLAIM_TYPE).mean()
    assert 0.005 < share < 0.03


def test_human_decisions_are_good_but_not_perfect(data):
    acc = (data.train[demo.HUMAN_DECISION] == data.train[demo.TARGET]).mean()
    assert 0.85 < acc < 0.94


def test_annotator_disagreement_is_realistic_and_on_ambiguous_items(data):
    wide = data.annotations.pivot(index="item_id", columns="annotator", values="label")
    assert set(wide.columns) == set(demo.ANNOTATORS)
    assert wide.notna().sum(axis=1).max() == 3 and wide.isna().any(axis=1).any()  # missing labels
    full = wide.dropna()
    disagree = full.nunique(axis=1) > 1
    assert 0.10 < disagree.mean() < 0.35
    # ambiguity: how close a simple model's probability is to 0.5 on the annotated items
    train = data.train.set_index("claim_id")
    x = pd.get_dummies(train[demo.FEATURES].fillna(0), dtype=float)
    p = LogisticRegression(max_iter=2000).fit(x, train[demo.TARGET]).predict_proba(x)[:, 1]
    amb = pd.Series(1 - np.abs(2 * p - 1), index=train.index).loc[full.index]
    ambiguous = amb > amb.median()
    assert disagree[ambiguous].mean() > 1.5 * disagree[~ambiguous].mean()


def test_new_category_only_in_production(data):
    assert demo.NEW_REGION not in set(data.train["region"])
    prod = data.production
    coastal = prod[prod["region"] == demo.NEW_REGION]
    assert len(coastal) > 500
    assert coastal["submitted_at"].min() >= pd.Timestamp(demo.NEW_REGION_FROM)


def test_gradual_covariate_shift(data):
    ref = np.log(data.train["claim_amount"])
    prod = data.production
    month = prod["submitted_at"].dt.to_period("M")
    shift = [(np.log(g["claim_amount"]).mean() - ref.mean()) / ref.std() for _, g in prod.groupby(month)]
    assert abs(shift[0]) < 0.1
    assert 0.2 < shift[-1] < 0.35  # stated: ~0.27 reference std by February 2026
    assert all(b > a - 0.05 for a, b in zip(shift, shift[1:], strict=False))  # gradual, not a jump
    app_share = prod.groupby(month)["channel"].apply(lambda c: (c == "app").mean())
    assert app_share.iloc[0] < 0.2 and app_share.iloc[-1] > 0.33


def test_concept_drift_flips_days_to_report(data):
    prod = data.production.dropna(subset=[demo.TARGET])
    cut = pd.Timestamp(demo.CONCEPT_DRIFT_DATE)
    coef = []
    for part in (prod[prod["submitted_at"] < cut], prod[prod["submitted_at"] >= cut]):
        m = LogisticRegression().fit(part[["days_to_report"]], part[demo.TARGET].astype(int))
        coef.append(m.coef_[0, 0])
    assert coef[0] > 0.03 and coef[1] < -0.1


def test_labels_arrive_late_and_latency_is_logged(data):
    prod = data.production
    missing = prod[prod[demo.TARGET].isna()]
    cutoff = pd.Timestamp(demo.PROD_END) - pd.Timedelta(days=demo.LABEL_DELAY_DAYS)
    assert len(missing) > 0 and missing["submitted_at"].min() >= cutoff
    assert 30 < prod["latency_ms"].median() < 70
    assert prod["latency_ms"].quantile(0.99) > 2 * prod["latency_ms"].median()
    assert 0 < (prod["http_status"] != 200).mean() < 0.01


def test_seed_demo_only_on_a_pristine_database(tmp_path):
    s = Database(tmp_path / "d.duckdb")
    pid = seed_demo(s)
    assert pid is not None
    assert {d.role for d in datasets_db.list_datasets(s, pid)} >= {"training", "production", "labels"}
    assert seed_demo(s) is None  # second start: nothing happens
    projects_db.delete_project(s, pid, "me")
    assert seed_demo(s) is None  # a deleted demo stays deleted
    s.close()
