"""Profiles: one pass, stored and reused, merge law, bad input."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import datasets as datasets_db
from core.db import profile_scan as profile_scan_db
from core.db import projects as projects_db
from core.db.database import Database
from core.monitoring.grid import MAX_CATEGORIES
from core.monitoring.profile_store import get_profile, profile_dataset
from core.monitoring.profiles import NO_TIMESTAMP, ProfileError, merge_profiles, moments


def _add(store: Database, pid: int, name: str, df: pd.DataFrame) -> int:
    return datasets_db.insert_dataset(store, pid, name, df, source="test", role="other", actor="t")


@pytest.fixture
def frames():
    rng = np.random.default_rng(1)
    n = 3000
    ref = pd.DataFrame(
        {
            "x": rng.normal(10, 2, n),
            "k": rng.integers(0, 7, n),
            "c": rng.choice(list("abc"), n),
            "ts": pd.date_range("2025-01-01", periods=n, freq="h"),
        }
    )
    cur = pd.DataFrame(
        {
            "x": rng.normal(11, 2, n),
            "k": rng.integers(0, 9, n),
            "c": rng.choice(list("abcd"), n),
            "ts": pd.date_range("2025-06-01", periods=n, freq="h"),
        }
    )
    return ref, cur


def test_profile_counts_match_pandas_and_reference_is_reused(store, frames):
    ref, cur = frames
    pid = projects_db.create_project(store, "P", "t")
    rid, cid = _add(store, pid, "ref", ref), _add(store, pid, "cur", cur)
    rp = profile_dataset(store, rid, time_column="ts")
    assert profile_dataset(store, rid, time_column="ts") == rp  # stored, not recomputed
    cp = profile_dataset(
        store, cid, reference_profile_id=rp, time_column="ts", window="1 month"
    )
    p, c = get_profile(store, rp), get_profile(store, cp)
    x = p.column("x")
    assert (x.n, x.nulls, x.min, x.max) == (3000, 0, ref.x.min(), ref.x.max())
    mean, std = moments(x, p.spec["x"])
    assert mean == pytest.approx(ref.x.mean(), rel=1e-12)
    assert std == pytest.approx(ref.x.std(), rel=1e-9)
    assert sum(x.bin_counts) == 3000
    assert p.column("c").category_map() == ref.c.value_counts().to_dict()
    # windows: months of the current data; counts add up to the table
    months = cur.ts.dt.to_period("M").astype(str).str.cat(["-01"] * len(cur), sep="")
    assert c.windows == sorted(months.unique())
    assert sum(c.column("x", w).n for w in c.windows) == len(cur)
    assert c.total().column("c").category_map() == cur.c.value_counts().to_dict()
    assert "ts" not in p.spec


def _profile_of(store, pid, name, df, ref_pid):
    did = _add(store, pid, name, df)
    return get_profile(store, profile_dataset(store, did, reference_profile_id=ref_pid))


_values = st.lists(
    st.tuples(
        st.one_of(
            st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))
        ),
        st.one_of(st.none(), st.sampled_from(["a", "b", "zz", "new", "x y"])),
        st.one_of(st.none(), st.integers(-50, 50)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ref_rows=_values, rows=_values, cut=st.integers(0, 40))
def test_merge_of_parts_equals_profile_of_union(ref_rows, rows, cut):
    cut = min(cut, len(rows))
    with tempfile.TemporaryDirectory() as tmp:
        store = Database(Path(tmp) / "m.duckdb")
        try:
            pid = projects_db.create_project(store, "M", "t")

            def frame(r):
                return pd.DataFrame(r, columns=["x", "c", "k"]).astype(
                    {"x": "float64", "c": "string", "k": "Int64"}
                )

            rp = profile_dataset(store, _add(store, pid, "ref", frame(ref_rows)))
            union = _profile_of(store, pid, "all", frame(rows), rp)
            a = _profile_of(store, pid, "a", frame(rows[:cut]), rp)
            b = _profile_of(store, pid, "b", frame(rows[cut:]), rp)
            merged = merge_profiles(a, b)
            for col in ("x", "c", "k"):
                m, u = merged.column(col), union.column(col)
                if m is None or u is None:
                    assert m is u is None
                    continue
                assert (m.n, m.nulls, m.min, m.max) == (u.n, u.nulls, u.min, u.max)
                assert (m.bin_keys, m.bin_counts) == (u.bin_keys, u.bin_counts)
                assert (m.below, m.above, m.other) == (u.below, u.above, u.other)
                assert m.category_map() == u.category_map()
                for f in ("sum", "sumsq", "below_sum", "above_sum"):
                    assert getattr(m, f) == pytest.approx(
                        getattr(u, f), rel=1e-9, abs=1e-6
                    )
        finally:
            store.close()


def test_bins_follow_the_documented_key_on_and_beside_every_edge(store):
    """The SQL key (CASE-clamped for speed) equals clamp(floor((v - a) / w), kmin, kmax),
    also for values on a bin edge, one ulp either side of it, and beyond the reference."""
    rng = np.random.default_rng(3)
    pid = projects_db.create_project(store, "K", "t")
    ref = pd.DataFrame({"x": np.concatenate([rng.lognormal(0, 1.5, 5000), [0.0, 900.0]])})
    rp = profile_dataset(store, _add(store, pid, "ref", ref))
    spec = get_profile(store, rp).spec["x"]
    a, w, kmin, kmax = spec["a"], spec["w"], spec["kmin"], spec["kmax"]
    edges = a + np.arange(kmin - 3, kmin + 40).astype(float) * w
    edges = np.concatenate([edges, a + np.arange(kmax - 40, kmax + 3).astype(float) * w])
    near = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
    values = np.concatenate([near, rng.uniform(-10, 1000, 2000), ref.x.to_numpy()])
    values = values[(values >= spec["ref_min"]) & (values <= spec["ref_max"])]
    cur = _profile_of(store, pid, "edges", pd.DataFrame({"x": values}), rp).column("x")
    keys = np.clip(np.floor((values - a) / w), kmin, kmax).astype(np.int64)
    want = pd.Series(keys).value_counts().sort_index()
    assert cur.bin_keys == tuple(want.index.tolist())
    assert cur.bin_counts == tuple(want.tolist())
    # beyond the reference range: counted below / above with their exact sums
    out = _profile_of(store, pid, "out", pd.DataFrame({"x": [-5.0, -1.0, 2.0, 1e6]}), rp)
    x = out.column("x")
    assert (x.below, x.above) == (2, 1)
    assert (x.below_sum, x.above_sum) == (-6.0, 1e6)


def test_merge_needs_the_same_grid(store, frames):
    ref, cur = frames
    pid = projects_db.create_project(store, "P", "t")
    a = get_profile(store, profile_dataset(store, _add(store, pid, "a", ref)))
    b = get_profile(store, profile_dataset(store, _add(store, pid, "b", cur)))
    with pytest.raises(ProfileError, match="different grids"):
        merge_profiles(a, b)


def test_bad_input_is_marked_not_crashed(store, frames):
    from core.monitoring.drift import compute_drift

    ref, cur = frames
    pid = projects_db.create_project(store, "P", "t")
    rp = profile_dataset(store, _add(store, pid, "ref", ref.assign(allnull=np.nan)))
    odd = cur.drop(columns="k").assign(x=cur.x.astype(str), extra=1, allnull=np.nan)
    odd.loc[:99, "ts"] = pd.NaT
    cp = profile_dataset(
        store,
        _add(store, pid, "odd", odd),
        reference_profile_id=rp,
        time_column="ts",
        window="1 month",
    )
    c = get_profile(store, cp)
    assert NO_TIMESTAMP in c.windows and c.column("x", NO_TIMESTAMP).n == 100
    frame = (
        compute_drift(get_profile(store, rp), c)
        .to_frame()
        .set_index(["window", "column"])
    )
    w = c.windows[0]
    assert frame.loc[(w, "x"), "reason"] == "type changed from DOUBLE to VARCHAR"
    assert frame.loc[(w, "k"), "reason"] == "missing from this dataset"
    assert frame.loc[(w, "allnull"), "status"] == "not computed"
    assert frame.loc[(NO_TIMESTAMP, "c"), "reason"].startswith(
        "these rows have no timestamp"
    )
    assert frame.loc[(w, "c"), "status"] == "computed"
    assert "extra" not in frame.index.get_level_values("column")
    # an empty window
    ep = profile_dataset(
        store, _add(store, pid, "empty", ref.iloc[:0]), reference_profile_id=rp
    )
    empty = compute_drift(get_profile(store, rp), get_profile(store, ep)).to_frame()
    assert set(empty["status"]) == {"not computed"}
    assert "the window is empty" in set(empty["reason"])
    with pytest.raises(ProfileError, match="time column"):
        profile_dataset(
            store, _add(store, pid, "nots", ref), time_column="nope", window="1 day"
        )


def test_many_categories_are_capped_with_other(store):
    n = 100_000
    ref = pd.DataFrame({"id": [f"u{i:06d}" for i in range(n)]})
    cur = pd.DataFrame({"id": [f"v{i:06d}" for i in range(n)]})
    pid = projects_db.create_project(store, "P", "t")
    rp = profile_dataset(store, _add(store, pid, "ref", ref))
    cp = profile_dataset(store, _add(store, pid, "cur", cur), reference_profile_id=rp)
    p, c = get_profile(store, rp), get_profile(store, cp)
    assert p.spec["id"]["complete"] is False and p.spec["id"]["n_distinct"] == n
    assert len(p.column("id").categories) == MAX_CATEGORIES
    assert p.column("id").other == n - MAX_CATEGORIES
    assert c.column("id").other == n  # all pooled: none is among the reference's top


def test_stored_extremes_are_exact_or_left_out(store):
    """min/max of an unwindowed profile come from verified zone-map statistics."""
    pid = projects_db.create_project(store, "E", "t")
    df = pd.DataFrame(
        {
            "x": [3.5, -2.25, None, 7.0],
            "i": pd.array([5, 1, 9, None], dtype="Int64"),
            "nothing": pd.array([None] * 4, dtype="Float64"),
        }
    )
    did = _add(store, pid, "e", df)
    table = datasets_db._dataset_table(store, did)
    values = [profile_scan_db._profile_value_sql(c, False) for c in ("x", "i", "nothing")]
    with store.cursor() as cur:
        found = profile_scan_db._stored_extremes(cur, table, values)
    assert found == {0: (-2.25, 7.0), 1: (1.0, 9.0)}
    rp = profile_dataset(store, _add(store, pid, "ref", pd.DataFrame({"x": [0.0, 1.0]})))
    cur_p = get_profile(store, profile_dataset(store, did, reference_profile_id=rp))
    assert (cur_p.column("x").min, cur_p.column("x").max) == (-2.25, 7.0)
