"""Learning curves: one child run per rung of the split's ladder (10% … 100% of train).

Dev and test stay the same at every rung, so the curve shows what more data buys.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd

from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.progress import Progress, no_progress
from core.training.runs import (
    close_container,
    container_guard,
    get_run,
    list_runs,
    open_container,
    train_run,
)
from core.training.spec import TrainSpec


def split_ladder(store: Database, split_id: int) -> list[float]:
    """The split's learning-ladder shares (e.g. [0.1, 0.25, 0.5, 1.0]) from its train rows."""
    frame = splits_db.split_frame(store, split_id, columns=[], parts=["train"])
    values = sorted(v for v in frame["__ladder"].dropna().unique())
    return [float(v) for v in values] or [1.0]


def learning_curve(
    store: Database,
    project_id: int,
    spec: TrainSpec,
    *,
    actor: str,
    progress: Progress | None = None,
) -> int:
    """Train ``spec`` once per rung of its split's ladder; returns the parent run id.

    Read the points with ``learning_curve_frame``. The trials save no model.
    """
    progress = progress or no_progress
    t0 = time.perf_counter()
    split = splits_db.get_split(store, spec.split_id)
    rungs = split_ladder(store, spec.split_id) if split else [1.0]
    parent = open_container(
        store,
        project_id,
        spec,
        actor,
        run_type="learning_curve",
        name=f"learning curve: {spec.model_kind}",
        params=spec.stored_params(),
    )
    children: list[int] = []
    with container_guard(store, parent, actor, t0):
        for i, share in enumerate(rungs):
            progress(i / len(rungs), f"Rung {i + 1} of {len(rungs)}: {share:.0%} of train")
            rung = train_run(
                store,
                project_id,
                replace(spec, max_ladder=share),
                actor=actor,
                parent_id=parent,
                name=f"{spec.model_kind} on {share:.0%} of train",
                save_model=False,
            )
            children.append(rung)
        close_container(store, parent, children, actor, t0, {**spec.stored_params(), "ladder": rungs})
    progress(1.0, "Learning curve done")
    return parent


def learning_curve_frame(store: Database, parent_id: int, metric: str) -> pd.DataFrame:
    """Points of a learning curve: share, train rows, part (train/dev), metric value."""
    project_id = get_run(store, parent_id).project_id
    children = [r for r in list_runs(store, project_id, parent_id=parent_id) if r.status == "done"]
    if not children:
        return pd.DataFrame(columns=["share", "train_rows", "part", "value"])
    long = training_db.run_metrics(store, [r.id for r in children])
    long = long[
        (long["metric"] == metric) & long["class"].isna() & long["part"].isin(["train", "dev"])
    ]
    info = pd.DataFrame(
        {
            "run_id": [r.id for r in children],
            "share": [r.max_ladder for r in children],
            "train_rows": [r.n_train for r in children],
        }
    )
    out = long.merge(info, on="run_id")[["share", "train_rows", "part", "value"]]
    return out.sort_values(["part", "share"]).reset_index(drop=True)
