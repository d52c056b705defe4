"""The claims-triage demo's brief: a first draft, then what Northwind's team signed off."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from core.db.database import Database
from core.demo.generator import FEATURES, TARGET
from core.scoping import (
    Baseline,
    Brief,
    Contract,
    GovernanceItem,
    MetricFloor,
    MetricTarget,
    Milestone,
    default_governance,
    save_brief,
)


def _governance() -> dict[str, GovernanceItem]:
    """Every governance item settled, with how."""
    return {
        "data_ownership": GovernanceItem(
            "done",
            "Northwind owns the claims; we process them under the data-processing "
            "agreement DPA-2025-014 and keep no copy outside its systems.",
        ),
        "retention": GovernanceItem(
            "done",
            "Training extracts 24 months, prediction logs 7 years (claims file rule).",
        ),
        "consent": GovernanceItem(
            "done",
            "Legitimate interest (fraud prevention), stated in the policy terms.",
        ),
        "explainability": GovernanceItem(
            "done",
            "Adjusters see the top reasons per flag; no claim is refused by the model.",
        ),
        "audit": GovernanceItem(
            "done",
            "Every score is logged with model version, data version and request id.",
        ),
        "regulation": GovernanceItem(
            "done",
            "Human decides every refusal (GDPR art. 22); EU AI Act: not high-risk, "
            "reviewed by compliance 2025-09-02.",
        ),
    }


def _milestones() -> list[Milestone]:
    """Two done (sign-off, baseline model), three ahead (shadow, canary, go / no-go)."""
    return [
        Milestone("Brief signed off", date(2025, 9, 5), "Maria (product)", True),
        Milestone(
            "Baseline model on the Jan-Aug split",
            date(2025, 9, 19),
            "Data science",
            True,
        ),
        Milestone("Shadow mode beside the adjusters", date(2025, 10, 15), "ML engineering"),
        Milestone("Canary at 5% of claims", date(2025, 11, 15), "ML engineering"),
        Milestone("Go / no-go for full rollout", date(2025, 12, 15), "Claims director"),
    ]


def _contract() -> Contract:
    """The targets, costs, budgets and baselines the team agreed on."""
    return Contract(
        task_type="binary",
        target_column=TARGET,
        positive_class="1",
        feature_columns=list(FEATURES),
        primary=MetricTarget("recall", 0.6),
        secondary=[MetricFloor("precision", 0.35), MetricFloor("roc_auc", 0.75)],
        cost_fp=40.0,
        cost_fn=600.0,
        p95_latency_ms=200.0,
        min_throughput_rps=20.0,
        min_availability=0.995,
        error_budget=0.3,
        sensitive_columns=["customer_age", "region"],
        baselines={
            "hlp": Baseline("hlp", 0.9, "accuracy", "adjusters' audit 2024"),
            "existing": Baseline(
                "existing",
                0.35,
                "recall",
                "rule book: investigate claims above EUR 10,000",
            ),
            "sota": Baseline(
                "sota",
                0.8,
                "roc_auc",
                "published home-claims fraud models (literature review)",
            ),
        },
    )


def demo_brief() -> Brief:
    """The claims-triage demo's brief (see core.demo): what Northwind's team agreed on."""
    return Brief(
        problem=(
            "Adjusters review every home-insurance claim by hand before it is paid or sent to "
            "investigation. About 18% of claims truly need review; the queue delays honest "
            "customers by days and costs about EUR 38 of adjuster time per claim."
        ),
        decision=(
            "Whether a claim is paid at once (fast track) or sent to an adjuster for "
            "investigation. The model ranks claims; adjusters still decide every flagged one."
        ),
        automation="partial",
        x_description=(
            "What is known when the claim is filed: amount, policy age, customer age, prior "
            "claims, days from incident to report, documents, property value, hour, region, "
            "claim type, channel and whether a police report exists."
        ),
        y_description=(
            f"`{TARGET}` = 1 when the later audit found the claim needed investigation. "
            "Audit outcomes arrive about 21 days after the claim."
        ),
        business_metric="Handling cost per claim",
        business_unit="EUR per claim",
        business_current=38.0,
        business_target=30.0,
        currency="EUR",
        feasibility_data=(
            "Yes: 20,000 audited claims from Jan-Aug 2025 with the adjusters' decisions, and "
            "1,500 claims relabelled by three senior reviewers."
        ),
        feasibility_signal=(
            "Yes, moderate: a quick gradient-boosting probe reached ROC AUC about 0.78 on "
            "held-out months. Adjusters see the full file, so they stay better on clear cases."
        ),
        diligence=(
            "Value: routing the confident half of claims to fast track saves about EUR 8 per "
            "claim. Technical: a tabular model served behind the claims API; risk is drift "
            "in claim amounts and channels (the app channel is growing)."
        ),
        affected_groups=(
            "Policy holders filing claims, in particular older customers and customers in "
            "regions with few past claims; adjusters whose workload changes."
        ),
        bias_risks=(
            "Age and region correlate with the target through claim mix; a model could send "
            "older customers or one region to investigation more often. Check recall and "
            "false-positive rate per age band and region before every release."
        ),
        governance=_governance(),
        milestones=_milestones(),
        resources=(
            "One data scientist and one ML engineer for four months; two adjusters half a day "
            "a week for relabelling and review; a 2-core serving node."
        ),
        contract=_contract(),
    )


def seed_demo_brief(store: Database, project_id: int, actor: str) -> int:
    """Save the demo's brief: a first draft, then the version the team signed off."""
    full = demo_brief()
    draft = replace(
        full,
        governance=default_governance(),
        milestones=full.milestones[:2],
        contract=replace(
            full.contract,
            primary=MetricTarget("recall", 0.8),
            secondary=[],
            cost_fp=None,
            cost_fn=None,
            p95_latency_ms=None,
            min_availability=None,
            error_budget=None,
            sensitive_columns=[],
            baselines={"hlp": full.contract.baselines["hlp"]},
        ),
    )
    from core.scoping import list_versions

    saved = len(list_versions(store, project_id))  # a resumed seeding keeps what it saved
    if saved >= 2:
        return saved
    if saved == 0:
        save_brief(store, project_id, draft, actor, note="First draft after the kick-off")
    return save_brief(
        store,
        project_id,
        full,
        actor,
        note="Signed off: costs, budgets, floors and governance added; recall "
        "target lowered to 0.6 after the feasibility probe",
    )
