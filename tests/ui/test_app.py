from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from adapters import Encoder, ModelSpec
from retrieval import Catalog
from retrieval._edge import EdgeStore
from tests.conftest import MODEL_CACHE, REPO, ingest_with_minilm


@pytest.fixture(autouse=True)
def fresh_resources() -> None:
    """Each test's app reads its own settings: st.cache_resource outlives an AppTest run."""
    st.cache_resource.clear()


@pytest.fixture
def demo_dir(tmp_path: Path, shared_data: Path, minilm: Encoder, encoder_loader, specs) -> Path:
    """A data dir with the real Heart Anatomy sections ingested, store closed again."""
    lines = (shared_data / "textbook").glob("*.jsonl").__next__().read_text().splitlines()
    heart = [line for line in lines if "Heart Anatomy" in json.loads(line)["module_title"]]
    source = tmp_path / "textbook.jsonl"
    source.write_text("\n".join(heart[:12]) + "\n")
    data_dir = tmp_path / "data"
    catalog = Catalog(f"sqlite:///{data_dir / 'catalog.db'}")
    data_dir.mkdir()
    catalog.create_schema()
    with EdgeStore(data_dir / "qdrant") as store:
        report = ingest_with_minilm([source], store, catalog, specs, encoder_loader)
    assert report.ok and report.added == len(heart[:12])
    catalog.close()
    return data_dir


def test_search_page_shows_hits_with_their_source(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, specs: dict[str, ModelSpec]
) -> None:
    monkeypatch.setenv("CARDIORAG_DATA_DIR", str(demo_dir))
    monkeypatch.setenv("CARDIORAG_MODEL_CACHE_DIR", str(MODEL_CACHE))
    app = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception
    app.text_input(key="search.query").input("chambers of the heart and the valves").run()
    assert not app.exception
    captions = [caption.value for caption in app.caption]
    assert captions, "no results shown"
    assert all("textbook" in caption for caption in captions)
    assert any("Answer" in header.value for header in app.subheader)
    titles = [md.value for md in app.markdown]
    assert any("Heart Anatomy" in title for title in titles)
    app.session_state["search.query"] = "   "


def test_password_guards_the_app_when_set(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDIORAG_DATA_DIR", str(demo_dir))
    monkeypatch.setenv("CARDIORAG_MODEL_CACHE_DIR", str(MODEL_CACHE))
    monkeypatch.setenv("CARDIORAG_UI_PASSWORD", "s3cret-heart")
    app = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception
    assert not app.text_input(key="auth.password").value
    assert not [t for t in app.text_input if t.key == "search.query"]  # nothing else drawn
    app.text_input(key="auth.password").input("wrong")
    app.button[0].click().run()
    assert [e.value for e in app.error] == ["Wrong password."]
    app.text_input(key="auth.password").input("s3cret-heart")
    app.button[0].click().run()
    assert not app.exception
    assert [t for t in app.text_input if t.key == "search.query"]
