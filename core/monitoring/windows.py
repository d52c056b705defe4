"""How a monitoring run cuts the current dataset into windows, with or without a time column.

DESIGN
------
Four kinds of window (:class:`Windowing`, parsed from a spec by :func:`parse_windows`):

* ``day``, ``week``, ``month``: periods of a time column (weeks start on Monday);
* ``all``: the whole current dataset as one window, as a reference-vs-current report
  (Evidently's) compares two batches;
* ``rows:N``: consecutive blocks of ``N`` rows in file order (the order the rows were
  loaded in, DuckDB's ``rowid``), the last block shorter;
* ``column:NAME``: one window per value of a batch column (a batch id, a date stored as
  text), in the order each value first appears in the file; rows without a value form the
  window ``"no batch value"``, which is reported but not judged (as rows without a
  timestamp are).

Every check of a run keys its rows by the window: a timestamp (the window's start) for time
windows, a label otherwise. :func:`finish_windows` turns those keys into the stored columns
``window_start`` (NULL for windows that are not periods), ``window_label`` and
``window_index`` (the order policies follow: "two windows in a row" means two consecutive
indices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from core.monitoring.profiles import ALL, NO_BATCH, NO_TIMESTAMP
from core.monitoring.settings import WINDOWS, MonitorError

WHOLE_ALIASES = ("all", "batch", "whole")
DOMAIN_MAX_WINDOWS = 12  # the domain classifier is costlier: at most this many periods


@dataclass(frozen=True)
class Windowing:
    """A run's windows: ``kind`` is ``time``, ``all``, ``rows`` or ``column``."""

    kind: str
    period: str | None = None  # day / week / month (time windows)
    rows: int | None = None  # rows per window (row windows)
    column: str | None = None  # the batch column (column windows)

    @property
    def spec(self) -> str:
        """The spec this windowing was parsed from (stored with the run).

        >>> parse_windows("rows:500").spec, parse_windows("batch").spec
        ('rows:500', 'all')
        """
        if self.kind == "time":
            return str(self.period)
        if self.kind == "rows":
            return f"rows:{self.rows}"
        if self.kind == "column":
            return f"column:{self.column}"
        return ALL

    @property
    def is_time(self) -> bool:
        return self.kind == "time"

    def describe(self, time_column: str | None = None) -> str:
        """The windows in words, for notes and captions.

        >>> parse_windows("rows:500").describe()
        'windows of 500 rows in file order'
        """
        if self.kind == "time":
            return f"{self.period}s of {time_column!r}" if time_column else f"{self.period}s"
        if self.kind == "rows":
            return f"windows of {self.rows:,} rows in file order"
        if self.kind == "column":
            return (f"one window per value of {self.column!r}, in the order the values first "
                    "appear in the file")
        return "the whole current dataset as one window"

    def profile_args(self, time_column: str | None) -> dict[str, Any]:
        """The windowing arguments of :func:`core.monitoring.profile_store.profile_dataset`."""
        if self.kind == "time":
            return {"time_column": time_column, "window": WINDOWS[str(self.period)]}
        if self.kind == "rows":
            return {"row_window": self.rows}
        if self.kind == "column":
            return {"batch_column": self.column}
        return {}

    def key(self, raw: Any, n_rows: int) -> Any:
        """A run's window key from a scan's raw window value: the period's start (a
        Timestamp) for time windows, else the window's label.

        >>> parse_windows("rows:500").key(1, 1200)
        'rows 501–1,000'
        >>> parse_windows("column:lot").key(None, 10)
        'no batch value'
        """
        if self.kind == "all":
            return ALL
        value: Any = raw
        missing = raw is None or (not isinstance(raw, str) and bool(pd.isna(raw)))
        if self.kind == "time":
            return NO_TIMESTAMP if missing else pd.Timestamp(raw)
        if self.kind == "rows":
            size: int = self.rows if self.rows else 1
            return ALL if missing else row_label(int(value), size, n_rows)
        return NO_BATCH if missing else str(raw)


def parse_windows(spec: str | None) -> Windowing:
    """A windowing from its spec: ``day``, ``week``, ``month``, ``all`` (also ``batch``),
    ``rows:N`` or ``column:NAME``; MonitorError names what is wrong.

    >>> parse_windows("week"), parse_windows("column:lot id")
    (Windowing(kind='time', period='week', rows=None, column=None), Windowing(kind='column', period=None, rows=None, column='lot id'))
    """
    s = (spec or "").strip()
    if s in WINDOWS:
        return Windowing("time", period=s)
    if s.lower() in WHOLE_ALIASES:
        return Windowing("all")
    if s.lower().startswith("rows:"):
        try:
            n = int(s.split(":", 1)[1].replace(",", "").replace("_", ""))
        except ValueError:
            n = 0
        if n < 1:
            raise MonitorError(f"Window {spec!r}: write rows:N with N a whole number of rows "
                               "of at least 1, e.g. rows:1000.")
        return Windowing("rows", rows=n)
    if s.lower().startswith("column:") and s.split(":", 1)[1].strip():
        return Windowing("column", column=s.split(":", 1)[1].strip())
    raise MonitorError(f"Unknown window {spec!r}: use day, week or month (with a time column), "
                       "all (the whole dataset as one window), rows:N (N rows in file order) "
                       "or column:NAME (one window per value of a batch column).")


def row_label(k: int, size: int, n_rows: int) -> str:
    """The label of the ``k``-th block of ``size`` rows (1-based row numbers).

    >>> row_label(0, 500, 1200), row_label(2, 500, 1200)
    ('rows 1–500', 'rows 1,001–1,200')
    """
    first = k * size + 1
    last = min((k + 1) * size, max(n_rows, first))
    return f"rows {first:,}–{last:,}"


def row_labels(size: int, n_rows: int) -> list[str]:
    """Every row window's label, in file order."""
    return [row_label(k, size, n_rows) for k in range(max(math.ceil(n_rows / size), 1))]


def label_of(key: Any) -> str | None:
    """The label of a window key: a period's start as a date (with the time when it is not
    midnight), a label as it is, None for no window.

    >>> label_of(pd.Timestamp("2025-03-03")), label_of("rows 1–10"), label_of(None)
    ('2025-03-03', 'rows 1–10', None)
    """
    if key is None or (not isinstance(key, str) and bool(pd.isna(key))):
        return None
    if isinstance(key, str):
        return key
    ts = pd.Timestamp(key)
    return ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M")


def _is_period(key: Any) -> bool:
    return isinstance(key, (pd.Timestamp, datetime, np.datetime64))


def finish_windows(results: pd.DataFrame, order: list[str] | None) -> pd.DataFrame:
    """The results with ``window_start`` (periods only), ``window_label`` and
    ``window_index``, from the window keys the checks wrote into ``window_start``.

    ``order`` lists the labels of the run's windows in order (None for time windows, whose
    order is their start). Rows outside the run's windows (schema changes, rows without a
    timestamp or batch value, the domain classifier's coarser periods) get no index.

    >>> r = pd.DataFrame({"kind": ["drift", "drift", "schema"],
    ...                   "window_start": ["rows 11–20", "rows 1–10", None]})
    >>> finish_windows(r, ["rows 1–10", "rows 11–20"])["window_index"].tolist()
    [1, 0, <NA>]
    """
    out = results.copy()
    keys = out["window_start"].astype(object)
    period = keys.map(_is_period).astype(bool)
    out["window_label"] = keys.map(label_of)
    out["window_start"] = pd.to_datetime(keys.where(period, None))
    if order is None:
        main = period & (out["kind"] != "multivariate")
        rank = out.loc[main, "window_start"].rank(method="dense") - 1
        out["window_index"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out.loc[main, "window_index"] = rank.astype("Int64")
    else:
        # the domain classifier's periods are the windows, or runs of them named
        # "first … last": ordered by their first window (policies leave them out by kind)
        pos = {label: i for i, label in enumerate(order)}
        idx = out["window_label"].map(lambda w: pos.get(str(w).split(" … ")[0])
                                      if isinstance(w, str) else None)
        out["window_index"] = pd.array(idx, dtype="Int64")
    return out


def with_window_columns(results: pd.DataFrame) -> pd.DataFrame:
    """Stored results with ``window_label`` and ``window_index`` filled where a run stored
    before they existed left them empty (from ``window_start``, as those runs had time
    windows only)."""
    out = results.copy()
    if "window_label" not in out:
        out["window_label"] = None
    if "window_index" not in out:
        out["window_index"] = pd.NA
    out["window_start"] = pd.to_datetime(out["window_start"])
    old = out["window_label"].isna() & out["window_start"].notna()
    if old.any():
        out.loc[old, "window_label"] = out.loc[old, "window_start"].map(label_of)
    idx = pd.array(out["window_index"], dtype="Int64")
    if pd.isna(idx).all() and out["window_start"].notna().any():
        main = out["window_start"].notna() & (out.get("kind", "") != "multivariate")
        idx = pd.array([pd.NA] * len(out), dtype="Int64")
        ranks = (out.loc[main, "window_start"].rank(method="dense") - 1).astype("int64")
        idx[np.flatnonzero(main.to_numpy())] = ranks.to_numpy()
    out["window_index"] = idx
    return out


def domain_groups(labels: list[str], max_windows: int = DOMAIN_MAX_WINDOWS
                  ) -> dict[str, str]:
    """Each window's period for the domain classifier: the window itself when there are at
    most ``max_windows``, else runs of consecutive windows labelled first … last.

    >>> domain_groups(["a", "b", "c"], 2)
    {'a': 'a … b', 'b': 'a … b', 'c': 'c'}
    """
    if len(labels) <= max_windows:
        return {w: w for w in labels}
    size = math.ceil(len(labels) / max_windows)
    out: dict[str, str] = {}
    for i in range(0, len(labels), size):
        part = labels[i:i + size]
        name = part[0] if len(part) == 1 else f"{part[0]} … {part[-1]}"
        out.update({w: name for w in part})
    return out


def ordered_labels(results: pd.DataFrame) -> list[str]:
    """The labels of a results frame's windows in window order (for chart axes; the domain
    classifier's periods left out)."""
    r = results[results["kind"] != "multivariate"] if "kind" in results else results
    if "window_index" in r:
        r = r[r["window_index"].notna()].sort_values("window_index")
    return list(dict.fromkeys(r["window_label"].dropna()))
