"""The errors a user can act on: one root, :class:`WorkbenchError`, whose message is shown
as is (it names the file or field, says what is wrong and what to do), and its kinds."""

from __future__ import annotations

import errno


class StoreError(Exception):
    """A failure the user can act on; its message is shown as is."""


WorkbenchError = StoreError


class StoreOpenError(StoreError):
    """The database file cannot be opened; the message names the file and the remedy."""


class IngestError(StoreError):
    """A file could not be loaded; ``kind`` says why (e.g. "encoding", "types", "no_rows")."""

    def __init__(self, message: str, kind: str = "other"):
        super().__init__(message)
        self.kind = kind


class DiskFullError(StoreError):
    """A write failed for lack of space (ENOSPC, or EFBIG past a file-size limit); the
    transaction was rolled back, so what was stored before is intact."""


_DISK_FULL_TEXT = ("No space left on device", "File too large", "Disk full", "out of disk",
                   "Disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (an OSError, or DuckDB's error text) says the disk or a file-size
    limit is full.

    >>> import errno
    >>> is_disk_full(OSError(errno.ENOSPC, "x")), is_disk_full(ValueError("File too large"))
    (True, True)
    """
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    return any(text in str(exc) for text in _DISK_FULL_TEXT)


def disk_full_message(database: object) -> str:
    """The one sentence a write that ran out of space shows.

    >>> disk_full_message("data/w.duckdb")
    'The disk holding data/w.duckdb is full — free space and try again; nothing was stored.'
    """
    return f"The disk holding {database} is full — free space and try again; nothing was stored."
