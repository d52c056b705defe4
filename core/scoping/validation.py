"""What makes a brief unsavable (``validate_brief``: one small check per section, field-level
messages), what it still lacks for a go decision (``check_brief``) and what is worth a second
look (``advisories``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from core.errors import StoreError
from core.scoping.brief import Brief, GovernanceItem
from core.scoping.contract import Contract, MetricFloor
from core.scoping.vocabulary import (
    BASELINE_KINDS,
    GOVERNANCE_ITEMS,
    METRIC_LABELS,
    METRIC_RANGE,
    METRICS,
    REGRESSION_METRICS,
    TASK_TYPES,
    meets,
)


class ScopingError(StoreError, ValueError):
    """A brief that cannot be saved; ``errors`` maps a field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        lines = [m for msgs in errors.values() for m in msgs]
        super().__init__("The brief was not saved: " + " ".join(lines))


Problem = tuple[str, str]  # (field key, message)
Check = Callable[[Brief, set[str]], Iterator[Problem]]


# ------------------------------------------------------------------ metrics
def _metric_task_error(name: str, task: str, what: str) -> str | None:
    """Why metric ``name`` cannot judge a model of this task, or None."""
    if name not in METRICS:
        return f"{what}: {name!r} is not a known metric."
    if task in TASK_TYPES and (name in REGRESSION_METRICS) != (task == "regression"):
        kind = "regression" if name in REGRESSION_METRICS else "classification"
        return (
            f"{what}: {METRIC_LABELS[name]} is a {kind} metric, but the task is "
            f"{TASK_TYPES[task].lower()}."
        )
    return None


def _metric_range_error(name: str, value: float, what: str) -> str | None:
    """Why ``value`` cannot be reached in metric ``name``, or None."""
    if not math.isfinite(value):
        return f"{what} must be a number."
    low, high = METRIC_RANGE.get(name, (None, None))
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    if low is not None and high is not None:
        span = f"between {low:g} and {high:g}"
    else:
        span = f"at least {low:g}" if low is not None else f"at most {high:g}"
    return f"{what}: {METRIC_LABELS.get(name, name)} is {span}; {value:g} cannot be reached."


def _floor_beyond_target(c: Contract, f: MetricFloor) -> str | None:
    """A floor on the primary metric must be easier to meet than its target."""
    if c.primary is None or f.name != c.primary.name or meets(f.name, c.primary.target, f.floor):
        return None
    word = "above" if METRICS[f.name] else "below"
    return (
        f"The floor of {METRIC_LABELS[f.name]} ({f.floor:g}) is {word} its target "
        f"({c.primary.target:g}); a floor must be easier to meet than the target."
    )


def _check_task(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    task = brief.contract.task_type
    if task not in TASK_TYPES:
        yield "task_type", f"Task type {task!r} is unknown; choose one of {', '.join(TASK_TYPES)}."


def _check_primary(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    c = brief.contract
    if c.primary is None:
        return
    msg = _metric_task_error(c.primary.name, c.task_type, "Primary metric") or _metric_range_error(
        c.primary.name, c.primary.target, "Primary target"
    )
    if msg:
        yield "primary", msg


def _check_secondary(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    c = brief.contract
    seen: set[str] = set()
    for f in c.secondary:
        if f.name in seen:
            yield "secondary", f"Secondary metric {f.name!r} is listed twice; keep one floor."
        seen.add(f.name)
        msg = _metric_task_error(f.name, c.task_type, "Secondary metric")
        if msg is None:
            what = f"Floor of {METRIC_LABELS[f.name]}"
            msg = _metric_range_error(f.name, f.floor, what) or _floor_beyond_target(c, f)
        if msg:
            yield "secondary", msg


# ------------------------------------------------------------------ numbers
@dataclass(frozen=True)
class NumberRule:
    """What a contract number may be, and what to say when it is not.

    ``accepts`` is asked about finite values only; the messages are formatted with
    ``label`` and ``value``.
    """

    key: str
    label: str
    accepts: Callable[[float], bool]
    message: str
    not_a_number: str = "{label} must be a number."

    def error(self, value: float | None) -> str | None:
        """The message for ``value``, or None when it is empty or acceptable.

        >>> NUMBER_RULES[0].error(-3.0)
        'Cost of a false positive cannot be negative (-3); enter what one such error costs.'
        """
        if value is None or math.isfinite(value) and self.accepts(value):
            return None
        template = self.message if math.isfinite(value) else self.not_a_number
        return template.format(label=self.label, value=value)


_NEGATIVE_COST = "{label} cannot be negative ({value:g}); enter what one such error costs."
_NOT_ABOVE_ZERO = "{label} must be above 0 ({value:g} cannot be met)."
_AVAILABILITY = "Availability is a share between 0 and 1 (e.g. 0.995 for 99.5%); {value:g} is not."
_ERROR_BUDGET = "The error budget is a share between 0 and 1 (e.g. 0.1); {value:g} is not."
# A share names its range for any value it refuses, a non-number included.
NUMBER_RULES = (
    NumberRule("cost_fp", "Cost of a false positive", lambda v: v >= 0, _NEGATIVE_COST),
    NumberRule("cost_fn", "Cost of a false negative", lambda v: v >= 0, _NEGATIVE_COST),
    NumberRule("p95_latency_ms", "p95 latency", lambda v: v > 0, _NOT_ABOVE_ZERO),
    NumberRule("min_throughput_rps", "Throughput", lambda v: v > 0, _NOT_ABOVE_ZERO),
    NumberRule(
        "min_availability", "Availability", lambda v: 0 < v <= 1, _AVAILABILITY, _AVAILABILITY
    ),
    NumberRule("error_budget", "Error budget", lambda v: 0 <= v <= 1, _ERROR_BUDGET, _ERROR_BUDGET),
)


def _check_numbers(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    for rule in NUMBER_RULES:
        msg = rule.error(getattr(brief.contract, rule.key))
        if msg:
            yield rule.key, msg


# ---------------------------------------------------------------- the rest
def _check_baselines(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    for kind, b in brief.contract.baselines.items():
        label = BASELINE_KINDS.get(kind)
        if label is None:
            yield "baselines", f"Baseline kind {kind!r} is unknown; use hlp, existing or sota."
            continue
        if b.value is None:
            continue
        if not b.metric:
            msg = f"{label}: name the metric its value {b.value:g} is in."
        elif b.metric not in METRICS:
            msg = f"{label}: {b.metric!r} is not a known metric."
        else:
            msg = _metric_range_error(b.metric, b.value, label)
        if msg:
            yield f"baseline_{kind}", msg


def _check_business(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    for key in ("business_current", "business_target"):
        v = getattr(brief, key)
        if v is not None and not math.isfinite(v):
            yield key, "The business metric's values must be numbers."


def _check_milestones(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    for i, m in enumerate(brief.milestones, 1):
        if not m.name:
            yield "milestones", f"Milestone {i} has no name."


def _check_columns(brief: Brief, columns: set[str]) -> Iterator[Problem]:
    """x, y and the sensitive columns are the datasets' columns (once there are any)."""
    c = brief.contract
    if columns:
        if c.target_column and c.target_column not in columns:
            yield (
                "target_column",
                f"The target column {c.target_column!r} is not in the project's datasets; "
                "pick one of their columns.",
            )
        for key, cols in (
            ("feature_columns", c.feature_columns),
            ("sensitive_columns", c.sensitive_columns),
        ):
            missing = [col for col in cols if col not in columns]
            if missing:
                yield key, f"Not in the project's datasets: {', '.join(missing)}."
    if c.target_column and c.target_column in c.feature_columns:
        yield "feature_columns", f"The target {c.target_column!r} cannot also be an input."


CHECKS: tuple[Check, ...] = (
    _check_task,
    _check_primary,
    _check_secondary,
    _check_numbers,
    _check_baselines,
    _check_business,
    _check_milestones,
    _check_columns,
)


def validate_brief(brief: Brief, columns: set[str] | None = None) -> dict[str, list[str]]:
    """Field-level problems that make a brief unsavable (empty dict = valid).

    ``columns`` are the columns of the project's datasets; when given (and not empty), the
    target, input and sensitive columns must be among them.

    Examples
    --------
    >>> from core.scoping import MetricTarget
    >>> b = Brief(contract=Contract(primary=MetricTarget("recall", 1.4)))
    >>> validate_brief(b)
    {'primary': ['Primary target: Recall is between 0 and 1; 1.4 cannot be reached.']}
    """
    errors: dict[str, list[str]] = {}
    for check in CHECKS:
        for key, msg in check(brief, columns or set()):
            errors.setdefault(key, []).append(msg)
    return errors


# -------------------------------------------------------------- go decision
def check_brief(brief: Brief, columns: set[str] | None = None) -> list[str]:
    """What a brief still lacks for a go decision (empty = ready); see ``readiness``."""
    c = brief.contract
    out: list[str] = []
    if not brief.problem or not brief.decision:
        out.append("Business problem: describe the problem and the decision the model supports.")
    if not brief.automation:
        out.append("Business problem: say whether the model complements or supplements people.")
    if not c.target_column:
        out.append("f(x) = y: choose the target column y.")
    if not c.feature_columns:
        out.append("f(x) = y: choose the input columns x.")
    if c.task_type == "binary" and not c.positive_class:
        out.append("f(x) = y: name the positive class (the outcome the model flags).")
    if c.primary is None:
        out.append("ML metrics: choose a primary metric and give its target.")
    if c.task_type != "regression" and (c.cost_fp is None or c.cost_fn is None):
        out.append("Economic value: enter the cost of a false positive and of a false negative.")
    if not brief.business_metric or brief.business_target is None:
        out.append("Economic value: name the business metric and its target.")
    if c.p95_latency_ms is None or c.min_availability is None:
        out.append("Software metrics: set the p95 latency and availability the service must meet.")
    if c.hlp is None:
        out.append(
            "Baselines: no human-level performance (HLP) yet; enter it or measure it on "
            "the Labeling page."
        )
    if not brief.feasibility_data or not brief.feasibility_signal:
        out.append("Feasibility: say whether the data exist and whether they carry signal.")
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


def advisories(brief: Brief) -> list[str]:
    """Things worth a second look that do not block saving (shown beside the readiness list).

    Examples
    --------
    >>> from core.scoping import Baseline, MetricTarget
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
        and hlp is not None
        and hlp.value is not None
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
