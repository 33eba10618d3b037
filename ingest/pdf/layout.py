"""A PDF page as lines in reading order: columns read one after the other, fonts kept.

Words come with their size and font (from PDFium, `ingest.pdf.words`, or pdfplumber); this module
groups them into lines, finds a two-column page's gutter and orders full-width rows, left column
and right column by bands, so a two-column article is read the way a person reads it rather
than across the gutter.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

# Words closer than this (points) belong together; pdfplumber's default (3) glues words in
# small fonts.
X_TOLERANCE = 1.5
# Words whose tops differ by less than this (points) are on the same line.
_LINE_TOLERANCE = 2.5
# Half the width (points) of the empty strip a gutter must leave: wider than a justified space.
_GUTTER_HALF_WIDTH = 4.0
# The gutter is looked for in this middle band of the page (fractions of its width).
_GUTTER_BAND = (0.35, 0.65)
# A page is two-column when at most this share of its words crosses the gutter...
_MAX_CROSSING = 0.05
# ...and each side holds at least this share of them.
_MIN_SIDE = 0.05
# A sidebar (affiliations, correspondence, article information, often in smaller print) stands
# beside a wide main column, so its gutter is looked for across this band of the width...
_SIDEBAR_BAND = (0.15, 0.85)
# ...and is one where no word crosses for at least this share of the height the page's text
# spans, with text on both sides all along it: a one-column page's lines gap at the same x for
# a few rows at most (a ragged right edge, a tab stop), a sidebar for the whole page.
_SIDEBAR_RUN = 0.5
_SIDEBAR_WORDS = 20
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
# Dot leaders and rules typed as characters: layout, not text.
_LEADERS = re.compile(r"(\.\s?){4,}|(-\s){4,}-?")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of text on a page, with where it is and the font it is set in (points).

    `column` is 0 for the left column or full width, 1 for the right column; `band` counts the
    full-width rows above it, so (band, column, top) is the reading order on the page.
    `new_paragraph` is set where the source says so (OCR); otherwise gaps and indents decide.
    """

    page: int
    text: str
    top: float
    bottom: float
    x0: float
    size: float
    bold: bool
    column: int = 0
    band: int = 0
    new_paragraph: bool = False
    aside: bool = False  # in a sidebar beside the main column (affiliations, article info)
    x1: float = 0.0  # where the line ends (0: not known, as OCR gives lines)

    @property
    def order(self) -> tuple[int, int, float]:
        """Where the line comes when the page is read."""
        return (self.band, self.column, self.top)


def find_gutter(words: Sequence[Mapping[str, Any]], width: float) -> float | None:
    """The x (points) between two columns of text, or None for a one-column page.

    The gutter is the x in the page's middle band that the fewest words cross; every
    candidate is counted at once with numpy (a Python loop over words per x was a tenth of
    the parse).
    """
    if len(words) < 20:
        return None
    low, high = (int(width * share) for share in _GUTTER_BAND)
    x0 = np.fromiter((word["x0"] for word in words), dtype=float, count=len(words))
    x1 = np.fromiter((word["x1"] for word in words), dtype=float, count=len(words))
    candidates = np.arange(low, high + 1, 2, dtype=float)
    crossing = (
        (x0[None, :] < candidates[:, None] + _GUTTER_HALF_WIDTH)
        & (x1[None, :] > candidates[:, None] - _GUTTER_HALF_WIDTH)
    ).sum(axis=1)
    best_index = int(np.argmin(crossing))  # the first of equals, as min() takes
    best, crossed = float(candidates[best_index]), int(crossing[best_index])
    left = int((x1 <= best).sum())
    right = len(words) - left - crossed
    if crossed > _MAX_CROSSING * len(words) or min(left, right) < _MIN_SIDE * len(words):
        return None
    return best


def find_sidebar_gutter(words: Sequence[Mapping[str, Any]], width: float) -> float | None:
    """The x (points) between a sidebar and the main column, or None.

    Every word counts here, small print too: a sidebar is set smaller than the text beside it.
    Each run of candidate x's that few words cross is tried where the fewest do (the middle
    of those).
    """
    if len(words) < 2 * _SIDEBAR_WORDS:
        return None
    x0, x1, top, bottom = (
        np.fromiter((word[key] for word in words), dtype=float, count=len(words))
        for key in ("x0", "x1", "top", "bottom")
    )
    low, high = (int(width * share) for share in _SIDEBAR_BAND)
    candidates = np.arange(low, high + 1, 2, dtype=float)
    crossing = (x0[None, :] < candidates[:, None] + _GUTTER_HALF_WIDTH) & (
        x1[None, :] > candidates[:, None] - _GUTTER_HALF_WIDTH
    )
    counts = crossing.sum(axis=1)
    best, best_run = None, _SIDEBAR_RUN * (bottom.max() - top.min())
    for start, stop in _runs(counts <= _MAX_CROSSING * len(words)):
        fewest = start + np.flatnonzero(counts[start:stop] == counts[start:stop].min())
        middle = int(fewest[len(fewest) // 2])
        x = float(candidates[middle])
        run = _side_by_side_run(x, crossing[middle], x0, x1, top, bottom)
        if run >= best_run:
            best, best_run = x, run
    return best


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The [start, stop) index ranges where `flags` is True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _side_by_side_run(
    x: float, crossing: np.ndarray, x0: np.ndarray, x1: np.ndarray, top: np.ndarray,
    bottom: np.ndarray,
) -> float:  # fmt: skip
    """The tallest stretch between words crossing `x` where text stands on both sides of it."""
    breaks = np.concatenate([[-np.inf], np.sort(top[crossing]), [np.inf]])
    left, right = x1 <= x - _GUTTER_HALF_WIDTH, x0 >= x + _GUTTER_HALF_WIDTH
    tallest = 0.0
    for upper, lower in itertools.pairwise(breaks):
        inside = (top > upper) & (top < lower)
        sides = inside & left, inside & right
        if min(int(side.sum()) for side in sides) < _SIDEBAR_WORDS:
            continue
        shared_top = max(float(top[side].min()) for side in sides)
        shared_bottom = min(float(bottom[side].max()) for side in sides)
        tallest = max(tallest, shared_bottom - shared_top)
    return tallest


def _text_size(words: Sequence[Mapping[str, Any]]) -> float:
    """The font size (points, to 0.5) most of the page's characters are set in."""
    sizes: Counter[float] = Counter()
    for word in words:
        sizes[round(float(word["size"]) * 2) / 2] += len(word["text"])
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _group_lines(words: list[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Words of one column grouped into lines, top to bottom, each line left to right."""
    lines: list[list[Mapping[str, Any]]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        first = lines[-1][0] if lines else None
        # The line's longest word is its text, not a superscript ("Tyr" "369") or a drop cap.
        text = max(lines[-1], key=lambda w: len(w["text"])) if lines else None
        # Same top, or (a sub- or superscript) its middle within the line's text.
        if (
            first is not None
            and text is not None
            and (
                abs(word["top"] - first["top"]) <= _LINE_TOLERANCE
                or text["top"] < (word["top"] + word["bottom"]) / 2 < text["bottom"]
            )
        ):
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _line(page: int, words: list[Mapping[str, Any]], column: int) -> Line | None:
    """The words as a line; None when they are only leaders or rules."""
    text = " ".join(_LEADERS.sub(" ", " ".join(word["text"] for word in words)).split())
    if not any(char.isalnum() for char in text):
        return None
    sizes = [float(word["size"]) for word in words]
    bold_chars = sum(len(word["text"]) for word in words if _BOLD.search(word["fontname"]))
    return Line(
        page=page,
        text=text,
        top=min(word["top"] for word in words),
        bottom=max(word["bottom"] for word in words),
        x0=words[0]["x0"],
        x1=max(word["x1"] for word in words),
        size=round(statistics.median(sizes) * 2) / 2,
        bold=bold_chars * 2 > sum(len(word["text"]) for word in words),
        column=column,
    )


def _lines(page: int, words: list[Mapping[str, Any]], column: int) -> list[Line]:
    grouped = (_line(page, line, column) for line in _group_lines(words))
    return [line for line in grouped if line is not None]


def band_of(top: float, full_width_tops: Sequence[float]) -> int:
    """How many full-width rows start at or above `top`."""
    return sum(1 for row in full_width_tops if row <= top + 0.01)


def page_lines(
    page_words: Sequence[Mapping[str, Any]],
    width: float,
    number: int,
    exclude: Sequence[tuple[float, float, float, float]] = (),
) -> tuple[list[Line], float | None, list[float]]:
    """The page's lines in reading order, leaving out words inside `exclude` boxes (tables).

    `page_words` are pdfplumber's words, or `ingest.pdf.words`'s, which are read the same way.

    Returns:
        The lines, the gutter's x (None: one column) and the tops of full-width rows.
    """

    def excluded(word: Mapping[str, Any]) -> bool:
        return any(
            x0 - 1 <= word["x0"] and word["x1"] <= x1 + 1 and top - 1 <= word["top"] <= bottom
            for x0, top, x1, bottom in exclude
        )

    words = [word for word in page_words if not excluded(word)]
    # Columns are where the text is: labels of a figure, set smaller, may sit across the gutter.
    size = _text_size(words)
    text_words = [word for word in words if word["size"] >= size - 1]
    gutter = find_gutter(text_words, width)
    aside: int | None = None  # the sidebar's column, where the gutter is a sidebar's
    if gutter is None:
        gutter = find_sidebar_gutter(words, width)
        aside = None if gutter is None else int(gutter > width / 2)
    if gutter is None:
        return _lines(number, words, 0), None, []

    def spans(word: Mapping[str, Any]) -> bool:
        """A word across the gutter in text, or in a row of small print only (not a label)."""
        if word["x0"] >= gutter + _GUTTER_HALF_WIDTH or word["x1"] <= gutter - _GUTTER_HALF_WIDTH:
            return False
        row = [w for w in words if abs(w["top"] - word["top"]) <= _LINE_TOLERANCE]
        return word["size"] >= size - 1 or all(w["size"] < size - 1 for w in row)

    crossing_tops = [word["top"] for word in words if spans(word)]
    full_width: list[Mapping[str, Any]] = []
    sides: tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]] = ([], [])
    for word in words:
        if any(abs(word["top"] - top) <= _LINE_TOLERANCE for top in crossing_tops):
            full_width.append(word)
        else:
            sides[0 if word["x0"] + word["x1"] <= 2 * gutter else 1].append(word)
    rows = _lines(number, full_width, 0)
    tops = sorted(row.top for row in rows)
    columns = [_lines(number, sides[column], column) for column in (0, 1)]
    if aside is not None:
        columns[aside] = [replace(line, aside=True) for line in columns[aside]]
    lines = [replace(line, band=band_of(line.top, tops)) for line in rows + columns[0] + columns[1]]
    return sorted(lines, key=lambda line: line.order), gutter, tops
