"""The brief: its dataclasses, its normal form (so equal content compares equal) and its JSON
form (what ``scoping_briefs`` stores)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from core.scoping.contract import (
    CONTRACT_NUMBER_LABELS,
    Baseline,
    Contract,
    MetricFloor,
    MetricTarget,
)
from core.scoping.vocabulary import AUTOMATION, BASELINE_KINDS, GOVERNANCE_ITEMS, GOVERNANCE_STATUS


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


def default_governance() -> dict[str, GovernanceItem]:
    """Every governance item, open and without a note."""
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
    governance: dict[str, GovernanceItem] = field(default_factory=default_governance)
    # governance setting: a model becomes champion only with valid approvals (core.governance)
    require_approvals: bool = False
    milestones: list[Milestone] = field(default_factory=list)
    resources: str = ""
    contract: Contract = field(default_factory=Contract)


@dataclass(frozen=True)
class BriefVersion:
    """One saved version of a project's brief."""

    version: int
    created_at: datetime
    created_by: str
    note: str
    brief: Brief


# The brief's free-text fields and their labels (in the form, the export and the diff).
TEXT_LABELS = {
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
TEXT_FIELDS = tuple(TEXT_LABELS)


# ------------------------------------------------------------- normal form
def clean_text(s: Any) -> str:
    """Free text with one kind of line break and no outer white space."""
    return str(s or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_line(s: Any) -> str:
    """One line, white space runs collapsed to one space."""
    return " ".join(str(s or "").split())


def clean_number(v: Any) -> float | None:
    """A float, None for empty, NaN for what is not a number (validation reports it)."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _clean_columns(cols: Any) -> list[str]:
    seen: dict[str, None] = {}
    for c in cols or []:
        c = str(c).strip()
        if c:
            seen[c] = None
    return list(seen)


def _baseline_order(kind: str) -> tuple[bool, int, str]:
    """The known kinds in their order, then any other kind by name."""
    order = list(BASELINE_KINDS)
    return (kind not in order, order.index(kind) if kind in order else 0, kind)


def _normalize_baselines(baselines: dict[str, Baseline]) -> dict[str, Baseline]:
    out = {}
    for kind in sorted(baselines, key=_baseline_order):
        b = baselines[kind]
        value, source = clean_number(b.value), clean_line(b.source)
        if value is not None or source:
            out[kind] = Baseline(kind, value, (b.metric or "").strip(), source)
    return out


def _normalize_contract(c: Contract) -> Contract:
    primary = c.primary
    if primary is not None:
        target = clean_number(primary.target)
        primary = None if not primary.name or target is None else MetricTarget(primary.name, target)
    secondary = [
        MetricFloor(f.name.strip(), floor)
        for f in c.secondary
        if f.name and f.name.strip() and (floor := clean_number(f.floor)) is not None
    ]
    return replace(
        c,
        target_column=(c.target_column or "").strip() or None,
        positive_class=clean_line(c.positive_class) or None,
        feature_columns=_clean_columns(c.feature_columns),
        primary=primary,
        secondary=secondary,
        sensitive_columns=_clean_columns(c.sensitive_columns),
        baselines=_normalize_baselines(c.baselines),
        **{key: clean_number(getattr(c, key)) for key in CONTRACT_NUMBER_LABELS},
    )


def normalize_brief(brief: Brief) -> Brief:
    """Trim text, drop empty rows and duplicates, so equal content compares equal."""
    governance = default_governance()
    for k, g in brief.governance.items():
        status = g.status if g.status in GOVERNANCE_STATUS else "open"
        governance[k] = GovernanceItem(status, clean_line(g.note))
    milestones = [
        Milestone(clean_line(m.name), m.due, clean_line(m.owner), bool(m.done))
        for m in brief.milestones
        if clean_line(m.name) or m.due is not None or clean_line(m.owner)
    ]
    return replace(
        brief,
        **{name: clean_text(getattr(brief, name)) for name in TEXT_FIELDS},
        business_metric=clean_line(brief.business_metric),
        business_unit=clean_line(brief.business_unit),
        business_current=clean_number(brief.business_current),
        business_target=clean_number(brief.business_target),
        currency=clean_line(brief.currency),
        automation=brief.automation if brief.automation in AUTOMATION else "",
        governance=governance,
        require_approvals=bool(brief.require_approvals),
        milestones=milestones,
        contract=_normalize_contract(brief.contract),
    )


# ---------------------------------------------------------------- JSON form
def brief_to_dict(brief: Brief) -> dict[str, Any]:
    """The brief as plain JSON values (dates as ISO strings)."""
    d = asdict(brief)
    d["milestones"] = [
        {**m, "due": m["due"].isoformat() if m["due"] else None} for m in d["milestones"]
    ]
    return d


def parse_date(v: Any) -> date | None:
    """A date from a date, a datetime or an ISO string; None for empty or NaN."""
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, datetime):  # a pandas Timestamp is one too
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v).strip()[:10])


_CONTRACT_SCALARS = {f.name for f in fields(Contract)} - {
    "feature_columns",
    "sensitive_columns",
    "primary",
    "secondary",
    "baselines",
}
_BRIEF_SCALARS = {f.name for f in fields(Brief)} - {"governance", "milestones", "contract"}


def _contract_from_dict(c: dict[str, Any]) -> Contract:
    primary = c.get("primary")
    return Contract(
        **{k: v for k, v in c.items() if k in _CONTRACT_SCALARS},
        feature_columns=list(c.get("feature_columns") or []),
        sensitive_columns=list(c.get("sensitive_columns") or []),
        primary=MetricTarget(**primary) if primary else None,
        secondary=[MetricFloor(**f) for f in c.get("secondary") or []],
        baselines={k: Baseline(**b) for k, b in (c.get("baselines") or {}).items()},
    )


def brief_from_dict(d: dict[str, Any]) -> Brief:
    """Rebuild a brief from its JSON form; unknown keys are ignored (newer versions)."""
    governance = default_governance()
    governance.update({k: GovernanceItem(**g) for k, g in (d.get("governance") or {}).items()})
    milestones = [
        Milestone(
            m.get("name", ""), parse_date(m.get("due")), m.get("owner", ""), bool(m.get("done"))
        )
        for m in d.get("milestones") or []
    ]
    return Brief(
        **{k: v for k, v in d.items() if k in _BRIEF_SCALARS},
        governance=governance,
        milestones=milestones,
        contract=_contract_from_dict(dict(d.get("contract") or {})),
    )
