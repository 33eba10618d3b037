"""The corpus every page works on (picked once, in the sidebar) and what its documents hold."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import resources
from ui.library.paths import ShownPaths
from ui.library.uploads import upload_folder

CORPUS_KEY = "app.corpus"  # plain state: outlives page switches, unlike a widget's own key


@dataclass(frozen=True, slots=True)
class Facets:
    """Values the search filters offer: document types, source files, the highest page."""

    doc_types: tuple[str, ...]
    sources: tuple[str, ...]
    max_page: int


def choose_corpus() -> str | None:
    """Draw the sidebar's corpus picker (each page does, first); None while there is no corpus.

    The choice is kept in session state, so every page opens on the corpus last picked.
    """
    corpora = resources.catalog().corpus_names()
    if not corpora:
        return None
    wanted = st.session_state.get(CORPUS_KEY) or resources.settings().default_corpus
    index = corpora.index(wanted) if wanted in corpora else 0
    chosen = st.sidebar.selectbox("Corpus", corpora, index=index, key="app.corpus_picker")
    st.session_state[CORPUS_KEY] = chosen
    return chosen


def corpus_or_notice() -> str | None:
    """`choose_corpus`, and while there is no corpus a note that says where to make one."""
    corpus = choose_corpus()
    if corpus is None:
        st.info("No corpus yet: upload documents on the Library page.")
    return corpus


def model_label(model_id: str) -> str:
    """A model picker's label: the id, marked when the spec adds a LoRA adapter to its base."""
    spec = resources.specs().get(model_id)
    return f"{model_id} (LoRA adapter)" if spec is not None and spec.adapter else model_id


def embedded_models(corpus: str) -> list[str]:
    """Model ids that have embedded the corpus, oldest first."""
    return [model.model_id for model in resources.catalog().corpus_models(corpus)]


@st.cache_data(ttl=30, show_spinner=False)
def facets(corpus: str) -> Facets:
    """The corpus's document types, sources and page count (refreshed every 30 s)."""
    documents = [d for d in resources.catalog().list_documents(corpus) if d.status != "failed"]
    return Facets(
        doc_types=tuple(sorted({d.doc_type for d in documents})),
        sources=tuple(sorted({d.source for d in documents})),
        max_page=max((d.pages or 0 for d in documents), default=0),
    )


def shown_paths(corpus: str) -> ShownPaths:
    """How the corpus's paths are shown in a browser: from its upload folder or source root."""
    upload_root = upload_folder(resources.settings().data_dir, corpus)
    return ShownPaths.for_corpus(upload_root.resolve(), facets(corpus).sources)


def source_of(corpus: str, shown: str) -> str | None:
    """The catalogued source a browser names by its shown path; None for anything else."""
    paths = shown_paths(corpus)
    return next((s for s in facets(corpus).sources if paths.shown(s) == shown), None)
