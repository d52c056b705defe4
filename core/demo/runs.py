"""The demo's training runs: a dummy baseline, a challenger and the champion."""

from __future__ import annotations

from typing import Any

from core.db import splits as splits_db
from core.db.database import Database
from core.training import (
    DEFAULT_PREPROCESSING,
    THRESHOLD_PARAM,
    TrainingError,
    get_run,
    learning_curve,
    registry,
    train_run,
)

# ------------------------------------------------------------------------ demo
DEMO_SPLIT = "claims_time_split"


def seed_demo_runs(store: Database, project_id: int, actor: str) -> list[int]:
    """Train the demo's baseline, challenger and champion on its time split and register them.

    Skipped (returns []) when the demo split is not stored. Takes about a second.
    """
    from core.demo import generator as demo

    split = next((s for s in splits_db.list_splits(store, project_id) if s.name == DEMO_SPLIT), None)
    if split is None:
        return []
    common: dict[str, Any] = {
        "target": demo.TARGET,
        "features": list(demo.FEATURES),
        "seed": 7,
        "actor": actor,
        "preprocessing": dict(DEFAULT_PREPROCESSING),
        "positive_class": "1",
    }
    ids = [
        train_run(
            store,
            project_id,
            split.id,
            model_kind="dummy",
            params={},
            save_model=False,
            name="Baseline: always the majority class",
            **common,
        ),
        train_run(
            store,
            project_id,
            split.id,
            model_kind="logistic_regression",
            params={"C": 1.0, THRESHOLD_PARAM: "target"},
            name="Logistic regression (challenger)",
            **common,
        ),
        train_run(
            store,
            project_id,
            split.id,
            model_kind="hist_gradient_boosting",
            params={
                "learning_rate": 0.1,
                "max_iter": 200,
                "max_leaf_nodes": 15,
                THRESHOLD_PARAM: "target",
            },
            name="Gradient boosting (champion)",
            **common,
        ),
    ]
    runs = [get_run(store, i) for i in ids]
    failed = [r for r in runs if r.status != "done"]
    if failed:
        raise TrainingError(f"Demo training failed: {failed[0].error}")
    registry.register(store, ids[1], actor, alias="challenger")
    registry.register(store, ids[2], actor, alias="champion")
    champion = runs[2]
    ids.append(
        learning_curve(
            store,
            project_id,
            split.id,
            model_kind=champion.model_kind,
            params=champion.params | {THRESHOLD_PARAM: "0.5"},
            **common,
        )
    )
    return ids
