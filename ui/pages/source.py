"""Source: the PDF page a hit came from, shown as the PDF itself, with its text and the file.

Only files the catalog lists as a corpus's sources are opened: the query parameters name a
document id, never a path.
"""

from __future__ import annotations

import io
from pathlib import Path

import streamlit as st

from ui import resources
from ui.guard import shows_errors
from ui.highlight import escape_markdown


@st.cache_data(max_entries=8, show_spinner=False)
def _page_texts(path: str, modified: float) -> list[str]:
    """The text of each page (cached per file version: `modified` is its mtime)."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


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


def _source_path(corpus: str, doc_id: str) -> Path | None:
    owner = resources.catalog().doc_id_owners(corpus, [doc_id]).get(doc_id)
    return Path(owner) if owner else None


def main() -> None:
    """Draw the page for `?corpus=...&doc=...&page=...`."""
    st.title("Source")
    params = st.query_params
    corpus, doc_id = params.get("corpus", ""), params.get("doc", "")
    with shows_errors():
        path = _source_path(corpus, doc_id) if corpus and doc_id else None
        if path is None or path.suffix.lower() != ".pdf" or not path.is_file():
            st.warning("No PDF to show: open this page from a search result's link.")
            return
        pages = _page_texts(str(path), path.stat().st_mtime)
        wanted = params.get("page", "1")
        number = min(max(int(wanted) if wanted.isdigit() else 1, 1), len(pages))
        st.markdown(f"**{escape_markdown(path.name)}**, page {number} of {len(pages)}")
        left, middle, right = st.columns([1, 1, 3])
        if left.button("Previous page", disabled=number <= 1, key="source.previous"):
            st.query_params["page"] = str(number - 1)
            st.rerun()
        if middle.button("Next page", disabled=number >= len(pages), key="source.next"):
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
        with st.expander("Text of this page (as the index holds it)"):
            st.markdown(escape_markdown(pages[number - 1]) or "(no text on this page)")


main()
