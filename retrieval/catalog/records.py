"""What the catalog gives and takes, as plain values.

No SQLAlchemy here, so chunking and the retrieval API can use them without a database in sight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from retrieval.parts import DocPart


@dataclass(frozen=True, slots=True)
class BenchmarkRun:
    """A stored benchmark run; `results` is the run's JSON document once it finished."""

    id: int
    kind: str
    name: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    results: dict[str, Any] | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Judgment:
    """The latest judgment of one chunk for one query in a corpus."""

    corpus: str
    query: str
    model_id: str
    chunk_id: str
    relevant: bool
    judged_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A chunk to store: id, position in its document, text and where it came from."""

    chunk_id: str
    chunk_index: int
    text: str
    section: str | None
    page_start: int | None
    page_end: int | None
    char_start: int
    char_end: int
    part: str = DocPart.BODY.value  # one of retrieval.parts.DOCUMENT_PARTS
    ocr: bool = False  # its text comes from OCR of a scanned page


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A parsed document with its chunks, ready to be written for one source file."""

    doc_id: str
    sha256: str
    title: str
    doc_type: str
    pages: int | None
    metadata: dict[str, Any]
    chunks: tuple[ChunkRecord, ...]
    ocr_pages: tuple[int, ...] = ()  # pages whose text came from OCR


@dataclass(frozen=True, slots=True)
class CorpusDefinition:
    """An abbreviation's long form as a corpus defines it: how often, in how many documents."""

    short: str
    long: str
    count: int
    documents: int


@dataclass(frozen=True, slots=True)
class PendingChunk:
    """A chunk a model has not embedded yet, with the payload metadata the store needs."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CorpusModel:
    """A model that embeds a corpus, and the collection that holds its vectors."""

    model_id: str
    collection: str
    dimension: int
    spec_hash: str


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """One line of `ingest --list`."""

    doc_id: str
    source: str
    title: str
    doc_type: str
    pages: int | None
    chunks: int
    models: tuple[str, ...]
    status: str
    updated_at: dt.datetime
    error: str | None = None
    ocr_pages: int = 0  # pages whose text came from OCR (scans)


@dataclass(frozen=True, slots=True)
class PageChunk:
    """A chunk as the index holds it, shown with the page it comes from."""

    chunk_index: int
    text: str
    section: str | None
    part: str
    ocr: bool


@dataclass(slots=True)
class SourceState:
    """What the catalog knows of one source file: its hash and its documents' hashes."""

    sha256: str | None
    status: str | None
    documents: dict[str, str] = field(default_factory=dict)
