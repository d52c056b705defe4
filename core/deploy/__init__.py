"""Rollout rehearsal: replay a stored production stream through shadow, canary or blue-green.

DESIGN
------
* Deciders. The incumbent (the human process or a registered model) and the candidate (a
  registered model) are ``Decider`` objects: ``name``, ``features`` and
  ``predict_proba(frame) -> P(positive)``. ``HumanDecider`` reads the recorded decision
  column; ``ModelDecider`` loads a verified registry version.
* Two stages. ``prepare_stream`` sorts the stream by time, cuts it into windows (a setting)
  and runs both deciders window by window, as batches, timing every batch: the models are
  scored once. ``simulate_rollout`` then replays one pattern over the scored stream. The
  loop runs over windows (tens to hundreds), never over rows; each window is numpy on a
  slice. Three patterns on the same stream share one scoring pass (``compare_patterns``).
* Routing is a stable FNV-1a hash of the routing key (``request_id``) salted with the seed,
  mod 10,000: a request's bucket never changes, so a key routed to the candidate at 5% is
  still routed there at 25% (stickiness), and equal seeds route identically.
* Guardrails are judged with confidence, not point estimates, so a 5% canary of a few dozen
  requests is not rolled back by noise: a floor is breached when the one-sided upper
  confidence bound of the metric is below it (Wilson for shares, Hanley-McNeil for ROC AUC,
  the CLT for mean losses, an order-statistic bound for the p95 latency). A guardrail that
  needs labels is skipped, and said so, in windows whose labels have not arrived.
* Latency of a model's request = its measured single-call time + the window batch's measured
  time per row + a serving overhead + exponential jitter drawn from the seed. Pass
  ``inference_ms`` to replace the measurement (bit-for-bit reproducible results).
* Results (settings, per-window timeline, guardrail checks, events, summary) are stored
  append-only through the store and read back for the page; nothing is recomputed there.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.db import datasets as datasets_db
from core.db import deploy as deploy_db
from core.db import training as training_db
from core.db.database import Database
from core.errors import StoreError
from core.projects import ColumnRoles, column_roles

PATTERNS: dict[str, str] = {
    "shadow": "Shadow: the candidate decides beside the incumbent; nothing it says is served",
    "canary": "Canary: route a growing share by a stable hash; roll back on a breach",
    "blue_green": "Blue-green: switch all traffic at once, keep blue warm, roll back at once",
}
N_BUCKETS = 10_000

# metric -> (label, higher is better, needs labels)
GUARDRAIL_METRICS: dict[str, tuple[str, bool, bool]] = {
    "accuracy": ("Accuracy", True, True),
    "balanced_accuracy": ("Balanced accuracy", True, True),
    "precision": ("Precision", True, True),
    "recall": ("Recall", True, True),
    "specificity": ("Specificity", True, True),
    "f1": ("F1", True, True),
    "roc_auc": ("ROC AUC", True, True),
    "log_loss": ("Log loss", False, True),
    "brier": ("Brier score", False, True),
    "error_rate": ("Wrong decisions served (share)", False, True),
    "agreement": ("Agreement with the incumbent", True, False),
    "fallback_rate": ("Sent to a human (share)", False, False),
    "p95_latency_ms": ("p95 latency (ms)", False, False),
    "availability": ("Availability", True, False),
}
# Used when the project has no scoping contract (or the contract leaves a budget empty).
DEFAULT_GUARDRAILS: dict[str, float] = {
    "accuracy": 0.75,
    "p95_latency_ms": 250.0,
    "availability": 0.99,
}
MIN_LATENCY_SAMPLE = 20  # a p95 of fewer requests is not judged
MIN_AUC_CLASS = 5  # ROC AUC needs this many of each class in a window


class DeployError(StoreError):
    """A simulation that cannot run as asked; the message says what to change."""


# --------------------------------------------------------------------- deciders
class Decider(Protocol):
    """Anything that decides: a model version or the recorded human process."""

    name: str
    features: list[str]
    is_model: bool
    threshold: float | None  # its own decision threshold (None: the settings' or 0.5)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(positive class) per row, shape (n,)."""
        ...


@dataclass
class HumanDecider:
    """The recorded human decision (``column``) as a decider with full confidence."""

    column: str
    positive_class: str = "1"
    name: str = "Human process"
    is_model: bool = False
    threshold: float | None = 0.5

    @property
    def features(self) -> list[str]:
        return [self.column]

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        col = frame[self.column]
        out = (_as_label(col) == str(self.positive_class)).astype(float)
        out[col.isna().to_numpy()] = np.nan
        return out


@dataclass
class ModelDecider:
    """A fitted classifier with its feature list; ``from_version`` loads a registry version."""

    model: Any
    features: list[str]
    positive_class: str = "1"
    name: str = "model"
    version_id: int | None = None
    is_model: bool = True
    threshold: float | None = None  # the run's own decision threshold, when it set one

    @classmethod
    def from_version(cls, store: Database, version_id: int) -> ModelDecider:
        from core.training import registry

        mv = registry.get_version(store, version_id)
        run = training_db.get_run(store, mv.run_id) or {}
        model = registry.load_model(store, version_id)
        alias = f" {mv.alias}" if mv.alias else ""
        name = f"v{mv.version}{alias} ({run.get('model_kind', 'model')})"
        thr = (run.get("params") or {}).get("decision_threshold")
        try:
            thr = float(thr) if thr is not None else None
        except (TypeError, ValueError):
            thr = None
        return cls(
            model,
            list(run.get("features") or []),
            str(run.get("positive_class") or "1"),
            name,
            int(version_id),
            threshold=thr,
        )

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        proba = np.asarray(self.model.predict_proba(frame[self.features]))
        classes = [str(c) for c in getattr(self.model, "classes_", [0, 1])]
        if self.positive_class not in classes:
            raise DeployError(
                f"The model {self.name} has no class {self.positive_class!r} (it knows "
                f"{', '.join(classes)}); it cannot score this stream."
            )
        return proba[:, classes.index(self.positive_class)].astype(float)


def _as_label(s: pd.Series) -> np.ndarray:
    """Labels as strings so that 1, 1.0, '1' and True-like ints compare equal."""
    out = np.empty(len(s), dtype=object)
    num = pd.to_numeric(s, errors="coerce")
    is_int = num.notna() & (num == num.round())
    out[:] = s.astype(str).to_numpy()
    out[is_int.to_numpy()] = num[is_int].astype("int64").astype(str).to_numpy()
    return out


# --------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Guardrail:
    """A metric the candidate must keep on the right side of ``threshold`` in every window."""

    metric: str
    threshold: float
    source: str = "page"  # "contract", "default" or "page"

    @property
    def higher_is_better(self) -> bool:
        return GUARDRAIL_METRICS[self.metric][1]

    @property
    def needs_labels(self) -> bool:
        return GUARDRAIL_METRICS[self.metric][2]

    @property
    def label(self) -> str:
        op = "≥" if self.higher_is_better else "≤"
        return f"{GUARDRAIL_METRICS[self.metric][0]} {op} {self.threshold:g}"


@dataclass(frozen=True)
class RolloutSettings:
    """Everything a simulation depends on; stored with its results.

    ``window`` is a pandas duration ("1D", "12h", "7D"). ``threshold`` None uses the
    candidate's own decision threshold (from its training run), else 0.5. ``schedule`` are canary shares in
    percent. ``min_confidence``: a candidate decision whose max(p, 1-p) is below it goes to a
    human (0 disables fallbacks). ``label_delay_days``: label guardrails at a window are
    judged on the latest window whose labels have arrived by its end.
    """

    pattern: str = "canary"
    window: str = "7D"
    start: datetime | None = None
    end: datetime | None = None
    schedule: tuple[float, ...] = (5.0, 25.0, 50.0, 100.0)
    healthy_windows: int = 2
    switch_at: datetime | None = None
    threshold: float | None = None
    min_confidence: float = 0.0
    overhead_ms: float = 25.0
    jitter_ms: float = 10.0
    timeout_ms: float = 1000.0
    inference_ms: float | None = None
    label_delay_days: float = 0.0
    confidence: float = 0.95
    rollback_seconds: float = 30.0
    seed: int = 0
    # the stream's columns; None: the project's column role (core.projects.ColumnRoles)
    time_column: str | None = None
    key_column: str | None = None
    label_column: str | None = None
    human_column: str | None = None
    latency_column: str | None = None
    status_column: str | None = None
    positive_class: str = "1"
    guardrails: tuple[Guardrail, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["guardrails"] = [asdict(g) for g in self.guardrails]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RolloutSettings:
        d = dict(d)
        d["guardrails"] = tuple(Guardrail(**g) for g in d.get("guardrails", []))
        d["schedule"] = tuple(d.get("schedule", ()))
        for k in ("start", "end", "switch_at"):
            if d.get(k) is not None:
                d[k] = pd.Timestamp(d[k]).to_pydatetime()
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


def validate_settings(s: RolloutSettings) -> list[str]:
    """Problems with the settings, each a sentence saying what to change (empty = fine).

    Examples
    --------
    >>> validate_settings(RolloutSettings(schedule=(5, 5, 100)))
    ['The canary schedule must increase step by step (5% → 5% does not).']
    >>> validate_settings(RolloutSettings(schedule=()))
    ['The canary schedule is empty: give the shares to route, e.g. 5, 25, 50, 100.']
    """
    errors: list[str] = []
    if s.pattern not in PATTERNS:
        errors.append(f"Unknown pattern {s.pattern!r}; use one of {', '.join(PATTERNS)}.")
    try:
        w = pd.Timedelta(s.window)
        if w <= pd.Timedelta(0):
            errors.append("The window must be a positive duration such as 1D, 12h or 7D.")
    except (ValueError, TypeError):
        errors.append(f"The window {s.window!r} is not a duration; write e.g. 1D, 12h or 7D.")
    if s.pattern == "canary":
        sched = list(s.schedule)
        if not sched:
            errors.append(
                "The canary schedule is empty: give the shares to route, e.g. 5, 25, 50, 100."
            )
        for a, b in itertools.pairwise(sched):
            if b <= a:
                errors.append(
                    f"The canary schedule must increase step by step ({a:g}% → {b:g}% does not)."
                )
                break
        bad = [p for p in sched if not (0 < p <= 100) or not math.isfinite(p)]
        if bad:
            errors.append(
                f"Canary shares are percentages in (0, 100]; {', '.join(f'{p:g}' for p in bad)} is not."
            )
        if s.healthy_windows < 1:
            errors.append("Each canary step needs at least one healthy window before promotion.")
    if (
        s.pattern == "blue_green"
        and s.switch_at is not None
        and s.start is not None
        and s.switch_at < s.start
    ):
        errors.append("The blue-green switch is before the start of the replay; move it later.")
    if s.threshold is not None and not 0 <= s.threshold <= 1:
        errors.append("The decision threshold is a probability between 0 and 1.")
    if not 0 <= s.min_confidence <= 1:
        errors.append("The fallback confidence is between 0.5 and 1 (0 turns fallbacks off).")
    if not 0.5 <= s.confidence < 1:
        errors.append("The guardrail confidence is between 0.5 and 1 (e.g. 0.95).")
    for name in (
        "overhead_ms",
        "jitter_ms",
        "timeout_ms",
        "label_delay_days",
        "rollback_seconds",
    ):
        v = getattr(s, name)
        if not math.isfinite(v) or v < 0:
            errors.append(f"{name} cannot be negative.")
    if s.inference_ms is not None and s.inference_ms < 0:
        errors.append("inference_ms cannot be negative.")
    for g in s.guardrails:
        if g.metric not in GUARDRAIL_METRICS:
            errors.append(
                f"No guardrail metric {g.metric!r}; use one of {', '.join(GUARDRAIL_METRICS)}."
            )
        elif not math.isfinite(g.threshold):
            errors.append(f"The guardrail {g.metric} needs a finite threshold.")
    return errors


def parse_schedule(text: str) -> tuple[float, ...]:
    """Read "5, 25, 50, 100" (or with % signs / arrows) into shares.

    >>> parse_schedule("5% → 25%, 50 100")
    (5.0, 25.0, 50.0, 100.0)
    """
    cleaned = text.replace("%", " ").replace("→", " ").replace(",", " ").replace(";", " ")
    try:
        return tuple(float(t) for t in cleaned.split())
    except ValueError as exc:
        raise DeployError(f"The schedule {text!r} must be numbers such as 5, 25, 50, 100.") from exc


def default_guardrails(
    store: Database | None, project_id: int | None
) -> tuple[list[Guardrail], list[str]]:
    """Guardrails from the project's scoping contract, else ``DEFAULT_GUARDRAILS``; plus notes."""
    notes: list[str] = []
    contract = None
    if store is not None and project_id is not None:
        try:
            from core.scoping import get_contract

            contract = get_contract(store, project_id)
        except ImportError:
            contract = None
    out: dict[str, Guardrail] = {}
    if contract is not None:
        metrics = []
        if contract.primary is not None:
            metrics.append((contract.primary.name, contract.primary.target))
        metrics += [(f.name, f.floor) for f in contract.secondary]
        for name, value in metrics:
            if name in GUARDRAIL_METRICS and value is not None and name not in out:
                out[name] = Guardrail(name, float(value), "contract")
            elif name not in GUARDRAIL_METRICS:
                notes.append(f"The contract's {name} is not judged per window here (no guardrail).")
        for name, value in (
            ("p95_latency_ms", contract.p95_latency_ms),
            ("availability", contract.min_availability),
            ("error_rate", contract.error_budget),
        ):
            if value is not None:
                out[name] = Guardrail(name, float(value), "contract")
    else:
        notes.append("No scoping contract: the guardrails are the workbench defaults.")
    for name, value in DEFAULT_GUARDRAILS.items():
        if name in ("p95_latency_ms", "availability") and name not in out:
            out[name] = Guardrail(name, value, "default")
    if not any(g.needs_labels for g in out.values()):
        out.setdefault("accuracy", Guardrail("accuracy", DEFAULT_GUARDRAILS["accuracy"], "default"))
    return list(out.values()), notes


def looser_than_contract(
    guardrails: Sequence[Guardrail], contract_rails: Sequence[Guardrail]
) -> list[str]:
    """Guardrails set looser than the contract's (the page may only tighten them)."""
    base = {g.metric: g for g in contract_rails if g.source == "contract"}
    out = []
    for g in guardrails:
        c = base.get(g.metric)
        if c is None:
            continue
        if (g.higher_is_better and g.threshold < c.threshold) or (
            not g.higher_is_better and g.threshold > c.threshold
        ):
            out.append(f"{g.label} is looser than the contract's {c.threshold:g}.")
    return out


# ---------------------------------------------------------------------- routing
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


# ------------------------------------------------------------------- statistics
def wilson_bound(successes: float, n: float, confidence: float, upper: bool) -> float:
    """One-sided Wilson score bound of a binomial share.

    Examples
    --------
    >>> round(wilson_bound(80, 100, 0.95, upper=True), 4)
    0.8575
    >>> round(wilson_bound(80, 100, 0.95, upper=False), 4)
    0.7267
    """
    if n <= 0:
        return float("nan")
    z = NormalDist().inv_cdf(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre + half if upper else centre - half


def auc_with_se(y: np.ndarray, score: np.ndarray) -> tuple[float, float, int]:
    """ROC AUC (Mann-Whitney) and its Hanley-McNeil standard error; (nan, nan, n) if undefined.

    Examples
    --------
    >>> a, se, n = auc_with_se(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> round(a, 3), n
    (0.75, 4)
    """
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 < 1 or n0 < 1:
        return float("nan"), float("nan"), len(y)
    ranks = pd.Series(score).rank(method="average").to_numpy()
    a = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0)
    return float(a), float(math.sqrt(max(var, 0.0))), len(y)


def p95_bound(values: np.ndarray, confidence: float, upper: bool) -> float:
    """Distribution-free bound of the 95th percentile from order statistics (normal approx.).

    >>> round(p95_bound(np.arange(1, 1001, dtype=float), 0.95, upper=False), 1)
    938.0
    """
    n = len(values)
    if n == 0:
        return float("nan")
    z = NormalDist().inv_cdf(confidence)
    sd = math.sqrt(n * 0.95 * 0.05)
    k = n * 0.95 + (z * sd if upper else -z * sd)
    k = int(min(max(math.ceil(k) if upper else math.floor(k), 1), n))
    return float(np.partition(values, k - 1)[k - 1])


def judge(
    metric: str,
    *,
    y: np.ndarray,
    decision: np.ndarray,
    score: np.ndarray,
    agree: np.ndarray,
    fallback: np.ndarray,
    latency: np.ndarray,
    failed: np.ndarray,
    confidence: float,
) -> tuple[float, float, int]:
    """(value, bound, n) of ``metric`` on one window's arm; the bound is one-sided on the
    unfavourable side's opposite (an upper bound for higher-is-better metrics), so
    "bound on the wrong side of the threshold" means breached with ``confidence``.

    ``y`` is 1/0 with NaN for requests whose label has not arrived.

    Examples
    --------
    >>> y = np.array([1, 1, 0, 0, 1.0]); d = np.array([1, 0, 0, 1, 1])
    >>> v, b, n = judge("recall", y=y, decision=d, score=d * 1.0, agree=d == d,
    ...     fallback=d < 0, latency=np.ones(5), failed=d < 0, confidence=0.95)
    >>> round(v, 4), n
    (0.6667, 3)
    """
    higher = GUARDRAIL_METRICS[metric][1]
    if metric in ("agreement", "fallback_rate", "availability"):
        flags = {
            "agreement": agree,
            "fallback_rate": fallback,
            "availability": ~failed,
        }[metric]
        n = len(flags)
        k = float(flags.sum())
        if n == 0:
            return float("nan"), float("nan"), 0
        return k / n, wilson_bound(k, n, confidence, upper=higher), n
    if metric == "p95_latency_ms":
        lat = latency[np.isfinite(latency)]
        if len(lat) < MIN_LATENCY_SAMPLE:
            return (
                (float(np.percentile(lat, 95)) if len(lat) else float("nan")),
                float("nan"),
                len(lat),
            )
        return (
            float(np.percentile(lat, 95)),
            p95_bound(lat, confidence, upper=False),
            len(lat),
        )
    known = np.isfinite(y)
    yk, dk, sk = y[known].astype(int), decision[known].astype(int), score[known]
    if metric in ("roc_auc",):
        ok = np.isfinite(sk)
        a, se, n = auc_with_se(yk[ok], sk[ok])
        if not np.isfinite(a) or min(yk[ok].sum(), n - yk[ok].sum()) < MIN_AUC_CLASS:
            return a, float("nan"), n
        return a, a + NormalDist().inv_cdf(confidence) * se, n
    if metric in ("log_loss", "brier"):
        ok = np.isfinite(sk)
        p, t = np.clip(sk[ok], 1e-15, 1 - 1e-15), yk[ok]
        loss = -(t * np.log(p) + (1 - t) * np.log1p(-p)) if metric == "log_loss" else (p - t) ** 2
        n = len(loss)
        if n < 2:
            return (float(loss.mean()) if n else float("nan")), float("nan"), n
        z = NormalDist().inv_cdf(confidence)
        return (
            float(loss.mean()),
            float(loss.mean() - z * loss.std(ddof=1) / math.sqrt(n)),
            n,
        )
    tp = float(((dk == 1) & (yk == 1)).sum())
    fp = float(((dk == 1) & (yk == 0)).sum())
    fn = float(((dk == 0) & (yk == 1)).sum())
    tn = float(((dk == 0) & (yk == 0)).sum())
    if metric == "balanced_accuracy":
        if tp + fn == 0 or tn + fp == 0:
            return float("nan"), float("nan"), int(tp + fp + fn + tn)
        r, s = tp / (tp + fn), tn / (tn + fp)
        se = 0.5 * math.sqrt(r * (1 - r) / (tp + fn) + s * (1 - s) / (tn + fp))
        v = (r + s) / 2
        return v, v + NormalDist().inv_cdf(confidence) * se, int(tp + fp + fn + tn)
    k, n = {
        "accuracy": (tp + tn, tp + fp + fn + tn),
        "error_rate": (fp + fn, tp + fp + fn + tn),
        "recall": (tp, tp + fn),
        "precision": (tp, tp + fp),
        "specificity": (tn, tn + fp),
        "f1": (2 * tp, 2 * tp + fp + fn),  # Wilson on 2TP/(2TP+FP+FN): an approximation
    }[metric]
    if n == 0:
        return float("nan"), float("nan"), 0
    return k / n, wilson_bound(k, n, confidence, upper=higher), int(n)


# ----------------------------------------------------------------- scored stream
@dataclass
class ScoredStream:
    """A stream sorted by time and scored by both deciders once, batch by batch."""

    frame: pd.DataFrame  # t, key, y (1/0/NaN), human (1/0/NaN), stream_latency, infra_failed
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


def check_stream(
    columns: Sequence[str], deciders: Sequence[Decider], s: RolloutSettings
) -> list[str]:
    """Why this stream cannot be replayed with these deciders (empty = it can)."""
    cols = set(columns)
    errors = []
    if not s.time_column:
        errors.append(
            "No time column is set for the stream: a rollout is replayed in time order. Pick "
            "it under 'Stream columns' (or set the project's time column on the Overview page)."
        )
    elif s.time_column not in cols:
        errors.append(
            f"The stream has no column {s.time_column!r} to order requests by time: pick its "
            "time column under 'Stream columns'."
        )
    for d in deciders:
        missing = [c for c in d.features if c not in cols]
        if missing:
            errors.append(
                f"{d.name} needs columns the stream lacks: {', '.join(missing)}. Choose a "
                "stream with the model's features or a model trained on this stream's columns."
            )
    return errors


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
                d.predict_proba(one)
                times.append(time.perf_counter() - t0)
            single = float(np.min(times)) * 1000
        for w in range(len(bounds) - 1):
            a, b = bounds[w], bounds[w + 1]
            if b <= a:
                continue
            t0 = time.perf_counter()
            p[a:b] = d.predict_proba(frame.iloc[a:b])
            elapsed = (time.perf_counter() - t0) * 1000
            if d.is_model:
                ms[a:b] = override if override is not None else single + elapsed / (b - a)
    return p, ms


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
    settings = many[0]
    errors = check_stream(stream.columns, [incumbent, candidate], settings)
    for one in many:
        errors += [e for e in validate_settings(one) if e not in errors]
    if errors:
        raise DeployError(" ".join(errors))
    warnings: list[str] = []
    ts = pd.to_datetime(stream[settings.time_column], errors="coerce")
    if ts.isna().all():
        raise DeployError(f"The column {settings.time_column!r} holds no readable timestamps.")
    if ts.isna().any():
        warnings.append(f"{int(ts.isna().sum())} requests without a timestamp were left out.")
    frame = stream.assign(__t=ts.to_numpy()).loc[ts.notna().to_numpy()]
    first, last = (
        frame["__t"].min().floor("D"),
        frame["__t"].max() + pd.Timedelta(seconds=1),
    )
    start = min(pd.Timestamp(o.start) if o.start else first for o in many)
    end = max(pd.Timestamp(o.end) if o.end else last for o in many)
    frame = frame[(frame["__t"] >= start) & (frame["__t"] < end)]
    frame = frame.sort_values("__t", kind="stable")
    if frame.empty:
        raise DeployError("No request of the stream falls between the start and end chosen.")
    width = pd.Timedelta(settings.window)
    n_windows = math.ceil((end - start) / width)
    if n_windows > 5000:
        raise DeployError(f"{n_windows} windows is too many; choose a longer window.")
    edges = pd.DatetimeIndex([start + k * width for k in range(n_windows + 1)])
    bounds = np.searchsorted(frame["__t"].to_numpy(), edges.to_numpy(), side="left")
    bounds[-1] = len(frame)

    if progress:
        progress(0.1, f"Scoring {len(frame):,} requests with {incumbent.name}")
    inc_p, inc_ms = _timed_scores(incumbent, frame, bounds, settings.inference_ms)
    if progress:
        progress(0.5, f"Scoring {len(frame):,} requests with {candidate.name}")
    cand_p, cand_ms = _timed_scores(candidate, frame, bounds, settings.inference_ms)

    def col(name: str | None) -> pd.Series | None:
        return frame[name] if name and name in frame.columns else None

    label = col(settings.label_column)
    if label is None:
        what = (f"no label column {settings.label_column!r}" if settings.label_column
                else "no label column set")
        warnings.append(
            f"The stream has {what}: guardrails that need labels are not judged; "
            "the others decide."
        )
        y = np.full(len(frame), np.nan)
    else:
        y = np.where(
            label.isna(),
            np.nan,
            (_as_label(label) == settings.positive_class).astype(float),
        )
        if np.isnan(y).all():
            warnings.append(
                "No label has arrived in this stream: guardrails that need labels are "
                "skipped; the others decide."
            )
    human = col(settings.human_column)
    hum = (
        np.full(len(frame), np.nan)
        if human is None
        else np.where(
            human.isna(),
            np.nan,
            (_as_label(human) == settings.positive_class).astype(float),
        )
    )
    lat = col(settings.latency_column)
    status = col(settings.status_column)
    keys = col(settings.key_column)
    if keys is None:
        warnings.append("No request id column: canary routing hashes the row position.")
        keys = pd.Series(np.arange(len(frame)).astype(str))
    out = pd.DataFrame(
        {
            "t": frame["__t"].to_numpy(),
            "key": keys.astype(str).to_numpy(),
            "y": y,
            "human": hum,
            "stream_latency": (
                pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
                if lat is not None
                else np.full(len(frame), np.nan)
            ),
            "infra_failed": (
                pd.to_numeric(status, errors="coerce").fillna(200).to_numpy() >= 500
                if status is not None
                else np.zeros(len(frame), bool)
            ),
        }
    )
    return ScoredStream(
        out,
        inc_p,
        cand_p,
        inc_ms,
        cand_ms,
        incumbent.name,
        candidate.name,
        incumbent.is_model,
        getattr(incumbent, "threshold", None),
        getattr(candidate, "threshold", None),
        warnings,
    )


# ------------------------------------------------------------------- simulation
@dataclass(frozen=True)
class RolloutResult:
    """One replayed rollout: per-window timeline, guardrail checks, events and the verdict."""

    settings: RolloutSettings
    incumbent: str
    candidate: str
    timeline: pd.DataFrame
    checks: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any]
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.timeline


def simulate_rollout(scored: ScoredStream, settings: RolloutSettings) -> RolloutResult:
    """Replay one pattern over a scored stream; see the module docstring for the rules."""
    errors = validate_settings(settings)
    if errors:
        raise DeployError(" ".join(errors))
    s = settings
    t_all = scored.frame["t"]
    start = pd.Timestamp(s.start) if s.start else t_all.min().floor("D")
    end = pd.Timestamp(s.end) if s.end else t_all.max() + pd.Timedelta(seconds=1)
    sel = ((t_all >= start) & (t_all < end)).to_numpy()
    if not sel.any():
        raise DeployError("No request of the stream falls between the start and end chosen.")
    f = scored.frame.loc[sel].reset_index(drop=True)
    n = len(f)
    width = pd.Timedelta(s.window)
    n_windows = math.ceil((end - start) / width)
    if n_windows > 5000:
        raise DeployError(f"{n_windows} windows is too many; choose a longer window.")
    edges = pd.DatetimeIndex([start + k * width for k in range(n_windows + 1)])
    win = np.minimum(((f["t"] - start) // width).to_numpy().astype(np.int64), n_windows - 1)
    cand_p, inc_p = scored.candidate_p[sel], scored.incumbent_p[sel]
    cand_ms, inc_ms = scored.candidate_ms[sel], scored.incumbent_ms[sel]
    warnings = list(scored.warnings)
    rails = list(s.guardrails)
    if not rails:
        warnings.append("No guardrail was set: nothing can trigger a rollback.")
    if np.isnan(f["y"].to_numpy()).all() and any(g.needs_labels for g in rails):
        names = ", ".join(g.label for g in rails if g.needs_labels)
        warnings.append(f"Skipped for want of labels: {names}.")

    rng = np.random.default_rng(s.seed)
    cand_jitter = rng.exponential(s.jitter_ms, n) if s.jitter_ms > 0 else np.zeros(n)
    inc_jitter = rng.exponential(s.jitter_ms, n) if s.jitter_ms > 0 else np.zeros(n)
    buckets = route_buckets(f["key"], salt=f"{s.seed}:")
    t = f["t"].to_numpy()
    y = f["y"].to_numpy()
    cand_thr = s.threshold if s.threshold is not None else (scored.candidate_threshold or 0.5)
    inc_thr = scored.incumbent_threshold if scored.incumbent_threshold is not None else 0.5
    cand_dec = np.where(np.isnan(cand_p), np.nan, (cand_p >= cand_thr).astype(float))
    inc_dec = np.where(np.isnan(inc_p), np.nan, (inc_p >= inc_thr).astype(float))
    human = f["human"].to_numpy()
    conf = np.maximum(cand_p, 1 - cand_p)
    low_conf = (conf < s.min_confidence) if s.min_confidence > 0 else np.zeros(n, bool)
    fallback_dec = np.where(np.isnan(human), inc_dec, human)
    cand_served_dec = np.where(low_conf, fallback_dec, cand_dec)
    cand_lat = cand_ms + s.overhead_ms + cand_jitter
    inc_lat = (
        inc_ms + s.overhead_ms + inc_jitter
        if scored.incumbent_is_model
        else f["stream_latency"].to_numpy()
    )
    infra = f["infra_failed"].to_numpy()
    cand_failed = infra | (cand_lat > s.timeout_ms)
    inc_failed = infra | (np.nan_to_num(inc_lat, nan=0.0) > s.timeout_ms)
    agree = cand_dec == inc_dec
    bounds = np.searchsorted(win, np.arange(n_windows + 1), side="left")
    delay_k = math.ceil(pd.Timedelta(days=s.label_delay_days) / width) if s.label_delay_days else 0

    schedule = list(s.schedule) if s.pattern == "canary" else [100.0]
    switch_at = pd.Timestamp(s.switch_at or edges[0]).to_datetime64()
    step, healthy, rolled_back, live_until = 0, 0, False, None
    routed_all = np.zeros(n, bool)
    events: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    arm_masks: list[np.ndarray] = []
    full_at = None

    def event(at, w, kind, share_from, share_to, reason):
        events.append(
            {
                "at": pd.Timestamp(at),
                "window_idx": w,
                "kind": kind,
                "share_from": share_from,
                "share_to": share_to,
                "reason": reason,
            }
        )

    if s.pattern == "canary":
        event(
            edges[0],
            0,
            "start",
            0.0,
            schedule[0],
            f"Canary starts at {schedule[0]:g}% of traffic",
        )
    elif s.pattern == "shadow":
        event(
            edges[0],
            0,
            "start",
            0.0,
            0.0,
            "Shadow starts: the candidate decides on 100%, serves 0%",
        )
    for w in range(n_windows):
        a, b = bounds[w], bounds[w + 1]
        w_start, w_end = edges[w], edges[w + 1]
        sl = slice(a, b)
        if s.pattern == "shadow":
            share = 0.0
            routed = np.zeros(b - a, bool)
            arm = np.ones(b - a, bool)
        elif s.pattern == "canary":
            share = 0.0 if rolled_back else schedule[step]
            routed = buckets[sl] < share / 100 * N_BUCKETS
            arm = routed
        else:
            share = 0.0 if rolled_back else 100.0
            after = t[sl] >= switch_at
            routed = after & (not rolled_back)
            if live_until is not None:
                routed &= t[sl] < live_until
            arm = routed
            if (
                not rolled_back
                and switch_at < w_end.to_datetime64()
                and not any(e["kind"] == "switch" for e in events)
            ):
                event(
                    max(pd.Timestamp(switch_at), w_start),
                    w,
                    "switch",
                    0.0,
                    100.0,
                    "Blue-green switch: green takes 100%, blue stays warm",
                )
            share = 100.0 * routed.mean() if len(routed) else share
        routed_all[sl] = routed
        arm_masks.append(arm)
        idx = np.arange(a, b)
        ai = idx[arm]
        served_dec = np.where(routed, cand_served_dec[sl], inc_dec[sl])
        yk = y[sl]
        lab = np.isfinite(yk)
        wrong = lab & (served_dec != yk)
        cand_served = routed & ~low_conf[sl]
        inc_wrong_cf = lab & routed & (inc_dec[sl] != yk)  # what the incumbent would have got wrong
        rec = {
            "window_idx": w,
            "window_start": w_start,
            "window_end": w_end,
            "step": (0 if (rolled_back or s.pattern != "canary") else step + 1),
            "share_target": share
            if s.pattern != "blue_green"
            else (0.0 if rolled_back or w_end.to_datetime64() <= switch_at else 100.0),
            "n_requests": int(b - a),
            "n_routed": int(routed.sum()),
            "n_cand_served": int(cand_served.sum()),
            "n_fallback": int((routed & low_conf[sl]).sum()),
            "n_incumbent": int((~routed).sum()),
            "share_served": float(routed.mean()) if b > a else 0.0,
            "agreement": float(agree[sl].mean()) if b > a else float("nan"),
            "n_labeled": int(lab.sum()),
            "wrong_cand": int((wrong & routed).sum()),
            "wrong_inc": int((wrong & ~routed).sum()),
            "wrong_cand_counterfactual": int(inc_wrong_cf.sum()),
            "failed_cand": int((routed & cand_failed[sl]).sum()),
            "failed_inc": int((~routed & inc_failed[sl]).sum()),
            "cand_p95_ms": float(np.percentile(cand_lat[ai], 95)) if len(ai) else float("nan"),
            "inc_p95_ms": (
                float(np.nanpercentile(inc_lat[sl][~routed], 95))
                if (~routed).any() and np.isfinite(inc_lat[sl][~routed]).any()
                else float("nan")
            ),
            "infer_ms": float(np.nanmean(cand_ms[sl])) if b > a else float("nan"),
        }
        # guardrails on the arm (for label metrics: the window whose labels have arrived)
        breached: list[str] = []
        judged = 0
        lw = w - delay_k

        def judge_candidate(metric: str, rows: np.ndarray) -> tuple[float, float, int]:
            return judge(metric, y=y[rows], decision=cand_served_dec[rows], score=cand_p[rows],
                         agree=agree[rows], fallback=low_conf[rows], latency=cand_lat[rows],
                         failed=cand_failed[rows], confidence=s.confidence)

        def judge_incumbent(metric: str, rows: np.ndarray) -> float:
            return judge(metric, y=y[rows], decision=inc_dec[rows], score=inc_p[rows],
                         agree=agree[rows], fallback=np.zeros(len(rows), bool),
                         latency=inc_lat[rows], failed=inc_failed[rows],
                         confidence=s.confidence)[0]
        for g in rails:
            if g.needs_labels:
                if lw < 0:
                    value, bound, m, status = float("nan"), float("nan"), 0, "no labels"
                    inc_value = float("nan")
                else:
                    la, lb = bounds[lw], bounds[lw + 1]
                    li = np.arange(la, lb)[arm_masks[lw]]
                    ii = (
                        np.arange(la, lb)[~arm_masks[lw]]
                        if s.pattern != "shadow"
                        else np.arange(la, lb)
                    )
                    value, bound, m = judge_candidate(g.metric, li)
                    inc_value = judge_incumbent(g.metric, ii)
                    status = "no labels" if np.isfinite(y[li]).sum() == 0 else None
            else:
                value, bound, m = judge_candidate(g.metric, ai)
                ii = idx[~arm] if s.pattern != "shadow" else idx
                inc_value = judge_incumbent(g.metric, ii)
                status = None
            if status is None:
                if not np.isfinite(bound):
                    status = "too few"
                else:
                    bad = bound < g.threshold if g.higher_is_better else bound > g.threshold
                    status = "breach" if bad else "pass"
            if status == "breach":
                breached.append(f"{g.label}: {value:.3g} (bound {bound:.3g}, n={m})")
            judged += status in ("pass", "breach")
            point_bad = np.isfinite(value) and (
                value < g.threshold if g.higher_is_better else value > g.threshold
            )
            checks.append(
                {
                    "window_idx": w,
                    "guardrail": g.label,
                    "metric": g.metric,
                    "threshold": g.threshold,
                    "value": value,
                    "bound": bound,
                    "n": m,
                    "status": status,
                    "point_bad": bool(point_bad),
                    "share": rec["share_target"],
                    "step": rec["step"],
                    "incumbent_value": inc_value,
                }
            )
        rec["breached"] = "; ".join(breached)
        rows.append(rec)
        # decisions at the window's end
        if s.pattern == "shadow":
            if breached:
                event(
                    w_end,
                    w,
                    "breach",
                    0.0,
                    0.0,
                    "Would have breached: " + "; ".join(breached),
                )
            continue
        if rolled_back:
            continue
        live = rec["n_routed"] > 0
        if breached and live:
            rolled_back = True
            event(
                w_end,
                w,
                "rollback",
                rec["share_target"],
                0.0,
                "Rolled back: " + "; ".join(breached),
            )
            live_until = (w_end + pd.Timedelta(seconds=s.rollback_seconds)).to_datetime64()
            continue
        if s.pattern == "canary":
            healthy = healthy + 1 if (judged > 0 and not breached) else healthy
            if healthy >= s.healthy_windows and step < len(schedule) - 1:
                event(
                    w_end,
                    w,
                    "promote",
                    schedule[step],
                    schedule[step + 1],
                    f"{healthy} healthy window(s) at {schedule[step]:g}%: promoted to {schedule[step + 1]:g}%",
                )
                step += 1
                healthy = 0
                if schedule[step] >= 100 and full_at is None:
                    full_at = w_end
            elif healthy >= s.healthy_windows and step == len(schedule) - 1 and full_at is None:
                full_at = w_end
                event(
                    w_end,
                    w,
                    "full_rollout",
                    schedule[step],
                    schedule[step],
                    f"{schedule[step]:g}% held for {healthy} healthy window(s)",
                )
        elif s.pattern == "blue_green" and live and full_at is None:
            full_at = max(pd.Timestamp(switch_at), w_start)
    timeline = pd.DataFrame(rows)
    checks_df = pd.DataFrame(
        checks,
        columns=[
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
        ],
    )
    events_df = pd.DataFrame(
        events, columns=["at", "window_idx", "kind", "share_from", "share_to", "reason"]
    )
    pooled = {}
    if s.pattern == "shadow":  # a shadow is judged on all it saw, not window by window
        for g in rails:
            value, bound, m = judge(
                g.metric,
                y=y,
                decision=cand_served_dec,
                score=cand_p,
                agree=agree,
                fallback=low_conf,
                latency=cand_lat,
                failed=cand_failed,
                confidence=s.confidence,
            )
            ok = (
                None
                if not np.isfinite(bound)
                else not (bound < g.threshold if g.higher_is_better else bound > g.threshold)
            )
            pooled[g.label] = {"value": value, "bound": bound, "n": m, "holds": ok}
    summary = _summarise(
        s,
        cand_thr,
        edges,
        f["t"],
        timeline,
        checks_df,
        events_df,
        routed_all,
        y,
        cand_served_dec,
        inc_dec,
        cand_failed,
        full_at,
        warnings,
    )
    if pooled:
        summary["pooled"] = pooled
        summary["decision"], summary["reasons"] = _shadow_verdict(pooled, checks_df)
    return RolloutResult(
        s,
        scored.incumbent,
        scored.candidate,
        timeline,
        checks_df,
        events_df,
        summary,
        tuple(warnings),
    )


def _hours(a, b) -> float | None:
    if a is None or b is None:
        return None
    return round((pd.Timestamp(b) - pd.Timestamp(a)) / pd.Timedelta(hours=1), 2)


def _summarise(
    s,
    cand_thr,
    edges,
    times,
    timeline,
    checks,
    events,
    routed,
    y,
    cand_dec,
    inc_dec,
    cand_failed,
    full_at,
    warnings,
) -> dict[str, Any]:
    lab = np.isfinite(y)
    served_wrong = lab & routed & (cand_dec != y)
    cf_wrong = lab & routed & (inc_dec != y)
    rollback = events[events["kind"] == "rollback"]
    out: dict[str, Any] = {
        "pattern": s.pattern,
        "candidate_threshold": cand_thr,
        "requests": len(y),
        "windows": len(timeline),
        "start": str(edges[0]),
        "end": str(edges[-1]),
        "served_by_candidate": int(routed.sum()),
        "wrong_served_by_candidate": int(served_wrong.sum()),
        "excess_wrong": int(served_wrong.sum() - cf_wrong.sum()),
        "failed_served_by_candidate": int((routed & cand_failed).sum()),
        "errors_exposed": int(served_wrong.sum() + (routed & cand_failed).sum()),
        "rollbacks": len(rollback),
        "final_share": float(timeline["share_target"].iloc[-1]) if len(timeline) else 0.0,
        "agreement": float(np.mean(cand_dec[np.isfinite(inc_dec)] == inc_dec[np.isfinite(inc_dec)]))
        if np.isfinite(inc_dec).any()
        else None,
        "time_to_full_rollout_days": (
            round(_hours(edges[0], full_at) / 24, 2) if full_at is not None else None
        ),
        "time_to_detect_hours": None,
        "time_to_rollback_hours": None,
        "bad_side_requests": None,
        "bad_side_wrong": None,
    }
    if s.pattern == "shadow":
        labelled = lab
        out["candidate_accuracy"] = (
            float(np.mean(cand_dec[labelled] == y[labelled])) if labelled.any() else None
        )
        out["incumbent_accuracy"] = (
            float(np.mean(inc_dec[labelled] == y[labelled])) if labelled.any() else None
        )
    if len(rollback):
        rb = rollback.iloc[0]
        w = int(rb["window_idx"])
        # onset: the start of the unbroken run of windows, ending at detection, in which a
        # breached guardrail's point estimate was already on the wrong side of its threshold
        breached_rails = checks[(checks["window_idx"] == w) & (checks["status"] == "breach")][
            "guardrail"
        ]
        onset_w = w
        for g in breached_rails:
            c = checks[checks["guardrail"] == g].set_index("window_idx")["point_bad"]
            k = w
            while k - 1 in c.index and bool(c.loc[k - 1]) and timeline.loc[k - 1, "n_routed"] > 0:
                k -= 1
            onset_w = min(onset_w, k)
        onset = timeline.loc[onset_w, "window_start"]
        if s.pattern == "blue_green" and s.switch_at is not None:
            onset = max(pd.Timestamp(onset), pd.Timestamp(s.switch_at))
        detected = pd.Timestamp(rb["at"])
        back = detected + pd.Timedelta(seconds=s.rollback_seconds)
        t = times
        meanwhile = routed & (t >= onset).to_numpy() & (t < back).to_numpy()
        out.update(
            onset=str(onset),
            detected_at=str(detected),
            rolled_back_at=str(back),
            time_to_detect_hours=_hours(onset, detected),
            time_to_rollback_hours=round(s.rollback_seconds / 3600, 4),
            bad_side_requests=int(meanwhile.sum()),
            bad_side_wrong=int((meanwhile & served_wrong).sum()),
            rollback_share=float(rb["share_from"]),
            rollback_reason=str(rb["reason"]),
        )
    decision, reasons = _verdict(s, out, checks, events)
    out["decision"] = decision
    out["reasons"] = reasons
    out["warnings"] = list(warnings)
    return out


def _shadow_verdict(
    pooled: dict[str, dict[str, Any]], checks: pd.DataFrame
) -> tuple[str, list[str]]:
    reasons, ok = [], True
    for g, r in pooled.items():
        if r["holds"] is None:
            reasons.append(f"{g}: not judged (no labels or too few requests).")
            continue
        ok &= bool(r["holds"])
        verb = "holds" if r["holds"] else "fails"
        reasons.append(
            f"{g}: {verb} over the whole shadow ({r['value']:.3g}, bound {r['bound']:.3g}, "
            f"n={r['n']})."
        )
    breaches = checks[checks["status"] == "breach"]
    for g, grp in breaches.groupby("guardrail", sort=False):
        reasons.append(
            f"{g}: breached in {len(grp)} single window(s) (from window {grp['window_idx'].min() + 1})."
        )
    judged = [r for r in pooled.values() if r["holds"] is not None]
    if ok and judged:
        return "go", [
            "Every guardrail holds over the shadow period: ready for a canary.",
            *reasons,
        ]
    return "no-go", (
        ["No guardrail could be judged."]
        if not judged
        else ["A guardrail fails over the shadow period: not ready for traffic."]
    ) + reasons


def _verdict(s, out, checks, events) -> tuple[str, list[str]]:
    reasons: list[str] = []
    judged = checks[checks["status"].isin(["pass", "breach"])]
    skipped = sorted(set(checks["guardrail"]) - set(judged["guardrail"]))
    for g in skipped:
        reasons.append(f"{g}: never judged (no labels or too few requests in every window).")
    if s.pattern == "shadow":
        breaches = judged[judged["status"] == "breach"]
        for g, grp in breaches.groupby("guardrail", sort=False):
            reasons.append(
                f"{g}: would have breached in {len(grp)} of {len(judged[judged['guardrail'] == g])} "
                f"windows judged (first from {grp['window_idx'].min() + 1})."
            )
        if breaches.empty and not judged.empty:
            reasons.insert(0, "Every guardrail held in every window judged: ready for a canary.")
            return "go", reasons
        if judged.empty:
            reasons.insert(0, "No guardrail could be judged.")
        return "no-go", reasons
    if out["rollbacks"]:
        reasons.insert(
            0,
            f"{out.get('rollback_reason', 'Rolled back')} at {out['rollback_share']:g}% "
            f"of traffic (window ending {out['detected_at']}).",
        )
        reasons.append(
            f"{out['bad_side_requests']} requests were served by the bad side between "
            f"the onset and the rollback; {out['bad_side_wrong']} of them were wrong."
        )
        return "no-go", reasons
    if out["time_to_full_rollout_days"] is None:
        last = out["final_share"]
        reasons.insert(
            0,
            f"The rollout did not reach its last step in the replay (it ended at {last:g}%).",
        )
        return "no-go", reasons
    if s.pattern == "canary" and s.schedule and s.schedule[-1] < 100:
        reasons.append(
            f"The schedule stops at {s.schedule[-1]:g}%: the rest stays with the incumbent."
        )
    reasons.insert(
        0,
        f"Full rollout after {out['time_to_full_rollout_days']:g} days with every "
        "guardrail holding; no rollback.",
    )
    return "go", reasons


# ----------------------------------------------------------------- comparison
def compare_patterns(results: Sequence[RolloutResult | dict[str, Any]]) -> pd.DataFrame:
    """One row per simulation: errors exposed, time to full rollout, rollbacks, exposure."""
    rows = []
    for r in results:
        summ = r.summary if isinstance(r, RolloutResult) else r
        rows.append(
            {
                "pattern": str(summ.get("pattern", "")).replace("_", "-"),
                "decision": summ.get("decision"),
                "served by candidate": summ.get("served_by_candidate"),
                "errors exposed": summ.get("errors_exposed"),
                "extra wrong vs incumbent": summ.get("excess_wrong"),
                "rollbacks": summ.get("rollbacks"),
                "days to full rollout": summ.get("time_to_full_rollout_days"),
                "hours to detect": summ.get("time_to_detect_hours"),
                "bad-side requests": summ.get("bad_side_requests"),
            }
        )
    return pd.DataFrame(rows)


def guardrail_steps(checks: pd.DataFrame) -> pd.DataFrame:
    """Per guardrail and traffic share: windows judged, passed, breached, worst value."""
    if checks.empty:
        return pd.DataFrame(
            columns=[
                "guardrail",
                "share %",
                "windows",
                "judged",
                "passed",
                "breached",
                "worst",
            ]
        )
    c = checks.copy()
    c["judged"] = c["status"].isin(["pass", "breach"])
    c["passed"] = c["status"] == "pass"
    c["breached"] = c["status"] == "breach"
    rows = []
    for (g, share), grp in c.groupby(["guardrail", "share"], sort=False):
        higher = GUARDRAIL_METRICS[grp["metric"].iloc[0]][1]
        vals = grp.loc[grp["judged"], "value"]
        rows.append(
            {
                "guardrail": g,
                "share %": share,
                "windows": len(grp),
                "judged": int(grp["judged"].sum()),
                "passed": int(grp["passed"].sum()),
                "breached": int(grp["breached"].sum()),
                "worst": (vals.min() if higher else vals.max()) if len(vals) else None,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- store glue
def make_decider(
    store: Database,
    spec: str | int,
    human_column: str | None,
    positive_class: str = "1",
) -> Decider:
    """``"human"`` (the recorded decision column) or a model version id."""
    if spec == "human":
        if not human_column:
            raise DeployError(
                "Comparing with the current process needs the column holding its decisions: "
                "pick it under 'Stream columns' (the project's incumbent decision column)."
            )
        return HumanDecider(human_column, positive_class)
    return ModelDecider.from_version(store, int(spec))


def stream_columns(store: Database, dataset_id: int) -> list[str]:
    """The columns of a stored stream, in table order (for picking its roles)."""
    return [c for c, _ in datasets_db.dataset_schema(store, dataset_id)]


def with_column_roles(s: RolloutSettings, roles: ColumnRoles) -> RolloutSettings:
    """Settings whose unset stream columns come from the project's column roles."""
    return replace(
        s,
        time_column=s.time_column or roles.time,
        key_column=s.key_column or roles.id,
        label_column=s.label_column or roles.target,
        human_column=s.human_column or roles.incumbent,
        latency_column=s.latency_column or roles.latency,
        status_column=s.status_column or roles.status,
    )


def run_simulation(
    store: Database,
    project_id: int,
    *,
    dataset_id: int,
    incumbent: str | int,
    candidate: int,
    settings: RolloutSettings | Sequence[RolloutSettings],
    actor: str,
    name: str = "",
    progress: Callable[[float, str], None] | None = None,
) -> list[int]:
    """Load the stream, score it once, replay each pattern in ``settings`` and store each.

    Returns the stored simulation ids (one per settings). Nothing is stored on failure.
    """
    many = [settings] if isinstance(settings, RolloutSettings) else list(settings)
    if not many:
        raise DeployError("Choose at least one pattern to replay.")
    ds = datasets_db.get_dataset(store, dataset_id)
    if ds is None or ds.project_id != project_id:
        raise DeployError("That stream is not a dataset of this project (any more).")
    roles = column_roles(store, project_id)
    many = [with_column_roles(s, roles) for s in many]
    inc = make_decider(store, incumbent, many[0].human_column, many[0].positive_class)
    cand = make_decider(store, candidate, many[0].human_column, many[0].positive_class)
    cand_pc = getattr(cand, "positive_class", None)
    if cand_pc and cand_pc != many[0].positive_class:
        many = [replace(s, positive_class=cand_pc) for s in many]
    columns = [c for c, _ in datasets_db.dataset_schema(store, dataset_id)]
    errors = check_stream(columns, [inc, cand], many[0])
    if errors:
        raise DeployError(" ".join(errors))
    for s in many:
        errs = validate_settings(s)
        if errs:
            raise DeployError(" ".join(errs))
    s0 = many[0]
    wanted = {
        c
        for c in (s0.time_column, s0.key_column, s0.label_column, s0.human_column,
                  s0.latency_column, s0.status_column)
        if c
    } | {*inc.features, *cand.features}
    frame = datasets_db.dataset_frame(store, dataset_id, columns=[c for c in columns if c in wanted])
    ids: list[int] = []
    started = time.perf_counter()
    scored = prepare_stream(frame, inc, cand, many, progress)  # once for every pattern
    for i, s in enumerate(many):
        if progress:
            progress(
                0.8 + 0.15 * i / len(many),
                f"Replaying the {s.pattern.replace('_', '-')} rollout",
            )
        result = simulate_rollout(scored, s)
        label = name or f"{s.pattern.replace('_', '-')}: {cand.name} vs {inc.name}"
        if len(many) > 1 and name:
            label = f"{name} · {s.pattern.replace('_', '-')}"
        result.summary["duration_s"] = round(time.perf_counter() - started, 3)
        ids.append(
            save_simulation(
                store,
                project_id,
                result,
                actor,
                name=label,
                dataset_id=dataset_id,
                dataset_hash=ds.content_hash,
                incumbent=str(incumbent),
                candidate=int(candidate),
            )
        )
    return ids


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}


def save_simulation(
    store: Database,
    project_id: int,
    result: RolloutResult,
    actor: str,
    *,
    name: str,
    dataset_id: int,
    dataset_hash: str,
    incumbent: str,
    candidate: int,
) -> int:
    return deploy_db.insert_deploy_simulation(
        store, project_id,
        actor,
        name=name,
        pattern=result.settings.pattern,
        dataset_id=dataset_id,
        dataset_hash=dataset_hash,
        incumbent={"spec": incumbent, "name": result.incumbent},
        candidate={"version_id": candidate, "name": result.candidate},
        settings=_jsonable(result.settings.to_dict()),
        summary=result.summary,
        decision=result.summary["decision"],
        timeline=result.timeline,
        checks=result.checks,
        events=result.events,
    )


@dataclass(frozen=True)
class StoredSimulation:
    id: int
    name: str
    pattern: str
    decision: str
    incumbent: dict[str, Any]
    candidate: dict[str, Any]
    settings: RolloutSettings
    summary: dict[str, Any]
    dataset_id: int
    created_at: datetime
    created_by: str
    timeline: pd.DataFrame
    checks: pd.DataFrame
    events: pd.DataFrame


def load_simulation(store: Database, simulation_id: int) -> StoredSimulation:
    row = deploy_db.get_deploy_simulation(store, simulation_id)
    if row is None:
        raise DeployError("That simulation does not exist (any more).")
    return StoredSimulation(
        id=row["id"],
        name=row["name"],
        pattern=row["pattern"],
        decision=row["decision"],
        incumbent=row["incumbent"],
        candidate=row["candidate"],
        settings=RolloutSettings.from_dict(row["settings"]),
        summary=row["summary"],
        dataset_id=row["dataset_id"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        timeline=deploy_db.deploy_timeline(store, simulation_id),
        checks=deploy_db.deploy_checks(store, simulation_id),
        events=deploy_db.deploy_events(store, simulation_id),
    )


def simulations_frame(store: Database, project_id: int) -> pd.DataFrame:
    """Stored simulations as a display table, newest first."""
    rows = []
    for r in deploy_db.list_deploy_simulations(store, project_id):
        summ = r["summary"]
        rows.append(
            {
                "id": r["id"],
                "name": r["name"],
                "pattern": r["pattern"],
                "decision": r["decision"],
                "candidate": r["candidate"].get("name"),
                "incumbent": r["incumbent"].get("name"),
                "rollbacks": summ.get("rollbacks"),
                "errors exposed": summ.get("errors_exposed"),
                "created": r["created_at"],
                "by": r["created_by"],
                "dataset_id": r["dataset_id"],
            }
        )
    return pd.DataFrame(rows)


def deploy_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """(status, evidence, next action) of the lifecycle's Deploy step."""
    sims = deploy_db.list_deploy_simulations(store, project_id)
    if not sims:
        return (
            "not started",
            "No rollout has been simulated.",
            "Rehearse a shadow or canary rollout.",
        )
    go = [r for r in sims if r["decision"] == "go" and r["pattern"] != "shadow"]
    if go:
        r = go[0]
        return (
            "done",
            f"{len(sims)} rollout(s) rehearsed; '{r['name']}' is a go.",
            "Monitor the model in production.",
        )
    r = sims[0]
    return (
        "in progress",
        (f"{len(sims)} rollout(s) rehearsed, none a go; latest: {r['pattern']} {r['decision']}."),
        "Fix the breached guardrail or try another candidate.",
    )




# ----------------------------------------------------------------- page helpers
def guardrails_frame(guardrails: Sequence[Guardrail]) -> pd.DataFrame:
    """Guardrails as an editable table (metric, threshold, source)."""
    return pd.DataFrame(
        [{"metric": g.metric, "threshold": g.threshold, "source": g.source} for g in guardrails],
        columns=["metric", "threshold", "source"],
    )


def guardrails_from_frame(frame: pd.DataFrame) -> tuple[Guardrail, ...]:
    """Read the edited table back; empty rows are dropped, bad ones named."""
    out, bad = [], []
    for _, r in frame.iterrows():
        metric = r.get("metric")
        if (
            metric is None
            or (isinstance(metric, float) and math.isnan(metric))
            or str(metric).strip() == ""
        ):
            continue
        try:
            thr = float(r.get("threshold"))
        except (TypeError, ValueError):
            thr = float("nan")
        if str(metric) not in GUARDRAIL_METRICS or not math.isfinite(thr):
            bad.append(str(metric))
            continue
        out.append(Guardrail(str(metric), thr, str(r.get("source") or "page")))
    if bad:
        raise DeployError(f"Guardrail rows need a known metric and a number: fix {', '.join(bad)}.")
    return tuple(out)


def comparison_frame(store: Database, project_id: int, dataset_id: int | None = None) -> pd.DataFrame:
    """Stored simulations (of one stream, when given) side by side, oldest first."""
    sims = [
        r
        for r in deploy_db.list_deploy_simulations(store, project_id)
        if dataset_id is None or r["dataset_id"] == dataset_id
    ]
    sims = sims[::-1]
    df = compare_patterns([r["summary"] for r in sims])
    if len(df):
        df.insert(0, "name", [f"#{r['id']} {r['name']}" for r in sims])
    return df
