"""Sticky routing: a stable FNV-1a hash of the routing key (the request id) salted with the
seed, mod 10,000. A request's bucket never changes, so a key routed to the candidate at 5%
is still routed there at 25%, and equal seeds route identically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

N_BUCKETS = 10_000


def route_buckets(keys: Sequence[Any] | pd.Series, salt: str = "") -> np.ndarray:
    """Stable bucket in [0, 10000) per key: FNV-1a (64 bit) of ``salt + key``, vectorised.

    The same key and salt give the same bucket on every machine and run.

    Examples
    --------
    >>> route_buckets(["R0000001", "R0000002", "R0000001"]).tolist()
    [6596, 1229, 6596]
    """
    s = pd.Series(keys, dtype=object).astype(str)
    if salt:
        s = salt + s
    enc = np.char.encode(s.to_numpy().astype(str), "utf-8")
    if len(enc) == 0:
        return np.zeros(0, dtype=np.int64)
    width = enc.dtype.itemsize
    arr = np.frombuffer(enc.tobytes(), dtype=np.uint8).reshape(len(enc), width)
    lengths = np.char.str_len(enc)
    h = np.full(len(enc), 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    with np.errstate(over="ignore"):
        for j in range(width):
            active = lengths > j
            nxt = (h ^ arr[:, j].astype(np.uint64)) * prime
            h = np.where(active, nxt, h)
    return (h % np.uint64(N_BUCKETS)).astype(np.int64)


def routed_share(buckets: np.ndarray, share: float) -> np.ndarray:
    """Which requests a ``share`` percent routes to the candidate: the lowest buckets.

    >>> routed_share(np.array([10, 499, 500, 2499]), 5.0).tolist()
    [True, True, False, False]
    """
    return buckets < share / 100 * N_BUCKETS
