"""UI fixtures: a demo data dir (real textbook sections and a real PDF, embedded by MiniLM and
MiniLM + CardioRAG's LoRA adapter), copied for each test, and an AppTest over it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from adapters import ModelSpec
from ingest import IngestOptions, ingest_paths
from tests.support.corpora import CorpusTemplate, loader_in, write_textbook_sections
from tests.support.paths import APP, MODEL_CACHE

DEMO_MODELS = ("minilm", "minilm-cardio")
DEMO_PDF = "pdfs/ehag110.pdf"


@pytest.fixture(autouse=True)
def fresh_resources() -> None:
    """Each test's app reads its own settings: Streamlit's caches outlive an AppTest run."""
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def demo_template(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, specs: dict[str, ModelSpec]
) -> Iterator[CorpusTemplate]:
    """Fifteen textbook sections and one journal PDF, ingested once per session."""
    root = tmp_path_factory.mktemp("ui-demo")
    textbook = write_textbook_sections(shared_data, root)
    pdf = root / Path(DEMO_PDF).name
    shutil.copyfile(shared_data / DEMO_PDF, pdf)
    template = CorpusTemplate(
        root / "builds",
        lambda index, dtype: ingest_paths(
            [textbook, pdf],
            IngestOptions(corpus="cardiology", models=[specs[m] for m in DEMO_MODELS]),
            index=index,
            load_encoder=loader_in(dtype),
        ),
    )
    yield template
    template.close()


@pytest.fixture
def demo_dir(demo_template: CorpusTemplate, tmp_path: Path) -> Path:
    """This test's own copy of the demo data dir (the store locks its folder while open)."""
    return demo_template.copy_data_dir(tmp_path / "demo")


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
