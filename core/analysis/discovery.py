"""Slice discovery: the SliceLine search (``core/db/sliceline.py``) over planned columns,
its decoded top-k, and the stored discoveries of a run's part."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.analysis.columns import ColumnSpec, slice_label
from core.analysis.source import SliceError, SliceSource, count_rows
from core.analysis.table import default_min_size
from core.db import analysis as analysis_db
from core.db import sliceline as sliceline_db
from core.db.database import Database

_COLUMNS = ["rank", "label", "level", "slice", "size", "errors", "error_rate", "score", "lift"]
_REGRESSION_COLUMNS = ["rank", "label", "level", "slice", "size", "rmse", "score", "lift"]


@dataclass(frozen=True)
class Discovery:
    """Top-k problem slices found by the SliceLine search.

    ``slices``: rank, label, level, slice (predicates), size, then errors and error_rate
    for a classifier or rmse for a regressor (whose SliceLine error is the squared error),
    score and lift (the slice's mean error over the searched rows' mean error; mean
    squared error for a regressor).
    """

    slices: pd.DataFrame
    params: dict[str, Any]
    stats: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return self.slices

    @property
    def regression(self) -> bool:
        return self.params.get("task") == "regression"

    @property
    def mean_error(self) -> float:
        """The mean error of the rows searched (what a slice's lift is relative to): the
        error rate, or the mean squared error of a regressor."""
        return self.stats["errors"] / self.stats["n"]


def discover_slices(
    store: Database,
    source: SliceSource,
    specs: list[ColumnSpec],
    *,
    alpha: float = 0.95,
    min_support: float | None = None,
    top_k: int = 10,
    max_level: int = 3,
) -> Discovery:
    """Find the slices (conjunctions of up to ``max_level`` predicates) with the highest
    SliceLine score. ``min_support`` is a row count, or a share of the rows when < 1;
    None takes the minimum slice size of the per-slice table (``sizes`` rule).
    """
    _check_search(specs, alpha=alpha, top_k=top_k, max_level=max_level)
    t0 = time.perf_counter()
    if min_support is None:
        sigma = default_min_size(store, source).rows
    else:
        sigma = _support_rows(min_support, count_rows(store, source))
    found, totals = sliceline_db.slice_lattice(
        store,
        source,
        [s.to_store() for s in specs],
        alpha=alpha,
        min_support=sigma,
        max_level=max_level,
        top_k=top_k,
    )
    params = {
        "alpha": alpha,
        "min_support": sigma,
        "top_k": top_k,
        "max_level": max_level,
        "columns": [s.column for s in specs],
        "task": "regression" if source.regression else "classification",
    }
    stats = {**totals, "seconds": time.perf_counter() - t0}
    return discovery_of_lattice(found, specs, params, stats)


def discovery_of_lattice(
    found: pd.DataFrame, specs: list[ColumnSpec], params: dict[str, Any], stats: dict[str, Any]
) -> Discovery:
    """The Discovery of a lattice search's kept slices (``core.db.sliceline``'s frame: level,
    p1..p3, size, errors, max_error, score); ``params["task"]`` says how to show errors,
    ``stats`` holds the searched rows ``n`` and their ``errors``."""
    regression = params.get("task") == "regression"
    if found.empty:
        cols = _REGRESSION_COLUMNS if regression else _COLUMNS
        return Discovery(pd.DataFrame(columns=cols), params, stats)
    frame = _decode(found, specs, stats["errors"] / stats["n"])
    return Discovery(_for_task(frame, regression), params, stats)


def _for_task(frame: pd.DataFrame, regression: bool) -> pd.DataFrame:
    """A regressor's slices show their RMSE, not the squared-error sums SliceLine ranks by."""
    if not regression:
        return frame
    out = frame.assign(rmse=np.sqrt(frame["error_rate"].astype(float)))
    return out[_REGRESSION_COLUMNS]


def _check_search(specs: list[ColumnSpec], *, alpha: float, top_k: int, max_level: int) -> None:
    if not 0 < alpha <= 1:
        raise SliceError("alpha must be in (0, 1]: near 1 favours error over size.")
    if not 1 <= max_level <= 3:
        raise SliceError("Search conjunctions of 1 to 3 predicates.")
    if top_k < 1:
        raise SliceError("Ask for at least one slice (top-k >= 1).")
    if not specs:
        raise SliceError("Pick at least one column to search slices over.")


def _support_rows(min_support: float, n_rows: int) -> int:
    """The minimum slice size in rows: ``min_support`` rows, or that share when < 1.

    Examples
    --------
    >>> _support_rows(0.01, 1050), _support_rows(30, 1050), _support_rows(0, 1050)
    (11, 30, 1)
    """
    sigma = math.ceil(min_support * n_rows) if 0 < min_support < 1 else int(min_support)
    return max(sigma, 1)


def _decode(found: pd.DataFrame, specs: list[ColumnSpec], mean_error: float) -> pd.DataFrame:
    """The lattice's rows (level, p1..p3 predicate keys, size, errors, score) as ranked,
    labelled slices with their stored predicates and error lift."""
    slices = []
    for r in found.itertuples(index=False):
        preds = []
        for key in (r.p1, r.p2, r.p3):
            if key is None or pd.isna(key):
                continue
            col, code = sliceline_db.decode_predicate(int(key))
            preds.append(specs[col].predicate(code))
        slices.append(preds)
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(found) + 1),
            "label": [slice_label(p) for p in slices],
            "level": found["level"].astype(int).to_numpy(),
            "slice": slices,
            "size": found["size"].astype(int).to_numpy(),
            "errors": found["errors"].astype(float).to_numpy(),
            "error_rate": (found["errors"] / found["size"]).to_numpy(),
            "score": found["score"].astype(float).to_numpy(),
        }
    )
    out["lift"] = out["error_rate"] / mean_error
    return out


def save_discovery(store: Database, source: SliceSource, found: Discovery, actor: str) -> int:
    """Store a discovery (its inputs and top-k) for the run and part."""
    return analysis_db.insert_slice_discovery(
        store,
        int(source.project_id or 0),
        source.run_id,
        source.part,
        found.params,
        stored_slices(found),
        found.stats,
        actor,
    )


def stored_slices(found: Discovery) -> pd.DataFrame:
    """The slices as stored: a regressor's as SliceLine's sums (errors = size x MSE)."""
    slices = found.slices
    if found.regression:
        mse = slices["rmse"].astype(float) ** 2
        slices = slices.assign(error_rate=mse, errors=mse * slices["size"])
    return slices


def latest_discovery(store: Database, run_id: int, part: str) -> Discovery | None:
    """The last discovery stored for the run's part (its author and time in ``stats``)."""
    got = analysis_db.latest_slice_discovery(store, run_id, part)
    if got is None:
        return None
    n, errors = got.stats.get("n", 0), got.stats.get("errors", 0)
    frame = got.slices.assign(
        lift=got.slices["error_rate"] / (errors / n) if n and errors else np.nan
    )
    stats = {**got.stats, "created_at": got.created_at, "created_by": got.created_by}
    return Discovery(_for_task(frame, got.params.get("task") == "regression"), got.params, stats)
