"""Fixtures of the ingest pipeline tests: real sections, a work folder, an ingest into CORPUS."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from adapters import Encoder, ModelSpec
from ingest import IngestOptions, IngestReport, ingest_paths
from ingest.options import ProgressCallback, no_progress
from retrieval import (
    Catalog,
)
from retrieval.index import Index
from retrieval.store._edge import EdgeStore
from tests.support.pipeline import (
    CORPUS,
    SECTIONS_A,
    SECTIONS_MD,
    TEXTBOOK,
    pick,
    write_jsonl,
    write_markdown,
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


@pytest.fixture
def run(
    store: EdgeStore,
    catalog: Catalog,
    encoder_loader: Callable[[ModelSpec], Encoder],
    specs: dict[str, ModelSpec],
) -> Callable[..., IngestReport]:
    """`ingest_paths` into CORPUS with the test's store and catalog (MiniLM unless told)."""

    def ingest_into(
        paths: Sequence[Path],
        models: Sequence[ModelSpec] | None = None,
        progress: ProgressCallback = no_progress,
        **options: Any,
    ) -> IngestReport:
        return ingest_paths(
            list(paths),
            IngestOptions(
                corpus=CORPUS,
                models=list(models) if models is not None else [specs["minilm"]],
                **options,
            ),
            index=Index(catalog, store),
            load_encoder=encoder_loader,
            progress=progress,
        )

    return ingest_into


@pytest.fixture
def two_specs(specs: dict[str, ModelSpec]) -> dict[str, ModelSpec]:
    """MiniLM twice under two ids: two collections without loading a second architecture."""
    return {
        "minilm": specs["minilm"],
        "minilm-b": specs["minilm"].model_copy(update={"id": "minilm-b"}),
    }


@pytest.fixture
def corpus_files(workdir: Path, sections: dict[str, dict[str, Any]]) -> list[Path]:
    records = [*pick(sections, SECTIONS_A), {"id": "blank", "text": "  ", "chapter": "x"}]
    return [
        write_jsonl(workdir / "sections.jsonl", records),
        write_markdown(workdir / "leukocytes.md", pick(sections, SECTIONS_MD)),
    ]
