"""Projects: bundled sample datasets and the lifecycle checklist derived from what is stored.

DESIGN: a step's status is never a tick box; it is read from stored results, so it stays
true when results are deleted or recomputed. Each later stage adds its evidence here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core.data.samples import SAMPLES, load_sample
from core.db import datasets as datasets_db
from core.db import training as training_db
from core.db.database import Database
from core.errors import StoreError

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    pass


def add_sample_dataset(store: Database, project_id: int, name: str, actor: str) -> int:
    """Load one of scikit-learn's bundled data sets into a project."""
    if name not in SAMPLES:
        raise StoreError(f"Unknown sample {name!r}.")
    return datasets_db.insert_dataset(
        store, project_id, f"sklearn_{name}", load_sample(name), source=f"scikit-learn {name}",
        role="training", actor=actor, note=SAMPLES[name],
    )


@dataclass(frozen=True)
class StepStatus:
    step: str
    status: str  # "done", "in progress", "not started"
    evidence: str
    next_action: str


LIFECYCLE = ("Scope", "Data", "Build", "Deploy", "Monitor", "Update")


def lifecycle(store: Database, project_id: int) -> list[StepStatus]:
    """The lifecycle checklist of a project, each status derived from stored results."""
    from core.data.datasets import data_step  # the Data step: datasets, quality, a split
    from core.monitoring import monitor_step, update_step
    from core.scoping import scope_step  # the Scope step is the brief's readiness

    steps = [
        StepStatus("Scope", *scope_step(store, project_id)),
    ]
    data = StepStatus("Data", *data_step(store, project_id))
    steps.append(data)
    steps += [
        StepStatus("Build", *_build_step(store, project_id)),
        StepStatus("Deploy", *_deploy_step(store, project_id)),
        StepStatus("Monitor", *monitor_step(store, project_id)),
        StepStatus("Update", *update_step(store, project_id)),
    ]
    return steps


def _deploy_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Deploy is done when a stored rollout rehearsal ended in a "go" decision."""
    from core.deploy import deploy_step

    return deploy_step(store, project_id)


def _build_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """Build is done when a champion is registered, in progress once a run is stored."""
    from core.training import registry

    runs = training_db.list_runs(store, project_id)
    champion = registry.get_champion(store, project_id)
    if champion is not None:
        run = training_db.get_run(store, champion.run_id) or {}
        return ("done", f"{len(runs)} run(s); champion v{champion.version} "
                f"({run.get('model_kind', '?')}, run #{champion.run_id}).",
                "Analyse its errors by slice, then rehearse the rollout.")
    if runs:
        done = sum(r["status"] == "done" for r in runs)
        return ("in progress", f"{len(runs)} run(s), {done} finished; no champion yet.",
                "Register the best run and make it the champion.")
    return ("not started", "No training run is stored.", "Train a first model.")


def open_actions_frame(store: Database, project_id: int) -> pd.DataFrame:
    """Error-analysis actions still open (collect data, augment, relabel), for the Overview."""
    from core.analysis import open_actions

    return pd.DataFrame(
        [
            {"slice": a.label, "action": a.action_label, "note": a.note,
             "run": a.run_id, "since": a.created_at, "by": a.created_by}
            for a in open_actions(store, project_id)
        ],
        columns=["slice", "action", "note", "run", "since", "by"],
    )


def lifecycle_frame(steps: list[StepStatus]) -> pd.DataFrame:
    return pd.DataFrame([s.__dict__ for s in steps])


def datasets_frame(datasets: list) -> pd.DataFrame:
    """The dataset catalog as a display table."""
    return pd.DataFrame(
        [
            {
                "name": d.name, "role": d.role, "rows": d.n_rows, "columns": d.n_cols,
                "hash": d.content_hash, "source": d.source, "note": d.note,
                "created": d.created_at, "by": d.created_by,
            }
            for d in datasets
        ]
    )
