"""The contract: the measurable part of a brief (targets, floors, costs, service budgets,
sensitive columns, baselines) that training, error analysis, deployment and monitoring check."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from core.scoping.vocabulary import BASELINE_KINDS, METRIC_LABELS, comparison

# The contract's plain numbers and their labels (in the export, the diff and the form).
CONTRACT_NUMBER_LABELS = {
    "cost_fp": "Cost of a false positive",
    "cost_fn": "Cost of a false negative",
    "p95_latency_ms": "p95 latency (ms)",
    "min_throughput_rps": "Minimum throughput (requests/s)",
    "min_availability": "Minimum availability (share)",
    "error_budget": "Error budget (share of wrong decisions served)",
}


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

    def role_of(self, name: str) -> str:
        """The role of metric ``name`` here: "target" (the primary) or "floor" (a secondary)."""
        return "target" if self.primary is not None and name == self.primary.name else "floor"

    def thresholds(self) -> dict[str, float]:
        """Metric name -> the value a model must meet (primary target and secondary floors)."""
        out = {self.primary.name: self.primary.target} if self.primary is not None else {}
        for f in self.secondary:
            out.setdefault(f.name, f.floor)  # the primary target is the stricter one
        return out

    def cost_threshold(self) -> float | None:
        """The probability above which flagging a case is cheaper than not (Bayes rule).

        Examples
        --------
        >>> Contract(cost_fp=40.0, cost_fn=600.0).cost_threshold()
        0.0625
        """
        if self.cost_fp is None or self.cost_fn is None or self.cost_fp + self.cost_fn <= 0:
            return None
        return self.cost_fp / (self.cost_fp + self.cost_fn)


# The service budgets as later stages check them: key, label, sign, checked by.
_BUDGET_CHECKS = (
    ("p95_latency_ms", "p95 latency (ms)", "≤", "Deployment guardrail, Monitoring"),
    ("min_throughput_rps", "Throughput (requests/s)", "≥", "Monitoring"),
    ("min_availability", "Availability", "≥", "Deployment guardrail, Monitoring"),
    ("error_budget", "Wrong decisions served (share)", "≤", "Deployment guardrail"),
)


def contract_frame(contract: Contract) -> pd.DataFrame:
    """The contract as the checks later stages run: check, threshold, checked by.

    Examples
    --------
    >>> contract_frame(Contract(primary=MetricTarget("recall", 0.6), p95_latency_ms=200.0)).values.tolist()
    [['Recall (target)', '≥ 0.6', 'Training (run vs contract), Deployment (guardrail), Monitoring (alert)'], ['p95 latency (ms)', '≤ 200', 'Deployment guardrail, Monitoring']]
    """
    rows = [
        (
            f"{METRIC_LABELS.get(name, name)} ({contract.role_of(name)})",
            f"{comparison(name)} {threshold:g}",
            "Training (run vs contract), Deployment (guardrail), Monitoring (alert)",
        )
        for name, threshold in contract.thresholds().items()
    ]
    if contract.cost_fp is not None and contract.cost_fn is not None:
        rows.append(
            (
                "Cost of FP / FN",
                f"{contract.cost_fp:g} / {contract.cost_fn:g}",
                "Training (business value, threshold)",
            )
        )
    for key, label, sign, used in _BUDGET_CHECKS:
        v = getattr(contract, key)
        if v is not None:
            rows.append((label, f"{sign} {v:g}", used))
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
