"""Suspected label errors: out-of-fold probabilities, then confident learning.

DESIGN
------
* Suspected label errors follow confident learning (Northcutt et al., 2021): out-of-fold
  probabilities from a seeded stratified k-fold model; a class's threshold is the mean
  self-confidence of the items given that class; an item is flagged when some other class
  clears its threshold and is the most probable of those that do. Ranked by self-confidence.
* ``confident_learning`` matches cleanlab's ``find_label_issues`` and is cross-checked against
  it (tests/core/test_crosscheck_labeling.py): change it only with that test.
* A detection run is stored with its settings and every item's score; it is read back, not
  recomputed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db import types
from core.db.database import Database
from core.labeling.consensus import consensus
from core.labeling.sets import ROW_NUMBER, LabelError, LabelSet, normalize_labels

MODELS = {
    "logistic": "Logistic regression (one-hot)",
    "hgb": "Histogram gradient boosting",
}

MAX_CATEGORIES = 50  # a text column with more distinct values is not used as a feature


def _feature_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Numeric and categorical features usable by a model; other columns are dropped."""
    num, cat = [], []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            num.append(c)
        elif pd.api.types.is_datetime64_any_dtype(s):
            continue
        elif s.nunique(dropna=True) <= MAX_CATEGORIES:
            cat.append(c)
    X = frame[num + cat].copy()
    for c in num:
        X[c] = pd.to_numeric(X[c], errors="coerce").astype(float)
    for c in cat:
        X[c] = X[c].astype("string").fillna("(missing)").astype(object)
    return X, num, cat


def _model(name: str, num: list[str], cat: list[str], seed: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    if name == "logistic":
        pre = ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                    num,
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), cat),
            ]
        )
        return make_pipeline(pre, LogisticRegression(max_iter=2000))
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        pre = ColumnTransformer(
            [
                ("num", "passthrough", num),
                (
                    "cat",
                    OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                    cat,
                ),
            ]
        )
        hgb = HistGradientBoostingClassifier(
            categorical_features=list(range(len(num), len(num) + len(cat))),
            random_state=seed,
            max_iter=150,
        )
        return make_pipeline(pre, hgb)
    raise LabelError(f"Unknown model {name!r}; use one of {', '.join(MODELS)}.")


def out_of_fold_proba(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    model: str = "logistic",
    n_folds: int = 5,
    seed: int = 0,
) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold class probabilities from a seeded stratified k-fold model."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = pd.Series(y).astype(str).reset_index(drop=True)
    sizes = y.value_counts()
    if len(sizes) < 2:
        raise LabelError("Label-error detection needs at least two classes.")
    if sizes.min() < n_folds:
        raise LabelError(
            f"Class {sizes.idxmin()!r} has {sizes.min()} item(s), fewer than the {n_folds} folds; "
            "lower k or gather more examples of it."
        )
    Xf, num, cat = _feature_frame(X.reset_index(drop=True))
    if not num and not cat:
        raise LabelError("No usable feature: choose numeric or categorical columns.")
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(_model(model, num, cat, seed), Xf, y, cv=cv, method="predict_proba")
    return proba, sorted(sizes.index)


def confident_learning(
    y: Any, proba: np.ndarray, classes: list[str]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Flag likely label errors from out-of-fold probabilities (confident learning).

    Follows cleanlab's ``find_label_issues(filter_by="confident_learning")`` exactly: the
    threshold of class j is the mean probability of j over the items labelled j (2, so
    never reached, for a class nobody gave; at least 2e-6). An item is counted in the
    confident joint when at least one class clears its threshold (within 1e-6); its
    likely true class is that class when only one does, else the overall argmax. It is
    flagged when that class differs from its given label, unless the model's argmax
    (the given label favoured by 1e-6) is the given label.

    Returns one row per item (given_label, predicted_label, self_confidence, threshold,
    flagged, rank; rank 1 = least confident in its given label) and the per-class thresholds.

    Examples
    --------
    >>> p = np.array([[.9, .1], [.8, .2], [.2, .8], [.1, .9], [.05, .95]])
    >>> out, t = confident_learning(["a", "a", "b", "b", "a"], p, ["a", "b"])
    >>> out["flagged"].tolist(), out["rank"].tolist(), {k: round(v, 3) for k, v in t.items()}
    ([False, False, False, False, True], [4, 2, 3, 5, 1], {'a': 0.583, 'b': 0.85})

    Only the given class clears its threshold, so the item is not suspect even though
    the other class has the larger probability:

    >>> p = np.array([[.6, .4], [.5, .5], [.6, .4], [.5, .5], [.54, .46]])
    >>> confident_learning(["a", "a", "b", "b", "b"], p, ["a", "b"])[0]["flagged"].tolist()
    [False, False, True, False, False]
    """
    y = np.asarray(y, dtype=str)
    idx = {c: i for i, c in enumerate(classes)}
    given = np.array([idx[v] for v in y], dtype=int)
    rows = np.arange(len(y))
    self_conf = proba[rows, given]
    thresholds = np.array(
        [proba[given == j, j].mean() if (given == j).any() else 2.0 for j in range(len(classes))]
    ).clip(min=2e-6)
    above = proba >= thresholds[None, :] - 1e-6
    n_above = above.sum(axis=1)
    guess = np.where(n_above > 1, proba.argmax(axis=1), above.argmax(axis=1))
    favoured = proba.copy()
    favoured[rows, given] += 1e-6
    flagged = (n_above > 0) & (guess != given) & (favoured.argmax(axis=1) != given)
    out = pd.DataFrame(
        {
            "given_label": y,
            "predicted_label": np.array(classes, dtype=object)[proba.argmax(axis=1)],
            "self_confidence": self_conf,
            "threshold": thresholds[given],
            "flagged": flagged,
        }
    )
    order = np.lexsort((np.arange(len(y)), self_conf, ~flagged))
    rank = np.empty(len(y), dtype=int)
    rank[order] = np.arange(1, len(y) + 1)
    out["rank"] = rank
    return out, {c: float(thresholds[i]) for i, c in enumerate(classes)}


@dataclass(frozen=True)
class LabelErrors:
    # scores: item_id, given_label, predicted_label, self_confidence, threshold, flagged, rank
    scores: pd.DataFrame
    thresholds: dict[str, float]
    oof_accuracy: float
    duration_s: float


def find_label_errors(
    X: pd.DataFrame,
    y: Any,
    item_ids: Any,
    *,
    model: str = "logistic",
    n_folds: int = 5,
    seed: int = 0,
) -> LabelErrors:
    """Out-of-fold probabilities then confident learning; scores sorted by rank."""
    t0 = time.perf_counter()
    proba, classes = out_of_fold_proba(X, pd.Series(y), model=model, n_folds=n_folds, seed=seed)
    scores, thresholds = confident_learning(np.asarray(y, dtype=str), proba, classes)
    scores.insert(0, "item_id", np.asarray(item_ids, dtype=str))
    acc = float((scores["predicted_label"] == scores["given_label"]).mean())
    return LabelErrors(
        scores.sort_values("rank").reset_index(drop=True),
        thresholds,
        acc,
        time.perf_counter() - t0,
    )


def default_features(store: Database, label_set: LabelSet) -> list[str]:
    """The labels set's feature columns, else every item-dataset column but id and truth."""
    if label_set.feature_columns:
        return list(label_set.feature_columns)
    if label_set.item_dataset_id is None:
        return []
    skip = {label_set.item_id_column, label_set.ground_truth_column}
    return [
        c
        for c, t in datasets_db.dataset_schema(store, label_set.item_dataset_id)
        if c not in skip and not types.is_datetime(t)
    ]


def _labelled_items(
    store: Database,
    label_set: LabelSet,
    dataset_id: int,
    id_column: str,
    label_source: str,
    features: list[str],
    version: int,
) -> tuple[pd.DataFrame, pd.Series]:
    """The items to check (with ``item_id``) and their labels, from ``label_source``."""
    if label_source == "consensus":
        long = labeling_db.label_frame(store, label_set.id, version)
        c = consensus(long, labeling_db.label_decisions(store, label_set.id, version)).dropna(
            subset=["consensus"]
        )
        rows = labeling_db.item_rows(store, dataset_id, id_column, c["item_id"].tolist())
        rows = rows.assign(_id=rows[id_column].astype(str)).drop_duplicates("_id")
        frame = rows.merge(c[["item_id", "consensus"]], left_on="_id", right_on="item_id")
        return frame, frame["consensus"].astype(str)
    frame = datasets_db.dataset_frame(  # a row-number id comes with the row id
        store,
        dataset_id,
        columns=[c for c in (id_column, label_source, *features) if c != ROW_NUMBER],
        with_row_id=id_column == ROW_NUMBER,
    )
    frame = frame.assign(item_id=frame[id_column].astype(str)).dropna(subset=[label_source])
    return frame, normalize_labels(frame[label_source]).astype(str)


def run_label_error_detection(
    store: Database,
    label_set: LabelSet,
    *,
    actor: str,
    label_source: str = "consensus",
    features: list[str] | None = None,
    model: str = "logistic",
    n_folds: int = 5,
    seed: int = 0,
) -> int:
    """Detect suspected label errors on a labels set's items and store the run; returns its id.

    ``label_source`` is ``"consensus"`` (the current version's consensus; ties left out) or a
    column of the item dataset (e.g. a label recorded there).
    """
    if label_set.item_dataset_id is None or not label_set.item_id_column:
        raise LabelError(
            "This labels set has no item dataset, so there are no features to learn from."
        )
    features = list(features or default_features(store, label_set))
    if not features:
        raise LabelError("Choose at least one feature column.")
    version = labeling_db.latest_label_version(store, label_set.id)
    frame, y = _labelled_items(
        store,
        label_set,
        label_set.item_dataset_id,
        label_set.item_id_column,
        label_source,
        features,
        version,
    )
    if len(frame) < 2 * n_folds:
        raise LabelError(
            f"Only {len(frame)} labelled item(s): too few for {n_folds}-fold detection."
        )
    result = find_label_errors(
        frame[features], y, frame["item_id"], model=model, n_folds=n_folds, seed=seed
    )
    meta = {
        "labels_version": version,
        "label_source": label_source,
        "model": model,
        "n_folds": n_folds,
        "seed": seed,
        "features": features,
        "thresholds": result.thresholds,
        "oof_accuracy": result.oof_accuracy,
        "duration_s": round(result.duration_s, 3),
    }
    return labeling_db.insert_label_error_run(
        store, label_set.project_id, label_set.id, meta, result.scores, actor
    )


def label_error_runs(
    store: Database, project_id: int, label_set_id: int | None = None
) -> pd.DataFrame:
    """Stored detection runs, newest first, JSON decoded and with a ``title`` to pick one by."""
    runs = labeling_db.list_label_error_runs(store, project_id, label_set_id)
    if len(runs):
        runs["thresholds"] = runs["thresholds"].map(json.loads)
        runs["features"] = runs["features"].map(json.loads)
        runs["title"] = (
            "run "
            + runs["id"].astype(str)
            + " · "
            + runs["model"].map(MODELS).fillna(runs["model"])
            + " · "
            + runs["label_source"]
            + " v"
            + runs["labels_version"].astype(str)
            + " · "
            + runs["n_flagged"].astype(str)
            + " flagged · "
            + runs["created_at"].dt.strftime("%Y-%m-%d %H:%M")
        )
    return runs


def label_error_scores(store: Database, run_id: int) -> pd.DataFrame:
    """Every item's score in a stored detection run, by rank."""
    return labeling_db.label_error_scores(store, run_id)
