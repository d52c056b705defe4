"""Error analysis on one metric: slice priority, human-level performance per slice, the
minimum slice size, the table's columns, regression runs and the run compared by default.
Column names here are unlike the demo's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    recall_score,
)

from core import analysis as S
from core import labeling, training
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import training as training_db
from core.db.database import Database
from tests.core.training_data import store_dummy_run, store_parts


def _lenient_strict(n_each: int = 1000, seed: int = 3) -> pd.DataFrame:
    """Three segments where accuracy and recall disagree: 'lenient' flags every positive
    and 60% of the negatives (recall 1, accuracy ~0.58), 'strict' flags 40% of the
    positives and no negative (recall 0.4, accuracy ~0.82), 'middle' in between."""
    rng = np.random.default_rng(seed)
    parts = []
    for seg, tpr, fpr in (("lenient", 1.0, 0.6), ("strict", 0.4, 0.0), ("middle", 0.7, 0.05)):
        y = (rng.uniform(size=n_each) < 0.3).astype(int)
        flag = np.where(y == 1, rng.uniform(size=n_each) < tpr, rng.uniform(size=n_each) < fpr)
        parts.append(pd.DataFrame({"segment": seg, "y_true": y, "y_pred": flag.astype(int)}))
    df = pd.concat(parts, ignore_index=True)
    df["y_true"], df["y_pred"] = df["y_true"].astype(str), df["y_pred"].astype(str)
    return df


def test_priority_uses_one_metric_when_accuracy_and_recall_disagree(store: Database):
    # Before the fix the gap to an HLP given in accuracy ranked the slices while the
    # page's metric was recall: 'lenient' (the best recall, 1.0) came first.
    df = _lenient_strict()
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src, ["segment"])
    t = S.compute_slice_metrics(
        store, src, plan.specs, metric="recall", hlp=0.95, hlp_metric="accuracy"
    )
    f = t.frame.set_index("value")
    overall = recall_score(df["y_true"], df["y_pred"], pos_label="1")
    assert t.metric == "recall" and t.overall == pytest.approx(overall)
    assert t.frame["value"].iloc[0] == "strict"
    assert f.loc["lenient", "priority"] == 0 and f.loc["lenient", "recall"] == 1.0
    # the HLP given in accuracy is not compared with recall, and a note says so
    assert t.hlp_value is None and t.hlp_metric is None and t.hlp_source == "none"
    assert f["hlp"].isna().all() and set(f["priority_basis"]) == {"gap to overall"}
    assert any("given in Accuracy" in n for n in t.notes)
    for seg, g in df.groupby("segment"):
        gap = overall - recall_score(g["y_true"], g["y_pred"], pos_label="1")
        assert f.loc[seg, "priority"] == pytest.approx(max(gap, 0) * len(g) / len(df))
    # an HLP given in recall is the reference of every slice
    t2 = S.compute_slice_metrics(
        store, src, plan.specs, metric="recall", hlp=0.9, hlp_metric="recall"
    )
    f2 = t2.frame.set_index("value")
    assert (t2.hlp_metric, t2.hlp_value, t2.hlp_source) == ("recall", 0.9, "brief")
    assert np.allclose(f2["gap_to_hlp"], 0.9 - f2["recall"])
    assert f2.loc["lenient", "priority"] == 0 and t2.frame["value"].iloc[0] == "strict"


def test_one_column_per_metric(store: Database):
    # Before the fix the frame had 'metric' (shown as "Accuracy") beside 'accuracy'.
    df = _lenient_strict(200)
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src, ["segment"])
    base = ["column", "value", "size", "share", "errors"]
    tail = ["gap_to_overall", "hlp", "hlp_source", "gap_to_hlp", "priority", "priority_basis"]
    for metric, shown in (
        ("accuracy", ["accuracy", "error_rate"]),
        ("recall", ["recall", "error_rate"]),
        ("error_rate", ["error_rate"]),
        (None, ["accuracy", "error_rate"]),
    ):
        t = S.compute_slice_metrics(store, src, plan.specs, metric=metric)
        assert list(t.frame.columns) == [*base, *shown, *tail, "predicate"], metric


def _labelled_run(store: Database, n: int = 900, seed: int = 4) -> dict:
    """A stored run on rows with a 'ticket' id and a 'shade' column (dev = every 3rd row),
    and three annotators' labels of the dev rows (ann_c labels every other one)."""
    rng = np.random.default_rng(seed)
    pid = projects_db.create_project(store, "tickets", "t")
    data = pd.DataFrame(
        {
            "ticket": [f"T{i:05d}" for i in range(n)],
            "shade": rng.choice(["amber", "teal", "plum"], n),
            "y": (rng.uniform(size=n) < 0.5).astype(int),
        }
    )
    did = datasets_db.insert_dataset(
        store, pid, "tickets", data, source="t", role="training", actor="t"
    )
    part = np.where(np.arange(n) % 3 == 0, "dev", "train")
    sid = store_parts(store, pid, did, part, "y")
    y = data["y"].to_numpy()
    yhat = np.where(rng.uniform(size=n) < 0.25, 1 - y, y)
    preds = pd.DataFrame(
        {
            "row_id": np.arange(n),
            "part": part,
            "y_true": y.astype(str),
            "y_pred": yhat.astype(str),
            "score": rng.uniform(size=n),
        }
    )
    rid = store_dummy_run(
        store, pid, did, sid, preds, target="y", positive_class="1", features=["shade"]
    )
    dev = data[part == "dev"].reset_index(drop=True)
    rows = []
    for who, miss, every in (("ann_a", 0.05, 1), ("ann_b", 0.15, 1), ("ann_c", 0.3, 2)):
        for i, r in dev.iterrows():
            if int(i) % every:
                continue
            wrong = rng.uniform() < (miss if r["y"] == 1 else 0.1)
            rows.append(
                {
                    "item_id": r["ticket"],
                    "annotator": who,
                    "label": str(1 - r["y"] if wrong else r["y"]),
                }
            )
    long = pd.DataFrame(rows).assign(labeled_at=pd.NaT)
    labeling.import_labels(
        store, pid, "ticket labels", long, item_dataset_id=did, item_id_column="ticket", actor="t"
    )
    return {"pid": pid, "did": did, "rid": rid, "data": data, "dev": dev, "long": long}


@pytest.mark.parametrize(
    ("metric", "reference"),
    [("recall", recall_score), ("precision", precision_score), ("f1", f1_score)],
)
def test_annotators_hlp_per_slice_in_the_tables_metric(store: Database, metric, reference):
    ctx = _labelled_run(store)
    src = S.source_for_run(store, ctx["rid"], "dev")
    plan = S.plan_columns(store, src, ["shade"])
    t = S.compute_slice_metrics(
        store, src, plan.specs, metric=metric, hlp=0.9, hlp_metric="accuracy"
    )
    f = t.frame.set_index("value")
    lab = ctx["long"].merge(ctx["dev"], left_on="item_id", right_on="ticket")
    lab["w"] = 1 / lab.groupby("item_id")["annotator"].transform("size")
    for shade, g in lab.groupby("shade"):
        expected = reference(g["y"].astype(str), g["label"], pos_label="1", sample_weight=g["w"])
        assert f.loc[shade, "hlp"] == pytest.approx(expected)
        assert f.loc[shade, "hlp_source"] == "annotators"
        assert f.loc[shade, "gap_to_hlp"] == pytest.approx(expected - f.loc[shade, metric])
    whole = reference(lab["y"].astype(str), lab["label"], pos_label="1", sample_weight=lab["w"])
    assert t.hlp_value == pytest.approx(whole) and t.hlp_metric == metric
    assert t.hlp_source == "annotators per slice"


def test_small_slices_are_listed_but_not_ranked(store: Database):
    # Before the fix a 1-row '(missing)' slice and a 1-row value had a priority like any
    # other slice; now they are listed last as "too small to rank".
    rng = np.random.default_rng(8)
    n = 2000
    df = pd.DataFrame(
        {
            "plan_tier": rng.choice(["basic", "plus", "pro"], n).astype(object),
            "usage_hours": rng.gamma(2.0, 10.0, n),
            "y_true": rng.integers(0, 2, n).astype(str),
        }
    )
    df.loc[0, "plan_tier"] = "legacy"
    df.loc[1, "usage_hours"] = np.nan
    wrong = rng.uniform(size=n) < 0.15
    wrong[[0, 1]] = True
    df["y_pred"] = np.where(wrong, np.where(df["y_true"] == "1", "0", "1"), df["y_true"])
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src, ["plan_tier", "usage_hours"])
    t = S.compute_slice_metrics(store, src, plan.specs)
    rule = S.min_slice_size(n, error_rate=float(wrong.mean()))
    assert (t.min_size, t.size_rule) == (rule.rows, rule.rule) and t.min_size == 100  # 5% cap
    small = t.frame[t.frame["size"] < t.min_size]
    assert set(small["value"]) == {"legacy", "(missing)"}
    assert small["priority"].isna().all() and set(small["priority_basis"]) == {S.TOO_SMALL}
    assert t.frame.tail(2)["value"].tolist() == ["legacy", "(missing)"]
    assert (t.ranked["size"] >= t.min_size).all() and len(t.ranked) == len(t.frame) - 2
    assert any("too small to rank" in note for note in t.notes)
    # the size is editable: with 1 row every slice is ranked
    t1 = S.compute_slice_metrics(store, src, plan.specs, min_size=1)
    assert t1.frame["priority"].notna().all()
    # the sensitive-column gaps skip the small slices too
    gaps = S.fairness_gaps(t, ["plan_tier"]).iloc[0]
    assert gaps["slices"] == 3 and "legacy" not in (gaps["worst"], gaps["best"])


def test_minimum_size_rule_matches_statsmodels_wilson():
    from statsmodels.stats.proportion import proportion_confint

    for p in (0.0, 0.03, 0.12, 0.5, 0.9):
        m = S.wilson_min_rows(p)
        lo, hi = proportion_confint(p * m, m, alpha=0.05, method="wilson")
        lo1, hi1 = proportion_confint(p * (m - 1), m - 1, alpha=0.05, method="wilson")
        assert (hi - lo) / 2 <= 0.05 < (hi1 - lo1) / 2
        assert S.wilson_half_width(p, m) == pytest.approx((hi - lo) / 2, rel=1e-9)
    assert S.min_slice_size(300, error_rate=0.2).rows == 30  # never below 30 rows
    assert S.min_slice_size(10**6, error_rate=0.2).rows == S.wilson_min_rows(0.2)


def test_discovery_defaults_to_the_minimum_slice_size(store: Database):
    # a 3-predicate slice of ~31 rows, all errors: the old default support (1% = 20 rows)
    # put it first; the default is now the table's minimum slice size
    rng = np.random.default_rng(11)
    n = 2000
    df = pd.DataFrame({f"f{i}": rng.choice(list("abcd"), n) for i in range(4)})
    y = rng.integers(0, 2, n)
    err = rng.uniform(size=n) < 0.1
    err[((df.f0 == "a") & (df.f1 == "a") & (df.f2 == "a")).to_numpy()] = True
    df["y_true"], df["y_pred"] = y, np.where(err, 1 - y, y)
    src = S.frame_source(df, positive_class="1")
    plan = S.plan_columns(store, src)
    old = S.discover_slices(store, src, plan.specs, min_support=0.01, top_k=5)
    assert old.slices["label"].iloc[0] == "f0 = a AND f1 = a AND f2 = a"
    found = S.discover_slices(store, src, plan.specs, top_k=5)
    least = S.default_min_size(store, src).rows
    assert found.params["min_support"] == least == 100
    assert (found.slices["size"] >= least).all()


def _regression_run(store: Database) -> tuple[int, pd.DataFrame]:
    """A ridge run on generated greenhouse data (noisier in G3), trained by core.training."""
    rng = np.random.default_rng(21)
    n = 1200
    house = rng.choice(["G1", "G2", "G3"], n)
    soil_ph = rng.normal(6.5, 0.6, n)
    noise = rng.normal(0, np.where(house == "G3", 3.0, 0.8))
    data = pd.DataFrame({"soil_ph": soil_ph, "greenhouse": house, "yield_kg": 4 * soil_ph + noise})
    pid = projects_db.create_project(store, "greenhouses", "t")
    did = datasets_db.insert_dataset(
        store, pid, "harvest", data, source="t", role="training", actor="t"
    )
    part = np.where(np.arange(n) % 4 == 0, "dev", np.where(np.arange(n) % 4 == 1, "test", "train"))
    sid = store_parts(store, pid, did, part, "yield_kg")
    spec = training.TrainSpec(sid, "yield_kg", ("soil_ph", "greenhouse"), "ridge")
    rid = training.train_run(store, pid, spec, actor="t", save_model=False)
    assert training.get_run(store, rid).task_type == "regression"
    preds = training_db.run_predictions(store, rid, ["dev"]).merge(
        data.reset_index(names="row_id"), on="row_id"
    )
    preds["y"], preds["yhat"] = preds["y_true"].astype(float), preds["y_pred"].astype(float)
    return rid, preds


def test_regression_slices_ranked_by_mae_and_rmse(store: Database):
    # Before the fix a regression table had 'errors' holding the sum of squared errors and
    # discovery showed the mean squared error as 'error_rate'.
    rid, preds = _regression_run(store)
    src = S.source_for_run(store, rid, "dev")
    plan = S.plan_columns(store, src, ["greenhouse"])
    t = S.compute_slice_metrics(store, src, plan.specs)
    assert t.metric == "mae"
    assert list(t.frame.columns) == [
        "column",
        "value",
        "size",
        "share",
        "mae",
        "rmse",
        "gap_to_overall",
        "hlp",
        "hlp_source",
        "gap_to_hlp",
        "priority",
        "priority_basis",
        "predicate",
    ]
    assert t.overall == pytest.approx(mean_absolute_error(preds["y"], preds["yhat"]))
    f = t.frame.set_index("value")
    for house, g in preds.groupby("greenhouse"):
        assert f.loc[house, "mae"] == pytest.approx(mean_absolute_error(g["y"], g["yhat"]))
        assert f.loc[house, "rmse"] == pytest.approx(np.sqrt(mean_squared_error(g["y"], g["yhat"])))
    assert t.frame["value"].iloc[0] == "G3"  # the noisy greenhouse ranks first
    abs_err = (preds["y"] - preds["yhat"]).abs()
    rule = S.min_slice_size(len(preds), mae=abs_err.mean(), sd_abs=abs_err.std(ddof=0))
    assert t.min_size == rule.rows
    rmse = S.compute_slice_metrics(store, src, plan.specs, metric="rmse")
    assert list(rmse.frame.columns)[4:6] == ["rmse", "mae"]
    found = S.discover_slices(store, src, plan.specs, top_k=3, min_support=30)
    assert {"errors", "error_rate"}.isdisjoint(found.slices.columns) and "rmse" in found.slices
    top = found.slices.iloc[0]
    g3 = preds[preds["greenhouse"] == "G3"]
    assert top["label"] == "greenhouse = G3"
    assert top["rmse"] == pytest.approx(np.sqrt(mean_squared_error(g3["y"], g3["yhat"])))
    S.save_discovery(store, src, found, "t")
    back = S.latest_discovery(store, rid, "dev")
    assert back is not None and np.allclose(back.slices["rmse"], found.slices["rmse"])
    g3_rule = [{"column": "greenhouse", "op": "eq", "value": "G3"}]
    n_rows, rows = S.slice_errors(store, src, g3_rule, only_errors=False, limit=1000)
    assert n_rows == len(g3) and "error" not in rows
    rows = rows.merge(preds[["row_id", "y", "yhat"]], on="row_id")
    assert np.allclose(rows["abs_error"], (rows["y"] - rows["yhat"]).abs())
    cmp = S.compare_runs(store, rid, rid, "dev", plan.specs)
    assert {"mae_a", "rmse_a", "mae_b"} <= set(cmp.columns) and "error_rate_a" not in cmp


def test_comparison_defaults_to_a_top_level_run_of_the_same_split_and_target(store: Database):
    pid = projects_db.create_project(store, "cmp", "t")
    data = pd.DataFrame({"f": np.arange(60) % 3, "y": np.arange(60) % 2, "z": np.arange(60) % 2})
    did = datasets_db.insert_dataset(store, pid, "d", data, source="t", role="training", actor="t")
    sid = store_parts(store, pid, did, np.full(60, "dev"), "y")

    def run(name, target="y", parent=None, run_type="train"):
        preds = pd.DataFrame(
            {
                "row_id": np.arange(60),
                "part": "dev",
                "y_true": data[target].astype(str),
                "y_pred": "1",
                "score": 0.5,
            }
        )
        return store_dummy_run(
            store,
            pid,
            did,
            sid,
            None if run_type != "train" else preds,
            target=target,
            positive_class="1",
            features=["f"],
            name=name,
            parent_id=parent,
            run_type=run_type,
        )

    first = run("first")
    second = run("second")
    curve = run("curve", run_type="learning_curve")
    run("rung at 50%", parent=curve)
    search = run("search", run_type="search")
    run("trial with threshold 0.3", parent=search)
    run("other target", target="z")
    runs = [r.id for r in S.analysable_runs(store, pid)]
    assert curve not in runs and search not in runs  # parents hold no predictions
    assert S.default_comparison_run(store, first, runs) == second
    assert S.default_comparison_run(store, second, runs) == first
