"""The app's one `Runtime`, opened once per server process with `st.cache_resource`.

Required, not an optimisation: the embedded store allows one open handle per folder, and
each model must load once, not on every rerun. The functions below hand pages the runtime's
parts.
"""

from __future__ import annotations

import threading

import streamlit as st

from adapters import Encoder, ModelSpec
from retrieval import Answerer, Catalog, Index, Retriever, RunStore, Runtime, Settings, open_runtime
from ui.jobs.board import JobBoard


@st.cache_resource
def settings() -> Settings:
    """Settings from the environment and cardiorag.toml."""
    return Settings()


@st.cache_resource
def runtime() -> Runtime:
    """The runtime of this process: its catalog, store, models, retrievers and Answerer."""
    return open_runtime(settings())


def catalog() -> Catalog:
    """The catalog, schema created (and the data dir, where the default SQLite file goes)."""
    return runtime().catalog


def runs() -> RunStore:
    """Benchmark runs and relevance judgments, kept in the catalog's database."""
    return runtime().runs


def index() -> Index:
    """The shared catalog and store as one index: every write of the app goes through it."""
    return runtime().index


def specs() -> dict[str, ModelSpec]:
    """Shipped model specs merged with the user's file."""
    return runtime().specs


def encoder(model_id: str) -> Encoder:
    """A model's encoder; loaded once per spec per process."""
    return runtime().encoder(model_id)


def answerer() -> Answerer:
    """The answer policy, with the configured chat model (if any)."""
    return runtime().answerer


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Load the default model (and reranker) in the background when the server starts, once.

    Importing sentence-transformers and loading the weights takes seconds; done before anyone
    types, the first search only waits for what is left of it (loading holds a lock, so a
    search that comes early waits for this load instead of starting a second one).
    """
    thread = threading.Thread(target=runtime().warm_up, name="cardiorag-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner="Loading the model...")
def retriever(corpus: str, model: str) -> Retriever:
    """The runtime's retriever of a corpus and model (the spinner shows while it loads)."""
    return runtime().retriever(corpus, model)


@st.cache_resource
def jobs() -> JobBoard:
    """Background jobs of this server process (ingest, re-embedding)."""
    return JobBoard()
