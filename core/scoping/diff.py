"""Two versions of a brief side by side: every field as display text, then the ones that differ."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.scoping.brief import TEXT_LABELS, Brief, GovernanceItem
from core.scoping.contract import CONTRACT_NUMBER_LABELS
from core.scoping.vocabulary import (
    AUTOMATION,
    BASELINE_KINDS,
    GOVERNANCE_ITEMS,
    TASK_TYPES,
    comparison,
)

_NONE = "—"


def _fmt(v: Any) -> str:
    if v is None or v == "" or v == []:
        return _NONE
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return str(v)


def _flatten_contract(brief: Brief) -> dict[str, str]:
    c = brief.contract
    out = {
        "Task type": TASK_TYPES.get(c.task_type, c.task_type),
        "Target column (y)": _fmt(c.target_column),
        "Positive class": _fmt(c.positive_class),
        "Input columns (x)": _fmt(c.feature_columns),
        "Primary metric": (
            f"{c.primary.name} {comparison(c.primary.name)} {c.primary.target:g}"
            if c.primary
            else _NONE
        ),
    }
    for f in c.secondary:
        out[f"Secondary: {f.name}"] = f"{comparison(f.name)} {f.floor:g}"
    for key, label in CONTRACT_NUMBER_LABELS.items():
        out[label] = _fmt(getattr(c, key))
    out["Sensitive columns"] = _fmt(c.sensitive_columns)
    for kind, label in BASELINE_KINDS.items():
        b = c.baselines.get(kind)
        out[f"Baseline: {label}"] = (
            _NONE if b is None else f"{b.metric} {_fmt(b.value)} (source: {_fmt(b.source)})"
        )
    return out


def flatten_brief(brief: Brief) -> dict[str, str]:
    """Every field of a brief as (label -> display text), in the brief's order."""
    out = {label: _fmt(getattr(brief, key)) for key, label in TEXT_LABELS.items()}
    out["Degree of automation"] = (
        AUTOMATION.get(brief.automation, "") if brief.automation else _NONE
    )
    out["Business metric"] = _fmt(brief.business_metric)
    out["Business metric unit"] = _fmt(brief.business_unit)
    out["Business metric, current"] = _fmt(brief.business_current)
    out["Business metric, target"] = _fmt(brief.business_target)
    out["Currency"] = _fmt(brief.currency)
    out |= _flatten_contract(brief)
    for key, (label, _) in GOVERNANCE_ITEMS.items():
        g = brief.governance.get(key, GovernanceItem())
        out[f"Governance: {label}"] = g.status + (f" — {g.note}" if g.note else "")
    out["Approvals required before promotion"] = "yes" if brief.require_approvals else "no"
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
        {"field": k, "before": a.get(k, _NONE), "after": b.get(k, _NONE)}
        for k in keys
        if a.get(k, _NONE) != b.get(k, _NONE)
    ]
    return pd.DataFrame(rows, columns=["field", "before", "after"])
