"""The routes: health, corpora, search and answer, over one `Services` per process."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from adapters import AdapterError
from api.errors import error_response
from api.schemas import AnswerBody, SearchBody
from api.services import Services
from retrieval import RetrievalError, Settings
from retrieval.answer.policy import answer_question

logger = logging.getLogger(__name__)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _warm(services: Services) -> None:
    """Load the default corpus's model now, so the first request does not wait for it."""
    try:
        retriever = services.retriever(None, None)
        retriever.reranker_for(None)  # the reranker too, where searches are reranked
    except (RetrievalError, AdapterError) as error:  # no corpus yet: requests will say so
        logger.info("no retriever warmed up: %s", error)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API over the store and catalog that `settings` name (default: environment + toml)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services(settings or Settings())
        _warm(services)
        app.state.services = services
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="CardioRAG",
        summary="Semantic search of cardiology texts, with the page to cite.",
        lifespan=lifespan,
    )
    app.add_exception_handler(RetrievalError, error_response)
    app.add_exception_handler(AdapterError, error_response)

    @app.get("/health")
    def health(request: Request) -> dict[str, Any]:
        """Up, and the corpora it can search."""
        return {"status": "ok", "corpora": _services(request).catalog.corpus_names()}

    @app.get("/corpora")
    def corpora(request: Request) -> list[dict[str, Any]]:
        """Each corpus with the models that embedded it."""
        catalog = _services(request).catalog
        return [
            {"name": name, "models": [m.model_id for m in catalog.corpus_models(name)]}
            for name in catalog.corpus_names()
        ]

    @app.post("/search")
    def search(body: SearchBody, request: Request) -> dict[str, Any]:
        """Ranked hits with their citations (a sync route: it runs in the thread pool)."""
        started = time.perf_counter()
        search_request = body.request()
        retriever = _services(request).retriever(body.corpus, search_request.model)
        hits = retriever.run(search_request)
        return {
            "corpus": retriever.corpus,
            "model": search_request.model or retriever.model,
            "mode": str(search_request.mode),
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
            "hits": [hit.record() for hit in hits],
        }

    @app.post("/answer")
    def answer(body: AnswerBody, request: Request) -> dict[str, Any]:
        """The answer the app and the CLI give, or why there is none.

        Generated with [n] citations where a chat model is configured, else sentences quoted
        from the top hits (`retrieval.answer.policy`).
        """
        services = _services(request)
        search_request = body.request()
        retriever = services.retriever(body.corpus, search_request.model)
        options = search_request.model_dump(exclude={"query", "k"})
        given = answer_question(
            retriever,
            search_request.query,
            search_request.k,
            max_sentences=body.max_sentences,
            chat=services.chat_model,
            **options,
        )
        return {"corpus": retriever.corpus, **given.record()}

    return app
