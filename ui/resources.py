"""Heavy objects, created once per server process with `st.cache_resource`.

Required, not an optimisation: the embedded store allows one open handle per folder.
"""

from __future__ import annotations

import streamlit as st

from adapters import ModelSpec, configure_torch
from retrieval import Catalog, Retriever, Settings, VectorStore, open_store


@st.cache_resource
def settings() -> Settings:
    """Settings from the environment and cardiorag.toml."""
    return Settings()


@st.cache_resource
def store() -> VectorStore:
    """The one store handle of this process."""
    return open_store(settings())


@st.cache_resource
def catalog() -> Catalog:
    """The catalog, schema created."""
    cat = Catalog(settings().sql_url_or_default())
    cat.create_schema()
    return cat


@st.cache_resource
def specs() -> dict[str, ModelSpec]:
    """Shipped model specs merged with the user's file."""
    return settings().model_specs()


@st.cache_resource
def retriever(corpus: str, model: str) -> Retriever:
    """A retriever over the shared store; its query-embedding cache lives with it."""
    configure_torch(settings().torch_threads)
    return Retriever(
        corpus, model, settings=settings(), store=store(), catalog=catalog(), specs=specs()
    )
