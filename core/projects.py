"""Projects: the demo seeding and the lifecycle checklist derived from what is stored.

DESIGN: a step's status is never a tick box; it is read from stored results, so it stays
true when results are deleted or recomputed. Each later stage adds its evidence here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core import config, demo
from core.data.samples import SAMPLES, load_sample
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import training as training_db
from core.db.database import Database
from core.errors import StoreError

DEMO_PROJECT = "Claims triage (demo)"
DEMO_DESCRIPTION = (
    "Northwind Insurance: flag home-insurance claims that need investigation, "
    "today decided by adjusters by hand."
)

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    pass


def seed_demo(store: Database, actor: str = "workbench", progress: Progress = _no_progress) -> int | None:
    """Create the demo project in a database never written to; returns its id, or None.

    A user who deletes the demo project keeps it deleted: only a pristine database seeds.

    Safe to call from many sessions at once: the check and the seeding run under the
    store's lock, so only the first caller seeds.
    """
    with store.lock:
        if not projects_db.is_pristine(store):
            return None
        progress(0.05, "Generating eight months of claims and six of production traffic")
        data = demo.generate_demo(n_train=config.get_int("WORKBENCH_DEMO_ROWS"))
        pid = projects_db.create_project(store, DEMO_PROJECT, actor, DEMO_DESCRIPTION, is_demo=True)
        try:
            progress(0.4, "Storing the training claims")
            datasets_db.insert_dataset(
                store, pid, "claims_2025_train", data.train, source="demo generator (seed 7)",
                role="training", actor=actor,
                note="Claims Jan-Aug 2025 with adjuster decisions and audited outcomes.",
            )
            progress(0.6, "Storing the production stream")
            datasets_db.insert_dataset(
                store, pid, "claims_production_stream", data.production, source="demo generator (seed 7)",
                role="production", actor=actor,
                note="Requests Sep 2025-Feb 2026 with latency; audit outcomes lag 21 days.",
            )
            progress(0.8, "Storing the reviewers' labels")
            datasets_db.insert_dataset(
                store, pid, "claims_annotations", data.annotations, source="demo generator (seed 7)",
                role="labels", actor=actor,
                note="Three senior reviewers relabelled 1,500 training claims (long form).",
            )
            # SEED SLOT scoping brief (issue 3)
            from core.scoping import seed_demo_brief

            seed_demo_brief(store, pid, actor)
            # SEED SLOT split (issue 4)
            from core.data.splits import seed_demo_split

            progress(0.85, "Designing the time-based train/dev/test split")
            seed_demo_split(store, pid, actor)
            # SEED SLOT labels (issue 5)
            from core.labeling import seed_demo_labels

            seed_demo_labels(store, pid, actor)
            # SEED SLOT training runs (issue 6)
            from core.training import seed_demo_runs

            progress(0.9, "Training the baseline, challenger and champion models")
            seed_demo_runs(store, pid, actor)
            # SEED SLOT deploy simulation (issue 8)
            from core.deploy import seed_demo_deploy

            progress(0.95, "Rehearsing the rollout: shadow, canary and blue-green")
            seed_demo_deploy(store, pid, actor)
            # SEED SLOT monitoring (issue 9)
            from core.monitoring import seed_demo_monitoring

            progress(0.97, "Monitoring the production stream against the training data")
            seed_demo_monitoring(store, pid, actor)
        except Exception:
            projects_db.delete_project(store, pid, actor)
            raise
        progress(1.0, "Demo project ready")
        return pid


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
