"""Dense vectors embed each chunk behind its context header (title, section); what a user reads
stays the chunk alone. Real MiniLM, real Qdrant Edge, real textbook sections and notes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from adapters import Encoder, ModelSpec
from adapters.context_template import DEFAULT_TEMPLATE
from ingest import IngestOptions, ingest_paths
from retrieval import Catalog, CorpusConfigError, Retriever, Settings, collection_name
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.corpora import write_textbook_sections
from tests.support.notes import ECHO, SOME_NOTES, write_notes
from tests.support.paths import TEXTBOOK

CORPUS = "cardiology"
SECTIONS = ("m46661-s01", "m46661-s03", "m46672-s01")  # cardiac cycle, heart sounds, output


def _ingest(
    paths: list[Path],
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
    **options,
):
    return ingest_paths(
        paths,
        IngestOptions(corpus=CORPUS, models=[specs["minilm"]], **options),
        index=Index(catalog, store),
        load_encoder=encoder_loader,
    )


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _vectors(store: EdgeStore) -> dict[str, tuple[np.ndarray, str, dict]]:
    points = store.export_points(collection_name(CORPUS, "minilm"))
    return {p.chunk_id: (np.asarray(p.dense), p.text, p.metadata) for p in points}


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_dense_vectors_embed_title_and_section_but_the_payload_is_the_chunk(
    tmp_path: Path,
    shared_data: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
    minilm: Encoder,
) -> None:
    source = write_textbook_sections(shared_data, tmp_path, SECTIONS)
    report = _ingest([source], store, catalog, specs, encoder_loader)
    assert report.ok, report.failed
    assert catalog.corpus_chunking(CORPUS)["context_template"] == DEFAULT_TEMPLATE
    records = {
        json.loads(line)["section_title"]: json.loads(line)
        for line in source.read_text().splitlines()
    }
    for vector, text, meta in _vectors(store).values():
        record = records[meta["section"]]
        assert text in record["text"]  # the stored chunk: no header
        assert meta["title"] == record["module_title"]
        headed = f"{meta['title']}\n{meta['section']}\n{text}"
        with_header, alone = minilm.encode_documents([headed, text])
        assert _cosine(vector, with_header) > 0.999
        assert _cosine(vector, alone) < 0.99  # the header really moved the vector


def test_a_corpus_keeps_its_template_and_another_needs_a_rebuild(
    tmp_path: Path,
    shared_data: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
    minilm: Encoder,
    settings: Settings,
) -> None:
    first = write_textbook_sections(shared_data, _folder(tmp_path, "a"), SECTIONS[:2])
    assert _ingest([first], store, catalog, specs, encoder_loader, context_template="").ok
    # As corpora built before context headers: the text alone, and the template not stored.
    assert "context_template" not in catalog.corpus_chunking(CORPUS)
    second = write_textbook_sections(shared_data, _folder(tmp_path, "b"), SECTIONS[2:])
    assert _ingest([second], store, catalog, specs, encoder_loader).ok  # None: its own
    for vector, text, _ in _vectors(store).values():
        assert _cosine(vector, minilm.encode_documents([text])[0]) > 0.999

    with Retriever(CORPUS, "minilm", settings=settings, store=store, catalog=catalog) as retriever:
        [notice] = retriever.notices
    assert "embeds the chunk text alone" in notice and "--recreate" in notice

    with pytest.raises(CorpusConfigError, match="--recreate"):
        _ingest([second], store, catalog, specs, encoder_loader, context_template=DEFAULT_TEMPLATE)
    rebuilt = _ingest(
        [first, second],
        store,
        catalog,
        specs,
        encoder_loader,
        context_template=DEFAULT_TEMPLATE,
        recreate=True,
    )
    assert rebuilt.ok
    for vector, text, meta in _vectors(store).values():
        headed = minilm.encode_documents([f"{meta['title']}\n{meta['section']}\n{text}"])[0]
        assert _cosine(vector, headed) > 0.999
    with Retriever(CORPUS, "minilm", settings=settings, store=store, catalog=catalog) as retriever:
        assert retriever.notices == []


def test_a_template_field_a_file_lacks_fails_that_file_only(
    tmp_path: Path,
    shared_data: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
) -> None:
    with_chapter = write_textbook_sections(shared_data, _folder(tmp_path, "a"), SECTIONS[:2])
    lines = (shared_data / TEXTBOOK).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[:2]]
    for record in records:
        del record["chapter"]
    without = _folder(tmp_path, "b") / "no-chapter.jsonl"
    without.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    report = _ingest(
        [without, with_chapter],
        store,
        catalog,
        specs,
        encoder_loader,
        context_template="{chapter}\n{title}\n{text}",
    )
    [failure] = report.failed
    assert failure.path == str(without)
    assert "names 'chapter', which this file lacks" in failure.reason
    assert "the fields there: module_id, module_uuid, section, text, title" in failure.reason
    assert report.added == 2  # the other file's records


def test_a_header_longer_than_its_share_is_cut_with_a_warning_never_an_empty_chunk(
    tmp_path: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
    minilm: Encoder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    title = "Guideline on the diagnosis and treatment of acute and chronic heart failure " * 30
    record = {
        "id": "esc-hf",
        "title": title.strip(),
        "text": "Sacubitril/valsartan is recommended as a replacement for an ACE-I. " * 20,
    }
    source = tmp_path / "long-title.jsonl"
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ingest"):
        report = _ingest([source], store, catalog, specs, encoder_loader)
    assert report.ok, report.failed
    assert any("esc-hf" in r.getMessage() and "is cut" in r.getMessage() for r in caplog.records)
    chunking = catalog.corpus_chunking(CORPUS)
    budget = chunking["chunk_tokens"]
    header_tokens = budget // 2
    for _, text, _ in _vectors(store).values():
        assert text.strip()
        assert minilm.count_tokens(text) + header_tokens + 1 <= budget


def test_a_note_chunk_is_headed_by_the_note_and_its_section(
    tmp_path: Path,
    shared_data: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
    minilm: Encoder,
    settings: Settings,
) -> None:
    source = write_notes(shared_data, _folder(tmp_path, "in") / "mtsamples.csv")
    assert _ingest([source], store, catalog, specs, encoder_loader).ok
    points = _vectors(store)
    [(vector, text, _)] = [
        point
        for point in points.values()
        if point[2]["doc_id"] == ECHO and point[2]["section"] == "Impression"
    ]
    assert text == "1.  Normal LV systolic function.\n2.  Ejection fraction estimated around 60%."
    headed = f"2-D Echocardiogram - 4\nImpression\n{text}"
    assert _cosine(vector, minilm.encode_documents([headed])[0]) > 0.999

    impressions = {
        chunk_id for chunk_id, (_, _, meta) in points.items() if meta["section"] == "Impression"
    }
    assert len({points[i][2]["doc_id"] for i in impressions}) == 3  # of the six notes
    query = "normal left ventricular systolic function and ejection fraction"
    with Retriever(CORPUS, "minilm", settings=settings, store=store, catalog=catalog) as retriever:
        unfiltered = retriever.search(query, k=10)
        found = retriever.search(query, k=len(points), filters={"section": "Impression"})
    assert {hit.section for hit in unfiltered} > {"Impression"}  # others match too
    assert {hit.chunk_id for hit in found} == impressions  # every impression, and only them
    assert found[0].doc_id == ECHO
    assert {hit.doc_id for hit in found} < set(SOME_NOTES)
