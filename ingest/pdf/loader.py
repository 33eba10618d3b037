"""PDF loading that keeps what a reader sees: headings, columns, tables, parts and pages.

PDFium (pypdfium2) reads each page's words with their fonts and the grids of its ruled
tables, page by page, so memory stays bounded however long the file; pdfplumber (MIT) reads
only the characters PDFium cannot map to Unicode (`ingest.pdf.unmapped`); pages
without a text layer go through OCR (`ingest.pdf.ocr`). pypdf opens the file first: it names
encrypted and corrupt files, and reads the outline and the title. See docs/pdf.md.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from tqdm.auto import tqdm

from ingest.documents import DocType, Document
from ingest.errors import EmptyDocumentError, OcrError, UnreadableFileError
from ingest.pdf.aligned import aligned_tables
from ingest.pdf.borderless import borderless_tables
from ingest.pdf.furniture import drop_furniture
from ingest.pdf.headings import font_headings, outline_headings, read_outline
from ingest.pdf.label import label_headings, label_name
from ingest.pdf.layout import X_TOLERANCE, Line, band_of, page_lines
from ingest.pdf.ocr import ocr_page
from ingest.pdf.sections import build_sections
from ingest.pdf.tables import PageTable, continue_tables, find_tables, middle_in, take_captions
from ingest.pdf.unmapped import LazyPlumber, pdfminer_texts
from ingest.pdf.words import PageText, read_page

if TYPE_CHECKING:
    import pypdfium2

logger = logging.getLogger(__name__)

# Bump when a change to the reader changes what it reads from a PDF (its text, sections,
# tables, parts or pages): it is folded into each PDF's version, so the next ingest reads
# PDFs again whose bytes have not changed and replaces their chunks, without a rebuild flag.
# tests/ingest/pdf/test_pdf.py pins the reader's output on the shared PDFs to this number.
READER_VERSION = 3
READER_TAG = f"\x1fpdf-reader-{READER_VERSION}".encode()

# A page with an image and fewer characters than this has no text layer: a scan.
_MIN_TEXT_CHARS_PER_PAGE = 20
# So is a page mostly covered by an image with only a few characters (a stamped page number,
# a fax header) on top of it.
_SCAN_AREA_SHARE = 0.5
_MAX_CHARS_ON_SCAN = 200
# A metadata title longer than this is a paragraph: its first sentence is the title.
_LONGEST_TITLE = 200
_SENTENCE_END = re.compile(r"(?<=\w)\.\s+(?=[A-Z])")
# Files with at least this many pages show a progress bar, page by page.
_PROGRESS_PAGES = 50


@dataclass(slots=True)
class _Pages:
    """What the page-by-page pass keeps: lines, tables, heights, OCR'd and failed pages."""

    lines: list[list[Line]] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)
    tables: list[PageTable] = field(default_factory=list)
    ocr: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def _open(path: Path, data: bytes) -> PdfReader:
    if not data:
        raise EmptyDocumentError(path, "the PDF file is empty (0 bytes)")
    try:
        reader = PdfReader(io.BytesIO(data))
    except (PdfReadError, PyPdfError, ValueError, OSError) as err:
        raise UnreadableFileError(path, f"corrupt or not a PDF ({err})") from err
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except (PyPdfError, NotImplementedError) as err:
            raise UnreadableFileError(path, f"encrypted PDF that cannot be opened ({err})") from err
        if not opened:
            raise UnreadableFileError(
                path, "encrypted PDF with a password; decrypt it first (e.g. `qpdf --decrypt`)"
            )
    return reader


def _title(reader: PdfReader, path: Path) -> str:
    try:
        title = (reader.metadata or {}).get("/Title")
    except (PdfReadError, PyPdfError):
        title = None
    title = " ".join(str(title).split()) if title else ""
    title = label_name(title) or title
    if len(title) > _LONGEST_TITLE:
        title = _SENTENCE_END.split(title, maxsplit=1)[0]
    return title if len(title) > 3 else path.name


def _is_scan(text: PageText) -> bool:
    """Whether the page is an image of text rather than text (it then goes through OCR)."""
    if text.chars >= _MAX_CHARS_ON_SCAN or not text.images:
        return False
    area = sum(
        max(0.0, min(x1, text.width) - max(x0, 0.0))
        * max(0.0, min(bottom, text.height) - max(top, 0.0))
        for x0, top, x1, bottom in text.images
    )
    return (
        text.chars < _MIN_TEXT_CHARS_PER_PAGE or area >= _SCAN_AREA_SHARE * text.width * text.height
    )


def _text_page(text: PageText, number: int) -> tuple[list[Line], list[PageTable]]:
    """A page with a text layer: its tables (captioned) and the lines outside them."""
    tables = find_tables(text.words, text.grids, number, (text.width, text.height))
    ruled = [table.bbox for table in tables]
    free = [word for word in text.words if not any(middle_in(word, box) for box in ruled)]
    tables += aligned_tables(free, number)
    lines, gutter, rows = page_lines(text.words, text.width, number, [t.bbox for t in tables])
    tables, lines = take_captions(tables, lines)
    placed = [
        replace(
            table,
            band=band_of(table.bbox[1], rows),
            column=1 if gutter is not None and table.bbox[0] >= gutter else 0,
        )
        for table in tables
    ]
    return lines, placed


def _read_page(
    document: pypdfium2.PdfDocument, plumber: LazyPlumber, number: int, path: Path, found: _Pages
) -> list[Line]:
    """One page's lines (its tables go to `found`); PDFium's page is closed before the next."""
    page = document[number - 1]
    try:
        text = read_page(page, X_TOLERANCE, pdfminer_texts(plumber, number))
    finally:
        page.close()
    found.heights.append(text.height)
    if _is_scan(text):
        lines = ocr_page(document, number - 1, path)
        found.ocr.append(number)
        return lines
    if not text.chars:
        return []
    lines, tables = _text_page(text, number)
    found.tables.extend(tables)
    return lines


def _read_pages(path: Path, data: bytes, count: int) -> _Pages:
    """Every page, one at a time (its parsed objects are released before the next)."""
    import pypdfium2
    from pdfminer.psparser import PSException

    found = _Pages()
    with (
        pypdfium2.PdfDocument(data) as document,
        LazyPlumber(data) as plumber,
        tqdm(total=count, desc=path.name, unit="page", disable=count < _PROGRESS_PAGES) as bar,
    ):
        for number in range(1, count + 1):
            lines: list[Line] = []
            heights = len(found.heights)
            try:
                lines = _read_page(document, plumber, number, path, found)
            except OcrError as err:
                logger.warning("%s", err)
                found.failed.append((number, err.reason))
            except (
                PSException,
                pypdfium2.PdfiumError,
                ValueError,
                KeyError,
                TypeError,
                IndexError,
            ) as err:
                logger.warning("%s: page %d is unreadable (%s); it is left out", path, number, err)
                found.failed.append((number, f"page {number}: unreadable ({err})"))
            if len(found.heights) == heights:  # the page failed before its size was read
                found.heights.append(found.heights[-1] if found.heights else 0.0)
            found.lines.append(lines)
            bar.update()
    return found


def load_pdf(path: Path, data: bytes, sha256: str, doc_type: DocType | None) -> Document:
    """One document per PDF: sections by heading, tables apart, parts tagged, pages kept.

    It parses `data`, the bytes that were hashed, so the version and the content agree. A
    page that cannot be read (or OCR'd) is left out and recorded in `failed_pages`.

    Raises:
        EmptyDocumentError: No page gave any text.
        UnreadableFileError: Corrupt or encrypted.
    """
    reader = _open(path, data)
    count = len(reader.pages)
    if count == 0:
        raise EmptyDocumentError(path, "the PDF has no pages")
    outline = read_outline(reader, path)
    found = _read_pages(path, data, count)
    lines: list[Line] = []
    for page in drop_furniture(found.lines, found.heights):
        text, tables = borderless_tables(page)
        lines.extend(text)
        found.tables.extend(tables)
    headings = label_headings(outline_headings(lines, outline) if outline else font_headings(lines))
    sections = build_sections(lines, headings, continue_tables(found.tables))
    if not sections:
        reasons = "; ".join(reason for _, reason in found.failed[:3])
        raise EmptyDocumentError(path, f"no extractable text{': ' + reasons if reasons else ''}")
    logger.debug("read %d pages (%d by OCR) into %d sections", count, len(found.ocr), len(sections))
    return Document(
        doc_id=str(path),
        source=str(path),
        title=_title(reader, path),
        doc_type=doc_type or DocType.ARTICLE,
        sha256=sha256,
        sections=sections,
        pages=count,
        ocr_pages=tuple(found.ocr),
        failed_pages=tuple(found.failed),
    )
