"""OCR of PDF pages that have no text layer (scans): pypdfium2 renders, Tesseract reads.

Tesseract is Debian's `tesseract-ocr` binary, called through pytesseract. Its words come back
with their boxes, so OCR'd lines carry positions like extracted ones (running heads on scanned
pages are found the same way) and its paragraphs stay paragraphs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import OcrError
from ingest.pdf.layout import Line

if TYPE_CHECKING:
    import pypdfium2

# Rendering resolution: Tesseract reads body text best at about 300 dpi.
OCR_DPI = 300
OCR_LANGUAGE = "eng"
INSTALL_HINT = "install Tesseract: apt-get install tesseract-ocr tesseract-ocr-eng"
_POINTS_PER_INCH = 72
# Tesseract's OpenMP threads spin against each other on a small machine, so it gets one, as
# ocrmypdf does (docs/pdf.md#ocr). pytesseract passes os.environ to Tesseract, so the limit is
# set around each call.
_OMP_THREAD_LIMIT = "OMP_THREAD_LIMIT"
_environment_lock = threading.Lock()


@contextmanager
def _one_openmp_thread() -> Iterator[None]:
    """OMP_THREAD_LIMIT=1 for the Tesseract started inside, unless the user set a limit."""
    with _environment_lock:
        if _OMP_THREAD_LIMIT in os.environ:
            yield
            return
        os.environ[_OMP_THREAD_LIMIT] = "1"
        try:
            yield
        finally:
            os.environ.pop(_OMP_THREAD_LIMIT, None)


def ocr_page(document: pypdfium2.PdfDocument, index: int, path: Path | str) -> list[Line]:
    """Page `index` (from 0) of `document` rendered and read by Tesseract, as lines.

    Raises:
        OcrError: Tesseract is missing (the message says how to install it) or failed.
    """
    import pytesseract

    number = index + 1
    scale = OCR_DPI / _POINTS_PER_INCH
    # Grey levels are all Tesseract reads, and rendering only them is faster.
    image = document[index].render(scale=scale, grayscale=True).to_pil()
    try:
        with _one_openmp_thread():
            data = pytesseract.image_to_data(
                image, lang=OCR_LANGUAGE, output_type=pytesseract.Output.DICT
            )
    except pytesseract.TesseractNotFoundError as err:
        raise OcrError(path, number, f"it has no text layer and needs OCR; {INSTALL_HINT}") from err
    except (pytesseract.TesseractError, OSError, RuntimeError) as err:
        raise OcrError(path, number, f"OCR failed ({err})") from err
    words: dict[tuple[int, ...], list[int]] = {}
    for position, text in enumerate(data["text"]):
        if text.strip() and float(data["conf"][position]) >= 0:
            key = tuple(data[name][position] for name in ("block_num", "par_num", "line_num"))
            words.setdefault(key, []).append(position)
    lines: list[Line] = []
    paragraph: tuple[int, int] | None = None
    for (block, par, _), positions in words.items():  # in reading order, as Tesseract gives
        top = min(data["top"][p] for p in positions) / scale
        height = max(data["top"][p] + data["height"][p] for p in positions) / scale - top
        lines.append(
            Line(
                page=number,
                text=" ".join(data["text"][p] for p in positions),
                top=top,
                bottom=top + height,
                x0=min(data["left"][p] for p in positions) / scale,
                size=0.0,  # unknown: OCR'd lines are never taken for headings by size
                bold=False,
                new_paragraph=(block, par) != paragraph,
            )
        )
        paragraph = (block, par)
    return lines
