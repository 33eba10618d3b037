"""What the pipeline tests share: the sections they ingest, file writers and checks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from retrieval import (
    Catalog,
)
from retrieval.store.interface import VectorStore

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


def doc_chunk_ids_of(catalog: Catalog, doc_id: str, among: set[str]) -> set[str]:
    ids = {
        c.chunk_id
        for c in catalog.pending_chunks(CORPUS, "nobody")
        if c.metadata["doc_id"] == doc_id
    }
    assert ids and ids <= among
    return ids


def crash_once(monkeypatch: pytest.MonkeyPatch, target: object, method: str) -> None:
    """Make `target.method` raise RuntimeError on its next call, then behave normally."""
    real = getattr(target, method)

    def crash(*args: object, **kwargs: object) -> None:
        monkeypatch.setattr(target, method, real)
        raise RuntimeError(f"killed in {method}")

    monkeypatch.setattr(target, method, crash)
