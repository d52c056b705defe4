"""The words of a brief: metric names and their direction, range and label, task types,
baseline kinds, degrees of automation and governance items."""

from __future__ import annotations

from core.training.metrics import LABELS as M_LABELS

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
    "mape": False,
}
METRIC_LABELS: dict[str, str] = {name: M_LABELS[name] for name in METRICS}
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
    "mape": (0.0, None),
}
REGRESSION_METRICS = frozenset({"mae", "rmse", "r2", "mape"})
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


def meets(name: str, value: float, threshold: float) -> bool:
    """Whether ``value`` of metric ``name`` is at least as good as ``threshold``.

    >>> meets("recall", 0.8, 0.75), meets("mae", 12.0, 10.0)
    (True, False)
    """
    return value >= threshold if METRICS.get(name, True) else value <= threshold


def comparison(name: str) -> str:
    """The sign a metric is compared with: "≥" when higher is better, else "≤".

    >>> comparison("recall"), comparison("rmse")
    ('≥', '≤')
    """
    return "≥" if METRICS.get(name, True) else "≤"
