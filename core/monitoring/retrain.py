"""Continuous training: retrain the champion's recipe on the labelled production rows since
a monitoring run's first sign of decay, and register the result as the challenger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db.database import Database
from core.db.monitoring import MonitorRunRow
from core.db.training import RunRow
from core.monitoring.policies import DECAY_POLICIES
from core.monitoring.results import get_run
from core.monitoring.settings import MonitorError
from core.progress import Progress, no_progress

RETRAIN_PREFIX = "retrain_"  # the name of a dataset made for retraining starts so
MIN_RETRAIN_ROWS = 200
_WINDOW_STEP = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(weeks=1)}


@dataclass(frozen=True)
class RetrainResult:
    dataset_id: int
    split_id: int
    run_id: int
    version_id: int
    rows: int
    since: datetime


def retrain_challenger(
    store: Database,
    project_id: int,
    monitor_run_id: int,
    *,
    since: datetime | None = None,
    actor: str,
    progress: Progress = no_progress,
) -> RetrainResult:
    """Retrain the champion's recipe on the latest labelled production windows.

    The rows are the current dataset's labelled rows from ``since`` on (default: one
    window before the run's first decay alert, i.e. data from around the change). They
    become a new dataset version (parent: the stream), get a stratified split, and the
    trained model is registered as the challenger, ready for a canary on the Deployment
    page.
    """
    from core import training
    from core.data import splits
    from core.training import registry

    mrun = get_run(store, monitor_run_id)
    if mrun.project_id != project_id:
        raise MonitorError("That monitoring run does not exist (any more).")
    champion = registry.get_champion(store, project_id)
    if champion is None:
        raise MonitorError("There is no champion model to retrain: register one on Training.")
    recipe = training.get_run(store, champion.run_id)
    if recipe.target is None:
        raise MonitorError(f"The champion's run #{recipe.id} has no target to retrain on.")
    since = since or first_alert_window(store, mrun)
    progress(0.1, "Collecting the labelled production rows")
    ds_id, n = _labelled_rows_since(store, mrun, recipe, since, actor)
    progress(0.3, f"Splitting {n:,} rows (stratified by {recipe.target})")
    split_id = splits.create_split(store, project_id, ds_id, f"{_name(since, mrun.id)}_split",
                                   method="stratified", target=recipe.target,
                                   seed=recipe.seed or 0, actor=actor)
    progress(0.45, f"Training {recipe.model_kind} with the champion's recipe")
    run_id = training.train_run(
        store, project_id, training.TrainSpec.from_run(recipe, split_id=split_id), actor=actor,
        name=f"retrain after monitoring run {monitor_run_id}",
    )
    run = training.get_run(store, run_id)
    if run.status != "done":
        raise MonitorError(f"Retraining failed: {run.error}")
    progress(0.9, "Registering the challenger")
    version_id = registry.register(store, run_id, actor, alias="challenger")
    progress(1.0, "Challenger ready for a canary")
    return RetrainResult(ds_id, split_id, run_id, version_id, n, since)


def first_alert_window(store: Database, mrun: MonitorRunRow) -> datetime:
    """One window before the run's first decay alert (input or data alerts when there is
    none; service alerts never): where retraining data starts by default."""
    alerts = monitoring_db.list_alerts(store, mrun.project_id, run_id=mrun.id)
    # start from the first sign of decay; input or service alerts only when there is none
    decay = alerts[alerts["policy"].isin(DECAY_POLICIES)]
    pick = decay if len(decay) else alerts[alerts["policy"] != "service level"]
    first = pick["window_start"].min() if len(pick) else None
    if first is None or pd.isna(first):
        raise MonitorError("This run raised no alert; pick a start date to retrain from.")
    step = _WINDOW_STEP.get(mrun.time_window, pd.Timedelta(days=31))
    return (pd.Timestamp(first) - step).to_pydatetime()


def _name(since: datetime, monitor_run_id: int) -> str:
    return f"{RETRAIN_PREFIX}{pd.Timestamp(since):%Y%m%d}_run{monitor_run_id}"


def _labelled_rows_since(store: Database, mrun: MonitorRunRow, recipe: RunRow, since: datetime,
                         actor: str) -> tuple[int, int]:
    """A new dataset of the stream's labelled rows from ``since`` (the recipe's features,
    target and the time column); its id and row count. Too few rows raise."""
    target = str(recipe.target)
    columns = list(dict.fromkeys([*recipe.features, target, mrun.time_column]))
    ds_id = datasets_db.insert_dataset_subset(
        store, mrun.project_id, mrun.current_dataset_id, _name(since, mrun.id), columns=columns,
        not_null=target, time_column=mrun.time_column, since=since, actor=actor,
        note=f"Labelled production rows since {pd.Timestamp(since):%Y-%m-%d} for retraining "
             f"after monitoring run {mrun.id}.",
    )
    ds = datasets_db.get_dataset(store, ds_id)
    n = ds.n_rows if ds is not None else 0
    if n < MIN_RETRAIN_ROWS:
        raise MonitorError(f"Only {n} labelled rows since {pd.Timestamp(since):%Y-%m-%d}: "
                           "too few to retrain; pick an earlier start date.")
    return ds_id, n
