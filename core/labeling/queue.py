"""Labeling inside the workbench: a queue of a dataset's rows that reviewers label in the
app, one item at a time, stored as a labels set like an imported one.

DESIGN
------
* A queue is a labels set (``label_sets``, ``labels``, ``LabelSetRow``) plus its label
  choices, the columns shown to a reviewer and its items in order (``label_queues``,
  ``label_tasks``). Agreement, consensus, the relabel queue, HLP and the per-slice HLP of
  error analysis read its labels exactly as they read imported ones.
* Items are a random sample of the dataset's rows (seeded: the same seed gives the same
  items) or rows picked elsewhere (a slice's errors sent from error analysis). An item's
  id is the value of the chosen id column, or its row number (``ROW_NUMBER``) when the
  data has no id column.
* One label per reviewer per item: labelling an item again replaces that reviewer's label
  in the latest version (the audit log keeps the previous one). Labels are added to the
  latest version; a reviewer's consensus decision still starts a new version, and later
  labels go there.
* The ground-truth column (if any) is never shown to reviewers: it is what HLP compares
  their labels with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.db import label_queues as queues_db
from core.db import labeling as labeling_db
from core.db.database import Database
from core.labeling.sets import ROW_NUMBER, LabelError, LabelSet, dataset_columns, get_label_set
from core.names import clean_name

MAX_CHOICES = 50
MAX_ITEMS = 100_000


@dataclass(frozen=True)
class LabelQueue:
    """A labels set labelled in the app: its set, label choices and the columns shown."""

    label_set: LabelSet
    choices: list[str]
    columns: list[str]

    @property
    def id(self) -> int:
        return int(self.label_set.id)


@dataclass(frozen=True)
class QueueItem:
    """One item as a reviewer sees it."""

    item_id: str
    features: pd.DataFrame  # feature, value (the queue's shown columns)
    your_label: str | None  # the reviewer's current label, if any


@dataclass(frozen=True)
class QueueProgress:
    """How far a queue is, for one reviewer and for everyone (latest version)."""

    items: int  # items in the queue
    yours: int  # of them, labelled by this reviewer
    labels: int  # labels given by anyone
    labelled_items: int  # items with at least one label
    reviewers: int

    @property
    def remaining(self) -> int:
        """Items this reviewer has not labelled yet."""
        return self.items - self.yours


def parse_choices(text: str | Sequence[str]) -> list[str]:
    """Label choices from text (comma or new-line separated) or a list: stripped, blanks
    and repeats dropped, order kept.

    Examples
    --------
    >>> parse_choices("spam, ham\\n ham ,, unsure")
    ['spam', 'ham', 'unsure']
    """
    parts = text.replace("\n", ",").split(",") if isinstance(text, str) else list(text)
    return list(dict.fromkeys(p for p in (str(x).strip() for x in parts) if p))


def class_choices(
    store: Database, dataset_id: int, column: str | None, limit: int = 20
) -> list[str]:
    """The classes of a column (its distinct values, most frequent first; integral numbers
    without '.0'), or [] when it has more than ``limit`` of them (not a class column)."""
    if not column or column not in dataset_columns(store, dataset_id):
        return []
    values = labeling_db.distinct_values(store, dataset_id, column, limit + 1)
    if len(values) > limit:
        return []
    return parse_choices([_plain(v) for v in values])


def _plain(value: str) -> str:
    try:
        f = float(value)
    except ValueError:
        return value
    return str(int(f)) if f.is_integer() else value


def id_columns(store: Database, dataset_id: int) -> list[str]:
    """Columns that can identify a dataset's items (text or integer, one value per row,
    no null), then ``ROW_NUMBER`` (always possible)."""
    return [*labeling_db.unique_columns(store, dataset_id), ROW_NUMBER]


def sample_items(store: Database, dataset_id: int, id_column: str, n: int, seed: int) -> list[str]:
    """Ids of ``n`` rows drawn at random without replacement (numpy, ``seed``), in draw order."""
    rows, _, _ = labeling_db.id_column_counts(store, dataset_id, ROW_NUMBER)
    if n < 1:
        raise LabelError("Sample at least one item.")
    picked = np.random.default_rng(int(seed)).choice(rows, size=min(int(n), rows), replace=False)
    return labeling_db.item_ids_of_rows(store, dataset_id, id_column, picked.tolist())


def item_ids_of_rows(
    store: Database, dataset_id: int, id_column: str, row_ids: list[int]
) -> list[str]:
    """The item ids of a dataset's rows (by row id, e.g. rows picked in error analysis)."""
    return labeling_db.item_ids_of_rows(store, dataset_id, id_column, row_ids)


def _check_queue(
    store: Database,
    dataset_id: int,
    id_column: str,
    choices: list[str],
    columns: list[str],
    ground_truth_column: str | None,
) -> None:
    """Refuse a queue reviewers could not work with; the message names the field."""
    cols = dataset_columns(store, dataset_id)
    if id_column != ROW_NUMBER:
        if id_column not in cols:
            raise LabelError(f"The dataset has no column {id_column!r} to identify items.")
        n, distinct, nulls = labeling_db.id_column_counts(store, dataset_id, id_column)
        if distinct + nulls < n or nulls:
            raise LabelError(
                f"Item id column {id_column!r} has repeated or missing values "
                f"({n - nulls - distinct:,} repeats, {nulls:,} missing): pick a "
                "column with one value per row, or the row number."
            )
    if len(choices) < 2:
        raise LabelError("Give at least two label choices, e.g. 'spam, ham'.")
    if len(choices) > MAX_CHOICES:
        raise LabelError(f"Give at most {MAX_CHOICES} label choices.")
    unknown = [c for c in columns if c not in cols]
    if unknown:
        raise LabelError(f"Columns to show not in the dataset: {', '.join(unknown)}.")
    if not columns:
        raise LabelError("Pick at least one column to show reviewers.")
    if ground_truth_column is not None and ground_truth_column in columns:
        raise LabelError(
            f"Column {ground_truth_column!r} is the ground truth: showing it to reviewers would "
            "give the answer away. Remove it from the columns to show."
        )
    if ground_truth_column is not None and ground_truth_column not in cols:
        raise LabelError(f"The dataset has no ground-truth column {ground_truth_column!r}.")


def create_label_queue(
    store: Database,
    project_id: int,
    name: str,
    *,
    dataset_id: int,
    id_column: str,
    choices: list[str] | str,
    columns: list[str],
    item_ids: list[str],
    source: str,
    actor: str,
    ground_truth_column: str | None = None,
) -> int:
    """Create a queue of ``item_ids`` (rows of the dataset) for reviewers to label in the
    app; returns its labels set id. Nothing is stored when an input is refused."""
    name = clean_name(name, "labeling queue")
    choices = parse_choices(choices)
    _check_queue(store, dataset_id, id_column, choices, list(columns), ground_truth_column)
    items = list(dict.fromkeys(str(i) for i in item_ids))
    if not items:
        raise LabelError("The queue needs at least one item: sample some rows or pick them.")
    if len(items) > MAX_ITEMS:
        raise LabelError(f"Queue at most {MAX_ITEMS:,} items at once.")
    unknown = labeling_db.unknown_items(store, dataset_id, id_column, items)
    if unknown:
        raise LabelError(
            f"{len(unknown):,} item(s) are not rows of the dataset (e.g. {', '.join(unknown[:3])})."
        )
    return queues_db.insert_label_queue(
        store,
        project_id,
        name,
        item_dataset_id=dataset_id,
        item_id_column=id_column,
        ground_truth_column=ground_truth_column,
        choices=choices,
        columns=list(columns),
        item_ids=items,
        source=source,
        actor=actor,
    )


def get_label_queue(store: Database, label_set_id: int) -> LabelQueue | None:
    """The queue of a labels set, or None when its labels were imported."""
    row = queues_db.get_label_queue(store, label_set_id)
    if row is None:
        return None
    return LabelQueue(get_label_set(store, label_set_id), row.choices, row.columns)


def list_label_queues(
    store: Database, project_id: int, dataset_ids: Sequence[int] | None = None
) -> list[LabelQueue]:
    """The project's queues (those on one of ``dataset_ids`` when given), oldest first."""
    out = []
    for ls in labeling_db.list_label_sets(store, project_id):
        if dataset_ids is not None and ls.item_dataset_id not in set(dataset_ids):
            continue
        q = get_label_queue(store, ls.id)
        if q is not None:
            out.append(q)
    return out


def add_to_queue(
    store: Database, label_set_id: int, item_ids: list[str], source: str, actor: str
) -> int:
    """Append items to a queue (those already in it are skipped); returns how many were added."""
    queue = _queue(store, label_set_id)
    items = list(dict.fromkeys(str(i) for i in item_ids))
    if not items:
        raise LabelError("Pick at least one item to add to the labeling queue.")
    ds, col = queue.label_set.item_dataset_id, queue.label_set.item_id_column
    if ds is not None and col:
        unknown = labeling_db.unknown_items(store, ds, col, items)
        if unknown:
            raise LabelError(f"{len(unknown):,} item(s) are not rows of the queue's dataset.")
    return queues_db.insert_label_tasks(store, label_set_id, items, source, actor)


def _queue(store: Database, label_set_id: int) -> LabelQueue:
    queue = get_label_queue(store, label_set_id)
    if queue is None:
        raise LabelError("That labels set is not labelled in the app (its labels were imported).")
    return queue


def queue_items(store: Database, label_set_id: int) -> pd.DataFrame:
    """A queue's items in order: position, item_id, source, added_at, added_by."""
    return queues_db.list_label_tasks(store, label_set_id)


def next_queue_item(
    store: Database, queue: LabelQueue, reviewer: str, skipped: Sequence[str] = ()
) -> QueueItem | None:
    """The next item the reviewer has neither labelled nor skipped, or None when done."""
    item = queues_db.next_label_task(store, queue.id, reviewer, [str(s) for s in skipped])
    return None if item is None else queue_item(store, queue, item, reviewer)


def queue_item(store: Database, queue: LabelQueue, item_id: str, reviewer: str) -> QueueItem:
    """One item of the queue: its shown columns and the reviewer's current label."""
    ls = queue.label_set
    features = pd.DataFrame(columns=["feature", "value"])
    if ls.item_dataset_id is not None and ls.item_id_column:
        rows = labeling_db.item_rows(store, ls.item_dataset_id, ls.item_id_column, [item_id])
        if len(rows):
            shown = [c for c in queue.columns if c in rows.columns]
            features = pd.DataFrame(
                {"feature": shown, "value": [str(v) for v in rows.iloc[0][shown].tolist()]}
            )
    long = labeling_db.label_frame(store, ls.id)
    mine = long[(long["item_id"] == item_id) & (long["annotator"] == reviewer)]
    return QueueItem(item_id, features, str(mine["label"].iloc[0]) if len(mine) else None)


def reviewer_items(store: Database, label_set_id: int, reviewer: str) -> list[str]:
    """Items the reviewer labelled (latest version), in queue order: those they may reopen."""
    long = labeling_db.label_frame(store, label_set_id)
    mine = set(long.loc[long["annotator"] == reviewer, "item_id"].astype(str))
    return [i for i in queues_db.list_label_tasks(store, label_set_id)["item_id"] if i in mine]


def submit_label(
    store: Database, label_set_id: int, item_id: str, label: str, reviewer: str
) -> str | None:
    """Store the reviewer's label of a queued item (replacing theirs, if any); returns the
    label it replaced."""
    queue = _queue(store, label_set_id)
    reviewer = str(reviewer or "").strip()
    if not reviewer:
        raise LabelError("Sign in (or set WORKBENCH_USER) so your labels carry your name.")
    if label not in queue.choices:
        raise LabelError(
            f"{label!r} is not one of this queue's labels ({', '.join(queue.choices)})."
        )
    items = set(queues_db.list_label_tasks(store, label_set_id)["item_id"])
    if str(item_id) not in items:
        raise LabelError(f"Item {item_id!r} is not in this labeling queue.")
    return queues_db.upsert_reviewer_label(store, label_set_id, str(item_id), reviewer, label)


def queue_progress(store: Database, label_set_id: int, reviewer: str) -> QueueProgress:
    """Items, the reviewer's labels and everyone's, in the latest version."""
    return QueueProgress(**queues_db.label_task_counts(store, label_set_id, reviewer))
