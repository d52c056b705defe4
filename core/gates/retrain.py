"""Continuous training as a command, for a scheduler (``python -m core.retrain --project P``):
the loop the Monitoring page closes by hand.

1. Which rows: the newest monitoring run's current stream (``--monitor-run`` picks another;
   ``--current FILE_OR_DATASET`` first runs monitoring on new data with the champion).
2. Retrain the champion's recipe on its labelled rows and register the challenger
   (:func:`core.monitoring.retrain.retrain_challenger`, the Monitoring page's code: from one
   window before the first decay alert, a chosen window, or every labelled row).
3. Run the model gate on the new run and store it.
4. Pre-fill the canary: the Deployment page opens with the challenger as its candidate and
   canary as its pattern; with ``--rehearse STREAM`` the canary is replayed here too
   (challenger vs the champion, guardrails from the brief) and the deploy gate run on it.

Exit 0: a challenger is registered and every gate passed; 1: a gate failed (the challenger
stays registered, for a person to look at); 2: nothing could be retrained (no champion, no
monitoring run, too few labelled rows; the message says what to do).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.db.database import Database
from core.db.projects import ProjectRow
from core.gates.result import EXIT_CANNOT_RUN, GateError, GateResult


@dataclass(frozen=True)
class RetrainOutcome:
    monitor_run_id: int
    run_id: int
    version_id: int
    rows: int
    scope: str
    gates: tuple[GateResult, ...]
    simulation_id: int | None = None

    @property
    def exit_code(self) -> int:
        return max((g.exit_code for g in self.gates), default=0)


def continuous_training(store: Database, project: ProjectRow, *, monitor_run: int | None = None,
                        current: str | None = None, all_rows: bool = False,
                        from_window: str | None = None, rehearse: str | None = None,
                        tolerance: float = 0.01, actor: str = "scheduler",
                        echo: Callable[[str], None] = print) -> RetrainOutcome:
    """Retrain, register the challenger, gate it, pre-fill (or replay) the canary."""
    from core.gates.model import ModelGateSettings, run_model_gate
    from core.gates.store import save_gate_run
    from core.monitoring import retrain_challenger

    mrun = _monitor_run(store, project, monitor_run, current, actor, echo)
    echo(f"retraining on monitoring run {mrun}")
    res = retrain_challenger(store, project.id, mrun, all_rows=all_rows,
                             from_window=from_window, actor=actor,
                             progress=lambda f, m: echo(f"[{f:4.0%}] {m}"))
    echo(f"challenger: version id {res.version_id} from run #{res.run_id} "
         f"({res.rows:,} labelled rows, {res.scope})")
    gate = run_model_gate(store, project.id, project.name, run_id=res.run_id,
                          settings=ModelGateSettings(tolerance=tolerance))
    gates = [save_gate_run(store, gate, actor, source="retrain")]
    sim_id = None
    if rehearse:
        sim_id, deploy_gate = _rehearse(store, project, res.version_id, rehearse, actor)
        gates.append(deploy_gate)
    return RetrainOutcome(mrun, res.run_id, res.version_id, res.rows, res.scope, tuple(gates),
                          sim_id)


def _monitor_run(store: Database, project: ProjectRow, run_id: int | None,
                 current: str | None, actor: str, echo: Callable[[str], None]) -> int:
    """The monitoring run whose stream is retrained on: given, made now on ``current``, or
    the project's newest."""
    from core.monitoring import get_run, latest_run, run_monitoring

    if run_id is not None:
        run = get_run(store, run_id)
        if run.project_id != project.id:
            raise GateError(f"--monitor-run {run_id} is not a monitoring run of "
                            f"{project.name!r}.")
        return run.id
    if current is not None:
        from core.gates.inputs import find_candidate, find_reference
        from core.training import registry

        champion = registry.get_champion(store, project.id)
        result = run_monitoring(
            store, project.id, reference_dataset_id=find_reference(store, project, None).id,
            current_dataset_id=find_candidate(store, project, current, actor).id,
            model_version_id=champion.id if champion else None, actor=actor, source="cli")
        echo(f"monitoring run {result.run_id}: {result.summary['alerts']} alerts")
        return result.run_id
    latest = latest_run(store, project.id)
    if latest is None:
        raise GateError(f"{project.name!r} has no monitoring run to retrain from: pass "
                        "--current FILE_OR_DATASET (new labelled data) to monitor it first.")
    return latest.id


def _rehearse(store: Database, project: ProjectRow, version_id: int, stream: str, actor: str
              ) -> tuple[int, GateResult]:
    """Replay a canary of the challenger against the champion on ``stream``; gate it."""
    from core import deploy
    from core.gates.deploy import run_deploy_gate
    from core.gates.inputs import find_candidate
    from core.gates.store import save_gate_run
    from core.training import registry

    champion = registry.get_champion(store, project.id)
    if champion is None:
        raise GateError("--rehearse needs a champion to compare the challenger with.")
    ds = find_candidate(store, project, stream, actor)
    rails, _ = deploy.default_guardrails(store, project.id)
    guards = tuple(rails)
    (sim_id,) = deploy.run_simulation(
        store, project.id, dataset_id=ds.id, incumbent=champion.id, candidate=version_id,
        settings=replace(deploy.RolloutSettings(pattern="canary"), guardrails=guards),
        actor=actor, name=f"continuous training: canary of version id {version_id}")
    gate = run_deploy_gate(store, project.id, project.name, sim_id)
    return sim_id, save_gate_run(store, gate, actor, source="retrain")


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    from core import config

    ap = argparse.ArgumentParser(prog="python -m core.retrain", description=main.__doc__,
                                 epilog="Exit 0: challenger registered and gates passed; 1: a "
                                 "gate failed; 2: nothing could be retrained.")
    ap.add_argument("--db", default=str(config.resolve_path("WORKBENCH_DB")))
    ap.add_argument("--project", required=True, help="project name")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--monitor-run", type=int, help="the monitoring run whose stream to use "
                     "(default: the newest)")
    src.add_argument("--current", help="new labelled data (a file or a dataset name): "
                     "monitored first, then retrained on")
    rows = ap.add_mutually_exclusive_group()
    rows.add_argument("--all-rows", action="store_true", help="every labelled row")
    rows.add_argument("--from-window", help="the window label to start from")
    ap.add_argument("--rehearse", metavar="STREAM",
                    help="also replay a canary on this stream (a file or dataset name)")
    ap.add_argument("--tolerance", type=float, default=0.01,
                    help="the model gate's tolerance against the champion")
    ap.add_argument("--junit", metavar="PATH", help="the model gate's checks as JUnit XML")
    ap.add_argument("--json", metavar="PATH", help="the model gate's result as JSON")
    ap.add_argument("--user", default="scheduler")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Retrain the champion's recipe on the newest labelled data and gate the challenger."""
    from core.gates.cli import on_store, report
    from core.gates.inputs import find_project

    args = parser().parse_args(argv)

    def retrain(store: Database) -> RetrainOutcome:
        return continuous_training(
            store, find_project(store, args.project), monitor_run=args.monitor_run,
            current=args.current, all_rows=args.all_rows, from_window=args.from_window,
            rehearse=args.rehearse, tolerance=args.tolerance, actor=args.user,
            echo=lambda m: print(m, file=sys.stderr))

    out = on_store(args.db, retrain)
    if out is None:
        return EXIT_CANNOT_RUN
    codes = [report(g, args.junit if i == 0 else None, args.json if i == 0 else None)
             for i, g in enumerate(out.gates)]
    print(f"challenger version id {out.version_id} (run #{out.run_id}); the Deployment page "
          "opens with it as the canary's candidate"
          + (f"; canary rehearsal #{out.simulation_id}" if out.simulation_id else ""))
    return max(codes)
