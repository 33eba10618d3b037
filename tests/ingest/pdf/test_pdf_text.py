"""PDFium's words and tables against pdfplumber's, on built PDFs and the shared ones.

The fast reader is only right if the layout code gets what pdfplumber would have given it:
the same words at the same places, and the same tables, cell by cell.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
from fpdf import FPDF

from ingest.pdf.layout import X_TOLERANCE
from ingest.pdf.loader import load_pdf
from ingest.pdf.rules import on_sheet
from ingest.pdf.tables import PageTable, find_tables
from ingest.pdf.unmapped import LazyPlumber, pdfminer_texts
from ingest.pdf.words import UNMAPPED, PageText, read_page
from tests.support.math_pdf import (
    MATH_LINE,
    NEXT_LINE,
    build_math_line,
    build_stacked_plus_minus,
)
from tests.support.pdfs import (
    HYPHEN_FROM_ANOTHER_FONT,
    IN_WORD_MARKS,
    LIGATURE_WORDS,
    PULL_QUOTE,
    SCRIPTS_LINE,
    build_article,
    build_hyphen_from_another_font,
    build_ligatures,
    build_scripts_and_pull_quote,
)
from tests.support.plumber import inside, plumber_words

# PDFium puts a word's top from its font's size, pdfplumber from the font's box: a point or two.
_TOP_SLACK = 2.5
# Their x agree to a tenth of a point but in one italic run (ehag110 p. 1, "Journal."): 0.95.
_X_SLACK = 1.0


def _both(data: bytes) -> list[tuple[PageText, pdfplumber.page.Page]]:
    document = pypdfium2.PdfDocument(data)
    plumbed = pdfplumber.open(io.BytesIO(data))
    with LazyPlumber(data) as plumber:
        return [
            (
                read_page(document[index], X_TOLERANCE, pdfminer_texts(plumber, index + 1)),
                inside(page),
            )
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
            and abs(want["x0"] - got["x0"]) <= _X_SLACK
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
    for _, _, fast, slow in shared_pages:
        _assert_same_words(fast, slow)
    assert len(shared_pages) == 26


def test_only_the_characters_pdfium_cannot_map_are_read_from_pdfminer(shared_data: Path) -> None:
    """ehag110's page 1 sets "ﬃ" and "ﬂ" in a font whose ToUnicode entry PDFium rejects."""
    data = (shared_data / "pdfs" / "ehag110.pdf").read_bytes()
    page = pypdfium2.PdfDocument(data)[0]
    unmapped_dropped = [word["text"] for word in read_page(page, X_TOLERANCE).words]
    with LazyPlumber(data) as plumber:
        mended = read_page(page, X_TOLERANCE, pdfminer_texts(plumber, 1))
    words = [word["text"] for word in mended.words]
    assert mended.unmapped == 2
    assert "Efficacy" in words and "lnflammaging," in words  # "ln": the PDF's own typo
    assert not any(char == UNMAPPED or ord(char) < 32 for word in words for char in word)
    # Every other word is PDFium's, unchanged, in PDFium's order.
    assert [w for w in words if w not in {"Efficacy", "lnflammaging,"}] == [
        w for w in unmapped_dropped if w not in {"E", "cacy", "ln", "ammaging,"}
    ]


def _tables(fast: PageText, number: int = 1) -> list[PageTable]:
    return find_tables(fast.words, fast.grids, number, (fast.width, fast.height))


def _plumbers_tables(slow: pdfplumber.page.Page) -> list[tuple[tuple, list[list[str | None]]]]:
    """pdfplumber's own ruled tables, box and non-empty rows (None: a spanned cell).

    Kept as `find_tables` keeps them: on the sheet, a header and a row, two columns.
    """
    found = []
    for table in slow.find_tables():
        cells = [
            [None if cell is None else " ".join(cell.split()) for cell in row]
            for row in table.extract(x_tolerance=X_TOLERANCE)
        ]
        cells = [row for row in cells if any(row)]
        if on_sheet(table.bbox, slow.width, slow.height) and len(cells) >= 2 and len(cells[0]) >= 2:
            found.append((tuple(table.bbox), cells))
    return found


def test_tables_match_pdfplumbers_cell_by_cell_on_the_shared_pdfs(shared_pages: list) -> None:
    found = {}
    for name, number, fast, slow in shared_pages:
        ours = _tables(fast, number)
        theirs = _plumbers_tables(slow)
        assert len(ours) == len(theirs)
        for table, (box, cells) in zip(ours, theirs, strict=True):
            assert table.bbox == pytest.approx(box, abs=0.5)
            # Where pdfplumber's grid has every cell, the texts are its own; where a cell
            # spans columns, the table is read again on its blank strips (rows kept).
            if all(cell is not None for row in cells for cell in row):
                assert [list(row) for row in table.rows] == cells
            else:
                assert len(table.rows) == len(cells)
        if ours:
            found[(name, number)] = [len(table.rows) for table in ours]
    assert found.keys() == {("ehag110.pdf", 8), ("ehag110.pdf", 9)}


def test_a_built_table_is_found_on_its_page_only_with_pdfplumbers_cells() -> None:
    pages = _both(build_article(outline=False))
    tables = [_tables(fast) for fast, _ in pages]
    assert [len(on_page) for on_page in tables] == [0, 1, 0]
    ((_, cells),) = _plumbers_tables(pages[1][1])
    assert [list(row) for row in tables[1][0].rows] == cells


def test_a_grid_bleeding_off_the_sheet_is_no_table() -> None:
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for row in range(3):  # a banded frame wider than the page, text in its cells
        for column in range(3):
            pdf.rect(-10 + 80 * column, 20 + 15 * row, 80, 15)
            pdf.text(-5 + 80 * column, 30 + 15 * row, f"cell {row} {column}")
    ((fast, slow),) = _both(bytes(pdf.output()))
    assert slow.find_tables()  # pdfplumber sees a grid ...
    assert fast.grids == [] and _tables(fast) == []  # ... that is a frame, not a table


def test_a_scanned_page_has_its_image_and_only_its_running_head() -> None:
    pages = _both(build_article(outline=False, scanned_page=True))
    scan = pages[2][0]
    assert " ".join(word["text"] for word in scan.words) == "Journal of Test Cardiology 2026 3"
    ((x0, top, x1, bottom),) = scan.images
    assert (x0, top) == pytest.approx((0, 0), abs=1)
    assert x1 == pytest.approx(scan.width, abs=1)
    assert bottom > scan.height / 2


@pytest.mark.parametrize(("before", "ligature", "after"), LIGATURE_WORDS)
def test_a_ligature_from_another_font_stays_inside_its_word(
    before: str, ligature: str, after: str
) -> None:
    ((fast, slow),) = _both(build_ligatures())
    whole = before + unicodedata.normalize("NFKC", ligature) + after
    for words in ([w["text"] for w in fast.words], [w["text"] for w in plumber_words(slow)]):
        assert any(unicodedata.normalize("NFKC", w) == whole for w in words), words
    document = load_pdf(Path("ligatures.pdf"), build_ligatures(), "0" * 64, None)
    assert f"The {whole} was seen." in " ".join(s.text for s in document.sections)


@pytest.mark.parametrize(("before", "mark", "after", "word"), IN_WORD_MARKS)
def test_an_apostrophe_or_accent_from_another_font_stays_inside_its_word(
    before: str, mark: str, after: str, word: str
) -> None:
    data = build_ligatures(IN_WORD_MARKS)
    ((fast, slow),) = _both(data)
    for words in ([w["text"] for w in fast.words], [w["text"] for w in plumber_words(slow)]):
        assert word in words, words
    document = load_pdf(Path("marks.pdf"), data, "0" * 64, None)
    assert f"The {word} was seen." in " ".join(s.text for s in document.sections)


def test_a_line_end_hyphen_from_another_font_still_ends_its_word() -> None:
    first, second = HYPHEN_FROM_ANOTHER_FONT
    document = load_pdf(Path("hyphen.pdf"), build_hyphen_from_another_font(), "0" * 64, None)
    (section,) = document.sections
    assert section.text == first + second  # "... demonstrated weight loss.", not "demon -strated"


def _ruled_table(
    pdf: FPDF, top: float, header: list[tuple[str, int]], body: list[list[str]]
) -> None:
    """A ruled table at `top` (mm): header cells spanning `n` columns, narrow body columns."""
    width, height, left = 16.0, 7.0, 20.0
    columns = len(body[0])
    x = left
    for text, span in header:
        pdf.rect(x, top, width * span, height)
        pdf.text(x + 0.5, top + 5, text)
        x += width * span
    for row, cells in enumerate(body, start=1):
        for column, text in enumerate(cells):
            pdf.rect(left + width * column, top + height * row, width, height)
            pdf.text(left + width * column + 0.3, top + height * row + 5, text)
    assert x == left + width * columns


def test_a_spanning_header_over_columns_whose_words_nearly_touch_keeps_every_column() -> None:
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    body = [["Study", "Treated", "Control", "PT ratio"], ["AFASAK", "1.5-2.0", "2.8-4.2", "0.027"]]
    _ruled_table(pdf, 30, [("", 1), ("INR in patients", 2), ("p", 1)], body)
    ((fast, _),) = _both(bytes(pdf.output()))
    (table,) = _tables(fast)
    assert [list(row) for row in table.rows] == [["", "INR in patients", "", "p"], *body]


def test_a_ruled_frame_around_prose_is_read_as_text_not_as_a_table(tmp_path: Path) -> None:
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.rect(20, 30, 160, 60)  # a box: a paragraph above, two short cells below
    pdf.set_xy(22, 32)
    box = "What is blood pressure? " + "It is the force of the blood against the artery walls. " * 8
    pdf.multi_cell(150, 5, box)
    pdf.rect(20, 90, 80, 10)
    pdf.rect(100, 90, 80, 10)
    pdf.text(22, 96, "Normal")
    pdf.text(102, 96, "Less than 120/80 mmHg")
    path = tmp_path / "box.pdf"
    path.write_bytes(bytes(pdf.output()))
    document = load_pdf(path, path.read_bytes(), "box", None)
    assert all("|" not in section.text for section in document.sections)
    assert "It is the force of the blood against the artery walls." in document.sections[0].text


def test_a_math_fonts_glyph_stays_in_its_line() -> None:
    """MTSY's box drops a line below its baseline; its "=" was read into a line of its own."""
    data = build_math_line()
    ((fast, _),) = _both(data)
    tops = {word["text"]: word["top"] for word in fast.words}
    assert tops["="] == pytest.approx(tops["(Ki"], abs=1.0)
    document = load_pdf(Path("math.pdf"), data, "0" * 64, None)
    text = " ".join(" ".join(section.text.split()) for section in document.sections)
    assert f"{MATH_LINE} {NEXT_LINE}" in text


def test_sub_and_superscripts_stay_in_their_line_and_a_pull_quotes_mark_joins_no_lines() -> None:
    """A subscript below a line led by its superscript broke the paragraph ("appears 2 to");
    a large opening quote mark merged the two lines beside it word by word."""
    document = load_pdf(Path("scripts.pdf"), build_scripts_and_pull_quote(), "0" * 64, None)
    text = " ".join(" ".join(section.text.split()) for section in document.sections)
    assert SCRIPTS_LINE in text
    assert " ".join(PULL_QUOTE) in text


def test_a_plus_drawn_over_a_minus_is_one_plus_minus_sign() -> None:
    """A math font without "±" stacks "+" over "−"; the minus fell a line lower, or out."""
    data = build_stacked_plus_minus()
    ((fast, _),) = _both(data)
    assert [word["text"] for word in fast.words] == ["Ki", "=", "11.21", "±", "0.74", "nM"]
