"""The HTTP API over a real corpus (the real textbook sections, MiniLM, Qdrant Edge, SQLite).

Requests go through FastAPI's test client, in process: the routes, the error statuses, and
concurrent searches sharing one store and one model.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from api import create_app
from retrieval import Answerer, Retriever, Settings
from tests.support.corpora import CorpusTemplate
from tests.support.paths import MODEL_CACHE

QUESTIONS = (
    "Which blood type is the universal donor?",
    "What happens in a transfusion reaction?",
    "How does vascular spasm stop bleeding?",
    "What antibodies does type A blood carry?",
)


@pytest.fixture
def corpus_settings(tmp_path: Path, textbook_template: CorpusTemplate) -> Settings:
    """Settings whose data dir holds the small textbook corpus, embedded with MiniLM."""
    data_dir = textbook_template.copy_data_dir(tmp_path / "data")
    return Settings(data_dir=data_dir, model_cache_dir=MODEL_CACHE)


@pytest.fixture
def client(corpus_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(corpus_settings)) as test_client:
        yield test_client


def test_health_and_corpora_name_the_corpus_and_its_models(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "corpora": ["cardiology"]}
    assert client.get("/corpora").json() == [{"name": "cardiology", "models": ["minilm"]}]


def test_search_returns_the_hits_the_retriever_finds_with_their_citations(
    corpus_settings: Settings,
) -> None:
    with TestClient(create_app(corpus_settings)) as client:  # the store is released at exit
        response = client.post("/search", json={"query": QUESTIONS[0], "k": 3, "mode": "hybrid"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["corpus"], body["model"], body["mode"]) == ("cardiology", "minilm", "hybrid")
    assert [hit["rank"] for hit in body["hits"]] == [1, 2, 3]
    assert body["hits"][0]["citation"].startswith("Blood Typing")
    assert body["took_ms"] > 0
    with Retriever("cardiology", "minilm", settings=corpus_settings) as retriever:
        expected = retriever.search(QUESTIONS[0], 3, mode="hybrid")
    assert [hit["chunk_id"] for hit in body["hits"]] == [hit.chunk_id for hit in expected]


def test_answer_quotes_sentences_with_markers_and_its_sources(client: TestClient) -> None:
    body = client.post("/answer", json={"query": QUESTIONS[1]}).json()
    assert body["weak"] is False
    assert "[1]" in body["answer"] or "[2]" in body["answer"]
    assert 1 <= len(body["sources"]) <= 3


def test_answer_gives_what_the_app_and_the_cli_give(
    corpus_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(corpus_settings)) as client:
        quoted = client.post("/answer", json={"query": QUESTIONS[1], "mode": "hybrid"}).json()
    with Retriever("cardiology", "minilm", settings=corpus_settings) as retriever:
        expected = Answerer().answer(retriever, QUESTIONS[1], 3, mode="hybrid").record()
    assert quoted["answer"] == expected["answer"] and quoted["kind"] == "extractive"
    assert quoted["sources"][0]["rerank_score"] is not None  # reranked, as the setting says
    # A configured chat model answers through the API too (it used to be quoted only there).
    reply = "Antibodies attack the transfused cells [1]."
    monkeypatch.setattr(
        "langchain.chat_models.init_chat_model",
        lambda model, **options: FakeListChatModel(responses=[reply]),
    )
    chatty = corpus_settings.model_copy(update={"chat_model": "llama3.1"})
    with TestClient(create_app(chatty)) as client:
        generated = client.post("/answer", json={"query": QUESTIONS[1]}).json()
    assert (generated["kind"], generated["answer"]) == ("generated", reply)


@pytest.mark.parametrize(
    ("request_body", "status", "kind"),
    [
        ({"query": "heart", "corpus": "absent"}, 404, "UnknownCorpusError"),
        ({"query": "heart", "k": 5000}, 413, "RequestTooLargeError"),
        ({"query": "   "}, 400, "EmptyQueryError"),
        ({"query": "heart", "filters": {"colour": "red"}}, 400, "UnknownFilterError"),
        ({"query": "heart", "model": "absent"}, 404, "UnknownModelError"),
    ],
)
def test_a_bad_request_gets_a_status_and_a_message_that_names_the_problem(
    client: TestClient, request_body: dict[str, object], status: int, kind: str
) -> None:
    response = client.post("/search", json=request_body)
    assert response.status_code == status, response.text
    assert response.json()["type"] == kind
    assert response.json()["error"]


def test_a_field_of_the_wrong_type_is_refused_before_any_search(client: TestClient) -> None:
    response = client.post("/search", json={"query": "heart", "k": "ten"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "k"]


def test_eight_concurrent_searches_all_succeed_with_the_hits_of_one_at_a_time(
    client: TestClient,
) -> None:
    bodies = [{"query": q, "k": 5, "mode": mode} for q in QUESTIONS for mode in ("dense", "hybrid")]

    def ids(body: dict[str, object]) -> list[str]:
        response = client.post("/search", json=body)
        assert response.status_code == 200, response.text
        return [hit["chunk_id"] for hit in response.json()["hits"]]

    one_at_a_time = [ids(body) for body in bodies]
    with ThreadPoolExecutor(max_workers=8) as pool:
        at_once = list(pool.map(ids, bodies))
    assert at_once == one_at_a_time
