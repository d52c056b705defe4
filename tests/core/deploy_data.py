"""A project on the user's own data for rollout tests: column names unlike the demo's, a
model trained with core.training, roles set with core.projects.save_column_roles.

The stream can lack a time column and/or the current process's decisions; its labels can
turn against the model from a given row on (a planted degradation, in row order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import training
from core.data.splits import create_split
from core.db import datasets as datasets_db
from core.db.database import Database
from core.projects import create_project, save_column_roles
from core.training import registry

ACTOR = "tester"
FEATURES = ["amt_score", "tenure_m", "segment"]
TARGET = "outcome_flag"


def _rows(n: int, seed: int) -> pd.DataFrame:
    """A learnable binary problem (accuracy near 0.9 for a logistic regression)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    seg = rng.choice(["north", "south", "east"], size=n)
    z = 3.0 * a - 2.0 * b + (seg == "north") * 0.5
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(int)
    return pd.DataFrame({"ticket_ref": [f"T{seed}-{i:06d}" for i in range(n)],
                         "amt_score": a, "tenure_m": b, "segment": seg, TARGET: y})


@dataclass(frozen=True)
class OwnProject:
    project_id: int
    stream_id: int
    champion_id: int
    challenger_id: int


def build_project(
    store: Database,
    name: str = "Loan desk",
    *,
    with_time: bool = True,
    with_incumbent: bool = True,
    incumbent_role: bool | None = None,
    n_stream: int = 3000,
    flip_from: int | None = None,
) -> OwnProject:
    """Training data, a split, two logistic regressions (champion and challenger), a
    production stream and the project's column roles. ``incumbent_role`` (default: as
    ``with_incumbent``) sets the incumbent role even when the stream lacks that column;
    ``flip_from`` inverts the stream's labels from that row on."""
    pid = create_project(store, name, ACTOR)
    train = _rows(1500, seed=1)
    did = datasets_db.insert_dataset(store, pid, "loans_history", train, source="test",
                                     role="training", actor=ACTOR)
    sid = create_split(store, pid, did, "random", actor=ACTOR, method="random", target=TARGET)
    versions = []
    for c in (1.0, 0.05):
        rid = training.train_run(
            store, pid,
            training.TrainSpec(sid, TARGET, FEATURES, "logistic_regression", {"C": c}),
            actor=ACTOR,
        )
        run = training.get_run(store, rid)
        assert run.status == "done", run.error
        versions.append(registry.register(store, rid, ACTOR))
    registry.set_alias(store, versions[0], "champion", ACTOR)
    registry.set_alias(store, versions[1], "challenger", ACTOR)

    stream = _rows(n_stream, seed=2)
    rng = np.random.default_rng(3)
    if flip_from is not None:
        stream.loc[flip_from:, TARGET] = 1 - stream.loc[flip_from:, TARGET]
    if with_incumbent:  # the current process: right 85% of the time
        stream["ops_verdict"] = np.where(rng.uniform(size=n_stream) < 0.85,
                                         stream[TARGET], 1 - stream[TARGET])
    stream["resp_time"] = rng.gamma(4, 10, n_stream)
    if with_time:
        stream.insert(1, "logged_on", pd.Timestamp("2031-03-01")
                      + pd.to_timedelta(np.arange(n_stream) * 300, unit="s"))
    stream_id = datasets_db.insert_dataset(store, pid, "loans_live", stream, source="test",
                                           role="production", actor=ACTOR)
    has_role = with_incumbent if incumbent_role is None else incumbent_role
    save_column_roles(store, pid, {
        "time": "logged_on" if with_time else None,
        "id": "ticket_ref",
        "target": TARGET,
        "incumbent": "ops_verdict" if has_role else None,
        "latency": "resp_time",
        "status": None,
    }, ACTOR)
    return OwnProject(pid, stream_id, versions[0], versions[1])
