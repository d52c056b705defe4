"""Monitoring: check a production dataset against the reference, window by window, and alert.

DESIGN
------
One monitoring run (``run_monitoring``) reads a reference dataset (the training data) and a
current dataset (a production stream or a batch) and stores, per window (days, weeks or
months of a time column; without one, the whole batch, blocks of N rows in file order, or
the values of a batch column: ``core.monitoring.windows``):

* data drift per column from mergeable profiles (``core.monitoring.profiles`` /
  ``core.monitoring.drift``; the reference is profiled once and its stored profile reused),
  multivariate drift from a domain classifier on samples;
* input checks: null rate against the reference, values outside the reference range,
  unseen categories, schema changes (missing, extra or retyped columns);
* with a model version: output checks (score distribution PSI against the reference,
  share of low-confidence predictions sent to the human fallback), realized performance
  where labels have arrived, CBPE-estimated performance everywhere
  (``core.monitoring.performance``), and the Page-Hinkley, DDM and ADWIN detectors on the
  stream of errors; without one, the same checks on a score column (the project's
  ``score`` role: a model that runs elsewhere, ``core.monitoring.score_column``), except
  what needs the model itself (feature importance);
* software metrics from the request log (latency p50/p95/p99, throughput, error rate,
  availability) and the workbench's own memory and CPU time while computing.

Everything goes into one long ``monitor_results`` table (kind, window, column, metric, value,
threshold, flagged). Alert policies then combine the per-window signals (among them two
that need no labels: dataset drift and output drift); each project sets which are on,
their thresholds and persistence (``policy_store``), thresholds default to the scoping
contract, columns (time, latency, status, label) to the project's column roles. Each
policy's alert count on the stream is kept in the run summary, so a team sees how many
alarms a naive policy would have raised, and is recomputed on the stored runs when the
policies change.

A command-line entry runs the same code without a browser::

    python -m core.monitor --project "My project" --current batch.parquet

Modules
-------
* ``settings``: ``MonitorSettings``, ``MonitorError``, time periods, defaults from the
  scoping contract and the project's column roles.
* ``windows``: ``Windowing`` / ``parse_windows`` (time periods, all, rows:N, column:NAME),
  window labels and order.
* ``run``: ``run_monitoring`` (check inputs, profile, check, apply policies, store) and
  ``MonitorResult``.
* ``checks``: data checks as result rows: drift, inputs, schema, domain classifier, software.
* ``model_checks``: output checks, estimated and realized performance, detectors on the
  error stream, reference calibration, feature importance.
* ``policies``: the alert policy table, ``PolicyConfig`` and ``evaluate_policies``.
* ``alert_messages``: what an alert says.
* ``policy_store``: a project's policies (stored, checked), recounted on stored runs.
* ``regression_checks``: the model checks of a regression model (what applies).
* ``score_column``: the model checks on a score column, for a model that runs elsewhere.
* ``results``: stored runs, results and alerts read back, column distributions, what a new
  run can compare (``run_choices``), the Monitor and Update lifecycle steps.
* ``retrain``: ``retrain_challenger`` (continuous training, with or without an alert).
* ``cli``: ``main``, the command line behind ``python -m core.monitor``.
* ``grid``: the profile grid (which columns are profiled, the bins of a numeric column).
* ``profiles``: ``ColumnProfile`` / ``Profile``, moments and the exact merge of profiles.
* ``profile_store``: ``profile_dataset`` (one set-based pass, stored) and ``get_profile``.
* ``drift``: drift statistics from two profiles and ``compute_drift``.
* ``domain``: multivariate drift by a domain classifier.
* ``performance``: realized and CBPE-estimated performance, calibration.
* ``spark``: the profile pass on Spark (``profile_spark``, the same rows as the DuckDB pass)
  and ``profile_differences``; pyspark is imported only there, when used.
* ``spark_job`` / ``spark_submit``: ``--engine spark``, ``--export-grid``, the profile-rows
  Parquet file (``--output``, ``--import-profiles``) and the ``spark-submit`` entry.
* ``detectors``: Page-Hinkley, DDM and ADWIN (as river's).
"""

from core.db.monitoring import MonitorRunRow
from core.monitoring.checks import schema_changes
from core.monitoring.cli import main
from core.monitoring.model_checks import feature_importance, reference_calibration
from core.monitoring.policies import (
    DECAY_POLICIES,
    POLICIES,
    Policy,
    PolicyConfig,
    default_policies,
    evaluate_policies,
)
from core.monitoring.policy_store import (
    policies_frame,
    project_policies,
    recount_policies,
    save_policies,
)
from core.monitoring.results import (
    RunChoices,
    acknowledge_alert,
    batch_columns,
    column_distribution,
    get_run,
    latest_run,
    list_runs,
    monitor_step,
    open_alerts,
    run_alerts,
    run_choices,
    run_results,
    run_windows,
    score_columns,
    time_columns,
    update_step,
)
from core.monitoring.retrain import RetrainResult, retrain_challenger
from core.monitoring.run import MonitorResult, monitored_columns, run_monitoring
from core.monitoring.settings import WINDOWS, MonitorError, MonitorSettings
from core.monitoring.windows import Windowing, parse_windows

__all__ = [
    "DECAY_POLICIES",
    "POLICIES",
    "WINDOWS",
    "MonitorError",
    "MonitorResult",
    "MonitorRunRow",
    "MonitorSettings",
    "Policy",
    "PolicyConfig",
    "RetrainResult",
    "RunChoices",
    "Windowing",
    "acknowledge_alert",
    "batch_columns",
    "column_distribution",
    "default_policies",
    "evaluate_policies",
    "feature_importance",
    "get_run",
    "latest_run",
    "list_runs",
    "main",
    "monitor_step",
    "monitored_columns",
    "open_alerts",
    "parse_windows",
    "policies_frame",
    "project_policies",
    "recount_policies",
    "reference_calibration",
    "retrain_challenger",
    "run_alerts",
    "run_choices",
    "run_monitoring",
    "run_results",
    "run_windows",
    "save_policies",
    "schema_changes",
    "score_columns",
    "time_columns",
    "update_step",
]
