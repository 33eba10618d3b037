"""int8 scalar quantization of a corpus's dense vectors in the embedded store (real MiniLM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters import ModelSpec
from ingest import IngestOptions, ingest_paths
from retrieval import Catalog, QuantizationMismatchError, Retriever, Settings, collection_name
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.corpora import write_textbook_sections
from tests.support.dtypes import SESSION_DTYPE
from tests.support.paths import MODEL_CACHE

QUERIES = (
    "which blood group can receive any donor's red cells",
    "how a clot is dissolved after healing",
    "what platelets do when a vessel is injured",
    "the size and shape of the heart",
)


def _index(
    catalog: Catalog,
    store: EdgeStore,
    tmp_path: Path,
    quantization: str | None,
    dtype: str = SESSION_DTYPE,
) -> Index:
    """An index whose models compute in `dtype` (a numerics test's: its `settings.dtype`)."""
    settings = Settings(
        data_dir=tmp_path / "data", model_cache_dir=MODEL_CACHE, quantization=quantization,
        dtype=dtype,
    )  # fmt: skip
    return Index(catalog, store, settings)


def _ingest(index: Index, corpus: str, source: Path, spec: ModelSpec, **options: Any) -> None:
    report = ingest_paths([source], IngestOptions(corpus, [spec], **options), index=index)
    assert report.ok, report.failed


@pytest.mark.numerics
def test_an_int8_corpus_finds_what_the_float_corpus_finds(
    tmp_path: Path, shared_data: Path, store: EdgeStore, catalog: Catalog, specs, settings
) -> None:
    source = write_textbook_sections(shared_data, tmp_path)
    plain = _index(catalog, store, tmp_path, None, settings.dtype)
    small = _index(catalog, store, tmp_path, "int8", settings.dtype)
    _ingest(plain, "plain", source, specs["minilm"])
    _ingest(small, "small", source, specs["minilm"])
    assert store.collection_info(collection_name("plain", "minilm")).quantization == "none"
    assert store.collection_info(collection_name("small", "minilm")).quantization == "int8"
    found = {}
    for corpus in ("plain", "small"):
        with Retriever(corpus, "minilm", settings=settings, store=store, catalog=catalog) as r:
            found[corpus] = [
                [hit.text for hit in r.search(query, k=5, mode="dense")] for query in QUERIES
            ]
    for plain, small in zip(found["plain"], found["small"], strict=True):
        assert plain[0] == small[0]  # the best hit survives quantization
        assert len(set(plain) & set(small)) >= 4


def test_int8_asked_of_a_float_corpus_names_the_rebuild_and_writes_nothing(
    tmp_path: Path, shared_data: Path, store: EdgeStore, catalog: Catalog, specs
) -> None:
    source = write_textbook_sections(shared_data, tmp_path)
    _ingest(_index(catalog, store, tmp_path, None), "cardiology", source, specs["minilm"])
    documents = len(catalog.list_documents("cardiology"))
    more = tmp_path / "more"
    more.mkdir()
    extra = write_textbook_sections(shared_data, more, ids=("m46661-s00",))
    int8 = _index(catalog, store, tmp_path, "int8")
    with pytest.raises(QuantizationMismatchError) as refused:
        ingest_paths([extra], IngestOptions("cardiology", [specs["minilm"]]), index=int8)
    assert "--recreate --quantization int8" in str(refused.value)
    assert len(catalog.list_documents("cardiology")) == documents
    # Unset, the corpus keeps what it was built with; --recreate rebuilds it as asked.
    _ingest(_index(catalog, store, tmp_path, None), "cardiology", extra, specs["minilm"])
    _ingest(int8, "cardiology", source, specs["minilm"], recreate=True)
    info = store.collection_info(collection_name("cardiology", "minilm"))
    assert info.quantization == "int8" and info.points > 0


@pytest.mark.numerics
def test_an_int8_corpus_reopened_from_disk_answers_as_before(
    tmp_path: Path, shared_data: Path, catalog: Catalog, specs, settings
) -> None:
    # Its int8 vectors, HNSW graph and BM25 index are memory-mapped, its float vectors and
    # payloads read on demand: a new process (a new store on the folder) must find them all.
    source = write_textbook_sections(shared_data, tmp_path)
    folder = tmp_path / "mapped"

    def search_all(store: EdgeStore) -> list[list[str]]:
        with Retriever("small", "minilm", settings=settings, store=store, catalog=catalog) as r:
            return [
                [hit.text for hit in r.search(query, k=5, mode=mode)]
                for query in QUERIES
                for mode in ("dense", "sparse", "hybrid")
            ]

    first = EdgeStore(folder)
    _ingest(
        _index(catalog, first, tmp_path, "int8", settings.dtype), "small", source, specs["minilm"]
    )
    before = search_all(first)
    first.close()
    reopened = EdgeStore(folder)
    try:
        assert reopened.collection_info(collection_name("small", "minilm")).quantization == "int8"
        assert search_all(reopened) == before
        assert all(before)  # every query and mode found something
    finally:
        reopened.close()


@pytest.mark.parametrize(("quantization", "warmed"), [(None, True), ("int8", False)])
def test_a_large_float_collection_is_warmed_when_it_opens_and_answers_the_same(
    tmp_path: Path,
    shared_data: Path,
    catalog: Catalog,
    specs,
    settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    quantization: str | None,
    warmed: bool,
) -> None:
    # The real threshold (50k points) lowered to this corpus's size, so its reopening warms.
    monkeypatch.setattr("retrieval.store._edge_warm.WARM_FROM_POINTS", 10)
    source = write_textbook_sections(shared_data, tmp_path)
    folder = tmp_path / "warm"

    def dense_hits(store: EdgeStore) -> list[list[str]]:
        with Retriever("notes", "minilm", settings=settings, store=store, catalog=catalog) as r:
            return [[hit.chunk_id for hit in r.search(q, k=5, mode="dense")] for q in QUERIES]

    first = EdgeStore(folder)
    _ingest(_index(catalog, first, tmp_path, quantization), "notes", source, specs["minilm"])
    before = dense_hits(first)
    first.close()
    caplog.set_level("INFO", logger="retrieval.store._edge_warm")
    reopened = EdgeStore(folder)
    try:
        assert dense_hits(reopened) == before
    finally:
        reopened.close()
    warm_lines = [r.getMessage() for r in caplog.records if r.name == "retrieval.store._edge_warm"]
    assert bool(warm_lines) is warmed
    if warmed:
        assert warm_lines[0].startswith("warmed dense search over ")
        assert "with 256 searches" in warm_lines[0]
