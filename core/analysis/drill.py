"""Drill-down into a slice: its rows (errors first) with tags and annotators' labels, the
link to the Labeling relabel queue, and manual tags on rows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core import labeling, projects
from core.analysis.source import SliceError, SliceSource
from core.db import analysis as analysis_db
from core.db import datasets as datasets_db
from core.db.database import Database
from core.errors import StoreError
from core.names import clean_name

_TAG_COLUMNS = ["row_id", "tag", "run_id", "dataset_id", "created_at", "created_by"]


def slice_errors(
    store: Database,
    source: SliceSource,
    preds: list[dict[str, Any]],
    *,
    columns: list[str] | None = None,
    only_errors: bool = True,
    limit: int = 500,
) -> tuple[int, pd.DataFrame]:
    """The rows (by default the errors) of a slice with y, ŷ, score, tags, annotator labels."""
    cols = (
        columns if columns is not None else [c for c, _ in analysis_db.slice_columns(store, source)]
    )
    link = relabel_link(store, source)
    if link is not None and link[1] not in cols and link[1] != labeling.ROW_NUMBER:
        # the item id: shown, and needed to queue rows for relabelling (a row-number id
        # is the row_id column already)
        cols = [link[1], *cols]
    try:
        return analysis_db.slice_rows(
            store,
            source,
            cols,
            preds,
            only_errors=only_errors,
            limit=limit,
            annotations=_annotation_link(store, source),
        )
    except StoreError as exc:
        raise SliceError(str(exc)) from exc


def _covering_label_sets(store: Database, source: SliceSource) -> list[labeling.LabelSet]:
    """Labels sets whose items are rows of the source's dataset or of an ancestor version."""
    if source.project_id is None:
        return []
    lineage = set(source.tag_datasets)
    return [
        ls
        for ls in labeling.list_label_sets(store, source.project_id)
        if ls.item_dataset_id in lineage and ls.item_id_column
    ]


def _annotation_link(store: Database, source: SliceSource) -> tuple[int, str, str] | None:
    """(labels table, item column, data column) when annotators labelled this data.

    The Labeling page stores label sets; the raw long labels dataset (item_id, annotator,
    label) is joined on the set's item column.
    """
    if source.project_id is None or source.dataset_id is None:
        return None
    for ls in _covering_label_sets(store, source):
        for d in datasets_db.list_datasets(store, source.project_id, role="labels"):
            names = {c for c, _ in datasets_db.dataset_schema(store, d.id)}
            if {"item_id", "annotator", "label"} <= names:
                return d.id, "item_id", str(ls.item_id_column)
    return None


def relabel_link(store: Database, source: SliceSource) -> tuple[int, str] | None:
    """(labels set id, item column) to send a slice's rows to the Labeling relabel queue."""
    sets = _covering_label_sets(store, source)
    return (int(sets[0].id), str(sets[0].item_id_column)) if sets else None


def send_to_relabel(store: Database, source: SliceSource, rows: pd.DataFrame, actor: str) -> int:
    """Queue rows (with their data columns) for relabelling; returns how many were queued."""
    link = relabel_link(store, source)
    if link is None:
        raise SliceError(
            "No labels set covers this data: import annotators' labels on the Labeling page first."
        )
    set_id, item_col = link
    if item_col == labeling.ROW_NUMBER:
        ids = rows["row_id"].astype("int64").astype(str)
    elif item_col in rows:
        ids = rows[item_col].astype(str)
    else:
        raise SliceError(f"The rows lack the item column {item_col!r}; show it in the table.")
    items = pd.DataFrame(
        {"item_id": ids, "score": pd.to_numeric(rows.get("score"), errors="coerce")}
    )
    return labeling.send_to_queue(
        store,
        set_id,
        items.drop_duplicates("item_id"),
        source="error analysis",
        actor=actor,
    )


def tag_rows(store: Database, source: SliceSource, row_ids: list[int], tag: str, actor: str) -> int:
    """Tag rows of the run's dataset (by row id); tags carry to later runs on those rows."""
    if source.dataset_id is None or source.project_id is None:
        raise SliceError("Only rows of a stored run can be tagged.")
    if str(tag or "").strip():  # a blank tag keeps the store's own message
        tag = clean_name(tag, "tag", max_length=60)
    return analysis_db.insert_slice_tags(
        store, source.project_id, source.run_id, source.dataset_id, row_ids, tag, actor
    )


def list_tags(store: Database, source: SliceSource) -> pd.DataFrame:
    """Tags visible on this run's rows (its own and those carried from earlier runs)."""
    if source.project_id is None:
        return pd.DataFrame(columns=_TAG_COLUMNS)
    return analysis_db.list_slice_tags(store, source.project_id, list(source.tag_datasets))


def send_to_label_queue(
    store: Database, source: SliceSource, rows: pd.DataFrame, actor: str, label: str = ""
) -> tuple[int, str, int, bool]:
    """Queue a slice's rows for labeling in the app: added to the newest labeling queue on
    the run's data (or an ancestor version), else to a new queue whose choices are the
    target's classes, showing the run's features and hiding its target (the ground truth
    that HLP is measured against). Returns (labels set id, its name, rows added, whether
    the queue was created).
    """
    if source.regression:
        raise SliceError("Labeling in the app needs a class target; this run is a regression.")
    if source.project_id is None or source.dataset_id is None or rows.empty:
        raise SliceError("Pick a slice with rows of a stored run to send to labeling.")
    row_ids = [int(r) for r in rows["row_id"]]
    what = f"error analysis: {label or 'rows'} (run #{source.run_id}, {source.part})"
    queues = labeling.list_label_queues(store, source.project_id, source.tag_datasets)
    if queues:
        q = queues[-1]
        ds, col = q.label_set.item_dataset_id, q.label_set.item_id_column
        ids = labeling.item_ids_of_rows(store, int(ds or 0), str(col), row_ids)
        added = labeling.add_to_queue(store, q.id, ids, what, actor)
        return q.id, str(q.label_set.name), added, False
    target = source.target
    choices = labeling.class_choices(store, source.dataset_id, target)
    if len(choices) < 2:
        raise SliceError(
            f"The target {target!r} has no small set of classes to offer as labels; create "
            "the queue on the Labeling page with your own label choices."
        )
    id_role = projects.column_roles(store, source.project_id).id
    id_col = id_role if id_role in labeling.id_columns(store, source.dataset_id) else None
    id_col = id_col or labeling.ROW_NUMBER
    ids = labeling.item_ids_of_rows(store, source.dataset_id, id_col, row_ids)
    shown = [c for c in source.features if c not in (target, id_col)]
    taken = {s.name for s in labeling.list_label_sets(store, source.project_id)}
    name = next(
        n
        for n in (
            f"Review of run #{source.run_id} errors{f' ({k})' if k else ''}" for k in range(1000)
        )
        if n not in taken
    )
    sid = labeling.create_label_queue(
        store,
        source.project_id,
        name,
        dataset_id=source.dataset_id,
        id_column=id_col,
        choices=choices,
        columns=shown
        or [c for c in labeling.dataset_columns(store, source.dataset_id) if c != target],
        item_ids=ids,
        source=what,
        actor=actor,
        ground_truth_column=target,
    )
    return sid, name, len(ids), True
