"""The routes: health, corpora, search and answer, over one `Runtime` per process.

One runtime per process: the embedded store locks its folder, so a second handle (or a second
worker process) would fail, and models load once. Requests run in uvicorn's thread pool: the
runtime's store takes one lock per call, each encoder holds its base model's lock while it
encodes, and retrievers are made once per (corpus, model).
"""

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
from retrieval import RetrievalError, Runtime, Settings, open_runtime

logger = logging.getLogger(__name__)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _warm(runtime: Runtime) -> None:
    """Open the index and load the default corpus's model now, not at the first request.

    A store that another process holds, or a catalog out of reach, stops the start.
    """
    corpora = runtime.index.catalog.corpus_names()
    try:
        runtime.retriever(None, None)
        runtime.reranker()  # the reranker too, where searches are reranked
    except (RetrievalError, AdapterError) as error:  # no corpus yet: requests will say so
        logger.info("no retriever warmed up (corpora: %s): %s", corpora, error)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API over the store and catalog that `settings` name (default: environment + toml)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with open_runtime(settings or Settings()) as runtime:
            _warm(runtime)
            app.state.runtime = runtime
            yield

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
        return {"status": "ok", "corpora": _runtime(request).catalog.corpus_names()}

    @app.get("/corpora")
    def corpora(request: Request) -> list[dict[str, Any]]:
        """Each corpus with the models that embedded it."""
        catalog = _runtime(request).catalog
        return [
            {"name": name, "models": [m.model_id for m in catalog.corpus_models(name)]}
            for name in catalog.corpus_names()
        ]

    @app.post("/search")
    def search(body: SearchBody, request: Request) -> dict[str, Any]:
        """Ranked hits with their citations (a sync route: it runs in the thread pool)."""
        started = time.perf_counter()
        search_request = body.request()
        retriever = _runtime(request).retriever(body.corpus, search_request.model)
        hits = retriever.run(search_request)
        return {
            "corpus": retriever.corpus,
            "model": search_request.model or retriever.model,
            "mode": str(search_request.mode),
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
            "reading": retriever.read_query(search_request.query, search_request.expand).record(),
            "hits": [hit.record() for hit in hits],
        }

    @app.post("/answer")
    def answer(body: AnswerBody, request: Request) -> dict[str, Any]:
        """The answer the app and the CLI give, or why there is none.

        Generated with [n] citations where a chat model is configured, else sentences quoted
        from the top hits (`retrieval.answer.Answerer`).
        """
        runtime = _runtime(request)
        search_request = body.request()
        retriever = runtime.retriever(body.corpus, search_request.model)
        options = search_request.model_dump(exclude={"query", "k"})
        given = runtime.answerer.answer(
            retriever,
            search_request.query,
            search_request.k,
            max_sentences=body.max_sentences,
            **options,
        )
        return {"corpus": retriever.corpus, **given.record()}

    return app
