"""A PDF page's words, with their font size and name, read from PDFium's text layer.

Why: pdfminer, under pdfplumber, interprets every content stream in Python, which made parsing
most of a PDF's ingest time (docs/pdf.md). PDFium (pypdfium2, BSD/Apache) does it in C. This
module reads the characters through PDFium's C API and groups them into words the way
pdfplumber's `extract_words` does (lines by top, then x gaps), so the layout code gets the same
words; the page's table grids come from its paths (`ingest.pdf.rules`).
"""

from __future__ import annotations

import ctypes
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypedDict

import pypdfium2
import pypdfium2.raw as pdfium_c

from ingest.pdf.rules import Box, read_drawing

# Characters whose tops differ by at most this (points) are on one line (pdfplumber's default).
_Y_TOLERANCE = 3.0
_SPACE = 32
# A character box taller than this many font sizes is a math font's (its descent is not the
# line's); its descent line is then put this many font sizes below its baseline, as a text font's.
_TALLEST_BOX = 1.3
_DESCENT = 0.2
# A "+" and a minus whose left edges are this close (points) are stacked: "±".
_SAME_X = 0.5
_MINUS = frozenset("−-")
# PDFium's code for a hyphen that a line break put in (it is shown, and ends the line's word).
_LINE_END_HYPHEN = 2
# Skewed characters (a "downloaded from" strip up the margin) are not the page's text.
_MAX_ANGLE = 0.01
# The text of a character PDFium cannot map, until `read_page`'s `map_glyphs` gives it.
UNMAPPED = "\ufffd"


class Word(TypedDict):
    """A word where pdfplumber's `extract_words(extra_attrs=["size", "fontname"])` puts it."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    fontname: str


# Gives the text of each character PDFium could not map, in order ("" drops it).
MapGlyphs = Callable[[Sequence[Word]], Sequence[str]]


@dataclass(frozen=True, slots=True)
class PageText:
    """What the layout needs of a page: words, character count, images, table grids.

    `unmapped` counts characters PDFium could not map to Unicode (a ligature whose ToUnicode
    entry it rejects, read as its raw code); their text came from `read_page`'s `map_glyphs`.

    Boxes are (x0, top, x1, bottom) in points from the top-left corner, as pdfplumber's.
    """

    width: float
    height: float
    words: list[Word]
    chars: int
    images: list[Box]
    grids: list[list[Box]]  # the cells of each ruled table
    unmapped: int


class _Char(NamedTuple):
    """One character, placed and set as a word is, and whether a space came before it."""

    glyph: Word
    after_space: bool


class _Setting(NamedTuple):
    """How a text object's characters are set: size, font, and whether they are skewed."""

    size: float
    fontname: str
    skewed: bool


# PDFium's FPDFText_GetTextObject, returning the object's address as an int: a character's text
# object is then a dict key without a ctypes cast per character, a large share of reading time.
_text_object_address = ctypes.CFUNCTYPE(ctypes.c_void_p, pdfium_c.FPDF_TEXTPAGE, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value
)


class _Settings:
    """Each text object's setting, read once per page from its first character.

    PDFium gives a character its object's font, size and matrix, so the rest of the object's
    characters share them.
    """

    def __init__(self, raw: object) -> None:
        self._raw = raw
        self._by_object: dict[int, _Setting] = {}
        self._names: dict[int | None, str] = {}
        self._buffer = ctypes.create_string_buffer(256)
        self._matrix = pdfium_c.FS_MATRIX()

    def of(self, index: int) -> _Setting:
        """The setting of character `index`."""
        address = _text_object_address(self._raw, index)
        setting = self._by_object.get(address) if address else None
        if setting is None:
            setting = self._read(index)
            if address:
                self._by_object[address] = setting
        return setting

    def _read(self, index: int) -> _Setting:
        raw, matrix = self._raw, self._matrix
        pdfium_c.FPDFText_GetMatrix(raw, index, matrix)
        size = pdfium_c.FPDFText_GetFontSize(raw, index) * (math.hypot(matrix.c, matrix.d) or 1.0)
        skewed = abs(pdfium_c.FPDFText_GetCharAngle(raw, index)) > _MAX_ANGLE
        return _Setting(size, self._font_name(index), skewed)

    def _font_name(self, index: int) -> str:
        """The base font name of the character's font, read once per font."""
        font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(self._raw, index))
        key = ctypes.cast(font, ctypes.c_void_p).value
        name = self._names.get(key)
        if name is None:
            length = pdfium_c.FPDFFont_GetBaseFontName(font, self._buffer, len(self._buffer))
            name = self._buffer.raw[: max(length - 1, 0)].decode("utf-8", "replace")
            self._names[key] = name
        return name


def _descent_line(
    raw: object, index: int, height: float, size: float, origin: tuple[ctypes.c_double, ...]
) -> float:
    """Where a glyph's descent line lies, from its baseline, for a font whose box misleads.

    A math font's (MTSY's "=", "±", "∼") box spans far below its baseline, so its top came out
    a line too low and the glyph was read into the next line ("sel e = ctivity").
    """
    pdfium_c.FPDFText_GetCharOrigin(raw, index, *origin)
    return height - origin[1].value + _DESCENT * size


def _chars(
    textpage: pypdfium2.PdfTextPage, width: float, height: float
) -> tuple[list[_Char], list[int]]:
    """The page's characters in PDFium's order, and which of them PDFium could not map.

    Spaces and the breaks PDFium generates are not characters; they mark the next one.
    """
    raw = textpage.raw
    settings = _Settings(raw)
    box = pdfium_c.FS_RECTF()
    origin = (ctypes.c_double(), ctypes.c_double())
    found: list[_Char] = []
    last: _Char | None = None
    unmapped: list[int] = []
    after_space = False
    for index in range(pdfium_c.FPDFText_CountChars(raw)):
        code = pdfium_c.FPDFText_GetUnicode(raw, index)
        if code == _SPACE:  # most common, and never unmapped: no further call
            after_space = True
            continue
        # An unmapped character comes as its raw code, which can look like a line-end hyphen
        # (2) or a control character; it is kept, in its place, for the caller to map.
        missing = pdfium_c.FPDFText_HasUnicodeMapError(raw, index) == 1
        hyphen = code == _LINE_END_HYPHEN and not missing
        text = UNMAPPED if missing else "-" if hyphen else chr(code)
        # PDFium generates only spaces and line breaks (no FPDFText_IsGenerated call needed).
        if not missing and (text.isspace() or (code < 32 and not hyphen)):
            after_space = True
            continue
        setting = settings.of(index)
        if setting.skewed or not pdfium_c.FPDFText_GetLooseCharBox(raw, index, box):
            continue
        size, fontname = setting.size, setting.fontname
        # Its box is set off the line, so a line-end hyphen takes its word's baseline; and it
        # ends that word, so it takes the word's font too: some producers set it from another
        # font object ("demon" + "-" read as "demon -strated").
        bottom = height - box.bottom
        if hyphen and last is not None:
            size, fontname, bottom = (
                last.glyph["size"],
                last.glyph["fontname"],
                last.glyph["bottom"],
            )
        if box.top - box.bottom > _TALLEST_BOX * size:
            bottom = min(bottom, _descent_line(raw, index, height, size, origin))
        top = bottom - size  # pdfplumber's top: a font size above the descent line
        if box.left < 0 or box.right > width or top < 0 or bottom > height:
            continue
        glyph = Word(
            text=text,
            x0=box.left,
            x1=box.right,
            top=top,
            bottom=bottom,
            size=size,
            fontname=fontname,
        )
        last = _Char(glyph, after_space)
        if missing:
            unmapped.append(len(found))
        found.append(last)
        after_space = False
    return found, unmapped


def _lines_of(chars: list[_Char]) -> list[list[_Char]]:
    """Characters clustered into lines by their tops, each line left to right."""
    lines: list[list[_Char]] = []
    last_top = -math.inf
    for char in sorted(chars, key=lambda c: c.glyph["top"]):
        if char.glyph["top"] - last_top > _Y_TOLERANCE or not lines:
            lines.append([])
        lines[-1].append(char)
        last_top = char.glyph["top"]
    return [sorted(line, key=lambda c: c.glyph["x0"]) for line in lines]


def _word(glyphs: list[Word]) -> Word:
    first = glyphs[0]
    return Word(
        text=compose_accents("".join(glyph["text"] for glyph in glyphs)),
        x0=first["x0"],
        x1=max(glyph["x1"] for glyph in glyphs),
        top=min(glyph["top"] for glyph in glyphs),
        bottom=max(glyph["bottom"] for glyph in glyphs),
        size=first["size"],
        fontname=first["fontname"],
    )


# Marks that producers set from another font inside a word: an apostrophe ("President" "’" "s"),
# a spacing accent over the letter before it ("Inandikliog" "˘" "lu" is "Inandiklioğlu"), with
# the combining accent each stands for.
_APOSTROPHES = frozenset("'’")
_SPACING_ACCENTS = {
    "˘": "\u0306", "¨": "\u0308", "´": "\u0301", "ˆ": "\u0302", "˜": "\u0303", "ˇ": "\u030c",
    "˚": "\u030a", "¸": "\u0327", "˛": "\u0328", "˙": "\u0307",
}  # fmt: skip
_IN_WORD_MARKS = _APOSTROPHES | frozenset(_SPACING_ACCENTS)


def joins_across_fonts(left: str, right: str) -> bool:
    """Whether two runs in different fonts, touching, are one word.

    PDF producers draw ligatures (ﬁ, ﬂ, ﬀ, ﬃ, ﬄ) from another font than the word's; "classi"
    "ﬁ" "ed" is one word, and so is a word with an apostrophe or an accent set from another
    font. A font change next to a digit or another mark still parts ("(" "Figure").
    """
    end, start = left[-1:], right[:1]
    return (end.isalpha() or end in _IN_WORD_MARKS) and (
        start.isalpha() or (end.isalpha() and start in _IN_WORD_MARKS)
    )


def compose_accents(text: str) -> str:
    """A word's spacing accents joined to their letters: "Inandiklio˘glu" reads "...oğlu"."""
    if not any(char in _SPACING_ACCENTS for char in text):
        return text
    combined = "".join(
        _SPACING_ACCENTS[char] if char in _SPACING_ACCENTS and before.isalpha() else char
        for before, char in zip(" " + text, text, strict=False)
    )
    return unicodedata.normalize("NFC", combined)


def _words(chars: list[_Char], x_tolerance: float) -> list[Word]:
    """Runs of characters on a line, parted by spaces, gaps and changes of font or size.

    pdfplumber parts words the same way with `extract_words(extra_attrs=["size", "fontname"])`,
    but for a letter meeting a letter in another font (`joins_across_fonts`).
    """
    words: list[Word] = []
    for line in _lines_of(chars):
        current: list[Word] = []
        for char in line:
            glyph, previous = char.glyph, current[-1] if current else None
            if previous is not None and (
                char.after_space
                or glyph["x0"] > previous["x1"] + x_tolerance
                or glyph["size"] != previous["size"]
                or (
                    glyph["fontname"] != previous["fontname"]
                    and not joins_across_fonts(previous["text"], glyph["text"])
                )
            ):
                words.append(_word(current))
                current = []
            current.append(glyph)
        if current:
            words.append(_word(current))
    return words


def _mapped(chars: list[_Char], unmapped: list[int], map_glyphs: MapGlyphs | None) -> list[_Char]:
    """The characters with each unmapped one's text from `map_glyphs`; "" (or none) drops it."""
    texts = map_glyphs([chars[i].glyph for i in unmapped]) if map_glyphs else [""] * len(unmapped)
    mapped = dict(zip(unmapped, texts, strict=True))
    return [
        char if index not in mapped else char._replace(glyph=Word(char.glyph, text=mapped[index]))
        for index, char in enumerate(chars)
        if mapped.get(index) != ""  # mapped to nothing: dropped
    ]


def _stack_plus_minus(chars: list[_Char]) -> list[_Char]:
    """A "+" drawn over a minus at the same x is one "±" (math fonts without the glyph do so).

    Left as two, the minus sat a line lower: a table cell lost it ("404.4 + 17.3").
    """
    stacked: list[_Char] = []
    for char in chars:
        above = stacked[-1].glyph if stacked else None
        glyph = char.glyph
        if (
            above is not None
            and above["text"] == "+"
            and glyph["text"] in _MINUS
            and abs(glyph["x0"] - above["x0"]) <= _SAME_X
            and above["top"] < glyph["top"] <= above["bottom"]
        ):
            stacked[-1] = stacked[-1]._replace(glyph=Word(above, text="±"))
            continue
        stacked.append(char)
    return stacked


def read_page(
    page: pypdfium2.PdfPage, x_tolerance: float, map_glyphs: MapGlyphs | None = None
) -> PageText:
    """The page's words, character count, image boxes and table grids.

    `map_glyphs` gives the text of the characters PDFium cannot map (`ingest.pdf.unmapped`):
    only they are read elsewhere, the rest of the page stays PDFium's.
    """
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        chars, unmapped = _chars(textpage, width, height)
    finally:
        textpage.close()
    if unmapped:
        chars = _mapped(chars, unmapped, map_glyphs)
    chars = _stack_plus_minus(chars)
    drawing = read_drawing(page)
    return PageText(
        width=width,
        height=height,
        words=_words(chars, x_tolerance),
        chars=len(chars),
        images=drawing.images,
        grids=drawing.grids(),
        unmapped=len(unmapped),
    )
