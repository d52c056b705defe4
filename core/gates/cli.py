"""The gates' command line: ``python -m core.gate data|model|deploy --project P …``.

Exit codes: 0 every check passed (not-applicable ones aside), 1 a check failed or was not
judged, 2 the gate could not run (bad input; the message names it and nothing is stored).
Each run prints a short table, can write JUnit XML (``--junit``) and JSON (``--json``), and
is stored with its checks (the Data, Training and Deployment pages show it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from core.db.database import Database
from core.errors import StoreError
from core.gates.result import EXIT_CANNOT_RUN, GateResult

T = TypeVar("T")


def parser() -> argparse.ArgumentParser:
    """The command's arguments (one sub-command per gate)."""
    from core import config

    ap = argparse.ArgumentParser(
        prog="python -m core.gate", description="Gates a CI pipeline runs: data, model, deploy.",
        epilog="Exit 0: passed; 1: a check failed or was not judged; 2: could not run.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=str(config.resolve_path("WORKBENCH_DB")),
                        help="workbench database (default: WORKBENCH_DB)")
    common.add_argument("--project", required=True, help="project name")
    common.add_argument("--junit", metavar="PATH", help="write the checks as JUnit XML")
    common.add_argument("--json", metavar="PATH", help="write the result as JSON")
    common.add_argument("--user", default="scheduler", help="the name in the audit log")
    sub = ap.add_subparsers(dest="gate", required=True)
    d = sub.add_parser("data", parents=[common], help="a candidate dataset vs the reference")
    d.add_argument("--candidate", required=True,
                   help="a CSV or Parquet file to ingest, or the name of a stored dataset")
    d.add_argument("--reference", help="reference dataset name (default: the training data)")
    d.add_argument("--range-tolerance", type=float, default=0.1,
                   help="share of the reference span added below its min and above its max")
    d.add_argument("--max-out-of-range", type=float, default=0.01,
                   help="share of a column's values allowed outside the widened range")
    d.add_argument("--strict-extra", action="store_true", help="extra columns fail the gate")
    m = sub.add_parser("model", parents=[common], help="a model vs the brief and the champion")
    which = m.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", type=int, help="a finished training run's id")
    which.add_argument("--model", metavar="FILE", help="a model saved with skops")
    m.add_argument("--tolerance", type=float, default=0.01,
                   help="how much worse than the champion a metric may be (default 0.01)")
    m.add_argument("--slice-tolerance", type=float, default=0.05,
                   help="how far below the floor a slice may fall (default 0.05)")
    m.add_argument("--threshold", type=float,
                   help="a model file's positive-class cut (default: the most likely class)")
    p = sub.add_parser("deploy", parents=[common], help="a rollout rehearsal's verdict")
    p.add_argument("--simulation", type=int, required=True, help="a stored rehearsal's id")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run one gate; print its table; write the reports; return the exit code."""
    args = parser().parse_args(argv)
    result = on_store(args.db, lambda store: run_gate(store, args))
    if result is None:
        return EXIT_CANNOT_RUN
    return report(result, args.junit, args.json)


def on_store(db: str, work: Callable[[Database], T]) -> T | None:
    """``work`` on the database file ``db``, closed after; None when the file cannot be
    opened or the input is bad (the message on stderr, as the gates' exit code 2 wants)."""
    try:
        store = Database(db)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    try:
        return work(store)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    finally:
        store.close()


def report(result: GateResult, junit: str | None, json_path: str | None,
           echo: Callable[[str], None] = print) -> int:
    """Print the table, write the files asked for; the gate's exit code."""
    from core.gates.reports import text_table, write_json, write_junit

    echo(text_table(result))
    if junit:
        write_junit(result, junit)
    if json_path:
        write_json(result, json_path)
    return result.exit_code


def run_gate(store: Database, args: argparse.Namespace) -> GateResult:
    """Resolve the inputs, run the gate asked for and store it."""
    from core.gates.inputs import find_project
    from core.gates.store import save_gate_run

    project = find_project(store, args.project)
    if args.gate == "data":
        from core.gates.data import DataGateSettings, run_data_gate
        from core.gates.inputs import find_candidate, find_reference

        reference = find_reference(store, project, args.reference)
        candidate = find_candidate(store, project, args.candidate, args.user)
        result = run_data_gate(
            store, project.id, project.name, reference, candidate,
            DataGateSettings(range_tolerance=args.range_tolerance,
                             max_out_of_range=args.max_out_of_range,
                             strict_extra=args.strict_extra), actor=args.user)
    elif args.gate == "model":
        from core.gates.model import ModelGateSettings, run_model_gate

        result = run_model_gate(
            store, project.id, project.name, run_id=args.run, model_file=args.model,
            settings=ModelGateSettings(tolerance=args.tolerance,
                                       slice_tolerance=args.slice_tolerance,
                                       threshold=args.threshold))
    else:
        from core.gates.deploy import run_deploy_gate

        result = run_deploy_gate(store, project.id, project.name, args.simulation)
    return save_gate_run(store, result, args.user, source="cli")
