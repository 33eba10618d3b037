"""Copying a corpus's catalog rows to another database (with its points: `ingest --migrate-to`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    func,
    insert,
    select,
)

from retrieval.catalog.connection import CatalogBase, batches
from retrieval.catalog.tables import (
    Base,
    ChunkRow,
    CorpusModelRow,
    CorpusRow,
    DocumentRow,
    EmbeddingRow,
    SourceRow,
)
from retrieval.errors import CorpusConfigError


class CatalogCopy(CatalogBase):
    """A corpus's rows, copied whole to another catalog."""

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

    def copy_corpus_to(self, target: CatalogBase, corpus: str) -> None:
        """Copy every row of a corpus into another catalog, in one transaction there.

        Integer keys are assigned anew by the target and the references remapped; chunk ids
        (the Qdrant point ids) stay as they are.

        Raises:
            CorpusConfigError: When the target already has a corpus of that name.
        """
        if corpus in target.corpus_names():
            raise CorpusConfigError(f"the target catalog already has a corpus named {corpus!r}")

        def plain(row: Base, *skip: str) -> dict[str, Any]:
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
            for batch in batches(chunks):
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
            for batch in batches(embeddings):
                destination.execute(insert(EmbeddingRow), list(batch))
