"""Source files and their documents and chunks: what ingest writes, replaces and removes.

Written catalog-last (docs/architecture.md): the caller deletes replaced points from every
collection first, so a crash leaves work to redo, never a row that lies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from retrieval.catalog.connection import batches
from retrieval.catalog.definitions import CatalogDefinitions
from retrieval.catalog.records import DocumentRecord, SourceState
from retrieval.catalog.tables import (
    ChunkRow,
    CorpusRow,
    DefinitionRow,
    DocumentRow,
    EmbeddingRow,
    SourceRow,
    now,
)


class CatalogSources(CatalogDefinitions):
    """Which files a corpus holds, by hash and status, and the documents each brought."""

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
                        "definitions_scanned": True,
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
            self._write_definitions(session, document_pks, documents)

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
                delete(DefinitionRow).where(DefinitionRow.document_pk.in_(document_pks))
            )
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
