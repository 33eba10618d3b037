"""Tables on a PDF page as Markdown: caption, header row, one line per row.

pdfplumber finds a table by its ruling lines. Where its cells come out merged or cut (rules
drawn as curves, spanning cells), the columns are taken from the blank vertical strips
between its words and the rows from pdfplumber's, and the table is read again with those lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ingest.pdf_layout import X_TOLERANCE, Line
from ingest.pdf_rules import on_sheet

if TYPE_CHECKING:
    from pdfplumber.page import Page
    from pdfplumber.table import Table

# A vertical strip of a table at least this wide (points) with no word in it parts two columns.
_COLUMN_GAP = 5.0
# A caption ends at most this far (points) above its table.
_CAPTION_REACH = 30.0
_CAPTION = re.compile(r"^(table|tab\.)\s+\w+", re.IGNORECASE)
_LEADER_DOTS = re.compile(r"\.{4,}")
# Markdown table rows start with this; the chunker cuts a table between rows.
ROW_START = "| "


@dataclass(frozen=True, slots=True)
class PageTable:
    """A table found on a page: where it is and its rows (the first is the header)."""

    page: int
    bbox: tuple[float, float, float, float]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    band: int = 0  # the page's reading order, as for a Line
    column: int = 0

    @property
    def position(self) -> tuple[int, int, int, float]:
        """Where the table comes when the document is read: page, band, column, top."""
        return (self.page, self.band, self.column, self.bbox[1])

    def markdown(self) -> str:
        """Caption, then the rows as a Markdown table (header, rule, body)."""
        header, *body = self.rows
        lines = [_row(header), _row(tuple("---" for _ in header))] + [_row(row) for row in body]
        return "\n".join(([self.caption, ""] if self.caption else []) + lines)


def _row(cells: tuple[str, ...]) -> str:
    return ROW_START + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _clean(cell: str | None) -> str:
    return " ".join(_LEADER_DOTS.sub(" ", cell or "").split())


def _column_edges(page: Page, table: Table) -> list[float]:
    """Where columns part: the middle of each vertical strip of the table that no word covers."""
    x0, _, x1, _ = table.bbox
    words = [
        word
        for word in page.crop(table.bbox, strict=False).extract_words(x_tolerance=X_TOLERANCE)
        if not _LEADER_DOTS.fullmatch(word["text"])
    ]
    edges: list[float] = []
    covered_to = x0
    for word in sorted(words, key=lambda w: w["x0"]):
        if word["x0"] - covered_to >= _COLUMN_GAP:
            edges.append((covered_to + word["x0"]) / 2)
        covered_to = max(covered_to, word["x1"])
    return [x0, *edges, x1]


def _reread(page: Page, table: Table) -> list[list[str | None]]:
    """The table read again with columns from its blank strips and rows from pdfplumber."""
    bottom = table.bbox[3]
    verticals = _column_edges(page, table)
    horizontals = [row.bbox[1] for row in table.rows] + [bottom]
    settings: dict[str, Any] = {
        "vertical_strategy": "explicit",
        "horizontal_strategy": "explicit",
        "explicit_vertical_lines": verticals,
        "explicit_horizontal_lines": horizontals,
        "text_x_tolerance": X_TOLERANCE,
    }
    return page.crop(table.bbox, strict=False).extract_table(settings) or []


def find_tables(page: Page, number: int) -> list[PageTable]:
    """The page's ruled tables with at least a header and one row, top to bottom."""
    found: list[PageTable] = []
    for table in page.find_tables():
        if not on_sheet(table.bbox, page.width, page.height):
            continue
        cells = table.extract(x_tolerance=X_TOLERANCE)
        if any(cell is None for row in cells for cell in row) and len(table.rows) > 1:
            cells = _reread(page, table)
        rows = tuple(tuple(_clean(cell) for cell in row) for row in cells)
        rows = tuple(row for row in rows if any(row))
        if len(rows) >= 2 and len(rows[0]) >= 2:
            found.append(PageTable(number, tuple(table.bbox), rows))
    return sorted(found, key=lambda table: table.bbox[1])


def take_captions(tables: list[PageTable], lines: list[Line]) -> tuple[list[PageTable], list[Line]]:
    """Each table with the caption line ("Table 2 ...") just above it; the other lines."""
    captioned: list[PageTable] = []
    used: set[int] = set()
    for table in tables:
        x0, top, x1, _ = table.bbox
        caption = ""
        for index, line in enumerate(lines):
            near = 0 <= top - line.bottom <= _CAPTION_REACH and x0 - 10 <= line.x0 <= x1
            if near and index not in used and _CAPTION.match(line.text):
                caption = line.text
                used.add(index)
        captioned.append(replace(table, caption=caption))
    return captioned, [line for index, line in enumerate(lines) if index not in used]
