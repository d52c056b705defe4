"""The demo's governance record: the sign-offs a claims team would give before the rollout
(brief go, the training data accepted, the champion approved, the shadow's go for a canary)
and the limitations the team wrote for the model card."""

from __future__ import annotations

from core.db import approvals as approvals_db
from core.db.database import Database
from core.demo.rollouts import DEMO_REHEARSAL

LIMITATIONS = (
    "Trained on home-insurance claims from January to August 2025 only: not for motor or "
    "commercial claims, nor for regions it never saw (the Coastal region appears only in "
    "production). It ranks claims for review; adjusters decide every flagged claim, and a "
    "customer is never refused on the model's score alone. Recall drops for low amounts and "
    "for the East region; audit outcomes arrive 21 days late, so decay is seen late."
)


def seed_demo_governance(store: Database, project_id: int) -> None:
    """Approve the brief, the training data, the champion and the shadow rehearsal, each by
    its owner; then store the team's limitations."""
    from core import governance
    from core.governance.facts import get_limitations, save_limitations

    subjects = {gate: governance.subjects(store, project_id, gate) for gate in governance.GATES}
    data = next((i for i, label in subjects["data"].items() if label.startswith("claims_2025")),
                None)
    model = next((i for i, label in subjects["model"].items() if label.endswith("champion")), None)
    shadow = next((i for i, label in subjects["rollout"].items()
                   if f"{DEMO_REHEARSAL} · shadow" in label), None)
    sign_offs = (
        ("brief", next(iter(subjects["brief"]), None), "claims.director",
         "Go: the contract matches the business case (recall ≥ 0.6 at 40 € / 600 € costs)."),
        ("data", data, "data.steward",
         "Eight months of audited claims; quality report reviewed, time-based split."),
        ("model", model, "ml.lead",
         "Gradient boosting meets recall and precision on the test months; slices reviewed."),
        ("rollout", shadow, "ops.lead",
         "Shadow beside the adjusters held every guardrail: go for a canary from 1 December."),
    )
    # a resumed seeding (core.demo.seed's steps) records only what is not stored yet
    signed = {a.gate for a in approvals_db.list_approvals(store, project_id)}
    for gate, subject, who, comment in sign_offs:
        if subject is not None and gate not in signed:
            governance.approve(store, project_id, gate, who, comment, subject)
    if get_limitations(store, project_id) is None:
        save_limitations(store, project_id, LIMITATIONS, "ml.lead")
