"""Seeding the demo project step by step: data, brief, split, labels, runs, rehearsals and
a monitoring run, so every page has something to show.

DESIGN
------
* The seeding is a list of named steps (:data:`STEPS`), each idempotent (it checks what is
  stored and adds only what is missing) and recorded as done once its results are
  committed (``setup_steps``, plan ``demo``). A seeding stopped anywhere — a closed tab, a
  killed server — resumes at its first missing step at the next start; a half-built demo
  never stays half-built.
* The first step is recorded before anything else, and only on a pristine database: a user
  who deletes the demo project keeps it deleted, and a database seeded before steps were
  recorded is left alone.
* The steps the Overview needs (project, data, brief, split, labels: about 2 s) run before
  the first page shows (:func:`prepare_demo`); the rest (target typing, training,
  rehearsals, monitoring: about 30 s) runs as a job with its progress shown on the
  Overview (:func:`ensure_demo`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from core import config
from core.data import save_column_settings
from core.db import datasets as datasets_db
from core.db import jobs as jobs_db
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
PLAN = "demo"
STARTED = "started"
JOB_KIND = "seed"
JOB_TITLE = "Preparing the demo project"


@dataclass(frozen=True)
class Step:
    """One named seeding step: ``run(store, project_id, actor, progress)``."""

    name: str
    message: str
    run: Callable[[Database, int, str, Progress], object]
    before_overview: bool = False


def _data(store: Database, pid: int, actor: str, progress: Progress) -> None:
    """The three demo datasets (each unless stored) and the column roles."""
    stored = {d.name: d for d in datasets_db.list_datasets(store, pid)}
    data = generate_demo(n_train=config.get_int("WORKBENCH_DEMO_ROWS"))
    source = "demo generator (seed 7)"
    tables = [
        ("claims_2025_train", data.train, "training",
         "Claims Jan-Aug 2025 with adjuster decisions and audited outcomes."),
        ("claims_production_stream", data.production, "production",
         "Requests Sep 2025-Feb 2026 with latency; audit outcomes lag 21 days."),
        ("claims_annotations", data.annotations, "labels",
         "Three senior reviewers relabelled 1,500 training claims (long form)."),
    ]
    for i, (name, frame, role, note) in enumerate(tables):
        progress(i / len(tables), f"Storing {name}")
        if name not in stored:
            datasets_db.insert_dataset(
                store, pid, name, frame, source=source, role=role, actor=actor, note=note)
    save_column_roles(store, pid, COLUMN_ROLES, actor)


def _target_type(store: Database, pid: int, actor: str, progress: Progress) -> None:
    """The audited outcome is what the model predicts: typed as the target (a type
    detection pass over both tables, about 2 s: after the Overview is drawn)."""
    stored = {d.name: d.id for d in datasets_db.list_datasets(store, pid)}
    for name in ("claims_2025_train", "claims_production_stream"):
        save_column_settings(
            store, stored[name], pd.DataFrame([{"column": TARGET, "type": "target"}]), actor)


def _brief(store: Database, pid: int, actor: str, progress: Progress) -> None:
    brief.seed_demo_brief(store, pid, actor)


def _split(store: Database, pid: int, actor: str, progress: Progress) -> None:
    from core.data.splits import list_splits

    if not any(s.name == runs.DEMO_SPLIT for s in list_splits(store, pid)):
        split.seed_demo_split(store, pid, actor)


def _train(which: str) -> Callable[[Database, int, str, Progress], object]:
    return lambda store, pid, actor, progress: runs.seed_demo_run(
        store, pid, actor, which, progress)


STEPS: tuple[Step, ...] = (
    Step("data", "Storing the claims, the production stream and the reviewers' labels",
         _data, True),
    Step("brief", "Writing the signed-off brief", _brief, True),
    Step("split", "Designing the time-based train/dev/test split", _split, True),
    Step("labels", "Importing the reviewers' labels",
         lambda s, p, a, _: labels.seed_demo_labels(s, p, a), True),
    Step("target_type", "Typing the audited outcome as the target", _target_type),
    Step("baseline", "Training the baseline", _train("baseline")),
    Step("challenger", "Training the logistic-regression challenger", _train("challenger")),
    Step("champion", "Training the gradient-boosting champion", _train("champion")),
    Step("registry", "Registering the champion and the challenger",
         lambda s, p, a, _: runs.seed_demo_registry(s, p, a)),
    Step("learning_curve", "Drawing the champion's learning curve", runs.seed_demo_curve),
    Step("rollouts", "Rehearsing the rollout: shadow, canary and blue-green",
         rollouts.seed_demo_deploy),
    Step("monitoring", "Monitoring the production stream against the training data",
         monitoring.seed_demo_monitoring),
    Step("governance", "Recording the four gates' sign-offs and the team's limitations",
         lambda s, p, a, _: governance.seed_demo_governance(s, p)),
)

OVERVIEW_STEPS = frozenset({"project"} | {s.name for s in STEPS if s.before_overview})


def _project_id(store: Database, actor: str) -> int:
    """The demo project, created once (a stopped creation is found by its name)."""
    found = next((p for p in projects_db.list_projects(store)
                  if p.is_demo and p.name == DEMO_PROJECT), None)
    if found is not None:
        return found.id
    return projects_db.create_project(store, DEMO_PROJECT, actor, DEMO_DESCRIPTION, is_demo=True)


def begin_demo(store: Database, actor: str = "workbench") -> bool:
    """Record the start of the demo's seeding on a pristine database; False otherwise."""
    with store.lock:
        if not projects_db.is_pristine(store):
            return False
        jobs_db.mark_step_done(store, PLAN, STARTED, None, actor)
        return True


def missing_steps(store: Database) -> list[str]:
    """The demo's steps still to run: none when the seeding never started here (seeding
    off, or a database older than the steps) or when the user deleted the demo project."""
    done = jobs_db.done_steps(store, PLAN)
    if STARTED not in done:
        return []
    if "project" in done:
        pid = done["project"]
        if pid is None or projects_db.get_project(store, pid) is None:
            return []
    return [name for name in ["project", *(s.name for s in STEPS)] if name not in done]


def steps_to_seed(store: Database) -> list[str]:
    """What a start has to seed: every step on a pristine database, else the missing ones."""
    if projects_db.is_pristine(store):
        return ["project", *(s.name for s in STEPS)]
    return missing_steps(store)


def run_steps(store: Database, names: list[str], actor: str = "workbench",
              progress: Progress = no_progress) -> int | None:
    """Run the named steps in order, each recorded as done once committed; returns the demo
    project's id (None when no step was asked for)."""
    if not names:
        return None
    pid = _project_id(store, actor)
    if "project" in names:
        jobs_db.mark_step_done(store, PLAN, "project", pid, actor)
    todo = [s for s in STEPS if s.name in names]
    for i, step in enumerate(todo):
        lo, hi = i / len(todo), (i + 1) / len(todo)
        progress(lo, step.message)

        def part(fraction: float, message: str, lo: float = lo, hi: float = hi,
                 step: Step = step) -> None:
            share = min(max(float(fraction), 0.0), 1.0)
            progress(lo + (hi - lo) * share, f"{step.message}: {message}")

        step.run(store, pid, actor, part)
        jobs_db.mark_step_done(store, PLAN, step.name, pid, actor)
    progress(1.0, "Demo project ready")
    return pid


def seed_demo(store: Database, actor: str = "workbench", progress: Progress = no_progress) -> int | None:
    """Create the whole demo project now in a database never written to; returns its id,
    or None (not pristine). A user who deletes the demo project keeps it deleted."""
    if not begin_demo(store, actor):
        return None
    return run_steps(store, missing_steps(store), actor, progress)


def prepare_demo(store: Database, actor: str = "workbench",
                 progress: Progress = no_progress) -> list[str]:
    """First start (or a resumed one): run the missing steps the Overview needs now;
    returns the steps left for a job. Safe from many sessions at once (the store's lock)."""
    with store.lock:
        begin_demo(store, actor)
        now = [n for n in missing_steps(store) if n in OVERVIEW_STEPS]
        if now:
            run_steps(store, now, actor, progress)
        return missing_steps(store)


def ensure_demo(store: Database, actor: str = "workbench",
                progress: Progress = no_progress) -> int | None:
    """Seed what the Overview needs now and the rest as a job; returns the seeding job's id
    (one already queued or running in this process, or a new one), None when complete."""
    from core import jobs

    left = prepare_demo(store, actor, progress)
    if not left:
        return None
    with store.lock:  # one seeding job, whatever the number of sessions starting at once
        latest = jobs.latest_job(store, None, JOB_KIND)
        runner = jobs.runner(store)
        if latest is not None and (latest.active or runner.knows(latest.id)):
            # running, or failed in this process: not retried on every page (a restart does)
            return latest.id
        pid = jobs_db.done_steps(store, PLAN).get("project")
        return jobs.submit(
            store, JOB_KIND, JOB_TITLE,
            lambda p: {"project_id": run_steps(store, missing_steps(store), actor, p)},
            actor=actor, project_id=pid, params={"steps": left})
