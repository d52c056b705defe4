"""Slice discovery on Spark from the command line, and bringing the slices home.

``python -m core.slices`` (``spark-submit core/monitoring/spark_submit.py slices …`` takes the
same arguments), in the way of the profile job (:mod:`core.monitoring.spark_job`):

* ``--db DB --run ID --part dev --export-spec spec.json`` writes how the run's part cuts its
  columns (``core.analysis.plan_columns`` on DuckDB: categories, quantile bins, months) —
  what a Spark job needs to code the columns as the workbench does;
* ``--spec spec.json --data DIR_OR_URI`` searches the Parquet predictions there (the truth
  ``--y-true``, the prediction ``--y-pred`` and the spec's columns) on Spark with the search
  parameters, then stores the slices found (not the data) as the run's part's latest
  discovery in ``--db``, or with ``--output found.parquet`` writes them to a file;
* ``--db DB --import-slices found.parquet`` stores such a file as the run's discovery.

The slices file holds one row per slice (rank, label, level, slice as JSON predicates, size,
errors, error_rate, score: the ``discovered_slices`` columns) and, in every row,
``discovery_header``: a JSON object with the project, run, part, the search's parameters and
statistics, the data searched and the spec. A search that kept no slice writes one row of
rank 0 (the header only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from core.analysis.columns import ColumnSpec
from core.analysis.discovery import Discovery, stored_slices
from core.analysis.source import SliceError, column_choices, source_for_run
from core.db import analysis as analysis_db
from core.db import projects as projects_db
from core.db import training as training_db
from core.db.database import Database
from core.documents import read_document
from core.errors import StoreError

SPEC_FORMAT = "workbench-slice-spec/1"
FORMAT = "workbench-slices/1"
_STORED = ["rank", "label", "level", "slice", "size", "errors", "error_rate", "score"]


# ------------------------------------------------------------------------------ the spec
def export_spec(store: Database, run_id: int, part: str, columns: list[str] | None,
                *, bins: int, max_values: int) -> dict[str, Any]:
    """How the run's part cuts ``columns`` (default: the run's features) as a spec document."""
    from core.analysis.columns import plan_columns

    src = source_for_run(store, run_id, part)
    if not columns:
        available, default = column_choices(store, src, [])
        columns = default or available
    plan = plan_columns(store, src, columns, bins=bins, max_values=max_values,
                        exclude=tuple(c for c in (src.target,) if c))
    if not plan.specs:
        raise SliceError("None of those columns can be sliced: " + "; ".join(plan.notes))
    project = projects_db.get_project(store, int(src.project_id or 0))
    return {"format": SPEC_FORMAT, "project": project.name if project else "",
            "run_id": run_id, "part": part, "target": src.target,
            "task": "regression" if src.regression else "classification",
            "columns": [{"column": s.column, "kind": s.kind, "values": list(s.values),
                         "edges": list(s.edges)} for s in plan.specs],
            "notes": plan.notes}


def read_spec(path: str) -> tuple[dict[str, Any], list[ColumnSpec]]:
    """A spec document written by ``--export-spec`` and its ColumnSpecs; SliceError naming
    the file when it is not one."""
    doc = read_document(path, SPEC_FORMAT, "spec", "python -m core.slices --db DB --run ID "
                        "--part dev", "--export-spec", SliceError)
    try:
        specs = [ColumnSpec(str(d["column"]), str(d["kind"]),
                            values=tuple(str(v) for v in d.get("values", ())),
                            edges=tuple(float(e) for e in d.get("edges", ())))
                 for d in doc["columns"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise SliceError(f"{path!r}: a column of the spec is malformed ({exc!r}); export "
                         "the spec again.") from exc
    if any(s.kind not in ("cat", "num", "month") for s in specs):
        raise SliceError(f"{path!r}: a column kind is not cat, num or month; export again.")
    return doc, specs


# ----------------------------------------------------------------------------- the job
def run_search(args: argparse.Namespace) -> tuple[dict[str, Any], Discovery]:
    """Search ``args.data`` on Spark with the spec's cuts; the header and the Discovery."""
    from core.analysis.spark_slices import discover_slices_spark
    from core.monitoring import spark as sp

    doc, specs = read_spec(args.spec)
    session = sp.spark_session(args.master, driver_memory=args.driver_memory,
                               app_name="workbench-slices")
    found = discover_slices_spark(
        sp.read_parquet(session, args.data), specs, regression=doc["task"] == "regression",
        y_true=args.y_true, y_pred=args.y_pred, alpha=args.alpha,
        min_support=args.min_support, top_k=args.top_k, max_level=args.max_level)
    found.params["source"] = str(args.data)
    header = {"format": FORMAT, "project": doc["project"], "run_id": doc["run_id"],
              "part": doc["part"], "params": found.params,
              "stats": {k: v for k, v in found.stats.items()}, "spec": doc["columns"]}
    return header, found


def write_slices(header: dict[str, Any], found: Discovery, path: str) -> int:
    """Write the found slices (header in every row) as Parquet; bytes written (a local
    file) or 0 (a URI written through Spark, e.g. ``s3a://``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = stored_slices(found)[_STORED]
    frame = frame.assign(slice=[json.dumps(p, default=str) for p in frame["slice"]])
    if frame.empty:
        frame = pd.DataFrame([{"rank": 0, "label": "", "level": 0, "slice": "[]", "size": 0,
                               "errors": 0.0, "error_rate": 0.0, "score": 0.0}])
    frame = frame.astype({"rank": "int32", "level": "int32", "size": "int64",
                          "errors": "float64", "error_rate": "float64", "score": "float64"})
    frame["discovery_header"] = json.dumps(header, default=str)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if "://" in path and not path.startswith("file://"):
        from core.monitoring import spark as sp

        sp.spark_session().createDataFrame(table).coalesce(1).write.mode("overwrite").parquet(path)
        return 0
    pq.write_table(table, path)
    return Path(path).stat().st_size


def read_slices(path: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """A slices file (or directory) as its header and stored slices; SliceError naming the
    file when it is not one."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise SliceError(f"Cannot read {path!r} as Parquet ({exc}); give the file written "
                         "by python -m core.slices --output.") from exc
    missing = sorted({*_STORED, "discovery_header"} - set(table.column_names))
    if missing or not len(table):
        raise SliceError(f"{path!r} holds no found slices (missing columns: "
                         f"{', '.join(missing) or 'none'}; {len(table)} rows); give the file "
                         "written by python -m core.slices --output.")
    frame = table.to_pandas()
    try:
        header = json.loads(frame["discovery_header"].iloc[0])
        slices = frame[frame["rank"] > 0][_STORED].sort_values("rank", ignore_index=True)
        slices = slices.assign(slice=[json.loads(s) for s in slices["slice"]])
    except ValueError as exc:
        raise SliceError(f"{path!r}: the header or a slice is not JSON ({exc}).") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SliceError(f"{path!r} is not a slices file of this workbench.")
    return header, slices


def store_slices(store: Database, header: dict[str, Any], slices: pd.DataFrame, actor: str,
                 where: str) -> int:
    """Store found slices as the header's run's part's latest discovery, checked: the run
    exists in this store, in the header's project."""
    run = training_db.get_run(store, int(header.get("run_id") or 0))
    project = projects_db.get_project(store, run.project_id) if run else None
    if run is None or project is None or project.name != header.get("project"):
        raise SliceError(f"{where} holds slices of run {header.get('run_id')} of project "
                         f"{header.get('project')!r}, which this store does not have; export "
                         "the spec from this store and search again.")
    did = analysis_db.insert_slice_discovery(
        store, project.id, run.id, str(header["part"]), header["params"], slices,
        header["stats"], actor)
    print(f"discovery {did}: {len(slices)} slices stored for run {run.name!r} "
          f"({header['part']} part) of project {project.name!r}")
    return did


# ------------------------------------------------------------------------------- the CLI
def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m core.slices", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="workbench database (for --export-spec, --import-slices, "
                    "and a search that stores its slices)")
    ap.add_argument("--user", default="scheduler")
    g = ap.add_argument_group("the spec (in the workbench)")
    g.add_argument("--export-spec", metavar="FILE", help="write the run's part's cuts (JSON)")
    g.add_argument("--run", type=int, help="the run id whose predictions define the cuts")
    g.add_argument("--part", default="dev", help="the run's part (default dev)")
    g.add_argument("--columns", help="comma-separated columns (default: the run's features)")
    g.add_argument("--bins", type=int, default=4, help="quantile bins of numeric columns")
    g.add_argument("--max-values", type=int, default=20, help="values kept per text column")
    g = ap.add_argument_group("the search (on Spark)")
    g.add_argument("--spec", help="the spec file written by --export-spec")
    g.add_argument("--data", help="Parquet file or directory of predictions (path, hdfs://, "
                   "s3a://)")
    g.add_argument("--y-true", default="y_true", help="the truth column (default y_true)")
    g.add_argument("--y-pred", default="y_pred", help="the prediction column (default y_pred)")
    g.add_argument("--alpha", type=float, default=0.95, help="weight of error over size")
    g.add_argument("--min-support", type=float, default=0.01,
                   help="minimum slice size: rows, or a share of the rows when < 1 (0.01)")
    g.add_argument("--top-k", type=int, default=10)
    g.add_argument("--max-level", type=int, default=3, help="predicates per slice (1-3)")
    g.add_argument("--master", default=None, help="Spark master URL (default: spark-submit's, "
                   "else local[2])")
    g.add_argument("--driver-memory", default="2g")
    g.add_argument("--output", help="write the found slices to this Parquet file (or URI) "
                   "instead of the store")
    ap.add_argument("--import-slices", metavar="FILE",
                    help="store the slices a Spark job wrote with --output")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Export a spec, search on Spark, or import found slices (see the module doc)."""
    args = _parser().parse_args(argv)
    try:
        return _main(args)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _main(args: argparse.Namespace) -> int:
    if args.spec or args.data:
        if not (args.spec and args.data):
            raise SliceError("A search needs --spec FILE (from --export-spec) and --data PATH.")
        if not (args.output or args.db):
            raise SliceError("Give --output FILE, or --db DB to store the slices found.")
        header, found = run_search(args)
        print("\n".join(_summary(found)))
        if args.output:
            size = write_slices(header, found, args.output)
            print(f"{len(found.slices)} slices written to {args.output} ({size:,} bytes)")
            return 0
        _with_store(args.db, lambda s: store_slices(
            s, header, stored_slices(found), args.user, repr(str(args.data))))
        return 0
    if args.export_spec:
        if args.run is None or not args.db:
            raise SliceError("--export-spec needs --db DB and --run ID (and --part).")
        cols = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
        doc = _with_store(args.db, lambda s: export_spec(
            s, args.run, args.part, cols, bins=args.bins, max_values=args.max_values))
        Path(args.export_spec).write_text(json.dumps(doc), encoding="utf-8")
        print(f"spec of run {args.run} ({args.part}, {len(doc['columns'])} columns) written "
              f"to {args.export_spec}")
        return 0
    if args.import_slices:
        if not args.db:
            raise SliceError("--import-slices needs --db DB.")
        header, slices = read_slices(args.import_slices)
        _with_store(args.db, lambda s: store_slices(s, header, slices, args.user,
                                                    repr(args.import_slices)))
        return 0
    raise SliceError("Nothing to do: give --export-spec, --spec with --data, or "
                     "--import-slices (see --help).")


def _with_store(path: str, work: Any) -> Any:
    store = Database(path)
    try:
        return work(store)
    finally:
        store.close()


def _summary(found: Discovery) -> list[str]:
    """Lines for a terminal: the searched rows and the kept slices, best first."""
    n, errors = int(found.stats.get("n", 0)), float(found.stats.get("errors", 0.0))
    lines = [f"searched {n:,} rows ({errors:,.6g} errors) in "
             f"{float(found.stats.get('seconds', 0)):.1f} s: "
             f"{int(found.stats.get('evaluated', 0)):,} slices evaluated, "
             f"{len(found.slices)} kept"]
    for r in found.slices.itertuples(index=False):
        lines.append(f"  {r.rank}. {r.label}  (size {r.size:,}, score {r.score:.4g})")
    return lines
