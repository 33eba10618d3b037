"""Which model embedded which chunk: the bookkeeping that says what is left to embed.

A chunk is marked embedded for a model only after the store accepted its vector, and unmarked
before the store deletes it, so the catalog never claims a point that is not there.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, exists, func, insert, select

from retrieval.catalog.connection import batches
from retrieval.catalog.corpora import CatalogCorpora
from retrieval.catalog.records import PendingChunk
from retrieval.catalog.tables import ChunkRow, DocumentRow, EmbeddingRow, SourceRow


def _not_embedded(model_id: str) -> ColumnElement[bool]:
    """A chunk `model_id` has no vector for.

    NOT EXISTS is a primary-key lookup per chunk, where NOT IN would build the set of every
    embedded id for each query.
    """
    return ~exists().where(EmbeddingRow.chunk_id == ChunkRow.id, EmbeddingRow.model_id == model_id)


class CatalogEmbeddings(CatalogCorpora):
    """Pending chunks per model, marked embedded once stored and unmarked before deletion."""

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
