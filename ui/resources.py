"""Heavy objects, created once per server process with `st.cache_resource`.

Required, not an optimisation: the embedded store allows one open handle per folder.
"""

from __future__ import annotations

import streamlit as st

from adapters import Encoder, ModelSpec, configure_torch, load_encoder, load_model_specs
from retrieval import Catalog, Settings, VectorStore, open_store


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
    return load_model_specs(settings().models_file)


@st.cache_resource
def encoder(model_id: str) -> Encoder:
    """One encoder per model per process."""
    configure_torch(settings().torch_threads)
    return load_encoder(
        specs()[model_id],
        cache_dir=settings().model_cache_dir,
        allow_downloads=settings().allow_downloads,
    )
