"""Clinical text stays out of logs: at INFO level and above, no chunk text and no query."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from retrieval import Catalog, Retriever, Settings
from retrieval.store._edge import EdgeStore
from tests.support.corpora import ingest_with_minilm, write_textbook_sections

QUERY = "which valve closes at the start of ventricular systole"


def test_ingest_and_search_log_no_document_text_or_query(
    shared_data: Path,
    tmp_path: Path,
    store: EdgeStore,
    catalog: Catalog,
    settings: Settings,
    specs,
    encoder_loader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    source = write_textbook_sections(shared_data, tmp_path)
    assert ingest_with_minilm([source], store, catalog, specs, encoder_loader).ok
    with Retriever("cardiology", "minilm", settings=settings, store=store, catalog=catalog) as r:
        for mode in ("dense", "sparse", "hybrid"):
            r.search(QUERY, k=5, mode=mode)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "embedded" in logged  # INFO lines were captured
    assert QUERY not in logged
    for texts in catalog.chunk_texts_by_document("cardiology").values():
        for sentence in " ".join(texts).split(". "):
            if len(sentence) > 40:
                assert sentence not in logged
