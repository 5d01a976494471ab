"""Errors of the TEI layer. Validation *findings* are data (see validate.py), not these."""

from __future__ import annotations


class TeiError(Exception):
    """Base of the TEI layer's errors; carries where the problem is when known."""

    def __init__(
        self, message: str, path: str | None = None, line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class TeiSyntaxError(TeiError, ValueError):
    """The input is not well-formed XML (or not XML at all). Never repaired."""


class TeiLimitError(TeiError, ValueError):
    """The input passes a safety limit: size, depth, entities, a DTD."""


class TeiStructureError(TeiError, ValueError):
    """Well-formed XML that is not a TEI document (wrong root, wrong namespace)."""
