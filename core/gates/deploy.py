"""The deploy gate: a stored rollout rehearsal's verdict. GO passes; NO-GO fails; NOT JUDGED
(a label guardrail that could never be judged) is *not judged*, which fails the gate too
(never a pass). The rehearsal must belong to the project; its reasons are the detail."""

from __future__ import annotations

from core.db.database import Database
from core.gates.result import FAILED, NOT_JUDGED, PASSED, Check, GateError, GateResult


def run_deploy_gate(store: Database, project_id: int, project: str, simulation_id: int
                    ) -> GateResult:
    """Judge the rehearsal ``simulation_id`` of the project."""
    from core.deploy.settings import DeployError
    from core.deploy.simulations import load_simulation
    from core.deploy.summary import GO, NO_GO
    from core.deploy.summary import NOT_JUDGED as SIM_NOT_JUDGED

    try:
        sim = load_simulation(store, simulation_id)
    except DeployError as exc:
        raise GateError(f"--simulation {simulation_id}: no such rehearsal ({exc})") from exc
    if _project_of(store, simulation_id) != project_id:
        raise GateError(f"--simulation {simulation_id} is a rehearsal of another project, "
                        f"not of {project!r}.")
    status = {GO: PASSED, NO_GO: FAILED, SIM_NOT_JUDGED: NOT_JUDGED}.get(sim.decision)
    if status is None:
        raise GateError(f"Rehearsal #{simulation_id} has no verdict ({sim.decision!r}).")
    reasons = [str(r) for r in sim.summary.get("reasons", [])]
    checks = [Check("rollout", f"{sim.pattern.replace('_', '-')} verdict", status, None, None,
                    f"{sim.decision.upper()}: " + " ".join(reasons[:3]))]
    return GateResult(
        "deploy", project_id, project,
        f"rehearsal #{sim.id} {sim.name!r} ({sim.candidate.get('name', '')})",
        {"simulation_id": sim.id, "candidate_version_id": sim.candidate.get("version_id"),
         "dataset_id": sim.dataset_id, "decision": sim.decision},
        tuple(checks), {}, tuple(str(w) for w in sim.summary.get("warnings", []) or []))


def _project_of(store: Database, simulation_id: int) -> int | None:
    from core.db import deploy as deploy_db

    row = deploy_db.get_deploy_simulation(store, simulation_id)
    return None if row is None else int(row.project_id)
