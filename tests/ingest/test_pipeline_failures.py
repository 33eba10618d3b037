"""The ingest pipeline when things go wrong or change: crashes at each write, clashing ids,
recreate, dry runs, chunking settings and changed model specs.

After every run the index must be consistent (see test_pipeline.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import ingest.pipeline
from adapters import Encoder, ModelSpec
from ingest import IngestOptions
from retrieval import (
    Catalog,
    CorpusConfigError,
    Retriever,
    Settings,
    StaleEmbeddingsError,
    collection_name,
)
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.pipeline import (
    CARDIAC_CYCLE,
    CORPUS,
    EXTRA_SENTENCE,
    SECTIONS_A,
    SECTIONS_B,
    VENULES,
    assert_consistent,
    crash_once,
    doc_chunk_ids_of,
    pick,
    write_jsonl,
)

# -- 7, 8. crashes ----------------------------------------------------------------------------


def test_crash_between_qdrant_write_and_catalog_write_is_repaired(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jsonl = write_jsonl(workdir / "sections.jsonl", pick(sections, SECTIONS_A + SECTIONS_B))
    collection = collection_name(CORPUS, "minilm")
    real_mark_embedded = catalog.mark_embedded
    calls: list[int] = []

    def mark_embedded_then_crash(model_id: str, chunk_ids: Sequence[str]) -> None:
        calls.append(len(chunk_ids))
        if len(calls) == 2:
            raise RuntimeError("killed after the upsert, before the catalog write")
        real_mark_embedded(model_id, chunk_ids)

    with monkeypatch.context() as patch:
        patch.setattr(ingest.pipeline, "EMBED_WINDOW", 3)
        patch.setattr(catalog, "mark_embedded", mark_embedded_then_crash)
        with pytest.raises(RuntimeError, match="killed after the upsert"):
            run([jsonl])

    chunk_ids = catalog.chunk_ids(CORPUS)
    assert len(chunk_ids) == len(SECTIONS_A + SECTIONS_B)
    marked = catalog.chunk_ids(CORPUS, "minilm")
    assert len(marked) == 3  # the first window only
    assert marked < store.point_ids(collection) < chunk_ids  # upserted, not recorded

    report = run([jsonl])

    assert report.skipped == len(SECTIONS_A + SECTIONS_B)
    assert report.models[0].chunks == len(chunk_ids) - 3
    assert assert_consistent(store, catalog) == chunk_ids


def test_crash_after_deleting_stale_points_before_the_catalog_write(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = pick(sections, SECTIONS_A)
    jsonl = write_jsonl(workdir / "sections.jsonl", records)
    run([jsonl])
    before = catalog.chunk_ids(CORPUS)
    old_ids = doc_chunk_ids_of(catalog, CARDIAC_CYCLE, before)
    records[SECTIONS_A.index(CARDIAC_CYCLE)]["text"] += EXTRA_SENTENCE
    write_jsonl(jsonl, records)
    crash_once(monkeypatch, catalog, "write_source")

    with pytest.raises(RuntimeError, match="killed"):
        run([jsonl])
    collection = collection_name(CORPUS, "minilm")
    assert store.point_ids(collection) == before - old_ids  # Qdrant first
    assert catalog.chunk_ids(CORPUS) == before  # the catalog transaction never ran

    report = run([jsonl])

    assert report.updated == 1
    after = assert_consistent(store, catalog)
    assert old_ids.isdisjoint(after) and len(after) >= len(before)


def test_crash_after_deleting_stale_points_then_file_restored(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The old version comes back before the rerun: its deleted points must be re-embedded."""
    records = pick(sections, SECTIONS_A)
    jsonl = write_jsonl(workdir / "sections.jsonl", records)
    original = jsonl.read_bytes()
    run([jsonl])
    before = catalog.chunk_ids(CORPUS)
    records[SECTIONS_A.index(CARDIAC_CYCLE)]["text"] += EXTRA_SENTENCE
    write_jsonl(jsonl, records)
    crash_once(monkeypatch, catalog, "write_source")
    with pytest.raises(RuntimeError, match="killed"):
        run([jsonl])

    jsonl.write_bytes(original)
    run([jsonl])

    assert assert_consistent(store, catalog) == before
    assert {d.status for d in catalog.list_documents(CORPUS)} == {"ready"}


def test_crash_in_remove_source_before_the_catalog_write(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = write_jsonl(workdir / "a.jsonl", pick(sections, SECTIONS_A))
    removed = write_jsonl(workdir / "b.jsonl", pick(sections, SECTIONS_B))
    run([workdir])
    everything = catalog.chunk_ids(CORPUS)
    crash_once(monkeypatch, catalog, "remove_sources")

    with pytest.raises(RuntimeError, match="killed"):
        ingest.pipeline.remove_source(removed, corpus=CORPUS, index=Index(catalog, store))

    # The catalog still lists the documents, but no longer claims their points.
    listed = {d.doc_id: d.status for d in catalog.list_documents(CORPUS)}
    assert {listed[d] for d in SECTIONS_B} == {"pending"}
    assert {listed[d] for d in SECTIONS_A} == {"ready"}
    # Either way out is consistent: ingest again (it comes back) ...
    report = run([workdir])
    assert report.skipped == len(SECTIONS_A + SECTIONS_B)
    assert report.models[0].chunks == len(SECTIONS_B)
    assert assert_consistent(store, catalog) == everything
    # ... or remove it again.
    assert ingest.pipeline.remove_source(
        removed, corpus=CORPUS, index=Index(catalog, store)
    ) == len(SECTIONS_B)
    assert {d.source for d in catalog.list_documents(CORPUS)} == {str(kept)}
    assert_consistent(store, catalog)


# -- 9. duplicate ids across files ----------------------------------------------------------


def test_duplicate_doc_id_across_files_fails_the_second_file(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
) -> None:
    first = write_jsonl(workdir / "a.jsonl", pick(sections, SECTIONS_A))
    clash = {**sections[SECTIONS_B[0]], "id": CARDIAC_CYCLE}
    second = write_jsonl(workdir / "b.jsonl", [*pick(sections, SECTIONS_B[1:]), clash])

    report = run([workdir])

    [failure] = report.failed
    assert failure.path == str(second)
    assert f"document id {CARDIAC_CYCLE!r} already comes from {first}" in failure.reason
    assert report.added == len(SECTIONS_A)
    owners = catalog.doc_id_owners(CORPUS, [CARDIAC_CYCLE, *SECTIONS_B])
    assert owners == {CARDIAC_CYCLE: str(first)}
    assert_consistent(store, catalog)


# -- 10. recreate, dry run, chunking settings -------------------------------------------------


def test_recreate_rebuilds_with_the_same_chunk_ids(
    run: Callable[..., Any], corpus_files: list[Path], store: EdgeStore, catalog: Catalog
) -> None:
    run(corpus_files)
    before = catalog.chunk_ids(CORPUS)

    report = run(corpus_files, recreate=True)

    assert (report.added, report.skipped) == (7, 0)
    assert report.models[0].chunks == len(before)
    assert assert_consistent(store, catalog) == before


def test_recreate_drops_models_not_asked_for_again(
    run: Callable[..., Any],
    corpus_files: list[Path],
    store: EdgeStore,
    catalog: Catalog,
    two_specs: dict[str, ModelSpec],
) -> None:
    run(corpus_files, models=list(two_specs.values()))
    run(corpus_files, models=[two_specs["minilm"]], recreate=True)
    assert not store.collection_exists(collection_name(CORPUS, "minilm-b"))
    assert [m.model_id for m in catalog.corpus_models(CORPUS)] == ["minilm"]
    assert_consistent(store, catalog)


def test_dry_run_on_a_new_corpus_writes_nothing(
    corpus_files: list[Path],
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader: Callable[[ModelSpec], Encoder],
    workdir: Path,
) -> None:
    loaded: list[str] = []

    def loader(spec: ModelSpec) -> Encoder:
        loaded.append(spec.id)
        return encoder_loader(spec)

    broken = workdir / "broken.jsonl"
    broken.write_text("{not json\n")
    report = ingest.pipeline.ingest_paths(
        [*corpus_files, broken],
        IngestOptions(corpus=CORPUS, models=[specs["minilm"]], dry_run=True),
        index=Index(catalog, store),
        load_encoder=loader,
    )

    assert report.dry_run
    assert (report.added, report.updated, report.skipped, report.empty_records) == (7, 0, 0, 1)
    assert [f.path for f in report.failed] == [str(broken)]
    assert (report.chunks, report.models) == (0, [])
    assert loaded == []
    assert catalog.corpus_names() == []
    assert not store.collection_exists(collection_name(CORPUS, "minilm"))
    assert not any(p.name != ".lock" for p in store.root.iterdir())


def test_dry_run_on_an_existing_corpus_reports_changes_only(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
) -> None:
    records = pick(sections, SECTIONS_A)
    jsonl = write_jsonl(workdir / "sections.jsonl", records)
    run([jsonl])
    before = catalog.chunk_ids(CORPUS)
    state = catalog.source_state(CORPUS, str(jsonl))
    records[SECTIONS_A.index(CARDIAC_CYCLE)]["text"] += EXTRA_SENTENCE
    records = [r for r in records if r["id"] != VENULES] + pick(sections, SECTIONS_B[:2])
    write_jsonl(jsonl, records)

    report = run([jsonl], dry_run=True)

    assert (report.added, report.updated, report.deleted) == (2, 1, 1)
    assert report.skipped == len(SECTIONS_A) - 2
    assert catalog.source_state(CORPUS, str(jsonl)) == state
    assert assert_consistent(store, catalog) == before


def test_corpus_refuses_another_chunk_overlap(
    run: Callable[..., Any], corpus_files: list[Path], store: EdgeStore, catalog: Catalog
) -> None:
    run(corpus_files, overlap_tokens=32)
    before = catalog.chunk_ids(CORPUS)
    chunking = catalog.corpus_chunking(CORPUS)
    assert chunking is not None and chunking["overlap_tokens"] == 32

    with pytest.raises(CorpusConfigError, match="--recreate"):
        run(corpus_files, overlap_tokens=16)

    assert catalog.corpus_chunking(CORPUS) == chunking
    assert assert_consistent(store, catalog) == before
    report = run(corpus_files, overlap_tokens=16, recreate=True)
    assert report.added == 7
    assert catalog.corpus_chunking(CORPUS)["overlap_tokens"] == 16
    assert_consistent(store, catalog)


def test_chunking_fits_the_model_and_chunk_ids_are_shared_across_models(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    minilm: Encoder,
    two_specs: dict[str, ModelSpec],
) -> None:
    # One long section, so that it is cut into several overlapping chunks.
    jsonl = write_jsonl(workdir / "long.jsonl", pick(sections, ["m46661-s03"]))  # heart sounds
    report = run([jsonl], models=list(two_specs.values()))
    chunking = catalog.corpus_chunking(CORPUS)
    assert chunking is not None
    assert chunking["chunk_tokens"] == minilm.max_seq_length - 2
    chunks = catalog.pending_chunks(CORPUS, "nobody")
    assert len(chunks) >= 2
    assert all(minilm.count_tokens(c.text) <= chunking["chunk_tokens"] for c in chunks)
    ordered = sorted(chunks, key=lambda c: c.metadata["chunk_index"])
    text = sections["m46661-s03"]["text"]
    for chunk in ordered:
        assert text[chunk.metadata["char_start"] : chunk.metadata["char_end"]] == chunk.text
    for earlier, later in itertools.pairwise(ordered):
        assert earlier.metadata["char_start"] < later.metadata["char_start"]
    assert [m.chunks for m in report.models] == [len(chunks), len(chunks)]
    assert_consistent(store, catalog, expected_models=2)


def test_crash_during_recreate_leaves_no_lying_rows(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jsonl = write_jsonl(workdir / "sections.jsonl", pick(sections, SECTIONS_A))
    run([jsonl])

    def crash(name: str) -> None:
        raise RuntimeError("crash after dropping the collections, before the catalog")

    monkeypatch.setattr(catalog, "drop_corpus", crash)
    with pytest.raises(RuntimeError):
        run([jsonl], recreate=True)
    monkeypatch.undo()

    report = run([jsonl])  # no --recreate: the unmarked chunks are embedded again
    assert report.skipped == len(SECTIONS_A)
    assert_consistent(store, catalog)


def test_a_changed_model_spec_is_refused_by_search_and_reembedded_by_ingest(
    run: Callable[..., Any],
    corpus_files: list[Path],
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    settings: Settings,
) -> None:
    run(corpus_files)
    chunk_ids = catalog.chunk_ids(CORPUS)
    # As after retraining an adapter: same id, other vectors (here, a document prefix).
    changed = specs["minilm"].model_copy(update={"document_prefix": "passage: "})
    assert changed.spec_hash != specs["minilm"].spec_hash
    new_specs = {**specs, "minilm": changed}
    with (
        pytest.raises(StaleEmbeddingsError, match="earlier version of model 'minilm'"),
        Retriever(
            CORPUS, "minilm", settings=settings, store=store, catalog=catalog, specs=new_specs
        ) as old,
    ):
        old.search("systole")

    report = run(corpus_files, models=[changed])

    assert report.added == 0 and report.models[0].chunks == len(chunk_ids)
    (model,) = catalog.corpus_models(CORPUS)
    assert model.spec_hash == changed.spec_hash
    assert assert_consistent(store, catalog) == chunk_ids
    with Retriever(
        CORPUS, "minilm", settings=settings, store=store, catalog=catalog, specs=new_specs
    ) as new:
        assert new.search("systole", 3)
