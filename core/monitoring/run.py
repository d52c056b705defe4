"""One monitoring run: check the inputs, profile, compute every check, apply the policies,
store everything (:func:`run_monitoring`)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db import profile_scan as profile_scan_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.types import is_datetime
from core.monitoring import checks, model_checks
from core.monitoring.drift import DriftReport
from core.monitoring.policies import PolicyConfig, evaluate_policies, short_runs
from core.monitoring.policy_store import project_policies
from core.monitoring.profiles import ALL
from core.monitoring.settings import (
    MonitorError,
    MonitorSettings,
    contract_defaults,
    drop_missing_log_columns,
    window_starts,
    with_column_roles,
)
from core.monitoring.windows import Windowing, finish_windows, parse_windows, row_labels
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
    """A run's checked inputs: settings with every default filled, its windows, the two
    datasets and their schemas, the model (its training run and the loaded estimator) or
    else a score column (a model that runs elsewhere) if any, and notes for the reader
    (how the windows were chosen)."""

    settings: MonitorSettings
    windowing: Windowing
    reference: DatasetRow
    current: DatasetRow
    reference_schema: list[tuple[str, str]]
    current_schema: list[tuple[str, str]]
    run: Any = None
    model: Any = None
    external: Any = None  # ExternalScores: a model that runs elsewhere, by its score column
    notes: tuple[str, ...] = ()

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
    """Profile, check and alert; store everything as one monitoring run.

    The windows are ``settings.window`` (:mod:`core.monitoring.windows`): periods of a time
    column, the whole current dataset, blocks of rows in file order, or a batch column's
    values; by default weeks when there is a time column, else the whole dataset. Alerts
    follow the project's alert policies (:mod:`core.monitoring.policy_store`).
    """
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
    w, n_rows = inp.windowing, inp.current.n_rows
    progress(0.55, "Multivariate drift (domain classifier"
             + (f" per {inp.settings.domain_window})" if w.is_time else ")"))
    rows += checks.domain_rows(store, inp.reference.id, inp.current.id, shared, inp.settings,
                               report, w, n_rows)
    s, top, notes = inp.settings, [], list(inp.notes)
    if inp.run is not None:
        progress(0.7, "Scoring the stream with the model; realized and estimated performance")
        s, model_rows, extra = _model_checks(store, inp)
        rows += model_rows
        top = extra["top_features"]
        notes += extra.pop("notes", []) + extra.pop("model_notes", [])
        summary.update(model_version_id=model_version_id, **extra)
    elif inp.external is not None:
        progress(0.7, f"Output and performance checks on the score column "
                      f"{inp.external.column!r}")
        s, model_rows, extra = _score_checks(store, inp)
        rows += model_rows
        notes += extra.pop("notes", []) + extra.pop("model_notes", [])
        summary.update(extra)
    if s.latency_column or s.status_column:
        progress(0.85, "Software metrics from the request log")
        rows += checks.software_rows(store, inp.current.id, s, w, n_rows)
    results = finish_windows(pd.DataFrame(rows), _window_order(store, inp))
    policies = project_policies(store, project_id, s)
    alerts, counts = evaluate_policies(results, s, top, policies)
    notes += _policy_notes(results, policies)
    summary.update(
        policy_counts=counts,
        alerts=int(len(alerts)),
        share_drifted=report.dataset_frame()[["window", "share_drifted"]].to_dict("records"),
        windowing=w.spec, policies={k: asdict(v) for k, v in policies.items()},
        **cost.summary(),
        primary_metric=s.primary_metric, primary_floor=s.primary_floor,
    )
    if notes:
        summary["notes"] = notes
    progress(0.95, "Storing results and alerts")
    run_id = monitoring_db.insert_monitor_run(
        store, project_id, reference_dataset_id=inp.reference.id,
        current_dataset_id=inp.current.id, model_version_id=model_version_id,
        time_column=s.time_column or "", window=w.spec, settings=asdict(s), summary=summary,
        results=results, alerts=alerts, actor=actor, source=source,
    )
    progress(1.0, "Monitoring run stored")
    return MonitorResult(run_id, summary, results, alerts)


def _window_order(store: Database, inp: _Inputs) -> list[str] | None:
    """The labels of the run's windows in order (None for time windows: by their start)."""
    w = inp.windowing
    if w.kind == "rows":
        return row_labels(int(w.rows or 1), inp.current.n_rows)
    if w.kind == "column":
        return profile_scan_db.batch_order(store, inp.current.id, str(w.column))
    return None if w.is_time else [ALL]


def _policy_notes(results: pd.DataFrame, policies: dict[str, PolicyConfig]) -> list[str]:
    n = int(results["window_index"].nunique())
    short = short_runs(n, policies)
    if not short:
        return []
    return [f"The run has {n} window(s): {', '.join(short)} needed more windows in a row and "
            f"were judged on the {n} there are."]


def _check_inputs(store: Database, project_id: int, reference_id: int, current_id: int,
                  model_version_id: int | None, settings: MonitorSettings) -> _Inputs:
    """The run's inputs with every default filled; MonitorError names what to change."""
    s = contract_defaults(store, project_id, settings)
    explicit_time = s.time_column
    s = with_column_roles(s, column_roles(store, project_id))
    ref_ds = datasets_db.get_dataset(store, reference_id)
    cur_ds = datasets_db.get_dataset(store, current_id)
    if ref_ds is None or cur_ds is None:
        raise MonitorError("Pick a reference and a current dataset of this project.")
    if cur_ds.n_rows == 0:
        raise MonitorError(f"The current dataset {cur_ds.name!r} is empty: nothing to monitor.")
    ref_schema = datasets_db.dataset_schema(store, ref_ds.id)
    cur_schema = datasets_db.dataset_schema(store, cur_ds.id)
    s, windowing, notes = _resolve_windows(s, explicit_time, dict(cur_schema), cur_ds.name)
    s = drop_missing_log_columns(s, dict(cur_schema))
    run, model = _load_model(store, model_version_id, dict(cur_schema))
    external = None
    if run is None and s.score_column:
        from core.monitoring.score_column import external_scores

        external = external_scores(store, project_id, s, {
            "current": (cur_ds.name, dict(cur_schema)),
            "reference": (ref_ds.name, dict(ref_schema))})
    else:  # a registered model scores the rows itself
        s = replace(s, score_column=None)
    return _Inputs(s, windowing, ref_ds, cur_ds, ref_schema, cur_schema, run, model,
                   external, tuple(notes))


def _resolve_windows(s: MonitorSettings, explicit_time: str | None, cur_cols: dict[str, str],
                     name: str) -> tuple[MonitorSettings, Windowing, list[str]]:
    """The run's windows: the chosen ones (checked against the current data), or by
    default weeks of the time column when the data has one, else the whole dataset."""
    why = "no time column"
    if s.window is None:
        usable = bool(s.time_column and s.time_column in cur_cols
                      and is_datetime(cur_cols[s.time_column]))
        if usable or explicit_time:
            s = replace(s, window="week")
        else:
            why = (f"the project's time column {s.time_column!r} is not a timestamp column of "
                   f"{name!r}" if s.time_column else "no time column is set") + (
                "; pick windows of N rows or a batch column for more than one window")
            s = replace(s, window="all")
    windowing = parse_windows(s.window)
    if windowing.is_time:
        _check_time_column(s.time_column, cur_cols)
        return replace(s, window=windowing.spec), windowing, []
    if windowing.kind == "column" and windowing.column not in cur_cols:
        raise MonitorError(f"The current dataset {name!r} has no column {windowing.column!r}; "
                           "pick the column that holds its batch ids.")
    note = (f"Windows: {windowing.describe()} ({why}). The output, performance and "
            "error-stream checks (Page-Hinkley, DDM, ADWIN) read the rows in file order.")
    return replace(s, window=windowing.spec, time_column=None), windowing, [note]


def _check_time_column(time_column: str | None, cur_cols: dict[str, str]) -> None:
    if not time_column:
        raise MonitorError(
            "No time column is set: pick the current dataset's timestamp column (or set the "
            "project's time column on the Overview page) for day, week or month windows, or "
            "window by rows (rows:N), by a batch column (column:NAME) or the whole dataset "
            "(all)."
        )
    if time_column not in cur_cols:
        raise MonitorError(
            f"The current dataset has no column {time_column!r}; pick its timestamp column "
            "for time windows, or window by rows, a batch column or the whole dataset."
        )
    if not is_datetime(cur_cols[time_column]):
        raise MonitorError(f"The column {time_column!r} holds {cur_cols[time_column]}, not "
                           "timestamps; pick a date or time column, or window by rows or by "
                           "a batch column.")


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
    """The model's features, or the reference's feature-like columns (no ids, targets, text,
    no score column: its drift is the output check's)."""
    if run is not None:
        return [c for c in run.features if c in current]
    from core.data import column_types

    skip = {"identifier", "target", "text", "image", "datetime"}
    batch = parse_windows(s.window).column if s.window else None
    return [t.column for t in column_types(store, reference_id)
            if t.type not in skip and t.column in current
            and t.column not in (s.time_column, batch, s.score_column)]


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
                              **inp.windowing.profile_args(s.time_column), actor=actor)
    progress(0.45, "Computing drift per column and window")
    report = drift.compute_drift(get_profile(store, ref_pid), get_profile(store, cur_pid),
                                 s.drift_methods)
    report = replace(report, columns=tuple(c for c in report.columns if c.column in shared))
    summary: dict[str, Any] = {"reference": inp.reference.name, "current": inp.current.name,
                               "reference_profile_id": ref_pid, "current_profile_id": cur_pid}
    return report, summary


def _model_checks(store: Database, inp: _Inputs
                  ) -> tuple[MonitorSettings, list[dict], dict[str, Any]]:
    """Score the current rows in stream order and run the model checks; returns the
    settings with the label column (and, for a regressor, the metric) actually used, the
    rows and the summary's model part."""
    run, cur_cols = inp.run, inp.current_columns
    label = next((c for c in (inp.settings.label_column, run.target) if c and c in cur_cols),
                 None)
    s = _task_metric(replace(inp.settings, label_column=label), run)
    ref_sample = datasets_db.sample_rows(store, inp.reference.id, 5000, run.features,
                                         seed=s.seed)
    columns = [str(c) for c in dict.fromkeys([*run.features, *([label] if label else [])])]
    current, windows, where, extra = _stream_frame(store, inp, s, columns)
    rows, model_extra = model_checks.model_rows(store, s, current, ref_sample, inp.model, run,
                                                windows, **where)
    return s, rows, {"model_run_id": run.id, **extra, **model_extra}


def _score_checks(store: Database, inp: _Inputs
                  ) -> tuple[MonitorSettings, list[dict], dict[str, Any]]:
    """The model checks on a score column (:mod:`core.monitoring.score_column`): the
    current scores in stream order against a sample of the reference's scores and labels."""
    from core.monitoring.score_column import REFERENCE_ROWS, score_rows

    ext, s = inp.external, inp.settings
    # one label column name: the reference's labels calibrate, the current's are realized
    label = s.label_column if s.label_column in inp.current_columns else None
    ref_label = s.label_column if s.label_column in dict(inp.reference_schema) else None
    reference = datasets_db.sample_rows(
        store, inp.reference.id, REFERENCE_ROWS,
        list(dict.fromkeys([ext.column, *([ref_label] if ref_label else [])])), seed=s.seed)
    columns = [str(c) for c in dict.fromkeys([ext.column, *([label] if label else [])])]
    current, windows, where, extra = _stream_frame(store, inp, s, columns)
    s = _task_metric(s, ext)
    rows, model_extra = score_rows(s, ext, current, reference, windows,
                                   (inp.reference.name, inp.current.name), **where)
    model_extra["label_column"] = label
    return replace(s, label_column=label), rows, {**extra, **model_extra}


def _stream_frame(store: Database, inp: _Inputs, s: MonitorSettings, columns: list[str]
                  ) -> tuple[pd.DataFrame, pd.Series, dict[str, Any], dict[str, Any]]:
    """The current rows' ``columns`` in stream order, each row's window, where each row sits
    (``times``, else ``rows``: its number in the file) and the summary's part."""
    if not inp.windowing.is_time:
        # no time column: the stream is the file's order, windows as the profile cut them
        w = inp.windowing
        current = profile_scan_db.window_frame(store, inp.current.id, columns,
                                               row_window=w.rows, batch_column=w.column)
        windows = current["__window"].map(lambda k: w.key(k, inp.current.n_rows))
        return current, windows, {"rows": current["__row"].to_numpy() + 1}, {}
    time_col = str(s.time_column)
    current = datasets_db.dataset_frame(store, inp.current.id, [*columns, time_col])
    # the error-stream detectors are sequential: they must see the rows in time order,
    # whatever order the table stores them in; rows without a timestamp have no place
    # in that order and are left out of the model checks (counted in the summary)
    untimed = int(current[time_col].isna().sum())
    current = (current[current[time_col].notna()]
               .sort_values(time_col, kind="stable").reset_index(drop=True))
    windows = window_starts(current[time_col], str(s.window))
    extra: dict[str, Any] = {"rows_without_time": untimed}
    if untimed:
        extra["notes"] = [
            f"{untimed:,} row(s) of {inp.current.name!r} have no {time_col!r}: they are "
            "left out of the output, performance and detector checks, which follow time."]
    return current, windows, {"times": current[time_col].to_numpy()}, extra


def _task_metric(s: MonitorSettings, run: Any) -> MonitorSettings:
    """A regressor is judged on a regression metric: the brief's when it names one, else
    RMSE with no target (a classifier's metric and floor mean nothing for it)."""
    from core.monitoring.regression_checks import REGRESSION_METRICS

    if getattr(run, "task_type", None) != "regression" or s.primary_metric in REGRESSION_METRICS:
        return s
    return replace(s, primary_metric="rmse", primary_floor=None)
