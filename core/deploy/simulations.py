"""Stored rehearsals: load a project's stream, score it once, replay each pattern asked and
store each result (settings, per-window timeline, guardrail checks, events, summary)
append-only; read them back for the page, the comparison and the lifecycle's Deploy step.
Nothing is recomputed on the page."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

from core.db import datasets as datasets_db
from core.db import deploy as deploy_db
from core.db.database import Database
from core.db.datasets import ROW_ID, DatasetRow
from core.deploy.deciders import Decider, make_decider, task_of
from core.deploy.rollout import RolloutResult, simulate_rollout
from core.deploy.settings import (
    DeployError,
    RolloutSettings,
    contract_tolerance,
    request_number,
    task_of_contract,
    validate_settings,
    with_column_roles,
)
from core.deploy.stream import check_stream, prepare_stream
from core.deploy.summary import GO, NOT_JUDGED, compare_patterns
from core.projects import column_roles


# ---------------------------------------------------------------- what to replay
def list_streams(store: Database, project_id: int) -> list[DatasetRow]:
    """The project's datasets a rollout can replay, production streams first."""
    return sorted(
        datasets_db.list_datasets(store, project_id), key=lambda d: d.role != "production"
    )


def stream_columns(store: Database, dataset_id: int) -> list[str]:
    """The columns of a stored stream, in table order (for picking its roles)."""
    return [c for c, _ in datasets_db.dataset_schema(store, dataset_id)]


def candidates(store: Database, project_id: int) -> tuple[dict[int, str], int | None]:
    """Active model versions as {version id: "v3 champion"}, and the default candidate
    (the challenger, else the newest version; None when there is no version)."""
    from core.training import registry

    versions = [v for v in registry.list_versions(store, project_id) if v.status == "active"]
    names = {v.id: f"v{v.version}{' ' + v.alias if v.alias else ''}" for v in versions}
    default = next((v.id for v in versions if v.alias == "challenger"), None)
    if default is None and versions:
        default = versions[0].id
    return names, default


HUMAN = "human"


def project_task(store: Database, project_id: int) -> str:
    """The task of the project's rehearsals: the default candidate's (its training run's
    task), else the brief's; "classification" or "regression"."""
    from core import training
    from core.scoping import get_contract
    from core.training import registry

    _, default = candidates(store, project_id)
    if default is not None:
        run = training.get_run(store, registry.get_version(store, default).run_id)
        if run.task_type in ("regression", "classification"):
            return str(run.task_type)
    return task_of_contract(get_contract(store, project_id))


@dataclass(frozen=True)
class IncumbentChoices:
    """Who may serve today in a rehearsal on one stream: the options ({spec: label}), the
    default and a sentence saying why it is the default."""

    options: dict[str | int, str]
    default: str | int
    note: str


def incumbent_choices(store: Database, project_id: int, dataset_id: int) -> IncumbentChoices:
    """The human process (the project's incumbent-decision column) is the default when the
    stream has that column; otherwise the current champion (else another active version)."""
    from core.training import registry

    names, default_cand = candidates(store, project_id)
    column = column_roles(store, project_id).incumbent
    has_column = bool(column) and column in stream_columns(store, dataset_id)
    human = "Human process (recorded decision" + (f" in {column!r})" if has_column else ")")
    options: dict[str | int, str] = {HUMAN: human, **names}
    if has_column:
        return IncumbentChoices(options, HUMAN, f"The stream holds the current process's "
                                f"decisions ({column!r}): the model is compared with them.")
    why = (f"The stream has no column {column!r} (the project's incumbent decision)"
           if column else "The project has no incumbent-decision column")
    champion = registry.get_champion(store, project_id)
    if champion is not None and champion.id in names:
        return IncumbentChoices(options, champion.id,
                                f"{why}: the current champion ({names[champion.id]}) is the "
                                "incumbent.")
    other = next((v for v in names if v != default_cand), None)
    if other is not None:
        return IncumbentChoices(options, other, f"{why} and no champion is set: "
                                f"{names[other]} is the incumbent.")
    return IncumbentChoices(options, HUMAN, f"{why} and no other model version: pick the "
                            "column of the current decisions under 'Stream columns', or "
                            "register a champion on the Training page.")


# ---------------------------------------------------------------- run and store
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
    cand = make_decider(store, candidate, many[0].human_column, many[0].positive_class)
    task = task_of(cand)
    inc = make_decider(store, incumbent, many[0].human_column, many[0].positive_class, task)
    cand_pc = getattr(cand, "positive_class", None)
    if cand_pc and cand_pc != many[0].positive_class and task != "regression":
        many = [replace(s, positive_class=cand_pc) for s in many]
    many = [replace(s, task=task) for s in many]
    if task == "regression":
        tolerance = contract_tolerance(store, project_id)
        many = [s if s.error_tolerance is not None else replace(s, tolerance=tolerance)
                for s in many]
    frame = _load_stream(store, dataset_id, inc, cand, many)
    started = time.perf_counter()
    scored = prepare_stream(frame, inc, cand, many, progress)  # once for every pattern
    ids: list[int] = []
    for i, s in enumerate(many):
        pattern = s.pattern.replace("_", "-")
        if progress:
            progress(0.8 + 0.15 * i / len(many), f"Replaying the {pattern} rollout")
        result = simulate_rollout(scored, s)
        label = name or f"{pattern}: {cand.name} vs {inc.name}"
        if len(many) > 1 and name:
            label = f"{name} · {pattern}"
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


def _load_stream(
    store: Database,
    dataset_id: int,
    inc: Decider,
    cand: Decider,
    many: list[RolloutSettings],
) -> pd.DataFrame:
    """The stream's columns the replay reads, after checking the stream and every settings."""
    columns = stream_columns(store, dataset_id)
    errors = check_stream(columns, [inc, cand], many[0])
    if errors:
        raise DeployError(" ".join(errors))
    for s in many:
        errs = validate_settings(s)
        if errs:
            raise DeployError(" ".join(errs))
    s0 = many[0]
    roles = (
        s0.time_column,
        s0.key_column,
        s0.label_column,
        s0.human_column,
        s0.latency_column,
        s0.status_column,
    )
    wanted = {c for c in roles if c} | {*inc.features, *cand.features}
    picked = [c for c in columns if c in wanted]
    if not s0.file_order:
        return datasets_db.dataset_frame(store, dataset_id, columns=picked)
    # file order is the stored row order: read it by row id, never trust a scan's order
    frame = datasets_db.dataset_frame(store, dataset_id, columns=picked, with_row_id=True)
    return frame.sort_values(ROW_ID, kind="stable").drop(columns=ROW_ID).reset_index(drop=True)


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
    """Store one replayed rollout with its inputs; returns the simulation id."""
    return deploy_db.insert_deploy_simulation(
        store,
        project_id,
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


# ---------------------------------------------------------------- read back
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
    """A stored simulation with its timeline, checks and events."""
    row = deploy_db.get_deploy_simulation(store, simulation_id)
    if row is None:
        raise DeployError("That simulation does not exist (any more).")
    return StoredSimulation(
        id=row.id,
        name=row.name,
        pattern=row.pattern,
        decision=row.decision,
        incumbent=row.incumbent,
        candidate=row.candidate,
        settings=RolloutSettings.from_dict(row.settings),
        summary=row.summary,
        dataset_id=row.dataset_id,
        created_at=row.created_at,
        created_by=row.created_by,
        timeline=deploy_db.deploy_timeline(store, simulation_id),
        checks=deploy_db.deploy_checks(store, simulation_id),
        events=deploy_db.deploy_events(store, simulation_id),
    )


def timeline_frame(sim: StoredSimulation) -> pd.DataFrame:
    """The per-window timeline as the user reads it: in file order, request numbers
    (first and last request of each window) instead of the replay clock's times."""
    if not sim.settings.file_order or sim.timeline.empty:
        return sim.timeline
    out = sim.timeline.drop(columns=["window_start", "window_end"])
    out.insert(1, "first request", sim.timeline["window_start"].map(request_number))
    out.insert(2, "last request", sim.timeline["window_end"].map(request_number) - 1)
    return out


def events_frame(sim: StoredSimulation) -> pd.DataFrame:
    """The events as the user reads them: in file order, the request from which each one
    takes effect instead of the replay clock's time."""
    if not sim.settings.file_order or sim.events.empty:
        return sim.events
    out = sim.events.drop(columns=["at"])
    out.insert(0, "at request", sim.events["at"].map(request_number))
    return out


def simulations_frame(store: Database, project_id: int) -> pd.DataFrame:
    """Stored simulations as a display table, newest first."""
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "pattern": r.pattern,
            "decision": r.decision,
            "candidate": r.candidate.get("name"),
            "incumbent": r.incumbent.get("name"),
            "rollbacks": r.summary.get("rollbacks"),
            "errors exposed": r.summary.get("errors_exposed"),
            "created": r.created_at,
            "by": r.created_by,
            "dataset_id": r.dataset_id,
        }
        for r in deploy_db.list_deploy_simulations(store, project_id)
    ]
    return pd.DataFrame(rows)


def comparison_frame(
    store: Database, project_id: int, dataset_id: int | None = None
) -> pd.DataFrame:
    """Stored simulations (of one stream, when given) side by side, oldest first."""
    sims = [
        r
        for r in deploy_db.list_deploy_simulations(store, project_id)
        if dataset_id is None or r.dataset_id == dataset_id
    ]
    sims = sims[::-1]
    df = compare_patterns([r.summary for r in sims])
    if len(df):
        df.insert(0, "name", [f"#{r.id} {r.name}" for r in sims])
    return df


def deploy_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """(status, evidence, next action) of the lifecycle's Deploy step: done once a canary or
    blue-green rehearsal is a go; a rehearsal "not judged" is not a go."""
    sims = deploy_db.list_deploy_simulations(store, project_id)
    if not sims:
        return (
            "not started",
            "No rollout has been simulated.",
            "Rehearse a shadow or canary rollout.",
        )
    go = [r for r in sims if r.decision == GO and r.pattern != "shadow"]
    if go:
        return (
            "done",
            f"{len(sims)} rollout(s) rehearsed; '{go[0].name}' is a go.",
            "Monitor the model in production.",
        )
    r = sims[0]
    if r.decision == NOT_JUDGED:
        action = (
            "Set the stream's label column (or wait for labels) so the guardrails can be "
            "judged, and rehearse again."
        )
    else:
        action = "Fix the breached guardrail or try another candidate."
    return (
        "in progress",
        f"{len(sims)} rollout(s) rehearsed, none a go; latest: {r.pattern} {r.decision}.",
        action,
    )
