"""From files to stored chunks: loaders, chunking and the ingest pipeline."""

from __future__ import annotations

from ingest.chunking import Chunker, ChunkingSpec
from ingest.documents import DocType, Document, Section
from ingest.errors import (
    EmptyDocumentError,
    IngestError,
    MissingFieldError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from ingest.loaders import LoadOptions, load_documents
from ingest.options import IngestOptions
from ingest.pipeline import ingest_paths, remove_source
from ingest.report import IngestReport

__all__ = [
    "Chunker",
    "ChunkingSpec",
    "DocType",
    "Document",
    "EmptyDocumentError",
    "IngestError",
    "IngestOptions",
    "IngestReport",
    "LoadOptions",
    "MissingFieldError",
    "Section",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "ingest_paths",
    "load_documents",
    "remove_source",
]
