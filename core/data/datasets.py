"""Datasets: ingest CSV/Parquet straight into DuckDB, clean column names, detect column types.

DESIGN
------
* Rows never pass through pandas on ingest: DuckDB's ``read_csv``/``read_parquet`` fill the
  dataset table in one ``CREATE TABLE AS`` inside the catalog transaction (see
  ``core.db.ingest.ingest_file``), so a file larger than memory loads and a failed load leaves nothing.
* DuckDB's sniffer guesses delimiter, quote, header and types; the workbench adds what it
  does not check: the encoding (BOM, UTF-8 validity, lines that mix encodings), a second
  opinion on a one-column result (a wrong delimiter), and column names that would break
  later stages (empty, duplicate ignoring case, ``rowid``) are renamed with a message.
* A column's type is detected from the one-pass profile with the rule that decided it; the
  user's override is stored per dataset and column and wins.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from core.db import data as data_db
from core.db import datasets as datasets_db
from core.db import ingest as ingest_db
from core.db import scans as scans_db
from core.db import splits as splits_db
from core.db.database import Database
from core.db.datasets import DATASET_ROLES, ROW_ID
from core.errors import IngestError, StoreError

Progress = Callable[[float, str], None]

COLUMN_TYPES = (
    "numeric",
    "categorical",
    "boolean",
    "text",
    "datetime",
    "identifier",
    "target",
    "image",
)
UNSTRUCTURED = ("text", "image")
ENCODINGS = ("auto", "utf-8", "latin-1", "utf-16", "mixed")
DELIMITERS = {
    "auto": None,
    "comma ,": ",",
    "semicolon ;": ";",
    "tab": "\t",
    "pipe |": "|",
}
TARGET_NAMES = ("target", "label", "y", "class", "outcome", "churn")
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
# names a dataset column must not take: DuckDB's rowid would shadow the row identity, and
# split frames add these columns
RESERVED_NAMES = ("rowid", ROW_ID, "__part", "__ladder")


def _no_progress(fraction: float, message: str) -> None:
    pass


@dataclass(frozen=True)
class CsvOptions:
    """The user's overrides of the sniffer; None (or "auto") means detect."""

    delimiter: str | None = None
    encoding: str | None = None
    header: bool | None = None


@dataclass(frozen=True)
class IngestResult:
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


@dataclass(frozen=True)
class FileSniff:
    """What the workbench would do with a file, before loading it."""

    reader: str
    encoding: str | None
    delimiter: str | None
    header: bool | None
    raw_names: tuple[str, ...]
    names: tuple[str, ...]
    messages: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    repaired_path: str | None = None


# ------------------------------------------------------------------ column names
def clean_column_names(raw: list[str | None]) -> tuple[list[str], list[str]]:
    """Names every later stage can use, and one message per rename.

    Quotes, spaces, SQL keywords and non-ASCII letters are kept (names are always quoted);
    empty names, names equal ignoring case (DuckDB's names are case-insensitive), control
    characters and reserved names are renamed.

    Examples
    --------
    >>> clean_column_names(["a", "A", "", " b ", "select", "rowid", 'x "q"'])[0]
    ['a', 'A_2', 'column_3', 'b', 'select', 'rowid_', 'x "q"']
    """
    names: list[str] = []
    messages: list[str] = []
    seen: set[str] = set()
    for i, r in enumerate(raw, start=1):
        orig = "" if r is None else str(r)
        name = unicodedata.normalize("NFC", orig)
        name = "".join(ch if ch.isprintable() else " " for ch in name).strip()
        why = ""
        if not name:
            name, why = f"column_{i}", "had no name"
        elif name.lower() in RESERVED_NAMES:
            name, why = f"{name}_", "has a name the workbench reserves for row identity"
        elif name != orig:
            why = "had surrounding spaces or control characters"
        base, k = name, 2
        while name.lower() in seen:
            name, k = f"{base}_{k}", k + 1
            why = f"repeats the name {base!r} (names are compared ignoring case)"
        seen.add(name.lower())
        names.append(name)
        if why:
            messages.append(f"Column {i} {why}: it is called {name!r}.")
    return names, messages


# ------------------------------------------------------------------ encodings
def detect_encoding(path: str | Path, sample_bytes: int = 1 << 20) -> tuple[str, str]:
    """The encoding of a text file's first ``sample_bytes`` and why.

    ``mixed`` means some lines are valid UTF-8 with non-ASCII letters and others are not
    (typically UTF-8 and Windows-1252 concatenated).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "f.csv")
    >>> _ = open(p, "wb").write("a\\nMünchen\\n".encode("latin-1"))
    >>> detect_encoding(p)[0]
    'latin-1'
    """
    with open(path, "rb") as fh:
        raw = fh.read(sample_bytes)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "the file starts with a UTF-16 byte-order mark"
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", "the file starts with a UTF-8 byte-order mark"
    if len(raw) == sample_bytes:  # do not judge a character cut at the sample's end
        raw = raw[: raw.rfind(b"\n") + 1] or raw
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", "the first lines are valid UTF-8"
    good = bad = 0
    for line in raw.splitlines():
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    if good and bad:
        return (
            "mixed",
            f"{good} line(s) are UTF-8 and {bad} are not: the file mixes encodings",
        )
    return "latin-1", "the first lines are not valid UTF-8; read as Latin-1"


def repair_mixed_encoding(src: str | Path, dst: str | Path) -> int:
    """Copy ``src`` to ``dst`` as UTF-8, decoding each line that is not UTF-8 as
    Windows-1252; returns how many lines were converted (a streaming pass, any size)."""
    fixed = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for line in fin:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                line = line.decode("cp1252", errors="replace").encode("utf-8")
                fixed += 1
            fout.write(line)
    return fixed


# ------------------------------------------------------------------ ingest
def file_reader(path: str | Path) -> str:
    """``csv`` or ``parquet`` from the file's first bytes and suffix; clear errors otherwise."""
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"The file {p} cannot be found. Check the path.", "missing")
    size = p.stat().st_size
    if size == 0:
        raise IngestError(f"{p.name} is empty (0 bytes): there is nothing to load.", "empty")
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        raise IngestError(
            f"{p.name} is a zip or Excel file. Save it as CSV or Parquet first.",
            "format",
        )
    if p.suffix.lower() in PARQUET_SUFFIXES:
        raise IngestError(f"{p.name} is named .parquet but is not a Parquet file.", "parquet")
    with open(p, "rb") as fh:
        if not fh.read(1 << 16).strip() and size <= 1 << 16:
            raise IngestError(
                f"{p.name} holds only blank lines: there is nothing to load.", "empty"
            )
    return "csv"


def _first_lines(path: str | Path, encoding: str, n: int = 20) -> list[str]:
    codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, "latin-1")
    with open(path, "rb") as fh:
        text = fh.read(1 << 18 if n <= 100 else 1 << 22).decode(codec, errors="replace")
    return text.splitlines()[:n]


def _raw_header(lines: list[str], delimiter: str, quote: str | None) -> list[str]:
    if not lines:
        return []
    q = quote if quote and len(quote) == 1 else '"'
    reader = csv.reader(io.StringIO(lines[0]), delimiter=delimiter, quotechar=q)
    return next(reader, [])


def _ragged_line(lines: list[str], delimiter: str) -> tuple[int, int, int] | None:
    """(line number, fields, header fields) of the first line that disagrees with the header.

    >>> _ragged_line(["a,b", "1,2", "3,4,5"], ",")
    (3, 3, 2)
    """
    rows = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    expected = None
    for i, row in enumerate(rows, start=1):
        if not row:
            continue
        if expected is None:
            expected = len(row)
        elif len(row) != expected:
            return i, len(row), expected
    return None


def _likely_delimiter(lines: list[str], exclude: str | None) -> tuple[str, bool] | None:
    """A delimiter found in most sampled lines, and whether every line has as many of it."""
    lines = [ln for ln in lines if ln.strip()]
    for cand in (";", "\t", "|", ","):
        if cand == exclude or not lines:
            continue
        counts = [ln.count(cand) for ln in lines]
        if sum(c >= 1 for c in counts) >= 0.8 * len(lines):
            return cand, len(set(counts)) == 1
    return None


def sniff_file(store: Database, path: str | Path, options: CsvOptions | None = None) -> FileSniff:
    """Detect format, encoding, delimiter, header and the (cleaned) column names.

    Raises IngestError with what to do for an empty file, a wrong delimiter, an unreadable
    encoding or a file that is not CSV/Parquet.
    """
    options = options or CsvOptions()
    reader = file_reader(path)
    if reader == "parquet":
        schema = ingest_db.file_schema(store, path, "parquet")
        raw = [c for c, _ in schema]
        names, messages = clean_column_names(raw)
        return FileSniff("parquet", None, None, None, tuple(raw), tuple(names), tuple(messages))
    messages: list[str] = []
    encoding = options.encoding if options.encoding not in (None, "auto") else None
    if encoding is None:
        encoding, why = detect_encoding(path)
        if encoding != "utf-8":
            messages.append(f"Encoding {encoding}: {why}.")
    read_path, repaired = str(path), None
    if encoding == "mixed":
        fd, tmp_name = tempfile.mkstemp(prefix="workbench_", suffix=".csv")
        os.close(fd)
        n_fixed = repair_mixed_encoding(path, tmp_name)
        read_path = repaired = tmp_name
        encoding = "utf-8"
        messages.append(f"{n_fixed} line(s) that were not UTF-8 were read as Windows-1252.")
    sniff_opts: dict[str, Any] = {"encoding": encoding}
    if options.delimiter:
        sniff_opts["delim"] = options.delimiter
    if options.header is not None:
        sniff_opts["header"] = options.header
    try:
        sniffed = ingest_db.sniff_csv(store, read_path, sniff_opts)
    except IngestError as exc:
        _discard(repaired)
        if exc.kind == "dialect" and options.delimiter:
            bad = _ragged_line(_first_lines(path, encoding, 20_000), options.delimiter)
            if bad is not None:
                line, n, expected = bad
                raise IngestError(
                    f"Line {line} of {Path(path).name} has {n} fields where the header has "
                    f"{expected} (delimiter {options.delimiter!r}). Fix that line (a missing "
                    "or extra delimiter, or a broken quote) or choose another delimiter.",
                    "columns",
                ) from exc
        raise
    delim = options.delimiter or sniffed["delim"]
    header = sniffed["header"] if options.header is None else options.header
    lines = _first_lines(read_path, encoding)
    if len(sniffed["columns"]) == 1:
        found = _likely_delimiter(lines[:20], delim)
        if found is not None:
            _discard(repaired)
            other, regular = found
            shown = {"\t": "tab"}.get(other, repr(other))
            ragged = (
                ""
                if regular
                else (
                    " Some lines hold a different number of them: with that delimiter the message "
                    "will name the broken line."
                )
            )
            used = (
                f"With the delimiter {delim!r}"
                if options.delimiter
                else "No delimiter splits the lines evenly, so"
            )
            raise IngestError(
                f"{used} every line is a single field, but the lines contain {shown}: the "
                f"delimiter is probably {shown}. Choose it and load again.{ragged}",
                "delimiter",
            )
        messages.append(
            "The file has a single column: a model needs inputs and a target, so "
            "check that this is the file you meant."
        )
    raw = _raw_header(lines, delim, sniffed["quote"]) if header else []
    if len(raw) != len(sniffed["columns"]):
        raw = [c for c, _ in sniffed["columns"]] if header else [""] * len(sniffed["columns"])
    if not header:
        messages.append(
            "No header row was found, so columns are numbered; choose 'first row "
            "is the header' if that is wrong."
        )
    if header:
        names, renames = clean_column_names(raw)
        messages += renames
    else:
        names = [f"column_{i}" for i in range(1, len(raw) + 1)]
    load_opts = {
        "delim": delim,
        "encoding": encoding,
        "header": bool(header),
        "names": names,
    }
    return FileSniff(
        "csv",
        encoding,
        delim,
        bool(header),
        tuple(raw),
        tuple(names),
        tuple(messages),
        load_opts,
        repaired,
    )


def _discard(path: str | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


def preview(store: Database, path: str | Path, sniff: FileSniff, limit: int = 20) -> pd.DataFrame:
    """The first rows as they would be loaded (a small frame for display)."""
    read_path = sniff.repaired_path or str(path)
    frame = ingest_db.preview_file(store, read_path, sniff.reader, sniff.options, limit)
    frame.columns = list(sniff.names)
    return frame


def ingest_path(
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
    progress: Progress = _no_progress,
) -> IngestResult:
    """Load a CSV or Parquet file as a new dataset, all or nothing.

    Raises IngestError (a StoreError) with a message saying what to do; nothing is stored
    then. On a type-guess failure past DuckDB's sample, retries once sniffing the whole file.
    """
    if role not in DATASET_ROLES:
        raise StoreError(f"Unknown role {role!r}; use one of {', '.join(DATASET_ROLES)}.")
    t0 = time.perf_counter()
    progress(0.0, "Detecting format, encoding and delimiter")
    sniff = sniff_file(store, path, options)
    messages = list(sniff.messages)
    read_path = sniff.repaired_path or str(path)
    source = source or f"file {Path(path).name}"

    def load(opts: dict[str, Any]) -> int:
        columns = None
        if sniff.reader == "parquet" and sniff.names != sniff.raw_names:
            columns = list(zip(sniff.raw_names, sniff.names, strict=True))
        return ingest_db.ingest_file(
            store, project_id,
            name,
            read_path,
            reader=sniff.reader,
            options=opts,
            columns=columns,
            source=source,
            role=role,
            actor=actor,
            note=note,
            progress=lambda f: progress(0.05 + 0.9 * f, f"Loading rows ({f:.0%})"),
        )

    try:
        try:
            did = load(sniff.options)
        except IngestError as exc:
            if exc.kind == "types" and sniff.reader == "csv":
                progress(0.05, "A late value broke the type guess; sniffing the whole file")
                did = load({**sniff.options, "sample_size": -1})
                messages.append(
                    "Column types were guessed from the whole file (a value past "
                    "the first rows did not fit the first guess)."
                )
            else:
                raise
    finally:
        _discard(sniff.repaired_path)
    ds = datasets_db.get_dataset(store, did)
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


def ingest_upload(
    store: Database,
    project_id: int,
    filename: str,
    data: BinaryIO | bytes,
    **kwargs: Any,
) -> IngestResult:
    """Ingest an uploaded file: copied to a temporary file first, which is removed after."""
    suffix = "".join(Path(filename).suffixes[-2:]) or ".csv"
    with tempfile.TemporaryDirectory(prefix="workbench_upload_") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        with open(path, "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            else:
                data.seek(0)
                shutil.copyfileobj(data, fh, length=1 << 20)
        kwargs.setdefault("source", f"upload {filename}")
        return ingest_path(store, project_id, path, **kwargs)


def default_name(filename: str) -> str:
    """A dataset name from a file name: its stem without suffixes.

    >>> default_name("claims 2025.csv.gz")
    'claims 2025'
    """
    name = Path(filename).name
    for suffix in reversed(Path(filename).suffixes):
        name = name.removesuffix(suffix)
    return name.strip() or "dataset"


# ------------------------------------------------------------------ column types
@dataclass(frozen=True)
class ColumnType:
    column: str
    dtype: str
    detected: str
    rule: str
    override: str | None = None
    range_low: float | None = None
    range_high: float | None = None

    @property
    def type(self) -> str:
        return self.override or self.detected

    @property
    def structured(self) -> bool:
        return self.type not in UNSTRUCTURED


_ID_NAME = re.compile(r"(^|[_\s.-])(id|uuid|guid|key|code)$|^id[_\s.-]|Id$", re.IGNORECASE)
_NUMERIC_ELEMENT = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|FLOAT|DOUBLE|"
    r"DECIMAL.*)\[\d*\]$"
)


def _pct(x: float) -> str:
    if 0 < x < 0.01:
        return "<1%"
    return f"{x:.0%}" if x < 0.995 or x == 1 else f"{x:.1%}"


def detect_type(p: dict[str, Any], is_target: bool = False) -> tuple[str, str]:
    """The type of one column from its profile row, and the rule that decided it.

    Examples
    --------
    >>> detect_type({"column": "zip", "kind": "string", "dtype": "VARCHAR", "n": 4, "nn": 4,
    ...              "distinct": 2, "n_bool_like": 4, "min": "no", "max": "yes"})
    ('boolean', "2 distinct values, both yes/no words ('no', 'yes')")
    """
    col, kind, nn = p["column"], p["kind"], int(p.get("nn") or 0)
    distinct = min(int(p.get("distinct") or 0), nn)
    ratio = distinct / nn if nn else 0.0
    if is_target:
        return "target", f"the name {col!r} is a usual name for the value to predict"
    if nn == 0:
        t = "numeric" if kind in ("integer", "float") else "categorical"
        return t, "every value is missing (a candidate to drop)"
    if kind == "list":
        if _NUMERIC_ELEMENT.match(p["dtype"].upper()):
            size = (
                f"{int(p['len_min'])} numbers"
                if p.get("len_min") == p.get("len_max")
                else "a list of numbers"
            )
            return "image", f"each value is {size} (pixel values): an image"
        return "text", "each value is a list of items"
    if kind == "other":
        if p["dtype"].upper() == "BLOB":
            return "image", "binary values (pictures or files)"
        return "text", f"nested values ({p['dtype']})"
    if kind == "boolean":
        return "boolean", "stored as true/false"
    if distinct <= 2 and kind == "integer" and {p.get("min"), p.get("max")} <= {"0", "1"}:
        return "boolean", "2 distinct values, 0 and 1"
    if kind == "string" and distinct <= 2 and int(p.get("n_bool_like") or 0) == nn:
        return (
            "boolean",
            f"2 distinct values, both yes/no words ({p['min']!r}, {p['max']!r})",
        )
    if kind == "datetime":
        return "datetime", "stored as a date/time"
    if kind == "string" and int(p.get("n_datetime_like") or 0) >= 0.95 * nn:
        share = int(p["n_datetime_like"]) / nn
        return "datetime", f"{_pct(share)} of the values parse as dates/times"
    if _ID_NAME.search(col) and kind in ("integer", "string"):
        if ratio >= 0.9:
            return (
                "identifier",
                f"the name looks like an ID and {_pct(ratio)} of values are distinct",
            )
        if distinct >= 1000:
            return (
                "identifier",
                f"the name looks like an ID with {distinct:,} distinct values (a key)",
            )
    # an approximate distinct count (big tables) is within a few percent
    all_distinct = distinct == nn if p.get("distinct_exact", True) else ratio >= 0.97
    if kind == "integer" and nn >= 20 and all_distinct:
        lo, hi = float(p.get("min_num") or 0), float(p.get("max_num") or 0)
        if hi - lo + 1 == nn:
            return (
                "identifier",
                f"consecutive integers {lo:,.0f}..{hi:,.0f}, all distinct: a row number",
            )
    if kind in ("integer", "float"):
        return "numeric", f"stored as numbers ({distinct:,} distinct values)"
    # text columns from here on
    numeric_like = int(p.get("n_numeric_like") or 0)
    if numeric_like >= 0.95 * nn:
        return (
            "numeric",
            f"stored as text, but {_pct(numeric_like / nn)} of values parse as numbers",
        )
    words, length = float(p.get("words_avg") or 0), float(p.get("len_avg") or 0)
    if (words >= 3 or length >= 30) and ratio >= 0.3:
        return (
            "text",
            f"free text: on average {words:.1f} words and {length:.0f} characters",
        )
    if nn >= 20 and ratio >= 0.95 and words < 2:
        return "identifier", f"{_pct(ratio)} of the short values are distinct: an ID"
    return "categorical", f"{distinct:,} distinct values ({_pct(ratio)} of rows)"


def detect_column_types(profile: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(column, type, rule) for every profiled column; at most one target (by name)."""
    lower = {c.lower(): c for c in profile["column"]}
    target = next((lower[t] for t in TARGET_NAMES if t in lower), None)
    return [
        (p["column"], *detect_type(p, is_target=p["column"] == target))
        for p in profile.to_dict("records")
    ]


def column_types(
    store: Database,
    dataset_id: int,
    actor: str = "workbench",
    profile: pd.DataFrame | None = None,
) -> list[ColumnType]:
    """The stored types of a dataset's columns, detected (and stored) on first use."""
    schema = datasets_db.dataset_schema(store, dataset_id)
    stored = data_db.list_column_types(store, dataset_id)
    if set(stored["column_name"]) != {c for c, _ in schema}:
        if profile is None:
            profile = scans_db.column_profile(store, dataset_id)
        data_db.save_detected_types(store, dataset_id, detect_column_types(profile), actor)
        stored = data_db.list_column_types(store, dataset_id)
    dtypes = dict(schema)
    return [
        ColumnType(
            r["column_name"],
            dtypes[r["column_name"]],
            r["detected"],
            r["rule"],
            _none(r["override"]),
            _none(r["range_low"]),
            _none(r["range_high"]),
        )
        for r in stored.to_dict("records")
    ]


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v


def column_types_frame(types: list[ColumnType]) -> pd.DataFrame:
    """The editable table of the Columns tab: one row per column."""
    return pd.DataFrame(
        [
            {
                "column": t.column,
                "stored as": t.dtype,
                "detected": t.detected,
                "rule": t.rule,
                "type": t.type,
                "low": t.range_low,
                "high": t.range_high,
                "structure": "structured" if t.structured else "unstructured",
            }
            for t in types
        ]
    )


def save_column_settings(store: Database, dataset_id: int, edited: pd.DataFrame, actor: str) -> int:
    """Store the edited types and stated ranges (the ``column_types_frame`` layout).

    A type equal to the detected one clears the override. Returns the number of changed
    columns. Raises StoreError for an unknown type, low > high, or more than one target.
    """
    current = {t.column: t for t in column_types(store, dataset_id, actor)}
    changes, targets = [], []
    for row in edited.to_dict("records"):
        col = row["column"]
        t = current.get(col)
        if t is None:
            raise StoreError(f"Unknown column {col!r}.")
        kind = _none(row.get("type")) or t.detected
        if kind not in COLUMN_TYPES:
            raise StoreError(
                f"{kind!r} is not a column type; use one of {', '.join(COLUMN_TYPES)}."
            )
        low, high = _none(row.get("low")), _none(row.get("high"))
        low = None if low is None else float(low)
        high = None if high is None else float(high)
        if low is not None and high is not None and low > high:
            raise StoreError(f"The stated range of {col!r} is empty: low {low:g} > high {high:g}.")
        if kind == "target":
            targets.append(col)
        override = None if kind == t.detected else kind
        if (override, low, high) != (t.override, t.range_low, t.range_high):
            changes.append(
                {
                    "column": col,
                    "override": override,
                    "range_low": low,
                    "range_high": high,
                }
            )
    if len(targets) > 1:
        raise StoreError(
            f"Only one column can be the target; {', '.join(map(repr, targets))} "
            "are all marked as target."
        )
    if changes:
        data_db.set_column_settings(store, dataset_id, changes, actor)
    return len(changes)


def target_column(store: Database, dataset_id: int) -> str | None:
    """The dataset's target column as stored (override or detected), if any."""
    return next((t.column for t in column_types(store, dataset_id) if t.type == "target"), None)


def data_step(store: Database, project_id: int) -> tuple[str, str, str]:
    """The lifecycle's Data step: (status, evidence, next action) from what is stored.

    Done once a training dataset has a stored split; quality reports are counted as evidence.
    """
    roles = datasets_db.count_datasets(store, project_id)
    n_data = sum(roles.values())
    if not n_data:
        return (
            "not started",
            "No dataset yet.",
            "Load a CSV, Parquet or sample dataset.",
        )
    if not roles.get("training"):
        return (
            "in progress",
            f"{n_data} dataset(s), none for training.",
            "Load or mark a training dataset.",
        )
    checked = data_db.count_quality_reports(store, project_id)
    n_splits = len(splits_db.list_splits(store, project_id))
    quality = f"quality checked for {checked}" if checked else "no quality report yet"
    evidence = (
        f"{n_data} dataset(s), {roles['training']} for training; {quality}; "
        f"{n_splits} split(s)."
    )
    if n_splits:
        return "done", evidence, "Train a model on the split."
    if not checked:
        return (
            "in progress",
            evidence,
            "Check the training data's quality, then design a split.",
        )
    return "in progress", evidence, "Design a train/dev/test split."
