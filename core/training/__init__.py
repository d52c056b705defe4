"""Training: runs on a stored split, tracked like MLflow (params, data version, metrics, model),
learning curves, hyperparameter searches, comparison and the model registry.

Modules
-------
* ``spec``      ``TrainSpec`` (what a run trains), ``TrainingError``, the threshold param
* ``models``    the model catalogue (``MODELS``, hyperparameters) and the sklearn Pipeline
* ``inputs``    labels as text, the positive class, feature types, default task and features
* ``fit``       fit one model on a split and score each part (threshold, predictions)
* ``runs``      ``train_run``: record, fit, finish or fail; read runs back; trial parents
* ``reports``   the run tracker's tables, a run's report card (the mean baseline and the
  residuals of a regression run), run diffs, the runs to compare, contract targets
* ``curves``    learning curves over the split's ladder
* ``search``    grid and random hyperparameter searches
* ``export``    a run as a zip in MLflow's file-store layout
* ``metrics``   the metrics a run stores per part, and how a value is judged
* ``registry``  saved models (skops + SHA-256), versions, champion and challenger

DESIGN
------
* A run = a ``TrainSpec``: split + target + features + preprocessing + model kind with
  hyperparameters + decision threshold + seed. ``train_run`` records it as 'running'
  first, then as 'done' with its metrics per part, per-row predictions and the saved
  model, or as 'failed' with the error. Bad input (one class in train, an all-null
  feature, a wrong hyperparameter) fails the run, never the caller, and writes nothing
  else.
* The saved model is a whole ``Pipeline`` (imputation, scaling, encoding, model) taking the
  raw feature columns as stored, so later stages call ``model.predict_proba(frame[features])``.
* Class labels are strings everywhere (``"1"``, not ``1``): the predictions table stores
  them as text, and the positive class is compared as text.
* Learning curves and hyperparameter searches are parent runs (``run_type`` 'learning_curve'
  or 'search') whose trials are ordinary child runs (``parent_id``).
* Fitting is single-threaded (``threadpool_limits(1)``): OpenMP spin-waits collapse when
  a few sessions share two cores (a 0.1 s fit took 13 s with two threads under load).
"""

from core.training import metrics, registry
from core.training.curves import learning_curve, learning_curve_frame
from core.training.export import export_run
from core.training.inputs import default_features, infer_task
from core.training.models import (
    DEFAULT_PREPROCESSING,
    MODELS,
    PREPROCESSING_OPTIONS,
    ModelSpec,
    ParamSpec,
    models_for,
)
from core.training.reports import (
    RunComparison,
    comparable_runs,
    compare_runs,
    contract_targets,
    curve_metric,
    default_metric,
    hlp_value,
    mean_baseline_metrics,
    metric_comparison,
    per_class_metrics,
    run_calibration,
    run_confusion,
    run_residuals,
    run_roc,
    runs_param_frame,
    runs_table,
    varying_params,
)
from core.training.runs import (
    Run,
    get_run,
    list_runs,
    overall_metrics,
    train_run,
)
from core.training.search import (
    MAX_TRIALS,
    hyperparameter_search,
    parse_space,
    search_frame,
    search_trials,
)
from core.training.spec import THRESHOLD_PARAM, TrainingError, TrainSpec

__all__ = [
    "DEFAULT_PREPROCESSING",
    "MAX_TRIALS",
    "MODELS",
    "PREPROCESSING_OPTIONS",
    "THRESHOLD_PARAM",
    "ModelSpec",
    "ParamSpec",
    "Run",
    "RunComparison",
    "TrainSpec",
    "TrainingError",
    "comparable_runs",
    "compare_runs",
    "contract_targets",
    "curve_metric",
    "default_features",
    "default_metric",
    "export_run",
    "get_run",
    "hlp_value",
    "hyperparameter_search",
    "infer_task",
    "learning_curve",
    "learning_curve_frame",
    "list_runs",
    "mean_baseline_metrics",
    "metric_comparison",
    "metrics",
    "models_for",
    "overall_metrics",
    "parse_space",
    "per_class_metrics",
    "registry",
    "run_calibration",
    "run_confusion",
    "run_residuals",
    "run_roc",
    "runs_param_frame",
    "runs_table",
    "search_frame",
    "search_trials",
    "train_run",
    "varying_params",
]
