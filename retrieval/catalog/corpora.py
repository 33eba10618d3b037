"""Corpora and the models that embed them: the rows every other catalog table hangs from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from retrieval.catalog.connection import CatalogConnection
from retrieval.catalog.records import CorpusModel
from retrieval.catalog.tables import (
    ChunkRow,
    CorpusModelRow,
    CorpusRow,
    DefinitionRow,
    DocumentRow,
    EmbeddingRow,
    SourceRow,
)
from retrieval.errors import CorpusConfigError


class CatalogCorpora(CatalogConnection):
    """Create, check and drop corpora; record which model embeds each into which collection."""

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
            session.execute(
                delete(DefinitionRow).where(DefinitionRow.document_pk.in_(document_pks))
            )
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
