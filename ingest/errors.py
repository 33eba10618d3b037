"""Errors raised while reading and ingesting files; each names the file (and line)."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Base class: something about one input file that stops it from being ingested."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type[IngestError], tuple[str, str, int | None]]:
        """Pickled by its own arguments, so a parse worker's error reaches the run whole."""
        return (type(self), (self.path, self.reason, self.line))


class UnsupportedFormatError(IngestError, ValueError):
    """A file type CardioRAG has no loader for."""


class UnreadableFileError(IngestError, ValueError):
    """A file of a supported type whose content cannot be read (corrupt, encrypted, binary...)."""


class MissingFieldError(IngestError, KeyError):
    """A CSV column or JSONL field the mapping needs is not there."""

    def __str__(self) -> str:
        return str(self.args[0])


class EmptyDocumentError(IngestError, ValueError):
    """A file with no text to index (empty, or a PDF of scanned images)."""


class OcrError(IngestError, RuntimeError):
    """A page without a text layer that OCR could not read (or Tesseract is not installed)."""

    def __init__(self, path: Path | str, page: int, reason: str) -> None:
        self.page = page
        super().__init__(path, f"page {page}: {reason}")
