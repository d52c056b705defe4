"""Seeding the demo project on a pristine database: data, brief, split, labels, runs,
rehearsals and a monitoring run, so every page has something to show."""

from __future__ import annotations

import pandas as pd

from core import config
from core.data import save_column_settings
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.demo import brief, governance, labels, monitoring, rollouts, runs, split
from core.demo.generator import COLUMN_ROLES, TARGET, generate_demo
from core.progress import Progress, no_progress
from core.projects import save_column_roles

DEMO_PROJECT = "Claims triage (demo)"
DEMO_DESCRIPTION = (
    "Northwind Insurance: flag home-insurance claims that need investigation, "
    "today decided by adjusters by hand."
)


def seed_demo(store: Database, actor: str = "workbench", progress: Progress = no_progress) -> int | None:
    """Create the demo project in a database never written to; returns its id, or None.

    A user who deletes the demo project keeps it deleted: only a pristine database seeds.

    Safe to call from many sessions at once: the check and the seeding run under the
    store's lock, so only the first caller seeds.
    """
    with store.lock:
        if not projects_db.is_pristine(store):
            return None
        progress(0.05, "Generating eight months of claims and six of production traffic")
        data = generate_demo(n_train=config.get_int("WORKBENCH_DEMO_ROWS"))
        pid = projects_db.create_project(store, DEMO_PROJECT, actor, DEMO_DESCRIPTION, is_demo=True)
        try:
            progress(0.4, "Storing the training claims")
            train_id = datasets_db.insert_dataset(
                store, pid, "claims_2025_train", data.train, source="demo generator (seed 7)",
                role="training", actor=actor,
                note="Claims Jan-Aug 2025 with adjuster decisions and audited outcomes.",
            )
            progress(0.6, "Storing the production stream")
            stream_id = datasets_db.insert_dataset(
                store, pid, "claims_production_stream", data.production, source="demo generator (seed 7)",
                role="production", actor=actor,
                note="Requests Sep 2025-Feb 2026 with latency; audit outcomes lag 21 days.",
            )
            save_column_roles(store, pid, COLUMN_ROLES, actor)
            # the audited outcome is what the model predicts: typed as the target
            for did in (train_id, stream_id):
                save_column_settings(
                    store, did, pd.DataFrame([{"column": TARGET, "type": "target"}]), actor
                )
            progress(0.8, "Storing the reviewers' labels")
            datasets_db.insert_dataset(
                store, pid, "claims_annotations", data.annotations, source="demo generator (seed 7)",
                role="labels", actor=actor,
                note="Three senior reviewers relabelled 1,500 training claims (long form).",
            )
            brief.seed_demo_brief(store, pid, actor)
            progress(0.85, "Designing the time-based train/dev/test split")
            split.seed_demo_split(store, pid, actor)
            labels.seed_demo_labels(store, pid, actor)
            progress(0.9, "Training the baseline, challenger and champion models")
            runs.seed_demo_runs(store, pid, actor)
            progress(0.95, "Rehearsing the rollout: shadow, canary and blue-green")
            rollouts.seed_demo_deploy(store, pid, actor)
            governance.seed_demo_governance(store, pid)
            progress(0.97, "Monitoring the production stream against the training data")
            monitoring.seed_demo_monitoring(store, pid, actor)
        except Exception:
            projects_db.delete_project(store, pid, actor)
            raise
        progress(1.0, "Demo project ready")
        return pid
