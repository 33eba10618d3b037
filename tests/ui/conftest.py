"""UI fixtures: a demo data dir (real textbook sections and a real PDF, embedded by MiniLM and
MiniLM + CardioRAG's LoRA adapter), copied for each test, and an AppTest over it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from adapters import Encoder, ModelSpec, load_encoder
from ingest import ingest_paths
from retrieval import Catalog
from retrieval._edge import EdgeStore
from retrieval.index import Index
from tests.conftest import MODEL_CACHE, REPO, write_textbook_sections

APP = REPO / "ui" / "app.py"
DEMO_MODELS = ("minilm", "minilm-cardio")
DEMO_PDF = "pdfs/ehag110.pdf"


@pytest.fixture(autouse=True)
def fresh_resources() -> None:
    """Each test's app reads its own settings: Streamlit's caches outlive an AppTest run."""
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def demo_template(
    tmp_path_factory: pytest.TempPathFactory,
    shared_data: Path,
    specs: dict[str, ModelSpec],
    minilm: Encoder,
) -> Path:
    """Fifteen textbook sections and one journal PDF, ingested once per session."""
    root = tmp_path_factory.mktemp("ui-demo")
    sources = root / "sources"
    sources.mkdir()
    textbook = write_textbook_sections(shared_data, sources)
    pdf = sources / Path(DEMO_PDF).name
    shutil.copyfile(shared_data / DEMO_PDF, pdf)
    data_dir = root / "data"
    data_dir.mkdir()
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.db'}")
    catalog.create_schema()
    with EdgeStore(data_dir / "qdrant") as store:
        report = ingest_paths(
            [textbook, pdf],
            corpus="cardiology",
            models=[specs[m] for m in DEMO_MODELS],
            index=Index(catalog, store),
            load_encoder=lambda spec: load_encoder(spec, cache_dir=MODEL_CACHE),
        )
    catalog.close()
    assert report.ok, report.failed
    return root


@pytest.fixture
def demo_dir(demo_template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the demo data dir (the store locks its folder while open)."""
    copy = tmp_path / "demo"
    shutil.copytree(demo_template, copy)
    return copy / "data"


@pytest.fixture
def open_app(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Start the app on the demo data dir, optionally on another page; returns the AppTest."""
    monkeypatch.setenv("CARDIORAG_DATA_DIR", str(demo_dir))
    monkeypatch.setenv("CARDIORAG_MODEL_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("CARDIORAG_TORCH_THREADS", "1")

    def start(page: str | None = None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=180)
        app.run()
        assert not app.exception, app.exception
        if page is not None:
            app.switch_page(page).run()
            assert not app.exception, app.exception
        return app

    return start
