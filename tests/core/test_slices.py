"""Error analysis: per-slice metrics, SliceLine discovery, priority, tags, actions,
oversampling and run comparison, on seeded data with exact expectations."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import recall_score, roc_auc_score

from core import analysis as S
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.db.database import Database
from core.errors import StoreError
from tests.core.training_data import store_dummy_run, store_parts


def _frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "region": rng.choice(["N", "S", "E", "W"], n),
            "kind": rng.choice(["a", "b", "c"], n),
            "amount": np.round(rng.lognormal(7, 1, n), 2),
            "age": rng.integers(18, 80, n),
        }
    )
    df.loc[rng.uniform(size=n) < 0.05, "amount"] = np.nan
    y = (rng.uniform(size=n) < 0.4).astype(int)
    p_err = np.full(n, 0.1)
    p_err[((df["region"] == "S") & (df["kind"] == "b")).to_numpy()] = 0.3  # 3x the error
    yhat = np.where(rng.uniform(size=n) < p_err, 1 - y, y)
    df["y_true"], df["y_pred"] = y.astype(str), yhat.astype(str)
    df["score"] = np.clip(0.5 * yhat + 0.25 + rng.normal(0, 0.2, n), 0, 1)
    df["row_id"] = np.arange(n)
    return df


def test_slice_metrics_match_pandas_groupby(store: Database):
    df = _frame()
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src, ["region", "amount"], bins=4)
    table = S.compute_slice_metrics(
        store, src, plan.specs, metric="recall", hlp=0.95, hlp_metric="recall"
    )
    f = table.frame.set_index(["column", "value"])
    df["err"] = df["y_true"] != df["y_pred"]
    for region, g in df.groupby("region"):
        row = f.loc[("region", region)]
        recall = recall_score(g["y_true"], g["y_pred"], pos_label="1")
        assert row["size"] == len(g)
        assert row["errors"] == g["err"].sum()
        assert row["share"] == pytest.approx(len(g) / len(df))
        assert row["error_rate"] == pytest.approx(g["err"].mean())
        assert row["recall"] == pytest.approx(recall)
        assert row["gap_to_hlp"] == pytest.approx(0.95 - recall)
    # numeric bins: the quartiles of the non-missing values, plus a '(missing)' slice
    edges = plan.specs[1].edges
    assert edges == pytest.approx(tuple(np.nanquantile(df["amount"], [0.25, 0.5, 0.75])))
    missing = df["amount"].isna()
    assert f.loc[("amount", "(missing)"), "size"] == missing.sum()
    top_bin = df["amount"] >= edges[-1]
    assert f.loc[("amount", f"≥ {S._fmt(edges[-1])}"), "errors"] == df.loc[top_bin, "err"].sum()
    assert table.overall == pytest.approx(recall_score(df["y_true"], df["y_pred"], pos_label="1"))


def test_roc_auc_per_slice_matches_sklearn(store: Database):
    df = _frame(1500, seed=2)
    df["score"] = np.round(df["score"], 1)  # ties: the average-rank formula must hold
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src, ["kind"])
    table = S.compute_slice_metrics(store, src, plan.specs, metric="roc_auc")
    f = table.frame.set_index("value")
    for kind, g in df.groupby("kind"):
        assert f.loc[kind, "roc_auc"] == pytest.approx(
            roc_auc_score(g["y_true"] == "1", g["score"])
        )


def test_priority_is_gap_to_hlp_times_share_and_sorted(store: Database):
    src = S.frame_source(_frame(), positive_class="1")
    plan = S.plan_columns(store, src, ["region", "kind", "age"])
    t = S.compute_slice_metrics(store, src, plan.specs, hlp=0.93, hlp_metric="accuracy")
    f = t.frame
    assert len(t.ranked) == len(f)  # every slice here is large enough to rank
    assert f["priority"].tolist() == sorted(f["priority"], reverse=True)
    expected = (0.93 - f["accuracy"]).clip(lower=0) * f["share"]
    assert np.allclose(f["priority"], expected)
    assert set(f["priority_basis"]) == {"gap to HLP"}
    # without any HLP the gap to the overall metric ranks the slices, and a note says so
    t2 = S.compute_slice_metrics(store, src, plan.specs)
    assert np.allclose(
        t2.frame["priority"],
        t2.frame["gap_to_overall"].clip(lower=0) * t2.frame["share"],
    )
    assert set(t2.frame["priority_basis"]) == {"gap to overall"}
    assert any("No human-level performance" in n for n in t2.notes)


def test_planted_two_predicate_slice_is_found_first(store: Database):
    src = S.frame_source(_frame(), positive_class="1")
    plan = S.plan_columns(store, src, ["region", "kind", "amount", "age"])
    found = S.discover_slices(store, src, plan.specs, alpha=0.95, min_support=0.02, top_k=5)
    top = found.slices.iloc[0]
    assert {(p["column"], p["value"]) for p in top["slice"]} == {
        ("region", "S"),
        ("kind", "b"),
    }
    assert top["lift"] > 2.4
    # no reported slice restates a better parent: every sub-slice scores lower
    assert found.slices["score"].is_monotonic_decreasing


def _brute_force(codes: pd.DataFrame, err: np.ndarray, alpha: float, sigma: int, k: int):
    n, eb = len(err), err.mean()
    res = {}
    for level in (1, 2, 3):
        for combo in itertools.combinations(codes.columns, level):
            g = codes[list(combo)].assign(e=err).groupby(list(combo))["e"].agg(["size", "sum"])
            for key, r in g.iterrows():
                key = key if isinstance(key, tuple) else (key,)
                if r["size"] >= sigma:
                    sc = alpha * (r["sum"] / r["size"] / eb - 1) - (1 - alpha) * (n / r["size"] - 1)
                    res[tuple(zip(combo, key, strict=True))] = sc
    kept = [
        sc
        for s, sc in res.items()
        if sc > 0
        and not any(
            res.get(sub, -np.inf) >= sc
            for j in range(1, len(s))
            for sub in itertools.combinations(s, j)
        )
    ]
    return sorted(kept, reverse=True)[:k]


@pytest.mark.parametrize(("alpha", "sigma", "k"), [(0.95, 30, 10), (0.99, 20, 15)])
def test_lattice_search_equals_brute_force(store: Database, alpha: float, sigma: int, k: int):
    rng = np.random.default_rng(5)
    n = 2000
    df = pd.DataFrame({f"x{i}": rng.integers(0, 3, n).astype(str) for i in range(5)})
    p = np.where((df.x0 == "1") & (df.x1 == "2"), 0.35, 0.1)
    p = np.where((df.x2 == "0") & (df.x3 == "2") & (df.x4 == "1"), 0.5, p)
    y = rng.integers(0, 2, n)
    df["y_true"], df["y_pred"] = y, np.where(rng.uniform(size=n) < p, 1 - y, y)
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src)
    found = S.discover_slices(store, src, plan.specs, alpha=alpha, min_support=sigma, top_k=k)
    err = (df["y_true"] != df["y_pred"]).to_numpy(float)
    expected = _brute_force(df[[f"x{i}" for i in range(5)]], err, alpha, sigma, k)
    assert np.allclose(found.slices["score"].to_numpy(), expected)


def _nested_strong_slices(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """2,000 rows: ``a=1 AND b=1 AND c=1`` (20 rows, all errors) whose two-column parents
    are diluted, and ``p=p1`` (21 rows, all errors) with an equal-score superset
    ``p=p1 AND q=x`` (q is x on every p1 row). Background errors (3%) stay out of the
    regions where two of a, b, c are 1, so each parent of abc holds exactly its 20 errors.
    """
    rng = np.random.default_rng(seed)
    n = 2000
    a, b, c = (rng.integers(0, 3, n) for _ in range(3))
    p = np.full(n, "p0", dtype=object)
    q = rng.choice(["x", "y", "z"], n).astype(object)
    idx = rng.permutation(n)
    abc, pp, rest = idx[:20], idx[20:41], idx[41:]
    a[abc] = b[abc] = c[abc] = 1
    inside = (a[idx[20:]] == 1) & (b[idx[20:]] == 1) & (c[idx[20:]] == 1)
    c[idx[20:][inside]] = 0
    p[pp], q[pp] = "p1", "x"
    a[pp] = b[pp] = c[pp] = 0
    err = np.zeros(n)
    err[abc] = err[pp] = 1
    two = (a[rest] == 1).astype(int) + (b[rest] == 1) + (c[rest] == 1) >= 2
    bg = rest[~two]
    err[bg[rng.uniform(size=len(bg)) < 0.03]] = 1
    df = pd.DataFrame({"a": a.astype(str), "b": b.astype(str), "c": c.astype(str), "p": p, "q": q})
    y = rng.integers(0, 2, n)
    df["y_true"], df["y_pred"] = y, np.where(err == 1, 1 - y, y)
    return df, err


@pytest.mark.parametrize("k", [2, 5])
def test_equal_score_supersets_do_not_prune_a_better_slice(store: Database, k: int):
    # Before the fix the raw top-2 was {p=p1, p=p1 AND q=x} (both 15.22); that bound pruned
    # abc (14.98), and the filter then dropped the superset: a=0 AND b=0 AND q=x (3.82) came
    # second. The bound now uses only slices that can be reported.
    df, err = _nested_strong_slices()
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src)
    found = S.discover_slices(store, src, plan.specs, alpha=0.95, min_support=10, top_k=k)
    assert found.slices["label"].iloc[1] == "a = 1 AND b = 1 AND c = 1"
    assert found.slices["score"].iloc[1] == pytest.approx(14.979120879, abs=1e-8)
    expected = _brute_force(df[list("abcpq")], err, 0.95, 10, k)
    assert np.allclose(found.slices["score"].to_numpy(), expected)


@pytest.mark.parametrize("seed", range(6))
def test_lattice_equals_brute_force_on_ties_and_nested_slices(store: Database, seed: int):
    # coarse columns (2 values) make many equal-size, equal-error slices; planted nested
    # slices whose supersets tie with them stress the bound and the parent filter
    rng = np.random.default_rng(100 + seed)
    n = 600
    df = pd.DataFrame({f"x{i}": rng.integers(0, 2, n).astype(str) for i in range(4)})
    df["x4"] = np.where(df["x0"] == "1", "t", rng.choice(["t", "u"], n))  # x0=1 implies x4=t
    p = np.where((df.x0 == "1") & (df.x1 == "1"), 0.6, 0.05)
    p = np.where((df.x2 == "0") & (df.x3 == "1"), 0.45, p)
    err = (rng.uniform(size=n) < p).astype(float)
    y = rng.integers(0, 2, n)
    df["y_true"], df["y_pred"] = y, np.where(err == 1, 1 - y, y)
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src)
    for k in (1, 3, 8):
        found = S.discover_slices(store, src, plan.specs, alpha=0.9, min_support=15, top_k=k)
        expected = _brute_force(df[[f"x{i}" for i in range(5)]], err, 0.9, 15, k)
        assert np.allclose(found.slices["score"].to_numpy(), expected)


def test_lattice_without_errors_or_support_finds_nothing(store: Database):
    df = pd.DataFrame({"x": ["a", "b"] * 50, "y_true": [1] * 100, "y_pred": [1] * 100})
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src)
    assert S.discover_slices(store, src, plan.specs, min_support=5).slices.empty  # no error
    df["y_pred"] = [0] + [1] * 99
    src = S.frame_source(df, positive_class="1")
    # no slice reaches the support, and one with it only restates the whole data
    assert S.discover_slices(store, src, plan.specs, min_support=60).slices.empty


# -------------------------------------------------------------- with a stored run
def _project_with_run(store: Database, n: int = 600, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    pid = projects_db.create_project(store, "P", "t")
    data = pd.DataFrame(
        {
            "item": [f"I{i:04d}" for i in range(n)],
            "color": rng.choice(["red", "blue", "green"], n),
            "size": rng.normal(10, 3, n),
            "count": rng.integers(0, 50, n),
            "y": rng.integers(0, 2, n),
        }
    )
    did = datasets_db.insert_dataset(store, pid, "d", data, source="t", role="training", actor="t")
    part = np.where(np.arange(n) % 3 == 0, "dev", "train")
    sid = store_parts(store, pid, did, part, "y")
    rid = _run(store, pid, did, sid, data, part, seed)
    return {"pid": pid, "did": did, "sid": sid, "rid": rid, "data": data, "part": part}


def _run(
    store: Database,
    pid: int,
    did: int,
    sid: int,
    data: pd.DataFrame,
    part: np.ndarray,
    seed: int,
    bad_color: str = "red",
) -> int:
    rng = np.random.default_rng(seed)
    y = data["y"].to_numpy()
    p_err = np.where(data["color"] == bad_color, 0.5, 0.1)
    yhat = np.where(rng.uniform(size=len(y)) < p_err, 1 - y, y)
    preds = pd.DataFrame(
        {
            "row_id": np.arange(len(y)),
            "part": part,
            "y_true": y.astype(str),
            "y_pred": yhat.astype(str),
            "score": rng.uniform(size=len(y)),
        }
    )
    return store_dummy_run(
        store,
        pid,
        did,
        sid,
        preds,
        target="y",
        positive_class="1",
        features=["color", "size", "count"],
        name=f"run{seed}",
    )


def test_run_without_predictions_is_a_clear_error(store: Database):
    ctx = _project_with_run(store)
    with pytest.raises(S.SliceError, match="no stored predictions on the test part"):
        S.source_for_run(store, ctx["rid"], "test")


def test_bad_columns_leave_the_rest_of_the_table(store: Database):
    df = _frame(500)
    df["const"] = "x"
    df["empty"] = np.nan
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src, ["const", "empty", "region", "nope"])
    text = " ".join(plan.notes)
    assert "const: one value only" in text and "empty: every value is missing" in text
    assert "nope: not a column" in text
    t = S.compute_slice_metrics(store, src, plan.specs)
    assert set(t.frame["column"]) == {"empty", "region"}
    assert t.frame.loc[t.frame["column"] == "empty", "size"].tolist() == [500]


def test_tags_round_trip_and_carry_to_the_next_run(store: Database):
    ctx = _project_with_run(store)
    src = S.source_for_run(store, ctx["rid"], "dev")
    n, rows = S.slice_errors(store, src, [{"column": "color", "op": "eq", "value": "red"}])
    assert n == len(rows) > 0 and set(rows["y_true"] != rows["y_pred"]) == {True}
    ids = rows["row_id"].head(5).tolist()
    assert S.tag_rows(store, src, ids, "  blurry   photo ", "ana") == 5
    S.tag_rows(store, src, ids[:2], "blurry photo", "ben")  # no duplicates
    tags = S.list_tags(store, src)
    assert sorted(tags["row_id"]) == sorted(ids) and set(tags["created_by"]) == {"ana"}
    assert set(tags["run_id"]) == {ctx["rid"]}
    plan = S.plan_columns(store, src, ["color"])
    t = S.compute_slice_metrics(store, src, plan.specs).frame
    tag_row = t[(t["column"] == "tag") & (t["value"] == "blurry photo")].iloc[0]
    assert tag_row["size"] == 5 and tag_row["errors"] == 5
    # a new run on the same items sees the tags, and its drill-down shows them
    rid2 = _run(store, ctx["pid"], ctx["did"], ctx["sid"], ctx["data"], ctx["part"], seed=9)
    src2 = S.source_for_run(store, rid2, "dev")
    assert sorted(S.list_tags(store, src2)["row_id"]) == sorted(ids)
    _, rows2 = S.slice_errors(
        store,
        src2,
        [{"column": "", "op": "tag", "value": "blurry photo"}],
        only_errors=False,
    )
    assert sorted(rows2["row_id"]) == sorted(ids) and set(rows2["tags"]) == {"blurry photo"}
    with pytest.raises(StoreError, match="needs some text"):
        S.tag_rows(store, src, ids, "   ", "ana")


def test_oversampling_keeps_the_original_version(store: Database):
    ctx = _project_with_run(store)
    before = datasets_db.dataset_frame(store, ctx["did"], with_row_id=True)
    red = [{"column": "color", "op": "eq", "value": "red"}]
    res = S.oversample_slice(store, ctx["rid"], red, factor=0.5, method="smote", seed=3, actor="t")
    after = datasets_db.dataset_frame(store, ctx["did"], with_row_id=True)
    pd.testing.assert_frame_equal(before, after)
    new = datasets_db.dataset_frame(store, res.dataset_id, with_row_id=True).sort_values("__row_id")
    red_train = ((ctx["data"]["color"] == "red") & (ctx["part"] == "train")).sum()
    assert res.n_added == round(0.5 * red_train) and len(new) == len(before) + res.n_added
    pd.testing.assert_frame_equal(
        new.head(len(before)).reset_index(drop=True),
        before.reset_index(drop=True),
        check_dtype=False,
    )
    synth = new.tail(res.n_added)
    assert set(synth["color"]) == {"red"} and synth["count"].dtype.kind == "i"
    assert synth["size"].between(before["size"].min(), before["size"].max()).all()
    child = datasets_db.get_dataset(store, res.dataset_id)
    assert child is not None and child.parent_id == ctx["did"]
    assert (child.name, child.content_hash) == (res.dataset_name, res.content_hash)
    parts = splits_db.split_assignment_frame(store, res.split_id)
    assert len(parts) == len(new)
    assert set(parts.loc[parts["row_id"] >= len(before), "part"]) == {"train"}
    # the lineage links the versions, so tags on the original rows carry over
    assert datasets_db.dataset_lineage(store, res.dataset_id) == [res.dataset_id, ctx["did"]]


def test_actions_recorded_open_and_closed(store: Database):
    ctx = _project_with_run(store)
    red = [{"column": "color", "op": "eq", "value": "red"}]
    aid = S.record_action(store, ctx["pid"], ctx["rid"], red, "collect", "ask for 500 more", "ana")
    (a,) = S.open_actions(store, ctx["pid"])
    assert (a.id, a.label, a.action_label, a.note, a.slice) == (
        aid,
        "color = red",
        "Collect more data",
        "ask for 500 more",
        red,
    )
    S.close_action(store, aid, "ben")
    assert S.open_actions(store, ctx["pid"]) == []
    with pytest.raises(S.SliceError):
        S.record_action(store, ctx["pid"], ctx["rid"], red, "pray", "", "ana")


def test_compare_runs_finds_the_fixed_slice(store: Database):
    ctx = _project_with_run(store)
    rid2 = _run(
        store,
        ctx["pid"],
        ctx["did"],
        ctx["sid"],
        ctx["data"],
        ctx["part"],
        seed=4,
        bad_color="blue",
    )
    cmp = S.compare_runs(store, ctx["rid"], rid2, "dev", metric="accuracy")
    by = cmp[cmp["column"] == "color"].set_index("value")
    assert by.loc["red", "verdict"] == "better" and by.loc["blue", "verdict"] == "worse"


def test_discovery_is_stored_and_read_back(store: Database):
    ctx = _project_with_run(store, n=900)
    src = S.source_for_run(store, ctx["rid"], "dev")
    plan = S.plan_columns(store, src, ["color", "size", "count"])
    found = S.discover_slices(store, src, plan.specs, min_support=0.05, top_k=3)
    S.save_discovery(store, src, found, "ana")
    back = S.latest_discovery(store, ctx["rid"], "dev")
    assert back is not None
    assert back.slices["label"].tolist() == found.slices["label"].tolist()
    assert back.slices["slice"].tolist() == found.slices["slice"].tolist()
    assert "color = red" in found.slices["label"].iloc[0]
