"""Projects with a stored split built from scikit-learn's generators, for the training tests.

Column names are unlike the demo's on purpose: nothing in training may depend on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core import scoping
from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db import splits as splits_db
from core.db import training as training_db
from core.db.database import Database
from core.scoping import Brief, Contract


def store_split(
    store: Database, frame: pd.DataFrame, target: str, name: str = "sensors"
) -> tuple[int, int]:
    """A project holding ``frame`` and a 60/20/20 split in row order (one ladder rung)."""
    pid = projects_db.create_project(store, name, "tester")
    did = datasets_db.insert_dataset(
        store, pid, name, frame, source="test", role="training", actor="tester"
    )
    n = len(frame)
    part = np.where(
        np.arange(n) < n * 0.6, "train", np.where(np.arange(n) < n * 0.8, "dev", "test")
    )
    sid = store_parts(store, pid, did, part, target, name="rows in order", actor="tester")
    return pid, sid


def store_parts(
    store: Database,
    pid: int,
    did: int,
    part: np.ndarray,
    target: str,
    name: str = "s",
    actor: str = "t",
) -> int:
    """A split of dataset ``did`` putting row ``i`` in ``part[i]``, every train row on the one
    ladder rung (1.0); returns its id."""
    assign = pd.DataFrame(
        {
            "row_id": np.arange(len(part)),
            "part": part,
            "ladder": np.where(part == "train", 1.0, np.nan),
        }
    )
    return splits_db.insert_split(
        store, pid, did, name, assign, method="random", target=target, params={}, actor=actor
    )


def store_dummy_run(
    store: Database,
    pid: int,
    did: int,
    sid: int,
    predictions: pd.DataFrame | None,
    *,
    target: str,
    positive_class: str,
    features: list[str],
    name: str = "m",
    **fields: Any,
) -> int:
    """A finished classification run of kind "dummy" on split ``sid`` holding ``predictions``
    (row_id, part, y_true, y_pred, score) and no metrics; ``fields`` are further columns of
    ``runs`` (``parent_id``, ``run_type``). Returns its id."""
    rid = training_db.insert_run(
        store,
        pid,
        "t",
        name=name,
        model_kind="dummy",
        split_id=sid,
        dataset_id=did,
        target=target,
        positive_class=positive_class,
        task_type="classification",
        features=features,
        **fields,
    )
    training_db.finish_run(
        store,
        rid,
        "t",
        metrics=pd.DataFrame(columns=["part", "metric", "class", "value"]),
        predictions=predictions,
        updates={},
    )
    return rid


def separable_frame(n: int = 900, seed: int = 1) -> tuple[pd.DataFrame, list[str]]:
    """A binary problem that a linear model separates perfectly (no label noise)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        class_sep=6.0,
        flip_y=0.0,
        weights=[0.85],
        random_state=seed,
    )
    features = [f"sensor_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=features)
    frame["is_fault"] = y
    return frame, features


def regression_frame(n: int = 600, seed: int = 3) -> tuple[pd.DataFrame, list[str]]:
    """A numeric target (no zeros) from ``make_regression``, with one categorical feature."""
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=n, n_features=4, noise=8.0, random_state=seed)
    features = ["load_kw", "outdoor_temp", "occupancy", "floor_area"]
    frame = pd.DataFrame(X, columns=features)
    frame["building_type"] = np.where(X[:, 0] > 0, "office", "depot")
    frame["energy_use"] = y + 400.0  # well away from zero, so MAPE is defined on every row
    return frame, [*features, "building_type"]


def save_contract(store: Database, pid: int, **contract: Any) -> None:
    """Store a brief whose contract holds ``contract``."""
    scoping.save_brief(
        store, pid, Brief(problem="A test problem.", contract=Contract(**contract)), "tester"
    )
