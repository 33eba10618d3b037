"""The characters PDFium cannot map to Unicode, read one by one from pdfminer.

Why: PDFium gives a character whose font's ToUnicode entry it rejects as its raw code (a
0x90 in "Inflammaging" where "fl" should be), while pdfminer (under pdfplumber) maps it from
the font's encoding. Only those characters are taken from pdfminer: the rest of the page stays
PDFium's, so a page's words and reading order do not change with one odd glyph, and pdfminer's
slow parse runs only on the pages that have one.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ingest.pdf.words import MapGlyphs, Word

if TYPE_CHECKING:
    import pdfplumber
    from pdfplumber.page import Page

# pdfminer's text for a code it cannot map either: the glyph (a bullet, a rule) is dropped.
_UNKNOWN = "(cid:"
# pdfminer places a glyph from its font's box, PDFium from its size: a few points apart.
_MOST_POINTS_APART = 8.0


class LazyPlumber:
    """pdfplumber's view of the file, opened on the first page that needs it."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pdf: pdfplumber.PDF | None = None

    def __enter__(self) -> LazyPlumber:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pdf is not None:
            self._pdf.close()

    @contextmanager
    def page(self, number: int) -> Iterator[Page]:
        """Page `number` (from 1), closed (its parsed objects freed) on leaving."""
        import pdfplumber

        if self._pdf is None:
            self._pdf = pdfplumber.open(io.BytesIO(self._data))
        page = self._pdf.pages[number - 1]
        try:
            yield page
        finally:
            page.close()


def _font(name: str) -> str:
    """A font's name without its subset tag ("ABCDEF+Times" is "Times")."""
    return name.rpartition("+")[2]


def _text_of(glyph: Word, chars: Sequence[dict[str, Any]]) -> str:
    """The text pdfminer gives the glyph: its nearest character in the same font, if near enough."""
    font = _font(glyph["fontname"])
    near = [
        (abs(char["x0"] - glyph["x0"]) + abs(char["bottom"] - glyph["bottom"]), char["text"])
        for char in chars
        if _font(char.get("fontname", "")) == font
    ]
    distance, text = min(near, default=(_MOST_POINTS_APART + 1, ""))
    return "" if distance > _MOST_POINTS_APART or text.startswith(_UNKNOWN) else str(text)


def pdfminer_texts(plumber: LazyPlumber, number: int) -> MapGlyphs:
    """`read_page`'s `map_glyphs` for page `number`: each glyph's text as pdfminer maps it."""

    def texts(glyphs: Sequence[Word]) -> list[str]:
        with plumber.page(number) as page:
            chars = page.chars
            return [_text_of(glyph, chars) for glyph in glyphs]

    return texts
