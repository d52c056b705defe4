"""Sniffing a file before it is loaded: format, encoding, delimiter, header, column names.

DESIGN
------
* DuckDB's sniffer guesses delimiter, quote, header and types; the workbench adds what it
  does not check: the encoding (BOM, UTF-8 validity, lines that mix encodings), a second
  opinion on a one-column result (a wrong delimiter), and column names that would break
  later stages (empty, duplicate ignoring case, ``rowid``) are renamed with a message.
* A gzip-compressed CSV is recognised by its first bytes (not its name): the workbench's
  own checks read it decompressed and DuckDB is told ``compression = 'gzip'``. A file
  named ``.gz`` that is not gzip inside is refused with what to do.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import tempfile
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from core.db import ingest as ingest_db
from core.db.database import Database
from core.db.datasets import ROW_ID
from core.db.ingest import CsvDialect
from core.errors import IngestError

ENCODINGS = ("auto", "utf-8", "latin-1", "utf-16", "mixed")
DELIMITERS = {
    "auto": None,
    "comma ,": ",",
    "semicolon ;": ";",
    "tab": "\t",
    "pipe |": "|",
}
PARQUET_SUFFIXES = (".parquet", ".pq")
GZIP_MAGIC = b"\x1f\x8b"
# names a dataset column must not take: DuckDB's rowid would shadow the row identity, and
# split frames add these columns
RESERVED_NAMES = ("rowid", ROW_ID, "__part", "__ladder")


@dataclass(frozen=True)
class CsvOptions:
    """The user's overrides of the sniffer; None (or "auto") means detect."""

    delimiter: str | None = None
    encoding: str | None = None
    header: bool | None = None


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
def clean_column_names(raw: Sequence[str | None]) -> tuple[list[str], list[str]]:
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
    with open_bytes(path) as fh:
        raw = fh.read(sample_bytes)
    return encoding_of(raw, cut=len(raw) == sample_bytes)


def encoding_of(raw: bytes, cut: bool = False) -> tuple[str, str]:
    """The encoding of some bytes and why, by the rule of :func:`detect_encoding` (``cut``:
    the bytes are a sample that may end inside a character)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "the file starts with a UTF-16 byte-order mark"
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", "the file starts with a UTF-8 byte-order mark"
    if cut:  # do not judge a character cut at the sample's end
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


def decode_bytes(raw: bytes, name: str) -> tuple[str, str]:
    """The text of a small file (e.g. an uploaded labels file) decoded by the same rule as
    a dataset's ingest — BOM, UTF-8, line-by-line repair of mixed files, else Latin-1 —
    and the encoding used; IngestError naming the file when it is empty or not text.

    >>> decode_bytes("a,b\\n1,Zoë\\n".encode("latin-1"), "f.csv")
    ('a,b\\n1,Zoë\\n', 'latin-1')
    """
    if raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise _broken_gzip(Path(name), exc) from exc
    if not raw.strip() or raw.strip() == codecs.BOM_UTF8:
        raise IngestError(f"{name} is empty: there is nothing to import.", "empty")
    if raw.startswith((b"PAR1", b"PK\x03\x04")):
        raise IngestError(f"{name} is a Parquet, zip or Excel file: save it as CSV.", "format")
    encoding, _ = encoding_of(raw)
    if encoding != "utf-16" and b"\x00" in raw[: 1 << 16]:
        raise IngestError(f"{name} is not a text file: it holds binary bytes. Save it as CSV.",
                          "format")
    if encoding == "mixed":
        lines = raw.splitlines(keepends=True)
        return "".join(_line_text(ln) for ln in lines), "mixed"
    codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, "latin-1")
    return raw.decode(codec, errors="replace"), encoding


def _line_text(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def text_delimiter(lines: list[str]) -> str | None:
    """The delimiter (',', ';', tab or '|') splitting every sampled line alike into two or
    more fields, quotes respected; None when none does.

    >>> text_delimiter(["id;grade", "1;2,5", "2;3"]), text_delimiter(["a", "b"])
    (';', None)
    """
    sample = [ln for ln in lines if ln.strip()]
    for cand in (",", ";", "\t", "|"):
        try:
            widths = {len(r) for r in csv.reader(io.StringIO("\n".join(sample)),
                                                 delimiter=cand) if r}
        except csv.Error:  # e.g. a field past the csv module's size limit
            continue
        if len(widths) == 1 and widths.pop() >= 2:
            return cand
    return None


def repair_mixed_encoding(src: str | Path, dst: str | Path) -> int:
    """Copy ``src`` to ``dst`` as UTF-8, decoding each line that is not UTF-8 as
    Windows-1252; returns how many lines were converted (a streaming pass, any size)."""
    fixed = 0
    with open_bytes(src) as fin, open(dst, "wb") as fout:
        for line in fin:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                line = line.decode("cp1252", errors="replace").encode("utf-8")
                fixed += 1
            fout.write(line)
    return fixed


# ------------------------------------------------------------------ format and dialect
def is_gzip(path: str | Path) -> bool:
    """Whether a file starts with gzip's magic bytes (whatever its name)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_bytes(path: str | Path) -> BinaryIO:
    """The file's bytes, decompressed when it is gzip (a streaming reader, any size)."""
    if is_gzip(path):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return open(path, "rb")


def file_reader(path: str | Path, encoding: str | None = None) -> str:
    """``csv`` or ``parquet`` from the file's first bytes and suffix; clear errors otherwise.

    A gzip-compressed file is judged by its decompressed first bytes; a file holding NUL
    bytes is not text (unless UTF-16, by its byte-order mark or the ``encoding`` chosen).
    """
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"The file {p} cannot be found. Check the path.", "missing")
    size = p.stat().st_size
    if size == 0:
        raise IngestError(f"{p.name} is empty (0 bytes): there is nothing to load.", "empty")
    with open(p, "rb") as fh:
        head = fh.read(8)
    gz = head.startswith(GZIP_MAGIC)
    if p.suffix.lower() == ".gz" and not gz:
        raise IngestError(
            f"{p.name} is named .gz but is not gzip-compressed. Rename it to "
            f"{p.name[:-3]} if it is a plain CSV file, or compress it with gzip, and load "
            "it again.",
            "compression",
        )
    sample = _gzip_sample(p) if gz else None
    if sample is not None:
        head = sample[:8]
    if head.startswith(b"PAR1"):
        if gz:
            raise IngestError(
                f"{p.name} is a gzip-compressed Parquet file. Decompress it (Parquet "
                "compresses its own columns) and load the .parquet file.",
                "format",
            )
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        raise IngestError(
            f"{p.name} is a zip or Excel file. Save it as CSV or Parquet first.",
            "format",
        )
    if p.suffix.lower() in PARQUET_SUFFIXES:
        raise IngestError(f"{p.name} is named .parquet but is not a Parquet file.", "parquet")
    if sample is None:
        with open(p, "rb") as fh:
            sample = fh.read(1 << 16)
    utf16 = encoding == "utf-16" or sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in sample and not utf16:
        raise IngestError(
            f"{p.name} is not a text file: it holds binary bytes. Save it as CSV or Parquet "
            "(a UTF-16 text file without its byte-order mark: choose the encoding utf-16).",
            "format",
        )
    whole = len(sample) < 1 << 16 if gz else size <= 1 << 16  # the sample is the file
    if whole and not sample.strip():
        what = "holds no data once decompressed" if gz else "holds only blank lines"
        raise IngestError(f"{p.name} {what}: there is nothing to load.", "empty")
    return "csv"


def _gzip_sample(path: Path) -> bytes:
    """The first 64 KiB of a gzip file, decompressed; IngestError when it cannot be read."""
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(1 << 16)
    except (OSError, EOFError, zlib.error) as exc:
        raise _broken_gzip(path, exc) from exc


def _broken_gzip(path: Path, exc: BaseException) -> IngestError:
    return IngestError(
        f"{path.name} starts like a gzip file but cannot be decompressed ({exc}): it is "
        "truncated or damaged. Compress the CSV file again with gzip, or load it "
        "uncompressed.",
        "compression",
    )


def _first_lines(path: str | Path, encoding: str, n: int = 20) -> list[str]:
    codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, "latin-1")
    with open_bytes(path) as fh:
        text = fh.read(1 << 18 if n <= 100 else 1 << 22).decode(codec, errors="replace")
    return text.splitlines()[:n]


def _raw_header(lines: list[str], delimiter: str, quote: str | None) -> list[str]:
    if not lines:
        return []
    q = quote if quote and len(quote) == 1 else '"'
    reader = csv.reader(io.StringIO(lines[0]), delimiter=delimiter, quotechar=q)
    return next(reader, [])


def ragged_line(lines: list[str], delimiter: str) -> tuple[int, int, int] | None:
    """(line number, fields, header fields) of the first line that disagrees with the header.

    >>> ragged_line(["a,b", "1,2", "3,4,5"], ",")
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
    encoding or a file that is not CSV/Parquet; a repaired copy of the file is removed then.
    """
    options = options or CsvOptions()
    if file_reader(path, options.encoding) == "parquet":
        return _sniff_parquet(store, path)
    try:
        encoding, read_path, messages = _choose_encoding(path, options)
    except (OSError, EOFError, zlib.error) as exc:  # a gzip stream broken after its start
        raise _broken_gzip(Path(path), exc) from exc
    repaired = read_path if read_path != str(path) else None
    compression = {"compression": "gzip"} if is_gzip(read_path) else {}
    src = _CsvRead(store, path, read_path, encoding, compression)
    try:
        dialect = _sniff_dialect(src, options)
        lines = _first_lines(read_path, encoding)
        dialect, extra = _second_opinion(src, options, dialect, lines, messages)
        delim = options.delimiter or dialect.delimiter
        header = dialect.header if options.header is None else options.header
        if len(dialect.columns) == 1:
            messages.append(_one_column_message(lines, delim, options, Path(path).name))
        _check_lines(lines, delim, Path(path).name)
    except IngestError as exc:
        discard(repaired)
        raise renamed_error(exc, repaired, Path(path).name) from exc
    except (OSError, EOFError, zlib.error) as exc:
        discard(repaired)
        raise _broken_gzip(Path(path), exc) from exc
    raw, names, renames = _column_names(lines, dialect, delim, header)
    load_opts = {
        "delim": delim,
        "encoding": encoding,
        "header": header,
        "names": names,
        **compression,
        **extra,
    }
    return FileSniff(
        "csv",
        encoding,
        delim,
        header,
        tuple(raw),
        tuple(names),
        tuple(messages + renames),
        load_opts,
        repaired,
    )


def renamed_error(exc: IngestError, path: str | Path | None, name: str) -> IngestError:
    """``exc`` with every mention of ``path`` (a temporary copy) replaced by the user's file
    ``name``: a message names the file the user chose, never a temporary one."""
    if not path or str(path) == name:
        return exc
    text = str(exc).replace(str(path), name).replace(Path(path).name, name)
    return IngestError(text, exc.kind)


def discard(path: str | None) -> None:
    """Remove a temporary repaired copy, if any."""
    if path:
        Path(path).unlink(missing_ok=True)


def _sniff_parquet(store: Database, path: str | Path) -> FileSniff:
    raw = [c for c, _ in ingest_db.file_schema(store, path, "parquet")]
    names, messages = clean_column_names(raw)
    return FileSniff("parquet", None, None, None, tuple(raw), tuple(names), tuple(messages))


def _choose_encoding(path: str | Path, options: CsvOptions) -> tuple[str, str, list[str]]:
    """The encoding to read with, the path to read (a UTF-8 copy of a file that mixes
    encodings) and what to tell the user about it."""
    messages: list[str] = []
    encoding = options.encoding if options.encoding not in (None, "auto") else None
    if encoding is None:
        encoding, why = detect_encoding(path)
        if encoding != "utf-8":
            messages.append(f"Encoding {encoding}: {why}.")
    if encoding != "mixed":
        return encoding, str(path), messages
    fd, repaired = tempfile.mkstemp(prefix="workbench_", suffix=".csv")
    os.close(fd)
    n_fixed = repair_mixed_encoding(path, repaired)
    messages.append(f"{n_fixed} line(s) that were not UTF-8 were read as Windows-1252.")
    return "utf-8", repaired, messages


@dataclass(frozen=True)
class _CsvRead:
    """The CSV file being sniffed: the user's file, the path DuckDB reads (a repaired UTF-8
    copy or the file itself), its encoding and compression options."""

    store: Database
    path: str | Path
    read_path: str
    encoding: str
    compression: dict[str, str]


def _second_opinion(
    src: _CsvRead,
    options: CsvOptions,
    dialect: CsvDialect,
    lines: list[str],
    messages: list[str],
) -> tuple[CsvDialect, dict[str, Any]]:
    """DuckDB's guess checked against the first lines: a delimiter that splits the header
    differently from the rows gives way to one that splits every line alike (``1,5;2,25``
    is two fields, not three), and a ';'- or tab-separated file whose text columns all hold
    decimal-comma numbers is read with ``decimal_separator = ','``.

    Returns the dialect to load with and the extra read options.
    """
    delim = options.delimiter or dialect.delimiter
    if not options.delimiter:
        better = _consistent_delimiter(lines, delim)
        if better is not None:
            dialect = _sniff_dialect(src, CsvOptions(better, options.encoding, options.header))
            delim = better
            shown = {"\t": "tab"}.get(better, repr(better))
            messages.append(
                f"Delimiter {shown}: it splits the header and every row alike (',' also "
                "appears inside values, e.g. as decimal commas)."
            )
    header = dialect.header if options.header is None else options.header
    if delim == "," or not _decimal_comma_columns(lines, delim, header, dialect):
        return dialect, {}
    extra = {"decimal_separator": ","}
    dialect = _sniff_dialect(src, CsvOptions(delim, options.encoding, options.header), extra)
    messages.append("Numbers are written with a decimal comma (e.g. 1,5): read as numbers.")
    return dialect, extra


def _consistent_delimiter(lines: list[str], chosen: str) -> str | None:
    """Another delimiter when ``chosen`` splits the sampled lines unevenly and it splits
    every one of them into the same number (at least two) of fields.

    >>> _consistent_delimiter(["amount;rate", "1,5;2,25", "3,0;4,5"], ",")
    ';'
    >>> _consistent_delimiter(["a,b", "1,2"], ",") is None
    True
    """
    sample = [ln for ln in lines if ln.strip()]
    if len(sample) > 2:
        sample = sample[:-1]  # the last sampled line may be cut
    if len(sample) < 2 or ragged_line(sample, chosen) is None:
        return None
    for cand in (";", "\t", "|", ","):
        if cand == chosen:
            continue
        widths = {len(r) for r in csv.reader(io.StringIO("\n".join(sample)), delimiter=cand)
                  if r}
        if len(widths) == 1 and widths.pop() >= 2:
            return cand
    return None


_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$|^[-+]?,\d+$")


def _decimal_comma_columns(lines: list[str], delim: str, header: bool, dialect: CsvDialect
                           ) -> bool:
    """Whether some text column's sampled values are all numbers with a decimal comma.

    >>> d = CsvDialect(";", '"', None, True, [("a", "VARCHAR"), ("b", "BIGINT")])
    >>> _decimal_comma_columns(["a;b", "1,5;2", "-0,25;3", ";4"], ";", True, d)
    True
    """
    rows = [r for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delim) if r]
    rows = rows[1:] if header else rows
    if len(rows) > 2:
        rows = rows[:-1]
    for i, (_, kind) in enumerate(dialect.columns):
        if kind != "VARCHAR":
            continue
        values = [r[i].strip() for r in rows if i < len(r) and r[i].strip()]
        if values and all(_DECIMAL_COMMA.match(v) for v in values):
            return True
    return False


def _sniff_dialect(
    src: _CsvRead, options: CsvOptions, extra: dict[str, Any] | None = None
) -> CsvDialect:
    """DuckDB's sniffer with the user's choices; a ragged line under the user's delimiter
    is named in the error."""
    sniff_opts: dict[str, Any] = {"encoding": src.encoding, **src.compression, **(extra or {})}
    if options.delimiter:
        sniff_opts["delim"] = options.delimiter
    if options.header is not None:
        sniff_opts["header"] = options.header
    try:
        return ingest_db.sniff_csv(src.store, src.read_path, sniff_opts)
    except IngestError as exc:
        if exc.kind == "dialect" and options.delimiter:
            bad = ragged_line(_first_lines(src.path, src.encoding, 20_000), options.delimiter)
            if bad is not None:
                line, n, expected = bad
                raise IngestError(
                    f"Line {line} of {Path(src.path).name} has {n} fields where the header has "
                    f"{expected} (delimiter {options.delimiter!r}). Fix that line (a missing "
                    "or extra delimiter, or a broken quote) or choose another delimiter.",
                    "columns",
                ) from exc
        raise


def _check_lines(lines: list[str], delim: str, name: str) -> None:
    """IngestError for a sample whose lines hold only delimiters, or whose line has another
    number of fields than the first (DuckDB would guess a dialect that drops lines)."""
    sample = [ln for ln in lines if ln.strip()]
    if len(sample) > 2:
        sample = sample[:-1]  # the last sampled line may be cut
    if sample and not any(ln.replace(delim, "").strip(' "\'') for ln in sample):
        raise IngestError(
            f"{name} holds only delimiters ({delim!r}) and no values: there is nothing to "
            "load. Export the data again.",
            "empty",
        )
    bad = ragged_line(sample, delim)
    if bad is not None:
        line, n, expected = bad
        raise IngestError(
            f"Line {line} of {name} has {n} fields where the first line has {expected} "
            f"(delimiter {delim!r}). Fix that line (a missing or extra delimiter, or a broken "
            "quote) or choose another delimiter.",
            "columns",
        )


def _one_column_message(lines: list[str], delim: str, options: CsvOptions, name: str) -> str:
    """The note on a one-column file; IngestError when another delimiter splits its lines."""
    found = _likely_delimiter(lines[:20], delim)
    if found is None:
        return (
            "The file has a single column: a model needs inputs and a target, so "
            "check that this is the file you meant."
        )
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
        f"{used} every line of {name} is a single field, but the lines contain {shown}: the "
        f"delimiter is probably {shown}. Choose it and load again.{ragged}",
        "delimiter",
    )


def _column_names(
    lines: list[str], dialect: CsvDialect, delim: str, header: bool
) -> tuple[list[str], list[str], list[str]]:
    """The header's raw names, the names to load with and the messages about them."""
    n_cols = len(dialect.columns)
    raw: list[str] = _raw_header(lines, delim, dialect.quote) if header else []
    if len(raw) != n_cols:
        raw = [c for c, _ in dialect.columns] if header else [""] * n_cols
    if not header:
        names = [f"column_{i}" for i in range(1, n_cols + 1)]
        return (
            raw,
            names,
            [
                "No header row was found, so columns are numbered; choose 'first row "
                "is the header' if that is wrong."
            ],
        )
    names, renames = clean_column_names(raw)
    return raw, names, renames
