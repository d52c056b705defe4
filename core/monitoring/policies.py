"""Alert policies: the rule table, how per-window signals combine into alerts (persistence,
one alert per episode), and each alert's message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.monitoring.settings import MonitorSettings


@dataclass(frozen=True)
class Policy:
    name: str
    severity: str
    description: str
    enabled: bool = True


POLICIES = (
    Policy("decay confirmed", "high",
           "Realized primary metric below its floor for `persistence` windows (labels arrived)."),
    Policy("drift and estimated decay", "high",
           "Drift on a top-k feature AND estimated primary metric below its floor, "
           "for `persistence` windows."),
    Policy("service level", "high", "p95 latency above budget or availability below minimum."),
    Policy("input checks", "medium",
           "Unseen categories, values out of the reference range, or more nulls than the reference."),
    Policy("error-stream detector", "medium",
           "At least two of Page-Hinkley, DDM and ADWIN detected a change in the model's "
           "error rate within the same window."),
    Policy("any drifted column (naive)", "low",
           "Any column drifted in the window: counted for comparison, not alerted.", enabled=False),
    Policy("estimated decay only (naive)", "low",
           "Estimated primary metric below floor in one window: counted, not alerted.",
           enabled=False),
)

DECAY_POLICIES = ("decay confirmed", "drift and estimated decay", "error-stream detector")


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
    """The results that belong to a monitoring window, with one timestamp type."""
    r = results[results["window_start"].notna()].copy()
    r["window_start"] = pd.to_datetime(r["window_start"])  # one type, or windows split in two
    # the monthly domain-classifier periods are not monitoring windows: keep them out of the
    # sequence, or "two windows in a row" would see gaps that are not there
    return r[r["kind"] != "multivariate"]


def policy_signals(r: pd.DataFrame, s: MonitorSettings, top_features: list[str]
                   ) -> dict[str, pd.Series]:
    """Each policy's alerting windows (a boolean per window, in window order)."""
    idx = pd.Index(sorted(r["window_start"].unique()))

    def signal(mask: pd.Series) -> pd.Series:
        hit = r[mask].groupby("window_start").size()
        return pd.Series(idx.isin(hit.index), index=idx)

    flagged = r["flagged"].fillna(False).astype(bool)
    metric = s.primary_metric
    drift_any = signal((r["kind"] == "drift") & flagged)
    drift_top = signal((r["kind"] == "drift") & flagged & r["column_name"].isin(top_features))
    est_low = signal((r["metric"] == f"estimated_{metric}") & flagged)
    real_low = signal((r["metric"] == f"realized_{metric}") & flagged)
    service = signal((r["kind"] == "software") & flagged)
    inputs = signal((r["kind"] == "input") & flagged)
    # a detector alone is noisy: alert when at least two of the three agree within a window
    det = r[r["kind"] == "detector"].groupby("window_start")["metric"].nunique()
    detector = pd.Series(idx.isin(det[det >= 2].index), index=idx)
    k = s.persistence
    return {
        "decay confirmed": _rising(_persistent(real_low, k)),
        "drift and estimated decay": _rising(_persistent(drift_top & est_low, k)),
        "service level": _rising(service),
        "input checks": _rising(inputs),
        "error-stream detector": _rising(detector),
        "any drifted column (naive)": drift_any,
        "estimated decay only (naive)": est_low,
    }


def evaluate_policies(results: pd.DataFrame, s: MonitorSettings, top_features: list[str]
                      ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Combine per-window signals into alerts; returns the alerts and each policy's count."""
    r = _monitoring_windows(results)
    rules = policy_signals(r, s, top_features)
    counts = {name: int(rule.sum()) for name, rule in rules.items()}
    alerts = []
    for policy in POLICIES:
        if not policy.enabled:
            continue
        for start in rules[policy.name][rules[policy.name]].index:
            w = r[r["window_start"] == start]
            alerts.append(_alert(policy, start, w, s, top_features))
    return pd.DataFrame(alerts), counts


def _alert(policy: Policy, start: Any, w: pd.DataFrame, s: MonitorSettings, top: list[str]
           ) -> dict:
    """The alert of a policy in one window, with a message naming what was seen."""
    day = pd.Timestamp(start).strftime("%Y-%m-%d")
    metric = s.primary_metric
    floor = s.primary_floor if s.primary_floor is not None else float("nan")
    flagged = w[w["flagged"].fillna(False).astype(bool)]
    if policy.name == "decay confirmed":
        row = w[w["metric"] == f"realized_{metric}"].iloc[0]
        msg = (f"Realized {metric} {row['value']:.3f} below floor {floor:.3f} for "
               f"{s.persistence} windows up to the {s.window} of {day}: the model decays "
               "(concept drift?).")
        return _alert_row(policy, start, "realized_" + str(metric), None, row, msg)
    if policy.name == "drift and estimated decay":
        cols = sorted(set(flagged[(flagged["kind"] == "drift")]["column_name"]) & set(top))
        row = w[w["metric"] == f"estimated_{metric}"].iloc[0]
        msg = (f"Top features drifted ({', '.join(cols)}) and estimated {metric} "
               f"{row['value']:.3f} is below {floor:.3f} for {s.persistence} windows "
               f"up to {day}.")
        return _alert_row(policy, start, "estimated_" + str(metric), ", ".join(cols), row, msg)
    if policy.name == "error-stream detector":
        d = w[w["kind"] == "detector"].drop_duplicates("metric")
        msg = ("Change in the error rate: " + "; ".join(
            f"{m} {n}" for m, n in d[["metric", "note"]].itertuples(index=False)) + ".")
        return _alert_row(policy, start, str(d.iloc[0]["metric"]), None, d.iloc[0], msg)
    kind = "software" if policy.name == "service level" else "input"
    others = flagged[flagged["kind"] == kind]
    row = others.iloc[0]
    what = "; ".join(
        (f"{m} {v:.2%}" if m in ("availability", "error_rate") or m.endswith("share")
         else f"{m} {v:.3g}") + (f" on {c}" if isinstance(c, str) else "")
        for m, v, c in others[["metric", "value", "column_name"]].head(4).itertuples(index=False)
    )
    msg = f"{s.window.capitalize()} of {day}: {what}."
    return _alert_row(policy, start, str(row["metric"]), row["column_name"], row, msg)


def _alert_row(policy: Policy, start: Any, check: str, column: Any, row: pd.Series, msg: str
               ) -> dict:
    return {"window_start": start, "check_name": check,
            "column_name": column if isinstance(column, str) else None,
            "value": row["value"], "threshold": row["threshold"], "severity": policy.severity,
            "policy": policy.name, "message": msg}
