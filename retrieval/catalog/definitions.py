"""The abbreviations each document defines: written with its chunks, read per corpus.

A document's definitions are counted from its chunks when it is written, and leave with it.
Documents written before definitions were kept are scanned once, from their stored chunks
(`scan_definitions`, which every ingest run calls).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from retrieval.catalog.corpora import CatalogCorpora
from retrieval.catalog.records import CorpusDefinition, DocumentRecord
from retrieval.catalog.tables import ChunkRow, DefinitionRow, DocumentRow
from retrieval.shorthand.definitions import count_definitions

# Documents scanned per transaction when older documents are scanned from their chunks.
_SCAN_PAGE = 200


def _insert_definitions(
    session: Session, documents: Iterable[tuple[int, Iterable[tuple[int, str]]]]
) -> None:
    """Count and insert the definitions of documents given as (key, [(chunk offset, text)])."""
    rows = [
        {"document_pk": pk, "short": found.short, "long": found.long, "count": found.count}
        for pk, chunks in documents
        for found in count_definitions(chunks)
    ]
    if rows:
        session.execute(insert(DefinitionRow), rows)


class CatalogDefinitions(CatalogCorpora):
    """Abbreviation definitions ("long form (SHORT)") by document, counted."""

    def _write_definitions(
        self, session: Session, document_pks: Sequence[int], documents: Sequence[DocumentRecord]
    ) -> None:
        _insert_definitions(
            session,
            (
                (pk, [(c.char_start, c.text) for c in document.chunks])
                for pk, document in zip(document_pks, documents, strict=True)
            ),
        )

    def scan_definitions(self, corpus: str) -> int:
        """Record the definitions of the corpus's documents not scanned yet; how many were."""
        scanned = 0
        while True:
            with self._session() as session:
                corpus_id = self._corpus_id(session, corpus)
                pks = session.scalars(
                    select(DocumentRow.id)
                    .where(DocumentRow.corpus_id == corpus_id, ~DocumentRow.definitions_scanned)
                    .limit(_SCAN_PAGE)
                ).all()
                if not pks:
                    return scanned
                pieces: dict[int, list[tuple[int, str]]] = {pk: [] for pk in pks}
                for pk, start, text in session.execute(
                    select(ChunkRow.document_pk, ChunkRow.char_start, ChunkRow.text).where(
                        ChunkRow.document_pk.in_(pks)
                    )
                ):
                    pieces[pk].append((start, text))
                _insert_definitions(session, pieces.items())
                session.execute(
                    update(DocumentRow)
                    .where(DocumentRow.id.in_(pks))
                    .values(definitions_scanned=True)
                )
                scanned += len(pks)

    def corpus_definitions(self, corpus: str) -> list[CorpusDefinition]:
        """Every abbreviation the corpus defines, each long form with its count and documents."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            rows = session.execute(
                select(
                    DefinitionRow.short,
                    DefinitionRow.long,
                    func.sum(DefinitionRow.count),
                    func.count(func.distinct(DefinitionRow.document_pk)),
                )
                .join(DocumentRow, DocumentRow.id == DefinitionRow.document_pk)
                .where(DocumentRow.corpus_id == corpus_id)
                .group_by(DefinitionRow.short, DefinitionRow.long)
            ).all()
        return [CorpusDefinition(short, long, int(n), int(docs)) for short, long, n, docs in rows]

    def definitions_version(self, corpus: str) -> tuple[int, int]:
        """A value that changes whenever the corpus's definitions do (rows, highest row id)."""
        with self._session() as session:
            corpus_id = self._corpus_id(session, corpus)
            count, top = session.execute(
                select(func.count(DefinitionRow.id), func.max(DefinitionRow.id))
                .join(DocumentRow, DocumentRow.id == DefinitionRow.document_pk)
                .where(DocumentRow.corpus_id == corpus_id)
            ).one()
        return int(count), int(top or 0)
