"""A model scored on a split's test part with the training stage's own code
(``core.training.fit.prepare`` and ``score``): the overall metrics and the per-row
predictions beside the features, for a model file or for a champion trained on another
split."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from core.db.database import Database
from core.db.training import RunRow
from core.gates.result import GateError


@dataclass(frozen=True)
class Scored:
    metrics: dict[str, float]  # overall metrics of the part
    frame: pd.DataFrame  # row_id, y_true, y_pred, score and the recipe's features
    positive_class: str | None
    regression: bool


def score_on_test(store: Database, model: Any, recipe: RunRow, split_id: int,
                  threshold: float | None) -> Scored:
    """Score ``model`` on the test part of ``split_id`` with ``recipe``'s features, target
    and positive class (``threshold``: the positive class's cut, None for the most likely
    class). GateError when the split has no labelled test rows."""
    from core.data.splits import get_split
    from core.db.datasets import ROW_ID
    from core.progress import no_progress
    from core.training import fit
    from core.training.spec import TrainSpec

    spec = TrainSpec.from_run(recipe, split_id=split_id)
    task = "regression" if recipe.task_type == "regression" else "classification"
    data = fit.prepare(store, get_split(store, split_id), spec, task, no_progress)
    test = data.parts.get("test")
    if test is None or test.empty:
        raise GateError(f"Split #{split_id} has no labelled test part to score the model on.")
    one = replace(data, parts={"test": test})
    features = list(data.features)
    proba = {"test": model.predict_proba(test[features])} if task == "classification" else {}
    classes = [str(c) for c in getattr(model, "classes_", [])]
    metrics, preds = fit.score(model, one, proba, classes,
                               threshold if data.positive_class is not None else None)
    overall = metrics[metrics["class"].isna()]
    frame = pd.concat([preds.drop(columns=["part"]).reset_index(drop=True),
                       test[features].reset_index(drop=True)], axis=1)
    assert (frame["row_id"].to_numpy() == test[ROW_ID].to_numpy()).all()
    return Scored({str(k): float(v) for k, v in zip(overall["metric"], overall["value"],
                                                     strict=True)},
                  frame, data.positive_class, task == "regression")
