from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from retrieval import RunStore
from ui import resources
from ui.mode import DEFAULT_MODE
from ui.qrels import qrels_tsv, queries_jsonl, query_id

QUERY = "what does the mitral valve do"  # the adapter moves 2 of 10 dense hits (headers on)
MODELS = ["minilm", "minilm-cardio"]


def _compare(open_app: Callable[..., AppTest], pipelines: list[str] = MODELS) -> AppTest:
    app = open_app("views/compare.py")
    app.segmented_control(key="compare.mode").set_value("dense")
    app.multiselect(key="compare.models").set_value(pipelines)
    app.text_input(key="compare.query").input(QUERY).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return app


def test_compare_shows_the_agreement_the_retriever_computes(
    open_app: Callable[..., AppTest],
) -> None:
    app = _compare(open_app)
    table = app.dataframe[0].value
    assert list(table.columns) == ["models", "overlap@10", "Jaccard", "rank-biased overlap"]
    assert list(table["models"]) == ["minilm / minilm-cardio"]
    # The app's own retriever (the store is the app's: one handle per folder).
    expected = resources.retriever("cardiology", "minilm").compare(QUERY, MODELS, 10, mode="dense")
    [pair] = expected.pairs
    assert table["overlap@10"][0] == pytest.approx(pair.overlap_at_k, abs=1e-3)
    assert table["Jaccard"][0] == pytest.approx(pair.jaccard, abs=1e-3)
    assert table["rank-biased overlap"][0] == pytest.approx(pair.rbo, abs=1e-3)
    assert 0 < pair.jaccard < 1  # the adapter moves some chunks: rows show both cases
    # One row per distinct chunk; a chunk only one model found is marked as such.
    union = {h.chunk_id for hits in expected.hits.values() for h in hits}
    rows = [m.value for m in app.markdown if m.value.startswith("**") and "·" not in m.value]
    only = sum(len(hits) for hits in expected.only_in.values())
    assert len([b for b in app.button if b.label == "Relevant"]) == len(union)
    assert sum(":orange-badge[only " in text for text in rows) == only


def test_compare_opens_on_a_model_beside_itself_reranked(
    open_app: Callable[..., AppTest],
) -> None:
    app = open_app("views/compare.py")
    assert app.multiselect(key="compare.models").value == ["minilm", "minilm+rerank"]
    app.segmented_control(key="compare.mode").set_value("dense")
    app.text_input(key="compare.query").input(QUERY).run()
    assert not app.exception, app.exception
    assert list(app.dataframe[0].value["models"]) == ["minilm / minilm+rerank"]
    ranks = [m.value for m in app.markdown if m.value.startswith("**#")]
    assert len(ranks) >= 10  # each row shows its rank under both pipelines


def test_a_judgment_is_stored_and_exported_as_beir_qrels(
    open_app: Callable[..., AppTest], demo_dir: Path
) -> None:
    app = _compare(open_app)
    relevant = next(b for b in app.button if b.label == "Relevant")
    chunk_id = relevant.key.split(".")[2]
    relevant.click().run()
    assert not app.exception
    runs = RunStore(f"sqlite:///{demo_dir / 'catalog.db'}")
    [judgment] = runs.judgments("cardiology")
    runs.close()
    assert (judgment.query, judgment.chunk_id, judgment.relevant) == (QUERY, chunk_id, True)
    assert judgment.model_id in MODELS
    assert any(c.value == "judged: relevant" for c in app.caption)
    summary = next(m.value for m in app.markdown if "judgments" in m.value)
    assert "1 judgments of 1 queries" in summary
    qrels_button, queries_button = app.get("download_button")[:2]
    assert qrels_button.proto.label.startswith("Download qrels")
    assert not qrels_button.proto.disabled and not queries_button.proto.disabled
    assert (
        qrels_tsv([judgment]) == f"query-id\tcorpus-id\tscore\n{query_id(QUERY)}\t{chunk_id}\t1\n"
    )
    assert json.loads(queries_jsonl([judgment])) == {"_id": query_id(QUERY), "text": QUERY}


def test_compare_opens_on_the_mode_search_opens_on(open_app: Callable[..., AppTest]) -> None:
    app = open_app("views/compare.py")
    assert app.segmented_control(key="compare.mode").value == DEFAULT_MODE == "hybrid"
    app.switch_page("views/search.py").run()
    assert app.segmented_control(key="search.mode").value == DEFAULT_MODE
