"""File ingest: CSV/Parquet read by DuckDB straight into a dataset table (sniffing,
schema, progress), with read errors turned into sentences that say what to do."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from core.db import datasets as datasets_db
from core.db.database import Database, qident
from core.errors import DiskFullError, IngestError, StoreError, is_disk_full


def _ingest_kind(exc: Exception) -> str:
    text = str(exc)
    if "Maximum line size" in text:
        return "line_size"
    if is_disk_full(exc):
        return "disk_full"
    if "Invalid unicode" in text or "not utf-8 encoded" in text:
        return "encoding"
    if "Could not convert" in text or "Error when converting" in text:
        return "types"
    if "Expected Number of Columns" in text or "too many columns" in text.lower():
        return "columns"
    if "Error when sniffing file" in text:
        return "dialect"
    if "gzip" in text.lower():
        return "compression"
    if "No files found" in text or "No such file" in text or "Cannot open file" in text:
        return "missing"
    if "Parquet" in text or "parquet" in text:
        return "parquet"
    return "other"


def _ingest_error(exc: Exception, path: str | Path, options: dict[str, Any] | None) -> IngestError:
    """A DuckDB read error as an IngestError whose message says what to do."""
    return IngestError(_ingest_message(exc, path, (options or {}).get("encoding")),
                       _ingest_kind(exc))


def _ingest_message(exc: Exception, path: str | Path, encoding: str | None = None) -> str:
    """A DuckDB read error as a sentence that says what to do."""

    text = str(exc)
    line = re.search(r"on Line: (\d+)", text)
    where = f"Line {line.group(1)}" if line else "A line"
    name = Path(path).name
    kind = _ingest_kind(exc)
    if kind == "encoding":
        enc = encoding or "utf-8"
        return (f"{where} of {name} is not valid {enc}: the file is in another encoding or mixes "
                "encodings. Choose the encoding by hand (latin-1 reads any byte; 'mixed' repairs "
                "line by line) and load again.")
    if kind == "disk_full":
        return (f"The disk ran out of space while loading {name}, so nothing was stored. Free "
                "space on the disk that holds the database (WORKBENCH_DB) and its temporary "
                "files, or load a smaller file.")
    if kind == "line_size":
        return (f"{where} of {name} is longer than 2 MB (a file without line breaks, or a "
                "quote that is never closed), so it cannot be read as CSV. Check the file's "
                "line breaks and quotes, or save it as Parquet.")
    if kind == "columns":
        return (f"{where} of {name} has a different number of fields than the header: the "
                "delimiter may be wrong or a quoted field is broken. Pick the delimiter by hand "
                "and check the quoting of that line.")
    if kind == "types":
        return (f"{where} of {name} holds a value that does not fit the column type guessed from "
                "the first rows. The workbench retries reading the whole file to guess types; "
                "if this persists, load every column as text.")
    if kind == "missing":
        return f"The file {path} cannot be found or read. Check the path and its permissions."
    if kind == "dialect":
        return (f"{name} cannot be read as CSV with these settings: its lines have different "
                "numbers of fields or broken quotes. Check the delimiter and the encoding.")
    if kind == "compression":
        return (f"{name} cannot be decompressed as gzip ({text.splitlines()[0]}). Compress "
                "the CSV file again with gzip, or load it uncompressed.")
    if kind == "parquet":
        return (f"{name} is not a readable Parquet file ({text.splitlines()[0]}). Check that it "
                "is Parquet, or load it as CSV.")
    return f"{name} could not be loaded: {text.splitlines()[0]}"


_CSV_OPTIONS = ("delim", "quote", "escape", "encoding", "header", "names", "sample_size",
                    "all_varchar", "null_padding", "strict_mode", "compression",
                    "decimal_separator")


def _reader_sql(path: str | Path, reader: str, options: dict[str, Any] | None
                ) -> tuple[str, list[Any]]:
    """``read_csv(?, opt = ?, ...)`` or ``read_parquet(?)``; option names are whitelisted."""
    options = options or {}
    if reader == "parquet":
        return "read_parquet(?)", [str(path)]
    if reader != "csv":
        raise StoreError(f"Unknown file format {reader!r}; use csv or parquet.")
    keys = [k for k in _CSV_OPTIONS if options.get(k) is not None]
    sql = "read_csv(?" + "".join(f", {k} = ?" for k in keys) + ")"
    return sql, [str(path), *(options[k] for k in keys)]


@dataclass(frozen=True)
class CsvDialect:
    """What DuckDB's CSV sniffer found: delimiter, quote, escape, header, columns."""

    delimiter: str
    quote: str | None
    escape: str | None
    header: bool
    columns: list[tuple[str, str]]  # (name, DuckDB type)


def sniff_csv(db: Database, path: str | Path, options: dict[str, Any] | None = None) -> CsvDialect:
    """DuckDB's CSV sniffer: delimiter, quote, escape, header and column names/types."""
    options = {k: v for k, v in (options or {}).items() if k in _CSV_OPTIONS and k != "names"}
    sql, params = _reader_sql(path, "csv", options)
    try:
        rows = db.rows(
            "SELECT Delimiter, Quote, Escape, HasHeader, Columns FROM sniff_"
            + sql.removeprefix("read_"),  # sniff_csv takes read_csv's options
            params,
        )
    except duckdb.Error as exc:
        raise _ingest_error(exc, path, options) from exc
    delim, quote, escape, header, columns = rows[0]
    return CsvDialect(delim, quote, escape, bool(header),
                      [(c["name"], c["type"]) for c in columns])


def file_schema(db: Database, path: str | Path, reader: str, options: dict[str, Any] | None = None
                ) -> list[tuple[str, str]]:
    """Column names and DuckDB types of a CSV or Parquet file as it would be loaded."""
    sql, params = _reader_sql(path, reader, options)
    try:
        rows = db.rows(f"DESCRIBE SELECT * FROM {sql}", params)
    except duckdb.Error as exc:
        raise _ingest_error(exc, path, options) from exc
    return [(r[0], r[1]) for r in rows]


def _execute_with_progress(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any],
                           progress: Callable[[float], object] | None) -> None:
    """Run one statement; with ``progress``, report DuckDB's own progress (0..1) meanwhile.

    The statement runs in a worker thread while this thread polls ``query_progress``, so
    the callback (e.g. a Streamlit progress bar) is called from the caller's thread.
    """
    if progress is None:
        cur.execute(sql, params)
        return
    cur.execute("SET enable_progress_bar = true")
    cur.execute("SET enable_progress_bar_print = false")
    failure: list[BaseException] = []

    def run() -> None:
        try:
            cur.execute(sql, params)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="workbench-ingest", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.25)
            try:
                done = cur.query_progress()
            except duckdb.Error:
                done = -1
            if done >= 0:
                progress(min(float(done), 100.0) / 100.0)
    except BaseException:  # e.g. the page was stopped: stop the query before rolling back
        cur.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]


def ingest_file(db: Database, project_id: int,
    name: str,
    path: str | Path,
    *,
    reader: str,
    options: dict[str, Any] | None = None,
    columns: list[tuple[str, str]] | None = None,
    source: str,
    role: str,
    actor: str,
    note: str = "",
    progress: Callable[[float], object] | None = None,
) -> int:
    """Load a CSV or Parquet file into a new dataset with one ``CREATE TABLE AS``.

    The rows never pass through Python. ``columns`` optionally selects and renames
    (source name, new name). A file without data rows, or any read error, rolls back the
    whole transaction: no table and no catalog row remain.
    """
    sql, params = _reader_sql(path, reader, options)
    select = (
        ", ".join(f"{qident(src)} AS {qident(dst)}" for src, dst in columns) if columns else "*"
    )

    def create(cur: duckdb.DuckDBPyConnection, table: str) -> None:
        try:
            _execute_with_progress(
                cur, f"CREATE TABLE {qident(table)} AS SELECT {select} FROM {sql}", params,
                progress,
            )
        except duckdb.Error as exc:
            if is_disk_full(exc):
                raise  # Database.write says it in words, naming the database
            raise _ingest_error(exc, path, options) from exc
        if not cur.execute(f"SELECT 1 FROM {qident(table)} LIMIT 1").fetchall():
            raise IngestError(
                f"{Path(path).name} has a header but no data rows, so nothing was stored. "
                "Export the data again with its rows.", "no_rows")

    try:
        return datasets_db._create_dataset(db,
            project_id, name, create, source=source, role=role, actor=actor, note=note,
            detail={"file": Path(path).name, "reader": reader},
        )
    except DiskFullError as exc:  # the table or the commit did not fit on the disk
        give_back_space(db)
        text = str(exc)
        raise IngestError(f"{Path(path).name} was not loaded: {text[:1].lower()}{text[1:]}",
                          "disk_full") from exc
    except duckdb.Error as exc:
        error = _ingest_error(exc, path, options)
        give_back_space(db)
        raise error from exc
    except BaseException:
        give_back_space(db)
        raise


def give_back_space(db: Database) -> None:
    """After a failed load: truncate the blocks its table had written from the file.

    A load that fails late has already written most of its table's blocks to the file; the
    rollback frees them, but the file keeps its size, and a checkpoint of a database with
    no change since the last one is skipped. So when blocks are free, one transaction
    creates and drops an empty table (a change that leaves nothing behind), and the
    checkpoint after it truncates the free blocks at the file's end and records the rest
    as free for the next write (measured in ``tests/core/test_ingest_space.py``: 2.1 MB
    stays 2.1 MB after a 2M-row load fails at its last line, where it was 12.3 MB). Best
    effort, never masking the load's own error: a full disk or another session's open
    transaction may refuse it; the freed blocks are then reused by the next write.
    """
    try:
        with db.lock, db.cursor() as cur:
            (free,) = cur.execute("SELECT free_blocks FROM pragma_database_size()").fetchall()[0]
            if not free:
                return
            cur.begin()
            cur.execute("CREATE TABLE __workbench_reclaim (x INTEGER)")
            cur.execute("DROP TABLE __workbench_reclaim")
            cur.commit()
            cur.execute("CHECKPOINT")
    except duckdb.Error:
        pass
