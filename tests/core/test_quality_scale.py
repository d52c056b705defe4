"""The quality report's big-table shortcuts: near duplicates on a hash sample (rate
extrapolated and said so), exact duplicates on every row, sampled modes confirmed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import data
from core.data import quality
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


# ------------------------------------------------ the near-duplicate sample on a few columns
def _planted(n: int, groups: int, seed: int) -> tuple[pd.DataFrame, int]:
    """``n`` rows and ``groups`` planted near-duplicate groups of 2-4 rows (the copies
    differ in the third decimal and in case, padding and repeated spaces only); returns
    the frame and the planted near-duplicate rows (a few random rows may add to them:
    :func:`_truth` counts)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "depth": rng.normal(100, 30, n).round(2),
            "grade": rng.integers(0, 1_000_000, n),
            "kiln": rng.choice(["North wing", "South wing", "East"], n).astype(object),
            "shift": rng.choice(["a", "b"], n).astype(object),
        }
    )
    sizes = rng.integers(2, 5, groups)
    sources = rng.choice(n, groups, replace=False)
    copies = []
    for src, size in zip(sources, sizes, strict=True):
        for j in range(size - 1):
            row = frame.loc[src].copy()
            row["depth"] = row["depth"] + 0.001 * (j + 1)  # the same to 2 decimals
            row["kiln"] = ["  " + row["kiln"].upper(), row["kiln"].replace(" ", "  \t"),
                           row["kiln"].lower() + " "][j % 3]
            copies.append(row)
    return pd.concat([frame, pd.DataFrame(copies)], ignore_index=True), int((sizes - 1).sum())


def _truth(frame: pd.DataFrame) -> int:
    norm = pd.DataFrame(
        {
            "depth": (frame["depth"] * 100).round(),
            "grade": frame["grade"],
            "kiln": frame["kiln"].str.strip().str.replace(r"\s+", " ", regex=True).str.lower(),
            "shift": frame["shift"],
        }
    )
    return int(len(frame) - frame.duplicated().sum() - (len(norm) - norm.duplicated().sum()))


def test_a_sample_on_a_few_columns_keeps_planted_groups_whole(store, pid):
    df, planted = _planted(20_000, 600, seed=1)
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    keys = list(df.columns)
    full = scans_db.duplicate_summary(store, did, keys, near_sample_rows=10**9)
    assert full.distinct_key is not None and full.distinct_norm is not None
    true_near = _truth(df)
    assert full.distinct_key - full.distinct_norm == true_near and true_near >= planted
    s = scans_db.duplicate_summary(store, did, keys, near_sample_rows=2_000,
                                   sample_columns=["depth", "kiln", "grade"])
    assert s.near_sample == 10 and s.near_sample_columns == ["depth", "grade"]  # no text
    assert s.n - (s.distinct_key or 0) == 0  # exact duplicates: every row, none here
    assert s.near_groups
    for group in s.near_groups:  # whole groups: every member of a planted group is found
        rows = df.iloc[group]
        assert rows["grade"].nunique() == 1 and (rows["depth"] * 100).round().nunique() == 1
        twins = df[(df["grade"] == rows["grade"].iloc[0])
                   & ((df["depth"] * 100).round() == (rows["depth"].iloc[0] * 100).round())]
        assert len(group) == min(len(twins), 5)


def test_the_sampled_near_duplicate_count_is_unbiased_over_seeds(store, pid):
    errors = []
    for seed in range(12):  # the table changes; the hash (DuckDB's) stays
        df, _ = _planted(10_000, 400, seed=seed)
        true_near = _truth(df)
        did = datasets_db.insert_dataset(store, pid, f"d{seed}", df, source="t",
                                         role="training", actor="t")
        s = scans_db.duplicate_summary(store, did, list(df.columns), near_sample_rows=1_000,
                                       sample_columns=["depth"])
        assert s.near_sample == 10 and s.distinct_key == len(df)  # no exact duplicates
        assert s.distinct_key is not None and s.distinct_norm is not None
        estimate = s.distinct_key - s.distinct_norm
        assert estimate % 10 == 0
        errors.append((estimate - true_near) / true_near)
    # each estimate counts about 40 of the 400 groups: sd about 16%; the mean of 12 about
    # 5%. A sample that split or missed groups would be off by far more, the same way.
    assert abs(np.mean(errors)) < 0.12
    assert max(abs(e) for e in errors) < 0.6


def test_the_report_samples_on_its_busiest_columns_and_says_which(store, pid, monkeypatch):
    df, _ = _planted(20_000, 300, seed=2)
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    monkeypatch.setattr(scans_db, "NEAR_SAMPLE_ROWS", 2_000)
    monkeypatch.setattr(scans_db.duplicate_summary, "__defaults__", (2, 5, 2_000))
    report = data.build_report(store, did, "t", exact_distinct_max_rows=1_000)
    # grade has ~20,000 values, depth fewer: 100 x 10 buckets need one, two are taken
    assert report.duplicates["near_sample"] == 10
    assert report.duplicates["near_sample_columns"] == ["grade", "depth"]
    assert "hash of the rounded values of grade, depth falls in 1 of 10 buckets" in " ".join(
        report.notes())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=" \t\n\x0b\x0c\r\x1c\u00a0\u2003aBé", max_size=8),
                min_size=1, max_size=40))
def test_text_normalisation_equals_the_regular_expression_on_every_value(store, values):
    guarded, _ = scans_db._normalised("v", "string", 2)
    rows = store.rows(
        f"SELECT {guarded} IS NOT DISTINCT FROM"
        " lower(regexp_replace(trim(v), '\\s+', ' ', 'g')) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
        [values],
    )
    assert all(ok for (ok,) in rows)


def test_histograms_clamp_the_tails_and_leave_non_finite_values_out(store, pid):
    rng = np.random.default_rng(7)
    x = rng.normal(5, 2, 2_000)
    x[:6] = [np.nan, np.inf, -np.inf, -50.0, 50.0, np.nan]
    when = pd.Series(pd.date_range("2025-01-01", periods=2_000, freq="h"))
    when[:3] = pd.NaT
    df = pd.DataFrame({"load": x, "seen": when, "k": np.arange(2_000) % 7})  # "k": a name
    # the query itself uses
    df.loc[10:20, "load"] = None
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    t0 = when.dropna().min().timestamp()
    got = scans_db.histograms(
        store, did,
        [("load", 0.0, 1.0, 10, False), ("seen", t0, 86_400.0, 90, True), ("k", 0, 1, 7, False)],
    )
    assert got["k"] == np.bincount(df["k"]).tolist()
    finite = df["load"][np.isfinite(df["load"])]
    expected = np.histogram(finite.clip(0.0, 9.5), bins=10, range=(0.0, 10.0))[0]
    assert got["load"] == expected.tolist() and sum(got["load"]) == len(finite)
    days = ((when.dropna() - when.dropna().min()).dt.total_seconds() // 86_400).astype(int)
    assert got["seen"] == np.bincount(days.clip(upper=89), minlength=90).tolist()


def test_a_unique_column_spares_the_distinct_count_and_changes_no_figure(store, pid):
    df = _frame(n=20_000)
    df.insert(0, "serial", np.arange(len(df)) * 7 + 3)  # an identifier: unique, not a key
    did = datasets_db.insert_dataset(store, pid, "d", df, source="t", role="training", actor="t")
    keys = ["a", "b", "tag"]
    counted = scans_db.duplicate_summary(store, did, keys)
    told = scans_db.duplicate_summary(store, did, keys, unique_columns=["serial"])
    assert told == counted and counted.distinct_key is not None and told.distinct_key
    assert told.distinct_all == len(df) and told.n - told.distinct_key == df[keys].duplicated().sum()
    # the shortcut trusts what it is told: a column said to be unique is not counted
    said = scans_db.duplicate_summary(store, did, keys, unique_columns=["tag"])
    assert said.distinct_key == said.distinct_all == len(df) > counted.distinct_key
    report = data.build_report(store, did, "t")
    assert quality._unique(report.columns, len(df)) == ["serial"]  # taken from the profile
    compared = report.duplicates["compared_columns"]
    assert report.duplicates["exact_rows"] == df[compared].duplicated().sum()
    assert report.duplicates["exact_rows_all_columns"] == 0
