"""Loading a CSV or Parquet file (a path or an upload) as a new dataset, all or nothing.

DESIGN
------
* Rows never pass through pandas on ingest: DuckDB's ``read_csv``/``read_parquet`` fill the
  dataset table in one ``CREATE TABLE AS`` inside the catalog transaction (see
  ``core.db.ingest.ingest_file``), so a file larger than memory loads and a failed load
  leaves nothing.
* The file is sniffed first (``core.data.sniff``); a value past DuckDB's type-guessing
  sample that breaks the guess triggers one retry that sniffs the whole file.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from core import config
from core.data.sniff import CsvOptions, FileSniff, discard, renamed_error, sniff_file
from core.db import datasets as datasets_db
from core.db import ingest as ingest_db
from core.db.database import Database
from core.db.datasets import DATASET_ROLES
from core.errors import IngestError, StoreError, is_disk_full
from core.names import MAX_NAME_LENGTH, clean_name
from core.progress import Progress, no_progress


@dataclass(frozen=True)
class IngestResult:
    """What a load stored (the new dataset and its shape) and how the file was read."""

    dataset_id: int
    name: str
    n_rows: int
    n_cols: int
    content_hash: str
    reader: str
    encoding: str | None
    delimiter: str | None
    messages: tuple[str, ...]
    seconds: float


def ingest_path(store: Database, project_id: int, path: str | Path, **kwargs: Any
                ) -> IngestResult:
    """Load a file the user named by its path on the server, all or nothing.

    Only files under the folders of WORKBENCH_DATA_DIRS are read (see
    :func:`core.config.check_server_path`: ``..`` and symlinks are resolved first, so
    ``/etc/shadow`` or ``/proc`` are refused with the path and the setting named, whatever
    page or script calls this). Keyword arguments are :func:`ingest_file`'s.
    """
    real = config.check_server_path(path)
    kwargs.setdefault("source", f"file {Path(path).name}")
    try:
        return ingest_file(store, project_id, real, **kwargs)
    except IngestError as exc:  # name the path as the user typed it, not its resolution
        if str(real) == str(path):
            raise
        raise IngestError(str(exc).replace(str(real), str(path)), exc.kind) from exc


def ingest_file(
    store: Database,
    project_id: int,
    path: str | Path,
    *,
    name: str,
    actor: str,
    role: str = "training",
    options: CsvOptions | None = None,
    note: str = "",
    source: str | None = None,
    progress: Progress = no_progress,
) -> IngestResult:
    """Load a CSV or Parquet file the caller holds (an upload's private copy, the
    command line's argument) as a new dataset, all or nothing; no allow-list check.

    Raises IngestError (a StoreError) with a message saying what to do; nothing is stored
    then. On a type-guess failure past DuckDB's sample, retries once sniffing the whole file.
    """
    if role not in DATASET_ROLES:
        raise StoreError(f"Unknown role {role!r}; use one of {', '.join(DATASET_ROLES)}.")
    name = clean_name(name, "dataset")
    t0 = time.perf_counter()
    progress(0.0, "Detecting format, encoding and delimiter")
    try:
        sniff = sniff_file(store, path, options)
    except OSError as exc:  # a repaired copy that did not fit in the temporary folder
        if not is_disk_full(exc):
            raise
        raise IngestError(
            f"{Path(path).name} was not loaded: the disk holding the temporary folder "
            f"{tempfile.gettempdir()} is full — free space and try again; nothing was stored.",
            "disk_full") from exc
    messages = list(sniff.messages)

    def load(opts: dict[str, Any]) -> int:
        return ingest_db.ingest_file(
            store,
            project_id,
            name,
            sniff.repaired_path or str(path),
            reader=sniff.reader,
            options=opts,
            columns=_renamed_columns(sniff),
            source=source or f"file {Path(path).name}",
            role=role,
            actor=actor,
            note=note,
            progress=lambda f: progress(0.05 + 0.9 * f, f"Loading rows ({f:.0%})"),
        )

    try:
        did, retried = _load_with_retry(sniff, load, progress)
    except IngestError as exc:  # name the user's file, not the repaired copy
        raise renamed_error(exc, sniff.repaired_path, Path(path).name) from exc
    finally:
        discard(sniff.repaired_path)
    if retried:
        messages.append(
            "Column types were guessed from the whole file (a value past "
            "the first rows did not fit the first guess)."
        )
    ds = datasets_db.require_dataset(store, did)
    progress(1.0, f"Loaded {ds.n_rows:,} rows and {ds.n_cols} columns")
    return IngestResult(
        did,
        ds.name,
        ds.n_rows,
        ds.n_cols,
        ds.content_hash,
        sniff.reader,
        sniff.encoding,
        sniff.delimiter,
        tuple(messages),
        time.perf_counter() - t0,
    )


def _load_with_retry(
    sniff: FileSniff, load: Callable[[dict[str, Any]], int], progress: Progress
) -> tuple[int, bool]:
    """The new dataset's id, and whether a late value that broke DuckDB's type guess made
    the load sniff the whole CSV file a second time."""
    try:
        return load(sniff.options), False
    except IngestError as exc:
        if exc.kind != "types" or sniff.reader != "csv":
            raise
    progress(0.05, "A late value broke the type guess; sniffing the whole file")
    return load({**sniff.options, "sample_size": -1}), True


def _renamed_columns(sniff: FileSniff) -> list[tuple[str, str]] | None:
    """(file name, dataset name) of a Parquet file's columns when cleaning renamed any
    (a CSV file is read with its clean names directly)."""
    if sniff.reader == "parquet" and sniff.names != sniff.raw_names:
        return list(zip(sniff.raw_names, sniff.names, strict=True))
    return None


def ingest_upload(
    store: Database,
    project_id: int,
    filename: str,
    data: BinaryIO | bytes,
    **kwargs: Any,
) -> IngestResult:
    """Ingest an uploaded file: copied to a temporary file first, which is removed after.

    The copy keeps the upload's file name (so its suffix, e.g. ``.csv.gz``, too) in a
    private folder, and every message names the uploaded file, never the copy.
    """
    return ingest_saved_upload(store, project_id, filename, save_upload(filename, data), **kwargs)


def save_upload(filename: str, data: BinaryIO | bytes) -> Path:
    """The upload copied under its own name into a private temporary folder (its size
    checked first); :func:`ingest_saved_upload` loads it and removes the folder."""
    shown = upload_name(filename)
    check_upload_size(filename, _size(data))
    folder = Path(tempfile.mkdtemp(prefix="workbench_upload_"))
    path = folder / shown
    try:
        with open(path, "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                data.seek(0)
                shutil.copyfileobj(data, fh, length=1 << 20)
    except OSError as exc:  # e.g. the temporary folder's disk is full
        shutil.rmtree(folder, ignore_errors=True)
        if is_disk_full(exc):
            raise IngestError(
                f"{shown} was not loaded: the disk holding the temporary folder {folder.parent} "
                "is full — free space and try again; nothing was stored.", "disk_full") from exc
        raise IngestError(f"{shown} could not be saved for loading ({exc.strerror or exc}); "
                          "nothing was stored. Try again.") from exc
    except BaseException:  # e.g. the page was left while a large upload was being copied
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


def ingest_saved_upload(
    store: Database, project_id: int, filename: str, path: Path, **kwargs: Any
) -> IngestResult:
    """Load an upload saved by :func:`save_upload` (messages name ``filename``, never the
    copy), then remove the copy's folder whatever happened."""
    kwargs.setdefault("source", f"upload {filename}")
    try:
        return ingest_file(store, project_id, path, **kwargs)
    except IngestError as exc:
        raise renamed_error(exc, path, upload_name(filename)) from exc
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def _size(data: BinaryIO | bytes) -> int:
    if isinstance(data, bytes | bytearray | memoryview):
        return len(data)
    size = getattr(data, "size", None)
    if isinstance(size, int):
        return size
    here = data.tell()
    end = data.seek(0, 2)
    data.seek(here)
    return end


def check_upload_size(filename: str, n_bytes: int) -> None:
    """IngestError naming the file, its size and WORKBENCH_MAX_UPLOAD_MB when it is larger.

    >>> check_upload_size("big.csv", 10 ** 12)
    Traceback (most recent call last):
    ...
    core.errors.IngestError: big.csv is 953674 MB, more than the 5000 MB an upload may hold (WORKBENCH_MAX_UPLOAD_MB). Split the file, or ask whoever runs the workbench to raise the limit.
    """
    limit = config.max_upload_mb()
    if n_bytes > limit * (1 << 20):
        raise IngestError(
            f"{upload_name(filename)} is {n_bytes / (1 << 20):.0f} MB, more than the {limit} MB "
            "an upload may hold (WORKBENCH_MAX_UPLOAD_MB). Split the file, or ask whoever "
            "runs the workbench to raise the limit.",
            "too_large",
        )


def upload_name(filename: str) -> str:
    """The uploaded file's own name, safe to use as a file name in a private folder.

    >>> upload_name("reports/sales 2025.csv.gz"), upload_name("../x.csv"), upload_name("")
    ('sales 2025.csv.gz', 'x.csv', 'upload.csv')
    """
    name = Path(str(filename).replace("\\", "/")).name.strip()
    name = "".join(ch if ch.isprintable() else "_" for ch in name)
    return name if name not in ("", ".", "..") else "upload.csv"


def default_name(filename: str) -> str:
    """A dataset name from a file name: its stem without suffixes.

    >>> default_name("claims 2025.csv.gz")
    'claims 2025'
    """
    name = Path(filename).name
    for suffix in reversed(Path(filename).suffixes):
        name = name.removesuffix(suffix)
    name = " ".join(name.split())[:MAX_NAME_LENGTH].strip()  # a name must fit clean_name
    return name or "dataset"
