"""The monitoring command line, for schedulers: ``python -m core.monitor --project P
--current FILE_OR_DATASET [--windows day|week|month|all|rows:N|column:NAME]`` runs the same
code as the Monitoring page, without a browser, with or without a time column."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from core.db import datasets as datasets_db
from core.db import projects as projects_db
from core.db.database import Database
from core.db.datasets import DatasetRow
from core.db.projects import ProjectRow
from core.errors import StoreError
from core.monitoring import spark_job
from core.monitoring.run import run_monitoring
from core.monitoring.settings import WINDOWS, MonitorError, MonitorSettings


def main(argv: list[str] | None = None) -> int:
    """Profile and check a batch file against a project's reference, without a browser."""
    from core import config

    ap = argparse.ArgumentParser(
        prog="python -m core.monitor", description=main.__doc__,
        epilog="Without a time column: --windows all checks the whole file as one window "
               "(as a reference-vs-current report), --windows rows:1000 checks blocks of 1,000 "
               "rows in file order, --windows column:batch_id one window per value of a "
               "batch column; the error-stream detectors then read the rows in file order.")
    ap.add_argument("--db", default=str(config.resolve_path("WORKBENCH_DB")),
                    help="workbench database (default: WORKBENCH_DB)")
    ap.add_argument("--project", required=True, help="project name")
    ap.add_argument("--current",
                    help="a CSV or Parquet file to ingest, or the name of a stored dataset; "
                    "with --engine spark a Parquet file or directory (s3a://, hdfs://, path)")
    ap.add_argument("--reference", help="reference dataset name (default: the training dataset)")
    ap.add_argument("--model", default="champion", help="'champion', 'challenger', 'none' or a version id")
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
    spark_job.add_arguments(ap)
    args = ap.parse_args(argv)
    if args.engine == "spark" and args.grid:  # the store is on another machine
        return _run(lambda: spark_job.run_spark(None, None, args))
    try:
        store = Database(args.db)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _cli(store, args)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _run(job: Callable[[], int]) -> int:
    try:
        return job()
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _cli(store: Database, args: argparse.Namespace) -> int:
    project = next((p for p in projects_db.list_projects(store) if p.name == args.project), None)
    if project is None:
        raise MonitorError(f"No project named {args.project!r} in {store.path}.")
    if args.import_profiles or args.export_grid:
        return (spark_job.import_profiles(store, project, args.import_profiles, args.user)
                if args.import_profiles else
                spark_job.export_grid(store, project, args.reference, args.export_grid))
    if not args.current:
        raise MonitorError("Give --current: the file or dataset to check.")
    if args.engine == "spark":
        return spark_job.run_spark(store, project, args)
    result = run_monitoring(
        store, project.id, reference_dataset_id=_reference(store, project, args.reference).id,
        current_dataset_id=_current(store, project, args.current, args.user),
        model_version_id=_model_version(store, project.id, args.model), actor=args.user,
        source="cli", settings=MonitorSettings(time_column=args.time_column, window=args.window),
        progress=lambda f, m: print(f"[{f:4.0%}] {m}", file=sys.stderr),
    )
    s = result.summary
    print(f"monitoring run {result.run_id}: {s['windows']} windows ({s['windowing']}), "
          f"{s['alerts']} alerts, {s['seconds']} s")
    for note in s.get("notes", []):
        print(f"  note: {note}")
    for policy, count in s["policy_counts"].items():
        print(f"  {policy}: {count}")
    return 0


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
    from core.data import ingest_path
    from core.data.datasets import free_name

    datasets = {d.name: d for d in datasets_db.list_datasets(store, project.id)}
    if Path(current).exists():
        # two runs within one second (a retried cron job) get _2, _3 … not a refusal
        name = free_name(f"batch_{Path(current).stem}_{datetime.now():%Y%m%d%H%M%S}",
                         set(datasets), "{base}_{n}")
        return ingest_path(store, project.id, current, name=name, actor=actor,
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
