"""Profiling production data on Spark from the command line, and bringing the profile home.

Three ways, all with the arguments of ``python -m core.monitor`` (:mod:`core.monitoring.cli`):

* ``python -m core.monitor --project P --engine spark --current DIR_OR_URI`` profiles the
  Parquet data on Spark against the project's reference grid and stores the profile (not
  the data) in the workbench's store, then prints the drift per window;
* with ``--output rows.parquet`` the profile rows go to a Parquet file instead (the
  workbench's database is on another machine); ``python -m core.monitor --project P
  --import-profiles rows.parquet`` stores them there. On the cluster the reference grid
  comes from ``--grid grid.json``, written by ``python -m core.monitor --project P
  --export-grid grid.json``;
* ``spark-submit core/monitoring/spark_submit.py …`` runs the same as ``--engine spark``.

The profile-rows file holds one row per window and column (the ``profile_columns`` table's
columns) and, in every row, ``profile_header``: a JSON object with the project, the
reference profile id, the grid (``spec``), the windows, ``n_rows`` and the source.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.db import monitoring as monitoring_db
from core.db.database import Database
from core.db.projects import ProjectRow
from core.documents import read_document
from core.errors import StoreError
from core.monitoring.profile_store import _columns_table, _stored_column, get_profile
from core.monitoring.profiles import Profile, _grid_key, _window_order
from core.monitoring.settings import MonitorError

FORMAT = "workbench-profile-rows/1"
GRID_FORMAT = "workbench-grid/1"


# ------------------------------------------------------------------------ the reference
def reference_grid(store: Database, project: ProjectRow, reference: str | None
                   ) -> dict[str, Any]:
    """The project's reference profile (profiled with DuckDB once, stored) as a grid
    document: what a Spark job needs to profile current data comparably."""
    from core.monitoring.cli import _reference
    from core.monitoring.profile_store import profile_dataset
    from core.projects import column_roles

    ref = _reference(store, project, reference)
    ref_pid = profile_dataset(store, ref.id)
    return {"format": GRID_FORMAT, "project": project.name, "reference": ref.name,
            "reference_profile_id": ref_pid, "time_column": column_roles(store, project.id).time,
            "spec": get_profile(store, ref_pid).spec}


def export_grid(store: Database, project: ProjectRow, reference: str | None, path: str) -> int:
    """Write the reference grid as JSON for a Spark job on another machine."""
    grid = reference_grid(store, project, reference)
    Path(path).write_text(json.dumps(grid), encoding="utf-8")
    print(f"grid of reference {grid['reference']!r} (profile {grid['reference_profile_id']}, "
          f"{len(grid['spec'])} columns) written to {path}")
    return 0


def read_grid(path: str) -> dict[str, Any]:
    """A grid document written by :func:`export_grid`; MonitorError naming the file."""
    return read_document(path, GRID_FORMAT, "grid", "python -m core.monitor --project P",
                         "--export-grid", MonitorError)


# ----------------------------------------------------------------------------- the job
def profile_current(args: argparse.Namespace, grid: dict[str, Any]) -> Profile:
    """Profile ``args.current`` on Spark against ``grid``, windowed as ``args.window``."""
    from core.monitoring import spark as sp
    from core.monitoring.run import _resolve_windows
    from core.monitoring.settings import MonitorSettings

    session = sp.spark_session(args.master, driver_memory=args.driver_memory)
    df = sp.read_parquet(session, args.current)
    settings = MonitorSettings(time_column=args.time_column or grid.get("time_column"),
                               window=args.window)
    settings, windowing, notes = _resolve_windows(settings, args.time_column,
                                                  dict(sp.spark_schema(df)), args.current)
    for note in notes:
        print(f"  note: {note}", file=sys.stderr)
    return sp.profile_spark(df, grid["spec"], reference_profile_id=grid["reference_profile_id"],
                            **windowing.profile_args(settings.time_column))


def run_spark(store: Database | None, project: ProjectRow | None, args: argparse.Namespace
              ) -> int:
    """``--engine spark``: profile on Spark, then store the profile (and print the drift)
    or, with ``--output``, write the profile rows to a Parquet file."""
    if store is not None and project is not None:
        grid = reference_grid(store, project, args.reference)
    elif args.grid:
        grid = read_grid(args.grid)
    else:
        raise MonitorError("Give --grid FILE (from --export-grid) when the store is elsewhere.")
    if args.project != grid["project"]:
        raise MonitorError(f"The grid is project {grid['project']!r}'s, not {args.project!r}.")
    profile = profile_current(args, grid)
    header = {"format": FORMAT, "project": grid["project"], "reference": grid["reference"],
              "reference_profile_id": grid["reference_profile_id"],
              "time_column": profile.time_column, "window_size": profile.window_size,
              "n_rows": profile.n_rows, "source": str(args.current), "spec": profile.spec}
    if args.output:
        size = write_profile_rows(profile, header, args.output)
        print(f"profile of {profile.n_rows:,} rows: {len(profile.columns)} rows "
              f"({len(profile.windows)} windows) written to {args.output} ({size:,} bytes)")
        return 0
    assert store is not None and project is not None
    return _store_and_report(store, project, profile, header, args.user)


def _store_and_report(store: Database, project: ProjectRow, profile: Profile,
                      header: dict[str, Any], actor: str) -> int:
    pid = monitoring_db.insert_profile(
        store, project.id, None, content_hash="", reference_profile_id=profile.reference_profile_id,
        time_column=profile.time_column, window=profile.window_size, n_rows=profile.n_rows,
        spec=profile.spec, columns=_columns_table(profile.columns), actor=actor,
        source=str(header["source"]))
    print(f"profile {pid}: {profile.n_rows:,} rows of {header['source']} in "
          f"{len(profile.windows)} windows, against reference profile "
          f"{profile.reference_profile_id}")
    print_drift(store, int(profile.reference_profile_id or 0), pid)
    return 0


def print_drift(store: Database, reference_profile_id: int, profile_id: int) -> None:
    """Per window: columns compared, drifted, and whether the dataset drifted."""
    from core.monitoring.drift import compute_drift

    report = compute_drift(get_profile(store, reference_profile_id), get_profile(store, profile_id))
    for r in report.dataset_frame().itertuples(index=False):
        print(f"  {r.window}: {r.drifted} of {r.computed} columns drifted"
              + (" (dataset drift)" if r.dataset_drift else ""))


# ------------------------------------------------------------------- profile-rows files
def write_profile_rows(profile: Profile, header: dict[str, Any], path: str) -> int:
    """Write the profile rows (with the header in every row) as Parquet; returns bytes
    written (a local file) or 0 (a URI written through Spark, e.g. ``s3a://``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _columns_table(profile.columns)
    table = table.append_column("profile_header", pa.array([json.dumps(header)] * len(table),
                                                           pa.string()))
    if "://" in path and not path.startswith("file://"):
        from core.monitoring import spark as sp

        sp.spark_session().createDataFrame(table).coalesce(1).write.mode("overwrite").parquet(path)
        return 0
    pq.write_table(table, path)
    return Path(path).stat().st_size


def read_profile_rows(path: str) -> tuple[dict[str, Any], Profile]:
    """A profile-rows file (or directory) as its header and the Profile it holds;
    MonitorError naming the file when it is not one."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise MonitorError(f"Cannot read {path!r} as Parquet ({exc}); give the file written "
                           "by --engine spark --output.") from exc
    expected = set(_columns_table([]).column_names) | {"profile_header"}
    missing = sorted(expected - set(table.column_names))
    if missing or not len(table):
        raise MonitorError(f"{path!r} holds no profile rows (missing columns: "
                           f"{', '.join(missing) or 'none'}; {len(table)} rows); give the file "
                           "written by --engine spark --output.")
    try:
        header = json.loads(table.column("profile_header")[0].as_py())
    except ValueError as exc:
        raise MonitorError(f"{path!r}: the profile header is not JSON ({exc}).") from exc
    if header.get("format") != FORMAT:
        raise MonitorError(f"{path!r} is not a profile-rows file of this workbench "
                           f"(format {header.get('format')!r}).")
    columns = [_stored_column(r) for r in
               table.drop_columns(["profile_header"]).to_pandas().itertuples(index=False)]
    return header, Profile(None, None, "", header["reference_profile_id"],
                           header["time_column"], header["window_size"], int(header["n_rows"]),
                           header["spec"], tuple(sorted(columns, key=_window_order)))


def import_profiles(store: Database, project: ProjectRow, path: str, actor: str) -> int:
    """Store the profile of a profile-rows file, checked against the reference it was made
    on: same project, and the reference profile still has the grid the rows were binned on."""
    header, profile = read_profile_rows(path)
    if header["project"] != project.name:
        raise MonitorError(f"{path!r} holds a profile of project {header['project']!r}, "
                           f"not {project.name!r}.")
    try:
        ref = monitoring_db.get_profile(store, int(header["reference_profile_id"]))
    except StoreError as exc:
        raise MonitorError(f"{path!r} was profiled against reference profile "
                           f"{header['reference_profile_id']}, which this store does not "
                           "have; export the grid from this store and profile again.") from exc
    if ref.project_id != project.id or _grid_key(ref.spec) != _grid_key(header["spec"]):
        raise MonitorError(f"{path!r} was binned on another grid than this store's reference "
                           f"profile {ref.id}; export the grid from this store and profile "
                           "again.")
    return _store_and_report(store, project, profile, header, actor)


def main(argv: list[str] | None = None) -> int:
    """``spark-submit core/monitoring/spark_submit.py ARGS``: ``python -m core.monitor
    --engine spark ARGS``."""
    from core.monitoring.cli import main as cli_main

    return cli_main(["--engine", "spark", *(sys.argv[1:] if argv is None else argv)])


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The Spark options of ``python -m core.monitor``."""
    g = ap.add_argument_group("Spark", "profile data where it lives; only the profile comes back")
    g.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="duckdb: ingest --current and run every check here (default); spark: "
                   "profile the Parquet data at --current on Spark, store the profile, print "
                   "the drift")
    g.add_argument("--master", default=None,
                   help="Spark master URL, e.g. spark://host:7077 or yarn (default: the one "
                   "spark-submit was given, else local[2])")
    g.add_argument("--driver-memory", default="2g", help="Spark driver memory (default 2g)")
    g.add_argument("--output", help="with --engine spark: write the profile rows to this "
                   "Parquet file (or URI) instead of the store")
    g.add_argument("--grid", help="with --engine spark: the reference grid written by "
                   "--export-grid, when the store is on another machine")
    g.add_argument("--export-grid", metavar="FILE",
                   help="write the project's reference grid (JSON) for a Spark job elsewhere")
    g.add_argument("--import-profiles", metavar="FILE",
                   help="store the profile rows a Spark job wrote with --output, print drift")
