"""CardioRAG search page: a query box and results with their source and page.

Run with `streamlit run ui/app.py` (or `make demo`).
"""

from __future__ import annotations

import streamlit as st

from adapters import AdapterError
from retrieval import RetrievalError, Retriever
from ui import resources
from ui.auth import password_accepted


def _render_results(retriever: Retriever, query: str, k: int, mode: str) -> None:
    answer = retriever.answer(query, k=k, mode=mode)
    if not answer.hits:
        st.info("No results.")
        return
    if answer.sentences:
        st.subheader("Answer (extracted from the sources, no language model)")
        st.markdown(answer.text)
    for hit in answer.hits:
        with st.container(border=True):
            st.markdown(f"**{hit.rank}. {hit.title}**")
            st.caption(f"{hit.citation} · {hit.doc_type} · {mode} score {hit.score:.3f}")
            st.write(hit.text)


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="CardioRAG search", page_icon=":anatomical_heart:")
    st.title("CardioRAG search")
    if not password_accepted(resources.settings()):
        return
    try:
        catalog = resources.catalog()
        corpora = catalog.corpus_names()
        if not corpora:
            st.warning(
                "No corpus yet: ingest documents first, e.g. `ingest docs/ --corpus cardiology`."
            )
            return
        settings = resources.settings()
        wanted = settings.default_corpus
        default = corpora.index(wanted) if wanted in corpora else 0
        corpus = st.sidebar.selectbox("Corpus", corpora, index=default)
        models = [m.model_id for m in catalog.corpus_models(corpus)]
        model = st.sidebar.selectbox("Model", models)
        mode = st.sidebar.radio("Search", ["hybrid", "dense", "sparse"], key="search.mode")
        k = st.sidebar.slider("Results", 1, 50, 10)
        query = st.text_input(
            "Query", key="search.query", placeholder="e.g. heart failure in the elderly"
        )
        if query.strip():
            _render_results(resources.retriever(corpus, model), query, k, mode)
    except (RetrievalError, AdapterError) as error:
        st.error(str(error))


main()
