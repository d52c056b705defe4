"""A regression project for rollout tests: column names unlike the demo's, no time column,
a brief whose contract is a regression one (MAE target, RMSE ceiling), a mean baseline and a
ridge registered with core.training, roles set with core.projects.save_column_roles.

The stream is in file order; it may hold the current process's numeric estimates
(``desk_estimate``) and its outcomes can be shifted from a given row on (a planted
degradation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import scoping, training
from core.data.splits import create_split
from core.db import datasets as datasets_db
from core.db.database import Database
from core.projects import create_project, save_column_roles
from core.scoping import Brief
from core.scoping.contract import Contract, MetricFloor, MetricTarget
from core.training import registry

ACTOR = "tester"
FEATURES = ["load_kw", "temp_c", "zone"]
TARGET = "energy_use"
MAE_TARGET = 9.0
RMSE_CEILING = 12.0


def rows(n: int, seed: int) -> pd.DataFrame:
    """y = 50 + 10·load − 6·temp + 5·[zone = hill] + N(0, 8²): a ridge's MAE is near 6.4,
    the mean's near 11."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    zone = rng.choice(["hill", "flat", "coast"], size=n)
    y = 50 + 10 * a - 6 * b + 5 * (zone == "hill") + rng.normal(0, 8, n)
    return pd.DataFrame({"meter_ref": [f"M{seed}-{i:06d}" for i in range(n)],
                         "load_kw": a, "temp_c": b, "zone": zone, TARGET: y.round(3)})


@dataclass(frozen=True)
class RegressionProject:
    project_id: int
    stream_id: int
    baseline_id: int  # the mean baseline (DummyRegressor)
    ridge_id: int  # the champion


def build_regression_project(
    store: Database,
    *,
    n_stream: int = 2000,
    shift_from: int | None = None,
    with_estimates: bool = False,
    brief: bool = True,
    with_labels: bool = True,
) -> RegressionProject:
    """Training data, a split, a mean baseline and a ridge (champion), a production stream
    (no time column), the project's roles and, with ``brief``, a regression contract.
    ``shift_from`` adds 40 to the stream's outcomes from that row on."""
    pid = create_project(store, "Meter forecasts", ACTOR)
    did = datasets_db.insert_dataset(store, pid, "meters_history", rows(1500, seed=1),
                                     source="test", role="training", actor=ACTOR)
    save_column_roles(store, pid, {"time": None, "id": "meter_ref", "target": TARGET,
                                   "incumbent": "desk_estimate" if with_estimates else None,
                                   "latency": None, "status": None}, ACTOR)
    if brief:
        scoping.save_brief(store, pid, Brief(problem="Forecast meter energy use.", contract=Contract(
            task_type="regression", target_column=TARGET,
            primary=MetricTarget("mae", MAE_TARGET),
            secondary=[MetricFloor("rmse", RMSE_CEILING)],
        )), ACTOR)
    sid = create_split(store, pid, did, "random", actor=ACTOR, method="random", target=TARGET)
    versions = []
    for kind in ("dummy_regressor", "ridge"):
        rid = training.train_run(store, pid, training.TrainSpec(sid, TARGET, tuple(FEATURES), kind, {}),
                                 actor=ACTOR)
        run = training.get_run(store, rid)
        assert run.status == "done", run.error
        versions.append(registry.register(store, rid, ACTOR))
    registry.set_alias(store, versions[1], "champion", ACTOR)

    stream = rows(n_stream, seed=2)
    if shift_from is not None:
        stream.loc[shift_from:, TARGET] = stream.loc[shift_from:, TARGET] + 40
    if with_estimates:  # the current process: the true signal plus a wider error
        rng = np.random.default_rng(3)
        stream["desk_estimate"] = (stream[TARGET] + rng.normal(0, 12, n_stream)).round(2)
    if not with_labels:
        stream = stream.drop(columns=TARGET)
    stream_id = datasets_db.insert_dataset(store, pid, "meters_live", stream, source="test",
                                           role="production", actor=ACTOR)
    return RegressionProject(pid, stream_id, versions[0], versions[1])
