"""A file against the catalog: which of its documents are new, changed, unchanged or gone.

One-document files (PDF, text) and record files (JSONL, CSV) are diffed differently, the latter
as they stream (`record_files`), but both answer with a `FileDiff`, the only thing a report
counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ingest.documents import Document
from retrieval.catalog import SourceState


@dataclass(frozen=True, slots=True)
class FileDiff:
    """A file's documents by outcome; `removed` names those the file no longer holds."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    empty: int = 0  # records without text, which are left out

    @property
    def changes(self) -> bool:
        """Whether anything is to be written: a document new, changed or removed."""
        return bool(self.new or self.changed or self.removed)


def unchanged_file(state: SourceState, sha256: str, documents: int) -> FileDiff | None:
    """All `documents` unchanged when the file's bytes are those last ingested whole, else None.

    A `partial` file (a run cut off half-way) is diffed again even with the same bytes.
    """
    if state.status == "ok" and state.sha256 == sha256:
        return FileDiff(unchanged=documents)
    return None


def document_diff(stored: Mapping[str, str], document: Document) -> FileDiff:
    """A one-document file against the documents (id -> SHA-256) its path held before."""
    known = stored.get(document.doc_id)
    return FileDiff(
        new=int(known is None),
        changed=int(known is not None and known != document.sha256),
        unchanged=int(known == document.sha256),
        removed=[doc_id for doc_id in stored if doc_id != document.doc_id],
    )
