"""Type detection from the approximate profile (HyperLogLog distinct counts, string shapes
on a block sample, exact counts where a type hangs on them) equals the exact one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import data
from core.data import quality
from core.data.profile import approximation_notes, profile_columns
from core.db import datasets as datasets_db
from core.db import projects as projects_db


@pytest.fixture
def pid(store):
    return projects_db.create_project(store, "P", "tester")


def _both(store, pid, frame: pd.DataFrame, sample: int = 4096):
    """(exact profile, approximate profile) of the frame stored as a dataset."""
    did = datasets_db.insert_dataset(
        store, pid, f"t{len(datasets_db.list_datasets(store, pid))}", frame,
        source="t", role="training", actor="tester",
    )  # fmt: skip
    exact = profile_columns(store, did)
    approx = profile_columns(store, did, exact_max_rows=0, shape_sample=sample)
    return exact, approx


def _types(profile: pd.DataFrame) -> dict[str, str]:
    return {c: t for c, t, _ in data.detect_column_types(profile)}


def _assert_same_types(store, pid, frame, sample: int = 4096):
    exact, approx = _both(store, pid, frame, sample)
    assert exact["distinct_exact"].all() and not approx["distinct_exact"].all()
    assert _types(approx) == _types(exact)
    return exact, approx


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "digits"])
def test_bundled_samples_get_the_exact_types(store, pid, name):
    from core.data.samples import load_sample

    _assert_same_types(store, pid, load_sample(name), sample=500)


def test_the_demo_data_gets_the_exact_types(store, pid):
    from core.demo.generator import generate_demo

    demo = generate_demo(seed=7, n_train=20_000)
    _assert_same_types(store, pid, demo.train)
    _assert_same_types(store, pid, demo.production)


def _edge_frame(n: int = 30_000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nums = rng.normal(100, 30, n).round(2).astype(str).astype(object)
    nums[rng.choice(n, n // 50, replace=False)] = "n/a"  # 2% bad: still numbers
    mostly_text = rng.normal(0, 1, n).round(1).astype(str).astype(object)
    mostly_text[rng.choice(n, n // 10, replace=False)] = "unknown"  # 10% bad: not numbers
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    iso = days.strftime("%Y-%m-%d").to_numpy(dtype=object)
    with_time = days.strftime("%Y/%m/%d %H:%M").to_numpy(dtype=object)
    mixed = np.where(rng.random(n) < 0.5, iso, with_time).astype(object)
    mixed[rng.choice(n, n // 40, replace=False)] = "03.02.2024"  # 2.5% unparsed
    late_text = nums.copy()
    late_text[-n // 10 :] = "late"  # bad values only past the sample's first blocks
    near_key = np.array([f"K{i:06d}" for i in range(n)], dtype=object)
    near_key[: int(n * 0.05)] = "K000000"  # 95% distinct short values: the key threshold
    return pd.DataFrame(
        {
            "row_no": np.arange(1, n + 1),  # all distinct, consecutive: a row number
            "acct_id": rng.permutation(n) + 10_000,  # all distinct, ID-named
            "ticket_key": rng.integers(0, int(n * 1.05), n),  # ID-named, ratio near 0.9
            "serial": np.array([f"S-{i:07d}" for i in rng.permutation(n)], dtype=object),
            "near_unique": rng.normal(0, 1, n).round(4),  # near-unique floats
            "dup_ints": rng.integers(0, int(n * 0.98), n),  # near-unique integers, no ID name
            "amount_text": nums,
            "mostly_text": mostly_text,
            "dates_mixed": mixed,
            "late_text": late_text,
            "near_key": near_key,
            "yes_no": rng.choice(["Yes", "no "], n),
            "zero_one": rng.integers(0, 2, n),
            "constant": np.full(n, "same", dtype=object),
            "notes": [f"free text number {i} with several words" for i in range(n)],
            "few": rng.choice(["a", "b", "c"], n),
        }
    )


def test_generated_edge_cases_get_the_exact_types(store, pid):
    exact, approx = _assert_same_types(store, pid, _edge_frame())
    types = _types(exact)
    assert types["row_no"] == "identifier" and types["serial"] == "identifier"
    assert types["amount_text"] == "numeric" and types["dates_mixed"] == "datetime"
    assert types["mostly_text"] == "categorical" and types["near_unique"] == "numeric"
    a = approx.set_index("column")
    e = exact.set_index("column")
    # where the sample saw numbers or dates, the counts are exact, not extrapolated
    for col in ("amount_text", "dates_mixed", "late_text", "mostly_text"):
        assert a.loc[col, "shapes_exact"]
        for stat in ("n_numeric_like", "n_datetime_like", "n_bool_like"):
            assert a.loc[col, stat] == e.loc[col, stat]
    for col in ("serial", "yes_no", "few", "notes", "amount_text"):  # text extremes
        assert (a.loc[col, "min"], a.loc[col, "max"]) == (e.loc[col, "min"], e.loc[col, "max"])
    # exact distinct counts only where a type hangs on them
    assert a.loc["row_no", "distinct_exact"] and a.loc["row_no", "distinct"] == 30_000
    assert a.loc["zero_one", "distinct"] == 2 and a.loc["constant", "distinct"] == 1
    assert not a.loc["near_unique", "distinct_exact"] and not a.loc["serial", "shapes_exact"]
    # few-valued text (by storage statistics) is counted exactly from its value counts
    for col in ("few", "yes_no", "constant"):
        assert a.loc[col, "distinct_exact"] and a.loc[col, "shapes_exact"], col
        for stat in ("distinct", "nn", "n_blank", "n_padded", "n_numeric_like",
                     "n_datetime_like", "n_bool_like", "len_min", "len_max"):
            assert a.loc[col, stat] == e.loc[col, stat], (col, stat)
        for stat in ("len_avg", "words_avg"):
            assert a.loc[col, stat] == pytest.approx(e.loc[col, stat], rel=1e-12), (col, stat)
    assert (
        a.loc["yes_no", "padding_exact"]
        and a.loc["yes_no", "n_padded"] == e.loc["yes_no", "n_padded"]
    )
    assert a.loc["few", "padding_exact"] and a.loc["few", "n_blank"] == 0
    notes = approximation_notes(approx.to_dict("records"))
    assert any("HyperLogLog" in s and "near_unique" in s for s in notes)
    assert any("sample of" in s and "serial" in s for s in notes)
    assert approximation_notes(exact.to_dict("records")) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_types_agree_for_other_seeds(store, pid, seed):
    _assert_same_types(store, pid, _edge_frame(n=12_000, seed=seed), sample=2048)


def test_numbers_from_storage_statistics_equal_the_careful_profile(store, pid):
    rng = np.random.default_rng(9)
    n = 20_000
    plain = rng.normal(1e6, 3.0, n)  # a large mean: the centred sum of squares matters
    odd = rng.normal(0, 1, n)
    odd[[5, 50, 500]] = [np.nan, np.inf, -np.inf]
    frame = pd.DataFrame(
        {
            "plain": plain,
            "with_nulls": pd.Series(odd.round(2)).mask(rng.random(n) < 0.1).astype("Float64"),
            "odd": odd,
            "count": rng.integers(-5, 500, n),
        }
    )
    exact, approx = _both(store, pid, frame)
    e, a = exact.set_index("column"), approx.set_index("column")
    for col in frame.columns:
        for stat in ("nn", "min", "max", "min_num", "max_num", "n_nan", "n_posinf", "n_neginf"):
            if stat in e.columns and not pd.isna(e.loc[col, stat]):
                assert a.loc[col, stat] == e.loc[col, stat], (col, stat)
        assert a.loc[col, "mean"] == pytest.approx(e.loc[col, "mean"], rel=1e-12, abs=1e-12)
    assert a.loc["odd", "n_posinf"] == 1 and a.loc["odd", "n_neginf"] == 1  # the careful path
    # the std of columns profiled from statistics is left to the quality report's own scan
    assert a["std"].isna().tolist() == [True, False, False, True]  # with_nulls holds inf
    did = datasets_db.list_datasets(store, pid)[-1].id
    shown = {c["column"]: c for c in quality._with_std(store, did, approx.to_dict("records"))}
    for col in frame.columns:
        assert shown[col]["std"] == pytest.approx(e.loc[col, "std"], rel=1e-9), col
    assert shown["plain"]["std"] == pytest.approx(np.std(plain, ddof=1), rel=1e-9)


@pytest.mark.parametrize("big_counts", [False, True])
def test_big_tables_leave_decimal_distinct_values_uncounted_and_still_find_constants(
    store, pid, monkeypatch, big_counts
):
    """A big table's decimal columns get no distinct count (no type or check needs one):
    the type is still numeric, a constant one is found by its equal extremes, a nearly
    constant one by its (sampled, then exact) mode, and the report says what was skipped."""
    import core.data.quality as quality_mod

    rng = np.random.default_rng(4)
    n = 30_000
    mostly = np.where(rng.random(n) < 0.995, 1.0, rng.normal(0, 1, n))
    frame = pd.DataFrame(
        {
            "flat": np.full(n, 2.5),
            "mostly_one": mostly,
            "spread": rng.normal(0, 1, n),
            "rating": rng.integers(1, 6, n).astype(float),
            "with_inf": np.where(np.arange(n) % 100 == 0, np.inf, 7.0),
            "k": rng.integers(0, 9, n),
        }
    )
    exact, approx = _both(store, pid, frame)
    a = approx.set_index("column")
    for col in ("flat", "mostly_one", "spread", "rating"):
        assert pd.isna(a.loc[col, "distinct"]), col
    assert a.loc["k", "distinct"] == 9  # integers are still counted (types hang on them)
    assert _types(approx) == _types(exact)
    assert any("not counted" in s and "spread" in s for s in approximation_notes(
        approx.to_dict("records")))  # fmt: skip
    if big_counts:  # the big-table path: sampled modes instead of full value counts
        monkeypatch.setattr(quality_mod, "EXACT_MAX_ROWS", 1_000)
    monkeypatch.setitem(profile_columns.__kwdefaults__, "shape_sample", 4096)  # "big"
    did = datasets_db.list_datasets(store, pid)[-1].id
    report = data.build_report(store, did, "t", exact_distinct_max_rows=1_000)
    kinds = {(i.kind, i.column) for i in report.issues}
    assert ("constant", "flat") in kinds and ("near_constant", "mostly_one") in kinds
    assert ("constant", "spread") not in kinds and ("constant", "rating") not in kinds
    assert ("constant", "with_inf") not in kinds  # 7.0 and +inf: two values
    assert "not counted" in " ".join(report.notes())
