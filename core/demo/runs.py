"""The demo's training runs: a dummy baseline, a challenger and the champion."""

from __future__ import annotations

from dataclasses import replace

from core.db import splits as splits_db
from core.db.database import Database
from core.progress import Progress, no_progress
from core.training import (
    DEFAULT_PREPROCESSING,
    TrainingError,
    TrainSpec,
    get_run,
    learning_curve,
    list_runs,
    registry,
    train_run,
)

DEMO_SPLIT = "claims_time_split"


RUN_NAMES = {
    "baseline": "Baseline: always the majority class",
    "challenger": "Logistic regression (challenger)",
    "champion": "Gradient boosting (champion)",
}


def _demo_split_id(store: Database, project_id: int) -> int | None:
    split = next(
        (s for s in splits_db.list_splits(store, project_id) if s.name == DEMO_SPLIT), None
    )
    return split.id if split else None


def _specs(split_id: int) -> dict[str, TrainSpec]:
    from core.demo import generator as demo

    base = TrainSpec(
        split_id,
        demo.TARGET,
        tuple(demo.FEATURES),
        "dummy",
        preprocessing=dict(DEFAULT_PREPROCESSING),
        seed=7,
        positive_class="1",
    )
    return {
        "baseline": base,
        "challenger": replace(
            base, model_kind="logistic_regression", params={"C": 1.0}, threshold="target"
        ),
        "champion": replace(
            base,
            model_kind="hist_gradient_boosting",
            params={"learning_rate": 0.1, "max_iter": 200, "max_leaf_nodes": 15},
            threshold="target",
        ),
    }


def _done_run(store: Database, project_id: int, name: str) -> int | None:
    found = [r for r in list_runs(store, project_id, status="done") if r.name == name]
    return found[-1].id if found else None


def seed_demo_run(store: Database, project_id: int, actor: str, which: str,
                  progress: Progress = no_progress) -> int | None:
    """Train one of the demo's runs (``baseline``, ``challenger``, ``champion``) on its time
    split, unless a finished run of that name is stored (a resumed seeding); None when the
    demo split is not stored."""
    split_id = _demo_split_id(store, project_id)
    if split_id is None:
        return None
    done = _done_run(store, project_id, RUN_NAMES[which])
    if done is not None:
        return done
    run_id = train_run(store, project_id, _specs(split_id)[which], actor=actor,
                       name=RUN_NAMES[which], save_model=which != "baseline", progress=progress)
    run = get_run(store, run_id)
    if run.status != "done":
        raise TrainingError(f"Demo training failed: {run.error}")
    return run_id


def seed_demo_registry(store: Database, project_id: int, actor: str) -> None:
    """Register the challenger and the champion (each once)."""
    for alias, getter in (("challenger", registry.get_challenger),
                          ("champion", registry.get_champion)):
        run_id = _done_run(store, project_id, RUN_NAMES[alias])
        if run_id is not None and getter(store, project_id) is None:
            registry.register(store, run_id, actor, alias=alias)


def seed_demo_curve(store: Database, project_id: int, actor: str,
                    progress: Progress = no_progress) -> int | None:
    """The champion's learning curve (its stored recipe, at the default threshold), once."""
    done = list_runs(store, project_id, top_level=True, run_type="learning_curve", status="done")
    champion = _done_run(store, project_id, RUN_NAMES["champion"])
    split_id = _demo_split_id(store, project_id)
    if done or champion is None or split_id is None:
        return done[0].id if done else None
    base = _specs(split_id)["baseline"]
    curve = TrainSpec.from_run(get_run(store, champion), preprocessing=base.preprocessing,
                               threshold="0.5")
    return learning_curve(store, project_id, curve, actor=actor, progress=progress)


def seed_demo_runs(store: Database, project_id: int, actor: str) -> list[int]:
    """Train the demo's baseline, challenger and champion on its time split, register them
    and add the champion's learning curve. Skipped (returns []) when the demo split is not
    stored."""
    ids = [seed_demo_run(store, project_id, actor, which) for which in RUN_NAMES]
    if None in ids:
        return []
    seed_demo_registry(store, project_id, actor)
    curve = seed_demo_curve(store, project_id, actor)
    return [i for i in [*ids, curve] if i is not None]
