"""PDF reading: a file's words, columns, headings, tables and parts as one `Document`.

`load_pdf` is the entry point (`ingest.loaders` calls it for every `.pdf`); pages without a
text layer are read by Tesseract through `ocr_page`. How it reads a page: docs/pdf.md.
"""

from __future__ import annotations

from ingest.pdf.loader import READER_TAG, load_pdf
from ingest.pdf.ocr import INSTALL_HINT, OCR_DPI, OCR_LANGUAGE, ocr_page

__all__ = ["INSTALL_HINT", "OCR_DPI", "OCR_LANGUAGE", "READER_TAG", "load_pdf", "ocr_page"]
