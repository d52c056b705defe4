"""Alert policies: the rule table, how per-window signals combine into alerts (persistence,
one alert per episode), and each alert's message.

DESIGN
------
A policy reads only a run's stored results (``monitor_results``), so its count on any
stored run can be recomputed when the project's policies change, without rescanning data.
Each policy has a :class:`PolicyConfig`: on or off, a threshold and a persistence (the
windows in a row its signal must hold before it alerts; then one alert per episode, at the
window where the episode reaches that length). A threshold left empty (None) keeps the
thresholds each result row was judged with when the run was made (the scoping contract's
floor and budgets, the run's input-check limits); a number re-judges the stored values.
Windows follow ``window_index`` (:mod:`core.monitoring.windows`): consecutive indices are
windows in a row, whether they are weeks, blocks of rows or batches. A run with fewer
windows than a policy's persistence judges that policy on the windows it has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from core.monitoring.settings import MonitorSettings


@dataclass(frozen=True)
class Policy:
    """A policy of the table: its defaults (``enabled``, ``threshold``, ``persistence``) and
    what its threshold means (``threshold_label``; empty: the policy takes none)."""

    name: str
    severity: str
    description: str
    enabled: bool = True
    threshold: float | None = None
    threshold_label: str = ""
    persistence: int = 1
    naive: bool = False  # counted for comparison: every window, not once per episode


@dataclass(frozen=True)
class PolicyConfig:
    """How a project runs one policy: on or off, its threshold (None: the run's own
    thresholds), and the windows in a row it needs."""

    enabled: bool
    threshold: float | None
    persistence: int


_TARGET = "target of the {} primary metric (empty: the scoping contract's)"

POLICIES = (
    Policy("decay confirmed", "high",
           "Realized primary metric worse than its target for the policy's windows in a "
           "row (labels arrived).", threshold_label=_TARGET.format("realized"), persistence=2),
    Policy("drift and estimated decay", "high",
           "Drift on a top-k feature AND estimated primary metric worse than its target, "
           "for the policy's windows in a row.", threshold_label=_TARGET.format("estimated"),
           persistence=2),
    Policy("dataset drift", "medium",
           "At least the threshold share of the monitored features drifted in a window; "
           "needs no labels and no model.", threshold=0.5, threshold_label="share of drifted features"),
    Policy("output drift", "medium",
           "The model's scores (a regressor's predictions) moved: their PSI against the "
           "reference is above the threshold; needs no labels.",
           threshold_label="score PSI (empty: the run's, 0.2)"),
    Policy("service level", "high", "p95 latency above budget or availability below minimum.",
           threshold_label="p95 latency budget in ms (empty: the scoping contract's)"),
    Policy("input checks", "medium",
           "Unseen categories, values out of the reference range, or more nulls than the "
           "reference.", threshold_label="largest share of bad values (empty: each check's "
           "own: +5 points of nulls, 5% out of range, 1% unseen)"),
    Policy("error-stream detector", "medium",
           "At least the threshold number of Page-Hinkley, DDM and ADWIN detected a change "
           "in the model's error rate within the same window.", threshold=2,
           threshold_label="detectors that must agree (1 to 3)"),
    Policy("any drifted column (naive)", "low",
           "Any column drifted in the window: counted for comparison, not alerted.",
           enabled=False, naive=True),
    Policy("estimated decay only (naive)", "low",
           "Estimated primary metric worse than its target in one window: counted, not "
           "alerted.", enabled=False, threshold_label=_TARGET.format("estimated"), naive=True),
)
BY_NAME = {p.name: p for p in POLICIES}

DECAY_POLICIES = ("decay confirmed", "drift and estimated decay", "error-stream detector")


def default_policies(s: MonitorSettings | None = None) -> dict[str, PolicyConfig]:
    """Every policy's default config; combined policies take the run's ``persistence``."""
    k = s.persistence if s is not None else 2
    return {p.name: PolicyConfig(p.enabled, p.threshold, k if p.persistence > 1 else 1)
            for p in POLICIES}


def _persistent(flags: pd.Series, k: int) -> pd.Series:
    """True where the flag held for the last ``k`` windows in a row.

    >>> _persistent(pd.Series([True, True, False, True, True, True]), 2).tolist()
    [False, True, False, False, True, True]
    """
    return flags.astype(int).rolling(k, min_periods=k).sum().fillna(0).ge(k)


def _rising(flags: pd.Series) -> pd.Series:
    """True at the first window of each run of True (one alert per episode, not per window).

    >>> _rising(pd.Series([True, True, False, True])).tolist()
    [True, False, False, True]
    """
    return flags & ~flags.shift(1, fill_value=False)


def _monitoring_windows(results: pd.DataFrame) -> pd.DataFrame:
    """The results that belong to one of the run's windows, in a frame with the window
    columns (older stored runs get them from ``window_start``)."""
    from core.monitoring.windows import with_window_columns

    r = with_window_columns(results)
    # the domain classifier's coarser periods are not monitoring windows: keep them out of
    # the sequence, or "two windows in a row" would see gaps that are not there
    return r[r["window_index"].notna() & (r["kind"] != "multivariate")].astype(
        {"window_index": "int64"})


def _worse(metric: str, values: pd.Series, target: float) -> pd.Series:
    """Where a metric is worse than its target (below for accuracy-like metrics, above
    for errors such as MAE).

    >>> _worse("recall", pd.Series([0.5, 0.7]), 0.6).tolist(), _worse("mae", pd.Series([3.0]), 2.0).tolist()
    ([True, False], [True])
    """
    from core.scoping.vocabulary import meets

    return values.map(lambda v: bool(v == v and not meets(metric, float(v), target)))


def _judged(r: pd.DataFrame, mask: pd.Series, threshold: float | None, worse: Any) -> pd.Series:
    """The rows of ``mask`` that alert: their stored flag, or ``worse(values, threshold)``
    when the policy sets a threshold."""
    if threshold is None:
        return mask & r["flagged"].fillna(False).astype(bool)
    hit = pd.Series(False, index=r.index)
    hit[mask] = worse(r.loc[mask, "value"], float(threshold)).astype(bool)
    return mask & hit


def _above(values: pd.Series, threshold: float) -> pd.Series:
    return values > threshold


def row_hits(r: pd.DataFrame, s: MonitorSettings, top_features: list[str],
             cfg: Mapping[str, PolicyConfig]) -> dict[str, pd.Series]:
    """For the policies judged row by row, the result rows that alert (a mask over ``r``)."""
    metric = str(s.primary_metric or "accuracy")

    def worse(values: pd.Series, target: float) -> pd.Series:
        return _worse(metric, values, target)

    kind, m = r["kind"], r["metric"]
    flagged = r["flagged"].fillna(False).astype(bool)
    drifted = (kind == "drift") & flagged
    est = m == f"estimated_{metric}"
    p95 = m == "latency_p95_ms"
    budget = cfg["service level"].threshold
    return {
        "decay confirmed": _judged(r, m == f"realized_{metric}",
                                   cfg["decay confirmed"].threshold, worse),
        "drift and estimated decay": _judged(r, est, cfg["drift and estimated decay"].threshold,
                                             worse),
        "top drift": drifted & r["column_name"].isin(top_features),
        "output drift": _judged(r, m == "score_psi", cfg["output drift"].threshold, _above),
        # with a budget of its own the policy re-judges p95 latency; availability as stored
        "service level": ((kind == "software") & flagged & (~p95 if budget is not None else True))
        | _judged(r, (kind == "software") & p95, budget, _above),
        "input checks": _judged(r, kind == "input", cfg["input checks"].threshold, _above),
        "any drifted column (naive)": drifted,
        "estimated decay only (naive)": _judged(
            r, est, cfg["estimated decay only (naive)"].threshold, worse),
    }


def policy_signals(r: pd.DataFrame, s: MonitorSettings, top_features: list[str],
                   policies: Mapping[str, PolicyConfig] | None = None) -> dict[str, pd.Series]:
    """Each policy's raw signal: a boolean per window (by ``window_index``, in order)."""
    cfg = {**default_policies(s), **(policies or {})}
    idx = pd.Index(sorted(r["window_index"].unique()))

    def signal(mask: pd.Series) -> pd.Series:
        return pd.Series(idx.isin(r.loc[mask, "window_index"].unique()), index=idx)

    hits = row_hits(r, s, top_features, cfg)
    sig = {name: signal(mask) for name, mask in hits.items()}
    sig["drift and estimated decay"] = sig["drift and estimated decay"] & sig.pop("top drift")
    sig["dataset drift"] = _dataset_drift(r, idx, cfg["dataset drift"].threshold)
    sig["error-stream detector"] = _detectors(r, idx, cfg["error-stream detector"].threshold)
    return sig


def _dataset_drift(r: pd.DataFrame, idx: pd.Index, threshold: float | None) -> pd.Series:
    """Windows where the share of drifted columns (among those computed) reaches the
    threshold (default 0.5, as the drift report's dataset drift)."""
    from core.monitoring.drift import DRIFT_SHARE

    d = r[(r["kind"] == "drift") & r["flagged"].notna()]
    share = d.groupby("window_index")["flagged"].agg(lambda f: f.astype(bool).mean())
    limit = DRIFT_SHARE if threshold is None else float(threshold)
    return pd.Series(idx.isin(share[share >= limit].index), index=idx)


def _detectors(r: pd.DataFrame, idx: pd.Index, threshold: float | None) -> pd.Series:
    """Windows where at least ``threshold`` (default 2) detectors fired: a detector alone
    is noisy."""
    need = 2 if threshold is None else int(threshold)
    det = r[r["kind"] == "detector"].groupby("window_index")["metric"].nunique()
    return pd.Series(idx.isin(det[det >= need].index), index=idx)


def policy_rules(r: pd.DataFrame, s: MonitorSettings, top_features: list[str],
                 policies: Mapping[str, PolicyConfig] | None = None) -> dict[str, pd.Series]:
    """Each policy's alerting windows: its signal held for its persistence (at most the
    run's number of windows), once per episode; naive policies count every window."""
    cfg = {**default_policies(s), **(policies or {})}
    signals = policy_signals(r, s, top_features, cfg)
    n = len(next(iter(signals.values()))) if signals else 0
    out = {}
    for p in POLICIES:
        sig = signals[p.name]
        k = max(1, min(int(cfg[p.name].persistence), n or 1))
        out[p.name] = sig if p.naive else _rising(_persistent(sig, k))
    return out


def evaluate_policies(results: pd.DataFrame, s: MonitorSettings, top_features: list[str],
                      policies: Mapping[str, PolicyConfig] | None = None
                      ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Combine per-window signals into alerts; returns the alerts and each policy's count
    (a policy that is off is counted, not alerted)."""
    cfg = {**default_policies(s), **(policies or {})}
    r = _monitoring_windows(results)
    rules = policy_rules(r, s, top_features, cfg)
    counts = {name: int(rule.sum()) for name, rule in rules.items()}
    alerts = []
    for policy in POLICIES:
        if not cfg[policy.name].enabled:
            continue
        k = max(1, min(cfg[policy.name].persistence, len(rules[policy.name]) or 1))
        for i in rules[policy.name][rules[policy.name]].index:
            w = r[r["window_index"] == i]
            alerts.append(_alert(policy, replace(cfg[policy.name], persistence=k), w, s,
                                 top_features))
    return pd.DataFrame(alerts), counts


def short_runs(n_windows: int, policies: Mapping[str, PolicyConfig]) -> list[str]:
    """The enabled policies whose persistence exceeds the run's windows (judged on fewer)."""
    return [name for name, c in policies.items() if c.enabled and c.persistence > n_windows]


def window_name(s: MonitorSettings, w: pd.DataFrame) -> str:
    """How a message names a window: "Week of 2025-03-03", "Rows 1–500", "Batch 'lot 7'",
    "The current dataset"."""
    from core.monitoring.windows import parse_windows

    label = str(w["window_label"].iloc[0])
    kind = parse_windows(s.window or "week").kind
    if kind == "time":
        return f"{str(s.window).capitalize()} of {label}"
    if kind == "rows":
        return label[:1].upper() + label[1:]
    if kind == "column":
        return f"Batch {label!r}"
    return "The current dataset"


def _alert(policy: Policy, cfg: PolicyConfig, w: pd.DataFrame, s: MonitorSettings,
           top: list[str]) -> dict:
    """The alert of a policy in one window, with a message naming what was seen."""
    from core.monitoring.alert_messages import message

    row, check, column, msg = message(policy.name, cfg, w, s, top, window_name(s, w))
    return {"window_start": w["window_start"].iloc[0], "window_label": w["window_label"].iloc[0],
            "check_name": check, "column_name": column if isinstance(column, str) else None,
            "value": row["value"], "threshold": row["threshold"] if cfg.threshold is None
            else cfg.threshold, "severity": policy.severity, "policy": policy.name,
            "message": msg}
