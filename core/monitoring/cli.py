"""The monitoring command line, for schedulers: ``python -m core.monitor --project P
--current FILE_OR_DATASET [--windows day|week|month|all|rows:N|column:NAME]`` runs the same
code as the Monitoring page, without a browser, with or without a time column; while a
workbench server holds the database, through that server (:mod:`core.monitoring.spool`)."""

from __future__ import annotations

import argparse
import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import TextIO

from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.projects import ProjectRow
from core.errors import StoreError
from core.monitoring import spark_job
from core.monitoring.run import run_monitoring
from core.monitoring.settings import WINDOWS, MonitorError, MonitorSettings
from core.progress import Progress


def _parser() -> argparse.ArgumentParser:
    from core import config

    ap = argparse.ArgumentParser(
        prog="python -m core.monitor", description=main.__doc__,
        epilog="Without a time column: --windows all checks the whole file as one window "
               "(as a reference-vs-current report), --windows rows:1000 checks blocks of 1,000 "
               "rows in file order, --windows column:batch_id one window per value of a "
               "batch column; the error-stream detectors then read the rows in file order. "
               "While a workbench server holds the database, the request is handed to it "
               "(a spool folder next to the database) and its answer printed here.")
    ap.add_argument("--db", default=str(config.resolve_path("WORKBENCH_DB")),
                    help="workbench database (default: WORKBENCH_DB)")
    ap.add_argument("--project", required=True, help="project name")
    ap.add_argument("--current",
                    help="a CSV or Parquet file to ingest, or the name of a stored dataset; "
                    "with --engine spark a Parquet file or directory (s3a://, hdfs://, path)")
    ap.add_argument("--reference", help="reference dataset name (default: the training dataset)")
    ap.add_argument("--model", default="champion", help="'champion', 'challenger', 'none' or a version id")
    ap.add_argument("--score-column", metavar="NAME",
                    help="with --model none (or no registered model): the column holding the "
                    "scores of a model that runs elsewhere (a probability of the positive "
                    "class, or a regression's prediction); its outputs and performance are "
                    "checked. Default: the project's score column role; 'none': data checks "
                    "only")
    ap.add_argument("--score-threshold", type=float, default=0.5, metavar="CUT",
                    help="a score column's decision threshold (score >= CUT is positive; "
                    "default 0.5)")
    ap.add_argument("--time-column", help="the timestamp column for day / week / month "
                    "windows (default: the project's time column, when the file has it)")
    ap.add_argument("--windows", "--window", dest="window", default=None,
                    metavar="day|week|month|all|rows:N|column:NAME",
                    help=f"how the current data is cut into windows: {', '.join(WINDOWS)} of "
                    "the time column; all (the whole file as one window); rows:N (blocks of N "
                    "rows in file order); column:NAME (one window per value of a batch "
                    "column, e.g. a batch id or a date stored as text). Default: week with a "
                    "time column, else all")
    ap.add_argument("--user", default="scheduler")
    ap.add_argument("--wait", type=float, default=3600.0, metavar="SECONDS",
                    help="while a server holds the database: how long to wait for its answer "
                    "(default 3600)")
    spark_job.add_arguments(ap)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Profile and check a batch file against a project's reference, without a browser."""
    args = _parser().parse_args(argv)
    if args.engine == "spark" and args.grid:  # the store is on another machine
        return _run_without_store(args)
    try:
        store = Database(args.db)
    except StoreError as exc:
        from core.monitoring import spool

        if not spool.server_alive(args.db):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        # a running workbench holds the file: it runs the request and answers
        code, out, err = spool.submit_and_wait(args.db, _request(args), args.wait)
        sys.stdout.write(out)
        sys.stderr.write(err)
        return code
    try:
        return _run(store, args, sys.stdout, sys.stderr)
    finally:
        store.close()


def _run_without_store(args: argparse.Namespace) -> int:
    try:
        return spark_job.run_spark(None, None, args)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _request(args: argparse.Namespace) -> list[str]:
    """The arguments for the server: a file named relative to here made absolute."""
    out = ["--project", args.project, "--model", args.model, "--user", args.user]
    for flag, value in (("--current", args.current), ("--import-profiles", args.import_profiles),
                        ("--export-grid", args.export_grid), ("--output", args.output)):
        if value is not None:
            out += [flag, str(Path(value).resolve()) if Path(value).exists() else value]
    out += ["--score-threshold", str(args.score_threshold)]
    for flag, value in (("--reference", args.reference), ("--time-column", args.time_column),
                        ("--score-column", args.score_column),
                        ("--windows", args.window), ("--engine", args.engine),
                        ("--master", args.master), ("--driver-memory", args.driver_memory)):
        if value is not None:
            out += [flag, value]
    return out


def serve(store: Database, argv: list[str], progress: Progress) -> tuple[int, str, str]:
    """Run a spooled request in the server process: (exit code, stdout, stderr), as the
    command line would have printed them."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stderr(err):  # argparse reports bad arguments on stderr, then exits 2
            args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 2), "", err.getvalue()

    def both(fraction: float, message: str) -> None:
        progress(fraction, message)
        print(f"[{fraction:4.0%}] {message}", file=err)

    return _run(store, args, out, err, both), out.getvalue(), err.getvalue()


def _run(store: Database, args: argparse.Namespace, out: TextIO, err: TextIO,
         progress: Progress | None = None) -> int:
    try:
        return _cli(store, args, out, progress or (
            lambda f, m: print(f"[{f:4.0%}] {m}", file=err)))
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=err)
        return 2


def _cli(store: Database, args: argparse.Namespace, out: TextIO, progress: Progress) -> int:
    project = next((p for p in projects_db.list_projects(store) if p.name == args.project), None)
    if project is None:
        raise MonitorError(f"No project named {args.project!r} in {store.path}.")
    if args.import_profiles or args.export_grid or args.engine == "spark":
        with redirect_stdout(out):
            return _spark_or_profiles(store, project, args)
    if not args.current:
        raise MonitorError("Give --current: the file or dataset to check.")
    result = run_monitoring(
        store, project.id, reference_dataset_id=_reference(store, project, args.reference).id,
        current_dataset_id=_current(store, project, args.current, args.user),
        model_version_id=_model_version(store, project.id, args.model), actor=args.user,
        source="cli", settings=MonitorSettings(
            time_column=args.time_column, window=args.window,
            score_column="" if args.score_column == "none" else args.score_column,
            score_threshold=args.score_threshold),
        progress=progress,
    )
    s = result.summary
    print(f"monitoring run {result.run_id}: {s['windows']} windows ({s['windowing']}), "
          f"{s['alerts']} alerts, {s['seconds']} s", file=out)
    if s.get("scores_from"):
        print(f"  scores from {s['scores_from']}", file=out)
    for note in s.get("notes", []):
        print(f"  note: {note}", file=out)
    for policy, count in s["policy_counts"].items():
        print(f"  {policy}: {count}", file=out)
    return 0


def _spark_or_profiles(store: Database, project: ProjectRow, args: argparse.Namespace) -> int:
    """``--import-profiles``, ``--export-grid`` or ``--engine spark``
    (:mod:`core.monitoring.spark_job`)."""
    if args.import_profiles:
        return spark_job.import_profiles(store, project, args.import_profiles, args.user)
    if args.export_grid:
        return spark_job.export_grid(store, project, args.reference, args.export_grid)
    if not args.current:
        raise MonitorError("Give --current: the file or dataset to check.")
    return spark_job.run_spark(store, project, args)


def _reference(store: Database, project: ProjectRow, name: str | None) -> DatasetRow:
    """The named dataset, else the project's (first) training dataset."""
    if name:
        datasets = {d.name: d for d in datasets_db.list_datasets(store, project.id)}
        if name not in datasets:
            raise MonitorError(f"No dataset named {name!r} in {project.name!r}.")
        return datasets[name]
    train = datasets_db.list_datasets(store, project.id, role="training")
    if not train:
        raise MonitorError("The project has no training dataset to use as reference.")
    return train[0]


def _current(store: Database, project: ProjectRow, current: str, actor: str) -> int:
    """A file ingested as a new production dataset, or a stored dataset by name."""
    from core.data import ingest_file
    from core.data.datasets import free_name

    datasets = {d.name: d for d in datasets_db.list_datasets(store, project.id)}
    if Path(current).exists():
        # two runs within one second (a retried cron job) get _2, _3 … not a refusal
        name = free_name(f"batch_{Path(current).stem}_{datetime.now():%Y%m%d%H%M%S}",
                         set(datasets), "{base}_{n}")
        # the command line's own file: whoever runs it can read it, so no allow-list here
        return ingest_file(store, project.id, current, name=name, actor=actor,
                           role="production").dataset_id
    if current in datasets:
        return datasets[current].id
    raise MonitorError(f"{current!r} is neither a file nor a dataset of the project.")


def _model_version(store: Database, project_id: int, model: str) -> int | None:
    """'champion', 'challenger' (None when there is none), 'none', or a version id."""
    from core.training import registry

    if model in ("champion", "challenger"):
        v = (registry.get_champion if model == "champion" else registry.get_challenger)(
            store, project_id)
        return v.id if v else None
    return None if model == "none" else int(model)
