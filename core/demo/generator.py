"""The demo project's data: claims triage at a home insurer, generated deterministically.

The story
---------
Adjusters at Northwind Insurance decide by hand whether each home-insurance claim is paid
at once or sent to investigation (``adjuster_decision``); an audit later tells which claims
truly needed review (``needs_review``). Eight months of claims (2025-01 to 2025-08) train a
model, three senior reviewers relabel 1,500 of them, and six months of production traffic
follow (2025-09 to 2026-02) in which claims grow dearer, the app channel takes over, a new
``Coastal`` region appears and, from 2026-01-15, a fraud ring files quickly reported claims,
so the relation between ``days_to_report`` and the target flips.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same seed
gives identical frames. The constants below are the facts the tests assert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

TRAIN_START = datetime(2025, 1, 1)
PROD_START = datetime(2025, 9, 1)
PROD_END = datetime(2026, 3, 1)
NEW_REGION = "Coastal"
NEW_REGION_FROM = datetime(2025, 11, 1)
CONCEPT_DRIFT_DATE = datetime(2026, 1, 15)
LABEL_DELAY_DAYS = 21  # audit outcomes of the last three weeks have not arrived yet
RARE_CLAIM_TYPE = "liability"
ANNOTATORS = ("ana", "ben", "chen")
N_ANNOTATED = 1500
# Log-amount drift over the production period, in units of the training log-amount std.
AMOUNT_DRIFT_STD = 0.4
LOG_AMOUNT_SIGMA = 0.8
TARGET = "needs_review"
HUMAN_DECISION = "adjuster_decision"
# the project's column roles (core.projects.ROLES): every stage reads them, none names them
COLUMN_ROLES = {
    "time": "submitted_at",
    "id": "request_id",
    "target": TARGET,
    "incumbent": HUMAN_DECISION,
    "latency": "latency_ms",
    "status": "http_status",
}

NUMERIC_FEATURES = [
    "claim_amount",
    "policy_age_days",
    "customer_age",
    "prior_claims",
    "days_to_report",
    "num_documents",
    "property_value",
    "hour_submitted",
]
CATEGORICAL_FEATURES = ["region", "claim_type", "channel", "police_report"]
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES

_REGIONS = ["North", "South", "East", "West", "Central"]
_REGION_P = [0.25, 0.25, 0.2, 0.2, 0.1]
_TYPES = ["water", "storm", "theft", "fire", "glass", RARE_CLAIM_TYPE]
_TYPE_P = [0.30, 0.20, 0.18, 0.10, 0.205, 0.015]
_TYPE_AMOUNT = {"water": 0.2, "storm": 0.4, "theft": 0.0, "fire": 1.0, "glass": -1.2, RARE_CLAIM_TYPE: 0.8}
_TYPE_RISK = {"water": 0.0, "storm": -0.3, "theft": 0.7, "fire": 0.3, "glass": -0.9, RARE_CLAIM_TYPE: 1.0}
_CHANNELS = ["agent", "phone", "web", "app"]
_CHANNEL_RISK = {"agent": -0.3, "phone": 0.0, "web": 0.35, "app": 0.2}
_REGION_RISK = {"North": 0.0, "South": 0.15, "East": -0.1, "West": 0.05, "Central": -0.15, NEW_REGION: 0.5}


@dataclass(frozen=True)
class DemoData:
    train: pd.DataFrame
    production: pd.DataFrame
    annotations: pd.DataFrame


def _timestamps(rng: np.random.Generator, n: int, start: datetime, end: datetime) -> pd.Series:
    span = (end - start).total_seconds()
    secs = np.sort(rng.uniform(0, span, n))
    return pd.Series(pd.Timestamp(start) + pd.to_timedelta(np.round(secs), unit="s"))


def _draw(rng: np.random.Generator, ts: pd.Series, production: bool) -> pd.DataFrame:
    """Features and target for claims submitted at ``ts`` (drift applies in production)."""
    n = len(ts)
    # progress through the production period, 0 in training: drives the gradual drift
    t = ((ts - pd.Timestamp(PROD_START)) / (pd.Timestamp(PROD_END) - pd.Timestamp(PROD_START))).to_numpy()
    t = np.clip(t, 0, 1) if production else np.zeros(n)

    region = rng.choice(_REGIONS, size=n, p=_REGION_P).astype(object)
    if production:
        coastal_share = np.where(ts >= pd.Timestamp(NEW_REGION_FROM), 0.04 + 0.10 * t, 0.0)
        region[rng.uniform(size=n) < coastal_share] = NEW_REGION
    claim_type = rng.choice(_TYPES, size=n, p=_TYPE_P)
    # the app channel grows from 10% to 40% of traffic over production
    app_share = 0.10 + 0.30 * t
    other = rng.choice(_CHANNELS[:3], size=n, p=[0.39, 0.33, 0.28])
    channel = np.where(rng.uniform(size=n) < app_share, "app", other)

    type_amount = np.array([_TYPE_AMOUNT[c] for c in claim_type])
    log_amount = np.log(3000) + type_amount + rng.normal(0, LOG_AMOUNT_SIGMA, n)
    log_amount += AMOUNT_DRIFT_STD * LOG_AMOUNT_SIGMA * t  # claims grow dearer
    claim_amount = np.round(np.exp(log_amount), 2)
    policy_age_days = np.minimum(rng.exponential(900, n), 9000).round().astype(int)
    customer_age = np.clip(rng.normal(46, 13, n), 18, 92).round()
    prior_claims = rng.poisson(0.6, n)
    days_to_report = np.round(rng.exponential(6, n), 1)
    num_documents = rng.poisson(3, n) + 1
    property_value = np.round(np.exp(rng.normal(np.log(260_000), 0.45, n)), -2)
    is_theft = claim_type == "theft"
    police_report = np.where(rng.uniform(size=n) < np.where(is_theft, 0.7, 0.15), "yes", "no")
    night = rng.uniform(size=n) < 0.08
    hour_submitted = np.where(night, rng.integers(0, 6, n), rng.integers(7, 23, n))

    z = (
        -1.55
        + 0.9 * (log_amount - np.log(3000) - type_amount) / LOG_AMOUNT_SIGMA
        + 0.55 * prior_claims
        - 0.6 * np.log1p(policy_age_days / 365)
        - 0.25 * (num_documents - 4)
        + np.array([_TYPE_RISK[c] for c in claim_type])
        + np.array([_CHANNEL_RISK[c] for c in channel])
        + np.array([_REGION_RISK[r] for r in region])
        - 0.8 * (is_theft & (police_report == "yes"))
        + 0.4 * night
    )
    # Concept drift: before the date late reporting is suspicious; after it a fraud ring
    # files claims within a day or two, so quick reports become the risky ones.
    after = (ts >= pd.Timestamp(CONCEPT_DRIFT_DATE)).to_numpy() if production else np.zeros(n, bool)
    z += np.where(after, -0.30 * (days_to_report - 6), 0.08 * (days_to_report - 6))
    p = 1 / (1 + np.exp(-z))
    y = (rng.uniform(size=n) < p).astype(int)

    # Adjusters see the file itself, so they beat any model on clear cases; they err mostly
    # where the case is ambiguous (p near 0.5).
    ambiguity = 1 - np.abs(2 * p - 1)
    flip = rng.uniform(size=n) < 0.03 + 0.22 * ambiguity
    human = np.where(flip, 1 - y, y)

    customer_age = customer_age.astype(float)
    customer_age[rng.uniform(size=n) < 0.01] = np.nan  # missing birth dates
    return pd.DataFrame(
        {
            "submitted_at": ts.to_numpy(),
            "claim_amount": claim_amount,
            "policy_age_days": policy_age_days,
            "customer_age": customer_age,
            "prior_claims": prior_claims,
            "days_to_report": days_to_report,
            "num_documents": num_documents,
            "property_value": property_value,
            "hour_submitted": hour_submitted,
            "region": region.astype(str),
            "claim_type": claim_type.astype(str),
            "channel": channel.astype(str),
            "police_report": police_report.astype(str),
            HUMAN_DECISION: human,
            TARGET: y,
            "_p": p,
        }
    )


def _annotate(rng: np.random.Generator, train: pd.DataFrame) -> pd.DataFrame:
    """Three reviewers relabel a random subset; chen is lenient (misses review cases)."""
    idx = np.sort(rng.choice(len(train), size=min(N_ANNOTATED, len(train)), replace=False))
    sub = train.iloc[idx]
    y = sub[TARGET].to_numpy()
    amb = 1 - np.abs(2 * sub["_p"].to_numpy() - 1)
    flip_p = {
        "ana": 0.02 + 0.20 * amb,
        "ben": 0.03 + 0.28 * amb,
        "chen": np.where(y == 1, 0.06 + 0.40 * amb, 0.01 + 0.12 * amb),
    }
    frames = []
    for k, who in enumerate(ANNOTATORS):
        label = np.where(rng.uniform(size=len(sub)) < flip_p[who], 1 - y, y)
        keep = rng.uniform(size=len(sub)) >= 0.05  # each reviewer skips about 5% of items
        at = pd.Timestamp(PROD_START) + pd.to_timedelta(
            k * 7 * 86400 + rng.uniform(0, 6 * 86400, len(sub)).round(), unit="s"
        )
        frames.append(
            pd.DataFrame(
                {
                    "item_id": sub["claim_id"].to_numpy()[keep],
                    "annotator": who,
                    "label": label[keep],
                    "labeled_at": np.asarray(at)[keep],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def generate_demo(seed: int = 7, n_train: int = 20_000) -> DemoData:
    """Generate the demo project's training data, production stream and annotations.

    Examples
    --------
    >>> d = generate_demo(seed=1, n_train=500)
    >>> len(d.train), len(d.production), sorted(d.annotations["annotator"].unique())
    (500, 750, ['ana', 'ben', 'chen'])
    """
    rng = np.random.default_rng(seed)
    n_prod = int(round(n_train * 1.5))
    train = _draw(rng, _timestamps(rng, n_train, TRAIN_START, PROD_START), production=False)
    train.insert(0, "claim_id", [f"C{i:06d}" for i in range(1, n_train + 1)])
    prod = _draw(rng, _timestamps(rng, n_prod, PROD_START, PROD_END), production=True)
    prod.insert(0, "claim_id", [f"C{i:06d}" for i in range(n_train + 1, n_train + n_prod + 1)])
    prod.insert(0, "request_id", [f"R{i:07d}" for i in range(1, n_prod + 1)])

    annotations = _annotate(rng, train)

    # per-request serving log: lognormal latency that creeps up, rare spikes and failures
    t = np.linspace(0, 1, n_prod)
    latency = np.exp(rng.normal(np.log(45) + 0.15 * t, 0.35, n_prod))
    spikes = rng.uniform(size=n_prod) < 0.01
    prod["latency_ms"] = np.round(np.where(spikes, latency * rng.uniform(4, 8, n_prod), latency), 1)
    prod["http_status"] = np.where(rng.uniform(size=n_prod) < 0.001, 503, 200)
    # audit outcomes arrive with a delay: the last weeks have no label yet
    cutoff = pd.Timestamp(PROD_END) - pd.Timedelta(days=LABEL_DELAY_DAYS)
    prod[TARGET] = prod[TARGET].astype("Int64").mask(prod["submitted_at"] >= cutoff)

    return DemoData(
        train=train.drop(columns="_p"),
        production=prod.drop(columns="_p"),
        annotations=annotations,
    )
