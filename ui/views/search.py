"""Search: a query, a model, a mode, filters; an answer with citations above the hit cards."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from retrieval import DEFAULT_PARTS, Assessment, Hit
from retrieval.answer import assess_hits
from ui import resources
from ui.answer import show_answer
from ui.cards import hit_card
from ui.corpus import corpus_or_notice, embedded_models, facets, model_label, shown_paths
from ui.guard import shows_errors
from ui.mode import DEFAULT_MODE, choose_mode

LAST_KEY = "search.last"  # (form, hits, ms, assessment) of the results on screen


@dataclass(frozen=True, slots=True)
class SearchForm:
    """What the page's widgets ask for; an equal form on a rerun reuses the last result."""

    corpus: str
    model: str
    query: str
    mode: str
    k: int
    doc_types: tuple[str, ...]
    sources: tuple[str, ...]
    pages: tuple[int, int] | None
    # None: every part; otherwise the document parts searched (body text by default).
    parts: tuple[str, ...] | None = DEFAULT_PARTS
    rerank: bool = False
    expand: bool = True  # read shorthand both ways (HFrEF <-> heart failure with ...)

    def filters(self) -> dict[str, Any]:
        """The form's filters in `Retriever.search`'s shape."""
        filters: dict[str, Any] = {}
        if self.doc_types:
            filters["doc_type"] = list(self.doc_types)
        if self.sources:
            filters["source"] = list(self.sources)
        if self.pages is not None:
            filters["page"] = self.pages
        return filters


def _last_form(corpus: str) -> SearchForm | None:
    """The form of the results last shown for this corpus, if any.

    The widgets open on it: back from the Source page (where Streamlit dropped the widgets'
    state), the page shows the same query, options and results.
    """
    last = st.session_state.get(LAST_KEY)
    return last[0] if last is not None and last[0].corpus == corpus else None


def _form(corpus: str) -> SearchForm | None:
    models = embedded_models(corpus)
    if not models:
        st.warning(f"No model has embedded corpus {corpus!r} yet: ingest documents on Library.")
        return None
    last = _last_form(corpus)
    chosen_model = last.model if last else resources.settings().default_model
    query = st.text_input(
        "Query",
        value=last.query if last else "",
        key="search.query",
        placeholder="e.g. what causes the heart sounds?",
    )
    left, middle, right, toggles = st.columns([2, 2, 1, 1.3], vertical_alignment="bottom")
    model = left.selectbox(
        "Model",
        models,
        index=models.index(chosen_model) if chosen_model in models else 0,
        format_func=model_label,
        key="search.model",
    )
    mode = choose_mode(middle, "search.mode", last.mode if last else DEFAULT_MODE.value)
    k = right.number_input("Results", 1, 50, last.k if last else 10, key="search.k")
    settings = resources.settings()
    rerank = toggles.toggle(
        "Rerank",
        value=last.rerank if last else bool(settings.rerank and settings.reranker),
        disabled=not settings.reranker,
        key="search.rerank",
        help=f"Reorder the best {settings.rerank_candidates} hits with the reranker "
        f"({settings.reranker or 'none configured'}); it also picks the answer's sentences and "
        "judges whether anything answers.",
    )
    expand = toggles.toggle(
        "Read shorthand",
        value=last.expand if last else settings.expand_abbreviations,
        key="search.expand",
        help="Search abbreviations with their long forms too (HFrEF: heart failure with reduced "
        "ejection fraction) and long forms with their abbreviations, from the corpus's own "
        "definitions and a cardiology list.",
    )
    found = facets(corpus)
    with st.expander("Filters"):
        doc_types = st.multiselect(
            "Document type",
            found.doc_types,
            default=[t for t in last.doc_types if t in found.doc_types] if last else None,
            key="search.doc_types",
        )
        sources = st.multiselect(
            "Source",
            found.sources,
            default=[s for s in last.sources if s in found.sources] if last else None,
            format_func=shown_paths(corpus).shown,
            key="search.sources",
        )
        pages = last.pages if last else None
        use_pages = st.toggle(
            "Only these pages (paged sources)", value=pages is not None, key="search.use_pages"
        )
        first, last_page = st.columns(2)
        page_from = first.number_input(
            "From page", 1, value=pages[0] if pages else 1, key="search.page_from"
        )
        page_to = last_page.number_input(
            "To page", 1, value=pages[1] if pages else max(found.max_page, 1), key="search.page_to"
        )
        every_part = st.checkbox(
            "Also search reference lists, title blocks and back matter (funding, conflicts)",
            value=last is not None and last.parts is None,
            key="search.every_part",
        )
    if not query.strip():
        return None
    return SearchForm(
        corpus,
        model,
        query.strip(),
        mode,
        int(k),
        tuple(doc_types),
        tuple(sources),
        (int(page_from), int(page_to)) if use_pages else None,
        None if every_part else DEFAULT_PARTS,
        bool(rerank),
        bool(expand),
    )


def _hits(form: SearchForm) -> tuple[list[Hit], float, Assessment]:
    """The form's hits, search time in ms and how well the best one answers.

    A rerun with the same form reuses them: assessing a hybrid hit embeds it once more.
    """
    last = st.session_state.get(LAST_KEY)
    if last is not None and last[0] == form:
        return last[1], last[2], last[3]
    retriever = resources.retriever(form.corpus, form.model)
    started = time.perf_counter()
    hits = retriever.search(
        form.query,
        form.k,
        mode=form.mode,
        filters=form.filters(),
        parts=form.parts,
        rerank=form.rerank,
        expand=form.expand,
    )
    elapsed = (time.perf_counter() - started) * 1000
    assessment = assess_hits(retriever, form.query, hits, mode=form.mode, filters=form.filters())
    st.session_state[LAST_KEY] = (form, hits, elapsed, assessment)
    return hits, elapsed, assessment


def main() -> None:
    """Draw the page."""
    st.title("Search")
    with shows_errors():
        corpus = corpus_or_notice()
        form = _form(corpus) if corpus is not None else None
        if form is None:
            return
        for notice in resources.retriever(form.corpus, form.model).notices:
            st.info(notice)
        hits, elapsed, assessment = _hits(form)
        if not hits:
            st.info("No results. Try another mode, fewer filters or other words.")
            return
        if assessment.weak:
            st.warning(assessment.message)
        reading = resources.retriever(form.corpus, form.model).read_query(form.query, form.expand)
        if reading.expansions:
            st.caption(f"Read: {reading.describe()}")
        # The answer box stands above the hits but is filled after them: the cards are on
        # screen while the answer's sentences are still being scored.
        answer_box = st.container()
        st.caption(
            f"{len(hits)} hits for “{form.query}” in {elapsed:.0f} ms · "
            f"{form.model} · {form.mode}"
            + (f" · reranked by {resources.settings().reranker}" if form.rerank else "")
        )
        for hit in hits:
            hit_card(hit, query=reading.searched_words, mode=form.mode, corpus=corpus)
        with answer_box:
            show_answer(
                form.query,
                hits,
                corpus=corpus,
                mode=form.mode,
                model=form.model,
                filters=form.filters(),
            )


main()
