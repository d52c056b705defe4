"""The minimum slice size for ranking and discovery, from a confidence interval.

A slice's metric is an estimate: on a few rows it swings by chance, so a 1-row
"(missing)" slice with its one error would top any ranking. The rule (its defaults are the
module constants):

* classification: the smallest size at which the 95% Wilson interval of an error rate
  equal to the part's overall error rate is at most ±``ERROR_HALF_WIDTH`` (0.05) wide;
* regression: the smallest size at which the 95% normal interval of a slice's mean
  absolute error is at most ±``MAE_REL_HALF_WIDTH`` (20%) of the overall MAE, with the
  spread of the absolute errors of the whole part (population standard deviation);
* then at most ``CAP_SHARE`` (5%) of the part's rows, so a small part still ranks some
  slices, and never under ``FLOOR`` (30) rows.

The interval is judged at the overall error (a slice's own error is what is being
estimated); the rule text says which bound decided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
ERROR_HALF_WIDTH = 0.05
MAE_REL_HALF_WIDTH = 0.2
CAP_SHARE = 0.05
FLOOR = 30


@dataclass(frozen=True)
class MinSize:
    """A minimum slice size in rows and the rule that gave it, in words."""

    rows: int
    rule: str


def wilson_half_width(p: float, n: int, z: float = Z95) -> float:
    """Half the width of the Wilson score interval of a proportion ``p`` seen on ``n`` rows.

    Examples
    --------
    >>> round(wilson_half_width(0.2, 100), 6)
    0.077731
    """
    denom = 1 + z * z / n
    return z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))


def wilson_min_rows(p: float, half_width: float = ERROR_HALF_WIDTH, z: float = Z95) -> int:
    """The smallest n whose Wilson interval of ``p`` is at most ±``half_width``.

    Examples
    --------
    >>> wilson_min_rows(0.2), wilson_min_rows(0.5), wilson_min_rows(0.0)
    (245, 381, 35)
    """
    if not 0 < half_width < 0.5:
        raise ValueError("half_width must be in (0, 0.5)")
    p = min(max(float(p), 0.0), 1.0)
    hi = 1
    while wilson_half_width(p, hi, z) > half_width:
        hi *= 2
    lo = hi // 2  # the width shrinks with n: bisect between a failing and a passing n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if wilson_half_width(p, mid, z) > half_width:
            lo = mid
        else:
            hi = mid
    return max(hi, 1)


def mae_min_rows(mae: float, sd_abs: float, rel: float = MAE_REL_HALF_WIDTH, z: float = Z95) -> int:
    """The smallest n whose normal interval of a mean absolute error is at most
    ±``rel`` x ``mae``, for absolute errors of standard deviation ``sd_abs``.

    Examples
    --------
    >>> mae_min_rows(1.0, 0.756)  # half-normal errors: sd of |e| is 0.756 x their mean
    55
    """
    if mae <= 0 or not math.isfinite(mae) or not math.isfinite(sd_abs):
        return 1
    return max(math.ceil((z * sd_abs / (rel * mae)) ** 2), 1)


def min_slice_size(
    n_rows: int,
    *,
    error_rate: float | None = None,
    mae: float | None = None,
    sd_abs: float | None = None,
) -> MinSize:
    """The default minimum slice size of a part of ``n_rows`` rows (see the module rule):
    give ``error_rate`` for a classifier, ``mae`` and ``sd_abs`` for a regressor.

    Examples
    --------
    >>> min_slice_size(2632, error_rate=0.2).rows  # the 5% cap decides
    132
    >>> min_slice_size(100_000, error_rate=0.2).rows  # the interval decides
    245
    >>> min_slice_size(300, error_rate=0.2).rows  # never under 30
    30
    """
    cap = math.ceil(CAP_SHARE * n_rows)
    if error_rate is not None:
        ci = wilson_min_rows(error_rate)
        why = (
            f"the 95% Wilson interval of an error rate of {error_rate:.3f} (the overall one) "
            f"is at most ±{ERROR_HALF_WIDTH:g} from {ci:,} rows"
        )
    else:
        ci = mae_min_rows(float(mae or 0.0), float(sd_abs or 0.0))
        why = (
            f"the 95% interval of a slice's MAE is at most ±{MAE_REL_HALF_WIDTH:.0%} of the "
            f"overall MAE ({float(mae or 0.0):.4g}) from {ci:,} rows"
        )
    rows = max(FLOOR, min(ci, cap))
    if rows == ci:
        decided = "so slices need that many"
    elif rows == FLOOR:
        decided = f"but never fewer than {FLOOR} rows are asked"
    else:
        decided = f"capped at {CAP_SHARE:.0%} of the {n_rows:,} rows"
    return MinSize(rows, f"{rows:,} rows: {why}, {decided}.")
