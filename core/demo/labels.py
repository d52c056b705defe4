"""The demo's annotations as a labels set, with its labeling instructions."""

from __future__ import annotations

from core.db import datasets as datasets_db
from core.db.database import Database
from core.labeling import amend_instructions, import_labels, parse_labels

DEMO_INSTRUCTIONS = """# Claims triage: labeling instructions

**Question:** does this claim need investigation before it is paid? Label `1` (needs review)
or `0` (pay at once).

1. Label `1` when the claim amount is far above what is usual for its claim type.
2. Label `1` when the customer has had two or more prior claims in the policy's first year.
3. A theft claim *with* a police report is not suspicious on that ground alone.
4. When unsure, label `1`: a review costs less than a fraudulent payment.
"""


def seed_demo_labels(store: Database, project_id: int, actor: str) -> int | None:
    """Import the demo's ``claims_annotations`` as version 1 of a labels set (plus instructions)."""
    by_name = {d.name: d for d in datasets_db.list_datasets(store, project_id)}
    ann, items = by_name.get("claims_annotations"), by_name.get("claims_2025_train")
    if ann is None or items is None:
        return None
    from core.labeling import current_instructions, list_label_sets

    done = [s for s in list_label_sets(store, project_id) if s.name == "claims_annotations"]
    if done:  # a resumed seeding: imported already
        if not current_instructions(store, project_id):
            amend_instructions(store, project_id, DEMO_INSTRUCTIONS, "first version", actor)
        return done[0].id
    from core.demo import generator as demo

    long = parse_labels(datasets_db.dataset_frame(store, ann.id), form="long")
    report = import_labels(
        store,
        project_id,
        "claims_annotations",
        long,
        item_dataset_id=items.id,
        item_id_column="claim_id",
        actor=actor,
        source="dataset claims_annotations",
        ground_truth_column=demo.TARGET,
        feature_columns=list(demo.FEATURES),
    )
    amend_instructions(store, project_id, DEMO_INSTRUCTIONS, "first version", actor)
    return report.label_set_id
