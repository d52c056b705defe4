"""``simulate_rollout``: replay one pattern over a scored stream, window by window, asking the
pattern's strategy who is served and what happens at each window's end."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from core.deploy.replay import CHECK_COLUMNS, Replay, build_replay, check_window, window_record
from core.deploy.settings import DeployError, RolloutSettings, validate_settings
from core.deploy.strategies import EventLog, make_strategy
from core.deploy.stream import ScoredStream
from core.deploy.summary import summarise


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
    """Replay one pattern over a scored stream; see ``core.deploy`` for the rules. The
    settings take the scored stream's task (the candidate's)."""
    settings = replace(settings, task=scored.task)
    errors = validate_settings(settings)
    if errors:
        raise DeployError(" ".join(errors))
    replay = build_replay(scored, settings)
    warnings = list(scored.warnings) + _guardrail_warnings(replay)
    events = EventLog()
    strategy = make_strategy(replay, events)
    strategy.start()
    rows: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    routed, arms, references = [], [], []
    for w in range(len(replay.windows)):
        route = strategy.route(w)
        routed.append(route.routed)
        arms.append(route.arm)
        references.append(route.reference)
        rec = window_record(replay, w, route.routed, route.arm, route.share, route.step)
        window_checks = check_window(replay, w, arms, references, route.share, route.step)
        breached = [_breach_text(c) for c in window_checks if c["status"] == "breach"]
        judged = sum(c["status"] in ("pass", "breach") for c in window_checks)
        rec["breached"] = "; ".join(breached)
        rows.append(rec)
        checks += window_checks
        strategy.close(w, rec["n_routed"], route.share, breached, judged)
    timeline = pd.DataFrame(rows)
    checks_df = pd.DataFrame(checks, columns=CHECK_COLUMNS)
    events_df = events.frame()
    summary = summarise(
        replay,
        timeline,
        checks_df,
        events_df,
        routed=np.concatenate(routed),
        full_at=strategy.full_at,
        pooled=strategy.pooled(),
        warnings=warnings,
    )
    return RolloutResult(
        settings,
        scored.incumbent,
        scored.candidate,
        timeline,
        checks_df,
        events_df,
        summary,
        tuple(warnings),
    )


def _guardrail_warnings(replay: Replay) -> list[str]:
    rails = replay.settings.guardrails
    if not rails:
        return ["No guardrail was set: nothing can trigger a rollback."]
    if np.isnan(replay.y).all() and any(g.needs_labels for g in rails):
        names = ", ".join(g.label for g in rails if g.needs_labels)
        return [f"Skipped for want of labels: {names}."]
    return []


def _breach_text(check: dict[str, Any]) -> str:
    return (
        f"{check['guardrail']}: {check['value']:.3g} (bound {check['bound']:.3g}, n={check['n']})"
    )
