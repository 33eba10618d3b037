"""What loaders produce: documents made of sections, with page positions kept."""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, field
from typing import Any

from retrieval.parts import DocPart


class DocType(enum.StrEnum):
    """Kinds of documents; filters and citations use them."""

    TEXTBOOK = "textbook"
    GUIDELINE = "guideline"
    ARTICLE = "article"
    NOTE = "note"
    QA = "qa"


class SectionKind(enum.StrEnum):
    """Prose is cut anywhere; a table (Markdown rows) only between rows."""

    TEXT = "text"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text that chunks never cross (a Markdown section, a record, a PDF section).

    `page_breaks` holds (char offset, page number) pairs in order: the page that starts at
    each offset. Empty where the source has no pages. `title` is the heading trail
    ("Management > Pharmacological therapy").
    """

    text: str
    title: str | None = None
    page_breaks: tuple[tuple[int, int], ...] = ()
    offset: int = 0  # where the section starts in the document's full text
    part: DocPart = DocPart.BODY
    kind: SectionKind = SectionKind.TEXT

    def page_at(self, offset: int) -> int | None:
        """The page that holds character `offset`, or None for unpaged text."""
        if not self.page_breaks:
            return None
        starts = [start for start, _ in self.page_breaks]
        index = max(bisect.bisect_right(starts, offset) - 1, 0)
        return self.page_breaks[index][1]


@dataclass(frozen=True, slots=True)
class Document:
    """One document: a file, or one record of a JSONL or CSV file.

    `doc_id` is the record's own id, else the file's absolute path; `sha256` is the hash of
    the file's bytes (one-document files) or of the record (records; a note's also names how
    notes are parsed, `ingest.notes`), so re-ingest can tell which documents changed.
    """

    doc_id: str
    source: str
    title: str
    doc_type: DocType
    sha256: str
    sections: tuple[Section, ...]
    pages: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    ocr_pages: tuple[int, ...] = ()  # pages read by OCR (no text layer)
    failed_pages: tuple[tuple[int, str], ...] = ()  # (page, reason) of pages left out
