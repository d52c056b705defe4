"""Gate runs stored and read back: every finished gate is kept with its checks, for the
pages (a Gates section on Data, Training and Deployment) and for the record."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.db import gates as gates_db
from core.db.database import Database
from core.db.gates import GateRunRow
from core.gates.result import GATES, GateError, GateResult


def save_gate_run(store: Database, result: GateResult, actor: str, source: str = "cli"
                  ) -> GateResult:
    """Store a finished gate run; the result with its ``gate_run_id``."""
    gid = gates_db.insert_gate_run(
        store, result.project_id, actor, gate=result.gate, subject=result.subject,
        subject_ref=result.subject_ref, verdict=result.verdict, exit_code=result.exit_code,
        settings=result.settings,
        summary={"counts": result.counts(), "notes": list(result.notes)},
        source=source, checks=result.to_frame())
    return replace(result, gate_run_id=gid)


def list_gate_runs(store: Database, project_id: int, gate: str | None = None,
                   limit: int = 50) -> list[GateRunRow]:
    """A project's gate runs (of one gate if given), newest first."""
    if gate is not None and gate not in GATES:
        raise GateError(f"Unknown gate {gate!r}; use one of {', '.join(GATES)}.")
    return gates_db.list_gate_runs(store, project_id, gate, limit)


def gate_runs_frame(store: Database, project_id: int, gate: str | None = None
                    ) -> pd.DataFrame:
    """Gate runs as a display table, newest first: id, gate, subject, verdict, counts,
    when, by whom and from where."""
    rows = []
    for r in list_gate_runs(store, project_id, gate):
        counts = r.summary.get("counts", {})
        rows.append({"id": r.id, "gate": r.gate, "subject": r.subject, "verdict": r.verdict,
                     "passed": counts.get("passed", 0), "failed": counts.get("failed", 0),
                     "not judged": counts.get("not judged", 0), "ran": r.created_at,
                     "by": r.created_by, "from": r.source})
    return pd.DataFrame(rows, columns=["id", "gate", "subject", "verdict", "passed",
                                       "failed", "not judged", "ran", "by", "from"])


def gate_run_checks(store: Database, gate_run_id: int) -> pd.DataFrame:
    """A stored gate run's checks: check_group, name, status, value, threshold, detail;
    failed and not-judged checks first."""
    frame = gates_db.gate_checks(store, gate_run_id)
    order = frame["status"].map({"failed": 0, "not judged": 1, "passed": 2,
                                 "not applicable": 3})
    return (frame.assign(_o=order).sort_values(["_o", "position"], kind="stable")
            .drop(columns=["_o", "position"]).reset_index(drop=True))


def pending_canary(store: Database, project_id: int) -> tuple[int, str] | None:
    """The challenger ``python -m core.retrain`` registered and gated, while no rehearsal
    has replayed it yet: (its version id, the model gate's verdict); else None. The
    Deployment page pre-selects it for a canary."""
    from core.db import deploy as deploy_db
    from core.training import registry

    challenger = registry.get_challenger(store, project_id)
    if challenger is None:
        return None
    gated = next((r for r in gates_db.list_gate_runs(store, project_id, "model")
                  if r.source == "retrain"
                  and r.subject_ref.get("run_id") == challenger.run_id), None)
    if gated is None:
        return None
    rehearsed = any(int(s.candidate.get("version_id", -1)) == challenger.id
                    for s in deploy_db.list_deploy_simulations(store, project_id))
    return None if rehearsed else (challenger.id, gated.verdict)
