"""Points that would not fit on the store's disk are refused before any is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters import ModelSpec
from retrieval import Catalog, InsufficientDiskError, Settings, collection_name
from retrieval.store._edge import EdgeStore
from retrieval.store.disk_space import estimated_bytes
from tests.support.corpora import (
    SMALL_TEXTBOOK_SECTIONS,
    ingest_with_minilm,
    write_textbook_sections,
)


def test_the_estimate_grows_with_points_text_and_quantization() -> None:
    base = estimated_bytes(1000, 384, "none", 800_000)
    assert estimated_bytes(2000, 384, "none", 800_000) > base
    assert estimated_bytes(1000, 384, "none", 1_600_000) > base
    assert estimated_bytes(1000, 384, "int8", 800_000) > base
    # At least the float vectors and the text, twice (the log and the segment).
    assert base >= 2 * (1000 * 384 * 4 + 800_000)


def test_an_ingest_larger_than_the_free_disk_writes_no_point_and_resumes_later(
    tmp_path: Path,
    shared_data: Path,
    store: EdgeStore,
    catalog: Catalog,
    specs: dict[str, ModelSpec],
    encoder_loader,
) -> None:
    source = write_textbook_sections(shared_data, tmp_path)
    free_mb = shutil.disk_usage(store.root).free // 2**20
    # A reserve larger than the disk's free space: as if the corpus were larger than the disk.
    full = Settings(data_dir=tmp_path, disk_reserve_mb=free_mb + 1)
    with pytest.raises(InsufficientDiskError) as refused:
        ingest_with_minilm([source], store, catalog, specs, encoder_loader, settings=full)
    message = str(refused.value)
    assert str(store.root) in message and "GiB needed" in message and "disk_reserve_mb" in message
    collection = collection_name("cardiology", "minilm")
    assert store.collection_info(collection).points == 0
    pending = catalog.pending_count("cardiology", "minilm")
    assert pending > 0
    # With room again, the next run embeds exactly the chunks that were waiting.
    report = ingest_with_minilm([source], store, catalog, specs, encoder_loader)
    assert report.ok and report.skipped == len(SMALL_TEXTBOOK_SECTIONS)
    assert store.collection_info(collection).points == pending
    assert catalog.pending_count("cardiology", "minilm") == 0
