"""pdfplumber's own reading of a page: the reference the PDFium reader is held to.

The reader (`ingest.pdf.words`) reads words with PDFium and takes only unmapped characters from
pdfminer; these tests compare its words with pdfplumber's, read as the reader would: characters
off the sheet or set sideways left out, and a letter meeting a letter in another font joined.
"""

from __future__ import annotations

from typing import Any

from pdfplumber.page import Page

from ingest.pdf.layout import X_TOLERANCE
from ingest.pdf.words import compose_accents, joins_across_fonts

# Words whose tops differ by less than this (points) are on the same line (the layout's).
_LINE_TOLERANCE = 2.5


def inside(page: Page) -> Page:
    """The page without characters off the sheet or set sideways.

    Printers park notes off the sheet, and publishers run a "downloaded from" strip up the
    margin; neither is the page's text.
    """
    width, height = page.width, page.height

    def on_page(obj: dict[str, Any]) -> bool:
        return obj.get("object_type") != "char" or (
            obj.get("upright", True)
            and obj.get("x0", 0) >= 0
            and obj.get("x1", 0) <= width
            and obj.get("top", 0) >= 0
            and obj.get("bottom", 0) <= height
        )

    return page.filter(on_page)


def plumber_words(page: Page) -> list[dict[str, Any]]:
    """The page's words as pdfplumber reads them, with size and font.

    As `ingest.pdf.words` reads them: pieces that touch where a letter meets a letter in
    another font (a ligature from another font: "classi" "ﬁ" "ed") are one word.
    """
    words: list[dict[str, Any]] = []
    piece_font = ""  # the font of the last piece, which a merged word's own font is not
    for word in page.extract_words(x_tolerance=X_TOLERANCE, extra_attrs=["size", "fontname"]):
        last = words[-1] if words else None
        if (
            last is not None
            and piece_font != word["fontname"]
            and abs(last["top"] - word["top"]) <= _LINE_TOLERANCE
            and 0 <= word["x0"] - last["x1"] <= X_TOLERANCE
            and joins_across_fonts(last["text"], word["text"])
        ):
            last.update(text=compose_accents(last["text"] + word["text"]), x1=word["x1"])
            last["bottom"] = max(last["bottom"], word["bottom"])
        else:
            words.append(dict(word))
        piece_font = word["fontname"]
    return words
