"""Scoping: the project brief and the metrics contract that every later stage checks.

DESIGN
------
* A ``Brief`` is what a team writes down before building: the business problem, f(x) = y,
  economic value, ML and software metrics, baselines, feasibility, ethics, governance,
  milestones. Its measurable part is the ``Contract`` (targets, floors, costs, budgets,
  sensitive columns, baselines) that training, error analysis, deployment and monitoring
  read through ``get_contract``.
* Every save is a new version (JSON in ``scoping_briefs``, with author and time); nothing is
  ever overwritten, so a diff of any two versions is always possible.
* ``validate_brief`` returns field-level messages; ``save_brief`` refuses to store a brief
  with any of them, so a target that cannot hold never becomes a contract.
* ``to_markdown`` writes a brief a stakeholder can read; ``from_markdown`` parses the same
  document back into an equal brief (the round trip is tested), so an edited export can be
  imported again.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db import scoping as scoping_db
from core.db.database import Database
from core.db.datasets import ROW_ID
from core.errors import StoreError
from core.training.metrics import LABELS as M_LABELS

# ---------------------------------------------------------------- vocabulary
METRICS: dict[str, bool] = {
    # name -> higher is better (training reports the same names)
    "accuracy": True,
    "balanced_accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "roc_auc": True,
    "pr_auc": True,
    "log_loss": False,
    "brier": False,
    "mae": False,
    "rmse": False,
    "r2": True,
}
METRIC_LABELS: dict[str, str] = {
    name: M_LABELS[name]
    for name in ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc",
                 "pr_auc", "log_loss", "brier", "mae", "rmse", "r2")
}
# (low, high) a value can take; None = unbounded on that side
METRIC_RANGE: dict[str, tuple[float | None, float | None]] = {
    "accuracy": (0.0, 1.0),
    "balanced_accuracy": (0.0, 1.0),
    "precision": (0.0, 1.0),
    "recall": (0.0, 1.0),
    "f1": (0.0, 1.0),
    "roc_auc": (0.0, 1.0),
    "pr_auc": (0.0, 1.0),
    "log_loss": (0.0, None),
    "brier": (0.0, 1.0),
    "mae": (0.0, None),
    "rmse": (0.0, None),
    "r2": (None, 1.0),
}
REGRESSION_METRICS = frozenset({"mae", "rmse", "r2"})
TASK_TYPES: dict[str, str] = {
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "regression": "Regression",
}
BASELINE_KINDS: dict[str, str] = {
    "hlp": "Human-level performance",
    "existing": "Existing system or process",
    "sota": "Open source / state of the art",
}
AUTOMATION: dict[str, str] = {
    "": "Not decided yet",
    "assist": "Complement: the model advises, a human decides every case",
    "partial": "Supplement: the model decides confident cases, humans the rest",
    "full": "Automate: the model decides, humans audit samples",
    "new": "New process: nobody makes this decision today",
}
GOVERNANCE_ITEMS: dict[str, tuple[str, str]] = {
    "data_ownership": (
        "Data ownership",
        (
            "Who owns the data and on what terms we may use it. The service does not own "
            "customer data: name the owner and the agreement that grants access."
        ),
    ),
    "retention": (
        "Retention",
        "How long training data, predictions and logs are kept, and how they are deleted.",
    ),
    "consent": (
        "Consent and legal basis",
        (
            "The legal basis for using personal data for this purpose (consent, contract, "
            "legitimate interest) and how people are informed."
        ),
    ),
    "explainability": (
        "Explainability",
        "What a person affected by a decision can be told about why, and who tells them.",
    ),
    "audit": (
        "Audit trail",
        (
            "Which decisions, model versions and data versions are logged so that a decision "
            "can be reconstructed later."
        ),
    ),
    "regulation": (
        "Regulation",
        (
            "Which rules apply (e.g. GDPR art. 22, the EU AI Act risk class, sector rules) and "
            "who signed off."
        ),
    ),
}
GOVERNANCE_STATUS = ("open", "in progress", "done", "not applicable")


class ScopingError(StoreError, ValueError):
    """A brief that cannot be saved; ``errors`` maps a field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        lines = [m for msgs in errors.values() for m in msgs]
        super().__init__("The brief was not saved: " + " ".join(lines))


# ------------------------------------------------------------------ contract
@dataclass(frozen=True)
class MetricTarget:
    """The primary ML metric and the value a model must reach."""

    name: str
    target: float


@dataclass(frozen=True)
class MetricFloor:
    """A secondary metric and its worst acceptable value (a ceiling when lower is better)."""

    name: str
    floor: float


@dataclass(frozen=True)
class Baseline:
    """A reference performance: ``kind`` is "hlp", "existing" or "sota"."""

    kind: str
    value: float | None
    metric: str
    source: str


@dataclass(frozen=True)
class Contract:
    """The measurable part of a brief that later stages check against.

    ``min_availability`` and ``error_budget`` are shares in 0..1; ``error_budget`` is the
    largest share of wrong decisions the service may serve. Costs are per decision, in
    the brief's currency.
    """

    task_type: str = "binary"
    target_column: str | None = None
    positive_class: str | None = None
    feature_columns: list[str] = field(default_factory=list)
    primary: MetricTarget | None = None
    secondary: list[MetricFloor] = field(default_factory=list)
    cost_fp: float | None = None
    cost_fn: float | None = None
    p95_latency_ms: float | None = None
    min_throughput_rps: float | None = None
    min_availability: float | None = None
    error_budget: float | None = None
    sensitive_columns: list[str] = field(default_factory=list)
    baselines: dict[str, Baseline] = field(default_factory=dict)

    @property
    def hlp(self) -> Baseline | None:
        """The human-level performance baseline, when it has a value."""
        b = self.baselines.get("hlp")
        return b if b is not None and b.value is not None else None

    def thresholds(self) -> dict[str, float]:
        """Metric name -> the value a model must meet (primary target and secondary floors)."""
        out = (
            {self.primary.name: self.primary.target} if self.primary is not None else {}
        )
        for f in self.secondary:
            out.setdefault(f.name, f.floor)  # the primary target is the stricter one
        return out

    def check_metrics(self, metrics: dict[str, float]) -> list[MetricCheck]:
        """Compare measured metrics (e.g. a run's test metrics) with the contract.

        Examples
        --------
        >>> c = Contract(primary=MetricTarget("recall", 0.7), secondary=[MetricFloor("log_loss", 0.5)])
        >>> [(k.name, k.passed) for k in c.check_metrics({"recall": 0.72, "log_loss": 0.61})]
        [('recall', True), ('log_loss', False)]
        """
        checks = []
        for name, threshold in self.thresholds().items():
            value = metrics.get(name)
            ok = None if value is None else meets(name, value, threshold)
            role = (
                "target"
                if self.primary is not None and name == self.primary.name
                else "floor"
            )
            checks.append(MetricCheck(name, role, threshold, value, ok))
        return checks

    def expected_cost(self, n_fp: float, n_fn: float) -> float | None:
        """Cost of the wrong decisions, from the per-decision costs (None if not set).

        Examples
        --------
        >>> Contract(cost_fp=40.0, cost_fn=600.0).expected_cost(10, 2)
        1600.0
        """
        if self.cost_fp is None or self.cost_fn is None:
            return None
        return float(n_fp * self.cost_fp + n_fn * self.cost_fn)

    def cost_threshold(self) -> float | None:
        """The probability above which flagging a case is cheaper than not (Bayes rule).

        Examples
        --------
        >>> Contract(cost_fp=40.0, cost_fn=600.0).cost_threshold()
        0.0625
        """
        if (
            self.cost_fp is None
            or self.cost_fn is None
            or self.cost_fp + self.cost_fn <= 0
        ):
            return None
        return self.cost_fp / (self.cost_fp + self.cost_fn)


@dataclass(frozen=True)
class MetricCheck:
    name: str
    role: str  # "target" or "floor"
    threshold: float
    value: float | None
    passed: bool | None  # None when the metric was not measured


def meets(name: str, value: float, threshold: float) -> bool:
    """Whether ``value`` of metric ``name`` is at least as good as ``threshold``.

    >>> meets("recall", 0.8, 0.75), meets("mae", 12.0, 10.0)
    (True, False)
    """
    return value >= threshold if METRICS.get(name, True) else value <= threshold


# --------------------------------------------------------------------- brief
@dataclass(frozen=True)
class GovernanceItem:
    status: str = "open"
    note: str = ""


@dataclass(frozen=True)
class Milestone:
    name: str
    due: date | None = None
    owner: str = ""
    done: bool = False


def _default_governance() -> dict[str, GovernanceItem]:
    return {k: GovernanceItem() for k in GOVERNANCE_ITEMS}


@dataclass(frozen=True)
class Brief:
    """A project brief; ``contract`` is its measurable part."""

    problem: str = ""
    decision: str = ""
    automation: str = ""
    x_description: str = ""
    y_description: str = ""
    business_metric: str = ""
    business_unit: str = ""
    business_current: float | None = None
    business_target: float | None = None
    currency: str = "EUR"
    feasibility_data: str = ""
    feasibility_signal: str = ""
    diligence: str = ""
    affected_groups: str = ""
    bias_risks: str = ""
    governance: dict[str, GovernanceItem] = field(default_factory=_default_governance)
    milestones: list[Milestone] = field(default_factory=list)
    resources: str = ""
    contract: Contract = field(default_factory=Contract)


@dataclass(frozen=True)
class BriefVersion:
    version: int
    created_at: datetime
    created_by: str
    note: str
    brief: Brief


TEXT_FIELDS = (
    "problem",
    "decision",
    "x_description",
    "y_description",
    "feasibility_data",
    "feasibility_signal",
    "diligence",
    "affected_groups",
    "bias_risks",
    "resources",
)


def _clean_text(s: Any) -> str:
    return str(s or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _clean_line(s: Any) -> str:
    return " ".join(str(s or "").split())


def _clean_num(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return math.nan  # validation reports it
    return x


def _clean_cols(cols: Any) -> list[str]:
    seen: dict[str, None] = {}
    for c in cols or []:
        c = str(c).strip()
        if c:
            seen[c] = None
    return list(seen)


def normalize_brief(brief: Brief) -> Brief:
    """Trim text, drop empty rows and duplicates, so equal content compares equal."""
    c = brief.contract
    secondary = [
        MetricFloor(f.name.strip(), _clean_num(f.floor))
        for f in c.secondary
        if f.name and f.name.strip() and _clean_num(f.floor) is not None
    ]
    baselines = {}
    order = list(BASELINE_KINDS)
    for kind, b in sorted(
        c.baselines.items(),
        key=lambda kv: (
            kv[0] not in order,
            order.index(kv[0]) if kv[0] in order else 0,
            kv[0],
        ),
    ):
        value, source = _clean_num(b.value), _clean_line(b.source)
        if value is None and not source:
            continue
        baselines[kind] = Baseline(kind, value, (b.metric or "").strip(), source)
    primary = c.primary
    if primary is not None:
        t = _clean_num(primary.target)
        primary = (
            None if not primary.name or t is None else MetricTarget(primary.name, t)
        )
    contract = replace(
        c,
        target_column=(c.target_column or "").strip() or None,
        positive_class=_clean_line(c.positive_class) or None,
        feature_columns=_clean_cols(c.feature_columns),
        primary=primary,
        secondary=secondary,
        cost_fp=_clean_num(c.cost_fp),
        cost_fn=_clean_num(c.cost_fn),
        p95_latency_ms=_clean_num(c.p95_latency_ms),
        min_throughput_rps=_clean_num(c.min_throughput_rps),
        min_availability=_clean_num(c.min_availability),
        error_budget=_clean_num(c.error_budget),
        sensitive_columns=_clean_cols(c.sensitive_columns),
        baselines=baselines,
    )
    governance = _default_governance()
    for k, g in brief.governance.items():
        governance[k] = GovernanceItem(
            g.status if g.status in GOVERNANCE_STATUS else "open", _clean_line(g.note)
        )
    milestones = [
        Milestone(_clean_line(m.name), m.due, _clean_line(m.owner), bool(m.done))
        for m in brief.milestones
        if _clean_line(m.name) or m.due is not None or _clean_line(m.owner)
    ]
    texts = {name: _clean_text(getattr(brief, name)) for name in TEXT_FIELDS}
    return replace(
        brief,
        **texts,
        business_metric=_clean_line(brief.business_metric),
        business_unit=_clean_line(brief.business_unit),
        business_current=_clean_num(brief.business_current),
        business_target=_clean_num(brief.business_target),
        currency=_clean_line(brief.currency),
        automation=brief.automation if brief.automation in AUTOMATION else "",
        governance=governance,
        milestones=milestones,
        contract=contract,
    )


# ------------------------------------------------------------- serialization
def brief_to_dict(brief: Brief) -> dict[str, Any]:
    d = asdict(brief)
    d["milestones"] = [
        {**m, "due": m["due"].isoformat() if m["due"] else None}
        for m in d["milestones"]
    ]
    return d


def _parse_date(v: Any) -> date | None:
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, datetime | pd.Timestamp):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v).strip()[:10])


def brief_from_dict(d: dict[str, Any]) -> Brief:
    """Rebuild a brief from its JSON form; unknown keys are ignored (newer versions)."""
    c = dict(d.get("contract") or {})
    primary = c.get("primary")
    contract = Contract(
        **{k: v for k, v in c.items() if k in _CONTRACT_SCALARS},
        feature_columns=list(c.get("feature_columns") or []),
        sensitive_columns=list(c.get("sensitive_columns") or []),
        primary=MetricTarget(**primary) if primary else None,
        secondary=[MetricFloor(**f) for f in c.get("secondary") or []],
        baselines={k: Baseline(**b) for k, b in (c.get("baselines") or {}).items()},
    )
    governance = _default_governance()
    governance.update(
        {k: GovernanceItem(**g) for k, g in (d.get("governance") or {}).items()}
    )
    milestones = [
        Milestone(
            m.get("name", ""),
            _parse_date(m.get("due")),
            m.get("owner", ""),
            bool(m.get("done")),
        )
        for m in d.get("milestones") or []
    ]
    scalars = {k: v for k, v in d.items() if k in _BRIEF_SCALARS}
    return Brief(
        **scalars, governance=governance, milestones=milestones, contract=contract
    )


_CONTRACT_SCALARS = {f.name for f in fields(Contract)} - {
    "feature_columns",
    "sensitive_columns",
    "primary",
    "secondary",
    "baselines",
}
_BRIEF_SCALARS = {f.name for f in fields(Brief)} - {
    "governance",
    "milestones",
    "contract",
}


# ---------------------------------------------------------------- validation
def _bad_number(x: float | None) -> bool:
    return x is not None and not math.isfinite(x)


def _metric_range_error(name: str, value: float, what: str) -> str | None:
    if not math.isfinite(value):
        return f"{what} must be a number."
    low, high = METRIC_RANGE.get(name, (None, None))
    label = METRIC_LABELS.get(name, name)
    if low is not None and value < low or high is not None and value > high:
        span = (
            f"between {low:g} and {high:g}"
            if low is not None and high is not None
            else f"at least {low:g}"
            if low is not None
            else f"at most {high:g}"
        )
        return f"{what}: {label} is {span}; {value:g} cannot be reached."
    return None


def validate_brief(
    brief: Brief, columns: set[str] | None = None
) -> dict[str, list[str]]:
    """Field-level problems that make a brief unsavable (empty dict = valid).

    ``columns`` are the columns of the project's datasets; when given (and not empty), the
    target, input and sensitive columns must be among them.

    Examples
    --------
    >>> b = Brief(contract=Contract(primary=MetricTarget("recall", 1.4)))
    >>> validate_brief(b)
    {'primary': ['Primary target: Recall is between 0 and 1; 1.4 cannot be reached.']}
    """
    errors: dict[str, list[str]] = {}

    def err(key: str, msg: str) -> None:
        errors.setdefault(key, []).append(msg)

    c = brief.contract
    task = c.task_type
    if task not in TASK_TYPES:
        err(
            "task_type",
            f"Task type {task!r} is unknown; choose one of {', '.join(TASK_TYPES)}.",
        )

    def fits_task(name: str, key: str, what: str) -> bool:
        if name not in METRICS:
            err(key, f"{what}: {name!r} is not a known metric.")
            return False
        if task in TASK_TYPES and (name in REGRESSION_METRICS) != (
            task == "regression"
        ):
            kind = "regression" if name in REGRESSION_METRICS else "classification"
            err(
                key,
                f"{what}: {METRIC_LABELS[name]} is a {kind} metric, but the task is "
                f"{TASK_TYPES[task].lower()}.",
            )
            return False
        return True

    if c.primary is not None and fits_task(c.primary.name, "primary", "Primary metric"):
        msg = _metric_range_error(c.primary.name, c.primary.target, "Primary target")
        if msg:
            err("primary", msg)
    seen: set[str] = set()
    for f in c.secondary:
        if f.name in seen:
            err(
                "secondary",
                f"Secondary metric {f.name!r} is listed twice; keep one floor.",
            )
        seen.add(f.name)
        if not fits_task(f.name, "secondary", "Secondary metric"):
            continue
        msg = _metric_range_error(f.name, f.floor, f"Floor of {METRIC_LABELS[f.name]}")
        if msg:
            err("secondary", msg)
        elif (
            c.primary is not None
            and f.name == c.primary.name
            and not meets(f.name, c.primary.target, f.floor)
        ):
            word = "above" if METRICS[f.name] else "below"
            err(
                "secondary",
                f"The floor of {METRIC_LABELS[f.name]} ({f.floor:g}) is {word} "
                f"its target ({c.primary.target:g}); a floor must be easier "
                "to meet than the target.",
            )
    positive = {
        "cost_fp": "Cost of a false positive",
        "cost_fn": "Cost of a false negative",
    }
    for key, label in positive.items():
        v = getattr(c, key)
        if _bad_number(v):
            err(key, f"{label} must be a number.")
        elif v is not None and v < 0:
            err(
                key,
                f"{label} cannot be negative ({v:g}); enter what one such error costs.",
            )
    for key, label in {
        "p95_latency_ms": "p95 latency",
        "min_throughput_rps": "Throughput",
    }.items():
        v = getattr(c, key)
        if _bad_number(v):
            err(key, f"{label} must be a number.")
        elif v is not None and v <= 0:
            err(key, f"{label} must be above 0 ({v:g} cannot be met).")
    if c.min_availability is not None:
        v = c.min_availability
        if not (math.isfinite(v) and 0 < v <= 1):
            err(
                "min_availability",
                f"Availability is a share between 0 and 1 (e.g. 0.995 for "
                f"99.5%); {v:g} is not.",
            )
    if c.error_budget is not None:
        v = c.error_budget
        if not (math.isfinite(v) and 0 <= v <= 1):
            err(
                "error_budget",
                f"The error budget is a share between 0 and 1 (e.g. 0.1); "
                f"{v:g} is not.",
            )
    for kind, b in c.baselines.items():
        label = BASELINE_KINDS.get(kind)
        if label is None:
            err(
                "baselines",
                f"Baseline kind {kind!r} is unknown; use hlp, existing or sota.",
            )
            continue
        if b.value is None:
            continue
        if not b.metric:
            err(
                f"baseline_{kind}",
                f"{label}: name the metric its value {b.value:g} is in.",
            )
        elif b.metric not in METRICS:
            err(f"baseline_{kind}", f"{label}: {b.metric!r} is not a known metric.")
        else:
            msg = _metric_range_error(b.metric, b.value, label)
            if msg:
                err(f"baseline_{kind}", msg)
    for key in ("business_current", "business_target"):
        if _bad_number(getattr(brief, key)):
            err(key, "The business metric's values must be numbers.")
    for i, m in enumerate(brief.milestones, 1):
        if not m.name:
            err("milestones", f"Milestone {i} has no name.")
    if columns:
        if c.target_column and c.target_column not in columns:
            err(
                "target_column",
                f"The target column {c.target_column!r} is not in the "
                "project's datasets; pick one of their columns.",
            )
        for key, cols in (
            ("feature_columns", c.feature_columns),
            ("sensitive_columns", c.sensitive_columns),
        ):
            missing = [col for col in cols if col not in columns]
            if missing:
                err(key, f"Not in the project's datasets: {', '.join(missing)}.")
    if c.target_column and c.target_column in c.feature_columns:
        err(
            "feature_columns",
            f"The target {c.target_column!r} cannot also be an input.",
        )
    return errors


def check_brief(brief: Brief, columns: set[str] | None = None) -> list[str]:
    """What a brief still lacks for a go decision (empty = ready); see ``readiness``."""
    c = brief.contract
    out: list[str] = []
    if not brief.problem or not brief.decision:
        out.append(
            "Business problem: describe the problem and the decision the model supports."
        )
    if not brief.automation:
        out.append(
            "Business problem: say whether the model complements or supplements people."
        )
    if not c.target_column:
        out.append("f(x) = y: choose the target column y.")
    if not c.feature_columns:
        out.append("f(x) = y: choose the input columns x.")
    if c.task_type == "binary" and not c.positive_class:
        out.append("f(x) = y: name the positive class (the outcome the model flags).")
    if c.primary is None:
        out.append("ML metrics: choose a primary metric and give its target.")
    if c.task_type != "regression" and (c.cost_fp is None or c.cost_fn is None):
        out.append(
            "Economic value: enter the cost of a false positive and of a false negative."
        )
    if not brief.business_metric or brief.business_target is None:
        out.append("Economic value: name the business metric and its target.")
    if c.p95_latency_ms is None or c.min_availability is None:
        out.append(
            "Software metrics: set the p95 latency and availability the service must meet."
        )
    if c.hlp is None:
        out.append(
            "Baselines: no human-level performance (HLP) yet; enter it or measure it on "
            "the Labeling page."
        )
    if not brief.feasibility_data or not brief.feasibility_signal:
        out.append(
            "Feasibility: say whether the data exist and whether they carry signal."
        )
    if not c.sensitive_columns and not brief.bias_risks:
        out.append(
            "Ethics: name the sensitive columns whose slices must be checked, or explain "
            "under bias risks why there are none."
        )
    for key, (label, _) in GOVERNANCE_ITEMS.items():
        status = brief.governance.get(key, GovernanceItem()).status
        if status not in ("done", "not applicable"):
            out.append(f"Governance: {label.lower()} is {status}.")
    if not any(m.due for m in brief.milestones):
        out.append("Milestones: add at least one milestone with a date.")
    for msgs in validate_brief(brief, columns).values():
        out.extend(f"Fix: {m}" for m in msgs)
    return out


# --------------------------------------------------------------------- store
def project_columns(store: Database, project_id: int) -> dict[str, list[str]]:
    """Column name -> the project's datasets that have it (the choices for x, y, sensitive)."""
    out: dict[str, list[str]] = {}
    for ds in datasets_db.list_datasets(store, project_id):
        for name, _ in datasets_db.dataset_schema(store, ds.id):
            if name != ROW_ID:
                out.setdefault(name, []).append(ds.name)
    return out


def save_brief(
    store: Database, project_id: int, brief: Brief, actor: str, note: str = ""
) -> int:
    """Validate and save a brief as the project's next version; returns the version number.

    Raises ``ScopingError`` (nothing saved) when a field is invalid.
    """
    brief = normalize_brief(brief)
    errors = validate_brief(brief, set(project_columns(store, project_id)))
    if errors:
        raise ScopingError(errors)
    payload = json.dumps(brief_to_dict(brief), sort_keys=True)
    return scoping_db.insert_brief_version(store, project_id, payload, _clean_line(note), actor)


def _version(row: tuple) -> BriefVersion:
    version, created_at, created_by, note, payload = row
    return BriefVersion(
        int(version), created_at, created_by, note, brief_from_dict(json.loads(payload))
    )


def get_brief(
    store: Database, project_id: int, version: int | None = None
) -> BriefVersion | None:
    """One saved version of the brief (default the latest), or None."""
    row = scoping_db.get_brief_version(store, project_id, version)
    return _version(row) if row else None


def list_versions(store: Database, project_id: int) -> pd.DataFrame:
    """The brief's history, newest first: version, saved at, by, note."""
    rows = scoping_db.list_brief_versions(store, project_id)
    return pd.DataFrame(rows, columns=["version", "saved_at", "by", "note"])


def get_contract(store: Database, project_id: int) -> Contract | None:
    """The contract of the latest saved brief, or None when no brief exists."""
    v = get_brief(store, project_id)
    return v.brief.contract if v else None


def readiness(store: Database, project_id: int) -> list[str]:
    """What is still missing for a go decision (empty = ready)."""
    v = get_brief(store, project_id)
    if v is None:
        return [
            (
                "No project brief is saved yet: write the problem, f(x) = y, metrics and "
                "baselines on the Scoping page."
            )
        ]
    return check_brief(v.brief, set(project_columns(store, project_id)))


def record_baseline(
    store: Database,
    project_id: int,
    kind: str,
    value: float,
    metric: str,
    source: str,
    actor: str,
) -> int:
    """Save a new version of the brief with one baseline set (e.g. a measured HLP).

    Only the baseline is validated, so a measurement can be recorded even while the rest of
    the brief is incomplete. Returns the new version number.
    """
    if kind not in BASELINE_KINDS:
        raise ScopingError(
            {
                "baselines": [
                    f"Baseline kind {kind!r} is unknown; use hlp, existing or sota."
                ]
            }
        )
    baseline = Baseline(kind, _clean_num(value), metric, _clean_line(source))
    if baseline.value is None or not source.strip():
        raise ScopingError(
            {f"baseline_{kind}": ["A recorded baseline needs a value and a source."]}
        )
    probe = validate_brief(
        Brief(
            contract=Contract(
                task_type="regression" if metric in REGRESSION_METRICS else "binary",
                baselines={kind: baseline},
            )
        )
    )
    if probe:
        raise ScopingError(probe)
    current = get_brief(store, project_id)
    brief = normalize_brief(current.brief if current else Brief())
    contract = replace(
        brief.contract, baselines={**brief.contract.baselines, kind: baseline}
    )
    payload = json.dumps(
        brief_to_dict(replace(brief, contract=contract)), sort_keys=True
    )
    note = f"{BASELINE_KINDS[kind]} recorded: {metric} {baseline.value:g} ({baseline.source})"
    return scoping_db.insert_brief_version(store, project_id, payload, note, actor)


# ---------------------------------------------------------------------- diff
def _fmt(v: Any) -> str:
    if v is None or v == "" or v == []:
        return "—"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def flatten_brief(brief: Brief) -> dict[str, str]:
    """Every field of a brief as (label -> display text), in the brief's order."""
    c = brief.contract
    out: dict[str, str] = {}
    for key, label in _TEXT_LABELS.items():
        out[label] = _fmt(getattr(brief, key))
    out["Degree of automation"] = (
        AUTOMATION.get(brief.automation, "") if brief.automation else "—"
    )
    out["Business metric"] = _fmt(brief.business_metric)
    out["Business metric unit"] = _fmt(brief.business_unit)
    out["Business metric, current"] = _fmt(brief.business_current)
    out["Business metric, target"] = _fmt(brief.business_target)
    out["Currency"] = _fmt(brief.currency)
    out["Task type"] = TASK_TYPES.get(c.task_type, c.task_type)
    out["Target column (y)"] = _fmt(c.target_column)
    out["Positive class"] = _fmt(c.positive_class)
    out["Input columns (x)"] = _fmt(c.feature_columns)
    out["Primary metric"] = (
        f"{c.primary.name} ≥ {c.primary.target:g}"
        if c.primary and METRICS.get(c.primary.name, True)
        else (f"{c.primary.name} ≤ {c.primary.target:g}" if c.primary else "—")
    )
    for f in c.secondary:
        op = "≥" if METRICS.get(f.name, True) else "≤"
        out[f"Secondary: {f.name}"] = f"{op} {f.floor:g}"
    for key, label in _CONTRACT_NUM_LABELS.items():
        out[label] = _fmt(getattr(c, key))
    out["Sensitive columns"] = _fmt(c.sensitive_columns)
    for kind, label in BASELINE_KINDS.items():
        b = c.baselines.get(kind)
        out[f"Baseline: {label}"] = (
            "—"
            if b is None
            else f"{b.metric} {_fmt(b.value)} (source: {_fmt(b.source)})"
        )
    for key, (label, _) in GOVERNANCE_ITEMS.items():
        g = brief.governance.get(key, GovernanceItem())
        out[f"Governance: {label}"] = g.status + (f" — {g.note}" if g.note else "")
    for i, m in enumerate(brief.milestones, 1):
        out[f"Milestone {i}"] = f"{m.name} · due {_fmt(m.due)} · {_fmt(m.owner)}" + (
            " · done" if m.done else ""
        )
    return out


def diff_briefs(old: Brief, new: Brief) -> pd.DataFrame:
    """The fields that differ between two briefs: field, before, after."""
    a, b = flatten_brief(old), flatten_brief(new)
    keys = list(dict.fromkeys([*b, *a]))
    rows = [
        {"field": k, "before": a.get(k, "—"), "after": b.get(k, "—")}
        for k in keys
        if a.get(k, "—") != b.get(k, "—")
    ]
    return pd.DataFrame(rows, columns=["field", "before", "after"])


def contract_frame(contract: Contract) -> pd.DataFrame:
    """The contract as the checks later stages run: check, threshold, checked by."""
    rows = []
    for name, threshold in contract.thresholds().items():
        op = "≥" if METRICS.get(name, True) else "≤"
        role = (
            "target" if contract.primary and contract.primary.name == name else "floor"
        )
        rows.append(
            (
                f"{METRIC_LABELS.get(name, name)} ({role})",
                f"{op} {threshold:g}",
                "Training (run vs contract), Deployment (guardrail), Monitoring (alert)",
            )
        )
    if contract.cost_fp is not None and contract.cost_fn is not None:
        rows.append(
            (
                "Cost of FP / FN",
                f"{contract.cost_fp:g} / {contract.cost_fn:g}",
                "Training (business value, threshold)",
            )
        )
    for key, label, op, used in (
        ("p95_latency_ms", "p95 latency (ms)", "≤", "Deployment guardrail, Monitoring"),
        ("min_throughput_rps", "Throughput (requests/s)", "≥", "Monitoring"),
        ("min_availability", "Availability", "≥", "Deployment guardrail, Monitoring"),
        ("error_budget", "Wrong decisions served (share)", "≤", "Deployment guardrail"),
    ):
        v = getattr(contract, key)
        if v is not None:
            rows.append((label, f"{op} {v:g}", used))
    if contract.sensitive_columns:
        rows.append(
            (
                "Sensitive slices",
                ", ".join(contract.sensitive_columns),
                "Error analysis (slice gaps)",
            )
        )
    for kind, b in contract.baselines.items():
        if b.value is not None:
            rows.append(
                (
                    f"Baseline: {BASELINE_KINDS.get(kind, kind)}",
                    f"{b.metric} {b.value:g}",
                    "Training, Error analysis (gap to baseline)",
                )
            )
    return pd.DataFrame(rows, columns=["check", "threshold", "checked by"])


_TEXT_LABELS = {
    "problem": "Business problem",
    "decision": "Decision",
    "x_description": "What x is",
    "y_description": "What y is",
    "feasibility_data": "Data available?",
    "feasibility_signal": "Predictive signal?",
    "diligence": "Diligence",
    "affected_groups": "Affected groups",
    "bias_risks": "Bias risks",
    "resources": "Resources",
}
_CONTRACT_NUM_LABELS = {
    "cost_fp": "Cost of a false positive",
    "cost_fn": "Cost of a false negative",
    "p95_latency_ms": "p95 latency (ms)",
    "min_throughput_rps": "Minimum throughput (requests/s)",
    "min_availability": "Minimum availability (share)",
    "error_budget": "Error budget (share of wrong decisions served)",
}


# ------------------------------------------------------------------ markdown
# The export is a readable document with a fixed shape: "## " sections, "- **Label:** value"
# bullets, tables with known headers and "### Label" free-text blocks that run to the next
# heading. Lines of free text that start with "#" or "\" get a leading "\" so they can never
# be read as a heading.
_EMPTY_TEXT = "_Not answered yet._"
_NONE = "—"


def _num(v: float | None) -> str:
    if v is None:
        return _NONE
    r = repr(float(v))
    return r.removesuffix(".0")


def _cols(cols: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in cols) if cols else _NONE


def _cell(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|") if s else _NONE


def _text_block(label: str, text: str) -> list[str]:
    body = [
        ("\\" + ln if ln.startswith(("#", "\\")) else ln) for ln in text.split("\n")
    ]
    return [f"### {label}", "", *(body if text else [_EMPTY_TEXT]), ""]


def _bullet(label: str, value: str) -> str:
    return f"- **{label}:** {value if value else _NONE}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return [*out, ""]


def to_markdown(
    brief: Brief, title: str = "", version: BriefVersion | None = None
) -> str:
    """The brief as a Markdown document a stakeholder can read; ``from_markdown`` reads it back.

    Examples
    --------
    >>> b = Brief(problem="Too many claims are investigated.", contract=Contract(cost_fp=40.0))
    >>> from_markdown(to_markdown(b)) == normalize_brief(b)
    True
    """
    b, c = normalize_brief(brief), normalize_brief(brief).contract
    lines = [f"# Project brief: {title}" if title else "# Project brief", ""]
    if version is not None:
        lines += [
            (
                f"> Version {version.version}, saved {version.created_at:%Y-%m-%d %H:%M} UTC by "
                f"{version.created_by}. Exported from the ML Production Workbench."
            ),
            "",
        ]

    def op(name: str) -> str:
        return "≥" if METRICS.get(name, True) else "≤"

    lines += [
        "## Business problem",
        "",
        _bullet(
            "Degree of automation", AUTOMATION[b.automation] if b.automation else ""
        ),
        "",
        *_text_block("Business problem", b.problem),
        *_text_block("Decision", b.decision),
    ]
    lines += [
        "## f(x) = y",
        "",
        _bullet("Task type", TASK_TYPES.get(c.task_type, c.task_type)),
        _bullet("Target column (y)", f"`{c.target_column}`" if c.target_column else ""),
        _bullet("Positive class", c.positive_class or ""),
        _bullet("Input columns (x)", _cols(c.feature_columns)),
        "",
        *_text_block("What x is", b.x_description),
        *_text_block("What y is", b.y_description),
    ]
    lines += [
        "## Economic value",
        "",
        _bullet("Business metric", b.business_metric),
        _bullet("Unit", b.business_unit),
        _bullet("Current value", _num(b.business_current)),
        _bullet("Target value", _num(b.business_target)),
        _bullet("Currency", b.currency),
        _bullet("Cost of a false positive", _num(c.cost_fp)),
        _bullet("Cost of a false negative", _num(c.cost_fn)),
        "",
    ]
    primary = (
        f"{c.primary.name} {op(c.primary.name)} {_num(c.primary.target)}"
        if c.primary
        else ""
    )
    lines += ["## ML and software metrics", "", _bullet("Primary metric", primary), ""]
    lines += _table(
        ["Secondary metric", "Floor"],
        [[f.name, f"{op(f.name)} {_num(f.floor)}"] for f in c.secondary],
    )
    lines += [
        _bullet(label, _num(getattr(c, key)))
        for key, label in _CONTRACT_NUM_LABELS.items()
        if key not in ("cost_fp", "cost_fn")
    ]
    lines += ["", "## Baselines", ""]
    lines += _table(
        ["Baseline", "Value", "Metric", "Source"],
        [
            [BASELINE_KINDS[k], _num(bl.value), bl.metric, bl.source]
            for k, bl in c.baselines.items()
            if k in BASELINE_KINDS
        ],
    )
    lines += [
        "## Feasibility and diligence",
        "",
        *_text_block("Data available?", b.feasibility_data),
        *_text_block("Predictive signal?", b.feasibility_signal),
        *_text_block("Diligence", b.diligence),
    ]
    lines += [
        "## Ethics",
        "",
        _bullet("Sensitive columns", _cols(c.sensitive_columns)),
        "",
        *_text_block("Affected groups", b.affected_groups),
        *_text_block("Bias risks", b.bias_risks),
    ]
    lines += ["## Governance and regulation", ""]
    lines += _table(
        ["Governance item", "Status", "Note"],
        [
            [label, b.governance[k].status, b.governance[k].note]
            for k, (label, _) in GOVERNANCE_ITEMS.items()
        ],
    )
    lines += ["## Milestones and resources", ""]
    lines += _table(
        ["Milestone", "Due", "Owner", "Done"],
        [
            [
                m.name,
                m.due.isoformat() if m.due else "",
                m.owner,
                "yes" if m.done else "no",
            ]
            for m in b.milestones
        ],
    )
    lines += _text_block("Resources", b.resources)
    return "\n".join(lines).rstrip() + "\n"


_BULLET = re.compile(r"^- \*\*(.+?):\*\* ?(.*)$")


def _split_row(line: str) -> list[str]:
    inner = line.strip()
    inner = inner.removeprefix("|")
    # split on pipes not escaped by an odd number of backslashes
    parts, buf, i = [], "", 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            buf += inner[i : i + 2]
            i += 2
            continue
        if ch == "|":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
        i += 1
    if buf.strip():
        parts.append(buf)
    return [re.sub(r"\\(.)", r"\1", p.strip()) for p in parts]


def _parse_sections(
    text: str,
) -> tuple[dict[str, str], dict[str, str], dict[str, list[list[str]]]]:
    bullets: dict[str, str] = {}
    texts: dict[str, list[str]] = {}
    tables: dict[str, list[list[str]]] = {}
    in_section, text_label, table = False, None, None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if re.match(r"^#{1,6}(\s|$)", raw):
            level = len(raw) - len(raw.lstrip("#"))
            label = raw[level:].strip()
            in_section, table = in_section or level == 2, None
            text_label = label if level >= 3 else None
            if text_label is not None:
                texts[text_label] = []
            continue
        if text_label is not None:
            texts[text_label].append(raw.removeprefix("\\"))
            continue
        if not in_section:
            continue
        line = raw.strip()
        if line.startswith("|"):
            cells = _split_row(line)
            if table is None:
                table = cells[0] if cells else ""
                tables[table] = []
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
                tables[table].append(cells)
            continue
        table = None
        m = _BULLET.match(line)
        if m:
            bullets[m.group(1).strip()] = m.group(2).strip()
    joined = {k: "\n".join(v).strip() for k, v in texts.items()}
    return (
        bullets,
        {k: "" if v == _EMPTY_TEXT else v for k, v in joined.items()},
        tables,
    )


def from_markdown(text: str) -> Brief:
    """Parse a brief written by ``to_markdown`` (possibly edited by hand).

    Raises ``ScopingError`` naming the field when a value cannot be read.
    """
    bullets, texts, tables = _parse_sections(text)
    if not bullets and not tables:
        raise ScopingError(
            {
                "import": [
                    (
                        "This file is not a project brief exported by the "
                        "workbench: no '- **Field:** value' lines were found."
                    )
                ]
            }
        )
    errors: dict[str, list[str]] = {}

    def get(label: str) -> str:
        v = bullets.get(label, "").strip()
        return "" if v == _NONE else v

    def number(label: str, key: str) -> float | None:
        v = get(label).replace(",", "")
        v = re.sub(r"^(≥|≤|>=|<=)\s*", "", v)
        if not v:
            return None
        try:
            return float(v)
        except ValueError:
            errors.setdefault(key, []).append(f"{label}: {v!r} is not a number.")
            return None

    def cols(label: str) -> list[str]:
        v = get(label)
        found = re.findall(r"`([^`]*)`", v)
        return found if found or not v else [s.strip() for s in v.split(",")]

    def lookup(mapping: dict[str, str], value: str, key: str, label: str) -> str:
        for k, lab in mapping.items():
            if value in (k, lab):
                return k
        errors.setdefault(key, []).append(
            f"{label}: {value!r} is not one of {', '.join(mapping.values())}."
        )
        return ""

    def floor_value(cell: str, key: str, label: str) -> float | None:
        v = re.sub(r"^(≥|≤|>=|<=)\s*", "", cell.strip())
        if v in ("", _NONE):
            return None
        try:
            return float(v)
        except ValueError:
            errors.setdefault(key, []).append(f"{label}: {v!r} is not a number.")
            return None

    automation = get("Degree of automation")
    task = get("Task type") or "binary"
    primary = None
    if get("Primary metric"):
        m = re.match(r"^`?(\w+)`?\s*(?:≥|≤|>=|<=)?\s*(.+)$", get("Primary metric"))
        value = floor_value(m.group(2), "primary", "Primary metric") if m else None
        if m is None:
            errors.setdefault("primary", []).append(
                "Primary metric: write it as 'metric ≥ target', e.g. 'recall ≥ 0.8'."
            )
        elif value is not None:
            primary = MetricTarget(m.group(1), value)
    secondary = []
    for row in tables.get("Secondary metric", []):
        name = row[0] if row else ""
        value = floor_value(
            row[1] if len(row) > 1 else "", "secondary", f"Floor of {name}"
        )
        if name and name != _NONE and value is not None:
            secondary.append(MetricFloor(name, value))
    baselines = {}
    for row in tables.get("Baseline", []):
        row = [*row, "", "", "", ""][:4]
        kind = lookup(BASELINE_KINDS, row[0], "baselines", "Baseline")
        value = floor_value(row[1], "baselines", f"Baseline {row[0]}")
        if kind:
            baselines[kind] = Baseline(
                kind,
                value,
                "" if row[2] == _NONE else row[2],
                "" if row[3] == _NONE else row[3],
            )
    governance = _default_governance()
    labels = {label: k for k, (label, _) in GOVERNANCE_ITEMS.items()}
    for row in tables.get("Governance item", []):
        row = [*row, "", "", ""][:3]
        if row[0] in labels:
            status = row[1] if row[1] in GOVERNANCE_STATUS else "open"
            governance[labels[row[0]]] = GovernanceItem(
                status, "" if row[2] == _NONE else row[2]
            )
    milestones = []
    for row in tables.get("Milestone", []):
        row = [("" if c == _NONE else c) for c in [*row, "", "", "", ""][:4]]
        try:
            due = _parse_date(row[1]) if row[1] else None
        except ValueError:
            errors.setdefault("milestones", []).append(
                f"Milestone {row[0]!r}: {row[1]!r} is not a date (use YYYY-MM-DD)."
            )
            due = None
        milestones.append(
            Milestone(row[0], due, row[2], row[3].lower() in ("yes", "true", "x"))
        )
    target = cols("Target column (y)")
    contract = Contract(
        task_type=lookup(TASK_TYPES, task, "task_type", "Task type") or "binary",
        target_column=target[0] if target else None,
        positive_class=get("Positive class") or None,
        feature_columns=cols("Input columns (x)"),
        primary=primary,
        secondary=secondary,
        cost_fp=number("Cost of a false positive", "cost_fp"),
        cost_fn=number("Cost of a false negative", "cost_fn"),
        sensitive_columns=cols("Sensitive columns"),
        baselines=baselines,
        **{
            key: number(label, key)
            for key, label in _CONTRACT_NUM_LABELS.items()
            if key not in ("cost_fp", "cost_fn")
        },
    )
    brief = Brief(
        **{key: texts.get(label, "") for key, label in _TEXT_LABELS.items()},
        automation=lookup(AUTOMATION, automation, "automation", "Degree of automation")
        if automation
        else "",
        business_metric=get("Business metric"),
        business_unit=get("Unit"),
        business_current=number("Current value", "business_current"),
        business_target=number("Target value", "business_target"),
        currency=get("Currency"),
        governance=governance,
        milestones=milestones,
        contract=contract,
    )
    if errors:
        raise ScopingError(errors)
    return normalize_brief(brief)


def scope_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """(status, evidence, next action) of the lifecycle's Scope step, from the readiness check."""
    v = get_brief(store, project_id)
    if v is None:
        return (
            "not started",
            "No project brief is stored.",
            "Write the brief: problem, f(x)=y, metrics and baselines.",
        )
    missing = check_brief(v.brief, set(project_columns(store, project_id)))
    if not missing:
        return (
            "done",
            f"Brief v{v.version} is ready for a go decision.",
            "Keep it current: later stages check against its contract.",
        )
    return (
        "in progress",
        f"Brief v{v.version}: {len(missing)} item(s) missing for a go decision.",
        missing[0],
    )


def advisories(brief: Brief) -> list[str]:
    """Things worth a second look that do not block saving (shown beside the readiness list).

    Examples
    --------
    >>> b = Brief(contract=Contract(primary=MetricTarget("accuracy", 0.95),
    ...           baselines={"hlp": Baseline("hlp", 0.9, "accuracy", "audit")}))
    >>> advisories(b)[0][:42]
    'The accuracy target (0.95) is above human-'
    """
    c = brief.contract
    out = []
    hlp = c.hlp
    if (
        c.primary
        and hlp
        and hlp.metric == c.primary.name
        and not meets(c.primary.name, hlp.value, c.primary.target)
    ):
        out.append(
            f"The {c.primary.name} target ({c.primary.target:g}) is above human-level "
            f"performance ({hlp.value:g}); check that it is feasible."
        )
    t = c.cost_threshold()
    if t is not None and c.task_type == "binary":
        cur = f" {brief.currency}" if brief.currency else ""
        out.append(
            f"With these costs ({c.cost_fp:g}{cur} per false positive, {c.cost_fn:g}{cur} "
            f"per false negative) flagging a case pays off once its probability "
            f"exceeds {t:.3g}: the decision threshold should sit near there."
        )
    return out
