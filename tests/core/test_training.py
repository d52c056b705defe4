from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from core import training
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.training import registry
from tests.core.training_data import store_parts

LADDER = (0.1, 0.25, 0.5, 1.0)


def make_split(store: Database, n: int = 1500, seed: int = 0, one_class_train: bool = False):
    """A learnable binary problem (x1, x2, a category, an all-null column) with a laddered split."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    cat = rng.choice(["a", "b", "c"], size=n)
    z = 1.8 * x1 - 1.2 * x2 + (cat == "a") * 0.8
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(int)
    if one_class_train:
        y[: int(n * 0.6)] = 0
    frame = pd.DataFrame({"x1": x1, "x2": x2, "cat": cat, "empty": np.full(n, np.nan), "y": y})
    pid = projects_db.create_project(store, "p", "tester")
    did = datasets_db.insert_dataset(
        store, pid, "d", frame, source="test", role="training", actor="tester"
    )
    part = np.where(
        np.arange(n) < n * 0.6, "train", np.where(np.arange(n) < n * 0.8, "dev", "test")
    )
    ladder = np.where(part == "train", rng.choice(LADDER, size=n), np.nan)
    assign = pd.DataFrame({"row_id": np.arange(n), "part": part, "ladder": ladder})
    sid = splits_db.insert_split(
        store, pid, did, "s", assign, method="random", target="y", params={}, actor="tester"
    )
    return pid, sid


def spec(sid, **kw) -> training.TrainSpec:
    args = {
        "target": "y",
        "features": ["x1", "x2", "cat"],
        "model_kind": "logistic_regression",
        "params": {},
        "preprocessing": {},
        "seed": 0,
    }
    args.update(kw)
    return training.TrainSpec(sid, **args)


def run(store, pid, sid, save_model=True, **kw):
    return training.train_run(store, pid, spec(sid, **kw), actor="tester", save_model=save_model)


def test_run_is_stored_with_metrics_predictions_and_model(store):
    pid, sid = make_split(store)
    rid = run(store, pid, sid)
    r = training.get_run(store, rid)
    assert r.status == "done", r.error
    assert r.positive_class == "1" and r.task_type == "classification" and r.n_train == 900
    assert r.dataset_hash and r.split_hash and r.library_versions["scikit-learn"]
    assert r.duration_s > 0 and r.peak_mem_mb is not None and r.artifact_sha256
    preds = training_db.run_predictions(store, rid)
    assert preds.groupby("part").size().to_dict() == {"train": 900, "dev": 300, "test": 300}
    assert set(preds["y_true"]) == {"0", "1"}
    # the stored prediction is the model's on that row (row ids are the dataset's rowid)
    frame = datasets_db.dataset_frame(store, r.dataset_id, with_row_id=True).set_index("__row_id")
    model = registry.load_artifact(r.artifact_path, r.artifact_sha256)
    test = preds[preds["part"] == "test"]
    proba = model.predict_proba(frame.loc[test["row_id"], r.features])[:, 1]
    np.testing.assert_allclose(proba, test["score"].to_numpy())
    wide = training.overall_metrics(store, [rid], "test")
    assert wide.at[rid, "roc_auc"] > 0.8
    assert [a["action"] for a in projects_db.list_audit(store, pid).to_dict("records")][:2] == [
        "finish",
        "start",
    ]


def test_same_seed_same_metrics(store):
    pid, sid = make_split(store)
    kw = {"model_kind": "random_forest", "params": {"n_estimators": 20}}
    a, b = run(store, pid, sid, seed=3, **kw), run(store, pid, sid, seed=3, **kw)
    ma, mb = training_db.run_metrics(store, [a]), training_db.run_metrics(store, [b])
    pd.testing.assert_series_equal(ma["value"], mb["value"])
    c = run(store, pid, sid, seed=4, **kw)
    assert not np.allclose(training_db.run_metrics(store, [c])["value"], ma["value"])


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"features": ["x1", "empty"]}, "entirely null"),
        ({"params": {"C": "lots"}}, "not a valid float"),
        ({"params": {"C": -1.0}}, "out of range"),
        ({"params": {"n_trees": 5}}, "no hyperparameter"),
        ({"model_kind": "svm"}, "Unknown model"),
        ({"features": ["y"]}, "cannot also be a feature"),
        ({"preprocessing": {"scale": "zscore"}}, "Preprocessing scale"),
        ({"params": {"decision_threshold": 2}}, "between 0 and 1"),
    ],
)
def test_bad_input_fails_the_run_and_changes_nothing_else(store, kw, message):
    pid, sid = make_split(store)
    rid = run(store, pid, sid, **kw)
    r = training.get_run(store, rid)
    assert r.status == "failed" and message in r.error
    assert (
        training_db.run_metrics(store, [rid]).empty
        and training_db.run_predictions(store, rid).empty
    )
    assert r.artifact_path is None


def test_a_run_trains_again_from_its_stored_recipe(store):
    pid, sid = make_split(store)
    first = training.get_run(
        store, run(store, pid, sid, params={"C": 0.5, "decision_threshold": "max_f1"})
    )
    recipe = training.TrainSpec.from_run(first)
    assert recipe.threshold == first.params["decision_threshold"]
    assert set(recipe.params) == {"C", "max_iter"} and recipe.features == ("x1", "x2", "cat")
    again = training.get_run(store, training.train_run(store, pid, recipe, actor="tester"))
    assert again.status == "done", again.error
    assert again.params["decision_threshold"] == first.params["decision_threshold"]
    metrics = [
        training_db.run_metrics(store, [r.id]).drop(columns="run_id") for r in (first, again)
    ]
    pd.testing.assert_frame_equal(*metrics)


def test_single_class_train_fails(store):
    pid, sid = make_split(store, one_class_train=True)
    r = training.get_run(store, run(store, pid, sid))
    assert r.status == "failed" and "only the class '0'" in r.error


def test_fit_error_is_recorded(store):
    pid, _sid = make_split(store)
    # without imputation a NaN-free frame is fine, but max_iter=10 plus a string category
    # and no encoder cannot happen; force sklearn to raise with numeric NaN instead
    datasets_db.insert_dataset(
        store,
        pid,
        "nan",
        pd.DataFrame({"x": [1.0, None] * 50, "y": [0, 1] * 50}),
        source="t",
        role="training",
        actor="t",
    )
    ds = datasets_db.list_datasets(store, pid)[-1]
    sid2 = store_parts(store, pid, ds.id, np.repeat(["train", "dev"], [80, 20]), "y", name="s2")
    rid = run(store, pid, sid2, features=["x"], preprocessing={"numeric_impute": "none"})
    r = training.get_run(store, rid)
    assert r.status == "failed" and "NaN" in r.error


def test_thresholds_and_imbalance_options(store):
    pid, sid = make_split(store)
    rid = run(
        store,
        pid,
        sid,
        params={"decision_threshold": "max_f1"},
        preprocessing={"imbalance": "oversample", "scale": "robust", "encode": "ordinal"},
    )
    r = training.get_run(store, rid)
    assert r.status == "done", r.error
    assert 0 < r.params["decision_threshold"] < 1 and r.params["threshold_rule"] == "max_f1"
    preds = training_db.run_predictions(store, rid, ["dev"])
    flagged = (preds["score"] >= r.params["decision_threshold"]) == (preds["y_pred"] == "1")
    assert flagged.all()
    rid = run(
        store,
        pid,
        sid,
        model_kind="hist_gradient_boosting",
        params={"max_iter": 20},
        preprocessing={"imbalance": "class_weight"},
    )
    assert training.get_run(store, rid).status == "done"


def test_regression_run(store):
    pid, _ = make_split(store)
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    datasets_db.insert_dataset(
        store,
        pid,
        "reg",
        pd.DataFrame({"x": x, "t": 3 * x + rng.normal(0, 0.1, 300)}),
        source="t",
        role="training",
        actor="t",
    )
    ds = datasets_db.list_datasets(store, pid)[-1]
    assert training.infer_task(store, ds.id, "t") == "regression"
    sid = store_parts(store, pid, ds.id, np.repeat(["train", "test"], [200, 100]), "t", name="r")
    rid = run(store, pid, sid, target="t", features=["x"], model_kind="ridge")
    r = training.get_run(store, rid)
    assert r.status == "done" and r.task_type == "regression"
    assert training.overall_metrics(store, [rid], "test").at[rid, "r2"] > 0.95


def test_learning_curve_improves_with_data(store):
    pid, sid = make_split(store, n=3000)
    parent = training.learning_curve(store, pid, spec(sid), actor="tester")
    assert training.get_run(store, parent).status == "done"
    pts = training.learning_curve_frame(store, parent, "log_loss")
    dev = pts[pts["part"] == "dev"].sort_values("share")
    assert dev["share"].tolist() == list(LADDER)
    assert dev["train_rows"].is_monotonic_increasing
    # loosely monotone: more data never hurts by more than noise, and the full set beats 10%
    assert dev["value"].iloc[-1] < dev["value"].iloc[0]
    assert (dev["value"].diff().dropna() < 0.02).all()


def test_search_creates_child_runs_and_picks_the_best(store):
    pid, sid = make_split(store)
    space = training.parse_space("logistic_regression", {"C": "0.001, 0.1, 10"})
    parent = training.hyperparameter_search(
        store, pid, spec(sid), space, actor="t", metric="roc_auc"
    )
    children = training.list_runs(store, pid, parent_id=parent)
    assert len(children) == 3 and all(c.status == "done" for c in children)
    p = training.get_run(store, parent)
    trials = training.search_frame(store, parent)
    assert p.params["best_run_id"] == int(trials.loc[trials["roc_auc"].idxmax(), "run"])
    with pytest.raises(training.TrainingError, match="combinations"):
        training.search_trials({"C": [1, 2, 3], "max_iter": [10, 20, 30]}, "grid", 8, 0)
    with pytest.raises(training.TrainingError):
        training.parse_space("logistic_regression", {"C": "abc"})


def test_compare_and_export(store):
    pid, sid = make_split(store)
    a = run(store, pid, sid, params={"C": 0.1})
    b = run(store, pid, sid, params={"C": 10.0})
    diff = training.compare_runs(store, [a, b])
    differs = diff.settings[diff.settings["differs"]]["setting"].tolist()
    assert differs == ["param: C"] or set(differs) <= {
        "param: C",
        "duration_s",
        "peak_mem_mb",
        "param: decision_threshold",
    }
    assert "difference" in diff.metrics.columns
    z = zipfile.ZipFile(io.BytesIO(training.export_run(store, a)))
    names = z.namelist()
    assert f"run_{a}/params/C" in names and f"run_{a}/meta.json" in names
    assert z.read(f"run_{a}/params/C").decode() == "0.1"
    line = z.read(f"run_{a}/metrics/test.roc_auc").decode().split()
    assert len(line) == 3 and float(line[1]) == pytest.approx(
        training.overall_metrics(store, [a], "test").at[a, "roc_auc"]
    )
    assert z.read(f"run_{a}/tags/split_hash").decode() == training.get_run(store, a).split_hash
    assert json.loads(z.read(f"run_{a}/meta.json"))["status"] == "DONE"


def test_runs_table_and_comparison_without_contract(store):
    pid, sid = make_split(store)
    dummy = run(store, pid, sid, model_kind="dummy")
    rid = run(store, pid, sid)
    table = training.runs_table(store, pid)
    assert set(table["run"]) == {dummy, rid}
    cmp = training.metric_comparison(store, rid, "dev")
    assert set(cmp["verdict"]) == {"no target set"}
    assert cmp.set_index("metric").at["roc_auc", "dummy baseline"] == 0.5
    assert cmp.set_index("metric").at["roc_auc", "beats dummy"]


def test_demo_seeding_registers_champion_and_challenger(demo_store):
    pid = projects_db.list_projects(demo_store)[0].id
    champ, chall = registry.get_champion(demo_store, pid), registry.get_challenger(demo_store, pid)
    assert champ is not None and chall is not None
    assert training.get_run(demo_store, champ.run_id).model_kind == "hist_gradient_boosting"
    test = training.overall_metrics(demo_store, [champ.run_id, chall.run_id], "test")
    assert test.at[champ.run_id, "roc_auc"] > test.at[chall.run_id, "roc_auc"]
