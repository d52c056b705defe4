"""The demo's rollout rehearsals: a shadow, a naive blue-green switch and a canary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from core.db import projects as projects_db
from core.db.database import Database
from core.deploy import (
    Guardrail,
    RolloutSettings,
    default_guardrails,
    list_streams,
    run_simulation,
    simulations_frame,
)
from core.progress import Progress, no_progress

DEMO_SHADOW_START = datetime(2025, 9, 1)
DEMO_ROLLOUT_START = datetime(2025, 12, 1)
DEMO_STREAM = "claims_production_stream"
DEMO_REHEARSAL = "Demo rehearsal"
DEPLOY_STORY = (
    "**The demo's story.** The champion shadowed the adjusters from September to November "
    "and held its guardrails. On 1 December two rollouts were rehearsed on the same "
    "traffic: a naive blue-green switch and a canary (5% → 10% → 25% → 50% → 100%). On "
    "15 January 2026 a fraud ring starts filing quickly reported claims and the model "
    "decays: the canary, still at 50%, rolls back on its own; the blue-green switch had "
    "served every claim since December. Compare them under **Compare patterns**."
)


def deploy_story(store: Database, project_id: int) -> str | None:
    """The demo's rollout story for the Deployment page, or None: only the project seeded as
    the demo (its ``is_demo`` flag, which only ``seed_demo`` sets; a project a user creates,
    whatever its name, never has it) that still holds the seeded rehearsal gets it."""
    project = projects_db.get_project(store, project_id)
    if project is None or not project.is_demo:
        return None
    sims = simulations_frame(store, project_id)
    if sims.empty or not sims["name"].str.startswith(DEMO_REHEARSAL).any():
        return None
    return DEPLOY_STORY


def demo_settings(guardrails: Sequence[Guardrail]) -> list[RolloutSettings]:
    """The demo's rehearsal: shadow Sep-Nov, then canary and a naive blue-green from 1 Dec.

    The concept drift of 15 Jan 2026 (``core.demo.generator.CONCEPT_DRIFT_DATE``) lands while the
    canary holds 50% and is rolled back; the blue-green switch has served every claim since
    December by then.
    """
    base = RolloutSettings(
        window="7D",
        schedule=(5.0, 10.0, 25.0, 50.0, 100.0),
        healthy_windows=2,
        seed=7,
        guardrails=tuple(guardrails),
    )
    return [
        replace(base, pattern="shadow", start=DEMO_SHADOW_START, end=DEMO_ROLLOUT_START),
        replace(
            base,
            pattern="blue_green",
            start=DEMO_ROLLOUT_START,
            switch_at=DEMO_ROLLOUT_START,
        ),
        replace(base, pattern="canary", start=DEMO_ROLLOUT_START),
    ]


def seed_demo_deploy(store: Database, project_id: int, actor: str,
                     progress: Progress = no_progress) -> list[int]:
    """Store the demo's rehearsal (shadow, naive blue-green, canary) of the champion against
    the adjusters; skipped (returns []) when no registered model or no stream is stored."""
    from core.training import registry

    model = registry.get_champion(store, project_id) or registry.get_challenger(store, project_id)
    stream = next((d for d in list_streams(store, project_id) if d.name == DEMO_STREAM), None)
    if model is None or stream is None:
        return []
    rails, _ = default_guardrails(store, project_id)
    # a resumed seeding replays only the patterns not stored yet
    stored = set(simulations_frame(store, project_id).get("name", []))
    settings = [s for s in demo_settings(rails)
                if f"{DEMO_REHEARSAL} · {s.pattern.replace('_', '-')}" not in stored]
    if not settings:
        return []
    return run_simulation(
        store,
        project_id,
        dataset_id=stream.id,
        incumbent="human",
        candidate=model.id,
        settings=settings,
        actor=actor,
        name=DEMO_REHEARSAL,
        progress=_none_returning(progress),
    )


def _none_returning(progress: Progress) -> Callable[[float, str], None]:
    def call(fraction: float, message: str) -> None:
        progress(fraction, message)

    return call
