"""The SQL catalog on a real SQLite file: corpora, sources, documents, chunks, embeddings."""

from __future__ import annotations

import dataclasses
import doctest
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import retrieval.catalog.documents
from retrieval import Catalog, CorpusConfigError
from retrieval.catalog import ChunkRecord, CorpusModel, DocumentRecord

CHUNKING = {"tokenizer": "minilm", "chunk_tokens": 254, "overlap_tokens": 32}
CORPUS = "cardiology"
MODELS = (
    CorpusModel("minilm", "cardiology__minilm", 384, "a" * 16),
    CorpusModel("minilm-b", "cardiology__minilm-b", 384, "b" * 16),
)
# Two sentences of OpenStax A&P 2e, "Cardiac Cycle" (m46661-s00), as chunk texts.
TEXTS = (
    "The period of time that begins with contraction of the atria and ends with ventricular "
    "relaxation is known as the cardiac cycle.",
    "The period of contraction that the heart undergoes while it pumps blood into circulation "
    "is called systole.",
    "The period of relaxation that occurs as the chambers fill with blood is called diastole.",
)


def _document(
    doc_id: str, *, chunks: int = 2, version: str = "v1", **meta: object
) -> DocumentRecord:
    sha = uuid.uuid5(uuid.NAMESPACE_URL, f"{doc_id}/{version}").hex * 2
    records = tuple(
        ChunkRecord(
            chunk_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{doc_id}/{version}/{i}")),
            chunk_index=i,
            text=TEXTS[i % len(TEXTS)],
            section="Cardiac Cycle",
            page_start=i + 1,
            page_end=i + 1,
            char_start=i * 100,
            char_end=i * 100 + 99,
        )
        for i in range(chunks)
    )
    return DocumentRecord(
        doc_id=doc_id,
        sha256=sha,
        title=f"Title of {doc_id}",
        doc_type="textbook",
        pages=chunks,
        metadata=dict(meta),
        chunks=records,
    )


def _ids(document: DocumentRecord) -> set[str]:
    return {c.chunk_id for c in document.chunks}


@pytest.fixture
def corpus(catalog: Catalog) -> Catalog:
    catalog.ensure_corpus(CORPUS, CHUNKING)
    for model in MODELS:
        catalog.add_corpus_model(CORPUS, model)
    return catalog


def test_constructor_takes_a_url_or_an_engine_not_both(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'both.db'}"
    engine = create_engine(url)
    try:
        with pytest.raises(ValueError, match="not both"):
            Catalog(url, engine=engine)
        with pytest.raises(ValueError, match="not neither"):
            Catalog()
        from_engine = Catalog(engine=engine)
        from_engine.create_schema()
        from_engine.create_schema()  # idempotent
        from_engine.ensure_corpus(CORPUS, CHUNKING)
        assert Catalog(url).corpus_names() == [CORPUS]
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys(catalog: Catalog) -> None:
    if catalog.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas; this run's catalog is PostgreSQL")
    with catalog.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_docstring_example_runs() -> None:
    failures, tried = doctest.testmod(retrieval.catalog.documents, verbose=False)
    assert tried > 0
    assert failures == 0


def test_ensure_corpus_creates_once_and_refuses_other_chunking(catalog: Catalog) -> None:
    assert catalog.corpus_chunking(CORPUS) is None
    assert catalog.ensure_corpus(CORPUS, CHUNKING).name == CORPUS
    assert catalog.ensure_corpus(CORPUS, dict(CHUNKING)).chunking == CHUNKING
    catalog.ensure_corpus("another", CHUNKING)
    assert catalog.corpus_names() == ["another", CORPUS]
    assert catalog.corpus_chunking(CORPUS) == CHUNKING
    with pytest.raises(CorpusConfigError, match="--recreate") as caught:
        catalog.ensure_corpus(CORPUS, {**CHUNKING, "overlap_tokens": 16})
    assert "'overlap_tokens': 16" in str(caught.value)
    assert catalog.corpus_chunking(CORPUS) == CHUNKING


def test_corpus_models_are_recorded_once_in_order(corpus: Catalog) -> None:
    corpus.add_corpus_model(CORPUS, MODELS[0])  # idempotent
    assert corpus.corpus_models(CORPUS) == list(MODELS)
    assert corpus.corpus_models("unknown") == []


def test_unknown_corpus(catalog: Catalog) -> None:
    state = catalog.source_state("unknown", "/data/a.jsonl")
    assert (state.sha256, state.status, state.documents) == (None, None, {})
    assert catalog.doc_id_owners("unknown", ["x"]) == {}
    with pytest.raises(CorpusConfigError, match="no corpus named 'unknown'"):
        catalog.write_source("unknown", "/data/a.jsonl", "0" * 64, [_document("a")], [])
    with pytest.raises(CorpusConfigError):
        catalog.chunk_ids("unknown")
    catalog.drop_corpus("unknown")  # no error


def test_write_source_then_read_it_back(corpus: Catalog) -> None:
    a, b = _document("a"), _document("b", chunks=3)
    corpus.write_source(CORPUS, "/data/ab.jsonl", "f" * 64, [a, b], [])
    state = corpus.source_state(CORPUS, "/data/ab.jsonl")
    assert (state.sha256, state.status) == ("f" * 64, "ok")
    assert state.documents == {"a": a.sha256, "b": b.sha256}
    assert corpus.chunk_ids(CORPUS) == _ids(a) | _ids(b)
    assert corpus.chunk_ids(CORPUS, "minilm") == set()
    assert corpus.doc_id_owners(CORPUS, ["a", "b", "c"]) == {
        "a": "/data/ab.jsonl",
        "b": "/data/ab.jsonl",
    }


def test_a_catalog_older_than_parts_and_ocr_gets_their_columns(corpus: Catalog) -> None:
    corpus.write_source(CORPUS, "/data/old.pdf", "a" * 64, [_document("old")], [])
    with corpus.engine.begin() as connection:  # the schema as catalogs had it before
        for table, column in (("chunks", "part"), ("chunks", "ocr"), ("documents", "ocr_pages")):
            connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
    corpus.create_schema()
    pending = corpus.pending_chunks(CORPUS, MODELS[0].model_id)
    assert {(c.metadata["part"], c.metadata["ocr"]) for c in pending} == {("body", False)}
    (listed,) = corpus.list_documents(CORPUS)
    assert listed.ocr_pages == 0
    scanned = dataclasses.replace(_document("scan"), ocr_pages=(2, 3))
    corpus.write_source(CORPUS, "/data/scan.pdf", "b" * 64, [scanned], [])
    assert {d.doc_id: d.ocr_pages for d in corpus.list_documents(CORPUS)} == {"old": 0, "scan": 2}


def test_pending_chunks_carry_the_payload_metadata(corpus: Catalog) -> None:
    document = _document("m46661-s00", chunks=2, chapter="Cardiac Cycle", module_id="m46661")
    corpus.write_source(CORPUS, "/data/textbook.jsonl", "e" * 64, [document], [])
    pending = sorted(corpus.pending_chunks(CORPUS, "minilm"), key=lambda c: c.chunk_id)
    expected = sorted(document.chunks, key=lambda c: c.chunk_id)
    assert [p.chunk_id for p in pending] == [c.chunk_id for c in expected]
    for chunk, record in zip(pending, expected, strict=True):
        assert chunk.text == record.text
        assert chunk.metadata == {
            "chapter": "Cardiac Cycle",
            "module_id": "m46661",
            "doc_id": "m46661-s00",
            "source": "/data/textbook.jsonl",
            "title": "Title of m46661-s00",
            "doc_type": "textbook",
            "section": "Cardiac Cycle",
            "chunk_index": record.chunk_index,
            "page_start": record.page_start,
            "page_end": record.page_end,
            "char_start": record.char_start,
            "char_end": record.char_end,
            "part": record.part,
            "ocr": record.ocr,
        }


def test_mark_embedded_is_per_model(corpus: Catalog) -> None:
    document = _document("a", chunks=3)
    corpus.write_source(CORPUS, "/data/a.jsonl", "1" * 64, [document], [])
    first = sorted(_ids(document))[:2]
    corpus.mark_embedded("minilm", first)
    corpus.mark_embedded("minilm", [])  # nothing to do
    assert corpus.chunk_ids(CORPUS, "minilm") == set(first)
    assert {c.chunk_id for c in corpus.pending_chunks(CORPUS, "minilm")} == _ids(document) - set(
        first
    )
    assert {c.chunk_id for c in corpus.pending_chunks(CORPUS, "minilm-b")} == _ids(document)


def test_write_source_replaces_documents_and_their_embeddings(corpus: Catalog) -> None:
    old_a, b = _document("a"), _document("b")
    corpus.write_source(CORPUS, "/data/ab.jsonl", "1" * 64, [old_a, b], [])
    corpus.mark_embedded("minilm", sorted(_ids(old_a) | _ids(b)))
    new_a = _document("a", version="v2", chunks=3)
    corpus.write_source(CORPUS, "/data/ab.jsonl", "2" * 64, [new_a], ["a"])
    state = corpus.source_state(CORPUS, "/data/ab.jsonl")
    assert state.sha256 == "2" * 64
    assert state.documents == {"a": new_a.sha256, "b": b.sha256}
    assert corpus.chunk_ids(CORPUS) == _ids(new_a) | _ids(b)
    assert corpus.chunk_ids(CORPUS, "minilm") == _ids(b)
    with corpus.engine.connect() as connection:
        orphans = connection.execute(
            text("SELECT count(*) FROM embeddings WHERE chunk_id NOT IN (SELECT id FROM chunks)")
        ).scalar()
    assert orphans == 0


def test_forget_embeddings_unmarks_those_documents_for_every_model(corpus: Catalog) -> None:
    a, b = _document("a"), _document("b")
    corpus.write_source(CORPUS, "/data/ab.jsonl", "1" * 64, [a, b], [])
    for model in MODELS:
        corpus.mark_embedded(model.model_id, sorted(_ids(a) | _ids(b)))
    corpus.forget_embeddings(CORPUS, ["a", "not-there"])
    corpus.forget_embeddings(CORPUS, [])
    for model in MODELS:
        assert corpus.chunk_ids(CORPUS, model.model_id) == _ids(b)
        assert {c.chunk_id for c in corpus.pending_chunks(CORPUS, model.model_id)} == _ids(a)
    assert corpus.chunk_ids(CORPUS) == _ids(a) | _ids(b)  # the chunks themselves stay


def test_list_documents_ready_pending_failed(corpus: Catalog) -> None:
    ready, pending = _document("ready", chunks=2), _document("pending", chunks=3)
    corpus.write_source(CORPUS, "/data/a.jsonl", "1" * 64, [ready, pending], [])
    for model in MODELS:
        corpus.mark_embedded(model.model_id, sorted(_ids(ready)))
    corpus.mark_embedded("minilm", sorted(_ids(pending)))
    corpus.mark_embedded("minilm-b", sorted(_ids(pending))[:1])
    corpus.record_failure(CORPUS, "/data/broken.jsonl", "9" * 64, "/data/broken.jsonl:3: bad")

    listed = {d.doc_id: d for d in corpus.list_documents(CORPUS)}
    assert set(listed) == {"ready", "pending", ""}
    assert listed["ready"].status == "ready"
    assert listed["ready"].models == ("minilm", "minilm-b")
    assert (listed["ready"].chunks, listed["ready"].source) == (2, "/data/a.jsonl")
    assert listed["ready"].title == "Title of ready"
    assert listed["pending"].status == "pending"
    assert listed["pending"].models == ("minilm",)
    assert listed["pending"].chunks == 3
    failed = listed[""]
    assert (failed.status, failed.source, failed.chunks) == ("failed", "/data/broken.jsonl", 0)
    assert failed.error == "/data/broken.jsonl:3: bad"


def test_record_failure_of_a_new_file_is_retried_next_time(corpus: Catalog) -> None:
    corpus.record_failure(CORPUS, "/data/new.jsonl", "9" * 64, "bad")
    state = corpus.source_state(CORPUS, "/data/new.jsonl")
    assert (state.sha256, state.status, state.documents) == ("", "failed", {})


def test_record_failure_of_a_known_file_keeps_its_documents(corpus: Catalog) -> None:
    document = _document("a")
    corpus.write_source(CORPUS, "/data/a.jsonl", "1" * 64, [document], [])
    corpus.mark_embedded("minilm", sorted(_ids(document)))
    corpus.record_failure(CORPUS, "/data/a.jsonl", "2" * 64, "now broken")
    state = corpus.source_state(CORPUS, "/data/a.jsonl")
    assert (state.status, state.documents) == ("failed", {"a": document.sha256})
    assert corpus.chunk_ids(CORPUS, "minilm") == _ids(document)
    statuses = {(d.doc_id, d.status) for d in corpus.list_documents(CORPUS)}
    assert statuses == {("a", "pending"), ("", "failed")}  # minilm-b has not embedded it
    # Fixed again: the source is ok.
    corpus.write_source(CORPUS, "/data/a.jsonl", "1" * 64, [], [])
    assert corpus.source_state(CORPUS, "/data/a.jsonl").status == "ok"
    assert [d.doc_id for d in corpus.list_documents(CORPUS)] == ["a"]


SOURCES = {
    "/data/100%_real/a.jsonl": ["a"],
    "/data/100%_real/deep/b.jsonl": ["b"],
    "/data/100%Xreal/c.jsonl": ["c"],  # matches an unescaped LIKE '/data/100%_real/%'
    "/data/100abc_real/d.jsonl": ["d"],  # so does this one
    "/data/100%_real.jsonl": ["e"],  # a sibling file, not below the folder
    "/other/f.md": ["f"],
}


@pytest.fixture
def sources(corpus: Catalog) -> Catalog:
    for number, (path, doc_ids) in enumerate(SOURCES.items()):
        documents = [_document(doc_id) for doc_id in doc_ids]
        corpus.write_source(CORPUS, path, str(number) * 64, documents, [])
    return corpus


def test_sources_under_a_folder_escapes_like_wildcards(sources: Catalog) -> None:
    expected = {"/data/100%_real/a.jsonl": ["a"], "/data/100%_real/deep/b.jsonl": ["b"]}
    assert sources.sources_under(CORPUS, "/data/100%_real") == expected
    assert sources.sources_under(CORPUS, "/data/100%_real/") == expected
    assert sources.sources_under(CORPUS, "/data/100%_real.jsonl") == {
        "/data/100%_real.jsonl": ["e"]
    }
    assert sources.sources_under(CORPUS, "/data/100") == {}
    assert sources.sources_under(CORPUS, "/data/%") == {}
    assert set(sources.sources_under(CORPUS, "/data")) == set(SOURCES) - {"/other/f.md"}


def test_remove_sources(sources: Catalog) -> None:
    removed = sources.sources_under(CORPUS, "/data/100%_real")
    sources.remove_sources(CORPUS, [*removed, "/not/there.jsonl"])
    assert sources.sources_under(CORPUS, "/data/100%_real") == {}
    assert sources.doc_id_owners(CORPUS, ["a", "b", "c"]) == {"c": "/data/100%Xreal/c.jsonl"}
    remaining = {d.doc_id for d in sources.list_documents(CORPUS)}
    assert remaining == {"c", "d", "e", "f"}
    assert sources.chunk_ids(CORPUS) == set().union(
        *(_ids(_document(doc_id)) for doc_id in remaining)
    )


def test_drop_corpus_leaves_other_corpora(corpus: Catalog) -> None:
    corpus.ensure_corpus("other", CHUNKING)
    corpus.add_corpus_model("other", MODELS[0])
    kept = _document("kept", version="other", chunks=1)
    corpus.write_source("other", "/data/a.jsonl", "1" * 64, [kept], [])
    dropped = _document("dropped", chunks=1)
    corpus.write_source(CORPUS, "/data/a.jsonl", "1" * 64, [dropped], [])
    corpus.mark_embedded("minilm", sorted(_ids(kept) | _ids(dropped)))
    corpus.drop_corpus(CORPUS)
    assert corpus.corpus_names() == ["other"]
    assert corpus.corpus_models(CORPUS) == []
    assert corpus.chunk_ids("other", "minilm") == _ids(kept)
    with corpus.engine.connect() as connection:
        for table in ("sources", "documents", "chunks", "embeddings", "corpus_models"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1
