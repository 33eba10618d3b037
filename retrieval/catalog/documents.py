"""The SQL catalog: corpora, source files, documents, chunks, and which model embedded what.

Written catalog-last (see ARCHITECTURE.md): a chunk is marked embedded for a model only after
Qdrant accepted it, so a crash leaves work to redo, never a row that lies. This module holds the
writes; the tables are in `catalog_tables`, the values it gives and takes in `catalog_records`,
and its other jobs in `catalog_reads` (listings), `catalog_copy` (to another database) and
`catalog_runs` (benchmark runs, judgments).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, insert, select
from sqlalchemy.orm import Session

from retrieval.catalog.connection import batches
from retrieval.catalog.reads import CatalogReads
from retrieval.catalog.records import CorpusModel, DocumentRecord, PendingChunk, SourceState
from retrieval.catalog.runs import CatalogRuns
from retrieval.catalog.tables import (
    ChunkRow,
    CorpusModelRow,
    CorpusRow,
    DocumentRow,
    EmbeddingRow,
    SourceRow,
    now,
)
from retrieval.catalog.transfer import CatalogCopy
from retrieval.errors import CorpusConfigError


def _not_embedded(model_id: str) -> ColumnElement[bool]:
    """A chunk `model_id` has no vector for.

    NOT EXISTS is a primary-key lookup per chunk; NOT IN built the set of every embedded id
    for each query, which made paging through a million chunks slow.
    """
    return ~exists().where(EmbeddingRow.chunk_id == ChunkRow.id, EmbeddingRow.model_id == model_id)


class Catalog(CatalogReads, CatalogCopy, CatalogRuns):
    """The document and chunk registry of every corpus, in any SQLAlchemy database.

    Example:
        >>> catalog = Catalog("sqlite:///:memory:")
        >>> catalog.create_schema()
        >>> catalog.ensure_corpus("cardiology", {"chunk_tokens": 254}).name
        'cardiology'
    """

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

    def source_status(self, corpus: str, path: str) -> tuple[SourceState, int]:
        """A source's hash and status (no document hashes) and how many documents it has."""
        with self._session() as session:
            corpus_row = self._corpus_row(session, corpus)
            source = (
                None
                if corpus_row is None
                else session.scalar(
                    select(SourceRow).where(
                        SourceRow.corpus_id == corpus_row.id, SourceRow.path == path
                    )
                )
            )
            if source is None:
                return SourceState(None, None), 0
            count = session.scalar(select(func.count()).where(DocumentRow.source_id == source.id))
            return SourceState(source.sha256, source.status), int(count or 0)

    def document_hashes(self, corpus: str, path: str, doc_ids: Sequence[str]) -> dict[str, str]:
        """For each of `doc_ids` that the source already holds, its stored hash."""
        found: dict[str, str] = {}
        with self._session() as session:
            corpus_row = self._corpus_row(session, corpus)
            if corpus_row is None:
                return found
            for batch in batches(list(doc_ids)):
                found.update(
                    session.execute(
                        select(DocumentRow.doc_id, DocumentRow.sha256)
                        .join(SourceRow, SourceRow.id == DocumentRow.source_id)
                        .where(SourceRow.corpus_id == corpus_row.id, SourceRow.path == path)
                        .where(DocumentRow.doc_id.in_(batch))
                    ).all()
                )
        return found

    def source_doc_ids(self, corpus: str, path: str, *, page: int = 10_000) -> Iterator[str]:
        """Every document id of a source, read a page at a time (in id order)."""
        after = ""
        while True:
            with self._session() as session:
                ids = list(
                    session.scalars(
                        select(DocumentRow.doc_id)
                        .join(SourceRow, SourceRow.id == DocumentRow.source_id)
                        .join(CorpusRow, CorpusRow.id == SourceRow.corpus_id)
                        .where(CorpusRow.name == corpus, SourceRow.path == path)
                        .where(DocumentRow.doc_id > after)
                        .order_by(DocumentRow.doc_id)
                        .limit(page)
                    )
                )
            yield from ids
            if len(ids) < page:
                return
            after = ids[-1]

    def doc_id_owners(self, corpus: str, doc_ids: Sequence[str]) -> dict[str, str]:
        """For each of `doc_ids` already in the corpus, the source file it came from."""
        owners: dict[str, str] = {}
        with self._session() as session:
            corpus_row = self._corpus_row(session, corpus)
            if corpus_row is None:
                return owners
            corpus_id = corpus_row.id
            for batch in batches(list(doc_ids)):
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
        *,
        complete: bool = True,
    ) -> None:
        """In one transaction: drop replaced documents, add new ones, record the file as ok.

        The caller deletes `remove_doc_ids` from every collection first. A large file is
        written in parts: each but the last with `complete=False`, which records the file as
        `partial`, so a run cut off half-way is taken up again by the next one.
        """
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            self._delete_documents(session, corpus_id, remove_doc_ids)
            source = session.scalar(
                select(SourceRow).where(SourceRow.corpus_id == corpus_id, SourceRow.path == path)
            )
            status = "ok" if complete else "partial"
            if source is None:
                source = SourceRow(corpus_id=corpus_id, path=path, sha256=sha256, status=status)
                session.add(source)
            source.sha256, source.status, source.error = sha256, status, None
            source.updated_at = now()
            session.flush()
            if not documents:
                return
            # One bulk insert per table (RETURNING the keys in order), not a flush per
            # document: a million-record file is written in parts of thousands.
            document_pks = session.scalars(
                insert(DocumentRow).returning(DocumentRow.id, sort_by_parameter_order=True),
                [
                    {
                        "corpus_id": corpus_id,
                        "source_id": source.id,
                        "doc_id": document.doc_id,
                        "sha256": document.sha256,
                        "title": document.title,
                        "doc_type": document.doc_type,
                        "pages": document.pages,
                        "meta": document.metadata,
                        "ocr_pages": len(document.ocr_pages),
                    }
                    for document in documents
                ],
            ).all()
            chunks = [
                {
                    "id": c.chunk_id,
                    "document_pk": document_pk,
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
                for document_pk, document in zip(document_pks, documents, strict=True)
                for c in document.chunks
            ]
            if chunks:
                session.execute(insert(ChunkRow), chunks)

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
            source.status, source.error, source.updated_at = "failed", error, now()

    def _delete_documents(self, session: Session, corpus_id: int, doc_ids: Sequence[str]) -> None:
        for batch in batches(list(doc_ids)):
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
    def pending_chunks(
        self, corpus: str, model_id: str, *, after: str | None = None, limit: int | None = None
    ) -> list[PendingChunk]:
        """Chunks of the corpus that `model_id` has not embedded, with their payload metadata.

        In chunk id order; `after` and `limit` page through them, so a million pending
        chunks never sit in memory at once.
        """
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            query = (
                select(ChunkRow, DocumentRow, SourceRow.path)
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .join(SourceRow, SourceRow.id == DocumentRow.source_id)
                .where(DocumentRow.corpus_id == corpus_id, _not_embedded(model_id))
                .order_by(ChunkRow.id)
                .limit(limit)
            )
            if after is not None:
                query = query.where(ChunkRow.id > after)
            rows = session.execute(query).all()
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
        return self.pending_size(corpus, model_id)[0]

    def pending_size(self, corpus: str, model_id: str) -> tuple[int, int]:
        """The chunks `model_id` has not embedded: how many, and their characters of text."""
        with self._session() as session:
            corpus_row = self._corpus_row(session, corpus)
            if corpus_row is None:
                return 0, 0
            count, chars = session.execute(
                select(func.count(), func.coalesce(func.sum(func.length(ChunkRow.text)), 0))
                .select_from(ChunkRow)
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .where(DocumentRow.corpus_id == corpus_row.id, _not_embedded(model_id))
            ).one()
            return int(count), int(chars)

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
            for batch in batches(list(doc_ids)):
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
