"""The catalog keeps each document's abbreviation definitions, and they leave with it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from retrieval import Catalog
from retrieval.catalog import ChunkRecord, DocumentRecord, copy_corpus_rows

CORPUS = "cardiology"
# Sentences of the shared PDFs (ehag110.pdf, zwag118.pdf) that define what they abbreviate.
PAPER = (
    "Heart failure with reduced ejection fraction (HFrEF) is treated with four drug classes. "
    "Patients with HFrEF benefit from sodium–glucose co-transporter 2 inhibitors (SGLT2i)."
)
TRIAL = (
    "Cardiac rehabilitation (CR) compared high-intensity interval exercise (HIIE) with usual "
    "care (UC)."
)


def _document(doc_id: str, *texts: str) -> DocumentRecord:
    starts = [sum(len(t) + 1 for t in texts[:i]) for i in range(len(texts))]
    return DocumentRecord(
        doc_id=doc_id,
        sha256=uuid.uuid5(uuid.NAMESPACE_URL, doc_id).hex * 2,
        title=doc_id,
        doc_type="paper",
        pages=1,
        metadata={},
        chunks=tuple(
            ChunkRecord(
                chunk_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{doc_id}/{i}")),
                chunk_index=i,
                text=chunk,
                section=None,
                page_start=1,
                page_end=1,
                char_start=start,
                char_end=start + len(chunk),
            )
            for i, (start, chunk) in enumerate(zip(starts, texts, strict=True))
        ),
    )


@pytest.fixture
def corpus(catalog: Catalog) -> Catalog:
    catalog.ensure_corpus(CORPUS, {"tokenizer": "minilm", "chunk_tokens": 254})
    catalog.write_source(CORPUS, "/data/ehag.pdf", "1" * 64, [_document("ehag", PAPER)], [])
    catalog.write_source(CORPUS, "/data/zwag.pdf", "2" * 64, [_document("zwag", TRIAL, PAPER)], [])
    return catalog


def _pairs(catalog: Catalog) -> dict[tuple[str, str], tuple[int, int]]:
    return {(d.short, d.long): (d.count, d.documents) for d in catalog.corpus_definitions(CORPUS)}


def test_written_documents_bring_their_definitions_counted(corpus: Catalog) -> None:
    assert _pairs(corpus) == {
        ("HFrEF", "Heart failure with reduced ejection fraction"): (2, 2),
        ("SGLT2i", "sodium–glucose co-transporter 2 inhibitors"): (2, 2),
        ("CR", "Cardiac rehabilitation"): (1, 1),
        ("HIIE", "high-intensity interval exercise"): (1, 1),
        ("UC", "usual care"): (1, 1),
    }


def test_a_replaced_or_removed_document_takes_its_definitions_along(corpus: Catalog) -> None:
    before = corpus.definitions_version(CORPUS)
    corpus.write_source(CORPUS, "/data/zwag.pdf", "3" * 64, [_document("zwag", PAPER)], ["zwag"])
    assert ("UC", "usual care") not in _pairs(corpus)
    assert corpus.definitions_version(CORPUS) != before
    corpus.remove_sources(CORPUS, ["/data/ehag.pdf"])
    assert _pairs(corpus)[("HFrEF", "Heart failure with reduced ejection fraction")] == (1, 1)
    corpus.drop_corpus(CORPUS)
    with corpus.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM definitions")).scalar() == 0


def test_documents_written_before_definitions_were_kept_are_scanned_once(
    corpus: Catalog,
) -> None:
    expected = _pairs(corpus)
    with corpus.engine.begin() as connection:  # as a catalog older than definitions has it
        connection.execute(text("DELETE FROM definitions"))
        connection.execute(text("UPDATE documents SET definitions_scanned = false"))
    assert corpus.corpus_definitions(CORPUS) == []
    assert corpus.scan_definitions(CORPUS) == 2
    assert _pairs(corpus) == expected
    assert corpus.scan_definitions(CORPUS) == 0  # nothing twice


def test_a_catalog_older_than_definitions_gets_its_column(corpus: Catalog) -> None:
    with corpus.engine.begin() as connection:
        connection.execute(text("ALTER TABLE documents DROP COLUMN definitions_scanned"))
    corpus.create_schema()
    assert corpus.scan_definitions(CORPUS) == 2  # every old document counts as unscanned


def test_migration_copies_the_definitions(corpus: Catalog, tmp_path: Path) -> None:
    target = Catalog(f"sqlite:///{tmp_path}/target.db")
    target.create_schema()
    try:
        copy_corpus_rows(CORPUS, corpus, target)
        assert target.corpus_definitions(CORPUS) and sorted(
            target.corpus_definitions(CORPUS), key=repr
        ) == sorted(corpus.corpus_definitions(CORPUS), key=repr)
    finally:
        target.close()
