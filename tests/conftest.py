"""Shared fixtures: the real MiniLM model (loaded once), a temporary embedded Qdrant store and
a temporary SQLite catalog per test, and paths to the real data in ../shared/data."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from adapters import Encoder, ModelSpec, configure_torch, load_encoder, load_model_specs
from retrieval import Catalog, Settings
from retrieval._edge import EdgeStore
from retrieval.query import FieldMatch, SearchMode, StoreQuery
from retrieval.store import ScoredChunk, VectorStore

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CARDIORAG_DATA", REPO.parent / "shared" / "data"))
MODEL_CACHE = Path("~/.cache/cardiorag/models").expanduser()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the real test data is missing: {SHARED_DATA} (set CARDIORAG_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def specs() -> dict[str, ModelSpec]:
    return load_model_specs()


@pytest.fixture(scope="session")
def minilm(specs: dict[str, ModelSpec]) -> Encoder:
    configure_torch(1)
    return load_encoder(specs["minilm"], cache_dir=MODEL_CACHE)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "cardiorag", model_cache_dir=MODEL_CACHE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EdgeStore]:
    edge = EdgeStore(tmp_path / "qdrant")
    yield edge
    edge.close()


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    cat = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    cat.create_schema()
    yield cat
    cat.close()


@pytest.fixture
def encoder_loader(minilm: Encoder):
    """What `ingest_paths` calls to get an encoder; loads each spec once per process."""

    def load(spec: ModelSpec) -> Encoder:
        return load_encoder(spec, cache_dir=MODEL_CACHE)

    return load


def search_dense(
    store: VectorStore, name: str, vector: Sequence[float], k: int, doc_types: Sequence[str] = ()
) -> list[ScoredChunk]:
    """A dense query, optionally restricted to some doc types."""
    conditions = (FieldMatch("doc_type", tuple(doc_types)),) if doc_types else ()
    query = StoreQuery(SearchMode.DENSE, k, dense=list(vector), conditions=conditions)
    return store.search(name, query)
