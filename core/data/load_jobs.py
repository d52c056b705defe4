"""Loading data as a job: an upload, a file on the server or a bundled sample is read,
written as a dataset table and given its quality report on the server's job runner
(:mod:`core.jobs`), outside the page's script run that asked for it.

DESIGN
------
* An upload is saved to a private temporary file *before* the job is submitted (the
  browser's bytes belong to the session; the job owns the copy and removes it when it
  ends). A server path is checked against WORKBENCH_DATA_DIRS inside the job, as
  :func:`core.data.ingest.ingest_path` always does.
* Progress goes to the job's stored row in three named phases: reading the file
  (format, encoding, delimiter), writing the table (DuckDB's own progress), the quality
  report. A page follows it, and finds it again when the user comes back.
* The job's result is ``{"dataset_id", "headline", "messages", "file"}``; its error is the
  load's message, which names the user's file (an upload's own name, never the copy's); an
  unexpected failure is reworded to name the file too. Nothing is stored by a failed load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from core import jobs
from core.data.datasets import get_dataset
from core.data.ingest import (
    IngestResult,
    ingest_path,
    ingest_saved_upload,
    save_upload,
    upload_name,
)
from core.data.quality import build_report
from core.db.database import Database
from core.errors import IngestError, StoreError
from core.progress import Progress

KIND = "ingest"  # the jobs' kind
REPORT_SHARE = 0.15  # of the progress bar, for the quality report after the rows are written

Load = Callable[[Progress], "IngestResult | int"]  # a load, given a progress callback


def submit_upload(store: Database, project_id: int, filename: str, data: BinaryIO | bytes, *,
                  actor: str, **kwargs: Any) -> int:
    """Save the upload to a private file, then load it as a job; returns the job id.

    A file over the upload limit is refused here (IngestError naming it), before any job.
    Keyword arguments are :func:`core.data.ingest.ingest_file`'s (``name``, ``role``, ...).
    """
    path = save_upload(filename, data)
    try:
        return submit_load(
            store, project_id, upload_name(filename),
            lambda p: ingest_saved_upload(store, project_id, filename, path, actor=actor,
                                          progress=p, **kwargs),
            actor=actor, cleanup=lambda: _remove(path))
    except BaseException:
        _remove(path)
        raise


def submit_path(store: Database, project_id: int, path: str, *, actor: str, **kwargs: Any
                ) -> int:
    """Load a file on the server (only under WORKBENCH_DATA_DIRS) as a job; the job id."""
    return submit_load(
        store, project_id, str(path),
        lambda p: ingest_path(store, project_id, path, actor=actor, progress=p, **kwargs),
        actor=actor)


def submit_load(store: Database, project_id: int, shown: str, load: Load, *, actor: str,
                cleanup: Callable[[], None] | None = None) -> int:
    """Run ``load`` (a callable taking a progress callback and returning the
    :class:`IngestResult` or the new dataset's id), then the quality report, as a job.

    ``shown`` is the file or sample as the user knows it: the job's title, and the name
    an unexpected error's message gives. ``cleanup`` runs when the job ends, however.
    """

    def work(progress: Progress) -> dict[str, Any]:
        try:
            return _load_and_report(store, shown, load, actor, progress)
        finally:
            if cleanup is not None:
                cleanup()

    return jobs.submit(store, KIND, f"Loading {shown}", work, actor=actor,
                       project_id=project_id, params={"file": shown})


def _load_and_report(store: Database, shown: str, load: Load, actor: str, progress: Progress
                     ) -> dict[str, Any]:
    progress(0.0, f"Reading {shown}: format, encoding and delimiter")
    try:
        result = load(lambda f, m: progress((1 - REPORT_SHARE) * f, m))
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - reworded so the message names the user's file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise IngestError(f"{shown} could not be loaded ({first}); nothing was stored. Check "
                          "the file, or save it as CSV or Parquet again.") from exc
    did = result if isinstance(result, int) else result.dataset_id
    messages = [] if isinstance(result, int) else list(result.messages)
    progress(1 - REPORT_SHARE, "Building the quality report")
    try:
        build_report(store, did, actor,
                     progress=lambda f, m: progress(1 - REPORT_SHARE + REPORT_SHARE * f, m))
    except Exception as exc:  # noqa: BLE001 - the data is stored; the report can be rebuilt
        messages.append(f"The quality report could not be built ({exc}); rebuild it below.")
    ds = get_dataset(store, did)
    headline = (f"Loaded {ds.n_rows:,} rows and {ds.n_cols} columns "
                f"(data version {ds.content_hash}).")
    return {"dataset_id": did, "headline": headline, "messages": messages, "file": shown}


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path.parent, ignore_errors=True)
