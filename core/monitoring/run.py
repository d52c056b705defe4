"""One monitoring run: check the inputs, profile, compute every check, apply the policies,
store everything (:func:`run_monitoring`)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.types import is_datetime
from core.monitoring import checks, model_checks
from core.monitoring.drift import DriftReport
from core.monitoring.policies import evaluate_policies
from core.monitoring.settings import (
    WINDOWS,
    MonitorError,
    MonitorSettings,
    contract_defaults,
    drop_missing_log_columns,
    window_starts,
    with_column_roles,
)
from core.progress import Progress, no_progress
from core.projects import column_roles


@dataclass(frozen=True)
class MonitorResult:
    run_id: int
    summary: dict[str, Any]
    results: pd.DataFrame = field(repr=False)
    alerts: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class _Inputs:
    """A run's checked inputs: settings with every default filled, the two datasets and
    their schemas, and the model (its training run and the loaded estimator) if any."""

    settings: MonitorSettings
    reference: DatasetRow
    current: DatasetRow
    reference_schema: list[tuple[str, str]]
    current_schema: list[tuple[str, str]]
    run: Any = None
    model: Any = None

    @property
    def current_columns(self) -> dict[str, str]:
        return dict(self.current_schema)


class _Cost:
    """Wall time, CPU time and peak resident memory of the workbench process for a run."""

    def __init__(self) -> None:
        import psutil

        self.t0, self.cpu0 = time.perf_counter(), time.process_time()
        self.proc = psutil.Process()
        self.rss0 = self.proc.memory_info().rss

    def summary(self) -> dict[str, float]:
        return {
            "seconds": round(time.perf_counter() - self.t0, 2),
            "cpu_seconds": round(time.process_time() - self.cpu0, 2),
            "memory_mb": round(max(self.proc.memory_info().rss, self.rss0) / 2**20, 1),
        }


def run_monitoring(
    store: Database,
    project_id: int,
    *,
    reference_dataset_id: int,
    current_dataset_id: int,
    model_version_id: int | None = None,
    settings: MonitorSettings | None = None,
    actor: str,
    progress: Progress = no_progress,
    source: str = "page",
) -> MonitorResult:
    """Profile, check and alert; store everything as one monitoring run."""
    cost = _Cost()
    inp = _check_inputs(store, project_id, reference_dataset_id, current_dataset_id,
                        model_version_id, settings or MonitorSettings())
    shared = monitored_columns(store, inp.reference.id, inp.current_columns, inp.settings,
                               inp.run)
    report, summary = _drift(store, inp, shared, actor, progress)
    rows, drift_frame = checks.drift_rows(report)
    rows += checks.input_rows(drift_frame, inp.settings)
    rows += checks.schema_rows(inp.reference_schema, inp.current_schema)
    summary["windows"] = int(drift_frame["window"].nunique())
    progress(0.55, f"Multivariate drift (domain classifier per {inp.settings.domain_window})")
    rows += checks.domain_rows(store, inp.reference.id, inp.current.id, shared, inp.settings,
                               report)
    s, top = inp.settings, []
    if inp.run is not None:
        progress(0.7, "Scoring the stream with the model; realized and estimated performance")
        s, model_rows, extra = _model_checks(store, inp)
        rows += model_rows
        top = extra["top_features"]
        summary.update(model_version_id=model_version_id, **extra)
    if s.latency_column or s.status_column:
        progress(0.85, "Software metrics from the request log")
        rows += checks.software_rows(store, inp.current.id, s)
    results = pd.DataFrame(rows)
    results["window_start"] = pd.to_datetime(results["window_start"])
    alerts, counts = evaluate_policies(results, s, top)
    summary.update(
        policy_counts=counts,
        alerts=int(len(alerts)),
        share_drifted=report.dataset_frame()[["window", "share_drifted"]].to_dict("records"),
        **cost.summary(),
        primary_metric=s.primary_metric, primary_floor=s.primary_floor,
    )
    progress(0.95, "Storing results and alerts")
    run_id = monitoring_db.insert_monitor_run(
        store, project_id, reference_dataset_id=inp.reference.id,
        current_dataset_id=inp.current.id, model_version_id=model_version_id,
        time_column=str(s.time_column), window=s.window, settings=asdict(s), summary=summary,
        results=results, alerts=alerts, actor=actor, source=source,
    )
    progress(1.0, "Monitoring run stored")
    return MonitorResult(run_id, summary, results, alerts)


def _check_inputs(store: Database, project_id: int, reference_id: int, current_id: int,
                  model_version_id: int | None, settings: MonitorSettings) -> _Inputs:
    """The run's inputs with every default filled; MonitorError names what to change."""
    s = contract_defaults(store, project_id, settings)
    s = with_column_roles(s, column_roles(store, project_id))
    if s.window not in WINDOWS:
        raise MonitorError(f"Unknown window {s.window!r}: use day, week or month.")
    ref_ds = datasets_db.get_dataset(store, reference_id)
    cur_ds = datasets_db.get_dataset(store, current_id)
    if ref_ds is None or cur_ds is None:
        raise MonitorError("Pick a reference and a current dataset of this project.")
    if cur_ds.n_rows == 0:
        raise MonitorError(f"The current dataset {cur_ds.name!r} is empty: nothing to monitor.")
    ref_schema = datasets_db.dataset_schema(store, ref_ds.id)
    cur_schema = datasets_db.dataset_schema(store, cur_ds.id)
    _check_time_column(s.time_column, dict(cur_schema))
    s = drop_missing_log_columns(s, dict(cur_schema))
    run, model = _load_model(store, model_version_id, dict(cur_schema))
    return _Inputs(s, ref_ds, cur_ds, ref_schema, cur_schema, run, model)


def _check_time_column(time_column: str | None, cur_cols: dict[str, str]) -> None:
    if not time_column:
        raise MonitorError(
            "No time column is set: pick the current dataset's timestamp column (or set the "
            "project's time column on the Overview page); monitoring compares time windows."
        )
    if time_column not in cur_cols:
        raise MonitorError(
            f"The current dataset has no column {time_column!r}; pick its timestamp column "
            "(monitoring compares time windows)."
        )
    if not is_datetime(cur_cols[time_column]):
        raise MonitorError(f"The column {time_column!r} holds {cur_cols[time_column]}, not "
                           "timestamps; pick a date or time column.")


def _load_model(store: Database, model_version_id: int | None, cur_cols: dict[str, str]
                ) -> tuple[Any, Any]:
    """The model version's training run and its estimator (None, None without a model)."""
    if model_version_id is None:
        return None, None
    from core import training
    from core.training import registry

    version = registry.get_version(store, model_version_id)
    run = training.get_run(store, version.run_id)
    missing = [f for f in run.features if f not in cur_cols]
    if missing:
        raise MonitorError(f"The model needs columns the current data lacks: "
                           f"{', '.join(missing)}.")
    return run, registry.load_model(store, model_version_id)


def monitored_columns(store: Database, reference_id: int, current: dict[str, str],
                      s: MonitorSettings, run: Any) -> list[str]:
    """The model's features, or the reference's feature-like columns (no ids, targets, text)."""
    if run is not None:
        return [c for c in run.features if c in current]
    from core.data import column_types

    skip = {"identifier", "target", "text", "image", "datetime"}
    return [t.column for t in column_types(store, reference_id)
            if t.type not in skip and t.column in current and t.column != s.time_column]


def _drift(store: Database, inp: _Inputs, shared: list[str], actor: str, progress: Progress
           ) -> tuple[DriftReport, dict[str, Any]]:
    """Profile both sides (the reference's profile is stored once and reused) and compute
    the drift of the monitored columns; the summary's first entries."""
    from core.monitoring import drift
    from core.monitoring.profile_store import get_profile, profile_dataset

    s = inp.settings
    progress(0.05, "Profiling the reference (stored once, reused afterwards)")
    ref_pid = profile_dataset(store, inp.reference.id, actor=actor)
    progress(0.25, "Profiling the production windows in one pass")
    cur_pid = profile_dataset(store, inp.current.id, reference_profile_id=ref_pid,
                              time_column=s.time_column, window=WINDOWS[s.window], actor=actor)
    progress(0.45, "Computing drift per column and window")
    report = drift.compute_drift(get_profile(store, ref_pid), get_profile(store, cur_pid),
                                 s.drift_methods)
    report = replace(report, columns=tuple(c for c in report.columns if c.column in shared))
    summary: dict[str, Any] = {"reference": inp.reference.name, "current": inp.current.name,
                               "reference_profile_id": ref_pid, "current_profile_id": cur_pid}
    return report, summary


def _model_checks(store: Database, inp: _Inputs
                  ) -> tuple[MonitorSettings, list[dict], dict[str, Any]]:
    """Score the current rows in time order and run the model checks; returns the settings
    with the label column actually used, the rows and the summary's model part."""
    run, cur_cols = inp.run, inp.current_columns
    label = next((c for c in (inp.settings.label_column, run.target) if c and c in cur_cols),
                 None)
    s = replace(inp.settings, label_column=label)
    time_col = str(s.time_column)
    needed = [str(c) for c in dict.fromkeys([*run.features, time_col, *([label] if label else [])])]
    current = datasets_db.dataset_frame(store, inp.current.id, needed)
    # the error-stream detectors are sequential: they must see the rows in time order,
    # whatever order the table stores them in; rows without a timestamp have no place
    # in that order and are left out of the model checks (counted in the summary)
    untimed = int(current[time_col].isna().sum())
    current = (current[current[time_col].notna()]
               .sort_values(time_col, kind="stable").reset_index(drop=True))
    windows = window_starts(current[time_col], s.window)
    ref_sample = datasets_db.sample_rows(store, inp.reference.id, 5000, run.features,
                                         seed=s.seed)
    rows, extra = model_checks.model_rows(store, s, current, ref_sample, inp.model, run, windows)
    extra = {"model_run_id": run.id, "rows_without_time": untimed, **extra}
    if untimed:
        extra["notes"] = [
            f"{untimed:,} row(s) of {inp.current.name!r} have no {time_col!r}: they are "
            "left out of the output, performance and detector checks, which follow time."]
    return s, rows, extra
