"""Heavy objects, created once per server process with `st.cache_resource`.

Required, not an optimisation: the embedded store allows one open handle per folder, and
each model must load once, not on every rerun.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import streamlit as st

from adapters import AdapterError, Encoder, ModelSpec, get_spec, load_encoder
from adapters.cross_encoder import load_reranker
from adapters.specs import get_reranker_spec
from retrieval import Catalog, Retriever, Settings, VectorStore, open_store
from retrieval.index import Index
from retrieval.store.locked import LockedStore
from ui.jobs.board import JobBoard

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)


@st.cache_resource
def settings() -> Settings:
    """Settings from the environment and cardiorag.toml."""
    return Settings()


@st.cache_resource
def store() -> VectorStore:
    """The one store handle of this process, shared by searches and ingest jobs."""
    return LockedStore(open_store(settings()))


@st.cache_resource
def catalog() -> Catalog:
    """The catalog, schema created (and the data dir, where the default SQLite file goes)."""
    settings().data_dir.mkdir(parents=True, exist_ok=True)
    cat = Catalog(settings().sql_url_or_default())
    cat.create_schema()
    return cat


def index() -> Index:
    """The shared catalog and store as one index: every write of the app goes through it."""
    return Index(catalog(), store(), settings())


@st.cache_resource
def specs() -> dict[str, ModelSpec]:
    """Shipped model specs merged with the user's file."""
    return settings().model_specs()


def encoder(model_id: str) -> Encoder:
    """A model's encoder; `load_encoder` keeps one per spec per process."""
    settings().configure_torch()
    return load_encoder(
        get_spec(specs(), model_id),
        cache_dir=settings().model_cache_dir,
        allow_downloads=settings().allow_downloads,
    )


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Load the default model (and reranker) in the background when the server starts, once.

    Importing sentence-transformers and loading the weights takes seconds; done before anyone
    types, the first search only waits for what is left of it (load_encoder holds a lock, so a
    search that comes early waits for this load instead of starting a second one).
    """
    spec = specs().get(settings().default_model)
    config = settings()

    def load() -> None:
        if spec is None:
            return
        config.configure_torch()
        try:
            load_encoder(
                spec, cache_dir=config.model_cache_dir, allow_downloads=config.allow_downloads
            )
            if config.rerank and config.reranker:
                load_reranker(
                    get_reranker_spec(config.reranker_specs(), config.reranker),
                    cache_dir=config.model_cache_dir,
                    allow_downloads=config.allow_downloads,
                )
        except AdapterError as error:  # the search page reports it when it needs the model
            logger.warning("warm-up: %s", error)

    thread = threading.Thread(target=load, name="cardiorag-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner="Loading the model...")
def retriever(corpus: str, model: str) -> Retriever:
    """A retriever over the shared store; its query-embedding cache lives with it."""
    settings().configure_torch()
    return Retriever(
        corpus, model, settings=settings(), store=store(), catalog=catalog(), specs=specs()
    )


@st.cache_resource
def chat_model() -> BaseChatModel | None:
    """The configured chat model, or None (then answers are extracted from the sources)."""
    from retrieval.answer.rag import chat_model_from_settings

    return chat_model_from_settings(settings())


@st.cache_resource
def jobs() -> JobBoard:
    """Background jobs of this server process (ingest, re-embedding)."""
    return JobBoard()
