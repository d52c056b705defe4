"""Peak resident memory of the benchmark process, sampled in a thread."""

from __future__ import annotations

import threading
from typing import Self

import psutil


class PeakRSS:
    """``with PeakRSS() as m: ...`` then ``m.peak`` (MB): the largest RSS seen meanwhile."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self._proc = psutil.Process()
        self.peak = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        self.peak = max(self.peak, self._proc.memory_info().rss / 2**20)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def __enter__(self) -> Self:
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def peak_mb(self) -> float:
        return self.peak
