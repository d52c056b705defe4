"""Reading monitoring back: stored runs, their results and alerts, a column's distribution
from the stored profiles, what a new run can be pointed at, and the lifecycle steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import monitoring as monitoring_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.monitoring import MonitorRunRow
from core.db.training import ModelVersionRow
from core.db.types import is_datetime
from core.monitoring.settings import MonitorError

REFERENCE_ROLES = ("training", "reference")


# ------------------------------------------------------------------- runs and alerts
def latest_run(store: Database, project_id: int) -> MonitorRunRow | None:
    """The project's newest monitoring run, or None."""
    return monitoring_db.latest_monitor_run(store, project_id)


def get_run(store: Database, run_id: int) -> MonitorRunRow:
    """A stored monitoring run; MonitorError when it does not exist."""
    run = monitoring_db.get_monitor_run(store, run_id)
    if run is None:
        raise MonitorError("That monitoring run does not exist (any more).")
    return run


def list_runs(store: Database, project_id: int) -> pd.DataFrame:
    """The project's runs, newest first (id, current dataset name, window, source, time)."""
    return monitoring_db.list_monitor_runs(store, project_id)


def run_results(store: Database, run_id: int) -> pd.DataFrame:
    """A run's long results table (kind, window start, column, metric, value, threshold,
    flag, note, window label and index)."""
    from core.monitoring.windows import with_window_columns

    return with_window_columns(monitoring_db.monitor_results(store, run_id))


def run_windows(store: Database, run_id: int) -> pd.DataFrame:
    """A run's windows in order: window_index, window_label, window_start (NaT for windows
    that are not periods), indexed 0, 1, ..."""
    r = run_results(store, run_id)
    r = r[r["window_index"].notna() & (r["kind"] != "multivariate")]
    w = (r.sort_values("window_index").drop_duplicates("window_index")
         [["window_index", "window_label", "window_start"]])
    return w.reset_index(drop=True)


def run_alerts(store: Database, project_id: int, run_id: int) -> pd.DataFrame:
    """A run's alerts, open or acknowledged, in window order."""
    return monitoring_db.list_alerts(store, project_id, run_id=run_id)


def open_alerts(store: Database, project_id: int) -> pd.DataFrame:
    """The project's alerts nobody has acknowledged yet."""
    return monitoring_db.list_alerts(store, project_id, status="open")


def acknowledge_alert(store: Database, alert_id: int, actor: str) -> None:
    """Mark an open alert as seen (audited); StoreError if it is gone or done already."""
    monitoring_db.acknowledge_alert(store, alert_id, actor)


# ------------------------------------------------------------ what a run can compare
@dataclass(frozen=True)
class RunChoices:
    """What a new monitoring run can be pointed at, and the defaults to offer."""

    datasets: dict[int, DatasetRow]  # every dataset of the project, by id
    references: list[int]  # training or reference datasets (else all)
    productions: list[int]  # production datasets (else all)
    versions: list[ModelVersionRow]  # active model versions
    champion_id: int | None
    time_role: str | None  # the project's time column
    score_role: str | None = None  # the project's score column (a model that runs elsewhere)


def run_choices(store: Database, project_id: int) -> RunChoices:
    """The project's datasets by role, its active model versions, its time and score
    columns."""
    from core.projects import column_roles
    from core.training import registry

    datasets = datasets_db.list_datasets(store, project_id)
    by_id = {d.id: d for d in datasets}
    champion = registry.get_champion(store, project_id)
    roles = column_roles(store, project_id)
    return RunChoices(
        datasets=by_id,
        references=[d.id for d in datasets if d.role in REFERENCE_ROLES] or list(by_id),
        productions=[d.id for d in datasets if d.role == "production"] or list(by_id),
        versions=[v for v in registry.list_versions(store, project_id) if v.status == "active"],
        champion_id=champion.id if champion else None,
        time_role=roles.time,
        score_role=roles.score,
    )


def time_columns(store: Database, dataset_id: int) -> list[str]:
    """The dataset's date and timestamp columns (a run's windows need one)."""
    return [c for c, t in datasets_db.dataset_schema(store, dataset_id) if is_datetime(t)]


def score_columns(store: Database, dataset_id: int) -> list[str]:
    """The dataset's numeric columns: those that can hold a model's scores or predictions."""
    from core.db.types import is_numeric

    return [c for c, t in datasets_db.dataset_schema(store, dataset_id) if is_numeric(t)]


def batch_columns(store: Database, dataset_id: int) -> list[str]:
    """Columns that can name a batch (text, integers, dates, booleans; not measurements
    with decimals), for windows by a batch column."""
    from core.db.types import column_kind

    return [c for c, t in datasets_db.dataset_schema(store, dataset_id)
            if column_kind(t) in ("string", "integer", "datetime", "boolean")]


# ------------------------------------------------------------------- distributions
def column_distribution(store: Database, summary: dict[str, Any], column: str, window: Any,
                        n_bins: int = 30) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Reference vs one window's distribution of a column, read from the stored profiles.

    ``window`` is the window's label (or, for a time window, its start).

    Numeric columns: the fine grid regrouped into ``n_bins`` reference-quantile bins plus
    below / above the reference range; categorical: shares per category (unseen included).
    """
    from core.monitoring.profile_store import get_profile
    from core.monitoring.profiles import ALL

    ref_p = get_profile(store, int(summary["reference_profile_id"])).total()
    cur_p = get_profile(store, int(summary["current_profile_id"]))
    spec = ref_p.spec.get(column)
    rc = ref_p.column(column, ALL)
    cc = next((c for c in cur_p.columns if c.column == column and _same_window(c, window)),
              None)
    if spec is None or rc is None or cc is None:
        raise MonitorError(f"No stored profile of {column!r} for that window.")
    if spec["kind"] == "numeric":
        labels, rv, cv = _numeric_bins(rc, cc, spec, n_bins)
        kind = "numeric"
    else:
        rmap, cmap = rc.category_map(), cc.category_map()
        labels = list(dict.fromkeys([*rmap, *cmap]))
        rv = [rmap.get(k, 0) for k in labels] + [rc.other]
        cv = [cmap.get(k, 0) for k in labels] + [cc.other]
        labels = [*labels, "(other)"]
        kind = "categorical"

    def frame(v: list) -> pd.DataFrame:
        shares = np.asarray(v, dtype=float)
        return pd.DataFrame({"bin": labels, "share": shares / max(shares.sum(), 1)})

    return frame(rv), frame(cv), kind


def _same_window(c: Any, window: Any) -> bool:
    """Whether a profile entry is the window named by a label or a period's start."""
    if isinstance(window, str):
        return c.window == window
    return c.window_start is not None and pd.Timestamp(c.window_start) == pd.Timestamp(window)


def _numeric_bins(rc: Any, cc: Any, spec: dict[str, Any], n_bins: int
                  ) -> tuple[list[str], list[float], list[float]]:
    """The fine grid regrouped into ``n_bins`` bins of equal reference mass, with a bin
    below and one above the reference range: labels, reference counts, current counts."""
    from core.monitoring.grid import numeric_edges
    from core.monitoring.profiles import dense_counts

    edges = numeric_edges(spec)
    r, c = dense_counts(rc, spec), dense_counts(cc, spec)
    cum = np.cumsum(r) / max(r.sum(), 1)
    cuts = np.unique(np.searchsorted(cum, np.linspace(0, 1, n_bins + 1)[1:-1]))
    groups = [g for g in np.split(np.arange(len(r)), cuts + 1) if len(g)]
    labels = [f"{edges[g[0]]:.4g}–{edges[g[-1] + 1]:.4g}" for g in groups]
    rv = [r[g].sum() for g in groups]
    cv = [c[g].sum() for g in groups]
    return (["below range", *labels, "above range"], [rc.below, *rv, rc.above],
            [cc.below, *cv, cc.above])


# ------------------------------------------------------------------ lifecycle steps
def monitor_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Monitor is done when a run exists and every alert is acknowledged."""
    latest = latest_run(store, project_id)
    if latest is None:
        return ("not started", "No production window has been checked.",
                "Profile the production stream against the reference.")
    n_runs = len(list_runs(store, project_id))
    open_ = open_alerts(store, project_id)
    evidence = f"{n_runs} run(s); latest: {latest.summary.get('windows')} windows, "
    if len(open_):
        return ("in progress", evidence + f"{len(open_)} open alert(s).",
                "Review the alerts; acknowledge or retrain.")
    return ("done", evidence + "no open alert.", "Keep monitoring new production batches.")


def update_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Update is done when a retrained challenger exists (a dataset made for retraining)."""
    from core.monitoring.retrain import RETRAIN_PREFIX

    retrains = [d for d in datasets_db.list_datasets(store, project_id)
                if d.name.startswith(RETRAIN_PREFIX)]
    if retrains:
        return ("done", f"{len(retrains)} retraining dataset(s); latest {retrains[-1].name}.",
                "Rehearse the challenger's canary on the Deployment page.")
    if len(open_alerts(store, project_id)):
        return ("in progress", "Alerts are open and no retraining ran yet.",
                "Retrain a challenger from the Monitoring page.")
    return ("not started", "No retraining has been triggered.",
            "Retrain a challenger from the Monitoring page when an alert fires or fresh "
            "labels arrive.")
