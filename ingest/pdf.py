"""PDF loading with pypdf: text per page, page numbers kept, unreadable PDFs named as such."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

from ingest.documents import DocType, Document, Section
from ingest.errors import EmptyDocumentError, UnreadableFileError

logger = logging.getLogger(__name__)

# A page with fewer characters than this is treated as an image (a scan) without a text layer.
_MIN_TEXT_CHARS_PER_PAGE = 20
_PAGE_SEPARATOR = "\n\n"


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


def _page_texts(path: Path, reader: PdfReader) -> list[str]:
    try:
        return [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError as err:
        raise UnreadableFileError(path, "encrypted PDF; decrypt it first") from err
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as err:
        raise UnreadableFileError(path, f"corrupt PDF: text extraction failed ({err})") from err


def _title(reader: PdfReader, path: Path) -> str:
    try:
        title = (reader.metadata or {}).get("/Title")
    except (PdfReadError, PyPdfError):
        title = None
    title = str(title).strip() if title else ""
    return title if len(title) > 3 else path.name


def load_pdf(path: Path, data: bytes, sha256: str, doc_type: DocType | None) -> Document:
    """One document per PDF: its pages joined, with each page's start offset kept.

    It parses `data`, the bytes that were hashed, so the version and the content agree.
    """
    reader = _open(path, data)
    pages = _page_texts(path, reader)
    if not pages:
        raise EmptyDocumentError(path, "the PDF has no pages")
    if all(len(text.strip()) < _MIN_TEXT_CHARS_PER_PAGE for text in pages):
        raise EmptyDocumentError(
            path, "no extractable text: the pages look like scanned images; run OCR first"
        )
    breaks = []
    offset = 0
    for number, text in enumerate(pages, start=1):
        breaks.append((offset, number))
        offset += len(text) + len(_PAGE_SEPARATOR)
    full_text = _PAGE_SEPARATOR.join(pages)
    logger.debug("read %d pages, %d characters from a PDF", len(pages), len(full_text))
    return Document(
        doc_id=str(path),
        source=str(path),
        title=_title(reader, path),
        doc_type=doc_type or DocType.ARTICLE,
        sha256=sha256,
        sections=(Section(text=full_text, page_breaks=tuple(breaks)),),
        pages=len(pages),
    )
