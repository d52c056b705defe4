"""The profile grid: which columns are profiled, and the bins of a numeric column.

DESIGN
------
The grid is the reference's: ``key = floor((v - a) / w)`` clamped to ``[kmin, kmax]``, with
``a`` and ``w`` chosen so that :data:`BODY_BINS` equal bins span the reference's 0.1 % to
99.9 % quantiles (estimated on about :data:`SAMPLE_ROWS` rows in evenly spaced blocks) and
the grid runs on over the tails up to the exact reference min and max, at most :data:`TAIL_BINS`
further bins on each side (beyond that the outermost bin is wider). Integer columns whose
range spans at most ``BODY_BINS + 2 * TAIL_BINS`` values get one bin per integer, which makes
KS and Wasserstein exact. An arithmetic key (no binary search over edges) counted by
DuckDB's perfect-hash aggregate keeps the pass cheap (DuckDB's ``histogram`` with edges was
3-10x slower); the price of equal-width bins, a coarser resolution where the density is
high, is reported per result as a guaranteed error bound (:mod:`core.monitoring.drift`).

A categorical column keeps the reference's :data:`MAX_CATEGORIES` most frequent categories
(ties by name); see :mod:`core.monitoring.profiles`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.db import types

BODY_BINS = 16_384
TAIL_BINS = 16_384
SAMPLE_ROWS = 100_000
MAX_CATEGORIES = 1_000
QUANTILE_RANGE = (0.001, 0.999)


def profile_kind(data_type: str) -> str:
    """``numeric``, ``categorical`` or ``skipped``: how a column of a DuckDB type is profiled.

    Numbers (integer, float, decimal) are binned on the grid; text and booleans are
    counted per category; the rest (dates, lists, blobs ...) is not profiled.

    >>> profile_kind("BIGINT"), profile_kind("DECIMAL(10,2)"), profile_kind("VARCHAR")
    ('numeric', 'numeric', 'categorical')
    >>> profile_kind("TIMESTAMP"), profile_kind("BOOLEAN")
    ('skipped', 'categorical')
    """
    kind = types.column_kind(data_type)
    if kind in types.NUMERIC_KINDS:
        return "numeric"
    if kind in ("string", "boolean"):
        return "categorical"
    return "skipped"


def numeric_grid(
    data_type: str, lo: float, hi: float, sample: np.ndarray
) -> dict[str, Any]:
    """The bin grid of a numeric column from its exact range and a sample of its values.

    Examples
    --------
    >>> g = numeric_grid("BIGINT", 0.0, 5.0, np.array([0, 1, 2, 5]))
    >>> g["a"], g["w"], g["kmin"], g["kmax"], g["discrete"]
    (-0.5, 1.0, 0, 5, True)
    >>> g = numeric_grid("DOUBLE", 0.0, 1.0, np.linspace(0, 1, 1001))
    >>> g["kmin"], g["kmax"], round(g["w"] * BODY_BINS, 3)
    (-17, 16400, 0.998)
    """
    lo, hi = float(lo), float(hi)
    sample = np.asarray(sample, dtype=float)
    sample = sample[np.isfinite(sample)]
    center = float(np.median(sample)) if sample.size else lo
    base = {
        "kind": "numeric",
        "data_type": data_type,
        "center": center,
        "ref_min": lo,
        "ref_max": hi,
    }
    span = BODY_BINS + 2 * TAIL_BINS
    if hi == lo or (types.is_integer(data_type) and hi - lo <= span):
        # one bin per integer (or the single value): the CDF is known at every atom
        return {
            **base,
            "a": lo - 0.5,
            "w": 1.0,
            "kmin": 0,
            "kmax": int(hi - lo),
            "discrete": True,
        }
    q_lo, q_hi = np.quantile(sample, QUANTILE_RANGE) if sample.size else (lo, hi)
    q_lo, q_hi = float(q_lo), float(q_hi)
    if not q_hi > q_lo:
        q_lo, q_hi = lo, hi
    w = (q_hi - q_lo) / BODY_BINS
    a = q_lo
    kmin = max(math.floor((lo - a) / w), -TAIL_BINS)
    kmax = min(math.floor((hi - a) / w), BODY_BINS + TAIL_BINS)
    return {
        **base,
        "a": a,
        "w": w,
        "kmin": int(kmin),
        "kmax": int(kmax),
        "discrete": False,
    }


def numeric_edges(spec: dict[str, Any]) -> np.ndarray:
    """Boundaries of the grid's bins inside the reference range: ``kmax - kmin + 2`` values.

    Bin ``k`` holds ``[edges[i], edges[i + 1])`` (the last one closed) with ``i = k - kmin``.

    >>> numeric_edges({"a": 0.0, "w": 0.5, "kmin": 0, "kmax": 3, "ref_min": 0.1,
    ...                "ref_max": 1.9}).tolist()
    [0.1, 0.5, 1.0, 1.5, 1.9]
    """
    k = np.arange(spec["kmin"] + 1, spec["kmax"] + 1)
    inner = spec["a"] + k * spec["w"]
    return np.concatenate([[spec["ref_min"]], inner, [spec["ref_max"]]])


def categorical_spec(data_type: str) -> dict[str, Any]:
    """A categorical column's spec before its reference categories are counted."""
    return {
        "kind": "categorical",
        "data_type": data_type,
        "categories": [],
        "complete": True,
        "max_unseen": MAX_CATEGORIES,
    }

