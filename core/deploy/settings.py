"""What a rehearsal is asked to do: the patterns, the guardrail metrics, ``RolloutSettings``
and their validation, the canary schedule, and the guardrails that default to the scoping
contract (the page may only tighten them)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd

from core.db.database import Database
from core.errors import StoreError
from core.projects import ColumnRoles

PATTERNS: dict[str, str] = {
    "shadow": "Shadow: the candidate decides beside the incumbent; nothing it says is served",
    "canary": "Canary: route a growing share by a stable hash; roll back on a breach",
    "blue_green": "Blue-green: switch all traffic at once, keep blue warm, roll back at once",
}
# How requests are put in order: by the stream's time column, or as the rows are stored.
ORDERS: dict[str, str] = {
    "time": "Time order: by the stream's time column, in windows of a duration",
    "file": "File order: the rows as stored, in windows of N requests (no time column)",
}
# File order replays request k (0-based) at FILE_ORIGIN + k seconds: one request is one
# second on the replay's clock, so windows, schedules and rollbacks run unchanged, and a
# stored time converts back to a request number (``request_number``).
FILE_ORIGIN = pd.Timestamp("2000-01-01")


class DeployError(StoreError):
    """A simulation that cannot run as asked; the message says what to change."""


class GuardrailMetric(NamedTuple):
    """How a guardrail metric reads: its label, its direction, whether it needs labels, and
    the task it judges ("classification", "regression" or "any")."""

    label: str
    higher_is_better: bool
    needs_labels: bool
    task: str = "classification"


GUARDRAIL_METRICS: dict[str, GuardrailMetric] = {
    "accuracy": GuardrailMetric("Accuracy", True, True),
    "balanced_accuracy": GuardrailMetric("Balanced accuracy", True, True),
    "precision": GuardrailMetric("Precision", True, True),
    "recall": GuardrailMetric("Recall", True, True),
    "specificity": GuardrailMetric("Specificity", True, True),
    "f1": GuardrailMetric("F1", True, True),
    "roc_auc": GuardrailMetric("ROC AUC", True, True),
    "log_loss": GuardrailMetric("Log loss", False, True),
    "brier": GuardrailMetric("Brier score", False, True),
    "error_rate": GuardrailMetric("Wrong decisions served (share)", False, True, "any"),
    "agreement": GuardrailMetric("Agreement with the incumbent", True, False, "any"),
    "fallback_rate": GuardrailMetric("Sent to a human (share)", False, False),
    "p95_latency_ms": GuardrailMetric("p95 latency (ms)", False, False, "any"),
    "availability": GuardrailMetric("Availability", True, False, "any"),
    # regression: ceilings on the mean error of the candidate's predictions
    "mae": GuardrailMetric("MAE", False, True, "regression"),
    "rmse": GuardrailMetric("RMSE", False, True, "regression"),
    "mape": GuardrailMetric("MAPE (share)", False, True, "regression"),
}
TASKS = ("classification", "regression")
# What the task-neutral metrics mean for a regression (the page's help says it).
REGRESSION_MEANINGS = {
    "error_rate": "share of labelled requests whose absolute error exceeds the error tolerance",
    "agreement": "share of requests where both sides' predictions lie within the error "
    "tolerance of each other",
}


def guardrail_metrics(task: str) -> list[str]:
    """The guardrail metrics that can judge a rehearsal of ``task``.

    >>> guardrail_metrics("regression")
    ['error_rate', 'agreement', 'p95_latency_ms', 'availability', 'mae', 'rmse', 'mape']
    """
    return [m for m, g in GUARDRAIL_METRICS.items() if g.task in (task, "any")]
# Used when the project has no scoping contract (or the contract leaves a budget empty).
DEFAULT_GUARDRAILS: dict[str, float] = {
    "accuracy": 0.75,
    "p95_latency_ms": 250.0,
    "availability": 0.99,
}


@dataclass(frozen=True)
class Guardrail:
    """A metric the candidate must keep on the right side of ``threshold`` in every window."""

    metric: str
    threshold: float
    source: str = "page"  # "contract", "default" or "page"

    @property
    def higher_is_better(self) -> bool:
        return GUARDRAIL_METRICS[self.metric].higher_is_better

    @property
    def needs_labels(self) -> bool:
        return GUARDRAIL_METRICS[self.metric].needs_labels

    @property
    def label(self) -> str:
        op = "≥" if self.higher_is_better else "≤"
        return f"{GUARDRAIL_METRICS[self.metric].label} {op} {self.threshold:g}"

    def is_bad(self, value: float) -> bool:
        """Whether ``value`` (a point estimate or a bound) is on the wrong side of the threshold.

        >>> Guardrail("accuracy", 0.8).is_bad(0.79), Guardrail("p95_latency_ms", 250).is_bad(240)
        (True, False)
        """
        return value < self.threshold if self.higher_is_better else value > self.threshold


@dataclass(frozen=True)
class RolloutSettings:
    """Everything a simulation depends on; stored with its results.

    ``window`` is a pandas duration ("1D", "12h", "7D"); with ``order="file"`` (a stream
    without a time column, replayed as its rows are stored) the windows are
    ``window_requests`` requests each instead. ``task`` is the candidate's
    ("classification" or "regression"; set from its training run). ``threshold`` None uses the
    candidate's own decision threshold (from its training run), else 0.5. ``schedule`` are
    canary shares in percent. ``min_confidence``: a candidate decision whose max(p, 1-p) is below it goes to a
    human (0 disables fallbacks). ``label_delay_days``: label guardrails at a window are
    judged on the latest window whose labels have arrived by its end. ``tolerance``
    (regression): a prediction whose absolute error exceeds it is a wrong answer (errors
    exposed, the error-rate guardrail, agreement); None: the MAE guardrail's ceiling.
    """

    pattern: str = "canary"
    window: str = "7D"
    order: str = "time"
    window_requests: int = 1000
    start: datetime | None = None
    end: datetime | None = None
    schedule: tuple[float, ...] = (5.0, 25.0, 50.0, 100.0)
    healthy_windows: int = 2
    switch_at: datetime | None = None
    threshold: float | None = None
    min_confidence: float = 0.0
    overhead_ms: float = 25.0
    jitter_ms: float = 10.0
    timeout_ms: float = 1000.0
    inference_ms: float | None = None
    label_delay_days: float = 0.0
    confidence: float = 0.95
    rollback_seconds: float = 30.0
    seed: int = 0
    # the stream's columns; None: the project's column role (core.projects.ColumnRoles),
    # "": the stream has no such column
    time_column: str | None = None
    key_column: str | None = None
    label_column: str | None = None
    human_column: str | None = None
    latency_column: str | None = None
    status_column: str | None = None
    positive_class: str = "1"
    guardrails: tuple[Guardrail, ...] = ()
    task: str = "classification"
    tolerance: float | None = None

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def error_tolerance(self) -> float | None:
        """The absolute error above which a regression's answer counts as wrong: the
        tolerance set, else the MAE guardrail's ceiling, else None (not known).

        >>> RolloutSettings(task="regression", guardrails=(Guardrail("mae", 40.0),)).error_tolerance
        40.0
        """
        if self.tolerance is not None:
            return float(self.tolerance)
        return next((g.threshold for g in self.guardrails if g.metric == "mae"), None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["guardrails"] = [asdict(g) for g in self.guardrails]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RolloutSettings:
        d = dict(d)
        d["guardrails"] = tuple(Guardrail(**g) for g in d.get("guardrails", []))
        d["schedule"] = tuple(d.get("schedule", ()))
        for k in ("start", "end", "switch_at"):
            if d.get(k) is not None:
                d[k] = pd.Timestamp(d[k]).to_pydatetime()
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    @property
    def file_order(self) -> bool:
        """Replayed in the stored row order (no time column)."""
        return self.order == "file"

    @property
    def window_width(self) -> pd.Timedelta:
        """A window's width on the replay's clock (file order: one second per request).

        >>> RolloutSettings(order="file", window_requests=250).window_width
        Timedelta('0 days 00:04:10')
        """
        if self.file_order:
            return pd.Timedelta(seconds=int(self.window_requests))
        return pd.Timedelta(self.window)


def request_number(at: Any) -> int:
    """The 1-based request number of a time on a file-order replay's clock.

    >>> request_number(FILE_ORIGIN + pd.Timedelta(seconds=41))
    42
    """
    return int((pd.Timestamp(at) - FILE_ORIGIN) / pd.Timedelta(seconds=1)) + 1


def with_column_roles(s: RolloutSettings, roles: ColumnRoles) -> RolloutSettings:
    """Settings whose unset stream columns (None) come from the project's column roles; an
    empty name ("") says the stream has no such column and stays.

    >>> roles = ColumnRoles(time="t", target="y")
    >>> s = with_column_roles(RolloutSettings(label_column=""), roles)
    >>> s.time_column, s.label_column
    ('t', '')
    """

    def pick(column: str | None, role: str | None) -> str | None:
        return role if column is None else column

    return replace(
        s,
        time_column=pick(s.time_column, roles.time),
        key_column=pick(s.key_column, roles.id),
        label_column=pick(s.label_column, roles.target),
        human_column=pick(s.human_column, roles.incumbent),
        latency_column=pick(s.latency_column, roles.latency),
        status_column=pick(s.status_column, roles.status),
    )


# ------------------------------------------------------------------- validation
def validate_settings(s: RolloutSettings) -> list[str]:
    """Problems with the settings, each a sentence saying what to change (empty = fine).

    Examples
    --------
    >>> validate_settings(RolloutSettings(schedule=(5, 5, 100)))
    ['The canary schedule must increase step by step (5% → 5% does not).']
    >>> validate_settings(RolloutSettings(schedule=()))
    ['The canary schedule is empty: give the shares to route, e.g. 5, 25, 50, 100.']
    """
    errors: list[str] = []
    if s.pattern not in PATTERNS:
        errors.append(f"Unknown pattern {s.pattern!r}; use one of {', '.join(PATTERNS)}.")
    errors += _order_errors(s) if s.order != "time" else _window_errors(s.window)
    if s.pattern == "canary":
        errors += _schedule_errors(s)
    if (
        s.pattern == "blue_green"
        and s.switch_at is not None
        and s.start is not None
        and s.switch_at < s.start
    ):
        errors.append("The blue-green switch is before the start of the replay; move it later.")
    if s.task not in TASKS:
        errors.append(f"Unknown task {s.task!r}; use one of {', '.join(TASKS)}.")
    errors += _number_errors(s) if not s.regression else _regression_errors(s)
    errors += _guardrail_errors(s.guardrails, s.task)
    return errors


def _order_errors(s: RolloutSettings) -> list[str]:
    """File order has no dates: every row is replayed, in windows of N requests."""
    if s.order not in ORDERS:
        return [f"Unknown order {s.order!r}; use one of {', '.join(ORDERS)}."]
    errors = []
    if not isinstance(s.window_requests, int) or s.window_requests < 1:
        errors.append("In file order a window is a number of requests: give 1 or more.")
    if s.start is not None or s.end is not None or s.switch_at is not None:
        errors.append(
            "In file order the stream has no dates: leave the start, the end and the "
            "blue-green switch empty (every row is replayed; blue-green switches at the "
            "first request)."
        )
    if s.label_delay_days:
        errors.append(
            "A label delay in days needs a time column: in file order set it to 0, or pick "
            "the stream's time column."
        )
    return errors


def _window_errors(window: str) -> list[str]:
    try:
        if pd.Timedelta(window) <= pd.Timedelta(0):
            return ["The window must be a positive duration such as 1D, 12h or 7D."]
    except (ValueError, TypeError):
        return [f"The window {window!r} is not a duration; write e.g. 1D, 12h or 7D."]
    return []


def _schedule_errors(s: RolloutSettings) -> list[str]:
    errors: list[str] = []
    sched = list(s.schedule)
    if not sched:
        errors.append(
            "The canary schedule is empty: give the shares to route, e.g. 5, 25, 50, 100."
        )
    for a, b in itertools.pairwise(sched):
        if b <= a:
            errors.append(
                f"The canary schedule must increase step by step ({a:g}% → {b:g}% does not)."
            )
            break
    bad = [p for p in sched if not (0 < p <= 100) or not math.isfinite(p)]
    if bad:
        errors.append(
            f"Canary shares are percentages in (0, 100]; {', '.join(f'{p:g}' for p in bad)} is not."
        )
    if s.healthy_windows < 1:
        errors.append("Each canary step needs at least one healthy window before promotion.")
    return errors


def _number_errors(s: RolloutSettings) -> list[str]:
    errors: list[str] = []
    if s.threshold is not None and not 0 <= s.threshold <= 1:
        errors.append("The decision threshold is a probability between 0 and 1.")
    if not 0 <= s.min_confidence <= 1:
        errors.append("The fallback confidence is between 0.5 and 1 (0 turns fallbacks off).")
    if not 0.5 <= s.confidence < 1:
        errors.append("The guardrail confidence is between 0.5 and 1 (e.g. 0.95).")
    for name in ("overhead_ms", "jitter_ms", "timeout_ms", "label_delay_days", "rollback_seconds"):
        v = getattr(s, name)
        if not math.isfinite(v) or v < 0:
            errors.append(f"{name} cannot be negative.")
    if s.inference_ms is not None and s.inference_ms < 0:
        errors.append("inference_ms cannot be negative.")
    return errors


def _regression_errors(s: RolloutSettings) -> list[str]:
    """A regression has no decision threshold and no confidence to fall back on."""
    errors = []
    if s.threshold is not None:
        errors.append("A regression model has no decision threshold: leave it empty.")
    if s.min_confidence:
        errors.append(
            "The human fallback works on a classifier's confidence: set it to 0 for a "
            "regression model."
        )
    if s.tolerance is not None and not (math.isfinite(s.tolerance) and s.tolerance > 0):
        errors.append("The error tolerance is an absolute error above 0 (e.g. the MAE target).")
    if s.error_tolerance is None and any(g.metric == "error_rate" for g in s.guardrails):
        errors.append(
            "The error-rate guardrail of a regression counts predictions off by more than "
            "the error tolerance: set the tolerance (or an MAE guardrail), or remove it."
        )
    s0 = replace(s, threshold=None, min_confidence=0.0)
    return errors + _number_errors(s0)


def _guardrail_errors(guardrails: Sequence[Guardrail], task: str = "classification") -> list[str]:
    errors: list[str] = []
    for g in guardrails:
        if g.metric not in GUARDRAIL_METRICS:
            errors.append(
                f"No guardrail metric {g.metric!r}; use one of {', '.join(guardrail_metrics(task))}."
            )
        elif not math.isfinite(g.threshold):
            errors.append(f"The guardrail {g.metric} needs a finite threshold.")
        elif g.metric not in guardrail_metrics(task):
            kind = "a regression" if task == "regression" else "a classification"
            errors.append(
                f"{GUARDRAIL_METRICS[g.metric].label} cannot judge {kind} model: use one of "
                f"{', '.join(guardrail_metrics(task))}."
            )
    return errors


def parse_schedule(text: str) -> tuple[float, ...]:
    """Read "5, 25, 50, 100" (or with % signs / arrows) into shares.

    >>> parse_schedule("5% → 25%, 50 100")
    (5.0, 25.0, 50.0, 100.0)
    """
    cleaned = text.replace("%", " ").replace("→", " ").replace(",", " ").replace(";", " ")
    try:
        return tuple(float(t) for t in cleaned.split())
    except ValueError as exc:
        raise DeployError(f"The schedule {text!r} must be numbers such as 5, 25, 50, 100.") from exc


# ------------------------------------------------------------------- guardrails
def default_guardrails(
    store: Database | None, project_id: int | None, task: str | None = None
) -> tuple[list[Guardrail], list[str]]:
    """Guardrails from the project's scoping contract, else ``DEFAULT_GUARDRAILS``; plus notes.

    ``task`` (default: the contract's) keeps the metrics that can judge it: a regression's
    label guardrails are the contract's MAE, RMSE and MAPE (target and ceilings)."""
    from core.scoping import get_contract

    notes: list[str] = []
    contract = None
    if store is not None and project_id is not None:
        contract = get_contract(store, project_id)
    if task is None:
        task = task_of_contract(contract)
    usable = guardrail_metrics(task)
    out: dict[str, Guardrail] = {}
    if contract is not None:
        metrics = []
        if contract.primary is not None:
            metrics.append((contract.primary.name, contract.primary.target))
        metrics += [(f.name, f.floor) for f in contract.secondary]
        for name, value in metrics:
            if name in usable and value is not None and name not in out:
                out[name] = Guardrail(name, float(value), "contract")
            elif name not in usable:
                notes.append(f"The contract's {name} is not judged per window here (no guardrail).")
        for name, value in (
            ("p95_latency_ms", contract.p95_latency_ms),
            ("availability", contract.min_availability),
            ("error_rate", contract.error_budget),
        ):
            if value is not None:
                out[name] = Guardrail(name, float(value), "contract")
    else:
        notes.append("No scoping contract: the guardrails are the workbench defaults.")
    for name, value in DEFAULT_GUARDRAILS.items():
        if name in ("p95_latency_ms", "availability") and name not in out:
            out[name] = Guardrail(name, value, "default")
    if task == "regression":
        if not any(g.needs_labels for g in out.values()):
            notes.append(
                "The contract sets no MAE, RMSE or MAPE target: add an MAE or RMSE ceiling "
                "below, or the model's errors are not judged (the rehearsal is then 'not "
                "judged')."
            )
    elif not any(g.needs_labels for g in out.values()):
        out.setdefault("accuracy", Guardrail("accuracy", DEFAULT_GUARDRAILS["accuracy"], "default"))
    return list(out.values()), notes


def task_of_contract(contract: Any) -> str:
    """ "regression" for a regression brief, else "classification" (also without a brief)."""
    return "regression" if getattr(contract, "task_type", None) == "regression" else "classification"


def contract_tolerance(store: Database, project_id: int) -> float | None:
    """The brief's MAE (primary target, else secondary ceiling): the default error tolerance
    of a regression rehearsal; None when the brief sets no MAE."""
    from core.scoping import get_contract

    contract = get_contract(store, project_id)
    if contract is None:
        return None
    value = contract.thresholds().get("mae")
    return None if value is None else float(value)


def looser_than_contract(
    guardrails: Sequence[Guardrail], contract_rails: Sequence[Guardrail]
) -> list[str]:
    """Guardrails set looser than the contract's (the page may only tighten them)."""
    base = {g.metric: g for g in contract_rails if g.source == "contract"}
    out = []
    for g in guardrails:
        c = base.get(g.metric)
        if c is None:
            continue
        if (g.higher_is_better and g.threshold < c.threshold) or (
            not g.higher_is_better and g.threshold > c.threshold
        ):
            out.append(f"{g.label} is looser than the contract's {c.threshold:g}.")
    return out


def guardrails_frame(guardrails: Sequence[Guardrail]) -> pd.DataFrame:
    """Guardrails as an editable table (metric, threshold, source)."""
    return pd.DataFrame(
        [{"metric": g.metric, "threshold": g.threshold, "source": g.source} for g in guardrails],
        columns=["metric", "threshold", "source"],
    )


def guardrails_from_frame(frame: pd.DataFrame) -> tuple[Guardrail, ...]:
    """Read the edited table back; empty rows are dropped, bad ones named."""
    out, bad = [], []
    for _, r in frame.iterrows():
        metric = r.get("metric")
        if (
            metric is None
            or (isinstance(metric, float) and math.isnan(metric))
            or str(metric).strip() == ""
        ):
            continue
        try:
            thr = float(r.get("threshold"))  # pyright: ignore[reportArgumentType]
        except (TypeError, ValueError):
            thr = float("nan")
        if str(metric) not in GUARDRAIL_METRICS or not math.isfinite(thr):
            bad.append(str(metric))
            continue
        out.append(Guardrail(str(metric), thr, str(r.get("source") or "page")))
    if bad:
        raise DeployError(f"Guardrail rows need a known metric and a number: fix {', '.join(bad)}.")
    return tuple(out)
