"""A project's alert policies: read (defaults where none is stored), checked and saved, and
their counts recomputed on every stored run from its stored results (no data rescanned).

DESIGN
------
Policies are stored per project in ``alert_policies`` (one row per policy: on or off,
threshold, persistence), not in the scoping brief: they are monitoring's operating
settings, changed as a team learns which alarms are worth a look, while the brief is the
signed-off contract whose floors and budgets they default to. Every save is audited. The
next runs read them; stored runs keep the alerts they raised, and :func:`recount_policies`
shows what each policy would count on them now.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pandas as pd

from core.db import monitoring as monitoring_db
from core.db.database import Database
from core.monitoring.policies import (
    BY_NAME,
    POLICIES,
    PolicyConfig,
    default_policies,
    evaluate_policies,
)
from core.monitoring.settings import MonitorError, MonitorSettings

MAX_PERSISTENCE = 12


def project_policies(store: Database, project_id: int, s: MonitorSettings | None = None
                     ) -> dict[str, PolicyConfig]:
    """The project's policies: the stored ones, defaults for the rest."""
    out = default_policies(s)
    stored = monitoring_db.list_alert_policies(store, project_id)
    for row in stored.itertuples(index=False):
        if row.policy in out:
            threshold = None if pd.isna(row.threshold) else float(row.threshold)
            out[row.policy] = PolicyConfig(bool(row.enabled), threshold, int(row.persistence))
    return out


def policies_frame(store: Database, project_id: int) -> pd.DataFrame:
    """One row per policy for display: policy, severity, on, threshold (as text: a number,
    "(the run's own)" or "(none)"), windows in a row, what the threshold means, the rule,
    and who changed it last."""
    cfg = project_policies(store, project_id)
    stored = monitoring_db.list_alert_policies(store, project_id).set_index("policy")
    rows = []
    for p in POLICIES:
        c = cfg[p.name]
        threshold = ("(none)" if not p.threshold_label else
                     "(the run's own)" if c.threshold is None else f"{c.threshold:g}")
        rows.append({
            "policy": p.name, "severity": p.severity, "on": c.enabled, "threshold": threshold,
            "windows in a row": c.persistence, "threshold means": p.threshold_label or "(none)",
            "rule": p.description,
            "changed by": stored.at[p.name, "updated_by"] if p.name in stored.index else "",
        })
    return pd.DataFrame(rows)


def check_policies(configs: dict[str, PolicyConfig]) -> None:
    """MonitorError naming the policy and the field when a setting cannot hold."""
    for name, c in configs.items():
        p = BY_NAME.get(name)
        if p is None:
            raise MonitorError(f"Unknown alert policy {name!r}.")
        if not 1 <= int(c.persistence) <= MAX_PERSISTENCE:
            raise MonitorError(f"{name}: windows in a row must be between 1 and "
                               f"{MAX_PERSISTENCE}, not {c.persistence}.")
        t = c.threshold
        if t is None:
            continue
        if not p.threshold_label:
            raise MonitorError(f"{name}: this policy takes no threshold; leave it empty.")
        if t != t:
            raise MonitorError(f"{name}: the threshold is not a number.")
        _check_range(name, float(t))


def _check_range(name: str, t: float) -> None:
    limits = {"dataset drift": (0.0, 1.0, "a share above 0 and at most 1"),
              "input checks": (0.0, 1.0, "a share above 0 and at most 1"),
              "output drift": (0.0, float("inf"), "a PSI above 0"),
              "service level": (0.0, float("inf"), "a latency in ms above 0")}
    if name in limits:
        lo, hi, what = limits[name]
        if not lo < t <= hi:
            raise MonitorError(f"{name}: the threshold must be {what}, not {t:g}.")
    if name == "error-stream detector" and t not in (1, 2, 3):
        raise MonitorError(f"{name}: the threshold counts detectors: 1, 2 or 3, not {t:g}.")


def save_policies(store: Database, project_id: int, configs: dict[str, PolicyConfig],
                  actor: str) -> None:
    """Check and store the project's policies (every policy; missing ones keep their
    current setting); nothing is stored when one is wrong."""
    merged = {**project_policies(store, project_id), **configs}
    check_policies(merged)
    rows = [(name, c.enabled, c.threshold, int(c.persistence)) for name, c in merged.items()]
    monitoring_db.save_alert_policies(store, project_id, rows, actor)


def stored_settings(settings: dict[str, Any]) -> MonitorSettings:
    """A stored run's settings as MonitorSettings (fields it does not know are ignored)."""
    known = {f.name for f in fields(MonitorSettings)}
    return MonitorSettings(**{k: v for k, v in settings.items() if k in known})


def recount_policies(store: Database, project_id: int,
                     configs: dict[str, PolicyConfig] | None = None) -> pd.DataFrame:
    """Each policy's count on every stored run of the project: as counted when the run was
    made, and under ``configs`` (default: the project's policies), from the stored results.

    Columns: run_id, run (a label), policy, counted then, count now, alerts now (0 for a
    policy that is off).
    """
    from core.monitoring.results import list_runs, run_results

    runs = list_runs(store, project_id)
    rows = []
    for r in runs.itertuples(index=False):
        run = monitoring_db.get_monitor_run(store, int(r.id))
        if run is None:
            continue
        s = stored_settings(run.settings)
        cfg = configs or project_policies(store, project_id, s)
        results = run_results(store, run.id)
        top = list(run.summary.get("top_features") or [])
        _, counts = evaluate_policies(results, s, top, cfg)
        before = run.summary.get("policy_counts", {})
        label = f"#{run.id} · {r.current_dataset} · {run.time_window}"
        for p in POLICIES:
            rows.append({"run_id": run.id, "run": label, "policy": p.name,
                         "counted then": before.get(p.name), "count now": counts[p.name],
                         "alerts now": counts[p.name] if cfg[p.name].enabled else 0})
    return pd.DataFrame(rows, columns=["run_id", "run", "policy", "counted then", "count now",
                                       "alerts now"])
