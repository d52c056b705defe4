"""The stream, scored once: ``prepare_stream`` sorts a stored production stream by time (or
keeps its row order, for a stream without a time column), cuts it into windows and runs
both deciders window by window, as batches, timing every batch, so the models are scored
once however many patterns are replayed over it.

Latency of a model's request = its measured single-call time + the window batch's measured
time per row (+ a serving overhead and jitter added by the replay). Pass ``inference_ms`` to
replace the measurement (bit-for-bit reproducible results).

The task is the candidate's: a classification's labels and human decisions are 1/0 for the
positive class; a regression's are numbers (the observed outcome and the current process's
estimate), and its scores are predictions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.deploy.deciders import Decider, as_label, scores, task_of
from core.deploy.settings import FILE_ORIGIN, DeployError, RolloutSettings, validate_settings

MAX_WINDOWS = 5000


@dataclass
class ScoredStream:
    """A stream sorted by time and scored by both deciders once, batch by batch."""

    frame: pd.DataFrame  # t, key, y (1/0/NaN; a number for a regression), human (same),
    # stream_latency, infra_failed
    incumbent_p: np.ndarray
    candidate_p: np.ndarray
    incumbent_ms: np.ndarray  # per row: inference time of its request (NaN for a human)
    candidate_ms: np.ndarray
    incumbent: str
    candidate: str
    incumbent_is_model: bool
    incumbent_threshold: float | None = None
    candidate_threshold: float | None = None
    warnings: list[str] = field(default_factory=list)
    # the label column is "not set", "missing" from the stream, holds no label yet ("none
    # arrived"), or some label has "arrived"
    label_state: str = "arrived"
    task: str = "classification"  # the candidate's; "regression": scores are predictions


def check_stream(
    columns: Sequence[str], deciders: Sequence[Decider], s: RolloutSettings
) -> list[str]:
    """Why this stream cannot be replayed with these deciders (empty = it can)."""
    cols = set(columns)
    errors = []
    if s.file_order:
        pass  # the stored row order is the replay order
    elif not s.time_column:
        errors.append(
            "No time column is set for the stream: a rollout is replayed in time order. Pick "
            "it under 'Stream columns', or choose '(file order)' there to replay the rows as "
            "they are stored, in windows of N requests."
        )
    elif s.time_column not in cols:
        errors.append(
            f"The stream has no column {s.time_column!r} to order requests by time: pick its "
            "time column under 'Stream columns', or '(file order)' to replay the rows as "
            "they are stored."
        )
    for d in deciders:
        missing = [c for c in d.features if c not in cols]
        if missing:
            errors.append(
                f"{d.name} needs columns the stream lacks: {', '.join(missing)}. Choose a "
                "stream with the model's features or a model trained on this stream's columns."
            )
    return errors


def default_period(times: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """From midnight before the first request to one second after the last."""
    return times.min().floor("D"), times.max() + pd.Timedelta(seconds=1)


def window_edges(
    start: pd.Timestamp, end: pd.Timestamp, window: str | pd.Timedelta
) -> pd.DatetimeIndex:
    """The edges of the windows of ``window`` from ``start`` covering up to ``end``.

    >>> window_edges(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-02 01:00"), "12h").size
    4
    """
    width = pd.Timedelta(window)
    n_windows = math.ceil((end - start) / width)
    if n_windows > MAX_WINDOWS:
        raise DeployError(
            f"{n_windows} windows is too many (at most {MAX_WINDOWS}); choose a longer window "
            "(or more requests per window in file order)."
        )
    return pd.DatetimeIndex([start + k * width for k in range(n_windows + 1)])


def prepare_stream(
    stream: pd.DataFrame,
    incumbent: Decider,
    candidate: Decider,
    settings: RolloutSettings | Sequence[RolloutSettings],
    progress: Callable[[float, str], None] | None = None,
) -> ScoredStream:
    """Sort and score a stream once for every settings given (both deciders, batch by
    window of the first settings, timed), over the union of their periods."""
    many = [settings] if isinstance(settings, RolloutSettings) else list(settings)
    first = many[0]
    task = _task(incumbent, candidate)
    many = [replace(one, task=task) for one in many]
    _refuse_bad_input(stream.columns, incumbent, candidate, many)
    if first.file_order:
        frame, warnings = _in_file_order(stream)
    else:
        frame, warnings = _timestamped(stream, first.time_column)
    start, end = _period(frame["__t"], many)
    frame = _in_period(frame, start, end)
    bounds = _batch_bounds(frame["__t"], window_edges(start, end, first.window_width))
    if progress:
        progress(0.1, f"Scoring {len(frame):,} requests with {incumbent.name}")
    inc_p, inc_ms = _timed_scores(incumbent, frame, bounds, first.inference_ms)
    if progress:
        progress(0.5, f"Scoring {len(frame):,} requests with {candidate.name}")
    cand_p, cand_ms = _timed_scores(candidate, frame, bounds, first.inference_ms)
    y, label_state = _labels(frame, first, warnings, task)
    return ScoredStream(
        _replay_columns(frame, first, y, warnings, task),
        inc_p,
        cand_p,
        inc_ms,
        cand_ms,
        incumbent.name,
        candidate.name,
        incumbent.is_model,
        incumbent.threshold,
        candidate.threshold,
        warnings,
        label_state,
        task,
    )


def _task(incumbent: Decider, candidate: Decider) -> str:
    """The rehearsal's task (the candidate's); both sides must decide the same kind of thing."""
    task = task_of(candidate)
    if task_of(incumbent) != task:
        kinds = {"regression": "a regression model", "classification": "a classifier"}
        raise DeployError(
            f"{incumbent.name} is {kinds[task_of(incumbent)]} and {candidate.name} is "
            f"{kinds[task]}: compare two models of the same task (or, for a regression, the "
            "current process's numeric estimates)."
        )
    return task


def _refuse_bad_input(
    columns: Sequence[str], incumbent: Decider, candidate: Decider, many: list[RolloutSettings]
) -> None:
    errors = check_stream(columns, [incumbent, candidate], many[0])
    for one in many:
        errors += [e for e in validate_settings(one) if e not in errors]
    if len({(one.order, one.window_requests if one.file_order else one.time_column)
            for one in many}) > 1:
        errors.append("Patterns compared on one stream must share its order (time or file).")
    if errors:
        raise DeployError(" ".join(errors))


def _timestamped(stream: pd.DataFrame, time_column: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The stream with its parsed time as ``__t``; rows without a time are left out."""
    warnings: list[str] = []
    ts = pd.to_datetime(stream[time_column], errors="coerce")
    if ts.isna().all():
        raise DeployError(f"The column {time_column!r} holds no readable timestamps.")
    if ts.isna().any():
        warnings.append(f"{int(ts.isna().sum())} requests without a timestamp were left out.")
    return stream.assign(__t=ts.to_numpy()).loc[ts.notna().to_numpy()], warnings


def _in_file_order(stream: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The stream in its row order, request k at ``FILE_ORIGIN`` + k seconds (``__t``)."""
    clock = FILE_ORIGIN + pd.to_timedelta(np.arange(len(stream)), unit="s")
    return stream.assign(__t=clock.to_numpy()), []


def _period(times: pd.Series, many: list[RolloutSettings]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The union of the settings' periods (a missing start or end: the stream's)."""
    first, last = default_period(times)
    start = min(pd.Timestamp(o.start) if o.start else first for o in many)
    end = max(pd.Timestamp(o.end) if o.end else last for o in many)
    return start, end


def _in_period(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    frame = frame[(frame["__t"] >= start) & (frame["__t"] < end)]
    frame = frame.sort_values("__t", kind="stable")
    if frame.empty:
        raise DeployError("No request of the stream falls between the start and end chosen.")
    return frame


def _batch_bounds(times: pd.Series, edges: pd.DatetimeIndex) -> np.ndarray:
    """Row offsets of the scoring batches (one per window) in the sorted stream."""
    bounds = np.searchsorted(times.to_numpy(), edges.to_numpy(), side="left")
    bounds[-1] = len(times)
    return bounds


def _timed_scores(d: Decider, frame: pd.DataFrame, bounds: np.ndarray, override: float | None):
    """Scores per row and each row's inference time in ms: the model's single-call time
    (the fastest of 5 calls, as timeit advises on a busy machine) plus its batch's time per
    row. One BLAS/OpenMP thread, as a serving worker would run, so the timing is not an
    artefact of threads fighting over shared cores."""
    from threadpoolctl import threadpool_limits

    p = np.full(len(frame), np.nan)
    ms = np.full(len(frame), np.nan)
    with threadpool_limits(limits=1):
        single = 0.0
        if d.is_model and override is None and len(frame):
            one = frame.iloc[:1]
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                scores(d, one)
                times.append(time.perf_counter() - t0)
            single = float(np.min(times)) * 1000
        for w in range(len(bounds) - 1):
            a, b = bounds[w], bounds[w + 1]
            if b <= a:
                continue
            t0 = time.perf_counter()
            p[a:b] = scores(d, frame.iloc[a:b])
            elapsed = (time.perf_counter() - t0) * 1000
            if d.is_model:
                ms[a:b] = override if override is not None else single + elapsed / (b - a)
    return p, ms


def _column(frame: pd.DataFrame, name: str | None) -> pd.Series | None:
    return frame[name] if name and name in frame.columns else None


def _binary(col: pd.Series, positive_class: str) -> np.ndarray:
    """1 for the positive class, 0 for another, NaN where the value is missing."""
    return np.where(col.isna(), np.nan, (as_label(col) == positive_class).astype(float))


def _numeric(col: pd.Series) -> np.ndarray:
    """A regression's outcome or estimate as numbers (NaN where missing or not a number)."""
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def _labels(
    frame: pd.DataFrame, s: RolloutSettings, warnings: list[str], task: str = "classification"
) -> tuple[np.ndarray, str]:
    """The label per request (1/0/NaN; a regression's number) and the ``label_state``."""
    label = _column(frame, s.label_column)
    if label is None:
        what = f"no label column {s.label_column!r}" if s.label_column else "no label column set"
        warnings.append(
            f"The stream has {what}: guardrails that need labels are not judged; the others decide."
        )
        return np.full(len(frame), np.nan), "missing" if s.label_column else "not set"
    y = _numeric(label) if task == "regression" else _binary(label, s.positive_class)
    if task == "regression" and label.notna().any() and np.isnan(y).all():
        warnings.append(
            f"The label column {s.label_column!r} holds no number: a regression's guardrails "
            "that need labels are not judged. Pick the column of the observed outcome."
        )
        return y, "none arrived"
    if np.isnan(y).all():
        warnings.append(
            "No label has arrived in this stream: guardrails that need labels are "
            "skipped; the others decide."
        )
        return y, "none arrived"
    return y, "arrived"


def _replay_columns(
    frame: pd.DataFrame,
    s: RolloutSettings,
    y: np.ndarray,
    warnings: list[str],
    task: str = "classification",
) -> pd.DataFrame:
    """The columns the replay reads: time, routing key, label, the human decision, the
    logged latency and whether the request failed in the infrastructure (status >= 500)."""
    n = len(frame)
    human = _column(frame, s.human_column)
    lat = _column(frame, s.latency_column)
    status = _column(frame, s.status_column)
    keys = _column(frame, s.key_column)
    if keys is None:
        warnings.append("No request id column: canary routing hashes the row position.")
        keys = pd.Series(np.arange(n).astype(str))
    return pd.DataFrame(
        {
            "t": frame["__t"].to_numpy(),
            "key": keys.astype(str).to_numpy(),
            "y": y,
            "human": (
                np.full(n, np.nan)
                if human is None
                else _numeric(human)
                if task == "regression"
                else _binary(human, s.positive_class)
            ),
            "stream_latency": (
                pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
                if lat is not None
                else np.full(n, np.nan)
            ),
            "infra_failed": (
                pd.to_numeric(status, errors="coerce").fillna(200).to_numpy() >= 500
                if status is not None
                else np.zeros(n, bool)
            ),
        }
    )
