"""What a monitoring run checks: its settings, their defaults (scoping contract, column
roles), the time periods, and the error a user can act on (the windows of a run, with or
without a time column, are :mod:`core.monitoring.windows`')."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from core.db.database import Database
from core.errors import StoreError
from core.projects import ColumnRoles

WINDOWS = {"day": "1 day", "week": "1 week", "month": "1 month"}


class MonitorError(StoreError):
    """A monitoring run cannot start; the message says what to change."""



@dataclass(frozen=True)
class MonitorSettings:
    """What a monitoring run checks and its thresholds (None: from the scoping contract)."""

    time_column: str | None = None  # None: the project's time column role
    # day / week / month (of the time column), all, rows:N or column:NAME
    # (core.monitoring.windows); None: week with a time column, else all
    window: str | None = None
    latency_column: str | None = None  # None: the project's latency column role
    status_column: str | None = None  # None: the project's status column role
    label_column: str | None = None  # default: the project's target role, else the run's
    # the scores of a model that runs elsewhere, for a run without a registered model;
    # None: the project's score role; "": none (data checks only)
    score_column: str | None = None
    score_threshold: float = 0.5  # a score column's decision cut (score >= cut: positive)
    fallback_confidence: float = 0.7  # max(p, 1 - p) below this goes to a human
    fallback_share_max: float = 0.35
    null_rate_increase: float = 0.05
    out_of_range_max: float = 0.05
    unseen_max: float = 0.01
    output_psi_max: float = 0.2
    top_k: int = 5
    persistence: int = 2  # windows in a row a combined policy needs (unless the project's
    # alert policies say otherwise: core.monitoring.policy_store)
    min_labels: int = 100  # realized metrics need this many labelled rows in a window
    primary_metric: str | None = None
    primary_floor: float | None = None
    p95_latency_ms: float | None = None
    min_availability: float | None = None
    drift_methods: dict[str, Any] | None = None
    domain_sample: int = 600
    domain_window: str = "month"  # the domain classifier is costlier: coarser windows
    seed: int = 0


def contract_defaults(store: Database, project_id: int, s: MonitorSettings) -> MonitorSettings:
    """Fill thresholds the user left empty from the scoping contract, else house defaults.

    A project without a brief has no contract (``get_contract`` returns None) and gets the
    house defaults; a brief that cannot be read raises.
    """
    from core.scoping import get_contract

    c = get_contract(store, project_id)
    metric = s.primary_metric or (c.primary.name if c and c.primary else None) or "accuracy"
    floor = s.primary_floor
    if floor is None:
        floor = c.primary.target if c and c.primary and c.primary.name == metric else None
    return replace(
        s,
        primary_metric=metric,
        primary_floor=floor,
        p95_latency_ms=s.p95_latency_ms or (c.p95_latency_ms if c else None) or 250.0,
        min_availability=s.min_availability or (c.min_availability if c else None) or 0.99,
    )


def with_column_roles(s: MonitorSettings, roles: ColumnRoles) -> MonitorSettings:
    """Settings whose unset columns come from the project's column roles.

    >>> with_column_roles(MonitorSettings(), ColumnRoles(time="at", target="y")).time_column
    'at'
    """
    return replace(
        s,
        time_column=s.time_column or roles.time,
        latency_column=s.latency_column or roles.latency,
        status_column=s.status_column or roles.status,
        label_column=s.label_column or roles.target,
        score_column=(roles.score if s.score_column is None else s.score_column) or None,
    )


def drop_missing_log_columns(s: MonitorSettings, cols: dict[str, str]) -> MonitorSettings:
    """Settings without a latency or status column the current data does not have."""
    return replace(
        s,
        latency_column=s.latency_column if s.latency_column in cols else None,
        status_column=s.status_column if s.status_column in cols else None,
    )


def window_starts(ts: pd.Series, window: str) -> pd.Series:
    """The start of each timestamp's window: its day, its week (Monday) or its month.

    >>> window_starts(pd.Series(pd.to_datetime(["2025-03-05 10:00"])), "week").iloc[0]
    Timestamp('2025-03-03 00:00:00')
    """
    t = pd.to_datetime(ts)
    if window == "day":
        return t.dt.floor("D")
    if window == "week":
        return (t - pd.to_timedelta(t.dt.day_of_week, unit="D")).dt.floor("D")
    return t.dt.to_period("M").dt.start_time
