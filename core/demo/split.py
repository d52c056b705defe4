"""The demo's time-based train/dev/test split."""

from __future__ import annotations

from datetime import datetime

from core.data import SplitError, create_split
from core.db import datasets as datasets_db
from core.db.database import Database
from core.demo.generator import TARGET


def seed_demo_split(store: Database, project_id: int, actor: str) -> int:
    """The demo's time-based split of ``claims_2025_train`` (Jan-Jun / Jul / Aug 2025)."""
    ds = next(
        (d for d in datasets_db.list_datasets(store, project_id) if d.name == "claims_2025_train"),
        None,
    )
    if ds is None:
        raise SplitError("The demo project has no claims_2025_train dataset.")
    return create_split(
        store,
        project_id,
        ds.id,
        "claims_time_split",
        method="time",
        target=TARGET,
        time_column="submitted_at",
        time_cutoffs=(datetime(2025, 7, 1), datetime(2025, 8, 1)),
        actor=actor,
    )
