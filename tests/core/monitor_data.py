"""Data for monitoring tests on a user's own data: no time column, column names unlike the
demo's, a model trained through core.training, and the drifted batch of issue 15 (one
feature shifted by +8, another scaled by 1.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import training
from core.data import splits
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.training import registry

FEATURES = [f"gauge_{c}" for c in "abcdefghi"]  # nine numeric features
TARGET = "fault_flag"
LEVEL = "yield_kg"


def plant_frame(n: int, seed: int) -> pd.DataFrame:
    """Nine gauges, a binary fault flag driven by three of them, and a numeric yield."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES)))
    frame = pd.DataFrame(x, columns=FEATURES)
    logit = 1.5 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2]
    frame[TARGET] = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame[LEVEL] = 20 + 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(0, 0.5, n)
    return frame


def drifted_batch(n: int = 1000, seed: int = 5) -> pd.DataFrame:
    """The issue's batch: ``gauge_a`` shifted by +8, ``gauge_b`` scaled by 1.5, no labels."""
    batch = plant_frame(n, seed).drop(columns=[TARGET, LEVEL])
    batch["gauge_a"] = batch["gauge_a"] + 8
    batch["gauge_b"] = batch["gauge_b"] * 1.5
    return batch


def plant_project(store: Database, *, n: int = 3000, seed: int = 1) -> tuple[int, int]:
    """A project with the reference (training) data; (project id, reference dataset id)."""
    pid = projects_db.create_project(store, "Plant faults", "own data, no time column")
    rid = datasets_db.insert_dataset(store, pid, "plant_history", plant_frame(n, seed),
                                     source="test", role="training", actor="t")
    return pid, rid


def train_champion(store: Database, pid: int, rid: int, *, target: str = TARGET,
                   model_kind: str = "logistic_regression") -> int:
    """Train a model on the reference through core.training; its champion version id."""
    regression = target == LEVEL
    sid = splits.create_split(store, pid, rid, f"split_{target}",
                              method="random" if regression else "stratified", target=target,
                              seed=0, actor="t")
    run_id = training.train_run(store, pid, training.TrainSpec(sid, target, tuple(FEATURES),
                                                               model_kind), actor="t")
    run = training.get_run(store, run_id)
    assert run.status == "done", run.error
    return registry.register(store, run_id, "t", alias="champion")
