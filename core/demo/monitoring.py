"""The demo's monitoring run of the stream against the training claims."""

from __future__ import annotations

from core.db import datasets as datasets_db
from core.db.database import Database
from core.monitoring import run_monitoring
from core.progress import Progress, no_progress


def seed_demo_monitoring(store: Database, project_id: int, actor: str,
                         progress: Progress = no_progress) -> int | None:
    """Monitor the demo stream against the training data with the champion (once: a
    resumed seeding keeps the run already stored)."""
    from core.monitoring import list_runs
    from core.training import registry

    runs = list_runs(store, project_id)
    if len(runs) and (runs["source"] == "demo").any():
        return int(runs.loc[runs["source"] == "demo", "id"].iloc[0])

    train = datasets_db.list_datasets(store, project_id, role="training")
    prod = datasets_db.list_datasets(store, project_id, role="production")
    champion = registry.get_champion(store, project_id)
    if not train or not prod:
        return None
    return run_monitoring(
        store, project_id, reference_dataset_id=train[0].id, current_dataset_id=prod[0].id,
        model_version_id=champion.id if champion else None, actor=actor, source="demo",
        progress=progress,
    ).run_id
