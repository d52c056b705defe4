"""The arithmetic of a split, on integer codes in row-id order (pure numpy, no store).

* ``allocate``: rows of each stratum per part, a controlled rounding of ``sizes × shares``
  (every cell within one row of exact, each part's total within one row of its share).
* ``assign_parts``: rows shuffled once by a seeded priority and cut per stratum.
* ``ladder_levels``: nested learning-curve rungs, one seeded priority per train row.
* ``group_parts``: whole groups dealt to the part furthest below its share.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def allocate(sizes: Sequence[int] | np.ndarray, shares: Sequence[float]) -> np.ndarray:
    """Rows of each stratum per part: a controlled rounding of ``sizes × shares``.

    Every cell is within one row of its exact value, every row sums to its stratum size
    and each column (part) total is the largest-remainder rounding of its share of all rows.

    Examples
    --------
    >>> allocate([10, 7, 3], [0.7, 0.15, 0.15]).tolist()
    [[7, 2, 1], [5, 1, 1], [2, 0, 1]]
    >>> allocate([10, 7, 3], [0.7, 0.15, 0.15]).sum(axis=0).tolist()  # 14, 3, 3 of 20
    [14, 3, 3]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    share = np.asarray(shares, dtype=float)
    exact = sizes[:, None] * share[None, :]
    base = np.floor(exact + 1e-9).astype(np.int64)
    base = np.minimum(base, sizes[:, None])
    frac = exact - base
    left = sizes - base.sum(axis=1)  # rows per stratum still to place (< number of parts)
    totals = _largest_remainder(int(sizes.sum()), share)
    need = totals - base.sum(axis=0)  # rows per part still to place
    # Ryser's greedy fill: each stratum's leftovers go to the parts still needing most rows,
    # at most one per part (so a cell stays within one row of exact).
    order = np.lexsort((-frac.max(axis=1), -left))
    for k in order:
        r = int(left[k])
        if r <= 0:
            continue
        rank = np.lexsort((np.arange(len(share)), -frac[k], -np.maximum(need, 0)))
        chosen = rank[:r]
        base[k, chosen] += 1
        need[chosen] -= 1
    return base


def _largest_remainder(n: int, shares: np.ndarray) -> np.ndarray:
    exact = n * shares
    out = np.floor(exact + 1e-9).astype(np.int64)
    rest = n - int(out.sum())
    if rest > 0:
        order = np.lexsort((np.arange(len(shares)), -(exact - out)))
        out[order[:rest]] += 1
    return out


def assign_parts(codes: np.ndarray, shares: Sequence[float], seed: int) -> np.ndarray:
    """Part index (0 train, 1 dev, 2 test) per row, stratified by the integer ``codes``.

    Rows must come in a fixed order (row id); the same codes, shares and seed always give
    the same parts.

    Examples
    --------
    >>> parts = assign_parts(np.array([0] * 10 + [1] * 10), [0.6, 0.2, 0.2], seed=1)
    >>> np.bincount(parts[:10]).tolist(), np.bincount(parts[10:]).tolist()
    ([6, 2, 2], [6, 2, 2])
    """
    codes = np.asarray(codes, dtype=np.int64)
    n = len(codes)
    out = np.zeros(n, dtype=np.int8)
    if n == 0:
        return out
    _, codes = np.unique(codes, return_inverse=True)
    sizes = np.bincount(codes)
    cells = allocate(sizes, shares)
    order, rank = _ranked(codes, np.random.default_rng(seed).random(n))
    c = codes[order]
    cut1 = cells[:, 0][c]
    cut2 = cut1 + cells[:, 1][c]
    out[order] = (rank >= cut1).astype(np.int8) + (rank >= cut2).astype(np.int8)
    return out


def _ranked(codes: np.ndarray, priority: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ordered by (code, priority) and each row's rank within its code (in that order)."""
    order = np.lexsort((priority, codes))
    c = codes[order]
    starts = np.searchsorted(c, np.arange(c.max() + 1 if len(c) else 0))
    rank = np.arange(len(c)) - starts[c]
    return order, rank


def ladder_levels(codes: np.ndarray, rungs: Sequence[float], seed: int) -> np.ndarray:
    """The smallest rung holding each (train) row; the rungs' subsets are nested.

    Each rung keeps about its share of every class (at least one row of each class), so
    a learning curve's smallest rung still sees every class.

    Examples
    --------
    >>> lv = ladder_levels(np.array([0] * 40 + [1] * 10), (0.1, 0.5, 1.0), seed=3)
    >>> [int((lv <= r).sum()) for r in (0.1, 0.5, 1.0)]
    [5, 25, 50]
    """
    codes = np.asarray(codes, dtype=np.int64)
    n = len(codes)
    levels = np.full(n, np.nan)
    if n == 0:
        return levels
    _, codes = np.unique(codes, return_inverse=True)
    sizes = np.bincount(codes)
    order, rank = _ranked(codes, np.random.default_rng([seed, 1]).random(n))
    c = codes[order]
    sorted_levels = np.full(n, np.nan)
    quota = np.zeros(len(sizes), dtype=np.int64)
    for r in rungs:
        take = allocate(sizes, [r, 1.0 - r])[:, 0] if r < 1 else sizes.copy()
        quota = np.minimum(np.maximum(np.maximum(take, quota), np.minimum(sizes, 1)), sizes)
        newly = np.isnan(sorted_levels) & (rank < quota[c])
        sorted_levels[newly] = r
    levels[order] = sorted_levels
    return levels


def group_parts(groups: np.ndarray, shares: Sequence[float], seed: int) -> np.ndarray:
    """Part index per row such that all rows of a group land in the same part.

    Groups are dealt in a seeded random order, each to the part that is furthest below
    its share of rows; while as many groups remain as parts are still empty, they go to
    the empty parts, so every part with a share gets a group whenever there are enough.

    Examples
    --------
    >>> g = np.repeat(np.arange(20), 5)
    >>> parts = group_parts(g, [0.6, 0.2, 0.2], seed=0)
    >>> np.bincount(parts).tolist(), all(len(set(parts[g == k])) == 1 for k in range(20))
    ([60, 20, 20], True)
    """
    groups = np.asarray(groups, dtype=np.int64)
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int8)
    _, codes = np.unique(groups, return_inverse=True)
    sizes = np.bincount(codes)
    perm = np.random.default_rng(seed).permutation(len(sizes))
    target = [float(s) * len(groups) for s in shares]
    wanted = [p for p, s in enumerate(shares) if s > 0]
    filled = [0.0] * len(target)
    n_groups = [0] * len(target)
    part_of_group = np.empty(len(sizes), dtype=np.int8)
    remaining = len(sizes)
    for g, size in zip(perm.tolist(), sizes[perm].tolist(), strict=True):
        empty = [p for p in wanted if n_groups[p] == 0]
        pool = empty if len(empty) >= remaining else wanted
        p = max(pool, key=lambda q: (target[q] - filled[q], -q))
        part_of_group[g] = p
        filled[p] += size
        n_groups[p] += 1
        remaining -= 1
    return part_of_group[codes]
