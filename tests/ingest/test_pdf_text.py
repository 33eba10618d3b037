"""PDFium's words and table gate against pdfplumber's, on built PDFs and the shared ones.

The fast reader is only right if the layout code gets what pdfplumber would have given it:
the same words at the same places, and pdfplumber's slow reading on every page with a table.
"""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
from fpdf import FPDF

from ingest.pdf_layout import X_TOLERANCE, inside, plumber_words
from ingest.pdf_tables import find_tables
from ingest.pdf_text import PageText, read_page
from tests.ingest.test_pdf import build_article

# PDFium puts a word's top from its font's size, pdfplumber from the font's box: a point or two.
_TOP_SLACK = 2.5


def _both(data: bytes) -> list[tuple[PageText, pdfplumber.page.Page]]:
    document = pypdfium2.PdfDocument(data)
    plumbed = pdfplumber.open(io.BytesIO(data))
    return [
        (read_page(document[index], X_TOLERANCE), inside(page))
        for index, page in enumerate(plumbed.pages)
    ]


def _assert_same_words(fast: PageText, slow: pdfplumber.page.Page) -> None:
    """Each reader's words pair off: same text, font and size, at the same place."""
    unmatched = plumber_words(slow)
    assert len(fast.words) == len(unmatched)
    for got in fast.words:
        (match,) = [
            want
            for want in unmatched
            if want["text"] == got["text"]
            and abs(want["x0"] - got["x0"]) <= 0.5
            and abs(want["top"] - got["top"]) <= _TOP_SLACK
        ][:1] or [None]
        assert match is not None, f"{got} has no pdfplumber word"
        assert got["size"] == pytest.approx(match["size"], abs=0.05)
        assert got["fontname"].split("+")[-1] == match["fontname"].split("+")[-1]
        unmatched.remove(match)


@pytest.fixture(scope="module")
def shared_pages(shared_data: Path) -> list[tuple[str, int, PageText, pdfplumber.page.Page]]:
    pages = []
    for name in ("ehag110.pdf", "zwag118.pdf"):
        data = (shared_data / "pdfs" / name).read_bytes()
        pages += [(name, number, *both) for number, both in enumerate(_both(data), start=1)]
    return pages


def test_words_match_pdfplumber_on_a_built_article() -> None:
    for fast, slow in _both(build_article(outline=True)):
        _assert_same_words(fast, slow)


def test_words_match_pdfplumber_on_the_shared_pdfs(shared_pages: list) -> None:
    checked = 0
    for name, number, fast, slow in shared_pages:
        if fast.unmapped:  # a ligature PDFium cannot map: that page is pdfplumber's
            assert (name, number) == ("ehag110.pdf", 1)
            continue
        _assert_same_words(fast, slow)
        checked += 1
    assert checked == 25


def test_the_table_gate_opens_on_every_page_with_a_table(shared_pages: list) -> None:
    gated = {(name, number) for name, number, fast, _ in shared_pages if fast.may_hold_table}
    with_tables = {
        (name, number) for name, number, _, slow in shared_pages if find_tables(slow, number)
    }
    assert with_tables == {("ehag110.pdf", 8), ("ehag110.pdf", 9)}
    assert with_tables <= gated
    # Figures and frames draw grids pdfplumber would look at; few pages pay for it.
    assert len(gated) <= 4


def test_a_built_table_opens_the_gate_and_plain_pages_do_not() -> None:
    gates = [fast.may_hold_table for fast, _ in _both(build_article(outline=False))]
    assert gates == [False, True, False]


def test_a_grid_bleeding_off_the_sheet_is_no_table() -> None:
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for row in range(3):  # a banded frame wider than the page, text in its cells
        for column in range(3):
            pdf.rect(-10 + 80 * column, 20 + 15 * row, 80, 15)
            pdf.text(-5 + 80 * column, 30 + 15 * row, f"cell {row} {column}")
    ((fast, slow),) = _both(bytes(pdf.output()))
    assert not fast.may_hold_table
    assert find_tables(slow, 1) == []


def test_a_scanned_page_has_its_image_and_only_its_running_head() -> None:
    pages = _both(build_article(outline=False, scanned_page=True))
    scan = pages[2][0]
    assert " ".join(word["text"] for word in scan.words) == "Journal of Test Cardiology 2026 3"
    ((x0, top, x1, bottom),) = scan.images
    assert (x0, top) == pytest.approx((0, 0), abs=1)
    assert x1 == pytest.approx(scan.width, abs=1)
    assert bottom > scan.height / 2
