"""The SQL catalog: corpora, source files, documents, chunks, and which model embedded what.

Written catalog-last (see ARCHITECTURE.md): a chunk is marked embedded for a model only after
Qdrant accepted it, so a crash leaves work to redo, never a row that lies. This is the only
module that defines SQLAlchemy models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    false,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from retrieval.errors import CatalogUnavailableError, CorpusConfigError

_IN_BATCH = 500


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Base(DeclarativeBase):
    pass


class CorpusRow(_Base):
    """A named collection of documents, chunked one way."""

    __tablename__ = "corpora"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    chunking: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CorpusModelRow(_Base):
    """A model that embeds a corpus, and its collection."""

    __tablename__ = "corpus_models"
    __table_args__ = (UniqueConstraint("corpus_id", "model_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    corpus_id: Mapped[int] = mapped_column(ForeignKey("corpora.id", ondelete="CASCADE"))
    model_id: Mapped[str] = mapped_column(String(200))
    collection: Mapped[str] = mapped_column(String(400))
    dimension: Mapped[int] = mapped_column(Integer)
    spec_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SourceRow(_Base):
    """A file that was ingested (or failed), by path and hash."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("corpus_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    corpus_id: Mapped[int] = mapped_column(ForeignKey("corpora.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # "ok" or "failed"
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class DocumentRow(_Base):
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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ChunkRow(_Base):
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
_ADDED_COLUMNS = {
    "chunks": {
        "part": "VARCHAR(16) NOT NULL DEFAULT 'body'",
        "ocr": "BOOLEAN NOT NULL DEFAULT false",
    },
    "documents": {"ocr_pages": "INTEGER NOT NULL DEFAULT 0"},
}


class EmbeddingRow(_Base):
    """That a model's vector for a chunk is in Qdrant."""

    __tablename__ = "embeddings"
    chunk_id: Mapped[str] = mapped_column(
        ForeignKey("chunks.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    embedded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class BenchmarkRunRow(_Base):
    """A benchmark run: `running` while it works, then `finished` (with results) or `failed`."""

    __tablename__ = "benchmark_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # quality, separation, speed
    name: Mapped[str] = mapped_column(Text)  # the dataset, pairs file or corpus it measured
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class JudgmentRow(_Base):
    """A person's relevance judgment of a chunk for a query, made while comparing models."""

    __tablename__ = "judgments"
    __table_args__ = (UniqueConstraint("corpus", "query", "chunk_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    corpus: Mapped[str] = mapped_column(String(200), index=True)
    query: Mapped[str] = mapped_column(Text)
    model_id: Mapped[str] = mapped_column(String(200))
    chunk_id: Mapped[str] = mapped_column(String(36))
    relevant: Mapped[bool] = mapped_column(Boolean)
    judged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


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
    part: str = "body"  # body, references, front or back (retrieval.store.DOCUMENT_PARTS)
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _batches(items: Sequence[Any], size: int = _IN_BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Catalog:
    """The document and chunk registry of every corpus, in any SQLAlchemy database.

    Example:
        >>> catalog = Catalog("sqlite:///:memory:")
        >>> catalog.create_schema()
        >>> catalog.ensure_corpus("cardiology", {"chunk_tokens": 254}).name
        'cardiology'
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if (url is None) == (engine is None):
            raise ValueError("Catalog takes a URL or an Engine, not both and not neither")
        self.engine = engine if engine is not None else create_engine(url)  # type: ignore[arg-type]
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def safe_url(self) -> str:
        """The database URL with its password masked: fit for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def _unavailable(self, error: OperationalError) -> CatalogUnavailableError:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        return CatalogUnavailableError(
            f"cannot use the catalog database at {self.safe_url}: {reason}. "
            "Check CARDIORAG_SQL_URL and that the database server is running"
        )

    def create_schema(self) -> None:
        """Create missing tables (idempotent)."""
        try:
            _Base.metadata.create_all(self.engine)
            self._add_missing_columns()
        except OperationalError as err:
            raise self._unavailable(err) from err

    def _add_missing_columns(self) -> None:
        """Add the columns newer than a catalog (part, ocr, ocr_pages), with their defaults."""
        inspector = inspect(self.engine)
        with self.engine.begin() as connection:
            for table, columns in _ADDED_COLUMNS.items():
                present = {column["name"] for column in inspector.get_columns(table)}
                for name, definition in columns.items():
                    if name not in present:
                        alter = f"ALTER TABLE {table} ADD COLUMN {name} {definition}"
                        connection.execute(sql_text(alter))

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self.engine) as session, session.begin():
                yield session
        except OperationalError as err:
            raise self._unavailable(err) from err

    # -- corpora and their models -------------------------------------------------------
    def _corpus_row(self, session: Session, name: str) -> CorpusRow | None:
        return session.scalar(select(CorpusRow).where(CorpusRow.name == name))

    def _corpus_id(self, session: Session, name: str) -> int:
        row = self._corpus_row(session, name)
        if row is None:
            raise CorpusConfigError(f"no corpus named {name!r}; known: {self.corpus_names()}")
        return row.id

    def corpus_names(self) -> list[str]:
        """Every corpus, by name."""
        with self._session() as session:
            return list(session.scalars(select(CorpusRow.name).order_by(CorpusRow.name)))

    def corpus_chunking(self, name: str) -> dict[str, Any] | None:
        """The chunking settings a corpus was created with, or None if it does not exist."""
        with self._session() as session:
            row = self._corpus_row(session, name)
            return dict(row.chunking) if row is not None else None

    def ensure_corpus(self, name: str, chunking: dict[str, Any]) -> CorpusRow:
        """Create the corpus, or check that an existing one was chunked the same way."""
        with self._session() as session:
            row = self._corpus_row(session, name)
            if row is None:
                row = CorpusRow(name=name, chunking=chunking)
                session.add(row)
            elif row.chunking != chunking:
                raise CorpusConfigError(
                    f"corpus {name!r} was chunked with {row.chunking}, this run asks for "
                    f"{chunking}; ingest with --recreate to rebuild it"
                )
            session.flush()
            session.expunge(row)
            return row

    def drop_corpus(self, name: str) -> None:
        """Remove a corpus and everything recorded for it."""
        with self._session() as session:
            row = self._corpus_row(session, name)
            if row is None:
                return
            document_pks = select(DocumentRow.id).where(DocumentRow.corpus_id == row.id)
            chunk_ids = select(ChunkRow.id).where(ChunkRow.document_pk.in_(document_pks))
            session.execute(delete(EmbeddingRow).where(EmbeddingRow.chunk_id.in_(chunk_ids)))
            session.execute(delete(ChunkRow).where(ChunkRow.document_pk.in_(document_pks)))
            for table in (DocumentRow, SourceRow, CorpusModelRow):
                session.execute(delete(table).where(table.corpus_id == row.id))
            session.delete(row)

    def add_corpus_model(self, corpus: str, model: CorpusModel) -> None:
        """Record that `model` embeds `corpus` into `model.collection` (idempotent)."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            exists = session.scalar(
                select(CorpusModelRow).where(
                    CorpusModelRow.corpus_id == corpus_id,
                    CorpusModelRow.model_id == model.model_id,
                )
            )
            if exists is None:
                session.add(
                    CorpusModelRow(
                        corpus_id=corpus_id,
                        model_id=model.model_id,
                        collection=model.collection,
                        dimension=model.dimension,
                        spec_hash=model.spec_hash,
                    )
                )

    def drop_corpus_model(self, corpus: str, model_id: str) -> None:
        """Forget that `model_id` embeds `corpus`: its rows go, so its chunks are pending again.

        The caller drops the collection after this (catalog first: a crash in between leaves
        work to redo, never rows that claim points of a dropped collection).
        """
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            chunk_ids = select(ChunkRow.id).where(
                ChunkRow.document_pk.in_(
                    select(DocumentRow.id).where(DocumentRow.corpus_id == corpus_id)
                )
            )
            session.execute(
                delete(EmbeddingRow).where(
                    EmbeddingRow.model_id == model_id, EmbeddingRow.chunk_id.in_(chunk_ids)
                )
            )
            session.execute(
                delete(CorpusModelRow).where(
                    CorpusModelRow.corpus_id == corpus_id, CorpusModelRow.model_id == model_id
                )
            )

    def corpus_models(self, corpus: str) -> list[CorpusModel]:
        """The models that embed a corpus, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                select(CorpusModelRow)
                .join(CorpusRow, CorpusRow.id == CorpusModelRow.corpus_id)
                .where(CorpusRow.name == corpus)
                .order_by(CorpusModelRow.id)
            )
            return [CorpusModel(r.model_id, r.collection, r.dimension, r.spec_hash) for r in rows]

    # -- sources and documents ----------------------------------------------------------
    def source_state(self, corpus: str, path: str) -> SourceState:
        """The stored hash and status of a source file and the hashes of its documents."""
        with self._session() as session:
            corpus_row = self._corpus_row(session, corpus)
            if corpus_row is None:
                return SourceState(None, None)
            source = session.scalar(
                select(SourceRow).where(
                    SourceRow.corpus_id == corpus_row.id, SourceRow.path == path
                )
            )
            if source is None:
                return SourceState(None, None)
            documents = dict(
                session.execute(
                    select(DocumentRow.doc_id, DocumentRow.sha256).where(
                        DocumentRow.source_id == source.id
                    )
                ).all()
            )
            return SourceState(source.sha256, source.status, documents)

    def doc_id_owners(self, corpus: str, doc_ids: Sequence[str]) -> dict[str, str]:
        """For each of `doc_ids` already in the corpus, the source file it came from."""
        owners: dict[str, str] = {}
        with self._session() as session:
            corpus_row = self._corpus_row(session, corpus)
            if corpus_row is None:
                return owners
            corpus_id = corpus_row.id
            for batch in _batches(list(doc_ids)):
                owners.update(
                    session.execute(
                        select(DocumentRow.doc_id, SourceRow.path)
                        .join(SourceRow, SourceRow.id == DocumentRow.source_id)
                        .where(DocumentRow.corpus_id == corpus_id, DocumentRow.doc_id.in_(batch))
                    ).all()
                )
        return owners

    def write_source(
        self,
        corpus: str,
        path: str,
        sha256: str,
        documents: Sequence[DocumentRecord],
        remove_doc_ids: Sequence[str],
    ) -> None:
        """In one transaction: drop replaced documents, add new ones, record the file as ok.

        The caller deletes `remove_doc_ids` from every collection first.
        """
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            self._delete_documents(session, corpus_id, remove_doc_ids)
            source = session.scalar(
                select(SourceRow).where(SourceRow.corpus_id == corpus_id, SourceRow.path == path)
            )
            if source is None:
                source = SourceRow(corpus_id=corpus_id, path=path, sha256=sha256, status="ok")
                session.add(source)
            source.sha256, source.status, source.error = sha256, "ok", None
            source.updated_at = _now()
            session.flush()
            for document in documents:
                row = DocumentRow(
                    corpus_id=corpus_id,
                    source_id=source.id,
                    doc_id=document.doc_id,
                    sha256=document.sha256,
                    title=document.title,
                    doc_type=document.doc_type,
                    pages=document.pages,
                    meta=document.metadata,
                    ocr_pages=len(document.ocr_pages),
                )
                session.add(row)
                session.flush()
                if document.chunks:
                    session.execute(
                        insert(ChunkRow),
                        [
                            {
                                "id": c.chunk_id,
                                "document_pk": row.id,
                                "chunk_index": c.chunk_index,
                                "text": c.text,
                                "section": c.section,
                                "page_start": c.page_start,
                                "page_end": c.page_end,
                                "char_start": c.char_start,
                                "char_end": c.char_end,
                                "part": c.part,
                                "ocr": c.ocr,
                            }
                            for c in document.chunks
                        ],
                    )

    def record_failure(self, corpus: str, path: str, sha256: str, error: str) -> None:
        """Mark a source file as failed; documents it had before stay as they were."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            source = session.scalar(
                select(SourceRow).where(SourceRow.corpus_id == corpus_id, SourceRow.path == path)
            )
            if source is None:
                # sha256 stays empty so that the next run retries the file even if unchanged.
                session.add(
                    SourceRow(
                        corpus_id=corpus_id, path=path, sha256="", status="failed", error=error
                    )
                )
                return
            source.status, source.error, source.updated_at = "failed", error, _now()

    def _delete_documents(self, session: Session, corpus_id: int, doc_ids: Sequence[str]) -> None:
        for batch in _batches(list(doc_ids)):
            document_pks = select(DocumentRow.id).where(
                DocumentRow.corpus_id == corpus_id, DocumentRow.doc_id.in_(batch)
            )
            chunk_ids = select(ChunkRow.id).where(ChunkRow.document_pk.in_(document_pks))
            session.execute(delete(EmbeddingRow).where(EmbeddingRow.chunk_id.in_(chunk_ids)))
            session.execute(delete(ChunkRow).where(ChunkRow.document_pk.in_(document_pks)))
            session.execute(
                delete(DocumentRow).where(
                    DocumentRow.corpus_id == corpus_id, DocumentRow.doc_id.in_(batch)
                )
            )

    def sources_under(self, corpus: str, path: str) -> dict[str, list[str]]:
        """Source files equal to `path` or below it (a folder), each with its document ids."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            prefix = path.rstrip("/") + "/"
            sources = session.scalars(
                select(SourceRow).where(
                    SourceRow.corpus_id == corpus_id,
                    (SourceRow.path == path) | SourceRow.path.startswith(prefix, autoescape=True),
                )
            ).all()
            return {
                source.path: list(
                    session.scalars(
                        select(DocumentRow.doc_id).where(DocumentRow.source_id == source.id)
                    )
                )
                for source in sources
            }

    def remove_sources(self, corpus: str, paths: Sequence[str]) -> None:
        """Forget source files and all they brought (after the store deleted their points)."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            for path in paths:
                source = session.scalar(
                    select(SourceRow).where(
                        SourceRow.corpus_id == corpus_id, SourceRow.path == path
                    )
                )
                if source is None:
                    continue
                doc_ids = list(
                    session.scalars(
                        select(DocumentRow.doc_id).where(DocumentRow.source_id == source.id)
                    )
                )
                self._delete_documents(session, corpus_id, doc_ids)
                session.delete(source)

    # -- embeddings ------------------------------------------------------------------------
    def pending_chunks(self, corpus: str, model_id: str) -> list[PendingChunk]:
        """Chunks of the corpus that `model_id` has not embedded, with their payload metadata."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            embedded = select(EmbeddingRow.chunk_id).where(EmbeddingRow.model_id == model_id)
            rows = session.execute(
                select(ChunkRow, DocumentRow, SourceRow.path)
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .join(SourceRow, SourceRow.id == DocumentRow.source_id)
                .where(DocumentRow.corpus_id == corpus_id, ChunkRow.id.not_in(embedded))
            ).all()
            return [
                PendingChunk(
                    chunk_id=chunk.id,
                    text=chunk.text,
                    metadata={
                        **document.meta,
                        "doc_id": document.doc_id,
                        "source": path,
                        "title": document.title,
                        "doc_type": document.doc_type,
                        "section": chunk.section,
                        "chunk_index": chunk.chunk_index,
                        "page_start": chunk.page_start,
                        "page_end": chunk.page_end,
                        "char_start": chunk.char_start,
                        "char_end": chunk.char_end,
                        "part": chunk.part,
                        "ocr": chunk.ocr,
                    },
                )
                for chunk, document, path in rows
            ]

    def pending_count(self, corpus: str, model_id: str) -> int:
        """How many chunks of the corpus `model_id` has not embedded (0 for no such corpus)."""
        with self._session() as session:
            corpus_row = self._corpus_row(session, corpus)
            if corpus_row is None:
                return 0
            embedded = select(EmbeddingRow.chunk_id).where(EmbeddingRow.model_id == model_id)
            return (
                session.scalar(
                    select(func.count())
                    .select_from(ChunkRow)
                    .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                    .where(DocumentRow.corpus_id == corpus_row.id, ChunkRow.id.not_in(embedded))
                )
                or 0
            )

    def mark_embedded(self, model_id: str, chunk_ids: Sequence[str]) -> None:
        """Record that Qdrant accepted these chunks' vectors for `model_id`."""
        if not chunk_ids:
            return
        with self._session() as session:
            session.execute(
                insert(EmbeddingRow),
                [{"chunk_id": chunk_id, "model_id": model_id} for chunk_id in chunk_ids],
            )

    def forget_embeddings(self, corpus: str, doc_ids: Sequence[str]) -> None:
        """Unmark every model's embeddings of these documents' chunks.

        Called before the store deletes their points, so that a crash in between leaves
        chunks to embed again rather than rows that claim points which are gone.
        """
        if not doc_ids:
            return
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            for batch in _batches(list(doc_ids)):
                document_pks = select(DocumentRow.id).where(
                    DocumentRow.corpus_id == corpus_id, DocumentRow.doc_id.in_(batch)
                )
                chunk_ids = select(ChunkRow.id).where(ChunkRow.document_pk.in_(document_pks))
                session.execute(delete(EmbeddingRow).where(EmbeddingRow.chunk_id.in_(chunk_ids)))

    def chunk_ids(self, corpus: str, model_id: str | None = None) -> set[str]:
        """All chunk ids of a corpus, or only those `model_id` has embedded."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            query = (
                select(ChunkRow.id)
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .where(DocumentRow.corpus_id == corpus_id)
            )
            if model_id is not None:
                query = query.join(EmbeddingRow, EmbeddingRow.chunk_id == ChunkRow.id).where(
                    EmbeddingRow.model_id == model_id
                )
            return set(session.scalars(query))

    def chunk_texts_by_document(self, corpus: str) -> dict[str, list[str]]:
        """Each document's chunk texts in reading order (for mining self-supervised pairs)."""
        texts: dict[str, list[str]] = {}
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            rows = session.execute(
                select(DocumentRow.doc_id, ChunkRow.text)
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .where(DocumentRow.corpus_id == corpus_id)
                .order_by(DocumentRow.doc_id, ChunkRow.chunk_index)
            )
            for doc_id, text in rows:
                texts.setdefault(doc_id, []).append(text)
        return texts

    def chunks_on_page(self, corpus: str, source: str, page: int) -> list[PageChunk]:
        """The chunks of the file `source` that touch `page`, in reading order.

        Why: the Source page shows what the index holds of a page (parsed, de-hyphenated,
        without its furniture), not another extraction of the PDF.
        """
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            rows = session.execute(
                select(
                    ChunkRow.chunk_index, ChunkRow.text, ChunkRow.section, ChunkRow.part,
                    ChunkRow.ocr,
                )
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .join(SourceRow, SourceRow.id == DocumentRow.source_id)
                .where(
                    DocumentRow.corpus_id == corpus_id,
                    SourceRow.path == source,
                    ChunkRow.page_start <= page,
                    ChunkRow.page_end >= page,
                )
                .order_by(DocumentRow.id, ChunkRow.chunk_index)
            )  # fmt: skip
            return [PageChunk(*row) for row in rows]

    def chunk_contexts_by_document(self, corpus: str) -> dict[str, list[dict[str, Any]]]:
        """Each chunk's title, section and record fields, in `chunk_texts_by_document`'s order."""
        contexts: dict[str, list[dict[str, Any]]] = {}
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            rows = session.execute(
                select(DocumentRow.doc_id, DocumentRow.title, DocumentRow.meta, ChunkRow.section)
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .where(DocumentRow.corpus_id == corpus_id)
                .order_by(DocumentRow.doc_id, ChunkRow.chunk_index)
            )
            for doc_id, title, meta, section in rows:
                contexts.setdefault(doc_id, []).append(
                    {**(meta or {}), "title": title, "section": section}
                )
        return contexts

    def metadata_keys(self, corpus: str) -> set[str]:
        """Every record field that some document of the corpus keeps as metadata."""
        keys: set[str] = set()
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            for meta in session.scalars(
                select(DocumentRow.meta).where(DocumentRow.corpus_id == corpus_id)
            ):
                keys.update(meta or {})
        return keys

    # -- copying to another database ------------------------------------------------------
    def corpus_counts(self, corpus: str) -> dict[str, int]:
        """Rows the corpus holds: sources, documents, chunks, and embeddings per model."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            documents = select(DocumentRow.id).where(DocumentRow.corpus_id == corpus_id)
            chunk_ids = select(ChunkRow.id).where(ChunkRow.document_pk.in_(documents))
            counts = {
                "sources": session.scalar(
                    select(func.count()).where(SourceRow.corpus_id == corpus_id)
                ),
                "documents": session.scalar(
                    select(func.count()).where(DocumentRow.corpus_id == corpus_id)
                ),
                "chunks": session.scalar(
                    select(func.count()).where(ChunkRow.document_pk.in_(documents))
                ),
            }
            for model_id, count in session.execute(
                select(EmbeddingRow.model_id, func.count())
                .where(EmbeddingRow.chunk_id.in_(chunk_ids))
                .group_by(EmbeddingRow.model_id)
            ):
                counts[f"embeddings:{model_id}"] = count
            return {key: int(value or 0) for key, value in counts.items()}

    def copy_corpus_to(self, target: Catalog, corpus: str) -> None:
        """Copy every row of a corpus into another catalog, in one transaction there.

        Integer keys are assigned anew by the target and the references remapped; chunk ids
        (the Qdrant point ids) stay as they are.

        Raises:
            CorpusConfigError: When the target already has a corpus of that name.
        """
        if corpus in target.corpus_names():
            raise CorpusConfigError(f"the target catalog already has a corpus named {corpus!r}")

        def plain(row: _Base, *skip: str) -> dict[str, Any]:
            return {
                column.key: getattr(row, column.key)
                for column in row.__table__.columns
                if column.key not in ("id", *skip)
            }

        with self._session() as source, target._session() as destination:
            corpus_row = source.scalars(select(CorpusRow).where(CorpusRow.name == corpus)).one()
            new_corpus = CorpusRow(**plain(corpus_row))
            destination.add(new_corpus)
            destination.flush()
            for model in source.scalars(
                select(CorpusModelRow).where(CorpusModelRow.corpus_id == corpus_row.id)
            ):
                destination.add(
                    CorpusModelRow(**plain(model, "corpus_id"), corpus_id=new_corpus.id)
                )
            source_ids: dict[int, int] = {}
            for row in source.scalars(
                select(SourceRow).where(SourceRow.corpus_id == corpus_row.id)
            ):
                copy = SourceRow(**plain(row, "corpus_id"), corpus_id=new_corpus.id)
                destination.add(copy)
                destination.flush()
                source_ids[row.id] = copy.id
            document_ids: dict[int, int] = {}
            for row in source.scalars(
                select(DocumentRow).where(DocumentRow.corpus_id == corpus_row.id)
            ):
                copy = DocumentRow(
                    **plain(row, "corpus_id", "source_id"),
                    corpus_id=new_corpus.id,
                    source_id=source_ids[row.source_id],
                )
                destination.add(copy)
                destination.flush()
                document_ids[row.id] = copy.id
            chunks = [
                {
                    **plain(row, "document_pk"),
                    "id": row.id,
                    "document_pk": document_ids[row.document_pk],
                }
                for row in source.scalars(
                    select(ChunkRow)
                    .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                    .where(DocumentRow.corpus_id == corpus_row.id)
                )
            ]
            for batch in _batches(chunks):
                destination.execute(insert(ChunkRow), list(batch))
            embeddings = [
                {"chunk_id": row.chunk_id, "model_id": row.model_id, "embedded_at": row.embedded_at}
                for row in source.scalars(
                    select(EmbeddingRow)
                    .join(ChunkRow, ChunkRow.id == EmbeddingRow.chunk_id)
                    .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                    .where(DocumentRow.corpus_id == corpus_row.id)
                )
            ]
            for batch in _batches(embeddings):
                destination.execute(insert(EmbeddingRow), list(batch))

    # -- listing ---------------------------------------------------------------------------
    def list_documents(self, corpus: str) -> list[DocumentSummary]:
        """Every document with its chunk count and models, then every failed source file.

        A document is `ready` when each of the corpus's models has embedded all its chunks.
        """
        models = [m.model_id for m in self.corpus_models(corpus)]
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            in_corpus = ChunkRow.document_pk.in_(
                select(DocumentRow.id).where(DocumentRow.corpus_id == corpus_id)
            )
            chunk_counts = dict(
                session.execute(
                    select(ChunkRow.document_pk, func.count())
                    .where(in_corpus)
                    .group_by(ChunkRow.document_pk)
                ).all()
            )
            embedded: dict[tuple[int, str], int] = {
                (pk, model): count
                for pk, model, count in session.execute(
                    select(ChunkRow.document_pk, EmbeddingRow.model_id, func.count())
                    .join(EmbeddingRow, EmbeddingRow.chunk_id == ChunkRow.id)
                    .where(in_corpus)
                    .group_by(ChunkRow.document_pk, EmbeddingRow.model_id)
                ).all()
            }
            summaries = []
            rows = session.execute(
                select(DocumentRow, SourceRow.path)
                .join(SourceRow, SourceRow.id == DocumentRow.source_id)
                .where(DocumentRow.corpus_id == corpus_id)
                .order_by(SourceRow.path, DocumentRow.doc_id)
            ).all()
            for document, path in rows:
                chunks = chunk_counts.get(document.id, 0)
                done = tuple(m for m in models if embedded.get((document.id, m), 0) == chunks)
                summaries.append(
                    DocumentSummary(
                        doc_id=document.doc_id,
                        source=path,
                        title=document.title,
                        doc_type=document.doc_type,
                        pages=document.pages,
                        chunks=chunks,
                        models=done,
                        status="ready" if len(done) == len(models) else "pending",
                        updated_at=document.updated_at,
                        ocr_pages=document.ocr_pages,
                    )
                )
            for source in session.scalars(
                select(SourceRow).where(
                    SourceRow.corpus_id == corpus_id, SourceRow.status == "failed"
                )
            ):
                summaries.append(
                    DocumentSummary(
                        doc_id="",
                        source=source.path,
                        title="",
                        doc_type="",
                        pages=None,
                        chunks=0,
                        models=(),
                        status="failed",
                        updated_at=source.updated_at,
                        error=source.error,
                    )
                )
            return summaries

    # -- benchmark runs ----------------------------------------------------------------------
    def start_benchmark_run(self, kind: str, name: str) -> int:
        """A `running` row, so that a crashed run shows as unfinished, never as a result."""
        with self._session() as session:
            row = BenchmarkRunRow(kind=kind, name=name, status="running")
            session.add(row)
            session.flush()
            return row.id

    def finish_benchmark_run(
        self, run_id: int, *, results: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        """Mark a run `finished` with its results, or `failed` with the reason."""
        if (results is None) == (error is None):
            raise ValueError("a run finishes with results or with an error, not both")
        with self._session() as session:
            row = session.get(BenchmarkRunRow, run_id)
            if row is None:
                raise KeyError(f"no benchmark run {run_id}")
            row.status = "finished" if results is not None else "failed"
            row.results, row.error, row.finished_at = results, error, _now()

    def benchmark_runs(self, kind: str | None = None) -> list[BenchmarkRun]:
        """Runs newest first, of one kind or all."""
        query = select(BenchmarkRunRow).order_by(BenchmarkRunRow.id.desc())
        if kind is not None:
            query = query.where(BenchmarkRunRow.kind == kind)
        with self._session() as session:
            return [
                BenchmarkRun(
                    id=row.id,
                    kind=row.kind,
                    name=row.name,
                    status=row.status,
                    started_at=row.started_at,
                    finished_at=row.finished_at,
                    results=row.results,
                    error=row.error,
                )
                for row in session.scalars(query)
            ]

    # -- relevance judgments -------------------------------------------------------------------
    def record_judgment(
        self, corpus: str, query: str, model_id: str, chunk_id: str, *, relevant: bool
    ) -> None:
        """Store (or change) whether a chunk answers a query; the last judgment wins."""
        with self._session() as session:
            row = session.scalar(
                select(JudgmentRow).where(
                    JudgmentRow.corpus == corpus,
                    JudgmentRow.query == query,
                    JudgmentRow.chunk_id == chunk_id,
                )
            )
            if row is None:
                session.add(
                    JudgmentRow(
                        corpus=corpus,
                        query=query,
                        model_id=model_id,
                        chunk_id=chunk_id,
                        relevant=relevant,
                    )
                )
            else:
                row.model_id, row.relevant, row.judged_at = model_id, relevant, _now()

    def judgments(self, corpus: str) -> list[Judgment]:
        """Every judgment of a corpus, oldest first."""
        with self._session() as session:
            return [
                Judgment(
                    corpus=row.corpus,
                    query=row.query,
                    model_id=row.model_id,
                    chunk_id=row.chunk_id,
                    relevant=row.relevant,
                    judged_at=row.judged_at,
                )
                for row in session.scalars(
                    select(JudgmentRow).where(JudgmentRow.corpus == corpus).order_by(JudgmentRow.id)
                )
            ]
