"""Continuous training: retrain the champion's recipe on labelled production rows of a
monitoring run's current dataset, and register the result as the challenger.

Which rows: from a chosen window of the run on (a start date for time windows), else from
one window before the run's first sign of decay when it raised an alert, else every
labelled row of the current dataset. A run without alerts can retrain too: a team may
retrain on fresh labels before anything fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import profile_scan as profile_scan_db
from core.db.database import Database
from core.db.monitoring import MonitorRunRow
from core.db.training import RunRow
from core.monitoring.policies import DECAY_POLICIES
from core.monitoring.results import get_run, run_windows
from core.monitoring.settings import MonitorError
from core.monitoring.windows import parse_windows
from core.progress import Progress, no_progress

RETRAIN_PREFIX = "retrain_"  # the name of a dataset made for retraining starts so
MIN_RETRAIN_ROWS = 200


@dataclass(frozen=True)
class RetrainResult:
    dataset_id: int
    split_id: int
    run_id: int
    version_id: int
    rows: int
    since: datetime | None  # the first timestamp (time windows), else None
    scope: str = ""  # which rows, in words: "since 2026-01-05", "from rows 501–1,000 on"


def retrain_challenger(
    store: Database,
    project_id: int,
    monitor_run_id: int,
    *,
    since: datetime | None = None,
    from_window: str | None = None,
    all_rows: bool = False,
    actor: str,
    progress: Progress = no_progress,
) -> RetrainResult:
    """Retrain the champion's recipe on the labelled rows of the run's current dataset.

    The rows start at ``since`` (a timestamp, time windows only) or at the window labelled
    ``from_window``, or are every labelled row with ``all_rows``; by default one window
    before the run's first decay alert (input or data alerts when there is none), and every
    labelled row when the run raised no alert.
    They become a new dataset version (parent: the stream), get a split (stratified for a
    classifier, random for a regressor), and the trained model is registered as the
    challenger, ready for a canary on the Deployment page.
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
    progress(0.1, "Collecting the labelled production rows")
    start, since = (None, None) if all_rows else _start(store, mrun, since, from_window)
    ds_id, n, scope = _labelled_rows(store, mrun, recipe, start, since, actor)
    regression = recipe.task_type == "regression"
    progress(0.3, f"Splitting {n:,} rows" + ("" if regression else
                                            f" (stratified by {recipe.target})"))
    split_id = splits.create_split(
        store, project_id, ds_id, f"{datasets_db.require_dataset(store, ds_id).name}_split",
        method="random" if regression else "stratified", target=recipe.target,
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
    return RetrainResult(ds_id, split_id, run_id, version_id, n, since, scope)


def _first_alert(store: Database, mrun: MonitorRunRow) -> pd.Series | None:
    alerts = monitoring_db.list_alerts(store, mrun.project_id, run_id=mrun.id)
    # start from the first sign of decay; input or data alerts only when there is none
    decay = alerts[alerts["policy"].isin(DECAY_POLICIES)]
    pick = decay if len(decay) else alerts[alerts["policy"] != "service level"]
    return pick.iloc[0] if len(pick) else None


def _start(store: Database, mrun: MonitorRunRow, since: datetime | None,
           from_window: str | None) -> tuple[int | None, datetime | None]:
    """Where the rows start: a window index of the run (None: every labelled row) and,
    for time windows, the first timestamp."""
    windows = run_windows(store, mrun.id)
    if since is not None:
        if not parse_windows(mrun.time_window).is_time:
            raise MonitorError(f"Run #{mrun.id} has no time windows: pick the window to "
                               "start from instead of a date.")
        return None, since
    if from_window is not None:
        if from_window not in windows["window_label"].tolist():
            raise MonitorError(f"Run #{mrun.id} has no window {from_window!r}.")
        i = int(windows.index[windows["window_label"] == from_window][0])
    else:
        first = _first_alert(store, mrun)
        if first is None or first["window_label"] not in windows["window_label"].tolist():
            return None, None  # no alert: every labelled row
        i = max(int(windows.index[windows["window_label"] == first["window_label"]][0]) - 1, 0)
    start = windows.at[i, "window_start"]
    return i, (None if pd.isna(start) else pd.Timestamp(start).to_pydatetime())


def _labelled_rows(store: Database, mrun: MonitorRunRow, recipe: RunRow, start: int | None,
                   since: datetime | None, actor: str) -> tuple[int, int, str]:
    """A new dataset of the stream's labelled rows from the start on (the recipe's features
    and target, and the time column of a time run); its id, row count and scope. Too few
    rows raise, and then nothing is stored."""
    target = str(recipe.target)
    current = datasets_db.get_dataset(store, mrun.current_dataset_id)
    cur_name = current.name if current else "the current dataset"
    w = parse_windows(mrun.time_window)
    time_col = mrun.time_column or None
    columns: list[str] = [str(c) for c in dict.fromkeys(
        [*recipe.features, target, *([time_col] if time_col else [])])]
    labels = run_windows(store, mrun.id)["window_label"].tolist()
    if since is not None and time_col:
        scope, tag = f"since {pd.Timestamp(since):%Y-%m-%d}", f"{pd.Timestamp(since):%Y%m%d}"
    elif start is not None and labels:
        scope, tag = f"from {labels[start]} on", f"w{start}"
    else:
        scope, tag = f"every labelled row of {cur_name!r}", "all"
    _require_columns(store, mrun, columns, cur_name)
    arrow = profile_scan_db.row_range_subset(
        store, mrun.current_dataset_id, columns, not_null=target,
        first_row=(start or 0) * int(w.rows or 0) if w.kind == "rows" else 0,
        batch_column=w.column if w.kind == "column" and start is not None else None,
        batches=labels[start:] if start is not None else None,
        time_column=time_col, since=since)
    n = int(arrow.num_rows)
    if n < MIN_RETRAIN_ROWS:
        raise MonitorError(f"Only {n} labelled rows ({scope}): too few to retrain (at least "
                           f"{MIN_RETRAIN_ROWS}); start from an earlier window.")
    name = _free_name(store, mrun, f"{RETRAIN_PREFIX}{tag}_run{mrun.id}")
    ds_id = datasets_db.insert_dataset(
        store, mrun.project_id, name, arrow, source=f"subset of {cur_name}", role="training",
        actor=actor, parent_id=mrun.current_dataset_id,
        note=f"Labelled production rows ({scope}) for retraining after monitoring run "
             f"{mrun.id}.")
    return ds_id, n, scope


def _require_columns(store: Database, mrun: MonitorRunRow, columns: list[str], name: str
                     ) -> None:
    have = {c for c, _ in datasets_db.dataset_schema(store, mrun.current_dataset_id)}
    missing = [c for c in columns if c not in have]
    if missing:
        raise MonitorError(f"{name!r} lacks the columns {', '.join(missing)}: the champion's "
                           "recipe needs them (its features and its target) to retrain.")


def _free_name(store: Database, mrun: MonitorRunRow, base: str) -> str:
    """``base``, or ``base_2``, ``base_3`` … when a dataset of the project has that name."""
    from core.data.datasets import free_name

    return free_name(base, {d.name for d in datasets_db.list_datasets(store, mrun.project_id)},
                     "{base}_{n}")
