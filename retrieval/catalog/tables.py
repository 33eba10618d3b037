"""The catalog's SQLAlchemy tables: the only module that defines them.

Columns added after a catalog was first made are listed in `ADDED_COLUMNS`; `create_schema`
adds them to older databases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> dt.datetime:
    """The time now, in UTC: every timestamp the catalog writes."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """The catalog's tables' common base (one metadata for `create_all`)."""


class CorpusRow(Base):
    """A named collection of documents, chunked one way."""

    __tablename__ = "corpora"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    chunking: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class CorpusModelRow(Base):
    """A model that embeds a corpus, and its collection."""

    __tablename__ = "corpus_models"
    __table_args__ = (UniqueConstraint("corpus_id", "model_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    corpus_id: Mapped[int] = mapped_column(ForeignKey("corpora.id", ondelete="CASCADE"))
    model_id: Mapped[str] = mapped_column(String(200))
    collection: Mapped[str] = mapped_column(String(400))
    dimension: Mapped[int] = mapped_column(Integer)
    spec_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class SourceRow(Base):
    """A file that was ingested (or failed), by path and hash."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("corpus_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    corpus_id: Mapped[int] = mapped_column(ForeignKey("corpora.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # "ok", "partial" or "failed"
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class DocumentRow(Base):
    """A document: a file, or one record of a JSONL/CSV file."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("corpus_id", "doc_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    corpus_id: Mapped[int] = mapped_column(ForeignKey("corpora.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    doc_id: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    doc_type: Mapped[str] = mapped_column(String(32))
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Added after the first catalogs were written: create_schema adds it to older ones.
    ocr_pages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Whether its abbreviation definitions are recorded (false in catalogs older than them).
    definitions_scanned: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class ChunkRow(Base):
    """A chunk of a document; its id is the Qdrant point id."""

    __tablename__ = "chunks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_pk: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    chunk_index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text, nullable=True)
    page_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    page_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    # Added after the first catalogs were written: create_schema adds them to older ones.
    part: Mapped[str] = mapped_column(String(16), default="body", server_default="body")
    ocr: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# Columns that catalogs written before them lack, as ALTER TABLE defines them, by table.
ADDED_COLUMNS = {
    "chunks": {
        "part": "VARCHAR(16) NOT NULL DEFAULT 'body'",
        "ocr": "BOOLEAN NOT NULL DEFAULT false",
    },
    "documents": {
        "ocr_pages": "INTEGER NOT NULL DEFAULT 0",
        "definitions_scanned": "BOOLEAN NOT NULL DEFAULT false",
    },
}


class DefinitionRow(Base):
    """An abbreviation a document defines ("long form (SHORT)"), and how often it does."""

    __tablename__ = "definitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_pk: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    short: Mapped[str] = mapped_column(String(32))
    long: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)


class EmbeddingRow(Base):
    """That a model's vector for a chunk is in Qdrant."""

    __tablename__ = "embeddings"
    chunk_id: Mapped[str] = mapped_column(
        ForeignKey("chunks.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    embedded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class BenchmarkRunRow(Base):
    """A benchmark run: `running` while it works, then `finished` (with results) or `failed`."""

    __tablename__ = "benchmark_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # quality, separation, speed
    name: Mapped[str] = mapped_column(Text)  # the dataset, pairs file or corpus it measured
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class JudgmentRow(Base):
    """A person's relevance judgment of a chunk for a query, made while comparing models."""

    __tablename__ = "judgments"
    __table_args__ = (UniqueConstraint("corpus", "query", "chunk_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    corpus: Mapped[str] = mapped_column(String(200), index=True)
    query: Mapped[str] = mapped_column(Text)
    model_id: Mapped[str] = mapped_column(String(200))
    chunk_id: Mapped[str] = mapped_column(String(36))
    relevant: Mapped[bool] = mapped_column(Boolean)
    judged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
