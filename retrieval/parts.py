"""The parts of a document a chunk can come from: its `part` in the catalog and the payload.

Defined here once; loaders tag sections with them and search leaves all but DEFAULT_PARTS out
unless asked.
"""

from __future__ import annotations

import enum


class DocPart(enum.StrEnum):
    """Which part of a document a section belongs to; search leaves all but `body` out."""

    BODY = "body"
    REFERENCES = "references"
    FRONT = "front"  # title block, authors' addresses, licence, received/accepted dates
    BACK = "back"  # funding, conflicts of interest, acknowledgements, data availability
    SUMMARY = "summary"  # repeats the document's own text in brief (a drug label's Highlights)


DOCUMENT_PARTS: tuple[str, ...] = tuple(part.value for part in DocPart)
DEFAULT_PARTS: tuple[str, ...] = (DocPart.BODY.value,)
