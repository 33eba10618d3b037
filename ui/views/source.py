"""Source: the PDF page a hit came from, shown as the PDF itself, with its chunks and the file.

Only files the catalog lists as a corpus's sources are opened: the query parameter `doc` is
the file's path as the browser sees it (relative to the corpus's upload folder or source
root, `ui.library.paths`), resolved here against the catalog; anything else is refused.
"""

from __future__ import annotations

import io
from pathlib import Path

import streamlit as st

from ui import resources
from ui.cards import SEARCH_PAGE
from ui.corpus import source_of
from ui.guard import shows_errors
from ui.highlight import escape_markdown


@st.cache_data(max_entries=8, show_spinner=False)
def _page_count(path: str, modified: float) -> int:
    """How many pages the file has (cached per file version: `modified` is its mtime)."""
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def _show_indexed_text(corpus: str, source: str, number: int) -> None:
    """The page's chunks as the index holds them, each under its section and part."""
    chunks = resources.catalog().chunks_on_page(corpus, source, number)
    if not chunks:
        st.markdown("(the index holds no text of this page)")
    for chunk in chunks:
        where = " · ".join(
            label
            for label in (
                f"chunk {chunk.chunk_index}",
                chunk.section or "",
                chunk.part if chunk.part != "body" else "",
                "OCR (scanned page)" if chunk.ocr else "",
            )
            if label
        )
        st.caption(escape_markdown(where))
        st.markdown(escape_markdown(chunk.text))


@st.cache_data(max_entries=32, show_spinner=False)
def _one_page_pdf(path: str, modified: float, number: int) -> bytes:
    """Page `number` as a PDF of its own.

    The viewer then opens at the cited page, and a long book is not sent for one page.
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(path).pages[number - 1])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def main() -> None:
    """Draw the page for `?corpus=...&doc=...&page=...`."""
    st.title("Source")
    # The Search page opens on the last request and reuses its hits: the same results.
    st.page_link(SEARCH_PAGE, label="Back to the results", icon=":material/arrow_back:")
    params = st.query_params
    corpus, doc = params.get("corpus", ""), params.get("doc", "")
    with shows_errors():
        known = corpus in resources.catalog().corpus_names()
        source = source_of(corpus, doc) if known and doc else None
        path = Path(source) if source is not None else None
        if path is None or path.suffix.lower() != ".pdf" or not path.is_file():
            st.warning("No PDF to show: open this page from a search result's link.")
            return
        pages = _page_count(str(path), path.stat().st_mtime)
        wanted = params.get("page", "1")
        number = min(max(int(wanted) if wanted.isdigit() else 1, 1), pages)
        st.markdown(f"**{escape_markdown(path.name)}**, page {number} of {pages}")
        left, middle, right = st.columns([1, 1, 3])
        if left.button("Previous page", disabled=number <= 1, key="source.previous"):
            st.query_params["page"] = str(number - 1)
            st.rerun()
        if middle.button("Next page", disabled=number >= pages, key="source.next"):
            st.query_params["page"] = str(number + 1)
            st.rerun()
        right.download_button(
            f"Download {path.name}",
            path.read_bytes(),
            file_name=path.name,
            mime="application/pdf",
            key="source.download",
        )
        st.pdf(
            _one_page_pdf(str(path), path.stat().st_mtime, number),
            height=900,
            key=f"source.pdf.{number}",
            alt=f"Page {number} of {path.name}",
        )
        with st.expander("Text of this page, as the index holds it"):
            _show_indexed_text(corpus, str(source), number)


main()
