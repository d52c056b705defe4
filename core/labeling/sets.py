"""Labels sets: the stored row, reading an annotators' file (long or wide form), the
duplicates and unknown-items policies, importing it as version 1, and a set's versions.

DESIGN
------
* Labels live in long form (item id, annotator, label, time) in versioned *labels sets*; a
  set records the *item dataset* and its id column, so the relabel queue can show an item's
  features and the label-error detector can learn from them. Version 1 is the import; every
  reviewer decision writes a new version (a full copy in the store), the old one is kept.
* Labels are compared as text: ``1``, ``1.0`` and `` 1 `` are the same label.
* Nothing is stored when the file is refused: every check runs before the one write.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import sniff
from core.data.ingest import check_upload_size
from core.db import datasets as datasets_db
from core.db import labeling as labeling_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.labeling import LabelSetRow
from core.errors import StoreError
from core.names import clean_name

_SYNONYMS = {
    "item_id": ("item_id", "item", "id", "example_id", "task_id"),
    "annotator": (
        "annotator",
        "rater",
        "coder",
        "labeler",
        "labeller",
        "worker",
        "user",
    ),
    "label": ("label", "class", "annotation", "answer", "category"),
    "labeled_at": (
        "labeled_at",
        "labelled_at",
        "timestamp",
        "time",
        "created_at",
        "date",
    ),
}


# A labels set whose items are rows of a dataset without an id column names this as its
# item id column: an item's id is then its row number (the dataset's stable ``__row_id``).
ROW_NUMBER = datasets_db.ROW_ID


class LabelError(StoreError):
    """Bad labels input or an impossible request; the message says what to do."""


LabelSet = LabelSetRow  # a labels set is its stored row


# ------------------------------------------------------------------------------ reads
def get_label_set(store: Database, label_set_id: int) -> LabelSet:
    """The labels set ``label_set_id``; a clear error when it is gone."""
    row = labeling_db.get_label_set(store, label_set_id)
    if row is None:
        raise LabelError("That labels set does not exist (any more).")
    return row


def list_label_sets(store: Database, project_id: int) -> list[LabelSet]:
    """The project's labels sets, oldest first."""
    return labeling_db.list_label_sets(store, project_id)


def latest_label_version(store: Database, label_set_id: int) -> int:
    """The newest version of a labels set (0 when the set does not exist)."""
    return labeling_db.latest_label_version(store, label_set_id)


def label_frame(store: Database, label_set_id: int, version: int | None = None) -> pd.DataFrame:
    """Long-form labels (item_id, annotator, label, labeled_at) of one version (default latest)."""
    return labeling_db.label_frame(store, label_set_id, version)


def label_decisions(store: Database, label_set_id: int, version: int | None = None) -> pd.DataFrame:
    """Reviewers' consensus decisions in force in one version (the latest by default)."""
    return labeling_db.label_decisions(store, label_set_id, version)


def list_label_versions(store: Database, label_set_id: int) -> pd.DataFrame:
    """Every version of a labels set with its note and counts, newest first (a table)."""
    return labeling_db.list_label_versions(store, label_set_id)


def item_datasets(store: Database, project_id: int) -> list[DatasetRow]:
    """The project's datasets whose rows can be the labelled items (not labels files)."""
    return [d for d in datasets_db.list_datasets(store, project_id) if d.role != "labels"]


def dataset_columns(store: Database, dataset_id: int) -> list[str]:
    """Column names of an item dataset, in order."""
    return [c for c, _ in datasets_db.dataset_schema(store, dataset_id)]


# ----------------------------------------------------------------------------- import
def normalize_labels(values: pd.Series) -> pd.Series:
    """Labels as stripped text; integral numbers lose their ``.0``; blanks become missing.

    Examples
    --------
    >>> normalize_labels(pd.Series([1.0, 0.0, None])).tolist()
    ['1', '0', <NA>]
    >>> normalize_labels(pd.Series([" yes", "no ", ""])).tolist()
    ['yes', 'no', <NA>]
    """
    s = pd.Series(values, copy=True)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("Int64")
    if pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        finite = num.dropna()
        if len(finite) and np.all(np.mod(finite.to_numpy(dtype=float), 1) == 0):
            s = num.astype("Int64")
    out = s.astype("string").str.strip()
    return out.mask(out == "", pd.NA)


def _find_column(columns: list[str], role: str) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[n] for n in _SYNONYMS[role] if n in lower), None)


def _long_form(
    frame: pd.DataFrame, found: dict[str, str | None], id_column: str | None
) -> pd.DataFrame:
    missing = [r for r in ("item_id", "annotator", "label") if not found[r]]
    if id_column:
        found["item_id"] = id_column
        missing = [r for r in missing if r != "item_id"]
    if missing:
        raise LabelError(
            f"A long-form labels file needs columns for {', '.join(missing)} "
            f"(found: {', '.join(frame.columns)}). Rename them, or choose the wide form."
        )
    return pd.DataFrame(
        {
            "item_id": frame[found["item_id"]],
            "annotator": frame[found["annotator"]],
            "label": frame[found["label"]],
            "labeled_at": frame[found["labeled_at"]] if found["labeled_at"] else pd.NaT,
        }
    )


def _wide_form(
    frame: pd.DataFrame, found: dict[str, str | None], id_column: str | None
) -> pd.DataFrame:
    cols = list(frame.columns)
    idc = id_column or found["item_id"] or cols[0]
    if idc not in cols:
        raise LabelError(f"The id column {idc!r} is not in the file ({', '.join(cols)}).")
    # melt's own column names must not be a column of the file (an annotator "label")
    var, value = (next(f"__{k}{i}" for i in range(len(cols) + 1) if f"__{k}{i}" not in cols)
                  for k in ("annotator", "label"))
    melted = frame.melt(id_vars=[idc], var_name=var, value_name=value)
    return pd.DataFrame(
        {
            "item_id": melted[idc],
            "annotator": melted[var],
            "label": melted[value],
            "labeled_at": pd.NaT,
        }
    )


def _clean_long(out: pd.DataFrame) -> pd.DataFrame:
    """Normalised text ids and labels, parsed times, incomplete rows dropped, sorted."""
    out["item_id"] = normalize_labels(out["item_id"])
    out["annotator"] = out["annotator"].astype("string").str.strip()
    out["label"] = normalize_labels(out["label"])
    out["labeled_at"] = pd.to_datetime(out["labeled_at"], errors="coerce")
    out = out.dropna(subset=["item_id", "annotator", "label"])
    if out.empty:
        raise LabelError("No label found: every row lacks an item id, an annotator or a label.")
    out = out.astype({"item_id": str, "annotator": str, "label": str})
    return out.sort_values(["item_id", "annotator"], kind="stable").reset_index(drop=True)


def parse_labels(
    frame: pd.DataFrame, form: str = "auto", id_column: str | None = None
) -> pd.DataFrame:
    """Turn a long or wide labels table into the long form ``item_id, annotator, label, labeled_at``.

    Long form has one row per (item, annotator) with columns named like ``item_id``,
    ``annotator``, ``label`` (and optionally ``labeled_at``). Wide form has an id column
    (``id_column``, else the first) and one column per annotator; blank cells are missing.

    Examples
    --------
    >>> wide = pd.DataFrame({"id": [1, 2], "ana": ["a", "b"], "ben": ["a", None]})
    >>> parse_labels(wide)[["item_id", "annotator", "label"]].values.tolist()
    [['1', 'ana', 'a'], ['1', 'ben', 'a'], ['2', 'ana', 'b']]
    """
    if frame is None or frame.empty or len(frame.columns) < 2:
        raise LabelError(
            "The labels table has no rows or fewer than two columns: it needs an id column "
            "and one column per annotator (wide form) or annotator and label columns (long "
            "form), and at least one row of labels."
        )
    cols = [str(c) for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    found = {role: _find_column(cols, role) for role in _SYNONYMS}
    if form == "auto":
        form = "long" if found["annotator"] and found["label"] else "wide"
        half = found["annotator"] or found["label"]
        if form == "wide" and half and len(cols) == 2:
            raise LabelError(
                f"The file has a column {half!r} but no "
                f"{'label' if found['annotator'] else 'annotator'} column (found: "
                f"{', '.join(cols)}). A long-form file needs item id, annotator and label "
                "columns; a wide-form file an id column and one column per annotator."
            )
    if form == "long":
        out = _long_form(frame, found, id_column)
    elif form == "wide":
        out = _wide_form(frame, found, id_column)
    else:
        raise LabelError(f"Unknown form {form!r}; use 'long', 'wide' or 'auto'.")
    out = _clean_long(out)
    if form == "wide":  # said where the reading explains a refusal (resolve_duplicates)
        idc = id_column or found["item_id"] or cols[0]
        out.attrs["read_as"] = f"read as wide form: item ids from {idc!r}, one column per annotator"
    return out


def read_labels_csv(
    data: bytes,
    form: str = "auto",
    id_column: str | None = None,
    filename: str = "The labels file",
) -> pd.DataFrame:
    """Parse an uploaded CSV (long or wide form) into long-form labels.

    The bytes are decoded by the same rule as a dataset's ingest (so a Latin-1 file the Data
    page loads is read here too); every refusal is a LabelError naming ``filename``.
    """
    try:
        check_upload_size(filename, len(data or b""))  # WORKBENCH_MAX_UPLOAD_MB
        text, _ = sniff.decode_bytes(bytes(data or b""), filename)
        frame = _labels_frame(text, filename)
        return parse_labels(frame, form=form, id_column=id_column)
    except StoreError as exc:
        msg = str(exc)
        raise LabelError(msg if filename in msg else f"{filename}: {msg}") from exc


def _refuse_ragged(lines: list[str], filename: str) -> None:
    """LabelError naming the first line whose fields disagree with the header, under the
    delimiter that splits the header into the most fields."""
    try:
        widths = {d: len(next(csv.reader([lines[0]], delimiter=d))) for d in ",;\t|"}
    except csv.Error:
        return
    delim = max(widths, key=lambda d: widths[d])
    bad = sniff.ragged_line(lines, delim) if widths[delim] >= 2 else None
    if bad is not None:
        line, n, expected = bad
        raise LabelError(
            f"Line {line} of {filename} has {n} fields where the header has {expected} "
            f"(delimiter {delim!r}). Fix that line (a missing or extra delimiter, or a broken "
            "quote) and import again."
        )


def _labels_frame(text: str, filename: str) -> pd.DataFrame:
    """The table of a labels file's text: delimiter from its lines, every cell as text."""
    lines = text.splitlines()[:50]
    long_line = next((i for i, ln in enumerate(text.splitlines(), 1) if len(ln) > 100_000), None)
    if long_line is not None:
        raise LabelError(
            f"Line {long_line} of {filename} is longer than 100,000 characters: a labels file "
            "has short lines (id, annotator, label). Check its line breaks and quotes."
        )
    delim = sniff.text_delimiter(lines[:-1] if len(lines) > 2 else lines)
    if delim is None:
        _refuse_ragged(lines, filename)
        raise LabelError(
            f"{filename} has no delimiter (',', ';', tab or '|') that splits every line into "
            "the same number of fields: it needs an id column and at least one more. Check "
            "the line breaks and quotes."
        )
    header = next(csv.reader(io.StringIO(lines[0]), delimiter=delim))
    seen = [h.strip().lower() for h in header]
    repeated = sorted({h for h in seen if h and seen.count(h) > 1})
    if repeated:
        raise LabelError(
            f"{filename} repeats the column name(s) {', '.join(map(repr, repeated))}: each "
            "annotator (or role) needs a column of its own. Rename them and import again."
        )
    try:
        return pd.read_csv(io.StringIO(text), sep=delim, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise LabelError(
            f"{filename} could not be read as CSV ({str(exc).strip()}). Fix that line (a "
            "missing or extra delimiter, or a broken quote) and import again."
        ) from exc


def resolve_duplicates(long: pd.DataFrame, policy: str = "error") -> tuple[pd.DataFrame, int]:
    """Handle items an annotator labelled more than once: refuse, or keep the latest label.

    Returns the labels and how many rows were dropped.
    """
    dup = long.duplicated(["item_id", "annotator"], keep=False)
    if not dup.any():
        return long, 0
    pairs = long.loc[dup, ["item_id", "annotator"]].drop_duplicates()
    if policy != "latest":
        ex = ", ".join(f"{r.item_id} by {r.annotator}" for r in pairs.head(3).itertuples())
        read_as = long.attrs.get("read_as")
        raise LabelError(
            f"{len(pairs)} item(s) were labelled more than once by the same annotator "
            f"(e.g. {ex}{'; ' + read_as if read_as else ''}). Fix the file, choose the form "
            "it is in, or choose to keep each annotator's latest label."
        )
    ordered = long.assign(_o=np.arange(len(long))).sort_values(
        ["labeled_at", "_o"], na_position="first"
    )
    kept = ordered.drop_duplicates(["item_id", "annotator"], keep="last").drop(columns="_o")
    kept = kept.sort_values(["item_id", "annotator"], kind="stable").reset_index(drop=True)
    return kept, len(long) - len(kept)


@dataclass(frozen=True)
class ImportReport:
    label_set_id: int
    n_labels: int
    n_items: int
    n_annotators: int
    dropped_duplicates: int
    dropped_unknown: int


def _drop_unknown_items(
    store: Database,
    long: pd.DataFrame,
    dataset_id: int,
    id_column: str | None,
    columns: list[str | None],
    policy: str,
) -> tuple[pd.DataFrame, int]:
    """Check the item dataset's columns, then refuse or drop labels of items it lacks.

    Returns the labels and how many rows were dropped.
    """
    cols = dataset_columns(store, dataset_id)
    for col in (id_column, *columns):
        if col is not None and col not in cols:
            raise LabelError(f"The item dataset has no column {col!r}.")
    if id_column is None:
        raise LabelError("Choose the item dataset's id column.")
    unknown = labeling_db.unknown_items(
        store, dataset_id, id_column, long["item_id"].unique().tolist()
    )
    if not unknown:
        return long, 0
    if policy != "drop":
        raise LabelError(
            f"{len(unknown)} labelled item(s) are not in the item dataset (e.g. "
            f"{', '.join(unknown[:3])}). Check the id column, or choose to drop them."
        )
    kept = long[~long["item_id"].isin(set(unknown))]
    if kept.empty:
        raise LabelError("None of the labelled items is in the item dataset.")
    return kept, len(long) - len(kept)


def import_labels(
    store: Database,
    project_id: int,
    name: str,
    long: pd.DataFrame,
    *,
    item_dataset_id: int | None,
    item_id_column: str | None,
    actor: str,
    source: str = "upload",
    duplicates: str = "error",
    unknown_items: str = "error",
    ground_truth_column: str | None = None,
    feature_columns: list[str] | None = None,
) -> ImportReport:
    """Validate long-form labels and store them as version 1 of a new labels set.

    ``duplicates`` is ``"error"`` or ``"latest"``; ``unknown_items`` (labels for items the
    item dataset does not hold) is ``"error"`` or ``"drop"``. Nothing is stored on error.
    """
    name = clean_name(name, "labels set")
    long, n_dup = resolve_duplicates(long, duplicates)
    n_unknown = 0
    if item_dataset_id is not None:
        long, n_unknown = _drop_unknown_items(
            store,
            long,
            item_dataset_id,
            item_id_column,
            [ground_truth_column, *(feature_columns or [])],
            unknown_items,
        )
    sid = labeling_db.insert_label_set(
        store,
        project_id,
        name,
        long,
        item_dataset_id=item_dataset_id,
        item_id_column=item_id_column,
        source=source,
        actor=actor,
        ground_truth_column=ground_truth_column,
        feature_columns=feature_columns,
    )
    return ImportReport(
        sid,
        len(long),
        long["item_id"].nunique(),
        long["annotator"].nunique(),
        n_dup,
        n_unknown,
    )
