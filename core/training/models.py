"""The models a run can train and the preprocessing in front of them.

DESIGN
------
* ``MODELS`` is the catalogue: each ``ModelSpec`` has its task, its hyperparameters as
  ``ParamSpec`` (type, default, range or choices, whether None is allowed) and a builder
  taking (params, seed). A hyperparameter is validated by its ``ParamSpec``, so a wrong
  value fails the run with a message naming the allowed values.
* Class weighting ("imbalance": "class_weight") is given to every classifier as balanced
  sample weights at fit time (``fit``), never as the estimator's ``class_weight``:
  scikit-learn's forest fails on "balanced" when the labels are digit strings ("0", "1",
  as the workbench stores them): "The classes, [0, 1], are not in class_weight". The
  weights are the same, n / (n_classes * count of the row's class).
* The saved model is a whole ``Pipeline`` (imputation, scaling, encoding, model) taking the
  raw feature columns as stored, so later stages call ``model.predict_proba(frame[features])``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.training.spec import TrainingError


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
    """A model the workbench can train: its task, hyperparameters and estimator builder."""

    kind: str
    label: str
    task: str  # "classification" or "regression"
    params: tuple[ParamSpec, ...]
    build: Callable[[dict[str, Any], int], Any]  # (params, seed) -> estimator
    baseline: bool = False

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


def _dummy_clf(p: dict[str, Any], seed: int) -> Any:
    from sklearn.dummy import DummyClassifier

    return DummyClassifier(strategy=p["strategy"], random_state=seed)


def _logreg(p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=p["C"], max_iter=p["max_iter"], random_state=seed)


def _forest(p: dict[str, Any], seed: int) -> dict[str, Any]:
    """The keyword arguments a random forest classifier and regressor share."""
    return {
        "n_estimators": p["n_estimators"],
        "max_depth": p["max_depth"],
        "min_samples_leaf": p["min_samples_leaf"],
        "max_features": 1.0 if p["max_features"] == "all" else p["max_features"],
        "random_state": seed,
        "n_jobs": 1,
    }


def _hgb(p: dict[str, Any], seed: int) -> dict[str, Any]:
    """The keyword arguments a gradient boosting classifier and regressor share."""
    return {
        "learning_rate": p["learning_rate"],
        "max_iter": p["max_iter"],
        "max_leaf_nodes": p["max_leaf_nodes"],
        "max_depth": p["max_depth"],
        "min_samples_leaf": p["min_samples_leaf"],
        "l2_regularization": p["l2_regularization"],
        "early_stopping": {"on": True, "off": False}.get(p["early_stopping"], "auto"),
        "random_state": seed,
    }


def _forest_clf(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**_forest(p, seed))


def _hgb_clf(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**_hgb(p, seed))


def _dummy_reg(p: dict[str, Any], seed: int) -> Any:
    from sklearn.dummy import DummyRegressor

    return DummyRegressor(strategy=p["strategy"])


def _ridge(p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import Ridge

    return Ridge(alpha=p["alpha"])


def _forest_reg(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(**_forest(p, seed))


def _hgb_reg(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(**_hgb(p, seed))


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
        ),
        ModelSpec(
            "random_forest",
            "Random forest",
            "classification",
            _FOREST,
            _forest_clf,
        ),
        ModelSpec(
            "hist_gradient_boosting",
            "Histogram gradient boosting",
            "classification",
            _HGB,
            _hgb_clf,
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
    """The models of a task ("classification" or "regression"), in catalogue order."""
    return [m for m in MODELS.values() if m.task == task]


def check_preprocessing(pre: dict[str, Any] | None) -> dict[str, str]:
    """The preprocessing choices over the defaults, each validated."""
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
    return Pipeline([("prep", prep), ("model", spec.build(params, seed))])
