"""The Training page's long work as jobs: a run, a learning curve, a search.

Each action submits a job and follows it (``ui.jobs``); leaving the page never stops the
training, and the page follows a job still running when the user comes back.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import training
from core.db.database import Database
from core.training import TrainSpec
from ui import jobs

TRAIN, CURVE, SEARCH = "train", "learning_curve", "search"


def train(store: Database, project_id: int, spec: TrainSpec, name: str | None, user: str,
          clicked: bool) -> None:
    """The Train button's job, or the train job still running; the new run becomes the
    page's last and picked run."""
    if clicked:
        label = f"Training {name or spec.model_kind}"
        job = jobs.run_job(
            store, "training.job", TRAIN, label,
            lambda p: {"run_id": training.train_run(
                store, project_id, spec, actor=user, name=name, progress=p)},
            actor=user, project_id=project_id)
    else:
        job = jobs.resume(store, "training.job", project_id, TRAIN, "Training")
    if job is not None and job.status == "done" and job.result:
        st.session_state["training.last_run"] = st.session_state["training.run"] = job.result[
            "run_id"]


def learning_curve(store: Database, project_id: int, spec: TrainSpec, user: str,
                   clicked: bool) -> None:
    """The learning-curve button's job, or the one still running."""
    if clicked:
        jobs.run_job(
            store, "training.curve_job", CURVE, "Learning curve",
            lambda p: {"run_id": training.learning_curve(
                store, project_id, spec, actor=user, progress=p)},
            actor=user, project_id=project_id)
    else:
        jobs.resume(store, "training.curve_job", project_id, CURVE, "Learning curve")


def search(store: Database, project_id: int, spec: TrainSpec, space: dict[str, list[Any]] | None,
           method: str, n_trials: int, user: str) -> None:
    """The search button's job (``space`` given), or the one still running."""
    if space is not None:
        jobs.run_job(
            store, "training.search_job", SEARCH, "Searching",
            lambda p: {"run_id": training.hyperparameter_search(
                store, project_id, spec, space, actor=user, method=method, n_trials=n_trials,
                progress=p)},
            actor=user, project_id=project_id)
    else:
        jobs.resume(store, "training.search_job", project_id, SEARCH, "Searching")
