"""The ingest pipeline end to end: real MiniLM, real Qdrant Edge, real SQLite, real textbook
sections (a few short ones, copied into tmp_path at test time so that they can be edited).

After every run the index must be consistent: for each model of the corpus, the collection's
point ids == the catalog's chunk ids == the chunk ids that model is recorded to have embedded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import ingest.loaders
import ingest.pipeline
from adapters import Encoder, ModelSpec
from ingest import IngestOptions
from ingest.documents import Document
from ingest.pdf import load_pdf
from retrieval import (
    Catalog,
    collection_name,
)
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.bad_inputs import write_broken_pdf
from tests.support.corpora import search_dense
from tests.support.pdfs import build_article
from tests.support.pipeline import (
    CARDIAC_CYCLE,
    CORPUS,
    EXTRA_SENTENCE,
    SECTIONS_A,
    SECTIONS_B,
    SECTIONS_MD,
    VENULES,
    assert_consistent,
    doc_chunk_ids_of,
    glossary_definition,
    pick,
    write_jsonl,
    write_markdown,
)

# -- 1. first ingest -------------------------------------------------------------------------


def test_first_ingest_stores_every_chunk_with_its_payload(
    run: Callable[..., Any],
    corpus_files: list[Path],
    store: EdgeStore,
    catalog: Catalog,
    minilm: Encoder,
    sections: dict[str, dict[str, Any]],
    shared_data: Path,
) -> None:
    jsonl, markdown = corpus_files
    report = run(corpus_files)

    assert report.ok and not report.dry_run
    assert (report.added, report.updated, report.skipped, report.deleted) == (7, 0, 0, 0)
    assert report.empty_records == 1
    chunk_ids = assert_consistent(store, catalog)
    assert report.chunks == len(chunk_ids) >= 7
    [model_run] = report.models
    assert model_run.model_id == "minilm"
    assert model_run.collection == collection_name(CORPUS, "minilm")
    assert model_run.chunks == len(chunk_ids)
    assert model_run.chunks_per_second > 0

    listed = {d.doc_id: d for d in catalog.list_documents(CORPUS)}
    assert set(listed) == {*SECTIONS_A, str(markdown)}
    assert {d.status for d in listed.values()} == {"ready"}
    assert {d.models for d in listed.values()} == {("minilm",)}
    assert listed[CARDIAC_CYCLE].doc_type == "textbook"
    assert listed[str(markdown)].doc_type == "note"

    # A glossary definition finds its section, with the payload a citation needs.
    query = minilm.encode_queries([glossary_definition(shared_data, "g0192")])[0]
    top = search_dense(store, model_run.collection, query.tolist(), k=3)[0]
    record = sections[CARDIAC_CYCLE]
    assert top.metadata["doc_id"] == CARDIAC_CYCLE
    assert top.metadata["source"] == str(jsonl)
    assert top.metadata["title"] == record["module_title"]
    assert top.metadata["section"] == record["section_title"]
    assert top.metadata["doc_type"] == "textbook"
    assert top.metadata["page_start"] is None and top.metadata["page_end"] is None
    assert top.metadata["chunk_index"] == 0
    assert top.metadata["chapter"] == record["chapter"]
    assert top.text == record["text"][top.metadata["char_start"] : top.metadata["char_end"]]

    markdown_hits = search_dense(
        store, model_run.collection, query.tolist(), k=20, doc_types=["note"]
    )
    assert {h.metadata["doc_id"] for h in markdown_hits} == {str(markdown)}
    assert {h.metadata["section"] for h in markdown_hits} <= {
        f"{sections[i]['chapter']} > {sections[i]['section_title']}" for i in SECTIONS_MD
    }


# -- 2. unchanged files ------------------------------------------------------------------------


def test_reingesting_unchanged_files_writes_nothing(
    run: Callable[..., Any],
    corpus_files: list[Path],
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
) -> None:
    run(corpus_files)
    collection = collection_name(CORPUS, "minilm")
    points, chunks = store.point_ids(collection), catalog.chunk_ids(CORPUS)
    loaded: list[str] = []

    def refuse_to_load(spec: ModelSpec) -> Encoder:
        loaded.append(spec.id)
        raise AssertionError("nothing changed, so no model should load")

    report = ingest.pipeline.ingest_paths(
        corpus_files,
        IngestOptions(corpus=CORPUS, models=[specs["minilm"]]),
        index=Index(catalog, store),
        load_encoder=refuse_to_load,
    )

    assert (report.added, report.updated, report.deleted, report.chunks) == (0, 0, 0, 0)
    assert report.skipped == 7
    assert report.models == [] and loaded == []
    assert store.point_ids(collection) == points
    assert catalog.chunk_ids(CORPUS) == chunks
    assert_consistent(store, catalog)


# -- 3. a changed file, several models ---------------------------------------------------------


def test_changed_record_is_replaced_in_every_models_collection(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    two_specs: dict[str, ModelSpec],
) -> None:
    records = pick(sections, SECTIONS_A)
    jsonl = write_jsonl(workdir / "sections.jsonl", records)
    first = run([jsonl], models=list(two_specs.values()))
    assert [m.model_id for m in first.models] == ["minilm", "minilm-b"]
    before = assert_consistent(store, catalog, expected_models=2)
    old_ids = doc_chunk_ids_of(catalog, CARDIAC_CYCLE, before)

    records[SECTIONS_A.index(CARDIAC_CYCLE)]["text"] += EXTRA_SENTENCE
    write_jsonl(jsonl, records)
    model_ids = ingest.pipeline.run_model_ids(catalog, CORPUS, ["minilm"], "minilm")
    assert model_ids == ["minilm", "minilm-b"]
    report = run([jsonl], models=[two_specs[m] for m in model_ids])

    assert (report.added, report.updated, report.skipped) == (0, 1, len(SECTIONS_A) - 1)
    after = assert_consistent(store, catalog, expected_models=2)
    new_ids = after - before
    assert new_ids and old_ids.isdisjoint(after)
    assert after == (before - old_ids) | new_ids
    assert [(m.model_id, m.chunks) for m in report.models] == [
        ("minilm", len(new_ids)),
        ("minilm-b", len(new_ids)),
    ]
    for model in catalog.corpus_models(CORPUS):
        assert old_ids.isdisjoint(store.point_ids(model.collection))
        assert new_ids <= store.point_ids(model.collection)


def test_changed_file_with_one_model_leaves_the_other_pending_not_stale(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
    two_specs: dict[str, ModelSpec],
) -> None:
    records = pick(sections, SECTIONS_A)
    jsonl = write_jsonl(workdir / "sections.jsonl", records)
    run([jsonl], models=list(two_specs.values()))
    before = catalog.chunk_ids(CORPUS)
    old_ids = doc_chunk_ids_of(catalog, CARDIAC_CYCLE, before)
    records[SECTIONS_A.index(CARDIAC_CYCLE)]["text"] += EXTRA_SENTENCE
    write_jsonl(jsonl, records)

    run([jsonl], models=[two_specs["minilm"]])  # bypassing run_model_ids

    other = collection_name(CORPUS, "minilm-b")
    assert old_ids.isdisjoint(store.point_ids(other))  # stale points went everywhere
    listed = {d.doc_id: d for d in catalog.list_documents(CORPUS)}
    assert (listed[CARDIAC_CYCLE].status, listed[CARDIAC_CYCLE].models) == ("pending", ("minilm",))
    assert {listed[d].status for d in SECTIONS_A if d != CARDIAC_CYCLE} == {"ready"}

    run([jsonl], models=list(two_specs.values()))
    assert_consistent(store, catalog, expected_models=2)
    assert {d.status for d in catalog.list_documents(CORPUS)} == {"ready"}


def test_changed_markdown_file_is_replaced(
    run: Callable[..., Any], corpus_files: list[Path], store: EdgeStore, catalog: Catalog
) -> None:
    _, markdown = corpus_files
    run(corpus_files)
    before = catalog.chunk_ids(CORPUS)
    old_ids = doc_chunk_ids_of(catalog, str(markdown), before)
    markdown.write_text(markdown.read_text() + "\n## Summary\n\nLeukocytes live hours to years.\n")

    report = run(corpus_files)

    assert (report.updated, report.skipped) == (1, 6)
    after = assert_consistent(store, catalog)
    assert old_ids.isdisjoint(after)
    assert before - old_ids < after


def test_a_new_pdf_reader_reads_unchanged_pdfs_again_and_replaces_their_chunks(
    run: Callable[..., Any],
    workdir: Path,
    store: EdgeStore,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = workdir / "article.pdf"
    pdf.write_bytes(build_article(outline=True))
    with monkeypatch.context() as before:  # a reader that lost the last section, one version back
        real = ingest.loaders.load_pdf

        def lossy_reader(*args: Any) -> Document:
            document = real(*args)
            return replace(document, sections=document.sections[:-1])

        before.setattr(ingest.loaders, "load_pdf", lossy_reader)
        before.setattr(ingest.loaders, "READER_TAG", b"\x1fpdf-reader-0")
        run([pdf])
        assert run([pdf]).skipped == 1  # the same bytes and the same reader: not read again
    old_ids = assert_consistent(store, catalog)
    last_section = load_pdf(pdf, pdf.read_bytes(), "0" * 64, None).sections[-1].text

    report = run([pdf])  # the same bytes, today's reader

    assert (report.updated, report.added, report.skipped) == (1, 0, 0)
    new_ids = assert_consistent(store, catalog)
    assert old_ids.isdisjoint(new_ids)
    texts = [c.text for c in catalog.pending_chunks(CORPUS, "nobody")]
    assert any(last_section[:60] in text for text in texts)
    assert run([pdf]).skipped == 1
    assert assert_consistent(store, catalog) == new_ids


# -- 4. a removed record --------------------------------------------------------------------


def test_removed_record_leaves_collection_and_catalog(
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
    gone = doc_chunk_ids_of(catalog, VENULES, before)

    write_jsonl(jsonl, [r for r in records if r["id"] != VENULES])
    report = run([jsonl])

    assert (report.added, report.updated, report.deleted) == (0, 0, 1)
    assert report.skipped == len(SECTIONS_A) - 1
    assert report.models == []  # nothing to embed, so no model was loaded
    assert assert_consistent(store, catalog) == before - gone
    assert catalog.doc_id_owners(CORPUS, [VENULES]) == {}
    assert VENULES not in {d.doc_id for d in catalog.list_documents(CORPUS)}


# -- 5. remove_source ----------------------------------------------------------------------------


def test_remove_source_file_and_folder(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
) -> None:
    top = write_jsonl(workdir / "a.jsonl", pick(sections, SECTIONS_A[:3]))
    sub_1 = write_jsonl(workdir / "sub" / "b.jsonl", pick(sections, SECTIONS_A[3:]))
    sub_2 = write_markdown(workdir / "sub" / "deeper" / "c.md", pick(sections, SECTIONS_MD))
    sibling = write_jsonl(workdir / "sub-2" / "d.jsonl", pick(sections, SECTIONS_B))
    run([workdir])
    assert_consistent(store, catalog)

    removed = ingest.pipeline.remove_source(
        workdir / "sub", corpus=CORPUS, index=Index(catalog, store)
    )

    assert removed == len(SECTIONS_A[3:]) + 1
    remaining = {d.source for d in catalog.list_documents(CORPUS)}
    assert remaining == {str(top), str(sibling)}
    assert str(sub_1) not in remaining and str(sub_2) not in remaining
    assert_consistent(store, catalog)

    removed = ingest.pipeline.remove_source(top, corpus=CORPUS, index=Index(catalog, store))
    assert removed == 3
    assert {d.source for d in catalog.list_documents(CORPUS)} == {str(sibling)}
    chunk_ids = assert_consistent(store, catalog)
    assert len(chunk_ids) == len(SECTIONS_B)
    assert ingest.pipeline.remove_source(top, corpus=CORPUS, index=Index(catalog, store)) == 0

    report = run([workdir])  # the removed files come back as new
    assert (report.added, report.skipped) == (len(SECTIONS_A) + 1, len(SECTIONS_B))
    assert_consistent(store, catalog)


def test_progress_names_each_model_loading_then_counts_its_chunks_from_zero(
    run: Callable[..., Any], corpus_files: list[Path], two_specs: dict[str, ModelSpec]
) -> None:
    told: list[tuple[str, int, int]] = []
    report = run(
        corpus_files,
        models=list(two_specs.values()),
        progress=lambda stage, done, total: told.append((stage, done, total)),
    )
    chunks = report.models[0].chunks
    assert told[:2] == [("load minilm", 0, 2), ("load minilm-b", 1, 2)]  # before any file
    assert [t for t in told if t[0] == "parse"] == [("parse", 1, 2), ("parse", 2, 2)]
    for model_id in two_specs:
        embedded = [t for t in told if t[0] == f"embed {model_id}"]
        assert embedded[0] == (f"embed {model_id}", 0, chunks)
        assert embedded[-1] == (f"embed {model_id}", chunks, chunks)


# -- 6. bad files -------------------------------------------------------------------------------


def test_bad_files_fail_alone(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
) -> None:
    good = write_jsonl(workdir / "a.jsonl", pick(sections, SECTIONS_A))
    markdown = write_markdown(workdir / "c.md", pick(sections, SECTIONS_MD))
    broken_jsonl = workdir / "b.jsonl"
    lines = [json.dumps(r) for r in pick(sections, SECTIONS_B)]
    broken_jsonl.write_text(lines[0] + "\n" + lines[1][:-10] + "\n" + lines[2] + "\n")
    broken_pdf = workdir / "d.pdf"
    write_broken_pdf(broken_pdf)

    report = run([workdir])

    assert not report.ok
    failures = {f.path: f.reason for f in report.failed}
    assert set(failures) == {str(broken_jsonl), str(broken_pdf)}
    assert failures[str(broken_jsonl)].startswith(f"{broken_jsonl}:2: invalid JSON")
    assert str(broken_pdf) in failures[str(broken_pdf)]
    assert report.added == len(SECTIONS_A) + 1
    listed = catalog.list_documents(CORPUS)
    assert {d.source for d in listed if d.status == "ready"} == {str(good), str(markdown)}
    assert {(d.source, d.error) for d in listed if d.status == "failed"} == set(failures.items())
    assert catalog.doc_id_owners(CORPUS, list(SECTIONS_B)) == {}
    assert_consistent(store, catalog)


def test_only_bad_files_create_no_corpus_and_say_why(
    run: Callable[..., Any], workdir: Path, catalog: Catalog
) -> None:
    broken_pdf = workdir / "corrupt.pdf"
    write_broken_pdf(broken_pdf)
    report = run([broken_pdf])
    assert [f.path for f in report.failed] == [str(broken_pdf)]
    assert CORPUS not in catalog.corpus_names()


def test_a_good_file_that_breaks_keeps_its_documents(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
) -> None:
    jsonl = write_jsonl(workdir / "sections.jsonl", pick(sections, SECTIONS_A))
    good_bytes = jsonl.read_bytes()
    run([jsonl])
    before = assert_consistent(store, catalog)

    jsonl.write_bytes(good_bytes + b'{"id": "m-broken", "text": \n')
    report = run([jsonl])

    [failure] = report.failed
    assert failure.reason.startswith(f"{jsonl}:{len(SECTIONS_A) + 1}: invalid JSON")
    assert report.added == report.updated == report.deleted == 0
    assert assert_consistent(store, catalog) == before
    listed = catalog.list_documents(CORPUS)
    assert {d.doc_id for d in listed if d.status == "ready"} == set(SECTIONS_A)
    assert [(d.source, d.status) for d in listed if not d.doc_id] == [(str(jsonl), "failed")]

    jsonl.write_bytes(good_bytes)  # repaired
    report = run([jsonl])
    assert report.ok
    assert (report.added, report.updated, report.skipped) == (0, 0, len(SECTIONS_A))
    assert {d.status for d in catalog.list_documents(CORPUS)} == {"ready"}
    assert assert_consistent(store, catalog) == before


def test_unsupported_file_named_explicitly_fails_but_is_skipped_in_folders(
    run: Callable[..., Any],
    workdir: Path,
    sections: dict[str, dict[str, Any]],
    store: EdgeStore,
    catalog: Catalog,
) -> None:
    write_jsonl(workdir / "sections.jsonl", pick(sections, SECTIONS_A[:2]))
    image = workdir / "figure.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    hidden = write_jsonl(workdir / ".cache" / "x.jsonl", pick(sections, SECTIONS_B[:1]))

    report = run([workdir, image, workdir / "missing.jsonl"])

    assert [f.path for f in report.failed] == [str(image), str(workdir / "missing.jsonl")]
    assert "unsupported file type .png" in report.failed[0].reason
    assert report.added == 2
    assert str(hidden) not in {d.source for d in catalog.list_documents(CORPUS)}
    assert_consistent(store, catalog)
