"""What a target is: a class label, or a number to predict (a regression target), and a
numeric target's distribution (quantiles and an equal-width histogram) and quantile bins.

DESIGN
------
* One rule decides, the same as training's task inference
  (``core.training.inputs.infer_task``): a numeric, non-boolean column with more than
  ``REGRESSION_MIN_DISTINCT`` distinct values, or with any fractional value, is a number
  to predict. The balance view then draws its distribution instead of classes, the split
  builder stops warning per "class", and a stratified split stratifies on quantile bins.
* Counted set-based in DuckDB (``core.db.scans.numeric_summary`` and ``histograms``);
  the quantiles are ``quantile_cont`` (numpy's default linear interpolation), the
  histogram numpy's equal-width bins over [min, max], the last bin closed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.split_request import require_columns
from core.db import datasets as datasets_db
from core.db import scans as scans_db
from core.db import types
from core.db.database import Database

REGRESSION_MIN_DISTINCT = 20  # more distinct values than this: a number, not classes
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 30
STRATIFY_BINS = 5  # a numeric target is stratified on its quintiles


def is_numeric_target(numeric: bool, n_distinct: int, n_fractional: int) -> bool:
    """Whether a target is a number to predict (regression) rather than a class label.

    >>> is_numeric_target(True, 120, 0), is_numeric_target(True, 3, 2), is_numeric_target(True, 5, 0)
    (True, True, False)
    >>> is_numeric_target(False, 500, 0)
    False
    """
    return numeric and (n_distinct > REGRESSION_MIN_DISTINCT or n_fractional > 0)


def is_numeric_values(values: pd.Series) -> bool:
    """:func:`is_numeric_target` on a column's values (non-finite values left out).

    >>> is_numeric_values(pd.Series([10.05, 12.5, 9.75])), is_numeric_values(pd.Series([0, 1, 1]))
    (True, False)
    >>> is_numeric_values(pd.Series([True, False])), is_numeric_values(pd.Series(["a", "b"]))
    (False, False)
    """
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    x = values.to_numpy(dtype=float, na_value=np.nan)
    x = x[np.isfinite(x)]
    return is_numeric_target(True, int(np.unique(x).size), int((x != np.floor(x)).sum()))


def target_kind(store: Database, dataset_id: int, target: str) -> str:
    """``numeric`` for a number to predict (regression), else ``classes``."""
    require_columns(store, dataset_id, [target])
    dtype = dict(datasets_db.dataset_schema(store, dataset_id))[target]
    if not types.is_numeric(dtype):
        return "classes"
    s = scans_db.numeric_summary(store, dataset_id, target, [])
    return "numeric" if is_numeric_target(True, s.n_distinct, s.n_fractional) else "classes"


@dataclass(frozen=True)
class TargetDistribution:
    """A numeric target's finite values: summary, quantiles and an equal-width histogram.

    ``n_missing`` counts rows without a finite value (NULL, NaN, ±inf); ``quantiles`` are
    ``(probability, value)`` pairs; ``edges`` has one more entry than ``counts``.
    """

    target: str
    n_rows: int
    n_missing: int
    mean: float
    std: float
    minimum: float
    maximum: float
    quantiles: tuple[tuple[float, float], ...]
    edges: tuple[float, ...]
    counts: tuple[int, ...]

    @property
    def n(self) -> int:
        return self.n_rows - self.n_missing

    def quantile(self, p: float) -> float:
        return dict(self.quantiles)[p]

    def to_frame(self) -> pd.DataFrame:
        """The summary as a display table: statistic, value."""
        rows = [
            ("rows with a value", self.n),
            ("rows without", self.n_missing),
            ("mean", self.mean),
            ("standard deviation", self.std),
            ("min", self.minimum),
        ]
        rows += [(f"{p:.0%} quantile" if p != 0.5 else "median", q) for p, q in self.quantiles]
        rows.append(("max", self.maximum))
        return pd.DataFrame(rows, columns=["statistic", "value"])


def target_distribution(
    store: Database, dataset_id: int, target: str, bins: int = HISTOGRAM_BINS
) -> TargetDistribution:
    """Summary, quantiles (``QUANTILES``) and a ``bins``-bin histogram of a numeric target.

    Agrees with ``numpy.quantile`` (linear) and ``numpy.histogram(x, bins, (min, max))``.
    A target without a finite value gets an empty histogram and NaN statistics.
    """
    require_columns(store, dataset_id, [target])
    s = scans_db.numeric_summary(store, dataset_id, target, list(QUANTILES))
    nan = float("nan")
    if not s.n_finite:
        return TargetDistribution(target, s.n_rows, s.n_rows, nan, nan, nan, nan,
                                  tuple((p, nan) for p in QUANTILES), (), ())  # fmt: skip
    lo, hi = float(s.minimum or 0.0), float(s.maximum or 0.0)
    if hi == lo:  # one value: numpy's range becomes [v - 0.5, v + 0.5]
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / bins
    counts = scans_db.histograms(store, dataset_id, [(target, lo, width, bins, False)])[target]
    edges = np.linspace(lo, hi, bins + 1)
    return TargetDistribution(
        target, s.n_rows, s.n_rows - s.n_finite, float(s.mean or 0.0),
        float(s.std) if s.std is not None else nan, float(s.minimum or 0.0),
        float(s.maximum or 0.0), tuple(zip(QUANTILES, s.quantiles, strict=True)),
        tuple(float(e) for e in edges), tuple(int(c) for c in counts),
    )  # fmt: skip


def quantile_bins(values: pd.Series, n_bins: int = STRATIFY_BINS) -> tuple[np.ndarray, list[float]]:
    """Integer codes of a numeric column's quantile bins, and the inner edges.

    Bin k holds values in [edge k-1, edge k) (numpy's linear quantiles; equal edges merged);
    rows without a finite value get one code of their own, after the bins.

    Examples
    --------
    >>> codes, edges = quantile_bins(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, None]), 2)
    >>> codes.tolist(), edges
    ([0, 0, 1, 1, 1, 2], [3.0])
    """
    x = values.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(x)
    probs = np.arange(1, n_bins) / n_bins
    edges = sorted(set(np.quantile(x[finite], probs).tolist())) if finite.any() else []
    codes = np.searchsorted(np.asarray(edges, dtype=float), x, side="right").astype(np.int64)
    codes[~finite] = len(edges) + 1
    return codes, [float(e) for e in edges]
