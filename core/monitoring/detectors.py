"""Drift detectors for a model's error stream: Page-Hinkley, DDM and ADWIN.

In the style of river's ``drift`` module: a small base class, typed keyword arguments whose
defaults are the literature's, ``update(x)`` one value at a time, then the read-only
``drift_detected``. :func:`detection_points` runs a detector over a whole stream and returns
the indices at which it fired. Every detector restarts itself at the update after a
detection, as river's do (ADWIN included: river 0.26 starts a new window). The detection
indices equal river's on the same streams (``tests/core/test_crosscheck_detectors.py``).

* :class:`PageHinkley` (Page 1954; Hinkley 1971): a cumulative sum of deviations from the
  running mean; fires when it rises (or falls) more than ``threshold`` above its extreme.
* :class:`DDM` (Gama et al. 2004): for a 0/1 error stream, fires when the error rate plus its
  standard deviation exceeds its historical minimum by ``drift_threshold`` deviations
  (``warning_detected`` at ``warning_threshold``).
* :class:`ADWIN` (Bifet and Gavaldà 2007, ADWIN2 with exponential histograms): keeps a window
  of recent values and cuts its older part whenever the means of the two parts differ more
  than a Hoeffding-style bound at confidence ``delta``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from typing import Self

__all__ = ["ADWIN", "DDM", "DriftDetector", "PageHinkley", "detection_points"]


class DriftDetector:
    """Base class: ``update(x)`` then read ``drift_detected``. A detector implements
    ``_step(x)``, which takes the ``n``-th value and says whether it revealed a change."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._drift_detected = False
        self.n = 0

    @property
    def drift_detected(self) -> bool:
        """True right after the update at which a change was detected."""
        return self._drift_detected

    def update(self, x: float) -> Self:
        """Take one value; ``drift_detected`` then says whether it revealed a change."""
        if self._drift_detected:  # as river: start afresh at the update after a detection
            self._reset()
        self.n += 1
        self._drift_detected = self._step(x)
        return self

    def _step(self, x: float) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


def detection_points(detector: DriftDetector, stream: Iterable[float]) -> list[int]:
    """Indices of ``stream`` at which ``detector`` flagged a drift.

    >>> detection_points(PageHinkley(threshold=5.0), [0.0] * 50 + [1.0] * 50)
    [55]
    """
    hits = []
    for i, x in enumerate(stream):
        if detector.update(float(x)).drift_detected:
            hits.append(i)
    return hits


class PageHinkley(DriftDetector):
    """Page-Hinkley test for a change in the mean of a stream.

    Parameters
    ----------
    min_instances
        Values seen before a drift may be flagged.
    delta
        Magnitude of changes tolerated (subtracted from every deviation).
    threshold
        Detection threshold (the lambda of the literature).
    alpha
        Forgetting factor of the cumulative sums.
    mode
        ``"up"`` detects increases, ``"down"`` decreases, ``"both"`` either.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> stream = np.r_[rng.normal(0, 1, 1000), rng.normal(3, 1, 1000)]
    >>> detection_points(PageHinkley(), stream)
    [1011, 1920]
    """

    def __init__(
        self,
        *,
        min_instances: int = 30,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 1 - 0.0001,
        mode: str = "both",
    ) -> None:
        if mode not in ("up", "down", "both"):
            raise ValueError("mode is 'up', 'down' or 'both'.")
        self.min_instances = min_instances
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha
        self.mode = mode
        super().__init__()

    def _reset(self) -> None:
        super()._reset()
        self._mean = 0.0
        self._sum_up = 0.0
        self._sum_down = 0.0
        self._min_up = math.inf
        self._max_down = -math.inf

    def _step(self, x: float) -> bool:
        self._mean += (x - self._mean) / self.n
        dev = x - self._mean
        self._sum_up = self.alpha * self._sum_up + dev - self.delta
        self._sum_down = self.alpha * self._sum_down + dev + self.delta
        self._min_up = min(self._min_up, self._sum_up)
        self._max_down = max(self._max_down, self._sum_down)
        if self.n < self.min_instances:
            return False
        up = self.mode in ("up", "both") and self._sum_up - self._min_up > self.threshold
        down = self.mode in ("down", "both") and (
            self._max_down - self._sum_down > self.threshold
        )
        return bool(up or down)


class DDM(DriftDetector):
    """Drift Detection Method for a 0/1 error stream (1 = the model was wrong).

    Parameters
    ----------
    warm_start
        Values seen before a warning or drift may be flagged.
    warning_threshold
        Deviations above the minimum at which ``warning_detected`` is set.
    drift_threshold
        Deviations above the minimum at which a drift is flagged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> errors = np.r_[rng.random(1000) < 0.1, rng.random(1000) < 0.3].astype(float)
    >>> detection_points(DDM(), errors)
    [1243]
    """

    def __init__(
        self,
        *,
        warm_start: int = 30,
        warning_threshold: float = 2.0,
        drift_threshold: float = 3.0,
    ) -> None:
        self.warm_start = warm_start
        self.warning_threshold = warning_threshold
        self.drift_threshold = drift_threshold
        super().__init__()

    def _reset(self) -> None:
        super()._reset()
        self._p = 0.0
        self._p_min = math.inf
        self._s_min = math.inf
        self._warning = False

    @property
    def warning_detected(self) -> bool:
        return self._warning

    def _step(self, x: float) -> bool:
        self._p += (x - self._p) / self.n
        s = math.sqrt(self._p * (1 - self._p) / self.n)
        self._warning = False
        if self.n > self.warm_start:  # as river (and Gama et al.): after warm_start values
            if self._p + s <= self._p_min + self._s_min:
                self._p_min, self._s_min = self._p, s
            level = self._p + s
            if level > self._p_min + self.drift_threshold * self._s_min:
                return True
            if level > self._p_min + self.warning_threshold * self._s_min:
                self._warning = True
        return False


class ADWIN(DriftDetector):
    """ADaptive WINdowing: a window that drops its older part when the mean changed.

    Parameters
    ----------
    delta
        Confidence of the cut test (smaller: fewer false alarms, later detections).
    clock
        Check for a cut every ``clock`` values.
    max_buckets
        Buckets per row of the exponential histogram (memory is O(max_buckets log n)).
    min_window_length
        Smallest part of the window on either side of a cut.
    grace_period
        Values seen before a drift may be flagged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> stream = np.r_[rng.normal(0, 1, 1000), rng.normal(1, 1, 1000)]
    >>> adwin = ADWIN()
    >>> detection_points(adwin, stream)
    [1055]
    >>> adwin.width, round(adwin.estimation, 3)
    (944, 0.916)
    """

    def __init__(
        self,
        *,
        delta: float = 0.002,
        clock: int = 32,
        max_buckets: int = 5,
        min_window_length: int = 5,
        grace_period: int = 10,
    ) -> None:
        self.delta = delta
        self.clock = clock
        self.max_buckets = max_buckets
        self.min_window_length = min_window_length
        self.grace_period = grace_period
        super().__init__()

    def _reset(self) -> None:
        super()._reset()
        self._rows: list[deque[tuple[float, float]]] = [deque()]  # oldest bucket first
        self.width = 0
        self._total = 0.0
        self._variance = 0.0  # sum of squared deviations of the window

    @property
    def estimation(self) -> float:
        """Mean of the current window."""
        return self._total / self.width if self.width else 0.0

    def _step(self, x: float) -> bool:
        self._insert(float(x))
        return self._detect_change()

    def _insert(self, x: float) -> None:
        if self.width:
            mean = self._total / self.width
            self._variance += self.width * (x - mean) ** 2 / (self.width + 1)
        self.width += 1
        self._total += x
        self._rows[0].append((x, 0.0))
        level = 0
        while len(self._rows[level]) > self.max_buckets:
            t1, v1 = self._rows[level].popleft()
            t2, v2 = self._rows[level].popleft()
            size = 2**level
            merged = v1 + v2 + size * size * (t1 / size - t2 / size) ** 2 / (2 * size)
            if level + 1 == len(self._rows):
                self._rows.append(deque())
            self._rows[level + 1].append((t1 + t2, merged))
            level += 1

    def _delete_oldest(self) -> None:
        level = len(self._rows) - 1
        while not self._rows[level]:
            level -= 1
        total, var = self._rows[level].popleft()
        size = 2**level
        self.width -= size
        self._total -= total
        if self.width:
            u = total / size
            mean = self._total / self.width
            self._variance -= var + size * self.width * (u - mean) ** 2 / (
                size + self.width
            )
            self._variance = max(self._variance, 0.0)
        else:
            self._variance = 0.0
        while len(self._rows) > 1 and not self._rows[-1]:
            self._rows.pop()

    def _cut(self, n0: int, n1: int, u0: float, u1: float) -> bool:
        diff = u0 / n0 - u1 / n1
        v = self._variance / self.width
        dd = math.log(2 * math.log(self.width) / self.delta)
        m = 1 / (n0 - self.min_window_length + 1) + 1 / (
            n1 - self.min_window_length + 1
        )
        eps = math.sqrt(2 * m * v * dd) + 2 / 3 * dd * m
        return abs(diff) > eps

    def _detect_change(self) -> bool:
        change = False
        if self.n % self.clock or self.width <= self.grace_period:
            return False
        reduce = True
        while reduce:
            reduce = False
            n0, n1, u0, u1 = 0, self.width, 0.0, self._total
            done = False
            for level in range(len(self._rows) - 1, -1, -1):
                size = 2**level
                for total, _ in list(self._rows[level]):
                    n0 += size
                    n1 -= size
                    u0 += total
                    u1 -= total
                    if n1 <= 0:
                        done = True
                        break
                    if (
                        n0 >= self.min_window_length
                        and n1 >= self.min_window_length
                        and self._cut(n0, n1, u0, u1)
                    ):
                        reduce = change = True
                        self._delete_oldest()
                        done = True
                        break
                if done:
                    break
        return change
