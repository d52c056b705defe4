"""Rollout rehearsals: a simulation with its settings and summary, per-window timeline,
guardrail checks and events (append-only, keyed by the simulation id)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from core.db.clock import utcnow
from core.db.database import Database, qident, registered

_DEPLOY_COLS = (
    "id, project_id, name, pattern, dataset_id, dataset_hash, incumbent, candidate,"
    " settings, summary, decision, created_at, created_by"
)
_DEPLOY_JSON = ("incumbent", "candidate", "settings", "summary")
_DEPLOY_TABLES = {
    "deploy_windows": (
        "window_idx, window_start, window_end, step, share_target, n_requests, n_routed,"
        " n_cand_served, n_fallback, n_incumbent, share_served, agreement, n_labeled,"
        " wrong_cand, wrong_inc, wrong_cand_counterfactual, failed_cand, failed_inc,"
        " cand_p95_ms, inc_p95_ms, infer_ms, breached"
    ),
    "deploy_checks": (
        "window_idx, guardrail, metric, threshold, value, bound, n, status, point_bad,"
        " share, step, incumbent_value"
    ),
    "deploy_events": "at, window_idx, kind, share_from, share_to, reason",
}


def insert_deploy_simulation(
    db: Database,
    project_id: int,
    actor: str,
    *,
    name: str,
    pattern: str,
    dataset_id: int,
    dataset_hash: str,
    incumbent: dict[str, Any],
    candidate: dict[str, Any],
    settings: dict[str, Any],
    summary: dict[str, Any],
    decision: str,
    timeline: pd.DataFrame,
    checks: pd.DataFrame,
    events: pd.DataFrame,
) -> int:
    """Store a finished rollout simulation and its tables in one transaction."""
    frames = {"deploy_windows": timeline, "deploy_checks": checks, "deploy_events": events}
    with db.write(
        actor,
        "simulate",
        "deploy_simulation",
        project_id=project_id,
        detail={"name": name, "pattern": pattern, "decision": decision},
    ) as (cur, audit):
        (sid,) = cur.execute(
            f"INSERT INTO deploy_simulations ({_DEPLOY_COLS}) VALUES"
            " (nextval('id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                project_id,
                name,
                pattern,
                dataset_id,
                dataset_hash,
                json.dumps(incumbent, default=str),
                json.dumps(candidate, default=str),
                json.dumps(settings, default=str),
                json.dumps(summary, default=str),
                decision,
                utcnow(),
                actor,
            ],
        ).fetchall()[0]
        for table, cols in _DEPLOY_TABLES.items():
            names = [c.strip() for c in cols.split(",")]
            frame = frames[table]
            if frame is None or frame.empty:
                continue
            with registered(cur, _deploy_part=frame[names].reset_index(drop=True)):
                cur.execute(
                    f"INSERT INTO {qident(table)} (simulation_id, project_id,"
                    f" {', '.join(qident(c) for c in names)})"
                    f" SELECT ?, ?, {', '.join(qident(c) for c in names)} FROM _deploy_part",
                    [sid, project_id],
                )
        audit["entity_id"] = sid
    return int(sid)


@dataclass(frozen=True)
class SimulationRow:
    """A stored rollout simulation (the ``deploy_simulations`` row, JSON columns decoded)."""

    id: int
    project_id: int
    name: str
    pattern: str
    dataset_id: int
    dataset_hash: str
    incumbent: dict[str, Any]
    candidate: dict[str, Any]
    settings: dict[str, Any]
    summary: dict[str, Any]
    decision: str
    created_at: datetime
    created_by: str


def _simulation_rows(db: Database, sql: str, params: list[Any]) -> list[SimulationRow]:
    names = [c.strip() for c in _DEPLOY_COLS.split(",")]
    out = []
    for r in db.rows(sql, params):
        d = dict(zip(names, r, strict=True))
        for key in _DEPLOY_JSON:
            d[key] = json.loads(d[key]) if d[key] else {}
        out.append(SimulationRow(**d))
    return out


def list_deploy_simulations(db: Database, project_id: int) -> list[SimulationRow]:
    """A project's simulations, newest first."""
    return _simulation_rows(
        db,
        f"SELECT {_DEPLOY_COLS} FROM deploy_simulations WHERE project_id = ?"
        " ORDER BY created_at DESC, id DESC",
        [project_id],
    )


def get_deploy_simulation(db: Database, simulation_id: int) -> SimulationRow | None:
    rows = _simulation_rows(
        db, f"SELECT {_DEPLOY_COLS} FROM deploy_simulations WHERE id = ?", [simulation_id]
    )
    return rows[0] if rows else None


def _deploy_part(db: Database, table: str, simulation_id: int, order: str) -> pd.DataFrame:
    cols = ", ".join(qident(c.strip()) for c in _DEPLOY_TABLES[table].split(","))
    return db.df(
        f"SELECT {cols} FROM {qident(table)} WHERE simulation_id = ? ORDER BY {order}",
        [simulation_id],  # order is one of the literals below, never user input
    )


def deploy_timeline(db: Database, simulation_id: int) -> pd.DataFrame:
    return _deploy_part(db, "deploy_windows", simulation_id, "window_idx")


def deploy_checks(db: Database, simulation_id: int) -> pd.DataFrame:
    return _deploy_part(db, "deploy_checks", simulation_id, "window_idx, guardrail")


def deploy_events(db: Database, simulation_id: int) -> pd.DataFrame:
    return _deploy_part(db, "deploy_events", simulation_id, '"at", window_idx')
