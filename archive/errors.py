"""Errors of the archive layer. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of the archive's errors. ``str()`` is the one line a user sees."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SourceError(ArchiveError, ValueError):
    """An input file cannot be read as a source (missing, empty, binary, undecodable, ...)."""


class RegistryError(ArchiveError, ValueError):
    """The registry is unreadable, or an operation on it is impossible (unknown id, ...)."""


class ValidationFailed(ArchiveError):
    """A document failed validation and was not written; ``report`` holds the findings."""

    def __init__(self, message: str, path: str | None = None, report: object = None) -> None:
        super().__init__(message, path)
        self.report = report


class QueryError(ArchiveError, ValueError):
    """An XPath or full-text query is invalid, or passed its time or result limit.

    :param code: an XPath error's code (``XPST0003``); None for other errors.
    :param line: where in the expression the error is, when the parser says (1-based).
    :param column: the same, its column.
    """

    def __init__(self, message: str, path: str | None = None, *, code: str | None = None,
                 line: int | None = None, column: int | None = None) -> None:
        super().__init__(message, path)
        self.code = code
        self.line = line
        self.column = column


class ConflictError(ArchiveError):
    """A file changed since the editor read it (its ETag no longer matches), or an undo would
    overwrite a later change; nothing was written.

    :param changes: the logged changes made since (``archive.curation.Change``; empty when the
        file was changed by something the log does not record, such as a rebuild).
    """

    def __init__(self, message: str, path: str | None = None,
                 changes: tuple[object, ...] = ()) -> None:
        super().__init__(message, path)
        self.changes = changes
