"""Fit one model on a stored split and score every part: the work inside a training run.

The steps: ``prepare`` (read the split's labelled rows, check them, type the features and
the target), ``fit`` (resample or weight the train part as the preprocessing asks, then
fit the Pipeline), ``resolve_threshold`` (on dev, train when there is no dev) and ``score``
(metrics and per-row predictions of each part). Fitting is single-threaded
(``threadpool_limits(1)``): OpenMP spin-waits collapse when a few sessions share two cores
(a 0.1 s fit took 13 s with two threads under load).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.database import Database
from core.db.datasets import ROW_ID
from core.db.splits import SplitRow
from core.progress import Progress
from core.training import metrics as M
from core.training.inputs import as_labels, default_positive_class, feature_types
from core.training.models import ModelSpec, build_pipeline
from core.training.spec import TrainingError, TrainSpec

if TYPE_CHECKING:
    from core.scoping import Contract

PARTS = ("train", "dev", "test")


@dataclass(frozen=True)
class Prepared:
    """A split's labelled rows, ready to fit: its parts, the target, the feature types."""

    parts: dict[str, pd.DataFrame]  # train first, then dev and test when present
    y: pd.Series  # labels as text (classification) or floats, indexed like the parts
    features: list[str]
    numeric: list[str]
    categorical: list[str]
    task: str
    positive_class: str | None
    notes: dict[str, Any]  # e.g. rows_without_target, stored with the preprocessing

    @property
    def train(self) -> pd.DataFrame:
        return self.parts["train"]


@dataclass(frozen=True)
class Fitted:
    """A fitted Pipeline with its metrics (part, metric, class, value) and predictions."""

    pipeline: Any
    metrics: pd.DataFrame
    predictions: pd.DataFrame
    positive_class: str | None
    task: str
    n_train: int
    threshold: float | None
    notes: dict[str, Any]


def fit_and_score(
    store: Database,
    split: SplitRow,
    spec: TrainSpec,
    model: ModelSpec,
    params: dict[str, Any],
    pre: dict[str, str],
    contract: Contract | None,
    progress: Progress,
) -> Fitted:
    """Fit ``model`` with validated ``params`` and preprocessing ``pre``; score each part."""
    from threadpoolctl import threadpool_limits

    data = prepare(store, split, spec, model.task, progress)
    X, y, fit_kw = _train_inputs(data, pre, spec.seed)
    pipeline = build_pipeline(model, params, pre, data.numeric, data.categorical, spec.seed)
    progress(0.3, f"Fitting {model.label} on {len(X):,} rows")
    with threadpool_limits(limits=1):
        pipeline.fit(X, y.to_numpy(), **fit_kw)
        progress(0.7, "Scoring train, dev and test")
        proba = (
            {p: pipeline.predict_proba(rows[data.features]) for p, rows in data.parts.items()}
            if data.task == "classification"
            else {}
        )
    classes = [str(c) for c in getattr(pipeline, "classes_", [])]
    threshold = resolve_threshold(spec.threshold_rule, data, proba, classes, contract)
    with threadpool_limits(limits=1):
        metrics, predictions = score(pipeline, data, proba, classes, threshold)
    return Fitted(
        pipeline,
        metrics,
        predictions,
        data.positive_class,
        data.task,
        len(data.train),
        threshold,
        data.notes,
    )


def prepare(
    store: Database, split: SplitRow, spec: TrainSpec, task: str, progress: Progress
) -> Prepared:
    """Read the split's rows with a target and check that a model can learn from them."""
    features, target = list(spec.features), spec.target
    _check_columns(store, split, features, target)
    progress(0.1, "Loading the split")
    frame = splits_db.split_frame(
        store, split.id, columns=[*features, target], max_ladder=spec.max_ladder
    )
    notes: dict[str, Any] = {}
    null_target = frame[target].isna()
    if null_target.any():
        notes["rows_without_target"] = int(null_target.sum())
        frame = frame[~null_target]
    parts = {p: frame[frame["__part"] == p] for p in PARTS if (frame["__part"] == p).any()}
    if "train" not in parts:
        raise TrainingError("The split's train part is empty (or has no labelled rows).")
    empty = [c for c in features if parts["train"][c].isna().all()]
    if empty:
        raise TrainingError(
            f"Feature {', '.join(map(repr, empty))} is entirely null in the train part; leave it out."
        )
    numeric, categorical = feature_types(frame, features)
    y, positive = _target(frame, parts["train"].index, target, task, spec.positive_class)
    return Prepared(parts, y, features, numeric, categorical, task, positive, notes)


def _check_columns(store: Database, split: SplitRow, features: list[str], target: str) -> None:
    if not features:
        raise TrainingError("Pick at least one feature.")
    if target in features:
        raise TrainingError(f"The target {target!r} cannot also be a feature.")
    schema = dict(datasets_db.dataset_schema(store, split.dataset_id))
    missing = [c for c in [*features, target] if c not in schema]
    if missing:
        raise TrainingError(f"The split's dataset has no column {', '.join(map(repr, missing))}.")


def _target(
    frame: pd.DataFrame, train: pd.Index, target: str, task: str, positive_class: str | None
) -> tuple[pd.Series, str | None]:
    """The target as the model learns it, and the positive class of a binary target."""
    if task != "classification":
        if not pd.api.types.is_numeric_dtype(frame[target]):
            raise TrainingError(f"A regression target must be numeric; {target!r} is not.")
        return frame[target].astype(float), None
    y = as_labels(frame[target])
    counts = y[train].value_counts()
    if len(counts) < 2:
        raise TrainingError(
            f"The train part holds only the class {counts.index[0]!r} of {target!r}; a "
            "classifier needs at least two. Choose another split (stratified) or target."
        )
    return y, default_positive_class(sorted(counts.index), counts, positive_class)


def _train_inputs(
    data: Prepared, pre: dict[str, str], seed: int
) -> tuple[pd.DataFrame, pd.Series, dict[str, Any]]:
    """Train features, labels and fit arguments, rebalanced as ``pre['imbalance']`` asks."""
    X, y = data.train[data.features], data.y[data.train.index]
    fit_kw: dict[str, Any] = {}
    if data.task != "classification":
        return X, y, fit_kw
    if pre["imbalance"] in ("oversample", "undersample"):
        X, y = _resample(X, y, pre["imbalance"], seed)
    if pre["imbalance"] == "class_weight":  # as sample weights: see core.training.models
        from sklearn.utils.class_weight import compute_sample_weight

        fit_kw["model__sample_weight"] = compute_sample_weight("balanced", y.to_numpy())
    return X, y, fit_kw


def _resample(X: pd.DataFrame, y: pd.Series, how: str, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Random over- or undersampling of train to equal class counts (train only, seeded)."""
    rng = np.random.default_rng(seed)
    counts = y.value_counts()
    n = counts.max() if how == "oversample" else counts.min()
    idx = []
    for cls in counts.index:
        pos = np.flatnonzero((y == cls).to_numpy())
        idx.append(rng.choice(pos, size=n, replace=len(pos) < n) if len(pos) != n else pos)
    order = np.sort(np.concatenate(idx))
    return X.iloc[order], y.iloc[order]


def resolve_threshold(
    rule: str | float,
    data: Prepared,
    proba: dict[str, np.ndarray],
    classes: list[str],
    contract: Contract | None,
) -> float | None:
    """The decision threshold of a binary run, chosen on dev (train when there is no dev).

    None for other tasks, where only the default rule "0.5" is accepted.
    """
    positive = data.positive_class
    if data.task != "classification" or positive is None:
        if str(rule) != "0.5":
            raise TrainingError("A decision threshold applies to binary classification only.")
        return None
    part = "dev" if "dev" in data.parts else "train"
    if isinstance(rule, str) and rule not in M.THRESHOLD_RULES:
        try:
            rule = float(rule)
        except ValueError:
            raise TrainingError(
                f"Decision threshold {rule!r}: use a number between 0 and 1 or one of "
                f"{', '.join(M.THRESHOLD_RULES)}."
            ) from None
    primary = contract.primary if contract is not None else None
    try:
        # not rounded: a rounded cut can pass the scores it was chosen on (0.9999996 -> 1.0)
        return M.choose_threshold(
            rule,
            data.y[data.parts[part].index].to_numpy(),
            proba[part][:, classes.index(positive)],
            positive,
            target_metric=primary.name if primary is not None else None,
            target=primary.target if primary is not None else None,
            cost_fp=contract.cost_fp if contract is not None else None,
            cost_fn=contract.cost_fn if contract is not None else None,
        )
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"Decision threshold {rule!r}: {exc}") from None


def score(
    pipeline: Any,
    data: Prepared,
    proba: dict[str, np.ndarray],
    classes: list[str],
    threshold: float | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics (part, metric, class, value) and per-row predictions of every part."""
    metric_parts, pred_parts = [], []
    for part, rows in data.parts.items():
        y = data.y[rows.index].to_numpy()
        if data.task == "classification":
            m, y_text, y_pred, s = _score_classes(
                y, proba[part], classes, data.positive_class, threshold
            )
        else:
            m, y_text, y_pred, s = _score_values(y, pipeline.predict(rows[data.features]))
        metric_parts.append(m.assign(part=part))
        pred_parts.append(
            pd.DataFrame(
                {
                    "row_id": rows[ROW_ID].to_numpy(),
                    "part": part,
                    "y_true": y_text,
                    "y_pred": y_pred,
                    "score": s,
                }
            )
        )
    return pd.concat(metric_parts, ignore_index=True), pd.concat(pred_parts, ignore_index=True)


def _score_classes(
    y: np.ndarray,
    proba: np.ndarray,
    classes: list[str],
    positive: str | None,
    threshold: float | None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """A classifier's metrics, labels, predicted class and score (the positive class's
    probability under a threshold, else the most likely class's)."""
    if threshold is not None and positive is not None:
        score_ = proba[:, classes.index(positive)]
        negative = next(c for c in classes if c != positive)
        pred = np.where(score_ >= threshold, positive, negative).astype(object)
    else:
        score_ = proba.max(axis=1)
        pred = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    m = M.classification_metrics(y, pred, proba, classes, positive)
    return m, y, pred, score_


def _score_values(
    y: np.ndarray, predicted: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """A regressor's metrics, and truth and prediction as text (the predictions table's)."""
    pred = predicted.astype(float)
    m = M.regression_metrics(y, pred)
    as_text = np.array([repr(float(v)) for v in y], dtype=object)
    return m, as_text, np.array([repr(float(v)) for v in pred], dtype=object), pred
