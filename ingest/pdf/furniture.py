"""Page furniture: running heads, footers and page numbers, found by repetition and place.

A line in the top or bottom margin whose text (digits aside) recurs in the same margin on many
pages is a running head or footer; a bare number in a margin is a page number.
Neither is something a reader would quote, so neither is indexed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from ingest.pdf.headings import LARGER, body_size
from ingest.pdf.layout import Line

# The top and bottom margins, as a share of the page height.
_MARGIN = 0.1
# A margin line recurring on at least this share of the pages (and on 2 or more) is furniture.
_MIN_SHARE = 0.25
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,5}(\s+(of|/)\s+\d{1,5})?$", re.IGNORECASE)


def _key(line: Line, height: float) -> tuple[bool, str]:
    """Which margin the line is in (top or bottom) and its text without numbers."""
    return line.top < height / 2, " ".join(re.sub(r"\d+", " ", line.text.lower()).split())


def _in_margin(line: Line, height: float) -> bool:
    return line.top < height * _MARGIN or line.bottom > height * (1 - _MARGIN)


def drop_furniture(pages: Sequence[Sequence[Line]], heights: Sequence[float]) -> list[list[Line]]:
    """Each page's lines without its running heads, footers and page numbers."""
    seen: Counter[tuple[bool, str]] = Counter()
    for lines, height in zip(pages, heights, strict=True):
        seen.update({_key(line, height) for line in lines if _in_margin(line, height)})
    least = max(2, math.ceil(_MIN_SHARE * len(pages)))
    # A heading set larger than the text ("Chapter 3" atop each chapter) is never furniture.
    largest = body_size([line for lines in pages for line in lines]) + LARGER

    def furniture(line: Line, height: float) -> bool:
        return (
            _in_margin(line, height)
            and line.size < largest
            and (seen[_key(line, height)] >= least or bool(_PAGE_NUMBER.match(line.text.strip())))
        )

    return [
        [line for line in lines if not furniture(line, height)]
        for lines, height in zip(pages, heights, strict=True)
    ]
