"""Catalog reads for people and pages: chunk texts and contexts, a page's chunks, documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from retrieval.catalog.corpora import CatalogCorpora
from retrieval.catalog.records import DocumentSummary, PageChunk
from retrieval.catalog.tables import ChunkRow, DocumentRow, EmbeddingRow, SourceRow


class CatalogReads(CatalogCorpora):
    """What the app, the adapters and the listings read from the catalog."""

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
