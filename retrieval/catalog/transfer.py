"""Copying a corpus's catalog rows to another database (after its points: `cardiorag migrate`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from retrieval.catalog.connection import batches
from retrieval.catalog.documents import Catalog
from retrieval.catalog.tables import (
    Base,
    ChunkRow,
    CorpusModelRow,
    CorpusRow,
    DefinitionRow,
    DocumentRow,
    EmbeddingRow,
    SourceRow,
)
from retrieval.errors import CorpusConfigError


def _plain(row: Base, *skip: str) -> dict[str, Any]:
    """A row's column values but its own key and the `skip` references, which the target remaps."""
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in ("id", *skip)
    }


def _copy_document_rows(
    reading: Session,
    writing: Session,
    table: type[ChunkRow] | type[DefinitionRow],
    corpus_id: int,
    document_ids: dict[int, int],
    *,
    keep_id: bool = False,
) -> None:
    """Copy the rows of `table` that belong to the corpus's documents, their keys remapped."""
    rows = [
        {
            **_plain(row, "document_pk"),
            **({"id": row.id} if keep_id else {}),
            "document_pk": document_ids[row.document_pk],
        }
        for row in reading.scalars(
            select(table)
            .join(DocumentRow, DocumentRow.id == table.document_pk)
            .where(DocumentRow.corpus_id == corpus_id)
        )
    ]
    for batch in batches(rows):
        writing.execute(insert(table), list(batch))


def copy_corpus_rows(corpus: str, source: Catalog, target: Catalog) -> None:
    """Copy every row of a corpus from one catalog into another, in one transaction there.

    Integer keys are assigned anew by the target and the references remapped; chunk ids
    (the Qdrant point ids) stay as they are.

    Raises:
        CorpusConfigError: When the target already has a corpus of that name.
    """
    if corpus in target.corpus_names():
        raise CorpusConfigError(f"the target catalog already has a corpus named {corpus!r}")
    with source._session() as reading, target._session() as writing:
        corpus_row = reading.scalars(select(CorpusRow).where(CorpusRow.name == corpus)).one()
        new_corpus = CorpusRow(**_plain(corpus_row))
        writing.add(new_corpus)
        writing.flush()
        for model in reading.scalars(
            select(CorpusModelRow).where(CorpusModelRow.corpus_id == corpus_row.id)
        ):
            writing.add(CorpusModelRow(**_plain(model, "corpus_id"), corpus_id=new_corpus.id))
        source_ids: dict[int, int] = {}
        for row in reading.scalars(select(SourceRow).where(SourceRow.corpus_id == corpus_row.id)):
            copy = SourceRow(**_plain(row, "corpus_id"), corpus_id=new_corpus.id)
            writing.add(copy)
            writing.flush()
            source_ids[row.id] = copy.id
        document_ids: dict[int, int] = {}
        for row in reading.scalars(
            select(DocumentRow).where(DocumentRow.corpus_id == corpus_row.id)
        ):
            copy = DocumentRow(
                **_plain(row, "corpus_id", "source_id"),
                corpus_id=new_corpus.id,
                source_id=source_ids[row.source_id],
            )
            writing.add(copy)
            writing.flush()
            document_ids[row.id] = copy.id
        # Chunks keep their ids (the Qdrant point ids); definitions get new ones.
        _copy_document_rows(reading, writing, ChunkRow, corpus_row.id, document_ids, keep_id=True)
        _copy_document_rows(reading, writing, DefinitionRow, corpus_row.id, document_ids)
        embeddings = [
            {"chunk_id": row.chunk_id, "model_id": row.model_id, "embedded_at": row.embedded_at}
            for row in reading.scalars(
                select(EmbeddingRow)
                .join(ChunkRow, ChunkRow.id == EmbeddingRow.chunk_id)
                .join(DocumentRow, DocumentRow.id == ChunkRow.document_pk)
                .where(DocumentRow.corpus_id == corpus_row.id)
            )
        ]
        for batch in batches(embeddings):
            writing.execute(insert(EmbeddingRow), list(batch))
