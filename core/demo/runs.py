"""The demo's training runs: a dummy baseline, a challenger and the champion."""

from __future__ import annotations

from dataclasses import replace

from core.db import splits as splits_db
from core.db.database import Database
from core.training import (
    DEFAULT_PREPROCESSING,
    TrainingError,
    TrainSpec,
    get_run,
    learning_curve,
    registry,
    train_run,
)

DEMO_SPLIT = "claims_time_split"


def seed_demo_runs(store: Database, project_id: int, actor: str) -> list[int]:
    """Train the demo's baseline, challenger and champion on its time split and register them.

    Skipped (returns []) when the demo split is not stored. Takes about a second.
    """
    from core.demo import generator as demo

    split = next(
        (s for s in splits_db.list_splits(store, project_id) if s.name == DEMO_SPLIT), None
    )
    if split is None:
        return []
    base = TrainSpec(
        split.id,
        demo.TARGET,
        tuple(demo.FEATURES),
        "dummy",
        preprocessing=dict(DEFAULT_PREPROCESSING),
        seed=7,
        positive_class="1",
    )
    challenger = replace(
        base, model_kind="logistic_regression", params={"C": 1.0}, threshold="target"
    )
    champion = replace(
        base,
        model_kind="hist_gradient_boosting",
        params={"learning_rate": 0.1, "max_iter": 200, "max_leaf_nodes": 15},
        threshold="target",
    )
    ids = [
        train_run(
            store,
            project_id,
            base,
            actor=actor,
            name="Baseline: always the majority class",
            save_model=False,
        ),
        train_run(
            store, project_id, challenger, actor=actor, name="Logistic regression (challenger)"
        ),
        train_run(store, project_id, champion, actor=actor, name="Gradient boosting (champion)"),
    ]
    runs = [get_run(store, i) for i in ids]
    failed = [r for r in runs if r.status != "done"]
    if failed:
        raise TrainingError(f"Demo training failed: {failed[0].error}")
    registry.register(store, ids[1], actor, alias="challenger")
    registry.register(store, ids[2], actor, alias="champion")
    # the champion's stored recipe (every hyperparameter), at the default threshold
    curve = TrainSpec.from_run(runs[2], preprocessing=base.preprocessing, threshold="0.5")
    ids.append(learning_curve(store, project_id, curve, actor=actor))
    return ids
