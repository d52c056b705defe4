"""One pattern's replay of a scored stream: its windows, the per-request arrays both sides
are judged on (decisions, fallbacks, latencies, failures, routing buckets), a window's row
of the timeline and its guardrail checks. Everything is numpy on a window's slice; the loop
runs over windows (tens to hundreds), never over rows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.deploy.guardrails import Arm, judge_arm, status_of
from core.deploy.routing import route_buckets
from core.deploy.settings import DeployError, Guardrail, RolloutSettings
from core.deploy.stream import ScoredStream, default_period, window_edges

CHECK_COLUMNS = [
    "window_idx",
    "guardrail",
    "metric",
    "threshold",
    "value",
    "bound",
    "n",
    "status",
    "point_bad",
    "share",
    "step",
    "incumbent_value",
]
# a label guardrail before its first window of arrived labels: (value, bound, n, status, incumbent)
NOT_ARRIVED = (float("nan"), float("nan"), 0, "no labels", float("nan"))


@dataclass(frozen=True)
class Windows:
    """The replay's windows: their edges in time and their row offsets in the stream."""

    edges: pd.DatetimeIndex
    bounds: np.ndarray

    def __len__(self) -> int:
        return len(self.edges) - 1

    def rows(self, w: int) -> slice:
        return slice(int(self.bounds[w]), int(self.bounds[w + 1]))

    def start(self, w: int) -> pd.Timestamp:
        return self.edges[w]

    def end(self, w: int) -> pd.Timestamp:
        return self.edges[w + 1]


@dataclass(frozen=True)
class Replay:
    """The requests of one settings' period, with both sides' behaviour per request.

    ``candidate`` is what the candidate would serve (its decision, or the human's / the
    incumbent's where it falls back for low confidence); ``incumbent`` what serves today.
    """

    settings: RolloutSettings
    windows: Windows
    times: pd.Series
    y: np.ndarray
    buckets: np.ndarray
    candidate: Arm
    incumbent: Arm
    candidate_ms: np.ndarray
    candidate_threshold: float
    label_delay_windows: int
    label_state: str

    @property
    def t(self) -> np.ndarray:
        return self.times.to_numpy()

    def wrong(self, decision: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """Per request: labelled and answered wrong. A classifier's decision is wrong when
        it differs from the label; a regression's prediction when its absolute error
        exceeds the error tolerance (None: no tolerance set, so not known)."""
        lab = np.isfinite(y)
        if not self.settings.regression:
            return lab & (decision != y)
        tol = self.settings.error_tolerance
        if tol is None:
            return None
        with np.errstate(invalid="ignore"):
            return lab & (np.abs(decision.astype(float) - y) > tol)


def build_replay(scored: ScoredStream, s: RolloutSettings) -> Replay:
    """Select the settings' period of the scored stream and derive every per-request array."""
    t_all = scored.frame["t"]
    first, last = default_period(t_all)
    start = pd.Timestamp(s.start) if s.start else first
    end = pd.Timestamp(s.end) if s.end else last
    sel = ((t_all >= start) & (t_all < end)).to_numpy()
    if not sel.any():
        raise DeployError("No request of the stream falls between the start and end chosen.")
    f = scored.frame.loc[sel].reset_index(drop=True)
    windows = _windows(f["t"], start, end, s.window_width)
    y = f["y"].to_numpy()
    cand_thr = s.threshold if s.threshold is not None else (scored.candidate_threshold or 0.5)
    if s.regression:
        cand_thr = float("nan")  # a regression has no decision threshold
    candidate, incumbent = _arms(scored, sel, f, s, cand_thr)
    width = s.window_width
    return Replay(
        settings=s,
        windows=windows,
        times=f["t"],
        y=y,
        buckets=route_buckets(f["key"], salt=f"{s.seed}:"),
        candidate=candidate,
        incumbent=incumbent,
        candidate_ms=scored.candidate_ms[sel],
        candidate_threshold=cand_thr,
        label_delay_windows=(
            math.ceil(pd.Timedelta(days=s.label_delay_days) / width) if s.label_delay_days else 0
        ),
        label_state=_label_state(scored.label_state, y),
    )


def _windows(
    times: pd.Series, start: pd.Timestamp, end: pd.Timestamp, width: pd.Timedelta
) -> Windows:
    edges = window_edges(start, end, width)
    n_windows = len(edges) - 1
    win = np.minimum(((times - start) // width).to_numpy().astype(np.int64), n_windows - 1)
    return Windows(edges, np.searchsorted(win, np.arange(n_windows + 1), side="left"))


def _arms(
    scored: ScoredStream, sel: np.ndarray, f: pd.DataFrame, s: RolloutSettings, cand_thr: float
) -> tuple[Arm, Arm]:
    """Both sides per request: decisions at their thresholds, the candidate's low-confidence
    fallback, latency (measured + overhead + seeded exponential jitter), failures."""
    n = len(f)
    cand_p, inc_p = scored.candidate_p[sel], scored.incumbent_p[sel]
    cand_ms, inc_ms = scored.candidate_ms[sel], scored.incumbent_ms[sel]
    rng = np.random.default_rng(s.seed)
    cand_jitter = rng.exponential(s.jitter_ms, n) if s.jitter_ms > 0 else np.zeros(n)
    inc_jitter = rng.exponential(s.jitter_ms, n) if s.jitter_ms > 0 else np.zeros(n)
    inc_thr = scored.incumbent_threshold if scored.incumbent_threshold is not None else 0.5
    cand_dec = np.where(np.isnan(cand_p), np.nan, (cand_p >= cand_thr).astype(float))
    inc_dec = np.where(np.isnan(inc_p), np.nan, (inc_p >= inc_thr).astype(float))
    human = f["human"].to_numpy()
    conf = np.maximum(cand_p, 1 - cand_p)
    low_conf = (conf < s.min_confidence) if s.min_confidence > 0 else np.zeros(n, bool)
    if s.regression:  # the score is the prediction; no threshold, no fallback
        cand_dec, inc_dec, low_conf = cand_p, inc_p, np.zeros(n, bool)
    fallback_dec = np.where(np.isnan(human), inc_dec, human)
    cand_lat = cand_ms + s.overhead_ms + cand_jitter
    inc_lat = (
        inc_ms + s.overhead_ms + inc_jitter
        if scored.incumbent_is_model
        else f["stream_latency"].to_numpy()
    )
    infra = f["infra_failed"].to_numpy()
    y = f["y"].to_numpy()
    agree = cand_dec == inc_dec if not s.regression else _agree_within(cand_dec, inc_dec, s)
    tol = s.error_tolerance if s.regression else None
    extra = {"task": s.task, "tolerance": float("nan") if tol is None else float(tol)}
    candidate = Arm(
        y=y,
        decision=np.where(low_conf, fallback_dec, cand_dec),
        score=cand_p,
        agree=agree,
        fallback=low_conf,
        latency=cand_lat,
        failed=infra | (cand_lat > s.timeout_ms),
        **extra,
    )
    incumbent = Arm(
        y=y,
        decision=inc_dec,
        score=inc_p,
        agree=agree,
        fallback=np.zeros(n, bool),
        latency=inc_lat,
        failed=infra | (np.nan_to_num(inc_lat, nan=0.0) > s.timeout_ms),
        **extra,
    )
    return candidate, incumbent


def _agree_within(cand: np.ndarray, inc: np.ndarray, s: RolloutSettings) -> np.ndarray:
    """Two regression predictions agree when they lie within the error tolerance of each
    other (without a tolerance: when they are equal to float precision)."""
    tol = s.error_tolerance
    with np.errstate(invalid="ignore"):
        if tol is None:
            return np.isclose(cand, inc)
        return np.abs(cand - inc) <= tol


def _label_state(stream_state: str, y: np.ndarray) -> str:
    if stream_state in ("not set", "missing"):
        return stream_state
    return "arrived" if np.isfinite(y).any() else "none arrived"


# ---------------------------------------------------------------- one window
def window_record(
    replay: Replay, w: int, routed: np.ndarray, arm: np.ndarray, share: float, step: int
) -> dict[str, Any]:
    """A window's row of the timeline: who served how many, wrong and failed answers, p95s."""
    sl = replay.windows.rows(w)
    cand, inc = replay.candidate, replay.incumbent
    n = sl.stop - sl.start
    served_dec = np.where(routed, cand.decision[sl], inc.decision[sl])
    yk = replay.y[sl]
    lab = np.isfinite(yk)
    wrong = replay.wrong(served_dec, yk)
    inc_wrong = replay.wrong(inc.decision[sl], yk)
    low_conf = cand.fallback[sl]
    inc_lat = inc.latency[sl][~routed]
    return {
        "window_idx": w,
        "window_start": replay.windows.start(w),
        "window_end": replay.windows.end(w),
        "step": step,
        "share_target": share,
        "n_requests": int(n),
        "n_routed": int(routed.sum()),
        "n_cand_served": int((routed & ~low_conf).sum()),
        "n_fallback": int((routed & low_conf).sum()),
        "n_incumbent": int((~routed).sum()),
        "share_served": float(routed.mean()) if n > 0 else 0.0,
        "agreement": float(cand.agree[sl].mean()) if n > 0 else float("nan"),
        "n_labeled": int(lab.sum()),
        "wrong_cand": None if wrong is None else int((wrong & routed).sum()),
        "wrong_inc": None if wrong is None else int((wrong & ~routed).sum()),
        # what the incumbent would have got wrong on the requests the candidate served
        "wrong_cand_counterfactual": None if inc_wrong is None else int((inc_wrong & routed).sum()),
        "failed_cand": int((routed & cand.failed[sl]).sum()),
        "failed_inc": int((~routed & inc.failed[sl]).sum()),
        "cand_p95_ms": (
            float(np.percentile(cand.latency[sl][arm], 95)) if arm.any() else float("nan")
        ),
        "inc_p95_ms": (
            float(np.nanpercentile(inc_lat, 95))
            if (~routed).any() and np.isfinite(inc_lat).any()
            else float("nan")
        ),
        "infer_ms": float(np.nanmean(replay.candidate_ms[sl])) if n > 0 else float("nan"),
    }


def check_window(
    replay: Replay,
    w: int,
    arms: list[np.ndarray],
    references: list[np.ndarray],
    share: float,
    step: int,
) -> list[dict[str, Any]]:
    """Every guardrail on window ``w``'s arm (``arms[w]``, the incumbent on
    ``references[w]``); a label guardrail judges the latest window whose labels have
    arrived (``label_delay_windows`` before), or says "no labels"."""
    out = []
    for g in replay.settings.guardrails:
        lw = w - replay.label_delay_windows if g.needs_labels else w
        value, bound, m, status, inc_value = (
            _judge_rows(replay, g, lw, arms, references) if lw >= 0 else NOT_ARRIVED
        )
        out.append(
            {
                "window_idx": w,
                "guardrail": g.label,
                "metric": g.metric,
                "threshold": g.threshold,
                "value": value,
                "bound": bound,
                "n": m,
                "status": status,
                "point_bad": bool(np.isfinite(value) and g.is_bad(value)),
                "share": share,
                "step": step,
                "incumbent_value": inc_value,
            }
        )
    return out


def _judge_rows(
    replay: Replay, g: Guardrail, w: int, arms: list[np.ndarray], references: list[np.ndarray]
) -> tuple[float, float, int, str, float]:
    """(value, bound, n, status, incumbent's value) of ``g`` on window ``w``."""
    sl = replay.windows.rows(w)
    idx = np.arange(sl.start, sl.stop)
    rows, ref = idx[arms[w]], idx[references[w]]
    conf = replay.settings.confidence
    value, bound, m = judge_arm(g.metric, replay.candidate.take(rows), conf)
    inc_value = judge_arm(g.metric, replay.incumbent.take(ref), conf)[0]
    if g.needs_labels and np.isfinite(replay.y[rows]).sum() == 0:
        return value, bound, m, "no labels", inc_value
    return value, bound, m, status_of(g, bound), inc_value
