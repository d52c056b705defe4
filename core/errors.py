"""The errors a user can act on: one root, :class:`WorkbenchError`, whose message is shown
as is (it names the file or field, says what is wrong and what to do), and its kinds."""

from __future__ import annotations


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
