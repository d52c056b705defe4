"""The quality report's big-table shortcuts: near duplicates on a hash sample (rate
extrapolated and said so), exact duplicates on every row, sampled modes confirmed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import data
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import scans as scans_db


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "P", "tester")


def _frame(n: int = 40_000, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "a": rng.normal(0, 1, n).round(6),
            "b": rng.integers(0, 1_000_000, n),
            "tag": rng.choice(["North", "South", "East"], n),
        }
    )
    near = rng.choice(n // 2, 2_000, replace=False)  # rows n/2 + i copy row i, nearly
    frame.loc[n // 2 + near, ["a", "b", "tag"]] = frame.loc[near, ["a", "b", "tag"]].to_numpy()
    frame.loc[n // 2 + near, "a"] += 0.001  # within rounding to 2 decimals, mostly
    frame.loc[n // 2 + near[:500], "tag"] = frame.loc[near[:500], "tag"].str.upper().to_numpy()
    exact = rng.choice(n // 2, 300, replace=False)  # exact copies at the end
    frame.loc[n - 300 :, ["a", "b", "tag"]] = frame.loc[exact, ["a", "b", "tag"]].to_numpy()
    return frame


def test_near_duplicates_on_a_hash_sample_estimate_the_full_count(store, pid):
    df = _frame()
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    keys = list(df.columns)
    full = scans_db.duplicate_summary(store, did, keys, near_sample_rows=10**9)
    sampled = scans_db.duplicate_summary(store, did, keys, near_sample_rows=4_000)
    assert full.near_sample == 1 and sampled.near_sample == 10
    assert (
        full.distinct_key and full.distinct_norm and sampled.distinct_key and sampled.distinct_norm
    )
    # exact duplicates are counted on every row either way, as pandas counts them
    assert full.n - full.distinct_key == sampled.n - sampled.distinct_key == df.duplicated().sum()
    true_near = full.distinct_key - full.distinct_norm
    est_near = sampled.distinct_key - sampled.distinct_norm
    assert true_near > 1_000 and est_near % 10 == 0
    assert abs(est_near - true_near) < 0.25 * true_near  # binomial: sd about 7% here
    for group in sampled.near_groups:  # example groups are real near duplicates
        rows = df.iloc[group]
        assert rows["b"].nunique() == 1 and (rows["a"].round(2).nunique() == 1)


def test_big_report_states_its_estimates(store, pid, monkeypatch):
    df = _frame(n=30_000)
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    monkeypatch.setattr(scans_db.duplicate_summary, "__defaults__", (2, 5, 3_000))
    report = data.build_report(store, did, "t", exact_distinct_max_rows=1_000)
    notes = " ".join(report.notes())
    assert "HyperLogLog" in notes and "Near-duplicate rows are estimated" in notes
    near = next(i for i in report.issues if i.kind == "near_duplicates")
    assert near.message.startswith("About ") and "hash sample" in near.message
    exact = next(i for i in report.issues if i.kind == "exact_duplicates")
    assert exact.count == df.duplicated().sum()
