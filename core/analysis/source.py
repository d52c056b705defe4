"""The slice base: where per-row predictions come from (a finished run's part, or a frame),
and the runs that have one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.db import analysis as analysis_db
from core.db import datasets as datasets_db
from core.db import training as training_db
from core.db.database import Database
from core.db.training import RunRow
from core.errors import StoreError


class SliceError(StoreError):
    """Bad input for error analysis; the message says what to do."""


@dataclass(frozen=True, eq=False)
class SliceSource:
    """Where the per-row predictions come from: a run's part, or an in-memory frame.

    A frame has ``row_id``, ``y_true``, ``y_pred``, ``score`` and the feature columns.
    """

    run_id: int | None = None
    part: str | None = None
    frame: Any = None
    positive_class: str | None = None
    regression: bool = False
    project_id: int | None = None
    tag_datasets: tuple[int, ...] = ()
    dataset_id: int | None = None
    target: str | None = None
    features: tuple[str, ...] = ()


def analysable_runs(store: Database, project_id: int) -> list[RunRow]:
    """Finished training runs of a project that have a dataset (so their rows can be
    sliced), newest first; learning-curve and search parents hold no predictions."""
    runs = training_db.list_runs(store, project_id, status="done", run_type="train")
    return [r for r in runs if r.dataset_id is not None]


def get_run(store: Database, run_id: int) -> RunRow:
    """A run, or a :class:`SliceError` when it no longer exists."""
    run = training_db.get_run(store, run_id)
    if run is None:
        raise SliceError("That run does not exist (any more).")
    return run


def source_for_run(store: Database, run_id: int, part: str) -> SliceSource:
    """The slice base of a finished run's part; a clear error when it has no predictions."""
    run = get_run(store, run_id)
    if run.status != "done":
        raise SliceError(f"Run {run.name!r} is {run.status}: only finished runs have predictions.")
    if run.dataset_id is None:
        raise SliceError(f"Run {run.name!r} has no dataset, so its rows cannot be sliced.")
    if training_db.prediction_confusion(store, run_id, part).empty:
        raise SliceError(
            f"Run {run.name!r} has no stored predictions on the {part} part. Pick another "
            "part, or retrain: every finished run stores its per-row predictions."
        )
    return SliceSource(
        run_id=run_id,
        part=part,
        positive_class=run.positive_class,
        regression=run.task_type == "regression",
        project_id=run.project_id,
        tag_datasets=tuple(datasets_db.dataset_lineage(store, run.dataset_id)),
        dataset_id=run.dataset_id,
        target=run.target,
        features=tuple(run.features or ()),
    )


def frame_source(
    frame: pd.DataFrame, positive_class: str | None = None, regression: bool = False
) -> SliceSource:
    """A slice base from a frame (tests, benchmark): row_id, y_true, y_pred, score, features."""
    need = {"y_true", "y_pred"} - set(frame.columns)
    if need:
        raise SliceError(f"The frame needs the columns {sorted(need)}.")
    f = frame.copy()
    if "row_id" not in f:
        f["row_id"] = np.arange(len(f))
    if "score" not in f:
        f["score"] = np.nan
    f["y_true"] = f["y_true"].astype(str)
    f["y_pred"] = f["y_pred"].astype(str)
    return SliceSource(frame=to_arrow(f), positive_class=positive_class, regression=regression)


def to_arrow(frame: pd.DataFrame) -> Any:
    """A pyarrow table of a frame (what the repository registers on its cursor)."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def slice_columns(store: Database, source: SliceSource) -> list[tuple[str, str]]:
    """Columns (name, DuckDB type) the source can be sliced by."""
    return analysis_db.slice_columns(store, source)


def column_choices(
    store: Database, source: SliceSource, sensitive: list[str]
) -> tuple[list[str], list[str]]:
    """The columns to offer (all but the target) and the default pick: the run's features
    and the brief's sensitive columns, in that order, without repeats."""
    available = [c for c, _ in slice_columns(store, source) if c != source.target]
    default = [c for c in [*source.features, *sensitive] if c in available]
    return available, list(dict.fromkeys(default))


def count_rows(store: Database, source: SliceSource) -> int:
    """Rows of the slice base."""
    agg = analysis_db.slice_aggregates(store, source, [])
    return int(agg["n"].iloc[0]) if len(agg) else 0
