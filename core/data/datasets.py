"""A project's datasets as the Data page reads them, and the lifecycle's Data step."""

from __future__ import annotations

import pandas as pd

from core.db import data as data_db
from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.database import Database
from core.db.datasets import DatasetRow


def list_datasets(store: Database, project_id: int) -> list[DatasetRow]:
    """The project's datasets, oldest first."""
    return datasets_db.list_datasets(store, project_id)


def get_dataset(store: Database, dataset_id: int) -> DatasetRow:
    """One dataset's catalog row; StoreError when it does not exist (any more)."""
    return datasets_db.require_dataset(store, dataset_id)


def column_names(store: Database, dataset_id: int) -> list[str]:
    """The dataset's columns, in table order."""
    return [c for c, _ in datasets_db.dataset_schema(store, dataset_id)]


def example_rows(store: Database, dataset_id: int, row_ids: list[int]) -> pd.DataFrame:
    """Given rows with their ``__row_id`` (e.g. a duplicate group), for display."""
    return datasets_db.rows_by_id(store, dataset_id, row_ids)


def free_name(base: str, taken: set[str], pattern: str = "{base} #{n}") -> str:
    """``base``, or the first of ``pattern`` with n = 2, 3, … that is not ``taken``.

    >>> free_name("d", {"d", "d #2"})
    'd #3'
    >>> free_name("s", {"s"}, "{base}_{n}")
    's_2'
    """
    name, n = base, 2
    while name in taken:
        name, n = pattern.format(base=base, n=n), n + 1
    return name


def data_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """The lifecycle's Data step: (status, evidence, next action) from what is stored.

    Done once a training dataset has a stored split. The evidence names what is stored
    (datasets, quality reports or "no quality report", splits) and the next action is
    always the Data page's own: load, mark for training, run the quality report, split,
    or check new data when it arrives — never a later stage's.
    """
    roles = datasets_db.count_datasets(store, project_id)
    n_data = sum(roles.values())
    if not n_data:
        return (
            "not started",
            "No dataset yet.",
            "Load a CSV, Parquet or sample dataset on the Data page.",
        )
    checked = data_db.count_quality_reports(store, project_id)
    n_splits = len(splits_db.list_splits(store, project_id))
    n_train = roles.get("training", 0)
    evidence = (
        "; ".join(
            [
                f"{n_data} dataset(s), {n_train or 'none'} for training",
                f"quality report for {checked} of {n_data}" if checked else "no quality report",
                f"{n_splits} split(s)" if n_splits else "no split",
            ]
        )
        + "."
    )
    status = "done" if n_train and n_splits else "in progress"
    if not n_train:
        action = "Load the data to train on with the role 'training' on the Data page."
    elif not checked:
        action = "Run the quality report on the Data page (open the dataset there)."
    elif not n_splits:
        action = "Design a train/dev/test split on the Data page."
    else:
        action = "Nothing left here; load and check new data on the Data page when it arrives."
    return status, evidence, action
