"""A search hit as a card: rank, score, title, where it comes from, and the highlighted text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePath

import streamlit as st

from ingest import DocType
from retrieval import Hit
from ui.corpus import shown_paths
from ui.highlight import escape_markdown, highlight_chunk

SOURCE_PAGE = "views/source.py"  # relative to ui/app.py, as st.page_link wants it
SEARCH_PAGE = "views/search.py"  # where the Source page leads back to
_MARKER = re.compile(r"\[(\d+)\]")


def hit_anchor(rank: int) -> str:
    """The in-page anchor of the card of the hit ranked `rank`."""
    return f"hit-{rank}"


def link_citations(text: str, hits: Sequence[Hit]) -> str:
    """Answer Markdown whose [n] markers link to the cards of hits[n - 1]; others stay text."""
    escaped = escape_markdown(text).replace("\\[", "[").replace("\\]", "]")

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if not 1 <= number <= len(hits):
            return f"\\[{number}\\]"
        return f"[\\[{number}\\]](#{hit_anchor(hits[number - 1].rank)})"

    return _MARKER.sub(link, escaped)


def _heading(hit: Hit) -> str:
    section = f" · {hit.section}" if hit.section and hit.section != hit.title else ""
    return escape_markdown(f"{hit.rank}. {hit.title}{section}")


def _where(hit: Hit) -> str:
    """The citation, document type, a part other than the body, and an OCR mark."""
    labels = (
        hit.citation,
        hit.doc_type,
        hit.part if hit.part != "body" else "",
        "OCR (scanned page)" if hit.ocr else "",
    )
    return escape_markdown(" · ".join(label for label in labels if label))


def is_local_pdf(hit: Hit) -> bool:
    """Whether the hit comes from a PDF file this machine holds (the source page can open it)."""
    path = Path(hit.source)
    return path.suffix.lower() == ".pdf" and hit.page_start is not None and path.is_file()


def hit_card(hit: Hit, *, query: str, mode: str, corpus: str) -> None:
    """Draw one hit: rank and title (an anchor the answer links to), source, score, text."""
    with st.container(border=True):
        st.subheader(_heading(hit), anchor=hit_anchor(hit.rank))
        reranked = (
            f" · reranker {hit.rerank_score:.2f} (first stage #{hit.first_rank})"
            if hit.rerank_score is not None
            else ""
        )
        st.caption(f"{_where(hit)} · {mode} score {hit.score:.3f}{reranked}")
        st.markdown(highlight_chunk(hit.text, query, keep_lines=hit.doc_type == DocType.NOTE))
        if is_local_pdf(hit):
            st.page_link(
                SOURCE_PAGE,
                label=f"Open {PurePath(hit.source).name} at page {hit.page_start}",
                icon=":material/picture_as_pdf:",
                query_params={
                    "corpus": corpus,
                    "doc": shown_paths(corpus).shown(hit.source),
                    "page": str(hit.page_start),
                },
            )
