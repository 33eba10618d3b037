"""The ingest pipeline end to end: real MiniLM, real Qdrant Edge, real SQLite, real textbook
sections (a few short ones, copied into tmp_path at test time so that they can be edited).

After every run the index must be consistent: for each model of the corpus, the collection's
point ids == the catalog's chunk ids == the chunk ids that model is recorded to have embedded.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import ingest.pipeline
from adapters import Encoder, ModelSpec
from retrieval import (
    Catalog,
    CorpusConfigError,
    Retriever,
    Settings,
    StaleEmbeddingsError,
    collection_name,
)
from retrieval._edge import EdgeStore
from retrieval.index import Index
from retrieval.store import VectorStore
from tests.conftest import search_dense
from tests.robustness.bad_inputs import write_broken_pdf

CORPUS = "cardio"
TEXTBOOK = Path("textbook") / "openstax_ap2e_cardiovascular_sections.jsonl"
GLOSSARY = Path("eval") / "openstax_glossary"
# Short sections (under 1,000 characters): one chunk each, so runs stay fast.
SECTIONS_A = (
    "m46710-s00",  # blood: overview
    "m46691-s00",  # production of the formed elements
    "m46705-s00",  # hemostasis
    "m46661-s00",  # cardiac cycle
    "m46672-s02",  # exercise and maximum cardiac output
    "m46597-s06",  # venules
)
SECTIONS_B = ("m46708-s00", "m46664-s04", "m46586-s00", "m46701-s00")
SECTIONS_MD = ("m46701-s03", "m46705-s01")  # lifecycle of leukocytes, vascular spasm
CARDIAC_CYCLE = "m46661-s00"
VENULES = "m46597-s06"
EXTRA_SENTENCE = (
    " In a healthy adult at rest, one cardiac cycle lasts about 0.8 seconds, of which the "
    "ventricles spend about 0.3 seconds in systole and 0.5 seconds in diastole."
)


@pytest.fixture(scope="module")
def sections(shared_data: Path) -> dict[str, dict[str, Any]]:
    with (shared_data / TEXTBOOK).open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    return {record["id"]: record for record in records}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    # A neutral folder name: the loaders read document types from words in the path.
    folder = (tmp_path / "in").resolve()
    folder.mkdir()
    return folder


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def write_markdown(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [f"# {records[0]['chapter']}\n"]
    parts += [f"## {r['section_title']}\n\n{r['text']}\n" for r in records]
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def glossary_definition(shared_data: Path, query_id: str) -> str:
    """A definition from the OpenStax glossary set (its qrels name the section it defines)."""
    with (shared_data / GLOSSARY / "queries.jsonl").open(encoding="utf-8") as handle:
        return next(q["text"] for q in map(json.loads, handle) if q["_id"] == query_id)


def pick(sections: dict[str, dict[str, Any]], ids: Sequence[str]) -> list[dict[str, Any]]:
    return [dict(sections[i]) for i in ids]


@pytest.fixture
def run(
    store: EdgeStore,
    catalog: Catalog,
    encoder_loader: Callable[[ModelSpec], Encoder],
    specs: dict[str, ModelSpec],
) -> Callable[..., ingest.pipeline.IngestReport]:
    """`ingest_paths` into CORPUS with the test's store and catalog (MiniLM unless told)."""

    def ingest_into(
        paths: Sequence[Path], models: Sequence[ModelSpec] | None = None, **options: Any
    ) -> ingest.pipeline.IngestReport:
        return ingest.pipeline.ingest_paths(
            list(paths),
            corpus=CORPUS,
            models=list(models) if models is not None else [specs["minilm"]],
            index=Index(catalog, store),
            load_encoder=encoder_loader,
            **options,
        )

    return ingest_into


@pytest.fixture
def two_specs(specs: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
    """MiniLM twice under two ids: two collections without loading a second architecture."""
    return {
        "minilm": specs["minilm"],
        "minilm-b": specs["minilm"].model_copy(update={"id": "minilm-b"}),
    }


def assert_consistent(store: VectorStore, catalog: Catalog, expected_models: int = 1) -> set[str]:
    """Every model's collection holds exactly the catalog's chunks, each once, all marked."""
    chunk_ids = catalog.chunk_ids(CORPUS)
    models = catalog.corpus_models(CORPUS)
    assert len(models) == expected_models
    for model in models:
        assert store.point_ids(model.collection) == chunk_ids, model.model_id
        assert store.collection_info(model.collection).points == len(chunk_ids)  # no duplicates
        assert catalog.chunk_ids(CORPUS, model.model_id) == chunk_ids, model.model_id
        assert catalog.pending_chunks(CORPUS, model.model_id) == []
    return chunk_ids


@pytest.fixture
def corpus_files(workdir: Path, sections: dict[str, dict[str, Any]]) -> list[Path]:
    records = [*pick(sections, SECTIONS_A), {"id": "blank", "text": "  ", "chapter": "x"}]
    return [
        write_jsonl(workdir / "sections.jsonl", records),
        write_markdown(workdir / "leukocytes.md", pick(sections, SECTIONS_MD)),
    ]


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
        corpus=CORPUS,
        models=[specs["minilm"]],
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


def doc_chunk_ids_of(catalog: Catalog, doc_id: str, among: set[str]) -> set[str]:
    ids = {
        c.chunk_id
        for c in catalog.pending_chunks(CORPUS, "nobody")
        if c.metadata["doc_id"] == doc_id
    }
    assert ids and ids <= among
    return ids


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


def crash_once(monkeypatch: pytest.MonkeyPatch, target: object, method: str) -> None:
    """Make `target.method` raise RuntimeError on its next call, then behave normally."""
    real = getattr(target, method)

    def crash(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(target, method, real)
        raise RuntimeError(f"killed in {method}")

    monkeypatch.setattr(target, method, crash)


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
        corpus=CORPUS,
        models=[specs["minilm"]],
        index=Index(catalog, store),
        load_encoder=loader,
        dry_run=True,
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
