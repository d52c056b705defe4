"""How runs are judged and shown: the tracker's tables, a run's report card against the
baselines, the champion and the scoping targets, and a side-by-side diff of runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.training import metrics as M
from core.training import registry
from core.training.models import MODELS
from core.training.runs import Run, get_run, list_runs, overall_metrics
from core.training.spec import TrainingError

if TYPE_CHECKING:
    from core.scoping import Contract

HEADLINE = (*M.CLASSIFICATION_HEADLINE, *M.REGRESSION_HEADLINE)
THRESHOLD_FREE = frozenset({"roc_auc", "pr_auc", "log_loss", "brier", "mae", "rmse", "r2", "mape"})


# ------------------------------------------------------------------ the contract
def default_metric(task: str | None, n_classes: int = 2, contract: Contract | None = None) -> str:
    """The metric to rank runs by: the scoping primary metric when it does not depend on the
    decision threshold (a threshold tuned to meet a recall target makes every trial's recall
    equal), else ROC AUC (binary), log loss (multiclass) or RMSE (regression).

    Examples
    --------
    >>> default_metric("classification"), default_metric("regression")
    ('roc_auc', 'rmse')
    """
    primary = contract.primary if contract is not None else None
    name = primary.name if primary is not None else None
    ok = M.REGRESSION_HEADLINE if task == "regression" else M.CLASSIFICATION_HEADLINE
    if name in ok and name in THRESHOLD_FREE:
        return name
    if task == "regression":
        return "rmse"
    return "roc_auc" if n_classes == 2 else "log_loss"


def curve_metric(task: str | None, contract: Contract | None = None) -> str:
    """The learning curve's metric: the one human-level performance is measured in, if any."""
    hlp = contract.hlp if contract is not None else None
    ok = M.REGRESSION_HEADLINE if task == "regression" else M.CLASSIFICATION_HEADLINE
    if hlp is not None and hlp.metric in ok:
        return hlp.metric
    return default_metric(task, contract=contract)


def contract_targets(contract: Contract | None) -> dict[str, float]:
    """The value each metric must reach: the primary target, then the secondary floors."""
    out: dict[str, float] = {}
    if contract is None:
        return out
    primary = contract.primary
    if primary is not None and primary.target is not None:
        out[primary.name] = float(primary.target)
    for floor in contract.secondary:
        if floor.floor is not None:
            out[floor.name] = float(floor.floor)
    return out


def _contract_baselines(contract: Contract | None) -> dict[str, dict[str, float]]:
    """Baseline values by kind and metric (e.g. {'hlp': {'recall': 0.81}})."""
    out: dict[str, dict[str, float]] = {}
    for kind, b in (contract.baselines if contract is not None else {}).items():
        if b.value is not None and b.metric:
            out.setdefault(str(kind), {})[b.metric] = float(b.value)
    return out


def hlp_value(contract: Contract | None, metric: str) -> float | None:
    """Human-level performance on ``metric`` from the scoping baselines, if recorded."""
    for kind, values in _contract_baselines(contract).items():
        if ("hlp" in kind.lower() or "human" in kind.lower()) and metric in values:
            return values[metric]
    return None


# ------------------------------------------------------------------- report card
def metric_comparison(
    store: Database, run_id: int, part: str = "dev", contract: Contract | None = None
) -> pd.DataFrame:
    """Each overall metric of a run beside the baselines, the champion and the scoping target.

    Columns: metric, this run, dummy baseline, champion, one per scoping baseline kind,
    target, verdict ("pass", "fail" or "no target set"), and whether it beats the dummy.
    The dummy baseline is the newest dummy run on the same split and target; a regression
    run without one is compared with the mean baseline (``mean_baseline_metrics``). The
    business cost per 1,000 cases is added when the scoping sets the costs.
    """
    run = get_run(store, run_id)
    dummy = _reference_run(store, run, tuple(m.kind for m in MODELS.values() if m.baseline))
    champion = _comparable_champion(store, run)
    ids = [r.id for r in (run, dummy, champion) if r is not None]
    wide = _with_cost(overall_metrics(store, ids, part), contract)
    targets, baselines = contract_targets(contract), _contract_baselines(contract)
    mean_baseline = (
        mean_baseline_metrics(store, run.id, part)
        if dummy is None and run.task_type == "regression"
        else {}
    )

    def at(r: Run | None, metric: str) -> float | None:
        if r is None or r.id not in wide.index or metric not in wide.columns:
            return None
        value = wide.at[r.id, metric]
        return None if pd.isna(value) else float(value)

    headline = M.REGRESSION_HEADLINE if run.task_type == "regression" else M.CLASSIFICATION_HEADLINE
    rows = []
    for metric in [*headline, "cost_per_1000"]:
        value, d = at(run, metric), at(dummy, metric)
        if d is None:
            d = mean_baseline.get(metric)
        if value is None:
            continue
        target = targets.get(metric)
        verdict = M.meets(metric, value, target)
        rows.append(
            {
                "metric": metric,
                "label": M.label(metric),
                "this run": value,
                "dummy baseline": d,
                "champion": at(champion, metric),
                **{f"baseline: {kind}": v.get(metric) for kind, v in baselines.items()},
                "target": target,
                "verdict": "no target set" if verdict is None else ("pass" if verdict else "fail"),
                "beats dummy": None if d is None else M.better(metric, value, d),
            }
        )
    return pd.DataFrame(rows)


def mean_baseline_metrics(store: Database, run_id: int, part: str) -> dict[str, float]:
    """MAE, RMSE, R² and MAPE on ``part`` of the mean baseline of a regression run: the
    mean of the run's train targets predicted for every row, as scikit-learn's
    ``DummyRegressor(strategy="mean")`` fitted on the same train rows does. Computed from
    the run's stored targets; empty when a part has no target."""
    preds = training_db.run_predictions(store, run_id, ["train", part])
    y = pd.to_numeric(preds["y_true"], errors="coerce")
    train = y[(preds["part"] == "train").to_numpy()].dropna().to_numpy(dtype=float)
    truth = y[(preds["part"] == part).to_numpy()].dropna().to_numpy(dtype=float)
    if not len(train) or not len(truth):
        return {}
    m = M.regression_metrics(truth, np.full(len(truth), np.mean(train)))
    return {str(k): float(v) for k, v in zip(m["metric"], m["value"], strict=True)}


def run_residuals(store: Database, run_id: int, part: str) -> pd.DataFrame:
    """Actual, predicted and residual (actual − predicted) per row of a regression run's
    part, from its stored predictions (empty for a classifier)."""
    run = get_run(store, run_id)
    columns = ["row_id", "actual", "predicted", "residual"]
    if run.task_type != "regression":
        return pd.DataFrame(columns=columns)
    preds = training_db.run_predictions(store, run_id, [part])
    actual = pd.to_numeric(preds["y_true"], errors="coerce").astype(float)
    predicted = pd.to_numeric(preds["score"], errors="coerce").astype(float)
    out = pd.DataFrame(
        {
            "row_id": preds["row_id"],
            "actual": actual,
            "predicted": predicted,
            "residual": actual - predicted,
        }
    )
    return out.dropna(subset=["actual", "predicted"]).reset_index(drop=True)


def _reference_run(store: Database, run: Run, kinds: tuple[str, ...]) -> Run | None:
    """The newest finished full-data run of ``kinds`` on the same split and target."""
    for r in list_runs(store, run.project_id, status="done", split_id=run.split_id):
        if (
            r.model_kind in kinds
            and r.target == run.target
            and r.id != run.id
            and r.max_ladder is None
        ):
            return r
    return None


def _comparable_champion(store: Database, run: Run) -> Run | None:
    """The champion's run when it was trained on the same split and target, else None
    (another split's numbers are not comparable row for row)."""
    champion = registry.get_champion(store, run.project_id)
    if champion is None:
        return None
    champ_run = get_run(store, champion.run_id)
    if champ_run.split_id != run.split_id or champ_run.target != run.target:
        return None
    return champ_run


def _with_cost(wide: pd.DataFrame, contract: Contract | None) -> pd.DataFrame:
    """The business cost per 1,000 cases beside the metrics, when the scoping sets costs."""
    if contract is None or contract.cost_fp is None or contract.cost_fn is None:
        return wide
    if not {"fp", "fn", "n"} <= set(wide.columns):
        return wide
    cost_fp, cost_fn = float(contract.cost_fp), float(contract.cost_fn)
    wide["cost_per_1000"] = [
        M.cost_per_1000(r["fp"], r["fn"], r["n"], cost_fp, cost_fn) for _, r in wide.iterrows()
    ]
    return wide


def per_class_metrics(store: Database, run_id: int, part: str = "dev") -> pd.DataFrame:
    """Precision, recall, F1 and support per class of a run's part (one row per class)."""
    long = training_db.run_metrics(store, [run_id], part)
    long = long[long["class"].notna()]
    if long.empty:
        return pd.DataFrame()
    wide = long.pivot_table(index="class", columns="metric", values="value", aggfunc="first")
    cols = [c for c in ("precision", "recall", "f1", "support") if c in wide.columns]
    return wide[cols].reset_index()


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


def run_confusion(store: Database, run_id: int, part: str) -> pd.DataFrame:
    """The confusion matrix of a run's part in long form: y_true, y_pred, n."""
    return training_db.prediction_confusion(store, run_id, part)


def run_calibration(store: Database, run_id: int, part: str) -> pd.DataFrame:
    """The reliability table of a binary run's part: per score bin its count, mean score and
    share of the positive class (empty for a run without a positive class)."""
    run = get_run(store, run_id)
    if run.positive_class is None:
        return pd.DataFrame(columns=["bin", "n", "mean_score", "frac_positive"])
    return training_db.prediction_calibration(store, run_id, part, run.positive_class)


# ---------------------------------------------------------------------- tables
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
    splits: dict[int, str] = {s.id: s.name for s in splits_db.list_splits(store, project_id)}
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
            "split": None if r.split_id is None else splits.get(r.split_id, r.split_id),
            "target": r.target,
            "train rows": r.n_train,
            "registered": f"v{v.version}" + (f" ({v.alias})" if v.alias else "") if v else "",
        }
        for metric in HEADLINE:
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


def comparable_runs(store: Database, project_id: int, include_trials: bool = False) -> list[Run]:
    """Finished training runs to compare, newest first: top-level runs only, unless
    ``include_trials`` adds learning-curve rungs and search trials (the parents of those,
    which hold no metrics, are never listed)."""
    runs = list_runs(store, project_id, status="done", run_type="train")
    return runs if include_trials else [r for r in runs if r.parent_id is None]


def runs_param_frame(
    store: Database, project_id: int, part: str = "dev", include_trials: bool = False
) -> pd.DataFrame:
    """Finished training runs (those of ``comparable_runs``) with each hyperparameter as a
    column and the overall metrics of ``part``."""
    runs = comparable_runs(store, project_id, include_trials)
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


_NOT_PARAMS = frozenset({"run", "name", "model", *M.LABELS, "tp", "fp", "fn", "tn"})


def varying_params(frame: pd.DataFrame) -> list[str]:
    """The parameters of ``runs_param_frame`` that take at least two values across its runs,
    hyperparameters first, then the training rows and the seed (a parameter every run
    shares, such as one seed, tells nothing on a metric-vs-parameter chart).

    Examples
    --------
    >>> varying_params(pd.DataFrame({"run": [1, 2], "seed": [7, 7], "C": [0.1, 1.0],
    ...                              "train rows": [900, 450], "roc_auc": [0.8, 0.9]}))
    ['C', 'train rows']
    """
    last = ("train rows", "seed")
    params = [c for c in frame.columns if c not in _NOT_PARAMS and c not in last]
    params += [c for c in last if c in frame.columns]
    return [c for c in params if frame[c].dropna().astype(str).nunique() > 1]


# ------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class RunComparison:
    """Side-by-side of runs: settings (params, data version, ...) and metrics, with differences."""

    settings: pd.DataFrame
    metrics: pd.DataFrame


_COMPARED = (
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
)


def compare_runs(store: Database, run_ids: list[int], part: str = "dev") -> RunComparison:
    """Diff runs: every param, preprocessing step, data version and overall metric of ``part``."""
    runs = [get_run(store, r) for r in run_ids]
    if len(runs) < 2:
        raise TrainingError("Pick at least two runs to compare.")
    cols = [r.label for r in runs]
    settings = pd.DataFrame(
        [[k, *v] for k, v in _settings(runs).items()], columns=["setting", *cols]
    )
    settings[cols] = settings[cols].map(lambda v: "" if v is None else str(v))  # one type
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


def _settings(runs: list[Run]) -> dict[str, list[Any]]:
    """Each setting (field, param, preprocessing step, library version) per run."""
    keys: dict[str, list[Any]] = {}

    def put(key: str, i: int, value: Any) -> None:
        keys.setdefault(key, [None] * len(runs))[i] = value

    for i, r in enumerate(runs):
        for k in _COMPARED:
            put(k, i, getattr(r, k))
        put("features", i, ", ".join(r.features))
        for k, v in r.params.items():
            put(f"param: {k}", i, json.dumps(v, default=str) if isinstance(v, dict | list) else v)
        for k, v in r.preprocessing.items():
            put(f"preprocessing: {k}", i, v)
        for k, v in r.library_versions.items():
            put(f"version: {k}", i, v)
    return keys
