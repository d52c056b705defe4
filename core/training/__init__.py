"""Training runs on a stored split, tracked like MLflow: params, data version, metrics, model.

DESIGN
------
* A run = split + target + features + preprocessing + model kind with hyperparameters +
  seed. ``train_run`` records it as 'running' first, then as 'done' with its metrics per
  part, per-row predictions and the saved model, or as 'failed' with the error. Bad input
  (one class in train, an all-null feature, a wrong hyperparameter) fails the run, never
  the caller, and writes nothing else.
* The saved model is a whole ``Pipeline`` (imputation, scaling, encoding, model) taking the
  raw feature columns as stored, so later stages call ``model.predict_proba(frame[features])``.
* Class labels are strings everywhere (``"1"``, not ``1``): the predictions table stores
  them as text, and the positive class is compared as text.
* Learning curves and hyperparameter searches are parent runs (``run_type`` 'learning_curve'
  or 'search') whose trials are ordinary child runs (``parent_id``).
* Fitting is single-threaded (``threadpool_limits(1)``): OpenMP spin-waits collapse when
  a few sessions share two cores (a 0.1 s fit took 13 s with two threads under load).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import platform
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.db.datasets import ROW_ID
from core.errors import StoreError
from core.training import metrics as M
from core.training import registry

Progress = Callable[[float, str], None]
PARTS = ("train", "dev", "test")
# Not a model hyperparameter: binary runs may set it in ``params`` as a number in (0, 1) or a
# rule of core.training.metrics.choose_threshold ("0.5", "cost", "max_f1", "target"); the resolved
# value is stored in the run's params (with "threshold_rule") and used for ``y_pred``.
THRESHOLD_PARAM = "decision_threshold"


class TrainingError(StoreError):
    """Bad training input; the message says what is wrong and what to do."""


def _no_progress(fraction: float, message: str) -> None:
    pass


# --------------------------------------------------------------------------- models
@dataclass(frozen=True)
class ParamSpec:
    """One hyperparameter: its type, default, range or choices, and whether None is allowed."""

    name: str
    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    nullable: bool = False
    help: str = ""

    def coerce(self, value: Any) -> Any:
        """The value as the right type, or a TrainingError naming the allowed values."""
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "")):
            if self.nullable:
                return None
            raise TrainingError(f"Hyperparameter {self.name} needs a value ({self._allowed()}).")
        try:
            if self.kind is int:
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                out: Any = int(float(value)) if isinstance(value, str) else int(value)
                if isinstance(value, str) and float(value) != out:
                    raise ValueError
            elif self.kind is float:
                if isinstance(value, bool):
                    raise ValueError
                out = float(value)
                if not math.isfinite(out):
                    raise ValueError
            else:
                out = str(value)
        except (TypeError, ValueError):
            raise TrainingError(
                f"Hyperparameter {self.name} = {value!r} is not a valid {self.kind.__name__} "
                f"({self._allowed()})."
            ) from None
        if self.choices and out not in self.choices:
            raise TrainingError(f"Hyperparameter {self.name} = {value!r}: {self._allowed()}.")
        if (self.low is not None and out < self.low) or (self.high is not None and out > self.high):
            raise TrainingError(
                f"Hyperparameter {self.name} = {value!r} is out of range ({self._allowed()})."
            )
        return out

    def _allowed(self) -> str:
        if self.choices:
            text = "one of " + ", ".join(map(str, self.choices))
        else:
            text = f"a {self.kind.__name__} from {self.low} to {self.high}"
        return text + (", or None" if self.nullable else "")


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    label: str
    task: str  # "classification" or "regression"
    params: tuple[ParamSpec, ...]
    build: Callable[[dict[str, Any], int, bool], Any]  # (params, seed, balanced) -> estimator
    baseline: bool = False
    class_weight: bool = False  # the estimator takes class_weight="balanced"

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def coerce(self, params: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``params``, each validated; unknown names are refused."""
        specs = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(specs))
        if unknown:
            raise TrainingError(
                f"{self.label} has no hyperparameter {', '.join(unknown)}; it takes "
                f"{', '.join(specs) or 'none'}."
            )
        return {name: spec.coerce(params.get(name, spec.default)) for name, spec in specs.items()}


def _dummy_clf(p, seed, balanced):
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy=p["strategy"], random_state=seed)


def _logreg(p, seed, balanced):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=p["C"],
        max_iter=p["max_iter"],
        random_state=seed,
        class_weight="balanced" if balanced else None,
    )


def _forest_clf(p, seed, balanced):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=_max_features(p["max_features"]),
        random_state=seed,
        n_jobs=1,
        class_weight="balanced" if balanced else None,
    )


def _hgb_clf(p, seed, balanced):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_leaf_nodes=p["max_leaf_nodes"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2_regularization"],
        early_stopping=_early(p["early_stopping"]),
        random_state=seed,
        class_weight="balanced" if balanced else None,
    )


def _dummy_reg(p, seed, balanced):
    from sklearn.dummy import DummyRegressor

    return DummyRegressor(strategy=p["strategy"])


def _ridge(p, seed, balanced):
    from sklearn.linear_model import Ridge

    return Ridge(alpha=p["alpha"])


def _forest_reg(p, seed, balanced):
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        max_features=_max_features(p["max_features"]),
        random_state=seed,
        n_jobs=1,
    )


def _hgb_reg(p, seed, balanced):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_leaf_nodes=p["max_leaf_nodes"],
        max_depth=p["max_depth"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2_regularization"],
        early_stopping=_early(p["early_stopping"]),
        random_state=seed,
    )


def _max_features(v: str) -> Any:
    return 1.0 if v == "all" else v


def _early(v: str) -> Any:
    return {"on": True, "off": False}.get(v, "auto")


_FOREST = (
    ParamSpec("n_estimators", int, 100, 1, 1000, help="Number of trees."),
    ParamSpec(
        "max_depth", int, None, 1, 100, nullable=True, help="Deepest tree; None = unlimited."
    ),
    ParamSpec(
        "min_samples_leaf", int, 5, 1, 10_000, help="Fewest rows in a leaf (larger = smoother)."
    ),
    ParamSpec(
        "max_features",
        str,
        "sqrt",
        choices=("sqrt", "log2", "all"),
        help="Features tried at each split.",
    ),
)
_HGB = (
    ParamSpec(
        "learning_rate", float, 0.1, 1e-4, 1.0, help="Shrinkage of each tree's contribution."
    ),
    ParamSpec(
        "max_iter", int, 200, 1, 5000, help="Most boosting rounds (early stopping may use fewer)."
    ),
    ParamSpec("max_leaf_nodes", int, 31, 2, 4096, help="Leaves per tree."),
    ParamSpec(
        "max_depth", int, None, 1, 100, nullable=True, help="Deepest tree; None = unlimited."
    ),
    ParamSpec("min_samples_leaf", int, 20, 1, 10_000, help="Fewest rows in a leaf."),
    ParamSpec("l2_regularization", float, 0.0, 0.0, 1e4, help="L2 penalty on leaf values."),
    ParamSpec(
        "early_stopping",
        str,
        "auto",
        choices=("auto", "on", "off"),
        help="Stop when a 10% validation slice of train stops improving (auto: above 10k rows).",
    ),
)
MODELS: dict[str, ModelSpec] = {
    m.kind: m
    for m in [
        ModelSpec(
            "dummy",
            "Dummy baseline (majority / prior)",
            "classification",
            (
                ParamSpec(
                    "strategy",
                    str,
                    "prior",
                    choices=("prior", "most_frequent", "stratified", "uniform"),
                    help="prior / most_frequent always predict the majority class.",
                ),
            ),
            _dummy_clf,
            baseline=True,
        ),
        ModelSpec(
            "logistic_regression",
            "Logistic regression",
            "classification",
            (
                ParamSpec("C", float, 1.0, 1e-6, 1e6, help="Inverse regularization strength."),
                ParamSpec("max_iter", int, 1000, 10, 100_000, help="Most solver iterations."),
            ),
            _logreg,
            class_weight=True,
        ),
        ModelSpec(
            "random_forest",
            "Random forest",
            "classification",
            _FOREST,
            _forest_clf,
            class_weight=True,
        ),
        ModelSpec(
            "hist_gradient_boosting",
            "Histogram gradient boosting",
            "classification",
            _HGB,
            _hgb_clf,
            class_weight=True,
        ),
        ModelSpec(
            "dummy_regressor",
            "Dummy baseline (mean / median)",
            "regression",
            (ParamSpec("strategy", str, "mean", choices=("mean", "median")),),
            _dummy_reg,
            baseline=True,
        ),
        ModelSpec(
            "ridge",
            "Ridge regression",
            "regression",
            (ParamSpec("alpha", float, 1.0, 0.0, 1e6, help="L2 regularization strength."),),
            _ridge,
        ),
        ModelSpec(
            "random_forest_regressor",
            "Random forest (regression)",
            "regression",
            _FOREST,
            _forest_reg,
        ),
        ModelSpec(
            "hist_gradient_boosting_regressor",
            "Histogram gradient boosting (regression)",
            "regression",
            _HGB,
            _hgb_reg,
        ),
    ]
}

PREPROCESSING_OPTIONS: dict[str, tuple[str, ...]] = {
    "numeric_impute": ("median", "mean", "none"),
    "scale": ("standard", "robust", "minmax", "none"),
    "categorical_impute": ("most_frequent", "constant"),
    "encode": ("onehot", "ordinal"),
    "imbalance": ("none", "class_weight", "oversample", "undersample"),
}
DEFAULT_PREPROCESSING = {k: v[0] for k, v in PREPROCESSING_OPTIONS.items()}


def models_for(task: str) -> list[ModelSpec]:
    return [m for m in MODELS.values() if m.task == task]


def _check_preprocessing(pre: dict[str, Any] | None) -> dict[str, str]:
    out = dict(DEFAULT_PREPROCESSING)
    for key, value in (pre or {}).items():
        if key not in PREPROCESSING_OPTIONS:
            raise TrainingError(
                f"Unknown preprocessing step {key!r}; use {', '.join(PREPROCESSING_OPTIONS)}."
            )
        if value not in PREPROCESSING_OPTIONS[key]:
            raise TrainingError(
                f"Preprocessing {key} = {value!r}: use one of {', '.join(PREPROCESSING_OPTIONS[key])}."
            )
        out[key] = value
    return out


def build_pipeline(
    spec: ModelSpec,
    params: dict[str, Any],
    pre: dict[str, str],
    numeric: list[str],
    categorical: list[str],
    seed: int,
) -> Any:
    """The full sklearn Pipeline: per-type imputation, scaling and encoding, then the model."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        MinMaxScaler,
        OneHotEncoder,
        OrdinalEncoder,
        RobustScaler,
        StandardScaler,
    )

    steps = []
    if numeric:
        num = []
        if pre["numeric_impute"] != "none":
            num.append(("impute", SimpleImputer(strategy=pre["numeric_impute"])))
        scaler = {"standard": StandardScaler, "robust": RobustScaler, "minmax": MinMaxScaler}.get(
            pre["scale"]
        )
        if scaler is not None:
            num.append(("scale", scaler()))
        steps.append(("numeric", Pipeline(num) if num else "passthrough", numeric))
    if categorical:
        imputer = (
            SimpleImputer(strategy="most_frequent")
            if pre["categorical_impute"] == "most_frequent"
            else SimpleImputer(strategy="constant", fill_value="(missing)")
        )
        encoder = (
            OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False)
            if pre["encode"] == "onehot"
            else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        )
        steps.append(
            ("categorical", Pipeline([("impute", imputer), ("encode", encoder)]), categorical)
        )
    prep = ColumnTransformer(steps, remainder="drop", verbose_feature_names_out=False)
    balanced = pre["imbalance"] == "class_weight" and spec.class_weight
    return Pipeline([("prep", prep), ("model", spec.build(params, seed, balanced))])


# ---------------------------------------------------------------------- data prep
def as_labels(values: pd.Series) -> pd.Series:
    """Class labels as text; integer-valued numbers lose their '.0' ("1", not "1.0").

    Examples
    --------
    >>> as_labels(pd.Series([1.0, 0.0, None])).tolist()
    ['1', '0', None]
    """
    s = values
    if pd.api.types.is_bool_dtype(s):
        out = s.map(lambda v: None if pd.isna(v) else str(bool(v)))
    elif pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        finite = num.dropna()
        if len(finite) and np.all(np.mod(finite.to_numpy(dtype=float), 1) == 0):
            out = num.map(lambda v: None if pd.isna(v) else str(int(v)))
        else:
            out = num.map(lambda v: None if pd.isna(v) else repr(float(v)))
    else:
        out = s.map(lambda v: None if pd.isna(v) else str(v))
    out = out.astype(object)
    return out.where(out.notna(), None)


def default_positive_class(
    classes: list[str], counts: pd.Series | None = None, preferred: str | None = None
) -> str | None:
    """The positive class of a binary target: the scoping's, else '1'/'True'/'yes', else the rarer."""
    if len(classes) != 2:
        return None
    if preferred is not None and str(preferred) in classes:
        return str(preferred)
    for c in ("1", "True", "true", "yes", "Yes", "positive"):
        if c in classes:
            return c
    if counts is not None:
        return str(counts.reindex(classes).fillna(0).idxmin())
    return max(classes)


def feature_types(frame: pd.DataFrame, features: list[str]) -> tuple[list[str], list[str]]:
    """Numeric and categorical features; date/time features are refused with a remedy."""
    numeric, categorical = [], []
    for col in features:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
            raise TrainingError(
                f"Feature {col!r} is a date/time. Leave it out, or derive numeric features "
                "from it (age in days, hour, weekday) in the data first."
            )
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            numeric.append(col)
        else:
            categorical.append(col)
    return numeric, categorical


def get_contract(store: Database, project_id: int) -> Any:
    """The project's scoping contract, or None when scoping is not set up (or not built yet)."""
    try:
        from core import scoping  # built by another stage; optional here
    except ImportError:
        return None
    try:
        return scoping.get_contract(store, project_id)
    except Exception:  # noqa: BLE001 - a half-written brief must not stop training
        return None


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("scikit-learn", "numpy", "pandas", "skops", "duckdb"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


class _PeakMemory:
    """Peak growth of the process's resident memory while a block runs (sampled every 20 ms).

    Process-wide on purpose: tracemalloc is global state that concurrent sessions would
    start and stop under each other.
    """

    def __enter__(self) -> _PeakMemory:  # noqa: PYI034
        import psutil

        self._proc = psutil.Process()
        self.start = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def mb(self) -> float:
        return round((self.peak - self.start) / 2**20, 1)


# ----------------------------------------------------------------------- training
@dataclass
class _Fitted:
    pipeline: Any
    metrics: pd.DataFrame
    predictions: pd.DataFrame
    positive_class: str | None
    task: str
    n_train: int
    notes: dict[str, Any] = field(default_factory=dict)


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


def _fit_and_score(
    store: Database,
    split_id: int,
    target: str,
    features: list[str],
    spec: ModelSpec,
    params: dict[str, Any],
    pre: dict[str, str],
    seed: int,
    max_ladder: float | None,
    positive_class: str | None,
    threshold_rule: Any,
    contract: Any,
    progress: Progress,
) -> _Fitted:
    from threadpoolctl import threadpool_limits

    if not features:
        raise TrainingError("Pick at least one feature.")
    if target in features:
        raise TrainingError(f"The target {target!r} cannot also be a feature.")
    split = splits_db.get_split(store, split_id)
    schema = dict(datasets_db.dataset_schema(store, split.dataset_id))
    missing = [c for c in [*features, target] if c not in schema]
    if missing:
        raise TrainingError(f"The split's dataset has no column {', '.join(map(repr, missing))}.")
    progress(0.1, "Loading the split")
    frame = splits_db.split_frame(store, split_id, columns=[*features, target], max_ladder=max_ladder)
    notes: dict[str, Any] = {}
    null_target = frame[target].isna()
    if null_target.any():
        notes["rows_without_target"] = int(null_target.sum())
        frame = frame[~null_target]
    train = frame[frame["__part"] == "train"]
    if train.empty:
        raise TrainingError("The split's train part is empty (or has no labelled rows).")
    empty = [c for c in features if train[c].isna().all()]
    if empty:
        raise TrainingError(
            f"Feature {', '.join(map(repr, empty))} is entirely null in the train part; leave it out."
        )
    numeric, categorical = feature_types(frame, features)
    task = spec.task
    if task == "classification":
        y_all = as_labels(frame[target])
        y_train = y_all[train.index]
        counts = y_train.value_counts()
        if len(counts) < 2:
            raise TrainingError(
                f"The train part holds only the class {counts.index[0]!r} of {target!r}; a "
                "classifier needs at least two. Choose another split (stratified) or target."
            )
        classes = sorted(counts.index)
        positive_class = default_positive_class(classes, counts, positive_class)
    else:
        if not pd.api.types.is_numeric_dtype(frame[target]):
            raise TrainingError(f"A regression target must be numeric; {target!r} is not.")
        y_all = frame[target].astype(float)
        y_train = y_all[train.index]
        positive_class = None
    X_train = train[features]
    if pre["imbalance"] in ("oversample", "undersample") and task == "classification":
        X_train, y_train = _resample(X_train, y_train, pre["imbalance"], seed)
    fit_kw = {}
    if pre["imbalance"] == "class_weight" and task == "classification" and not spec.class_weight:
        from sklearn.utils.class_weight import compute_sample_weight

        fit_kw["model__sample_weight"] = compute_sample_weight("balanced", y_train)
    pipeline = build_pipeline(spec, params, pre, numeric, categorical, seed)
    progress(0.3, f"Fitting {spec.label} on {len(X_train):,} rows")
    with threadpool_limits(limits=1):
        pipeline.fit(X_train, y_train.to_numpy(), **fit_kw)
        progress(0.7, "Scoring train, dev and test")
        parts = {p: frame[frame["__part"] == p] for p in PARTS if (frame["__part"] == p).any()}
        model_classes = [str(c) for c in getattr(pipeline, "classes_", [])]
        proba = (
            {p: pipeline.predict_proba(rows[features]) for p, rows in parts.items()}
            if task == "classification"
            else {}
        )
    threshold = None
    if task == "classification" and positive_class is not None:
        threshold = _threshold(
            threshold_rule, parts, proba, y_all, model_classes, positive_class, contract
        )
        notes["decision_threshold"] = threshold
    elif str(threshold_rule) != "0.5":
        raise TrainingError("A decision threshold applies to binary classification only.")
    with threadpool_limits(limits=1):
        metric_parts, pred_parts = [], []
        for part, rows in parts.items():
            X, y = rows[features], y_all[rows.index].to_numpy()
            if task == "classification":
                pp = proba[part]
                if threshold is not None:
                    score = pp[:, model_classes.index(positive_class)]
                    negative = next(c for c in model_classes if c != positive_class)
                    pred = np.where(score >= threshold, positive_class, negative).astype(object)
                else:
                    score = pp.max(axis=1)
                    pred = np.asarray(model_classes, dtype=object)[pp.argmax(axis=1)]
                m = M.classification_metrics(y, pred, pp, model_classes, positive_class)
                y_text = y
            else:
                pred = pipeline.predict(X).astype(float)
                m = M.regression_metrics(y, pred)
                score, y_text = (pred, np.array([repr(float(v)) for v in y], dtype=object))
                pred = np.array([repr(float(v)) for v in pred], dtype=object)
            metric_parts.append(m.assign(part=part))
            pred_parts.append(
                pd.DataFrame(
                    {
                        "row_id": rows[ROW_ID].to_numpy(),
                        "part": part,
                        "y_true": y_text,
                        "y_pred": pred,
                        "score": score,
                    }
                )
            )
    return _Fitted(
        pipeline,
        pd.concat(metric_parts, ignore_index=True),
        pd.concat(pred_parts, ignore_index=True),
        positive_class,
        task,
        len(train),
        notes,
    )


def _threshold(
    rule: Any,
    parts: dict[str, pd.DataFrame],
    proba: dict[str, np.ndarray],
    y_all: pd.Series,
    classes: list[str],
    positive: str,
    contract: Any,
) -> float:
    """Resolve the decision threshold on dev (train when there is no dev)."""
    part = "dev" if "dev" in parts else "train"
    if isinstance(rule, str) and rule not in M.THRESHOLD_RULES:
        try:
            rule = float(rule)
        except ValueError:
            raise TrainingError(
                f"Decision threshold {rule!r}: use a number between 0 and 1 or one of "
                f"{', '.join(M.THRESHOLD_RULES)}."
            ) from None
    primary = getattr(contract, "primary", None)
    try:
        return round(
            M.choose_threshold(
                rule,
                y_all[parts[part].index].to_numpy(),
                proba[part][:, classes.index(positive)],
                positive,
                target_metric=getattr(primary, "name", None),
                target=getattr(primary, "target", None),
                cost_fp=getattr(contract, "cost_fp", None),
                cost_fn=getattr(contract, "cost_fn", None),
            ),
            6,
        )
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"Decision threshold {rule!r}: {exc}") from None


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, StoreError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()[:2000]


def train_run(
    store: Database,
    project_id: int,
    split_id: int,
    *,
    target: str,
    features: list[str],
    model_kind: str,
    params: dict[str, Any] | None,
    preprocessing: dict[str, Any] | None,
    seed: int,
    actor: str,
    progress: Progress | None = None,
    parent_id: int | None = None,
    max_ladder: float | None = None,
    name: str | None = None,
    positive_class: str | None = None,
    save_model: bool = True,
) -> int:
    """Train and evaluate one model on a stored split; returns the run id.

    The run is stored as 'failed' with its error on any exception (bad input included);
    otherwise as 'done' with metrics per part, per-row predictions and, when
    ``save_model``, the fitted Pipeline (skops, hashed). Check ``training_db.get_run(store, id)['status']``.
    """
    progress = progress or _no_progress
    split = splits_db.get_split(store, split_id)
    dataset = datasets_db.get_dataset(store, split.dataset_id) if split else None
    spec = MODELS.get(model_kind)
    contract = get_contract(store, project_id)
    if positive_class is None and getattr(contract, "target_column", None) == target:
        positive_class = getattr(contract, "positive_class", None)
    run_id = training_db.insert_run(
        store, project_id,
        actor,
        parent_id=parent_id,
        name=name
        or f"{spec.label if spec else model_kind}" + (f" on {split.name}" if split else ""),
        model_kind=model_kind,
        params=params or {},
        preprocessing=preprocessing or {},
        split_id=split_id,
        dataset_id=split.dataset_id if split else None,
        dataset_hash=dataset.content_hash if dataset else None,
        split_hash=split.content_hash if split else None,
        target=target,
        task_type=spec.task if spec else None,
        features=list(features),
        library_versions=library_versions(),
        seed=int(seed),
        max_ladder=max_ladder,
        positive_class=None if positive_class is None else str(positive_class),
    )
    t0 = time.perf_counter()
    mem = _PeakMemory()
    artifact: tuple[str, str] | None = None
    try:
        with mem:
            if split is None or split.project_id != project_id:
                raise TrainingError("That split does not exist in this project (any more).")
            if spec is None:
                raise TrainingError(
                    f"Unknown model {model_kind!r}; use one of {', '.join(MODELS)}."
                )
            raw = dict(params or {})
            rule = raw.pop(THRESHOLD_PARAM, "0.5")
            raw.pop("threshold_rule", None)  # stored beside the resolved threshold; not a param
            coerced = spec.coerce(raw)
            pre = _check_preprocessing(preprocessing)
            fitted = _fit_and_score(
                store,
                split_id,
                target,
                list(features),
                spec,
                coerced,
                pre,
                int(seed),
                max_ladder,
                positive_class,
                rule,
                contract,
                progress,
            )
            if "decision_threshold" in fitted.notes:
                coerced[THRESHOLD_PARAM] = fitted.notes.pop("decision_threshold")
                coerced["threshold_rule"] = str(rule)
            if save_model:
                progress(0.85, "Saving the model")
                artifact = registry.save_artifact(fitted.pipeline, project_id, f"run_{run_id}")
        progress(0.95, "Storing metrics and predictions")
        training_db.finish_run(
            store, run_id,
            actor,
            metrics=fitted.metrics,
            predictions=fitted.predictions,
            updates={
                "params": coerced,
                "preprocessing": {**pre, **fitted.notes},
                "positive_class": fitted.positive_class,
                "task_type": fitted.task,
                "n_train": fitted.n_train,
                "duration_s": round(time.perf_counter() - t0, 3),
                "peak_mem_mb": mem.mb,
                "artifact_path": artifact[0] if artifact else None,
                "artifact_sha256": artifact[1] if artifact else None,
            },
        )
    except Exception as exc:  # noqa: BLE001 - any failure is the run's outcome, stored
        if artifact is not None:
            (registry.artifact_root() / artifact[0]).unlink(missing_ok=True)
        training_db.fail_run(
            store, run_id,
            actor,
            _error_text(exc),
            {
                "duration_s": round(time.perf_counter() - t0, 3),
                "peak_mem_mb": mem.mb if hasattr(mem, "peak") else None,
            },
        )
    progress(1.0, "Done")
    return run_id


# ------------------------------------------------------------------ run summaries
@dataclass(frozen=True)
class Run:
    """A stored run (the ``runs`` row, JSON columns decoded)."""

    id: int
    project_id: int
    parent_id: int | None
    name: str
    run_type: str
    status: str
    error: str | None
    model_kind: str
    params: dict
    preprocessing: dict
    split_id: int | None
    dataset_id: int | None
    dataset_hash: str | None
    split_hash: str | None
    target: str | None
    positive_class: str | None
    task_type: str | None
    features: list
    library_versions: dict
    seed: int | None
    max_ladder: float | None
    n_train: int | None
    duration_s: float | None
    peak_mem_mb: float | None
    artifact_path: str | None
    artifact_sha256: str | None
    created_at: Any
    created_by: str

    @property
    def label(self) -> str:
        return f"#{self.id} {self.name}"


def get_run(store: Database, run_id: int) -> Run:
    d = training_db.get_run(store, run_id)
    if d is None:
        raise TrainingError("That run does not exist (any more).")
    return Run(**d)


def list_runs(store: Database, project_id: int, **filters: Any) -> list[Run]:
    return [Run(**d) for d in training_db.list_runs(store, project_id, **filters)]


def overall_metrics(store: Database, run_ids: list[int], part: str) -> pd.DataFrame:
    """One row per run, one column per overall metric of ``part``."""
    long = training_db.run_metrics(store, run_ids, part)
    long = long[long["class"].isna()]
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="run_id"))
    return long.pivot_table(index="run_id", columns="metric", values="value", aggfunc="first")


def runs_table(
    store: Database, project_id: int, part: str = "dev", include_children: bool = True
) -> pd.DataFrame:
    """The run tracker's table: one row per run with its headline metrics on ``part``."""
    runs = list_runs(store, project_id, top_level=not include_children)
    if not runs:
        return pd.DataFrame()
    versions = {
        v.run_id: v for v in registry.list_versions(store, project_id) if v.status == "active"
    }
    splits = {s.id: s.name for s in splits_db.list_splits(store, project_id)}
    wide = overall_metrics(store, [r.id for r in runs], part)
    rows = []
    for r in runs:
        v = versions.get(r.id)
        row = {
            "run": r.id,
            "name": r.name,
            "type": r.run_type,
            "status": r.status,
            "model": r.model_kind,
            "parent": r.parent_id,
            "split": splits.get(r.split_id, r.split_id),
            "target": r.target,
            "train rows": r.n_train,
            "registered": f"v{v.version}" + (f" ({v.alias})" if v.alias else "") if v else "",
        }
        for metric in (*M.CLASSIFICATION_HEADLINE, *M.REGRESSION_HEADLINE):
            row[metric] = (
                wide.at[r.id, metric] if r.id in wide.index and metric in wide.columns else None
            )
        row.update(
            {
                "params": json.dumps(r.params, default=str),
                "seed": r.seed,
                "data version": f"{r.dataset_hash}/{r.split_hash}",
                "duration s": r.duration_s,
                "peak MB": r.peak_mem_mb,
                "by": r.created_by,
                "created": r.created_at,
                "error": r.error or "",
            }
        )
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.dropna(axis=1, how="all")


THRESHOLD_FREE = frozenset({"roc_auc", "pr_auc", "log_loss", "brier", "mae", "rmse", "r2"})


def default_metric(task: str | None, n_classes: int = 2, contract: Any = None) -> str:
    """The metric to rank runs by: the scoping primary metric when it does not depend on the
    decision threshold (a threshold tuned to meet a recall target makes every trial's recall
    equal), else ROC AUC (binary), log loss (multiclass) or RMSE (regression).

    Examples
    --------
    >>> default_metric("classification"), default_metric("regression")
    ('roc_auc', 'rmse')
    """
    primary = getattr(contract, "primary", None)
    name = getattr(primary, "name", None)
    ok = M.REGRESSION_HEADLINE if task == "regression" else M.CLASSIFICATION_HEADLINE
    if name in ok and name in THRESHOLD_FREE:
        return name
    if task == "regression":
        return "rmse"
    return "roc_auc" if n_classes == 2 else "log_loss"


def curve_metric(task: str | None, contract: Any = None) -> str:
    """The learning curve's metric: the one human-level performance is measured in, if any."""
    hlp = getattr(contract, "hlp", None)
    ok = M.REGRESSION_HEADLINE if task == "regression" else M.CLASSIFICATION_HEADLINE
    if hlp is not None and getattr(hlp, "metric", None) in ok:
        return hlp.metric
    return default_metric(task, contract=contract)


def contract_targets(contract: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    if contract is None:
        return out
    primary = getattr(contract, "primary", None)
    if primary is not None and getattr(primary, "target", None) is not None:
        out[primary.name] = float(primary.target)
    for floor in getattr(contract, "secondary", None) or []:
        if getattr(floor, "floor", None) is not None:
            out[floor.name] = float(floor.floor)
    return out


def _contract_baselines(contract: Any) -> dict[str, dict[str, float]]:
    """Baseline values by kind and metric (e.g. {'hlp': {'recall': 0.81}})."""
    out: dict[str, dict[str, float]] = {}
    for kind, b in (getattr(contract, "baselines", None) or {}).items():
        if getattr(b, "value", None) is not None and getattr(b, "metric", None):
            out.setdefault(str(kind), {})[b.metric] = float(b.value)
    return out


def hlp_value(contract: Any, metric: str) -> float | None:
    """Human-level performance on ``metric`` from the scoping baselines, if recorded."""
    for kind, values in _contract_baselines(contract).items():
        if ("hlp" in kind.lower() or "human" in kind.lower()) and metric in values:
            return values[metric]
    return None


def _reference_run(store: Database, run: Run, kinds: tuple[str, ...]) -> Run | None:
    for r in list_runs(store, run.project_id, status="done", split_id=run.split_id):
        if (
            r.model_kind in kinds
            and r.target == run.target
            and r.id != run.id
            and r.max_ladder is None
        ):
            return r
    return None


def metric_comparison(
    store: Database, run_id: int, part: str = "dev", contract: Any = None
) -> pd.DataFrame:
    """Each overall metric of a run beside the baselines, the champion and the scoping target.

    Columns: metric, this run, dummy baseline, champion, one per scoping baseline kind,
    target, verdict ("pass", "fail" or "no target set"), and whether it beats the dummy.
    The business cost per 1,000 cases is added when the scoping sets the costs.
    """
    run = get_run(store, run_id)
    dummy = _reference_run(store, run, tuple(m.kind for m in MODELS.values() if m.baseline))
    champion = registry.get_champion(store, run.project_id)
    champ_run = get_run(store, champion.run_id) if champion else None
    if champ_run is not None and (
        champ_run.split_id != run.split_id or champ_run.target != run.target
    ):
        champ_run = None  # another split's numbers are not comparable row for row
    ids = [r.id for r in (run, dummy, champ_run) if r is not None]
    wide = overall_metrics(store, ids, part)
    cost_fp = getattr(contract, "cost_fp", None)
    cost_fn = getattr(contract, "cost_fn", None)
    if cost_fp is not None and cost_fn is not None and {"fp", "fn", "n"} <= set(wide.columns):
        wide["cost_per_1000"] = [
            M.cost_per_1000(r["fp"], r["fn"], r["n"], float(cost_fp), float(cost_fn))
            for _, r in wide.iterrows()
        ]
    targets = contract_targets(contract)
    baselines = _contract_baselines(contract)
    headline = M.REGRESSION_HEADLINE if run.task_type == "regression" else M.CLASSIFICATION_HEADLINE
    rows = []
    for metric in [*headline, "cost_per_1000"]:
        if (
            run.id not in wide.index
            or metric not in wide.columns
            or pd.isna(wide.at[run.id, metric])
        ):
            continue
        value = float(wide.at[run.id, metric])

        def at(r: Run | None, metric: str = metric) -> float | None:
            if r is None or r.id not in wide.index or pd.isna(wide.at[r.id, metric]):
                return None
            return float(wide.at[r.id, metric])

        target = targets.get(metric)
        verdict = M.meets(metric, value, target)
        row = {
            "metric": metric,
            "label": M.label(metric),
            "this run": value,
            "dummy baseline": at(dummy),
            "champion": at(champ_run),
        }
        for kind, values in baselines.items():
            row[f"baseline: {kind}"] = values.get(metric)
        d = at(dummy)
        row.update(
            {
                "target": target,
                "verdict": "no target set" if verdict is None else ("pass" if verdict else "fail"),
                "beats dummy": None if d is None else M.better(metric, value, d),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def per_class_metrics(store: Database, run_id: int, part: str = "dev") -> pd.DataFrame:
    """Precision, recall, F1 and support per class of a run's part (one row per class)."""
    long = training_db.run_metrics(store, [run_id], part)
    long = long[long["class"].notna()]
    if long.empty:
        return pd.DataFrame()
    wide = long.pivot_table(index="class", columns="metric", values="value", aggfunc="first")
    cols = [c for c in ("precision", "recall", "f1", "support") if c in wide.columns]
    return wide[cols].reset_index()


def runs_param_frame(store: Database, project_id: int, part: str = "dev") -> pd.DataFrame:
    """Finished training runs with each hyperparameter as a column and overall metrics of ``part``."""
    runs = [r for r in list_runs(store, project_id, status="done") if r.run_type == "train"]
    if not runs:
        return pd.DataFrame()
    wide = overall_metrics(store, [r.id for r in runs], part)
    rows = []
    for r in runs:
        row = {
            "run": r.id,
            "name": r.name,
            "model": r.model_kind,
            "seed": r.seed,
            "train rows": r.n_train,
            **{k: v for k, v in r.params.items() if isinstance(v, int | float | str | None)},
        }
        if r.id in wide.index:
            row.update(wide.loc[r.id].dropna().to_dict())
        rows.append(row)
    return pd.DataFrame(rows)


def run_roc(store: Database, run_id: int, part: str) -> tuple[pd.DataFrame, float | None]:
    """ROC points of a binary run's part from its stored predictions, with the AUC."""
    run = get_run(store, run_id)
    if run.task_type != "classification" or run.positive_class is None:
        return pd.DataFrame(columns=["fpr", "tpr", "threshold"]), None
    preds = training_db.run_predictions(store, run_id, [part])
    points = M.roc_points(preds["y_true"], preds["score"], run.positive_class)
    wide = overall_metrics(store, [run_id], part)
    auc = float(wide.at[run_id, "roc_auc"]) if "roc_auc" in wide.columns else None
    return points, auc


def infer_task(store: Database, dataset_id: int, target: str) -> str:
    """'regression' for a numeric target with many distinct values, else 'classification'."""
    frame = datasets_db.dataset_frame(store, dataset_id, columns=[target], limit=50_000)
    s = frame[target].dropna()
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if numeric and (s.nunique() > 20 or not np.all(np.mod(s.to_numpy(dtype=float), 1) == 0)):
        return "regression"
    return "classification"


def default_features(
    store: Database, dataset_id: int, target: str | None, contract: Any = None
) -> list[str]:
    """The scoping's feature list when it fits the dataset, else every usable column.

    Usable: not the target, not a date/time, not an identifier-like text column (most
    values distinct).
    """
    schema = datasets_db.dataset_schema(store, dataset_id)
    names = [c for c, _ in schema]
    wanted = [
        c for c in (getattr(contract, "feature_columns", None) or []) if c in names and c != target
    ]
    if wanted:
        return wanted
    sample = datasets_db.dataset_frame(store, dataset_id, limit=5000)
    out = []
    for col, dtype in schema:
        if col == target or "TIMESTAMP" in dtype or "DATE" in dtype or "TIME" in dtype:
            continue
        s = sample[col]
        if not pd.api.types.is_numeric_dtype(s) and s.nunique() > 0.5 * max(len(s), 1):
            continue
        out.append(col)
    return out


# ---------------------------------------------------------------- learning curves
def split_ladder(store: Database, split_id: int) -> list[float]:
    """The split's learning-ladder shares (e.g. [0.1, 0.25, 0.5, 1.0]) from its train rows."""
    frame = splits_db.split_frame(store, split_id, columns=[], parts=["train"])
    values = sorted(v for v in frame["__ladder"].dropna().unique())
    return [float(v) for v in values] or [1.0]


def _container(
    store: Database,
    project_id: int,
    run_type: str,
    name: str,
    split_id: int,
    target: str,
    features: list[str],
    model_kind: str,
    params: dict,
    preprocessing: dict | None,
    seed: int,
    actor: str,
) -> int:
    split = splits_db.get_split(store, split_id)
    dataset = datasets_db.get_dataset(store, split.dataset_id) if split else None
    spec = MODELS.get(model_kind)
    return training_db.insert_run(
        store, project_id,
        actor,
        name=name,
        run_type=run_type,
        model_kind=model_kind,
        params=params,
        preprocessing=preprocessing or {},
        split_id=split_id,
        dataset_id=split.dataset_id if split else None,
        dataset_hash=dataset.content_hash if dataset else None,
        split_hash=split.content_hash if split else None,
        target=target,
        task_type=spec.task if spec else None,
        features=list(features),
        library_versions=library_versions(),
        seed=int(seed),
    )


def _close_container(
    store: Database, parent_id: int, child_ids: list[int], actor: str, t0: float, params: dict
) -> None:
    children = [get_run(store, c) for c in child_ids]
    done = [c for c in children if c.status == "done"]
    updates = {"duration_s": round(time.perf_counter() - t0, 3), "params": params}
    if done:
        training_db.finish_run(
            store, parent_id,
            actor,
            metrics=pd.DataFrame(columns=["part", "metric", "class", "value"]),
            predictions=None,
            updates=updates,
        )
    else:
        errors = "; ".join(sorted({c.error or "" for c in children}))[:1500]
        training_db.fail_run(store, parent_id, actor, f"Every trial failed: {errors}", updates)


def learning_curve(
    store: Database,
    project_id: int,
    split_id: int,
    *,
    target: str,
    features: list[str],
    model_kind: str,
    params: dict[str, Any] | None,
    preprocessing: dict[str, Any] | None,
    seed: int,
    actor: str,
    progress: Progress | None = None,
    positive_class: str | None = None,
) -> int:
    """Train one child run per rung of the split's ladder (10% … 100% of train).

    Returns the parent run id; read the points with ``learning_curve_frame``. Dev and test
    stay the same at every rung, so the curve shows what more data buys.
    """
    progress = progress or _no_progress
    t0 = time.perf_counter()
    rungs = split_ladder(store, split_id) if splits_db.get_split(store, split_id) else [1.0]
    parent = _container(
        store,
        project_id,
        "learning_curve",
        f"learning curve: {model_kind}",
        split_id,
        target,
        features,
        model_kind,
        params or {},
        preprocessing,
        seed,
        actor,
    )
    children = []
    for i, share in enumerate(rungs):
        progress(i / len(rungs), f"Rung {i + 1} of {len(rungs)}: {share:.0%} of train")
        children.append(
            train_run(
                store,
                project_id,
                split_id,
                target=target,
                features=features,
                model_kind=model_kind,
                params=params,
                preprocessing=preprocessing,
                seed=seed,
                actor=actor,
                parent_id=parent,
                max_ladder=share,
                name=f"{model_kind} on {share:.0%} of train",
                save_model=False,
                positive_class=positive_class,
            )
        )
    _close_container(store, parent, children, actor, t0, {**(params or {}), "ladder": rungs})
    progress(1.0, "Learning curve done")
    return parent


def learning_curve_frame(store: Database, parent_id: int, metric: str) -> pd.DataFrame:
    """Points of a learning curve: share, train rows, part (train/dev), metric value."""
    children = [
        r
        for r in list_runs(store, get_run(store, parent_id).project_id, parent_id=parent_id)
        if r.status == "done"
    ]
    if not children:
        return pd.DataFrame(columns=["share", "train_rows", "part", "value"])
    long = training_db.run_metrics(store, [r.id for r in children])
    long = long[
        (long["metric"] == metric) & long["class"].isna() & long["part"].isin(["train", "dev"])
    ]
    info = pd.DataFrame(
        {
            "run_id": [r.id for r in children],
            "share": [r.max_ladder for r in children],
            "train_rows": [r.n_train for r in children],
        }
    )
    out = long.merge(info, on="run_id")[["share", "train_rows", "part", "value"]]
    return out.sort_values(["part", "share"]).reset_index(drop=True)


# --------------------------------------------------------------------- search
MAX_TRIALS = 30


def parse_space(model_kind: str, texts: dict[str, str]) -> dict[str, list[Any]]:
    """Comma-separated candidate values per hyperparameter, each validated.

    Examples
    --------
    >>> parse_space("hist_gradient_boosting", {"learning_rate": "0.05, 0.1", "max_depth": "3, None"})
    {'learning_rate': [0.05, 0.1], 'max_depth': [3, None]}
    """
    spec = MODELS.get(model_kind)
    if spec is None:
        raise TrainingError(f"Unknown model {model_kind!r}.")
    by_name = {p.name: p for p in spec.params}
    space: dict[str, list[Any]] = {}
    for name, text in texts.items():
        values = [v.strip() for v in str(text).split(",") if v.strip()]
        if not values:
            continue
        if name not in by_name:
            raise TrainingError(f"{spec.label} has no hyperparameter {name!r}.")
        space[name] = list(dict.fromkeys(by_name[name].coerce(v) for v in values))
    return space


def search_trials(
    space: dict[str, list[Any]], method: str, n_trials: int, seed: int
) -> list[dict[str, Any]]:
    """The parameter sets a grid or random search will try (random: distinct grid points).

    Examples
    --------
    >>> search_trials({"a": [1, 2], "b": ["x", "y"]}, "grid", 10, 0)
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    >>> len(search_trials({"a": [1, 2], "b": ["x", "y"]}, "random", 3, 0))
    3
    """
    if not space:
        raise TrainingError("Give at least one hyperparameter with candidate values.")
    names = list(space)
    grid = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*space.values())]
    if method == "grid":
        if len(grid) > min(n_trials, MAX_TRIALS):
            raise TrainingError(
                f"The grid has {len(grid)} combinations, more than the {min(n_trials, MAX_TRIALS)} "
                "trials allowed: drop some values or use a random search."
            )
        return grid
    if method != "random":
        raise TrainingError("The search method is 'grid' or 'random'.")
    rng = np.random.default_rng(seed)
    n = min(n_trials, MAX_TRIALS, len(grid))
    return [grid[i] for i in sorted(rng.choice(len(grid), size=n, replace=False))]


def hyperparameter_search(
    store: Database,
    project_id: int,
    split_id: int,
    *,
    target: str,
    features: list[str],
    model_kind: str,
    space: dict[str, list[Any]],
    base_params: dict[str, Any] | None = None,
    preprocessing: dict[str, Any] | None = None,
    seed: int = 0,
    actor: str,
    method: str = "grid",
    n_trials: int = 8,
    metric: str | None = None,
    progress: Progress | None = None,
    positive_class: str | None = None,
) -> int:
    """A grid or random search, each trial a tracked child run; returns the parent run id.

    The parent's params record the space, the metric and the best trial (by dev ``metric``).
    Invalid spaces raise TrainingError before anything is stored.
    """
    progress = progress or _no_progress
    trials = search_trials(space, method, n_trials, seed)
    t0 = time.perf_counter()
    parent = _container(
        store,
        project_id,
        "search",
        f"{method} search: {model_kind} ({len(trials)} trials)",
        split_id,
        target,
        features,
        model_kind,
        {"method": method, "space": space},
        preprocessing,
        seed,
        actor,
    )
    children = []
    for i, combo in enumerate(trials):
        progress(i / len(trials), f"Trial {i + 1} of {len(trials)}: {combo}")
        desc = ", ".join(f"{k}={v}" for k, v in combo.items())
        children.append(
            train_run(
                store,
                project_id,
                split_id,
                target=target,
                features=features,
                model_kind=model_kind,
                params={**(base_params or {}), **combo},
                preprocessing=preprocessing,
                seed=seed,
                actor=actor,
                parent_id=parent,
                name=f"trial {i + 1}: {desc}",
                positive_class=positive_class,
            )
        )
    done = [get_run(store, c) for c in children]
    done = [r for r in done if r.status == "done"]
    metric = metric or default_metric(
        done[0].task_type if done else None, contract=get_contract(store, project_id)
    )
    wide = overall_metrics(store, [r.id for r in done], "dev")
    best = None
    if metric in wide.columns:
        scores = wide[metric].dropna()
        if len(scores):
            best = int(scores.idxmin() if not M.higher_is_better(metric) else scores.idxmax())
    _close_container(
        store,
        parent,
        children,
        actor,
        t0,
        {
            "method": method,
            "space": space,
            "metric": metric,
            "best_run_id": best,
            "n_trials": len(trials),
        },
    )
    progress(1.0, "Search done")
    return parent


def search_frame(store: Database, parent_id: int) -> pd.DataFrame:
    """The trials of a search: one row per child with its params and dev metrics."""
    parent = get_run(store, parent_id)
    children = list_runs(store, parent.project_id, parent_id=parent_id)
    if not children:
        return pd.DataFrame()
    space = list((parent.params.get("space") or {}).keys())
    wide = overall_metrics(store, [c.id for c in children], "dev")
    rows = []
    for c in children:
        row = {"run": c.id, "status": c.status, **{k: c.params.get(k) for k in space}}
        if c.id in wide.index:
            row.update(wide.loc[c.id].to_dict())
        rows.append(row)
    return pd.DataFrame(rows).sort_values("run").reset_index(drop=True)


# ------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class RunComparison:
    """Side-by-side of runs: settings (params, data version, ...) and metrics, with differences."""

    settings: pd.DataFrame
    metrics: pd.DataFrame


def compare_runs(store: Database, run_ids: list[int], part: str = "dev") -> RunComparison:
    """Diff runs: every param, preprocessing step, data version and overall metric of ``part``."""
    runs = [get_run(store, r) for r in run_ids]
    if len(runs) < 2:
        raise TrainingError("Pick at least two runs to compare.")
    cols = [r.label for r in runs]
    keys: dict[str, list[Any]] = {}

    def put(key: str, i: int, value: Any) -> None:
        keys.setdefault(key, [None] * len(runs))[i] = value

    for i, r in enumerate(runs):
        for k in (
            "model_kind",
            "status",
            "target",
            "positive_class",
            "seed",
            "max_ladder",
            "n_train",
            "dataset_hash",
            "split_hash",
            "split_id",
            "duration_s",
            "peak_mem_mb",
        ):
            put(k, i, getattr(r, k))
        put("features", i, ", ".join(r.features))
        for k, v in r.params.items():
            put(f"param: {k}", i, json.dumps(v, default=str) if isinstance(v, dict | list) else v)
        for k, v in r.preprocessing.items():
            put(f"preprocessing: {k}", i, v)
        for k, v in r.library_versions.items():
            put(f"version: {k}", i, v)
    settings = pd.DataFrame([[k, *v] for k, v in keys.items()], columns=["setting", *cols])
    settings[cols] = settings[cols].map(
        lambda v: "" if v is None else str(v)
    )  # one type for display
    settings["differs"] = settings[cols].nunique(axis=1) > 1
    wide = overall_metrics(store, [r.id for r in runs], part)
    mrows = []
    for metric in wide.columns:
        values = [wide.at[r.id, metric] if r.id in wide.index else None for r in runs]
        mrows.append([metric, M.label(metric), *values])
    metrics = pd.DataFrame(mrows, columns=["metric", "label", *cols])
    if len(runs) == 2 and not metrics.empty:
        metrics["difference"] = metrics[cols[1]] - metrics[cols[0]]
    return RunComparison(settings, metrics)


# ---------------------------------------------------------------------- export
def export_run(store: Database, run_id: int) -> bytes:
    """A run as a zip in MLflow's file-store layout: params/, metrics/, tags/ and meta.json.

    Each ``metrics/<part>.<metric>[.<class>]`` file holds MLflow's "timestamp value step"
    line, each ``params/<name>`` the value as text; tags carry the data version, the
    features and the library versions, so the run can be imported into MLflow as is.
    """
    run = get_run(store, run_id)
    ts = int(pd.Timestamp(run.created_at).timestamp() * 1000)
    root = f"run_{run.id}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in run.params.items():
            z.writestr(
                f"{root}/params/{k}", json.dumps(v) if isinstance(v, dict | list) else str(v)
            )
        for k, v in run.preprocessing.items():
            z.writestr(f"{root}/params/preprocessing.{k}", str(v))
        z.writestr(f"{root}/params/seed", str(run.seed))
        for _, m in training_db.run_metrics(store, [run.id]).iterrows():
            name = f"{m['part']}.{m['metric']}" + (f".{m['class']}" if pd.notna(m["class"]) else "")
            z.writestr(f"{root}/metrics/{_safe(name)}", f"{ts} {m['value']!r} 0\n")
        tags = {
            "mlflow.runName": run.name,
            "mlflow.user": run.created_by,
            "mlflow.source.name": "ML Production Workbench",
            "mlflow.parentRunId": run.parent_id,
            "model_kind": run.model_kind,
            "run_type": run.run_type,
            "status": run.status,
            "target": run.target,
            "positive_class": run.positive_class,
            "task_type": run.task_type,
            "dataset_id": run.dataset_id,
            "dataset_hash": run.dataset_hash,
            "split_id": run.split_id,
            "split_hash": run.split_hash,
            "features": json.dumps(run.features),
            "library_versions": json.dumps(run.library_versions),
            "artifact_sha256": run.artifact_sha256,
            "error": run.error,
        }
        for k, v in tags.items():
            if v is not None:
                z.writestr(f"{root}/tags/{k}", str(v))
        meta = {
            "run_id": str(run.id),
            "run_name": run.name,
            "status": run.status.upper(),
            "start_time": ts,
            "end_time": ts + int((run.duration_s or 0) * 1000),
            "user_id": run.created_by,
            "lifecycle_stage": "active",
        }
        z.writestr(f"{root}/meta.json", json.dumps(meta, indent=2, default=str))
    return buf.getvalue()


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)
