"""Slice oversampling: synthetic training rows of a slice (random copies or SMOTE-style
interpolation) written as a new dataset version with its split; the original is kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.columns import slice_label
from core.analysis.source import SliceError, get_run
from core.data.datasets import free_name
from core.db import analysis as analysis_db
from core.db import datasets as datasets_db
from core.db import splits as splits_db
from core.db.database import Database
from core.db.datasets import ROW_ID, DatasetRow
from core.db.splits import SplitRow
from core.db.training import RunRow

_LADDER = "__ladder"


def oversample_frame(
    rows: pd.DataFrame,
    n_new: int,
    *,
    method: str = "smote",
    numeric: list[str],
    target: str | None = None,
    k: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """``n_new`` synthetic rows from ``rows``: copies (``random``) or SMOTE interpolation.

    SMOTE: each new row takes a random base row and one of its ``k`` nearest neighbours
    (standardised numeric columns, same ``target`` class), and moves each numeric value a
    random fraction of the way to the neighbour; other columns are copied from the base.
    Integer columns stay integers.

    Examples
    --------
    >>> r = pd.DataFrame({"x": [0.0, 10.0], "c": ["a", "a"]})
    >>> out = oversample_frame(r, 3, numeric=["x"], seed=1)
    >>> len(out), bool(out["x"].between(0, 10).all()), set(out["c"])
    (3, True, {'a'})
    """
    if rows.empty:
        raise SliceError("The slice has no training rows to oversample.")
    if n_new < 1:
        raise SliceError("Add at least one row.")
    rng = np.random.default_rng(seed)
    base_idx = rng.integers(0, len(rows), n_new)
    out = rows.iloc[base_idx].reset_index(drop=True).copy()
    if method == "random" or not numeric or len(rows) < 2:
        return out
    if method != "smote":
        raise SliceError("Oversample by 'random' copies or 'smote' interpolation.")
    X = rows[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    mu, sd = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
    Z = np.nan_to_num((X - mu) / np.where(sd > 0, sd, 1.0))
    groups = (
        rows[target].astype(str).to_numpy() if target and target in rows else np.zeros(len(rows))
    )
    neighbour = _neighbours(Z, groups, base_idx, k, rng)
    lam = rng.uniform(0, 1, (n_new, 1))
    a, b = X[base_idx], X[neighbour]
    new = np.where(np.isnan(b), a, a + lam * (b - a))
    for j, c in enumerate(numeric):
        col = new[:, j]
        if pd.api.types.is_integer_dtype(rows[c]):
            out[c] = np.round(col).astype(rows[c].dtype)
        else:
            out[c] = col
    return out


def _neighbours(
    Z: np.ndarray, groups: np.ndarray, base_idx: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """For each base row, one of its ``k`` nearest rows (in ``Z``) of the same group (itself
    when it is alone in its group)."""
    from sklearn.neighbors import NearestNeighbors

    neighbour = np.empty(len(base_idx), dtype=int)
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        pick = np.flatnonzero(groups[base_idx] == g)
        if len(pick) == 0:
            continue
        if len(members) < 2:
            neighbour[pick] = base_idx[pick]
            continue
        kk = min(k, len(members) - 1)
        nn = NearestNeighbors(n_neighbors=kk + 1).fit(Z[members])
        pos = {m: i for i, m in enumerate(members)}
        _, ind = nn.kneighbors(Z[members])
        local = np.array([pos[b] for b in base_idx[pick]])
        choice = rng.integers(1, kk + 1, len(pick))
        neighbour[pick] = members[ind[local, choice]]
    return neighbour


@dataclass(frozen=True)
class Oversampled:
    """The new dataset version (id, name, content hash) and its split."""

    dataset_id: int
    split_id: int
    n_original: int
    n_added: int
    dataset_name: str
    content_hash: str


def oversample_slice(
    store: Database,
    run_id: int,
    preds: list[dict[str, Any]],
    *,
    factor: float = 1.0,
    method: str = "smote",
    seed: int = 0,
    actor: str,
    name: str | None = None,
) -> Oversampled:
    """Oversample a slice's training rows into a new dataset version with its split.

    The new dataset holds every original row first (same row ids) and then
    ``factor`` x (the slice's train rows) synthetic rows; its parent is the run's dataset,
    which is kept unchanged. The new split copies the run's split and puts the synthetic
    rows in train (on their base row's ladder step), so the next run can test the action.
    """
    if not preds:
        raise SliceError("Pick a slice to oversample (not all rows).")
    if not 0 < factor <= 10:
        raise SliceError("Add between a fraction and 10x the slice's training rows.")
    run, split, ds = _run_split_dataset(store, run_id)
    lineage = tuple(datasets_db.dataset_lineage(store, ds.id))
    rows = analysis_db.dataset_slice_frame(
        store, split.id, preds, ["train"], run.project_id, lineage
    )
    if rows.empty:
        raise SliceError("No training rows fall in this slice, so there is nothing to oversample.")
    n_new = max(1, round(factor * len(rows)))
    data_cols = [c for c in rows.columns if c not in (ROW_ID, _LADDER)]
    synth = _synthetic_rows(run, rows, data_cols, n_new, method=method, seed=seed)
    original = _original_rows(store, ds.id)
    n_orig = len(original)
    label = slice_label(preds)
    did = datasets_db.insert_dataset(
        store,
        run.project_id,
        _free_name(
            store, run.project_id, name or f"{ds.name} + {method} x{factor:g} ({label})"[:120]
        ),
        _appended(original, synth, data_cols),
        source=f"oversampled from {ds.name}",
        role=ds.role,
        actor=actor,
        parent_id=ds.id,
        note=(
            f"{ds.name} with {n_new} synthetic rows ({method}, seed {seed}) appended after row "
            f"{n_orig - 1}, oversampling the training rows of slice: {label}."
        ),
    )
    sid = _insert_split(
        store,
        split,
        did,
        n_orig,
        synth[_LADDER].to_numpy(),
        {"slice": label, "method": method, "seed": seed},
        actor,
    )
    new = datasets_db.get_dataset(store, did)
    assert new is not None  # written just above
    return Oversampled(did, sid, n_orig, n_new, new.name, new.content_hash)


def _run_split_dataset(store: Database, run_id: int) -> tuple[RunRow, SplitRow, DatasetRow]:
    """The run with the split and dataset it was trained on (a clear error when gone)."""
    run = get_run(store, run_id)
    if run.split_id is None or run.dataset_id is None:
        raise SliceError("Pick a finished run trained on a stored split.")
    split = splits_db.get_split(store, run.split_id)
    ds = datasets_db.get_dataset(store, run.dataset_id)
    if split is None or ds is None:
        raise SliceError("The run's split or dataset no longer exists.")
    return run, split, ds


def _synthetic_rows(
    run: RunRow, rows: pd.DataFrame, data_cols: list[str], n_new: int, *, method: str, seed: int
) -> pd.DataFrame:
    """``n_new`` rows made from the slice's ``rows``, interpolating the run's numeric
    features (every numeric data column when the run lists none), never its target."""
    numeric = [
        c
        for c in run.features or data_cols
        if c in rows and pd.api.types.is_numeric_dtype(rows[c]) and c != run.target
    ]
    return oversample_frame(
        rows, n_new, method=method, numeric=numeric, target=run.target, seed=seed
    )


def _original_rows(store: Database, dataset_id: int) -> pd.DataFrame:
    """Every row of the dataset in row id order (ids must be 0..n-1 to append after them)."""
    original = datasets_db.dataset_frame(store, dataset_id, with_row_id=True).sort_values(ROW_ID)
    if not (original[ROW_ID].to_numpy() == np.arange(len(original))).all():
        raise SliceError("The dataset's row ids are not contiguous; it cannot be versioned here.")
    return original


def _appended(original: pd.DataFrame, synth: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The original rows then the synthetic ones, in the original dtypes where they fit
    (concat may widen them)."""
    new = pd.concat([original[columns], synth[columns]], ignore_index=True)
    for c in columns:
        try:
            new[c] = new[c].astype(original[c].dtype)
        except (TypeError, ValueError):
            pass
    return new


def _free_name(store: Database, project_id: int, name: str) -> str:
    """``name``, or ``name #2``, ``#3``, … when a dataset of the project already has it."""
    return free_name(name, {d.name for d in datasets_db.list_datasets(store, project_id)})


def _insert_split(
    store: Database,
    split: SplitRow,
    dataset_id: int,
    n_orig: int,
    ladder: np.ndarray,
    params: dict[str, Any],
    actor: str,
) -> int:
    """The run's split copied onto the new version, the synthetic rows (from row
    ``n_orig`` on, on their base row's ``ladder`` step) added to train."""
    extra = pd.DataFrame(
        {"row_id": np.arange(n_orig, n_orig + len(ladder)), "part": "train", "ladder": ladder}
    )
    return splits_db.insert_split(
        store,
        split.project_id,
        dataset_id,
        f"{split.name} + oversampled #{dataset_id}",
        pd.concat([splits_db.split_assignment_frame(store, split.id), extra], ignore_index=True),
        method=split.method,
        target=split.target,
        params={**split.params, "oversampled_from_split": split.id, **params},
        actor=actor,
    )
