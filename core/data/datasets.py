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

    Done once a training dataset has a stored split; quality reports are counted as evidence.
    """
    roles = datasets_db.count_datasets(store, project_id)
    n_data = sum(roles.values())
    if not n_data:
        return (
            "not started",
            "No dataset yet.",
            "Load a CSV, Parquet or sample dataset.",
        )
    if not roles.get("training"):
        return (
            "in progress",
            f"{n_data} dataset(s), none for training.",
            "Load or mark a training dataset.",
        )
    checked = data_db.count_quality_reports(store, project_id)
    n_splits = len(splits_db.list_splits(store, project_id))
    quality = f"quality checked for {checked}" if checked else "no quality report yet"
    evidence = (
        f"{n_data} dataset(s), {roles['training']} for training; {quality}; {n_splits} split(s)."
    )
    if n_splits:
        return "done", evidence, "Train a model on the split."
    if not checked:
        return (
            "in progress",
            evidence,
            "Check the training data's quality, then design a split.",
        )
    return "in progress", evidence, "Design a train/dev/test split."
