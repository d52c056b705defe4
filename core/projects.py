"""Projects: the demo seeding and the lifecycle checklist derived from what is stored.

DESIGN: a step's status is never a tick box; it is read from stored results, so it stays
true when results are deleted or recomputed. Each later stage adds its evidence here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core import config, demo
from core.samples import SAMPLES, load_sample
from core.store import Store, StoreError

DEMO_PROJECT = "Claims triage (demo)"
DEMO_DESCRIPTION = (
    "Northwind Insurance: flag home-insurance claims that need investigation, "
    "today decided by adjusters by hand."
)

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    pass


def seed_demo(store: Store, actor: str = "workbench", progress: Progress = _no_progress) -> int | None:
    """Create the demo project in a database never written to; returns its id, or None.

    A user who deletes the demo project keeps it deleted: only a pristine database seeds.

    Safe to call from many sessions at once: the check and the seeding run under the
    store's lock, so only the first caller seeds.
    """
    with store._lock:
        if not store.is_pristine():
            return None
        progress(0.05, "Generating eight months of claims and six of production traffic")
        data = demo.generate_demo(n_train=config.get_int("WORKBENCH_DEMO_ROWS"))
        pid = store.create_project(DEMO_PROJECT, actor, DEMO_DESCRIPTION, is_demo=True)
        try:
            progress(0.4, "Storing the training claims")
            store.insert_dataset(
                pid, "claims_2025_train", data.train, source="demo generator (seed 7)",
                role="training", actor=actor,
                note="Claims Jan-Aug 2025 with adjuster decisions and audited outcomes.",
            )
            progress(0.6, "Storing the production stream")
            store.insert_dataset(
                pid, "claims_production_stream", data.production, source="demo generator (seed 7)",
                role="production", actor=actor,
                note="Requests Sep 2025-Feb 2026 with latency; audit outcomes lag 21 days.",
            )
            progress(0.8, "Storing the reviewers' labels")
            store.insert_dataset(
                pid, "claims_annotations", data.annotations, source="demo generator (seed 7)",
                role="labels", actor=actor,
                note="Three senior reviewers relabelled 1,500 training claims (long form).",
            )
            # SEED SLOT scoping brief (issue 3)
            # SEED SLOT split (issue 4)
            # SEED SLOT labels (issue 5)
            # SEED SLOT training runs (issue 6)
            # SEED SLOT deploy simulation (issue 8)
            # SEED SLOT monitoring (issue 9)
        except Exception:
            store.delete_project(pid, actor)
            raise
        progress(1.0, "Demo project ready")
        return pid


def add_sample_dataset(store: Store, project_id: int, name: str, actor: str) -> int:
    """Load one of scikit-learn's bundled data sets into a project."""
    if name not in SAMPLES:
        raise StoreError(f"Unknown sample {name!r}.")
    return store.insert_dataset(
        project_id, f"sklearn_{name}", load_sample(name), source=f"scikit-learn {name}",
        role="training", actor=actor, note=SAMPLES[name],
    )


@dataclass(frozen=True)
class StepStatus:
    step: str
    status: str  # "done", "in progress", "not started"
    evidence: str
    next_action: str


LIFECYCLE = ("Scope", "Data", "Build", "Deploy", "Monitor", "Update")


def lifecycle(store: Store, project_id: int) -> list[StepStatus]:
    """The lifecycle checklist of a project, each status derived from stored results."""
    roles = store.count_datasets(project_id)
    n_data = sum(roles.values())
    steps = [
        StepStatus("Scope", "not started", "No project brief is stored.",
                   "Write the brief: problem, f(x)=y, metrics and baselines."),
    ]
    if roles.get("training"):
        data = StepStatus("Data", "done", f"{n_data} dataset(s), {roles['training']} for training.",
                          "Check quality and design a split.")
    elif n_data:
        data = StepStatus("Data", "in progress", f"{n_data} dataset(s), none for training.",
                          "Load or mark a training dataset.")
    else:
        data = StepStatus("Data", "not started", "No dataset yet.", "Load a CSV, Parquet or sample dataset.")
    steps.append(data)
    steps += [
        StepStatus("Build", "not started", "No training run is stored.", "Train a first model."),
        StepStatus("Deploy", "not started", "No rollout has been simulated.",
                   "Rehearse a shadow or canary rollout."),
        StepStatus("Monitor", "not started", "No production window has been checked.",
                   "Profile the production stream against the reference."),
        StepStatus("Update", "not started", "No retraining has been triggered.",
                   "Retrain when an alert fires."),
    ]
    return steps


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
